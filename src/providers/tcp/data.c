/* SPDX-License-Identifier: MIT */
/* The data path: WSPSend/SendTo/Recv/RecvFrom over sendmsg/recvmsg.  Hot
 * path: no allocation and no lock — one handle lookup, one atomic state load,
 * one syscall.
 *
 * Every caller pointer is checked before the syscall, so a bad one is
 * WSAEFAULT with nothing sent or consumed (D4; check first, consume after):
 * the WSABUF array is read through umem, each data buffer is probed (one
 * access per page: the kernel would send or fill a prefix before meeting a
 * bad page, and would drop a datagram it could not copy), the byte count,
 * *lpFlags and the address out-parameters are proved writable.  umem is a
 * fault-catching copy (no syscall), so this costs a few nanoseconds; the
 * kernel's own EFAULT stays the answer for memory that goes bad in between.
 * Overlapped I/O is refused (WSAEOPNOTSUPP) for now. */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/umem.h"
#include "tcp.h"

#define TCP_MAX_IOV 64 /* WSABUFs per call; more is WSAENOBUFS (stack-bounded) */

/* Winsock flags we pass through; anything else is refused. */
static int tcp_map_flags(DWORD in, int *out)
{
    static const struct {
        DWORD wsa;
        int sys;
    } map[] = {{0x1, MSG_OOB}, {0x2, MSG_PEEK}, {0x4, MSG_DONTROUTE}, {0x8, MSG_WAITALL}};
    int sys = 0;
    for (unsigned i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (in & map[i].wsa) {
            sys |= map[i].sys;
            in &= ~map[i].wsa;
        }
    }
    *out = sys;
    return in == 0 ? 0 : WSAEOPNOTSUPP; /* MSG_PARTIAL and unknown bits */
}

/* The caller's WSABUF array as iovecs, every buffer probed: readable for a
 * send, writable for a receive (umem_check_out: the receive overwrites it). */
static int tcp_fill_iov(struct iovec *iov, LPWSABUF bufs, DWORD count, bool recv)
{
    if (count > TCP_MAX_IOV)
        return WSAENOBUFS;
    WSABUF wb[TCP_MAX_IOV];
    if (count > 0 && (bufs == NULL || umem_read(wb, bufs, count * sizeof wb[0]) != 0))
        return WSAEFAULT;
    for (DWORD i = 0; i < count; i++) {
        iov[i].iov_base = wb[i].buf;
        iov[i].iov_len = wb[i].len;
        if ((recv ? umem_check_out(wb[i].buf, wb[i].len) : umem_check_read(wb[i].buf, wb[i].len)) !=
            0)
            return WSAEFAULT;
    }
    return 0;
}

/* An out-parameter the call will write after the syscall: NULL is allowed
 * (not asked for), anything else must be writable now (umem_check_out: the
 * call overwrites it anyway). */
static int tcp_out_ok(void *p, size_t n)
{
    return p == NULL ? 0 : umem_check_out(p, n);
}

/* Write an out-parameter proved writable before the syscall.  Fails only if
 * the application unmapped it meanwhile (then WSAEFAULT). */
static int tcp_put(void *p, const void *v, size_t n)
{
    return p == NULL ? 0 : umem_write(p, v, n);
}

/* May this socket send now?  0 or the Winsock reason why not. */
static int tcp_send_allowed(struct tcp_sock *ts, bool has_dest)
{
    if (atomic_load_explicit(&ts->send_shut, memory_order_relaxed))
        return WSAESHUTDOWN;
    if (ts->type != SOCK_STREAM)
        return 0;
    (void)has_dest;
    int st = atomic_load_explicit(&ts->state, memory_order_relaxed);
    if (st == TCP_ST_CONNECTED)
        return 0;
    if (st == TCP_ST_SEND_SHUT || st == TCP_ST_RELEASED)
        return WSAESHUTDOWN;
    if (st == TCP_ST_CONNECTING && tcp_refresh_state(ts) == TCP_ST_CONNECTED)
        return 0;
    return WSAENOTCONN;
}

/* The Winsock code of a failed send/recv whose errno is err.  A blocking
 * call only sees EAGAIN when SO_SNDTIMEO/SO_RCVTIMEO ran out: WSAETIMEDOUT
 * (SOL_SOCKET options page).  A datagram socket told of an ICMP port
 * unreachable gets ECONNREFUSED from Linux; Windows reports WSAECONNRESET
 * (recv and recvfrom pages: "the remote host ... responded with a Port
 * Unreachable ICMP packet"). */
