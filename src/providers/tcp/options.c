/* SPDX-License-Identifier: MIT */
/* Socket options and ioctls, as tables.  The API uses the platform's
 * SOL_/SO_/IPPROTO_/IP_/IPV6_/TCP_ numbers (D12) with Windows' value layouts
 * and meanings: each row says which kernel option carries it and how its
 * value is converted (a DWORD of milliseconds for SO_RCVTIMEO where Linux
 * wants a struct timeval, say).  Winsock-only ones (SO_PROTOCOL_INFOW/A, the
 * SO_CONN... and SO_DISC... family, SO_EXCLUSIVEADDRUSE, ...) are answered
 * here. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <wsp/mstcpip.h>
#include <wsp/mswsock.h>
#include <wsp/ws2ipdef.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/pollstate.h"
#include "common/spi_opt.h"
#include "common/umem.h"
#include "tcp.h"

enum tcp_opt_kind {
    TCP_OPT_INT,        /* int/BOOL/DWORD passed to the kernel */
    TCP_OPT_INT_RO,     /* int read from the kernel, not settable */
    TCP_OPT_LINGER,     /* struct linger passed to the kernel */
    TCP_OPT_MS,         /* Windows: DWORD milliseconds; kernel: struct timeval */
    TCP_OPT_MREQ,       /* a membership request, same layout on both, set only */
    TCP_OPT_FLAG,       /* a BOOL kept by the provider (SO_REUSEADDR & co.) */
    TCP_OPT_INFOW,      /* WSAPROTOCOL_INFOW of the socket, read only */
    TCP_OPT_INFOA,      /* WSAPROTOCOL_INFOA of the socket, read only */
    TCP_OPT_ACCEPTCONN, /* from our own state, read only */
    TCP_OPT_NODATA,     /* connect/disconnect data: not supported (D9, C6) */
};

enum { TCP_ANY = 0 }; /* socket type restriction of a row: none */

