/* SPDX-License-Identifier: MIT */
/* Socket options and ioctls, as tables.  Plain options go straight to the
 * kernel (the platform's SOL_/SO_/IPPROTO_ numbers, D12); Winsock-only ones
 * (SO_PROTOCOL_INFOW/A, the SO_CONN... and SO_DISC... family) are answered here. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "common/errmap.h"
#include "common/umem.h"
#include "tcp.h"

enum tcp_opt_kind {
    TCP_OPT_INT,        /* int/BOOL passed to the kernel */
    TCP_OPT_INT_RO,     /* int read from the kernel, not settable */
    TCP_OPT_LINGER,     /* struct linger passed to the kernel */
    TCP_OPT_INFOW,      /* WSAPROTOCOL_INFOW of the socket, read only */
    TCP_OPT_INFOA,      /* WSAPROTOCOL_INFOA of the socket, read only */
    TCP_OPT_ACCEPTCONN, /* from our own state, read only */
    TCP_OPT_NODATA,     /* connect/disconnect data: not supported (D9, C6) */
};

static const struct tcp_opt {
    int level;
    int name;
    enum tcp_opt_kind kind;
    bool stream_only;
} tcp_opts[] = {
    {SOL_SOCKET, SO_LINGER, TCP_OPT_LINGER, true},
    {SOL_SOCKET, SO_REUSEADDR, TCP_OPT_INT, false},
    {SOL_SOCKET, SO_RCVBUF, TCP_OPT_INT, false},
    {SOL_SOCKET, SO_SNDBUF, TCP_OPT_INT, false},
    {SOL_SOCKET, SO_KEEPALIVE, TCP_OPT_INT, true},
    {SOL_SOCKET, SO_BROADCAST, TCP_OPT_INT, false},
    {SOL_SOCKET, SO_ERROR, TCP_OPT_INT_RO, false},
    {SOL_SOCKET, SO_TYPE, TCP_OPT_INT_RO, false},
    {SOL_SOCKET, SO_ACCEPTCONN, TCP_OPT_ACCEPTCONN, false},
    {SOL_SOCKET, SO_PROTOCOL_INFOW, TCP_OPT_INFOW, false},
    {SOL_SOCKET, SO_PROTOCOL_INFOA, TCP_OPT_INFOA, false},
    {SOL_SOCKET, SO_CONNDATA, TCP_OPT_NODATA, false},
    {SOL_SOCKET, SO_CONNOPT, TCP_OPT_NODATA, false},
    {SOL_SOCKET, SO_DISCDATA, TCP_OPT_NODATA, false},
    {SOL_SOCKET, SO_DISCOPT, TCP_OPT_NODATA, false},
    {SOL_SOCKET, SO_CONNDATALEN, TCP_OPT_NODATA, false},
    {SOL_SOCKET, SO_CONNOPTLEN, TCP_OPT_NODATA, false},
    {SOL_SOCKET, SO_DISCDATALEN, TCP_OPT_NODATA, false},
    {SOL_SOCKET, SO_DISCOPTLEN, TCP_OPT_NODATA, false},
    {IPPROTO_TCP, TCP_NODELAY, TCP_OPT_INT, true},
};

static const struct tcp_opt *tcp_find_opt(struct tcp_sock *ts, int level, int name)
{
    for (unsigned i = 0; i < sizeof tcp_opts / sizeof tcp_opts[0]; i++)
        if (tcp_opts[i].level == level && tcp_opts[i].name == name)
            return tcp_opts[i].stream_only && ts->type != SOCK_STREAM ? NULL : &tcp_opts[i];
    return NULL;
}

/* Write a value of n bytes and its length to the caller's optval/optlen, in
 * one syscall (the two regions are written together or the call fails). */
static int tcp_opt_out(char *optval, LPINT optlen, int cap, const void *v, int n)
{
    if (cap < n || optval == NULL)
        return WSAEFAULT;
    struct iovec l[2] = {{(void *)(uintptr_t)v, (size_t)n}, {&n, sizeof n}};
    struct iovec r[2] = {{optval, (size_t)n}, {optlen, sizeof n}};
    return umem_writev(l, 2, r, 2);
}

/* An int option the kernel answers in the caller's own layout: hand it the
 * caller's optval/optlen, and it reports a bad pointer as EFAULT (D4) without
 * a copy through umem.  cap was read from *optlen already, so a too small
 * buffer is WSAEFAULT here, where Linux would truncate. */
