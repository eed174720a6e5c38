/* SPDX-License-Identifier: MIT */
/* The trace hook's state and its two listeners: the WSP_DEBUG stream (stderr
 * or WSP_DEBUG_FILE) and the program's callback.
 *
 * One mutex serialises the listeners: a line is written whole, lines keep the
 * order in which calls ended, and the callback is never called concurrently
 * with itself, so it needs no locking of its own.  The mutex is only taken
 * while tracing is on; off, no call gets past dbg_on(). */
#include "debug.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <wsp/wspext.h>

#include "common/umem.h"
#include "common/sys.h"
#include "lasterror.h"

_Atomic int dbg_flag;

static pthread_mutex_t dbg_mu = PTHREAD_MUTEX_INITIALIZER;
/* under dbg_mu */
static int dbg_level;   /* WSP_DEBUG: 0 off, 1 lines, 2 lines with time and thread */
static int dbg_fd = -1; /* where WSP_DEBUG lines go */
static wsp_debug_callback dbg_cb;
static void *dbg_ctx;

/* The real table for this thread's next shim call (dbg_procs -> dbg_take). */
static _Thread_local const WSPPROC_TABLE *dbg_next;
/* Nonzero while this thread runs the callback: its own API calls are not
 * traced (they would re-enter the callback) and it may not replace itself. */
static _Thread_local int dbg_in_cb;

static pthread_once_t dbg_env_once = PTHREAD_ONCE_INIT;
static pthread_once_t dbg_fork_once = PTHREAD_ONCE_INIT;

/* fork: the child must not inherit dbg_mu held by a thread that does not
 * exist there (its first traced call would hang), so fork waits for a line
 * in progress.  Not from inside the callback, which holds dbg_mu itself. */
static int dbg_fork_locked;

static void dbg_fork_prepare(void)
{
    if (!dbg_in_cb) {
        pthread_mutex_lock(&dbg_mu);
        dbg_fork_locked = 1;
    }
}

static void dbg_fork_after(void)
{
    if (dbg_fork_locked) {
        dbg_fork_locked = 0;
        pthread_mutex_unlock(&dbg_mu);
    }
}

static void dbg_fork_register(void)
{
    pthread_atfork(dbg_fork_prepare, dbg_fork_after, dbg_fork_after);
}

static void dbg_update_flag_locked(void)
{
    atomic_store_explicit(&dbg_flag, dbg_level > 0 || dbg_cb != NULL, memory_order_relaxed);
}

/* "1" lines, "2" (or more) lines with time and thread; "0" or empty off; any
 * other text (WSP_DEBUG=yes) means 1. */
static int dbg_parse_level(const char *v)
{
    if (v == NULL || *v == '\0')
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end != '\0' || end == v)
        return 1;
    return n <= 0 ? 0 : n >= 2 ? 2 : 1;
}

static void dbg_write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = sys_write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* tracing never fails the traced call */
        s += w;
        n -= (size_t)w;
    }
}

/* secure_getenv: a privileged (setuid, setgid, capabilities) process ignores
 * both variables, so nobody can make it write into a file of their choice. */