static int tcp_data_error(const struct tcp_sock *ts, int err, bool blocking)
{
    if (blocking && (err == EAGAIN || err == EWOULDBLOCK))
        return WSAETIMEDOUT;
    if (err == ECONNREFUSED && ts->type == SOCK_DGRAM)
        return WSAECONNRESET;
    return errmap_from_errno(err);
}

static int tcp_do_send(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD sent, DWORD dwFlags,
                       const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov, LPINT lpErrno)
{
    int err = tcp_guard();
    struct tcp_sock *ts = err ? NULL : tcp_lookup(s, &err);
    if (ts == NULL)
        return tcp_fail(lpErrno, err);
    if (ov != NULL)
        return tcp_fail(lpErrno, WSAEOPNOTSUPP);
    /* Windows: lpNumberOfBytesSent may be NULL only with an lpOverlapped; a
     * plain call must tell the caller how much it sent. */
    if (sent == NULL)
        return tcp_fail(lpErrno, WSAEFAULT);
    int flags;
    if ((err = tcp_map_flags(dwFlags, &flags)) != 0 || (err = tcp_send_allowed(ts, to)) != 0)
        return tcp_fail(lpErrno, err);
    struct iovec iov[TCP_MAX_IOV];
    if ((err = tcp_fill_iov(iov, bufs, count, false)) != 0 ||
        (err = tcp_out_ok(sent, sizeof *sent)) != 0)
        return tcp_fail(lpErrno, err);
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = count};
    /* lpTo is read by the kernel (EFAULT -> WSAEFAULT before anything is
     * sent); stream sockets ignore it, as on Windows. */
    if (to != NULL && ts->type != SOCK_STREAM) {
        mh.msg_name = (void *)to;
        mh.msg_namelen = (socklen_t)tolen;
    }
    ssize_t n;
    bool blocking = !atomic_load_explicit(&ts->nonblocking, memory_order_relaxed);
    if (blocking && !tcp_block_begin(ts))
        return tcp_fail(lpErrno, WSAEINTR);
    do {
        n = sys_sendmsg(ts->fd, &mh, flags | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR && blocking);
    int saved = errno;
    if (blocking)
        tcp_block_end(ts);
    if (n < 0)
        return tcp_fail(lpErrno, tcp_data_error(ts, saved, blocking));
    DWORD count_out = (DWORD)n;
    if (tcp_put(sent, &count_out, sizeof count_out) != 0)
        return tcp_fail(lpErrno, WSAEFAULT);
    return 0;
}

int WSPAPI tcp_WSPSend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                       LPDWORD lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                       LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)lpCompletionRoutine, (void)lpThreadId;
    return tcp_do_send(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, NULL, 0,
                       lpOverlapped, lpErrno);
}

int WSPAPI tcp_WSPSendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                         LPDWORD lpNumberOfBytesSent, DWORD dwFlags, const struct sockaddr *lpTo,
                         int iTolen, LPWSAOVERLAPPED lpOverlapped,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                         LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)lpCompletionRoutine, (void)lpThreadId;
    return tcp_do_send(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpTo, iTolen,
                       lpOverlapped, lpErrno);
}

static int tcp_recv_allowed(struct tcp_sock *ts)
{
    if (atomic_load_explicit(&ts->recv_shut, memory_order_relaxed))
        return WSAESHUTDOWN;
    if (ts->type != SOCK_STREAM)
        return 0;
    int st = atomic_load_explicit(&ts->state, memory_order_relaxed);
    /* D6/C10: after our own FIN the receive side stays open. */
    if (st == TCP_ST_CONNECTED || st == TCP_ST_SEND_SHUT || st == TCP_ST_RELEASED)
        return 0;
    if (st == TCP_ST_CONNECTING && tcp_refresh_state(ts) == TCP_ST_CONNECTED)
        return 0;
    return WSAENOTCONN;
}

