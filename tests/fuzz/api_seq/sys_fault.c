/* SPDX-License-Identifier: MIT */
/* The FAULT op's machinery (sys_fault.h).  A fault is one slot per module
 * and call: an outcome and a countdown packed in one atomic word, so that an
 * engine thread taking the n-th call and the harness re-arming the slot
 * never see half of each other.  The wrapper that the slot's table entry
 * points to counts the call down; at zero it fails the call without making
 * it (errno), or makes it with half the length (SHORT); every other call
 * goes straight to libc.
 *
 * Only outcomes the kernel can give in that place are offered (the call's
 * man page; recv's ECONNRESET is tcp(7)'s reset), else the model would see
 * worlds that cannot happen.  Some outcomes are "quiet": the library must
 * hide them, so they excuse nothing —
 *   - EINTR from poll and epoll_wait (a signal; the waits are retried);
 *   - EAGAIN from send, recv and their msg forms (the sockets are
 *     non-blocking, and epoll is level-triggered: the engine looks again),
 *     from an eventfd read (another thread drained it), from an eventfd
 *     write only when the counter is already readable (a full counter: the
 *     wake-up it carries is pending anyway; else the write is made);
 *   - SHORT: a non-blocking socket may always move less than asked.
 * Every other fired outcome makes the connection errors legitimate. */
#include "sys_fault.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <netinet/in.h>

#include <dlfcn.h>

#include <wsp/winsock2.h>

#include "common/errmap.h"
#include "common/sys.h"

/* ---- outcomes ------------------------------------------------------------ */
enum {
    O_EINTR,
    O_EAGAIN,
    O_ENOBUFS,
    O_ENOMEM,
    O_ECONNRESET,
    O_EPIPE,
    O_ENOTCONN,
    O_EINVAL,
    O_ENOPROTOOPT,
    O_ENOSPC,
    O_SHORT, /* half the length (at least one octet) */
    O_COUNT
};
static const int sysf_errno[O_COUNT] = {EINTR,    EAGAIN, ENOBUFS,     ENOMEM, ECONNRESET, EPIPE,
                                        ENOTCONN, EINVAL, ENOPROTOOPT, ENOSPC, 0};

/* ---- the calls ------------------------------------------------------------ */
enum {
    C_SEND,
    C_SENDMSG,
    C_RECV,
    C_RECVMSG,
    C_EPOLL_CTL,
    C_EPOLL_WAIT,
    C_POLL,
    C_SHUTDOWN,
    C_READ,
    C_WRITE,
    C_GETSOCKOPT,
    C_SETSOCKOPT,
    C_MALLOC,
    C_COUNT
};

#define Q(o) (1u << (o))
static const struct sysf_call {
    const char *name;
    unsigned char outcomes[7];
    unsigned n;
    unsigned quiet; /* outcomes the library must hide (Q(o)) */
} sysf_calls[C_COUNT] = {
    [C_SEND] = {"send",
                {O_EAGAIN, O_ENOBUFS, O_ENOMEM, O_ECONNRESET, O_EPIPE, O_SHORT},
                6,
                Q(O_EAGAIN) | Q(O_SHORT)},
    [C_SENDMSG] = {"sendmsg",
                   {O_EAGAIN, O_ENOBUFS, O_ENOMEM, O_ECONNRESET, O_EPIPE, O_SHORT},
                   6,
                   Q(O_EAGAIN) | Q(O_SHORT)},
    [C_RECV] = {"recv", {O_EAGAIN, O_ENOMEM, O_ECONNRESET, O_SHORT}, 4, Q(O_EAGAIN) | Q(O_SHORT)},
    [C_RECVMSG] = {"recvmsg",
                   {O_EAGAIN, O_ENOMEM, O_ECONNRESET, O_SHORT},
                   4,
                   Q(O_EAGAIN) | Q(O_SHORT)},
    [C_EPOLL_CTL] = {"epoll_ctl", {O_ENOMEM, O_ENOSPC}, 2, 0},
    [C_EPOLL_WAIT] = {"epoll_wait", {O_EINTR}, 1, Q(O_EINTR)},
    [C_POLL] = {"poll", {O_EINTR, O_ENOMEM}, 2, Q(O_EINTR)},
    [C_SHUTDOWN] = {"shutdown", {O_ENOTCONN, O_ENOBUFS}, 2, 0},
    [C_READ] = {"read", {O_EAGAIN}, 1, Q(O_EAGAIN)},
    [C_WRITE] = {"write", {O_EAGAIN}, 1, Q(O_EAGAIN)},
    [C_GETSOCKOPT] = {"getsockopt", {O_EINVAL, O_ENOPROTOOPT}, 2, 0},
    [C_SETSOCKOPT] = {"setsockopt", {O_EINVAL, O_ENOPROTOOPT, O_ENOMEM}, 3, 0},
    [C_MALLOC] = {"malloc", {O_ENOMEM}, 1, 0},
};
#undef Q

