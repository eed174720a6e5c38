/* SPDX-License-Identifier: MIT */
/* sys — the platform table: every system call the providers and src/common
 * make, as one table of function pointers (SQLite's os_unix.c aSyscall[]).
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
 * which only the test builds of the modules link (docs/architecture.md). */
#ifndef WSP_COMMON_SYS_H
#define WSP_COMMON_SYS_H

#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* X(return type, name, (parameter list), (argument names)).  fcntl and ioctl
 * are variadic in libc; the table takes the one form the library uses.
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
    X(void *, malloc, (size_t n), (n))

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
