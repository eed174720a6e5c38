/* SPDX-License-Identifier: MIT */
/* sys — the platform table: every system call libwsp (src/ws2, but for the
 * completion ports of iocp.c), the providers and src/common make, as one
 * table of function pointers (SQLite's os_unix.c aSyscall[]).
 *
 * Why a table: it is the one seam between the library and the kernel.  A test
 * swaps an entry to inject a fault at that call (tests/unit/sys_faults); a
 * port to another platform or to io_uring replaces entries, not call sites.
 *
 * Call sites write sys_NAME(...) exactly where they wrote NAME(...): each is
 * an inline function that makes one indirect call through a relaxed atomic
 * load (a plain load on every target we build for; atomic so that a test may
 * swap an entry while a provider's engine thread is calling it).
 *
 * The table is internal: it has hidden visibility like everything in
 * wsp_common, so every module carries its own copy and exports nothing new.
 * Tests reach a module's copy through tests/unit/sys_faults/sys_hook.c,
 * which only the test builds of the modules link, and libwsp's by linking its
 * static copy (ws2_faults; docs/architecture.md). */
#ifndef WSP_COMMON_SYS_H
#define WSP_COMMON_SYS_H

#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/uio.h>

/* X(return type, name, (parameter list), (argument names)).  fcntl, ioctl and
 * openat are variadic in libc; the table takes the one form the library uses.
 * A call that returns a pointer fails with NULL, every other one with -1.
 * malloc is no system call: it is here for the itot buffer pool's misses,
 * so a fault test can make the provider run short of memory. */
#define SYS_CALLS(X)                                                                               \
    X(int, socket, (int af, int type, int proto), (af, type, proto))                               \
    X(int, connect, (int fd, const struct sockaddr *sa, socklen_t len), (fd, sa, len))             \
    X(int, accept4, (int fd, struct sockaddr *sa, socklen_t *len, int fl), (fd, sa, len, fl))      \
    X(int, bind, (int fd, const struct sockaddr *sa, socklen_t len), (fd, sa, len))                \
    X(int, listen, (int fd, int backlog), (fd, backlog))                                           \
    X(ssize_t, send, (int fd, const void *buf, size_t len, int fl), (fd, buf, len, fl))            \
    X(ssize_t, sendmsg, (int fd, const struct msghdr *mh, int fl), (fd, mh, fl))                   \
    X(ssize_t, recv, (int fd, void *buf, size_t len, int fl), (fd, buf, len, fl))                  \
    X(ssize_t, recvmsg, (int fd, struct msghdr *mh, int fl), (fd, mh, fl))                         \
    X(ssize_t, read, (int fd, void *buf, size_t len), (fd, buf, len))                              \
    X(ssize_t, write, (int fd, const void *buf, size_t len), (fd, buf, len))                       \
    X(int, close, (int fd), (fd))                                                                  \
    X(int, shutdown, (int fd, int how), (fd, how))                                                 \
    X(int, getsockopt, (int fd, int lv, int nm, void *v, socklen_t *n), (fd, lv, nm, v, n))        \
    X(int, setsockopt, (int fd, int lv, int nm, const void *v, socklen_t n), (fd, lv, nm, v, n))   \
    X(int, getsockname, (int fd, struct sockaddr *sa, socklen_t *len), (fd, sa, len))              \
    X(int, getpeername, (int fd, struct sockaddr *sa, socklen_t *len), (fd, sa, len))              \
    X(int, fcntl, (int fd, int cmd, int arg), (fd, cmd, arg))                                      \
    X(int, ioctl, (int fd, unsigned long req, void *arg), (fd, req, arg))                          \
    X(int, poll, (struct pollfd * p, nfds_t n, int ms), (p, n, ms))                                \
    X(int, epoll_create1, (int fl), (fl))                                                          \
    X(int, epoll_ctl, (int ep, int op, int fd, struct epoll_event *ev), (ep, op, fd, ev))          \
    X(int, epoll_wait, (int ep, struct epoll_event *ev, int n, int ms), (ep, ev, n, ms))           \
    X(int, eventfd, (unsigned v, int fl), (v, fl))                                                 \
    X(int, timerfd_create, (int clk, int fl), (clk, fl))                                           \
    X(int, timerfd_settime, (int fd, int fl, const struct itimerspec *v, struct itimerspec *old),  \
      (fd, fl, v, old))                                                                            \
    X(int, open, (const char *path, int fl), (path, fl))                                           \
    X(ssize_t, process_vm_readv,                                                                   \
      (pid_t p, const struct iovec *l, unsigned long nl, const struct iovec *r, unsigned long nr,  \
       unsigned long fl),                                                                          \
      (p, l, nl, r, nr, fl))                                                                       \
    X(ssize_t, process_vm_writev,                                                                  \
      (pid_t p, const struct iovec *l, unsigned long nl, const struct iovec *r, unsigned long nr,  \
       unsigned long fl),                                                                          \
      (p, l, nl, r, nr, fl))                                                                       \
    X(int, sigaction, (int sig, const struct sigaction *sa, struct sigaction *old),                \
      (sig, sa, old))                                                                              \
    X(void *, malloc, (size_t n), (n))                                                             \
    SYS_FILE_CALLS(X)                                                                              \
    SYS_DL_CALLS(X)