const char *sysf_call_name(unsigned call)
{
    return sysf_calls[call % C_COUNT].name;
}

/* ---- slots and counters --------------------------------------------------- */
/* slot: countdown << 8 | outcome; 0 = disarmed */
static atomic_uint sysf_slot[SYSF_WHERE][C_COUNT];
static atomic_uint sysf_fired_mask; /* Q(o) of the loud outcomes fired */
static atomic_uint sysf_fired_quiet, sysf_fired_loud;
static const struct sys_hook *sysf_hook[SYSF_WHERE];

/* On which socket the loud faults fired, by its local port (the harness
 * knows its sides' ports; it does not know the providers' descriptors):
 * a loud fault with no socket (malloc, an eventfd, a wait) or one on a
 * descriptor that is no bound socket counts for every port. */
#define SYSF_PORTS 16
static atomic_int sysf_port[SYSF_PORTS]; /* 0: free */
static atomic_int sysf_reset_port[SYSF_PORTS];
static atomic_bool sysf_anywhere;

static void sysf_add_port(atomic_int *set, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int port = 0;
    if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET)
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    if (port == 0) {
        atomic_store(&sysf_anywhere, true);
        return;
    }
    for (int i = 0; i < SYSF_PORTS; i++) {
        int v = 0; /* a free entry takes it; else v is the entry's port */
        if (atomic_compare_exchange_strong(&set[i], &v, port) || v == port)
            return;
    }
    atomic_store(&sysf_anywhere, true); /* full: no longer precise */
}

static bool sysf_has_port(atomic_int *set, int port)
{
    for (int i = 0; i < SYSF_PORTS; i++)
        if (atomic_load(&set[i]) == port)
            return true;
    return false;
}

/* The outcome this call is to get (O_*), or -1: it counts the slot down. */
static int sysf_due(int where, int call)
{
    atomic_uint *s = &sysf_slot[where][call];
    unsigned v = atomic_load(s);
    while (v >> 8 != 0) {
        unsigned nv = (v >> 8) == 1 ? 0 : v - 256;
        if (atomic_compare_exchange_weak(s, &v, nv))
            return (v >> 8) == 1 ? (int)(v & 0xff) : -1;
    }
    return -1;
}

/* A fault fired on descriptor fd (-1: none): counted unless quiet. */
static void sysf_note(int call, int o, int fd)
{
    if (sysf_calls[call].quiet & (1u << o)) {
        atomic_fetch_add(&sysf_fired_quiet, 1);
        return;
    }
    atomic_fetch_add(&sysf_fired_loud, 1);
    sysf_add_port(sysf_port, fd);
    /* as if the peer's TCP had reset: a read or a write of this socket may
     * learn it first (the engine's flush too, with no call to report it) */
    bool data = call == C_SEND || call == C_SENDMSG || call == C_RECV || call == C_RECVMSG;
    if (data && (o == O_ECONNRESET || o == O_EPIPE))
        sysf_add_port(sysf_reset_port, fd);
    atomic_fetch_or(&sysf_fired_mask, 1u << o);
}

