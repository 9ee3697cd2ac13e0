#ifndef GRADSCOPE_CBLAS_SHIM_H
#define GRADSCOPE_CBLAS_SHIM_H
#include <cblas.h>

// Declared by OpenBLAS but not in every cblas.h.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

// What the processor can run, for choosing OpenBLAS kernels (1 = yes).
static inline int gradscope_cpu_has_avx512(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    return 0;
#endif
}

static inline int gradscope_cpu_has_avx2(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}
#endif