static int tcp_opt_int_direct(struct tcp_sock *ts, int level, int name, char *optval,
                              LPINT optlen, int cap)
{
    _Static_assert(sizeof(int) == sizeof(socklen_t), "optlen is passed as the kernel's socklen_t");
    if (cap < (int)sizeof(int) || optval == NULL)
        return WSAEFAULT;
    if (getsockopt(ts->fd, level, name, optval, (socklen_t *)(void *)optlen) != 0)
        return errno == EFAULT ? WSAEFAULT : errmap_from_errno(errno);
    return 0;
}

static void tcp_info_to_ansi(const WSAPROTOCOL_INFOW *w, WSAPROTOCOL_INFOA *a)
{
    memcpy(a, w, offsetof(WSAPROTOCOL_INFOA, szProtocol));
    for (int i = 0; i <= WSAPROTOCOL_LEN; i++)
        a->szProtocol[i] = (CHAR)(w->szProtocol[i] < 0x80 ? w->szProtocol[i] : '?');
    a->szProtocol[WSAPROTOCOL_LEN] = '\0';
}

int WSPAPI tcp_WSPGetSockOpt(SOCKET s, int level, int optname, char *optval, LPINT optlen,
                             LPINT lpErrno)
{
    int err = tcp_guard();
    struct tcp_sock *ts = err ? NULL : tcp_lookup(s, &err);
    if (ts == NULL)
        return tcp_fail(lpErrno, err);
    const struct tcp_opt *o = tcp_find_opt(ts, level, optname);
    if (o == NULL || o->kind == TCP_OPT_NODATA)
        return tcp_fail(lpErrno, WSAENOPROTOOPT);
    int cap;
    if (optlen == NULL || umem_read(&cap, optlen, sizeof cap) != 0)
        return tcp_fail(lpErrno, WSAEFAULT);
    switch (o->kind) {
    case TCP_OPT_INT:
    case TCP_OPT_INT_RO: {
        if (!(level == SOL_SOCKET && optname == SO_ERROR)) {
            err = tcp_opt_int_direct(ts, level, optname, optval, optlen, cap);
            break;
        }
        int v;
        socklen_t n = sizeof v;
        if (getsockopt(ts->fd, level, optname, &v, &n) != 0)
            return tcp_fail(lpErrno, errmap_from_errno(errno));
        if (v != 0)
            v = errmap_from_errno(v); /* Winsock reports WSAE* codes */
        err = tcp_opt_out(optval, optlen, cap, &v, sizeof v);
        break;
    }
    case TCP_OPT_LINGER: {
        struct linger l;
        socklen_t n = sizeof l;
        if (getsockopt(ts->fd, level, optname, &l, &n) != 0)
            return tcp_fail(lpErrno, errmap_from_errno(errno));
        err = tcp_opt_out(optval, optlen, cap, &l, sizeof l);
        break;
    }
    case TCP_OPT_ACCEPTCONN: {
        int v = atomic_load(&ts->state) == TCP_ST_LISTENING;
        err = tcp_opt_out(optval, optlen, cap, &v, sizeof v);
        break;
    }
    case TCP_OPT_INFOW:
        err = tcp_opt_out(optval, optlen, cap, &ts->proto, sizeof ts->proto);
        break;
    case TCP_OPT_INFOA: {
        WSAPROTOCOL_INFOA a;
        tcp_info_to_ansi(&ts->proto, &a);
        err = tcp_opt_out(optval, optlen, cap, &a, sizeof a);
        break;
    }
    case TCP_OPT_NODATA:
        err = WSAENOPROTOOPT;
        break;
    }
    return err ? tcp_fail(lpErrno, err) : 0;
}

int WSPAPI tcp_WSPSetSockOpt(SOCKET s, int level, int optname, const char *optval, int optlen,
                             LPINT lpErrno)
{
    int err = tcp_guard();
    struct tcp_sock *ts = err ? NULL : tcp_lookup(s, &err);
    if (ts == NULL)
        return tcp_fail(lpErrno, err);
    const struct tcp_opt *o = tcp_find_opt(ts, level, optname);
    if (o == NULL || o->kind == TCP_OPT_NODATA)
        return tcp_fail(lpErrno, WSAENOPROTOOPT); /* D9: no SO_DISCDATA on tcp */
    switch (o->kind) {
    case TCP_OPT_INT: {
        /* Winsock accepts a one-byte BOOL as well as an int. */
        int v = 0;
        if (optlen < 1)
            return tcp_fail(lpErrno, WSAEFAULT);
        if (optlen < (int)sizeof v) {
            unsigned char c;
            if (umem_read(&c, optval, 1) != 0)
                return tcp_fail(lpErrno, WSAEFAULT);
            v = c;
        } else if (umem_read(&v, optval, sizeof v) != 0) {
            return tcp_fail(lpErrno, WSAEFAULT);
        }
        if (setsockopt(ts->fd, level, optname, &v, sizeof v) != 0)
            return tcp_fail(lpErrno, errmap_from_errno(errno));
        return 0;
    }
    case TCP_OPT_LINGER: {
        struct linger l;
        if (optlen < (int)sizeof l || umem_read(&l, optval, sizeof l) != 0)
            return tcp_fail(lpErrno, WSAEFAULT);
        if (setsockopt(ts->fd, level, optname, &l, sizeof l) != 0)
            return tcp_fail(lpErrno, errmap_from_errno(errno));
        return 0;
    }
    default:
        return tcp_fail(lpErrno, WSAEINVAL); /* read-only option */
    }
}