/* Applies a due outcome to a call with a length: true when the call fails
 * (errno set), else *len may have been halved. */
static bool sysf_len(int call, int o, int fd, size_t *len)
{
    if (o < 0)
        return false;
    if (o == O_SHORT) {
        if (*len > 1) {
            *len -= *len / 2;
            sysf_note(call, o, fd);
        }
        return false;
    }
    sysf_note(call, o, fd);
    errno = sysf_errno[o];
    return true;
}

/* The msghdr forms: SHORT trims a copy of the iovec array. */
#define SYSF_IOV_MAX 64
static bool sysf_msg(int call, int o, int fd, const struct msghdr *mh, struct msghdr *copy,
                     struct iovec *iov)
{
    if (o < 0)
        return false;
    if (o != O_SHORT) {
        sysf_note(call, o, fd);
        errno = sysf_errno[o];
        return true;
    }
    size_t total = 0;
    if (mh->msg_iovlen > SYSF_IOV_MAX)
        return false;
    for (size_t i = 0; i < mh->msg_iovlen; i++)
        total += mh->msg_iov[i].iov_len;
    if (total <= 1)
        return false;
    size_t keep = total - total / 2;
    *copy = *mh;
    copy->msg_iov = iov;
    copy->msg_iovlen = 0;
    for (size_t i = 0; i < mh->msg_iovlen && keep > 0; i++) {
        iov[i] = mh->msg_iov[i];
        if (iov[i].iov_len > keep)
            iov[i].iov_len = keep;
        keep -= iov[i].iov_len;
        copy->msg_iovlen = i + 1;
    }
    sysf_note(call, o, fd);
    return false;
}

/* Errors only (no length): EINTR, ENOMEM, ... */
static bool sysf_err(int call, int o, int fd)
{
    if (o < 0)
        return false;
    sysf_note(call, o, fd);
    errno = sysf_errno[o];
    return true;
}