static const struct tcp_opt {
    int level;
    int name;
    enum tcp_opt_kind kind;
    int only;    /* SOCK_STREAM or SOCK_DGRAM: the option exists only there */
    int kname;   /* the kernel's option at the same level, if not `name` */
    size_t size; /* TCP_OPT_MREQ: the request's size */
} tcp_opts[] = {
    {SOL_SOCKET, SO_LINGER, TCP_OPT_LINGER, SOCK_STREAM, 0, 0},
    {SOL_SOCKET, SO_REUSEADDR, TCP_OPT_FLAG, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_EXCLUSIVEADDRUSE, TCP_OPT_FLAG, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_CONDITIONAL_ACCEPT, TCP_OPT_FLAG, SOCK_STREAM, 0, 0},
    {SOL_SOCKET, SO_RCVBUF, TCP_OPT_INT, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_SNDBUF, TCP_OPT_INT, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_RCVTIMEO, TCP_OPT_MS, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_SNDTIMEO, TCP_OPT_MS, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_KEEPALIVE, TCP_OPT_INT, SOCK_STREAM, 0, 0},
    {SOL_SOCKET, SO_BROADCAST, TCP_OPT_INT, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_ERROR, TCP_OPT_INT_RO, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_TYPE, TCP_OPT_INT_RO, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_ACCEPTCONN, TCP_OPT_ACCEPTCONN, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_PROTOCOL_INFOW, TCP_OPT_INFOW, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_PROTOCOL_INFOA, TCP_OPT_INFOA, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_CONNDATA, TCP_OPT_NODATA, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_CONNOPT, TCP_OPT_NODATA, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_DISCDATA, TCP_OPT_NODATA, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_DISCOPT, TCP_OPT_NODATA, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_CONNDATALEN, TCP_OPT_NODATA, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_CONNOPTLEN, TCP_OPT_NODATA, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_DISCDATALEN, TCP_OPT_NODATA, TCP_ANY, 0, 0},
    {SOL_SOCKET, SO_DISCOPTLEN, TCP_OPT_NODATA, TCP_ANY, 0, 0},
    {IPPROTO_TCP, TCP_NODELAY, TCP_OPT_INT, SOCK_STREAM, 0, 0},
    {IPPROTO_TCP, TCP_KEEPIDLE, TCP_OPT_INT, SOCK_STREAM, 0, 0}, /* = Windows' TCP_KEEPALIVE */
    {IPPROTO_TCP, TCP_KEEPINTVL, TCP_OPT_INT, SOCK_STREAM, 0, 0},
    {IPPROTO_TCP, TCP_KEEPCNT, TCP_OPT_INT, SOCK_STREAM, 0, 0},
    {IPPROTO_IP, IP_TTL, TCP_OPT_INT, TCP_ANY, 0, 0},
    {IPPROTO_IP, IP_TOS, TCP_OPT_INT, TCP_ANY, 0, 0},
    {IPPROTO_IP, IP_MULTICAST_IF, TCP_OPT_INT, SOCK_DGRAM, 0, 0}, /* an in_addr, as a DWORD */
    {IPPROTO_IP, IP_MULTICAST_TTL, TCP_OPT_INT, SOCK_DGRAM, 0, 0},
    {IPPROTO_IP, IP_MULTICAST_LOOP, TCP_OPT_INT, SOCK_DGRAM, 0, 0},
    {IPPROTO_IP, IP_ADD_MEMBERSHIP, TCP_OPT_MREQ, SOCK_DGRAM, 0, sizeof(struct ip_mreq)},
    {IPPROTO_IP, IP_DROP_MEMBERSHIP, TCP_OPT_MREQ, SOCK_DGRAM, 0, sizeof(struct ip_mreq)},
    /* the destination address of each datagram, for WSARecvMsg (recv_ctl.c) */
    {IPPROTO_IP, IP_PKTINFO, TCP_OPT_INT, SOCK_DGRAM, 0, 0},
    {IPPROTO_IPV6, IPV6_V6ONLY, TCP_OPT_INT, TCP_ANY, 0, 0},
    {IPPROTO_IPV6, IPV6_UNICAST_HOPS, TCP_OPT_INT, TCP_ANY, 0, 0},
    {IPPROTO_IPV6, IPV6_MULTICAST_IF, TCP_OPT_INT, SOCK_DGRAM, 0, 0},
    {IPPROTO_IPV6, IPV6_MULTICAST_HOPS, TCP_OPT_INT, SOCK_DGRAM, 0, 0},
    {IPPROTO_IPV6, IPV6_MULTICAST_LOOP, TCP_OPT_INT, SOCK_DGRAM, 0, 0},
    {IPPROTO_IPV6, IPV6_JOIN_GROUP, TCP_OPT_MREQ, SOCK_DGRAM, 0, sizeof(struct ipv6_mreq)},
    {IPPROTO_IPV6, IPV6_LEAVE_GROUP, TCP_OPT_MREQ, SOCK_DGRAM, 0, sizeof(struct ipv6_mreq)},
    /* Windows' IPV6_PKTINFO is a BOOL that asks for the control message:
     * Linux's IPV6_RECVPKTINFO (its IPV6_PKTINFO is the sticky option) */
    {IPPROTO_IPV6, IPV6_PKTINFO, TCP_OPT_INT, SOCK_DGRAM, IPV6_RECVPKTINFO, 0},
};

/* Where the provider keeps a TCP_OPT_FLAG option. */
static atomic_bool *tcp_opt_flag(struct tcp_sock *ts, int name)
{
    if (name == SO_REUSEADDR)
        return &ts->reuse_addr;
    if (name == SO_EXCLUSIVEADDRUSE)
        return &ts->excl_addr;
    return &ts->cond_accept;
}

static int tcp_kname(const struct tcp_opt *o)
{
    return o->kname != 0 ? o->kname : o->name;
}

static const struct tcp_opt *tcp_find_opt(struct tcp_sock *ts, int level, int name)
{
    for (unsigned i = 0; i < sizeof tcp_opts / sizeof tcp_opts[0]; i++)
        if (tcp_opts[i].level == level && tcp_opts[i].name == name)
            return tcp_opts[i].only != TCP_ANY && tcp_opts[i].only != ts->type ? NULL
                                                                               : &tcp_opts[i];
    return NULL;
}

/* An int option the kernel answers in the caller's own layout: hand it the
 * caller's optval/optlen, and it reports a bad pointer as EFAULT (D4) without
 * a copy through umem.  cap was read from *optlen already, so a too small
 * buffer is WSAEFAULT here, where Linux would truncate. */
static int tcp_opt_int_direct(struct tcp_sock *ts, int level, int name, char *optval, LPINT optlen,
                              int cap)
{
    _Static_assert(sizeof(int) == sizeof(socklen_t), "optlen is passed as the kernel's socklen_t");
    if (cap < (int)sizeof(int))
        return spi_opt_too_small(optlen, sizeof(int));
    if (optval == NULL)
        return WSAEFAULT;
    if (sys_getsockopt(ts->fd, level, name, optval, (socklen_t *)(void *)optlen) != 0)
        return errno == EFAULT ? WSAEFAULT : errmap_from_errno(errno);
    return 0;
}