/* ---- ioctls ------------------------------------------------------------- */
/* Each handler reports its output length in *ret, a local of tcp_WSPIoctl:
 * only tcp_WSPIoctl writes the caller's lpcbBytesReturned, through umem (D4). */
typedef int (*tcp_ioctl_fn)(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                            LPDWORD ret);

static int tcp_ioctl_fionbio(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                             LPDWORD ret)
{
    (void)out, (void)outlen;
    u_long v;
    if (inlen < sizeof v || umem_read(&v, in, sizeof v) != 0)
        return WSAEFAULT;
    /* Winsock: a socket under WSPEventSelect cannot go back to blocking. */
    if (v == 0 && atomic_load(&ts->ev_mask) != 0)
        return WSAEINVAL;
    *ret = 0;
    return tcp_set_nonblocking(ts, v != 0);
}

/* FIONREAD: the kernel writes an int, which is Winsock's 32-bit u_long, so it
 * writes straight into the caller's buffer and reports a bad one as EFAULT. */
static int tcp_ioctl_fionread(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                              LPDWORD ret)
{
    _Static_assert(sizeof(u_long) == sizeof(int), "FIONREAD's int is Winsock's u_long");
    (void)in, (void)inlen;
    if (ts->type == SOCK_STREAM && atomic_load(&ts->state) == TCP_ST_LISTENING)
        return WSAEINVAL;
    if (outlen < sizeof(u_long) || out == NULL)
        return WSAEFAULT;
    if (ioctl(ts->fd, FIONREAD, out) != 0)
        return errno == EFAULT ? WSAEFAULT : errmap_from_errno(errno);
    *ret = sizeof(u_long);
    return 0;
}

static int tcp_ioctl_atmark(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                            LPDWORD ret)
{
    (void)in, (void)inlen;
    if (ts->type != SOCK_STREAM)
        return WSAEINVAL;
    int v = 0;
    if (ioctl(ts->fd, SIOCATMARK, &v) != 0)
        return errmap_from_errno(errno);
    /* Winsock answers TRUE when there is NO urgent data to read. */
    u_long u = !v;
    if (outlen < sizeof u || umem_write(out, &u, sizeof u) != 0)
        return WSAEFAULT;
    *ret = sizeof u;
    return 0;
}

static const struct {
    DWORD code;
    tcp_ioctl_fn fn;
} tcp_ioctls[] = {
    {(DWORD)WSP_FIONBIO, tcp_ioctl_fionbio},   {(DWORD)FIONBIO, tcp_ioctl_fionbio},
    {(DWORD)WSP_FIONREAD, tcp_ioctl_fionread}, {(DWORD)FIONREAD, tcp_ioctl_fionread},
    {(DWORD)WSP_SIOCATMARK, tcp_ioctl_atmark}, {(DWORD)SIOCATMARK, tcp_ioctl_atmark},
};

int WSPAPI tcp_WSPIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
                        LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
                        LPWSAOVERLAPPED lpOverlapped,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                        LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)lpCompletionRoutine, (void)lpThreadId;
    int err = tcp_guard();
    struct tcp_sock *ts = err ? NULL : tcp_lookup(s, &err);
    if (ts == NULL)
        return tcp_fail(lpErrno, err);
    if (lpOverlapped != NULL)
        return tcp_fail(lpErrno, WSAEOPNOTSUPP);
    for (unsigned i = 0; i < sizeof tcp_ioctls / sizeof tcp_ioctls[0]; i++) {
        if (tcp_ioctls[i].code == dwIoControlCode) {
            DWORD produced = 0;
            err = tcp_ioctls[i].fn(ts, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer,
                                   &produced);
            if (err == 0 && lpcbBytesReturned != NULL)
                err = umem_write(lpcbBytesReturned, &produced, sizeof produced);
            return err ? tcp_fail(lpErrno, err) : 0;
        }
    }
    return tcp_fail(lpErrno, WSAEINVAL); /* Winsock's answer for an unknown code */
}