/* libwsp's own: the catalog file, the trace file, the module checks. */
#define SYS_FILE_CALLS(X)                                                                          \
    X(int, openat, (int dir, const char *path, int fl, mode_t mode), (dir, path, fl, mode))        \
    X(int, fstat, (int fd, struct stat *st), (fd, st))                                             \
    X(int, stat, (const char *path, struct stat *st), (path, st))                                  \
    X(char *, realpath, (const char *path, char *out), (path, out))                                \
    X(int, mkdir, (const char *path, mode_t mode), (path, mode))                                   \
    X(int, flock, (int fd, int op), (fd, op))                                                      \
    X(int, fsync, (int fd), (fd))                                                                  \
    X(int, unlink, (const char *path), (path))                                                     \
    X(int, rename, (const char *from, const char *to), (from, to))                                 \
    X(FILE *, fdopen, (int fd, const char *mode), (fd, mode))

/* The loader's: a failure is NULL (dlopen, dlsym) or non-zero (dlclose),
 * and dlerror() says why. */
#define SYS_DL_CALLS(X)                                                                            \
    X(void *, dlopen, (const char *file, int mode), (file, mode))                                  \
    X(void *, dlsym, (void *h, const char *name), (h, name))                                       \
    X(int, dlclose, (void *h), (h))

#define SYS_FIELD(ret, name, params, args) ret(*_Atomic name) params;
struct sys_table {
    SYS_CALLS(SYS_FIELD)
};
#undef SYS_FIELD

/* This module's table; starts as libc's calls. */
extern struct sys_table sys_table;

#define SYS_INLINE(ret, name, params, args)                                                        \
    static inline ret sys_##name params                                                            \
    {                                                                                              \
        return atomic_load_explicit(&sys_table.name, memory_order_relaxed) args;                   \
    }
SYS_CALLS(SYS_INLINE)
#undef SYS_INLINE

/* ---- for tests (reached through sys_hook.c in test builds only) ---------- */
typedef void (*sys_fn)(void);

/* Number of entries, and the name of entry i (NULL past the end). */
unsigned sys_count(void);
const char *sys_name(unsigned i);
/* Replace entry NAME with FN (cast to the entry's type; NULL restores libc's).
 * Returns the previous function, or NULL when NAME is no entry. */
sys_fn sys_override(const char *name, sys_fn fn);
/* libc's function for NAME (what a wrapping fault forwards to), or NULL. */
sys_fn sys_default(const char *name);
/* Every entry back to libc's. */
void sys_restore_all(void);

/* The test hook's entry point (sys_hook.c): one struct, so one dlsym. */
struct sys_hook {
    unsigned (*count)(void);
    const char *(*name)(unsigned i);
    sys_fn (*override)(const char *name, sys_fn fn);
    sys_fn (*dflt)(const char *name);
    void (*restore_all)(void);
};
#define SYS_HOOK_SYMBOL "wsp_sys_test_hook"

#endif