/* ---- the wrappers, one set per table --------------------------------------- */
#define SYSF_WRAPPERS(W)                                                                           \
    static ssize_t sysf_send_##W(int fd, const void *b, size_t n, int fl)                          \
    {                                                                                              \
        return sysf_len(C_SEND, sysf_due(W, C_SEND), fd, &n) ? -1 : send(fd, b, n, fl);            \
    }                                                                                              \
    static ssize_t sysf_recv_##W(int fd, void *b, size_t n, int fl)                                \
    {                                                                                              \
        return sysf_len(C_RECV, sysf_due(W, C_RECV), fd, &n) ? -1 : recv(fd, b, n, fl);            \
    }                                                                                              \
    static ssize_t sysf_sendmsg_##W(int fd, const struct msghdr *mh, int fl)                       \
    {                                                                                              \
        struct msghdr c = {0};                                                                     \
        struct iovec iov[SYSF_IOV_MAX];                                                            \
        if (sysf_msg(C_SENDMSG, sysf_due(W, C_SENDMSG), fd, mh, &c, iov))                          \
            return -1;                                                                             \
        return sendmsg(fd, c.msg_iov != NULL ? &c : mh, fl);                                       \
    }                                                                                              \
    static ssize_t sysf_recvmsg_##W(int fd, struct msghdr *mh, int fl)                             \
    {                                                                                              \
        struct msghdr c = {0};                                                                     \
        struct iovec iov[SYSF_IOV_MAX];                                                            \
        if (sysf_msg(C_RECVMSG, sysf_due(W, C_RECVMSG), fd, mh, &c, iov))                          \
            return -1;                                                                             \
        if (c.msg_iov == NULL)                                                                     \
            return recvmsg(fd, mh, fl);                                                            \
        ssize_t r = recvmsg(fd, &c, fl);                                                           \
        /* what the kernel writes back into the header */                                          \
        mh->msg_flags = c.msg_flags;                                                               \
        mh->msg_namelen = c.msg_namelen;                                                           \
        mh->msg_controllen = c.msg_controllen;                                                     \
        return r;                                                                                  \
    }                                                                                              \
    static int sysf_epoll_ctl_##W(int ep, int op, int fd, struct epoll_event *ev)                  \
    {                                                                                              \
        return sysf_err(C_EPOLL_CTL, sysf_due(W, C_EPOLL_CTL), fd) ? -1                            \
                                                                   : epoll_ctl(ep, op, fd, ev);    \
    }                                                                                              \
    static int sysf_epoll_wait_##W(int ep, struct epoll_event *ev, int n, int ms)                  \
    {                                                                                              \
        return sysf_err(C_EPOLL_WAIT, sysf_due(W, C_EPOLL_WAIT), -1) ? -1                          \
                                                                     : epoll_wait(ep, ev, n, ms);  \
    }                                                                                              \
    static int sysf_poll_##W(struct pollfd *p, nfds_t n, int ms)                                   \
    {                                                                                              \
        return sysf_err(C_POLL, sysf_due(W, C_POLL), n > 0 ? p[0].fd : -1) ? -1 : poll(p, n, ms);  \
    }                                                                                              \
    static int sysf_shutdown_##W(int fd, int how)                                                  \
    {                                                                                              \
        return sysf_err(C_SHUTDOWN, sysf_due(W, C_SHUTDOWN), fd) ? -1 : shutdown(fd, how);         \
    }                                                                                              \
    static ssize_t sysf_read_##W(int fd, void *b, size_t n)                                        \
    {                                                                                              \
        return sysf_err(C_READ, sysf_due(W, C_READ), fd) ? -1 : read(fd, b, n);                    \
    }                                                                                              \
    static ssize_t sysf_write_##W(int fd, const void *b, size_t n)                                 \
    {                                                                                              \
        int o = sysf_due(W, C_WRITE);                                                              \
        struct pollfd p = {.fd = fd, .events = POLLIN};                                            \
        if (o >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && sysf_err(C_WRITE, o, fd))     \
            return -1;                                                                             \
        return write(fd, b, n);                                                                    \
    }                                                                                              \
    static int sysf_getsockopt_##W(int fd, int lv, int nm, void *v, socklen_t *n)                  \
    {                                                                                              \
        return sysf_err(C_GETSOCKOPT, sysf_due(W, C_GETSOCKOPT), fd)                               \
                   ? -1                                                                            \
                   : getsockopt(fd, lv, nm, v, n);                                                 \
    }                                                                                              \
    static int sysf_setsockopt_##W(int fd, int lv, int nm, const void *v, socklen_t n)             \
    {                                                                                              \
        return sysf_err(C_SETSOCKOPT, sysf_due(W, C_SETSOCKOPT), fd)                               \
                   ? -1                                                                            \
                   : setsockopt(fd, lv, nm, v, n);                                                 \
    }                                                                                              \
    static void *sysf_malloc_##W(size_t n)                                                         \
    {                                                                                              \
        return sysf_err(C_MALLOC, sysf_due(W, C_MALLOC), -1) ? NULL : malloc(n);                   \
    }                                                                                              \
    static const sys_fn sysf_fns_##W[C_COUNT] = {                                                  \
        [C_SEND] = (sys_fn)sysf_send_##W,                                                          \
        [C_SENDMSG] = (sys_fn)sysf_sendmsg_##W,                                                    \
        [C_RECV] = (sys_fn)sysf_recv_##W,                                                          \
        [C_RECVMSG] = (sys_fn)sysf_recvmsg_##W,                                                    \
        [C_EPOLL_CTL] = (sys_fn)sysf_epoll_ctl_##W,                                                \
        [C_EPOLL_WAIT] = (sys_fn)sysf_epoll_wait_##W,                                              \
        [C_POLL] = (sys_fn)sysf_poll_##W,                                                          \
        [C_SHUTDOWN] = (sys_fn)sysf_shutdown_##W,                                                  \
        [C_READ] = (sys_fn)sysf_read_##W,                                                          \
        [C_WRITE] = (sys_fn)sysf_write_##W,                                                        \
        [C_GETSOCKOPT] = (sys_fn)sysf_getsockopt_##W,                                              \
        [C_SETSOCKOPT] = (sys_fn)sysf_setsockopt_##W,                                              \
        [C_MALLOC] = (sys_fn)sysf_malloc_##W,                                                      \
    };

