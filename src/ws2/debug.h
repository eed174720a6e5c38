/* SPDX-License-Identifier: MIT */
/* The trace hook (docs/api.md "wsp_set_debug_callback"): one line per API call
 * with its essential arguments, result and error, to stderr (WSP_DEBUG=1|2,
 * WSP_DEBUG_FILE) and/or to a program's callback.
 *
 * Off, it costs one relaxed atomic load and a branch never taken on each
 * provider call (dbg_on); nothing else runs and nothing is allocated.  On,
 * api_procs/ldr_procs hand the call through the shim table of spi_trace.c,
 * which calls the provider and formats the line; calls that never reach a
 * provider (WSAStartup, WSACleanup, a handle that is not a socket, loading a
 * provider) are traced where they happen. */
#ifndef WSP_WS2_DEBUG_H
#define WSP_WS2_DEBUG_H

#include <stdatomic.h>
#include <stddef.h>

#include <wsp/ws2spi.h>

/* Nonzero while anything listens: WSP_DEBUG > 0 or a callback is set. */
extern _Atomic int dbg_flag;

static inline int dbg_on(void)
{
    return __builtin_expect(atomic_load_explicit(&dbg_flag, memory_order_relaxed), 0);
}

/* Read WSP_DEBUG and WSP_DEBUG_FILE (secure_getenv), once per process; the
 * first WSAStartup calls it. */
void dbg_env_init(void);

/* The table a traced call goes through: the shim table, with real remembered
 * for this thread's next shim call; real itself when this thread is inside the
 * debug callback (its own calls are not traced: no recursion). */
const WSPPROC_TABLE *dbg_procs(const WSPPROC_TABLE *real);

/* The shim's side of dbg_procs: the real table it must call. */
const WSPPROC_TABLE *dbg_take(void);

/* ---- building one line (a fixed buffer on the stack, truncated if long) -- */
#define DBG_LINE_MAX 512

struct dbg_line {
    char s[DBG_LINE_MAX];
    size_t n;
};

/* Starts "name(". */
void dbg_begin(struct dbg_line *l, const char *name);
void dbg_put(struct dbg_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "key=text" of a local string, at most 100 characters, anything not
 * printable as '?' (a line stays one line); "key=NULL". */
void dbg_put_str(struct dbg_line *l, const char *key, const char *s);
/* "key=a.b.c.d:port" read from caller memory (umem: a bad pointer prints "?"). */
void dbg_put_addr(struct dbg_line *l, const char *key, const struct sockaddr *sa, int len);
/* The total length of an array of n WSABUFs in caller memory, or -1. */
long long dbg_wsabuf_len(const WSABUF *bufs, DWORD n);
/* A DWORD / int in caller memory, or -1 when unreadable or NULL. */
long long dbg_read_u32(const DWORD *p);
long long dbg_read_int(const int *p);

/* ") = value NAME (n)": a failure returned as value with error err (0 is
 * shown as WSASYSCALLFAILURE). */
void dbg_result_fail(struct dbg_line *l, const char *value, int err);
/* ") = 0" or ") = SOCKET_ERROR WSAENOTCONN (10057)"; err 0 on failure is
 * shown as WSASYSCALLFAILURE, as api_done reports it. */
void dbg_result(struct dbg_line *l, int rc, int err);
/* ") = 0x1004" or ") = INVALID_SOCKET WSAE... (n)". */
void dbg_result_socket(struct dbg_line *l, SOCKET s, int err);
/* ") = 0" or ") = WSAVERNOTSUPPORTED (10092)": for calls returning the code. */
void dbg_result_code(struct dbg_line *l, int code);
/* ") = TRUE" or ") = FALSE WSAE... (n)". */
void dbg_result_bool(struct dbg_line *l, BOOL ok, int err);

/* Hand the finished line to every listener. */
void dbg_emit(struct dbg_line *l);

/* A call that failed before reaching a provider: "name(s=0x..) = SOCKET_ERROR E (n)". */
void dbg_fail(const char *name, SOCKET s, int err);

#endif