static void dbg_env_read(void)
{
    int saved = errno;
    int level = dbg_parse_level(secure_getenv("WSP_DEBUG"));
    int fd = STDERR_FILENO;
    const char *path = level > 0 ? secure_getenv("WSP_DEBUG_FILE") : NULL;
    if (path != NULL && *path != '\0') {
        int f =
            sys_openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
        if (f >= 0) {
            fd = f;
        } else {
            char msg[256];
            int n =
                snprintf(msg, sizeof msg, "wsp: WSP_DEBUG_FILE: cannot open (%s), using stderr\n",
                         strerror(errno));
            if (n > 0)
                dbg_write_all(STDERR_FILENO, msg,
                              (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        }
    }
    pthread_mutex_lock(&dbg_mu);
    dbg_level = level;
    dbg_fd = fd;
    dbg_update_flag_locked();
    pthread_mutex_unlock(&dbg_mu);
    errno = saved;
}

void dbg_env_init(void)
{
    pthread_once(&dbg_fork_once, dbg_fork_register);
    pthread_once(&dbg_env_once, dbg_env_read);
}

WSP_EXPORT int wsp_set_debug_callback(wsp_debug_callback cb, void *ctx)
{
    /* the caller's own callback holds dbg_mu further up this thread */
    if (dbg_in_cb)
        return le_fail(WSAEINPROGRESS);
    pthread_once(&dbg_fork_once, dbg_fork_register);
    pthread_mutex_lock(&dbg_mu);
    dbg_cb = cb;
    dbg_ctx = cb != NULL ? ctx : NULL;
    dbg_update_flag_locked();
    pthread_mutex_unlock(&dbg_mu);
    return 0;
}

const WSPPROC_TABLE *dbg_procs(const WSPPROC_TABLE *real)
{
    if (dbg_in_cb)
        return real;
    extern const WSPPROC_TABLE trc_table;
    dbg_next = real;
    return &trc_table;
}

const WSPPROC_TABLE *dbg_take(void)
{
    const WSPPROC_TABLE *t = dbg_next;
    dbg_next = NULL;
    return t;
}

/* ---- building a line ----------------------------------------------------- */

static void dbg_vput(struct dbg_line *l, const char *fmt, va_list ap)
{
    if (l->n >= sizeof l->s - 1)
        return;
    int k = vsnprintf(l->s + l->n, sizeof l->s - l->n, fmt, ap);
    if (k > 0)
        l->n += (size_t)k < sizeof l->s - l->n ? (size_t)k : sizeof l->s - l->n - 1;
}

void dbg_put(struct dbg_line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dbg_vput(l, fmt, ap);
    va_end(ap);
}

void dbg_begin(struct dbg_line *l, const char *name)
{
    l->n = 0;
    l->s[0] = '\0';
    dbg_put(l, "%s(", name);
}

#define DBG_STR_MAX 100

void dbg_put_str(struct dbg_line *l, const char *key, const char *s)
{
    if (s == NULL) {
        dbg_put(l, "%s=NULL", key);
        return;
    }
    char out[DBG_STR_MAX + 4];
    size_t n = 0;
    for (; s[n] != '\0' && n < DBG_STR_MAX; n++)
        out[n] = (char)(s[n] > 0x20 && s[n] < 0x7f ? s[n] : '?');
    if (s[n] != '\0')
        out[n++] = '.', out[n++] = '.', out[n++] = '.';
    out[n] = '\0';
    dbg_put(l, "%s=%s", key, out);
}

void dbg_put_addr(struct dbg_line *l, const char *key, const struct sockaddr *sa, int len)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    size_t n = len < 0 ? 0 : (size_t)len > sizeof ss ? sizeof ss : (size_t)len;
    if (sa == NULL) {
        dbg_put(l, "%s=NULL", key);
        return;
    }
    if (n < sizeof(sa_family_t) || umem_read(&ss, sa, n) != 0) {
        dbg_put(l, "%s=?", key);
        return;
    }
    char host[INET6_ADDRSTRLEN];
    if (ss.ss_family == AF_INET && n >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        dbg_put(l, "%s=%s:%u", key, host, ntohs(in->sin_port));
    } else if (ss.ss_family == AF_INET6 && n >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        dbg_put(l, "%s=[%s]:%u", key, host, ntohs(in6->sin6_port));
    } else {
        dbg_put(l, "%s=(family %d, %zu octets)", key, ss.ss_family, n);
    }
}

/* A bound on what is read to sum the lengths: larger arrays print "?". */
#define DBG_MAX_BUFS 64

long long dbg_wsabuf_len(const WSABUF *bufs, DWORD n)
{
    WSABUF b[DBG_MAX_BUFS] = {{0}}; /* (the analyzer cannot see n > 0 in the copy) */
    if (n > DBG_MAX_BUFS || (n > 0 && umem_read(b, bufs, n * sizeof b[0]) != 0))
        return -1;
    long long total = 0;
    for (DWORD i = 0; i < n; i++)
        total += b[i].len;
    return total;
}

long long dbg_read_u32(const DWORD *p)
{
    DWORD v;
    return p != NULL && umem_read(&v, p, sizeof v) == 0 ? (long long)v : -1;
}

long long dbg_read_int(const int *p)
{
    int v;
    return p != NULL && umem_read(&v, p, sizeof v) == 0 ? (long long)v : -1;
}

static void dbg_put_error(struct dbg_line *l, int err)
{
    const char *name = wsp_strerror_name(err);
    dbg_put(l, "%s (%d)", name != NULL ? name : "error", err);
}

void dbg_result_fail(struct dbg_line *l, const char *value, int err)
{
    dbg_put(l, ") = %s ", value);
    dbg_put_error(l, err != 0 ? err : WSASYSCALLFAILURE);
}

void dbg_result(struct dbg_line *l, int rc, int err)
{
    if (rc != SOCKET_ERROR) {
        dbg_put(l, ") = %d", rc);
        return;
    }
    dbg_result_fail(l, "SOCKET_ERROR", err);
}

void dbg_result_socket(struct dbg_line *l, SOCKET s, int err)
{
    if (s != INVALID_SOCKET) {
        dbg_put(l, ") = %#" PRIxPTR, (uintptr_t)s);
        return;
    }
    dbg_result_fail(l, "INVALID_SOCKET", err);
}

void dbg_result_code(struct dbg_line *l, int code)
{
    if (code == 0) {
        dbg_put(l, ") = 0");
        return;
    }
    dbg_put(l, ") = ");
    dbg_put_error(l, code);
}

void dbg_result_bool(struct dbg_line *l, BOOL ok, int err)
{
    if (ok) {
        dbg_put(l, ") = TRUE");
        return;
    }
    dbg_result_fail(l, "FALSE", err);
}

void dbg_fail(const char *name, SOCKET s, int err)
{
    if (dbg_in_cb)
        return;
    struct dbg_line l;
    dbg_begin(&l, name);
    dbg_put(&l, "s=%#" PRIxPTR, (uintptr_t)s);
    dbg_result(&l, SOCKET_ERROR, err);
    dbg_emit(&l);
}

/* ---- the listeners --------------------------------------------------------- */

/* "wsp: " and, at level 2, the CLOCK_MONOTONIC time and the kernel thread id,
 * so that lines of several threads can be told apart and timed. */
static size_t dbg_prefix(char *out, size_t cap, int level)
{
    if (level < 2)
        return (size_t)snprintf(out, cap, "wsp: ");
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int n = snprintf(out, cap, "wsp: %lld.%06ld tid=%ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000,
                     (long)syscall(SYS_gettid));
    return n > 0 ? (size_t)n : 0;
}

void dbg_emit(struct dbg_line *l)
{
    if (dbg_in_cb)
        return;
    /* a traced call leaves errno and the last error as it found them, whatever
     * the callback does */
    int saved = errno, last = WSAGetLastError();
    pthread_mutex_lock(&dbg_mu);
    if (dbg_level > 0) {
        char out[DBG_LINE_MAX + 64];
        size_t p = dbg_prefix(out, sizeof out, dbg_level);
        memcpy(out + p, l->s, l->n);
        out[p + l->n] = '\n';
        dbg_write_all(dbg_fd, out, p + l->n + 1);
    }
    if (dbg_cb != NULL) {
        dbg_in_cb = 1;
        dbg_cb(l->s, dbg_ctx);
        dbg_in_cb = 0;
    }
    pthread_mutex_unlock(&dbg_mu);
    WSASetLastError(last);
    errno = saved;
}
