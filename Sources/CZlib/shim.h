#ifndef GRADSCOPE_CZLIB_SHIM_H
#define GRADSCOPE_CZLIB_SHIM_H
#include <zlib.h>
#endif