static int tcp_do_recv(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got, LPDWORD lpFlags,
                       struct sockaddr *from, LPINT fromlen, LPWSAOVERLAPPED ov, LPINT lpErrno)
{
    int err = tcp_guard();
    struct tcp_sock *ts = err ? NULL : tcp_lookup(s, &err);
    if (ts == NULL)
        return tcp_fail(lpErrno, err);
    if (ov != NULL)
        return tcp_fail(lpErrno, WSAEOPNOTSUPP);
    /* *lpFlags is read now and written after the receive: both checked first.
     * Windows: lpFlags is a required in/out parameter, and lpNumberOfBytesRecvd
     * may be NULL only with an lpOverlapped: NULL would consume data whose
     * length (or MSG_PARTIAL) the caller could never learn. */
    DWORD inflags = 0;
    if (lpFlags == NULL || got == NULL || umem_read(&inflags, lpFlags, sizeof inflags) != 0 ||
        tcp_out_ok(lpFlags, sizeof *lpFlags) != 0)
        return tcp_fail(lpErrno, WSAEFAULT);
    int flags;
    if ((err = tcp_map_flags(inflags, &flags)) != 0 || (err = tcp_recv_allowed(ts)) != 0)
        return tcp_fail(lpErrno, err);
    struct iovec iov[TCP_MAX_IOV];
    if ((err = tcp_fill_iov(iov, bufs, count, true)) != 0 ||
        (err = tcp_out_ok(got, sizeof *got)) != 0)
        return tcp_fail(lpErrno, err);
    struct sockaddr_storage ss;
    int addrlen = 0;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = count};
    /* The sender's address (datagram sockets only: Windows ignores lpFrom on
     * connection-oriented ones).  Windows' WSARecvFrom: WSAEFAULT when
     * lpFrom/lpFromlen are not valid or *lpFromlen is too small for the
     * address — decided here, before the datagram is taken, so it stays
     * queued for a corrected call. */
    if (from != NULL && ts->type != SOCK_STREAM) {
        int cap;
        addrlen = tcp_sockaddr_len(ts->af);
        if (fromlen == NULL || umem_read(&cap, fromlen, sizeof cap) != 0 ||
            tcp_out_ok(fromlen, sizeof *fromlen) != 0 || cap < addrlen ||
            umem_check_out(from, (size_t)addrlen) != 0)
            return tcp_fail(lpErrno, WSAEFAULT);
        mh.msg_name = &ss;
        mh.msg_namelen = sizeof ss;
    }
    ssize_t n;
    bool blocking = !atomic_load_explicit(&ts->nonblocking, memory_order_relaxed);
    if (blocking && !tcp_block_begin(ts))
        return tcp_fail(lpErrno, WSAEINTR);
    do {
        n = sys_recvmsg(ts->fd, &mh, flags);
    } while (n < 0 && errno == EINTR && blocking);
    int saved = errno;
    if (blocking) {
        tcp_block_end(ts);
        /* Woken by WSPCloseSocket (its shutdown makes recv return 0): Winsock
         * reports the interrupted blocking call as WSAEINTR. */
        if (atomic_load(&ts->closing))
            return tcp_fail(lpErrno, WSAEINTR);
    }
    if (n < 0)
        return tcp_fail(lpErrno, tcp_data_error(ts, saved, blocking));
    if (atomic_load_explicit(&ts->ev_mask, memory_order_relaxed) & FD_READ) {
        /* A stream recv that did not fill its buffers took all there was; a
         * datagram recv takes one message whatever is left, so ask. */
        size_t room = 0;
        for (DWORD i = 0; i < count; i++)
            room += iov[i].iov_len;
        if (ts->type != SOCK_STREAM || (n > 0 && (size_t)n == room))
            tcp_events_rearm(ts, FD_READ);
    }
    if (ts->type != SOCK_STREAM && (mh.msg_flags & MSG_TRUNC))
        return tcp_fail(lpErrno, WSAEMSGSIZE); /* Winsock: truncated datagram */
    if (mh.msg_name != NULL) {
        /* The kernel's length is the family's (checked against *lpFromlen). */
        int outlen = (int)mh.msg_namelen < addrlen ? (int)mh.msg_namelen : addrlen;
        if (umem_write(from, &ss, (size_t)outlen) != 0 ||
            umem_write(fromlen, &outlen, sizeof outlen) != 0)
            return tcp_fail(lpErrno, WSAEFAULT);
    }
    DWORD count_out = (DWORD)n, flags_out = 0;
    if (tcp_put(got, &count_out, sizeof count_out) != 0 ||
        tcp_put(lpFlags, &flags_out, sizeof flags_out) != 0)
        return tcp_fail(lpErrno, WSAEFAULT);
    return 0;
}

int WSPAPI tcp_WSPRecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                       LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                       LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)lpCompletionRoutine, (void)lpThreadId;
    return tcp_do_recv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, NULL, NULL,
                       lpOverlapped, lpErrno);
}

int WSPAPI tcp_WSPRecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                           LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, struct sockaddr *lpFrom,
                           LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                           LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)lpCompletionRoutine, (void)lpThreadId;
    return tcp_do_recv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpFrom,
                       lpFromlen, lpOverlapped, lpErrno);
}
