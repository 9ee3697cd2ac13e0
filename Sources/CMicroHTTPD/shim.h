#ifndef GRADSCOPE_CMICROHTTPD_SHIM_H
#define GRADSCOPE_CMICROHTTPD_SHIM_H
// microhttpd.h needs these first (docs/http-server.md, "The C shim").
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <malloc.h>
// Returns freed heap memory to the system (glibc's malloc_trim), after a
// large request body: see HTTPServer.completed.
static inline void gradscope_trim_heap(void) { malloc_trim(0); }

// Decodes %XX in the path and the query as libmicrohttpd does, except %00:
// a decoded NUL would end the C string, so "/index.html%00.png" would be
// served as "/index.html". Left encoded, it names no file and no route.
static inline int gradscope_hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
static inline size_t gradscope_unescape(void *cls, struct MHD_Connection *connection, char *s) {
    (void) cls; (void) connection;
    char *w = s;
    for (const char *r = s; *r; ) {
        int hi = r[0] == '%' ? gradscope_hex(r[1]) : -1;
        int lo = hi >= 0 ? gradscope_hex(r[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) { *w++ = (char) (hi * 16 + lo); r += 3; }
        else *w++ = *r++;
    }
    *w = '\0';
    return (size_t) (w - s);
}
// MHD_start_daemon is variadic and some options take function pointers:
// Swift can call neither directly, so the options are built here.
static inline struct MHD_Daemon *gradscope_mhd_start(
    unsigned int flags, const struct sockaddr_in *address,
    MHD_AccessHandlerCallback handler, void *handler_context,
    MHD_RequestCompletedCallback completed, void *completed_context,
    MHD_NotifyConnectionCallback connections, void *connections_context,
    unsigned int connection_limit, unsigned int timeout_seconds, unsigned int thread_pool_size)
{
    struct MHD_OptionItem options[] = {
        { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) completed, completed_context },
        { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t) connections, connections_context },
        { MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t) gradscope_unescape, NULL },
        { MHD_OPTION_SOCK_ADDR, 0, (void *) address },
        { MHD_OPTION_CONNECTION_LIMIT, (intptr_t) connection_limit, NULL },
        { MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t) timeout_seconds, NULL },
        { thread_pool_size > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t) thread_pool_size, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    return MHD_start_daemon(flags, ntohs(address->sin_port), NULL, NULL, handler, handler_context,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

// The connection's socket (for deadlines: see ConnectionDeadlines.swift).
static inline int gradscope_mhd_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}
static inline uint64_t gradscope_mhd_size_unknown(void) { return MHD_SIZE_UNKNOWN; }
static inline ssize_t gradscope_mhd_end_of_stream(void) { return MHD_CONTENT_READER_END_OF_STREAM; }
static inline ssize_t gradscope_mhd_end_with_error(void) { return MHD_CONTENT_READER_END_WITH_ERROR; }

// The port the daemon listens on (for port 0: the one the system chose).
static inline uint16_t gradscope_mhd_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}
#endif