SYSF_WRAPPERS(0)
SYSF_WRAPPERS(1)
SYSF_WRAPPERS(2)

static const sys_fn *const sysf_fns[SYSF_WHERE] = {sysf_fns_0, sysf_fns_1, sysf_fns_2};

/* ---- set-up ------------------------------------------------------------------ */
/* libwsp's table is this program's own (its sources or its static copy). */
static const struct sys_hook sysf_ws2_hook = {
    .count = sys_count,
    .name = sys_name,
    .override = sys_override,
    .dflt = sys_default,
    .restore_all = sys_restore_all,
};

static const struct sys_hook *sysf_find(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    /* the loader opened this very file (same path: same instance); a module
     * without the hook (a shipped one) gets no faults */
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (h == NULL)
        return NULL;
    const struct sys_hook *hk = dlsym(h, SYS_HOOK_SYMBOL);
    dlclose(h);
    return hk;
}

void sysf_init(const char *dir)
{
    sysf_hook[SYSF_WS2] = &sysf_ws2_hook;
    if (dir == NULL)
        return;
    sysf_hook[SYSF_TCP] = sysf_find(dir, "wsp_tcp.so");
    sysf_hook[SYSF_ITOT] = sysf_find(dir, "wsp_itot.so");
}

void sysf_reset(void)
{
    for (int w = 0; w < SYSF_WHERE; w++) {
        for (int c = 0; c < C_COUNT; c++)
            atomic_store(&sysf_slot[w][c], 0);
        if (sysf_hook[w] != NULL)
            sysf_hook[w]->restore_all();
    }
    atomic_store(&sysf_fired_mask, 0);
    atomic_store(&sysf_fired_quiet, 0);
    atomic_store(&sysf_fired_loud, 0);
    for (int i = 0; i < SYSF_PORTS; i++) {
        atomic_store(&sysf_port[i], 0);
        atomic_store(&sysf_reset_port[i], 0);
    }
    atomic_store(&sysf_anywhere, false);
}

bool sysf_arm(enum sysf_where where, unsigned call, unsigned outcome, unsigned when)
{
    const struct sys_hook *hk = sysf_hook[where];
    if (hk == NULL)
        return false;
    call %= C_COUNT;
    const struct sysf_call *c = &sysf_calls[call];
    unsigned o = c->outcomes[outcome % c->n];
    atomic_store(&sysf_slot[where][call], (when ? when : 1) << 8 | o);
    hk->override(c->name, sysf_fns[where][call]);
    return true;
}

void sysf_counts(unsigned *quiet, unsigned *loud)
{
    *quiet = atomic_load(&sysf_fired_quiet);
    *loud = atomic_load(&sysf_fired_loud);
}

bool sysf_fired(void)
{
    return atomic_load(&sysf_fired_mask) != 0;
}

bool sysf_fired_at(int port)
{
    return atomic_load(&sysf_anywhere) || sysf_has_port(sysf_port, port);
}

bool sysf_reset_at(int port)
{
    return atomic_load(&sysf_anywhere) || sysf_has_port(sysf_reset_port, port);
}

bool sysf_excuses(int err)
{
    unsigned mask = atomic_load(&sysf_fired_mask);
    if (mask == 0)
        return false;
    switch (err) {
    case WSAECONNRESET:
    case WSAECONNABORTED:
    case WSAENETDOWN:
    case WSAENETRESET:
    case WSAENOBUFS:
    case WSAENOTCONN:
    case WSAESHUTDOWN:
    case WSAEDISCON:
        return true;
    default:
        break;
    }
    for (int o = 0; o < O_COUNT; o++)
        if ((mask & (1u << o)) && sysf_errno[o] != 0 && errmap_from_errno(sysf_errno[o]) == err)
            return true;
    return false;
}