int WSPAPI tcp_WSPGetSockOpt(SOCKET s, int level, int optname, char *optval, LPINT optlen,
                             LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (tcp_ext_getsockopt(ts, level, optname, optval, optlen, &err))
        return err ? spi_fail(lpErrno, err) : 0;
    const struct tcp_opt *o = tcp_find_opt(ts, level, optname);
    if (o == NULL || o->kind == TCP_OPT_NODATA)
        return spi_fail(lpErrno, WSAENOPROTOOPT);
    int cap;
    if (optlen == NULL || umem_read(&cap, optlen, sizeof cap) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    switch (o->kind) {
    case TCP_OPT_INT:
    case TCP_OPT_INT_RO: {
        if (!(level == SOL_SOCKET && optname == SO_ERROR)) {
            err = tcp_opt_int_direct(ts, level, tcp_kname(o), optval, optlen, cap);
            break;
        }
        int v;
        socklen_t n = sizeof v;
        if (sys_getsockopt(ts->fd, level, optname, &v, &n) != 0)
            return spi_fail(lpErrno, errmap_from_errno(errno));
        if (v != 0)
            v = errmap_from_errno(v); /* Winsock reports WSAE* codes */
        err = spi_opt_out_cap(optval, optlen, cap, &v, sizeof v);
        break;
    }
    case TCP_OPT_LINGER: {
        struct linger l;
        socklen_t n = sizeof l;
        if (sys_getsockopt(ts->fd, level, optname, &l, &n) != 0)
            return spi_fail(lpErrno, errmap_from_errno(errno));
        err = spi_opt_out_cap(optval, optlen, cap, &l, sizeof l);
        break;
    }
    case TCP_OPT_MS: {
        /* the value as set: Windows reads back what it was given, the kernel
         * would answer in whole clock ticks (150 ms -> 152 ms at HZ=250) */
        DWORD ms = atomic_load(&ts->timeo_ms[optname == SO_SNDTIMEO]);
        err = spi_opt_out_cap(optval, optlen, cap, &ms, sizeof ms);
        break;
    }
    case TCP_OPT_FLAG: {
        int v = atomic_load(tcp_opt_flag(ts, optname));
        err = spi_opt_out_cap(optval, optlen, cap, &v, sizeof v);
        break;
    }
    case TCP_OPT_MREQ: /* Windows: set only */
        err = WSAENOPROTOOPT;
        break;
    case TCP_OPT_ACCEPTCONN: {
        int v = atomic_load(&ts->state) == TCP_ST_LISTENING;
        err = spi_opt_out_cap(optval, optlen, cap, &v, sizeof v);
        break;
    }
    case TCP_OPT_INFOW:
    case TCP_OPT_INFOA:
        err = spi_opt_out_proto(optval, optlen, &ts->proto, optname);
        break;
    case TCP_OPT_NODATA:
        err = WSAENOPROTOOPT;
        break;
    }
    return err ? spi_fail(lpErrno, err) : 0;
}

/* Windows' SO_REUSEADDR lets a socket bind an address already in use by other
 * sockets that set it too; Linux's SO_REUSEPORT is the nearest (it needs every
 * socket on the port to have it, so a socket without it, or with
 * SO_EXCLUSIVEADDRUSE, keeps its port to itself).  Linux's SO_REUSEADDR goes
 * with it (binding over connections in TIME_WAIT). */
int tcp_opt_prepare_bind(struct tcp_sock *ts)
{
    int on = atomic_load(&ts->reuse_addr);
    if (sys_setsockopt(ts->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        sys_setsockopt(ts->fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        return errmap_from_errno(errno);
    return 0;
}

/* "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE": a bind with SO_REUSEADDR onto
 * an address whose owner does not share it is refused as access denied
 * (WSAEACCES); without SO_REUSEADDR it is WSAEADDRINUSE. */
int tcp_opt_bind_error(struct tcp_sock *ts, int err)
{
    if (err == EADDRINUSE && atomic_load(&ts->reuse_addr))
        return WSAEACCES;
    return errmap_from_errno(err);
}

int WSPAPI tcp_WSPSetSockOpt(SOCKET s, int level, int optname, const char *optval, int optlen,
                             LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (tcp_ext_setsockopt(ts, level, optname, optval, optlen, &err))
        return err ? spi_fail(lpErrno, err) : 0;
    const struct tcp_opt *o = tcp_find_opt(ts, level, optname);
    if (o == NULL || o->kind == TCP_OPT_NODATA)
        return spi_fail(lpErrno, WSAENOPROTOOPT); /* D9: no SO_DISCDATA on tcp */
    switch (o->kind) {
    case TCP_OPT_INT: {
        int v;
        if ((err = spi_opt_in_bool(optval, optlen, &v)) != 0)
            return spi_fail(lpErrno, err);
        if (sys_setsockopt(ts->fd, level, tcp_kname(o), &v, sizeof v) != 0)
            return spi_fail(lpErrno, errmap_from_errno(errno));
        return 0;
    }
    case TCP_OPT_MS: {
        /* SO_RCVTIMEO/SO_SNDTIMEO page: a DWORD of milliseconds, 0 = never */
        DWORD ms;
        if (spi_opt_in(optval, optlen, &ms, sizeof ms) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
        struct timeval tv = {.tv_sec = (time_t)(ms / 1000u), .tv_usec = (long)(ms % 1000u) * 1000};
        if (sys_setsockopt(ts->fd, level, optname, &tv, sizeof tv) != 0)
            return spi_fail(lpErrno, errmap_from_errno(errno));
        atomic_store(&ts->timeo_ms[optname == SO_SNDTIMEO], ms);
        return 0;
    }
    case TCP_OPT_MREQ: {
        unsigned char req[sizeof(struct ipv6_mreq)];
        _Static_assert(sizeof(struct ipv6_mreq) >= sizeof(struct ip_mreq), "room for both");
        if (spi_opt_in(optval, optlen, req, o->size) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
        if (sys_setsockopt(ts->fd, level, tcp_kname(o), req, (socklen_t)o->size) != 0)
            return spi_fail(lpErrno, errmap_from_errno(errno));
        return 0;
    }
    case TCP_OPT_FLAG: {
        int v;
        if ((err = spi_opt_in_bool(optval, optlen, &v)) != 0)
            return spi_fail(lpErrno, err);
        /* "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE": the two exclude each
         * other; setting one while the other is on fails with WSAEINVAL. */
        atomic_bool *other = optname == SO_REUSEADDR          ? &ts->excl_addr
                             : optname == SO_EXCLUSIVEADDRUSE ? &ts->reuse_addr
                                                              : NULL;
        if (v != 0 && other != NULL && atomic_load(other))
            return spi_fail(lpErrno, WSAEINVAL);
        atomic_store(tcp_opt_flag(ts, optname), v != 0);
        return 0;
    }
    case TCP_OPT_LINGER: {
        struct linger l;
        if (spi_opt_in(optval, optlen, &l, sizeof l) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
        if (sys_setsockopt(ts->fd, level, optname, &l, sizeof l) != 0)
            return spi_fail(lpErrno, errmap_from_errno(errno));
        return 0;
    }
    default:
        return spi_fail(lpErrno, WSAEINVAL); /* read-only option */
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
    if (sys_ioctl(ts->fd, FIONREAD, out) != 0)
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
    if (sys_ioctl(ts->fd, SIOCATMARK, &v) != 0)
        return errmap_from_errno(errno);
    /* Winsock answers TRUE when there is NO urgent data to read. */
    u_long u = !v;
    if (outlen < sizeof u || umem_write(out, &u, sizeof u) != 0)
        return WSAEFAULT;
    *ret = sizeof u;
    return 0;
}

/* SIO_KEEPALIVE_VALS: Windows' milliseconds become the kernel's seconds
 * (rounded up, at least 1); the probe count is Windows' fixed 10 ("TCP
 * keep-alive": 10 probes since Windows Vista). */
static int tcp_ioctl_keepalive(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out,
                               DWORD outlen, LPDWORD ret)
{
    (void)out, (void)outlen;
    struct tcp_keepalive ka;
    if (ts->type != SOCK_STREAM)
        return WSAEINVAL;
    if (inlen < sizeof ka || umem_read(&ka, in, sizeof ka) != 0)
        return WSAEFAULT;
    int on = ka.onoff != 0;
    int idle = (int)((ka.keepalivetime + 999u) / 1000u);
    int intvl = (int)((ka.keepaliveinterval + 999u) / 1000u);
    int cnt = 10;
    idle = idle < 1 ? 1 : idle;
    intvl = intvl < 1 ? 1 : intvl;
    if (sys_setsockopt(ts->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0 ||
        (on && (sys_setsockopt(ts->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0 ||
                sys_setsockopt(ts->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl) != 0 ||
                sys_setsockopt(ts->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) != 0)))
        return errmap_from_errno(errno);
    *ret = 0;
    return 0;
}

/* WSP_SIO_POLL_STATE (common/pollstate.h): the POLLERR/POLLHUP that hold.
 * Linux reports POLLHUP for a stream socket that was never connected (its
 * state is CLOSE); Windows' POLLHUP means "a stream-oriented connection was
 * either disconnected or aborted" (WSAPOLLFD page), so a socket that never had
 * a connection shows it only with an error (a failed connect). */
static int tcp_ioctl_poll_state(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out,
                                DWORD outlen, LPDWORD ret)
{
    (void)in, (void)inlen;
    struct pollfd p = {.fd = ts->fd, .events = 0};
    if (sys_poll(&p, 1, 0) < 0)
        return errmap_from_errno(errno);
    DWORD bits = (DWORD)(p.revents & (POLLERR | POLLHUP));
    int st = tcp_refresh_state(ts);
    bool had_conn = st == TCP_ST_CONNECTED || st == TCP_ST_SEND_SHUT || st == TCP_ST_RELEASED;
    if (ts->type == SOCK_STREAM && !had_conn && !(bits & POLLERR))
        bits &= ~(DWORD)POLLHUP;
    if (ts->type == SOCK_STREAM && st == TCP_ST_LISTENING)
        bits = 0;
    if (outlen < sizeof bits || umem_write(out, &bits, sizeof bits) != 0)
        return WSAEFAULT;
    *ret = sizeof bits;
    return 0;
}

static const struct {
    DWORD code;
    tcp_ioctl_fn fn;
} tcp_ioctls[] = {
    {WSP_SIO_POLL_STATE, tcp_ioctl_poll_state},
    {(DWORD)SIO_KEEPALIVE_VALS, tcp_ioctl_keepalive},
    {(DWORD)SIO_ROUTING_INTERFACE_QUERY, tcp_ioctl_route_query},
    {(DWORD)SIO_ADDRESS_LIST_QUERY, tcp_ioctl_addr_list},
    {(DWORD)SIO_GET_INTERFACE_LIST, tcp_ioctl_if_list},
    {(DWORD)WSP_FIONBIO, tcp_ioctl_fionbio},
    {(DWORD)FIONBIO, tcp_ioctl_fionbio},
    {(DWORD)WSP_FIONREAD, tcp_ioctl_fionread},
    {(DWORD)FIONREAD, tcp_ioctl_fionread},
    {(DWORD)WSP_SIOCATMARK, tcp_ioctl_atmark},
    {(DWORD)SIOCATMARK, tcp_ioctl_atmark},
    {(DWORD)SIO_WSP_CANCEL_OVERLAPPED, tcp_ioctl_cancel},
    {(DWORD)SIO_WSP_CANCEL_OVERLAPPED_THREAD, tcp_ioctl_cancel_thread},
    {(DWORD)SIO_GET_EXTENSION_FUNCTION_POINTER, tcp_ioctl_ext},
};

int WSPAPI tcp_WSPIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
                        LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
                        LPWSAOVERLAPPED lpOverlapped,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                        LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    for (unsigned i = 0; i < sizeof tcp_ioctls / sizeof tcp_ioctls[0]; i++) {
        if (tcp_ioctls[i].code == dwIoControlCode) {
            /* On an overlapped socket an lpOverlapped gets its completion
             * report (every code here finishes at once); elsewhere it is
             * ignored, as Windows does. */
            struct ovl_op *op = NULL;
            if (lpOverlapped != NULL && ts->overlapped) {
                if (!ovl_available())
                    return spi_fail(lpErrno, WSAEOPNOTSUPP);
                if ((err = ovl_op_new(s, lpOverlapped, lpCompletionRoutine, lpThreadId, NULL, 0, 0,
                                      NULL, &op)) != 0)
                    return spi_fail(lpErrno, err);
            }
            DWORD produced = 0;
            err =
                tcp_ioctls[i].fn(ts, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer, &produced);
            /* a too small buffer also reports the size needed (WSAIoctl page) */
            if ((err == 0 || produced != 0) && lpcbBytesReturned != NULL) {
                int werr = umem_write(lpcbBytesReturned, &produced, sizeof produced);
                err = err != 0 ? err : werr;
            }
            ovl_settle(op, err, produced);
            return err ? spi_fail(lpErrno, err) : 0;
        }
    }
    return spi_fail(lpErrno, WSAEINVAL); /* Winsock's answer for an unknown code */
}
