/* SPDX-License-Identifier: MIT */
/* The data path: WSPSend/SendTo/Recv/RecvFrom over send/recv (one buffer,
 * no address) or sendmsg/recvmsg.  Hot path: no allocation and no lock — one
 * handle lookup, one atomic state load, one syscall.
 *
 * Every caller pointer is checked before the syscall, so a bad one is
 * WSAEFAULT with nothing sent or consumed (D4; check first, consume after):
 * the WSABUF array is read through umem, each data buffer is probed (one
 * access per page: the kernel would send or fill a prefix before meeting a
 * bad page, and would drop a datagram it could not copy), the byte count,
 * *lpFlags and the address out-parameters are proved writable.  umem is a
 * fault-catching copy (no syscall), so this costs a few nanoseconds; the
 * kernel's own EFAULT stays the answer for memory that goes bad in between.
 * An lpOverlapped on an overlapped socket leaves at the first branch for
 * ovl_submit.c; on any other socket it is ignored (Windows' rule), so the
 * plain path is this one for both. */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/umem.h"
#include "data_check.h"
#include "tcp.h"

/* The caller's WSABUF array as iovecs, every buffer probed: readable for a
 * send, writable for a receive (umem_check_out: the receive overwrites it).
 * The caller has called umem_ready().
 * Inline, as are the umem accessors: for the usual one buffer this is one
 * 16-octet copy and one probe per page, no call but into the fault-catching
 * routines. */
static inline int tcp_fill_iov(struct iovec *iov, LPWSABUF bufs, DWORD count, bool recv)
{
    if (count == 1) {
        /* the usual call: no loop, a copy of known size (umem's 16-octet
         * routine) */
        WSABUF b;
        if (umem_read_up(&b, bufs, sizeof b) != 0)
            return WSAEFAULT;
        iov[0].iov_base = b.buf;
        iov[0].iov_len = b.len;
        return (recv ? umem_check_out_up(b.buf, b.len) : umem_check_read_up(b.buf, b.len)) != 0
                   ? WSAEFAULT
                   : 0;
    }
    if (count > TCP_MAX_IOV)
        return WSAENOBUFS;
    WSABUF wb[TCP_MAX_IOV];
    if (count > 0 && umem_read_up(wb, bufs, count * sizeof wb[0]) != 0)
        return WSAEFAULT;
    for (DWORD i = 0; i < count; i++) {
        iov[i].iov_base = wb[i].buf;
        iov[i].iov_len = wb[i].len;
        if ((recv ? umem_check_out_up(wb[i].buf, wb[i].len)
                  : umem_check_read_up(wb[i].buf, wb[i].len)) != 0)
            return WSAEFAULT;
    }
    return 0;
}

/* Any send without an lpOverlapped (or with one on a socket that is not
 * overlapped): several WSABUFs, an address, flags.  Out of line: the usual
 * call takes tcp_send_one below. */
static __attribute__((noinline)) int tcp_send_body(struct tcp_sock *ts, LPWSABUF bufs, DWORD count,
                                                   LPDWORD sent, DWORD dwFlags,
                                                   const struct sockaddr *to, int tolen,
                                                   LPINT lpErrno)
{
    int err;
    umem_ready(); /* once for the accesses below (the _up forms) */
    /* Windows: lpNumberOfBytesSent may be NULL only with an lpOverlapped; a
     * plain call must tell the caller how much it sent. */
    if (sent == NULL)
        return spi_fail(lpErrno, WSAEFAULT);
    int flags;
    if ((err = tcp_map_flags(dwFlags, &flags)) != 0 || (err = tcp_send_allowed(ts, to)) != 0)
        return spi_fail(lpErrno, err);
    struct iovec iov[TCP_MAX_IOV];
    if ((err = tcp_fill_iov(iov, bufs, count, false)) != 0 ||
        (err = umem_check_out_up(sent, sizeof *sent)) != 0)
        return spi_fail(lpErrno, err);
    /* lpTo is read by the kernel (EFAULT -> WSAEFAULT before anything is
     * sent); stream sockets ignore it, as on Windows. */
    bool addr = to != NULL && ts->type != SOCK_STREAM;
    ssize_t n;
    bool blocking = !atomic_load_explicit(&ts->nonblocking, memory_order_relaxed);
    if (blocking && !tcp_block_begin(ts))
        return spi_fail(lpErrno, WSAEINTR);
    do {
        /* One buffer and no address: send(2), the kernel's shorter path
         * (no msghdr and iovec array to copy in). */
        if (count == 1 && !addr) {
            n = sys_send(ts->fd, iov[0].iov_base, iov[0].iov_len, flags | MSG_NOSIGNAL);
        } else {
            struct msghdr mh = {.msg_iov = iov, .msg_iovlen = count};
            if (addr) {
                mh.msg_name = (void *)to;
                mh.msg_namelen = (socklen_t)tolen;
            }
            n = sys_sendmsg(ts->fd, &mh, flags | MSG_NOSIGNAL);
        }
    } while (n < 0 && blocking && errno == EINTR);
    if (blocking)
        tcp_block_end(ts); /* atomic: errno stays */
    if (n < 0)
        return spi_fail(lpErrno, tcp_data_error(ts, errno, blocking));
    DWORD count_out = (DWORD)n;
    if (umem_write_up(sent, &count_out, sizeof count_out) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    return 0;
}

static int tcp_do_send(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD sent, DWORD dwFlags,
                       const struct sockaddr *to, int tolen, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    return tcp_send_body(ts, bufs, count, sent, dwFlags, to, tolen, lpErrno);
}

/* The call of nearly every program: one WSABUF, no address, no lpOverlapped
 * (wsp_send, WSASend with one buffer).  tcp_send_body's checks in the same
 * order with the same answers, written for one buffer so that the entry
 * point is one small frame (callgrind: a third fewer instructions than the
 * general body, whose WSABUF and iovec arrays and loop keep more registers
 * live; docs/performance.md). */
static inline __attribute__((always_inline)) int tcp_send_one(SOCKET s, LPWSABUF bufs, LPDWORD sent,
                                                              DWORD dwFlags, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    /* no umem_ready(): tcp_enter passed the C9 guard, so WSPStartup has run,
     * and it installed umem (spi_start.c) */
    if (sent == NULL)
        return spi_fail(lpErrno, WSAEFAULT);
    int flags;
    if ((err = tcp_map_flags(dwFlags, &flags)) != 0 || (err = tcp_send_allowed(ts, false)) != 0)
        return spi_fail(lpErrno, err);
    WSABUF b;
    if (umem_read_up(&b, bufs, sizeof b) != 0 || umem_check_read_up(b.buf, b.len) != 0 ||
        umem_check_out_up(sent, sizeof *sent) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    bool blocking = !atomic_load_explicit(&ts->nonblocking, memory_order_relaxed);
    if (blocking && !tcp_block_begin(ts))
        return spi_fail(lpErrno, WSAEINTR);
    ssize_t n;
    do {
        n = sys_send(ts->fd, b.buf, b.len, flags | MSG_NOSIGNAL);
    } while (n < 0 && blocking && errno == EINTR);
    if (blocking)
        tcp_block_end(ts); /* atomic: errno stays */
    if (n < 0)
        return spi_fail(lpErrno, tcp_data_error(ts, errno, blocking));
    DWORD count_out = (DWORD)n;
    if (umem_write_up(sent, &count_out, sizeof count_out) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    return 0;
}

/* A call with an lpOverlapped: the overlapped path on an overlapped socket,
 * else the plain call (Windows ignores lpOverlapped there). */
static int tcp_send_ov(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD sent, DWORD dwFlags,
                       const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread,
                       LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (!ts->overlapped)
        return tcp_do_send(s, bufs, count, sent, dwFlags, to, tolen, lpErrno);
    return tcp_ovl_send(ts, bufs, count, sent, dwFlags, to, tolen, ov, routine, thread, lpErrno);
}

/* The entry points test lpOverlapped and nothing more before the plain
 * call. The overlapped branch goes to a function of the entry point's own
 * signature, kept out of line, so that both branches stay plain jumps and
 * the plain call pays only the test (callgrind: bench/run.sh). */
static __attribute__((noinline)) int tcp_send_ov9(SOCKET s, LPWSABUF bufs, DWORD count,
                                                  LPDWORD sent, DWORD dwFlags, LPWSAOVERLAPPED ov,
                                                  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                                                  LPWSATHREADID thread, LPINT lpErrno)
{
    return tcp_send_ov(s, bufs, count, sent, dwFlags, NULL, 0, ov, routine, thread, lpErrno);
}

static __attribute__((noinline)) int
tcp_sendto_ov11(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD sent, DWORD dwFlags,
                const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov,
                LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread, LPINT lpErrno)
{
    return tcp_send_ov(s, bufs, count, sent, dwFlags, to, tolen, ov, routine, thread, lpErrno);
}

int WSPAPI tcp_WSPSend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                       LPDWORD lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                       LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    if (lpOverlapped != NULL)
        return tcp_send_ov9(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped,
                            lpCompletionRoutine, lpThreadId, lpErrno);
    if (dwBufferCount == 1)
        return tcp_send_one(s, lpBuffers, lpNumberOfBytesSent, dwFlags, lpErrno);
    return tcp_do_send(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, NULL, 0, lpErrno);
}

int WSPAPI tcp_WSPSendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                         LPDWORD lpNumberOfBytesSent, DWORD dwFlags, const struct sockaddr *lpTo,
                         int iTolen, LPWSAOVERLAPPED lpOverlapped,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                         LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    if (lpOverlapped != NULL)
        return tcp_sendto_ov11(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpTo,
                               iTolen, lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
    return tcp_do_send(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpTo, iTolen,
                       lpErrno);
}

/* Any receive without an lpOverlapped (or with one on a socket that is not
 * overlapped), as tcp_send_body. */
static __attribute__((noinline)) int tcp_recv_body(struct tcp_sock *ts, LPWSABUF bufs, DWORD count,
                                                   LPDWORD got, LPDWORD lpFlags,
                                                   struct sockaddr *from, LPINT fromlen,
                                                   const struct tcp_ctl *ctl, LPINT lpErrno)
{
    int err;
    umem_ready(); /* once for the accesses below (the _up forms) */
    /* *lpFlags is read now and written after the receive: both checked first.
     * Windows: lpFlags is a required in/out parameter, and lpNumberOfBytesRecvd
     * may be NULL only with an lpOverlapped: NULL would consume data whose
     * length (or MSG_PARTIAL) the caller could never learn. */
    DWORD inflags = 0;
    if (got == NULL || umem_read_out_up(&inflags, lpFlags, sizeof inflags) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    int flags;
    if ((err = tcp_map_flags(inflags, &flags)) != 0 || (err = tcp_recv_allowed(ts)) != 0)
        return spi_fail(lpErrno, err);
    struct iovec iov[TCP_MAX_IOV];
    if ((err = tcp_fill_iov(iov, bufs, count, true)) != 0 ||
        (err = umem_check_out_up(got, sizeof *got)) != 0)
        return spi_fail(lpErrno, err);
    struct sockaddr_storage ss;
    int addrlen = 0;
    /* The sender's address (datagram sockets only: Windows ignores lpFrom on
     * connection-oriented ones).  Windows' WSARecvFrom: WSAEFAULT when
     * lpFrom/lpFromlen are not valid or *lpFromlen is too small for the
     * address — decided here, before the datagram is taken, so it stays
     * queued for a corrected call. */
    bool addr = from != NULL && ts->type != SOCK_STREAM;
    if (addr) {
        int cap;
        addrlen = tcp_sockaddr_len(ts->af);
        if (fromlen == NULL || umem_read_up(&cap, fromlen, sizeof cap) != 0 ||
            umem_check_out_up(fromlen, sizeof *fromlen) != 0 || cap < addrlen ||
            umem_check_out_up(from, (size_t)addrlen) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
    }
    ssize_t n;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = count};
    if (addr) {
        mh.msg_name = &ss;
        mh.msg_namelen = sizeof ss;
    }
    _Alignas(struct cmsghdr) unsigned char cbuf[TCP_CTL_BUF];
    if (ctl != NULL) {
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
    }
    bool blocking = !atomic_load_explicit(&ts->nonblocking, memory_order_relaxed);
    if (blocking && !tcp_block_begin(ts))
        return spi_fail(lpErrno, WSAEINTR);
    /* One buffer, on a stream (a datagram's MSG_TRUNC needs the msghdr's
     * flags): recv(2), the kernel's shorter path. */
    bool plain = count == 1 && ts->type == SOCK_STREAM;
    do {
        n = plain ? sys_recv(ts->fd, iov[0].iov_base, iov[0].iov_len, flags)
                  : sys_recvmsg(ts->fd, &mh, flags);
    } while (n < 0 && blocking && errno == EINTR);
    if (blocking) {
        tcp_block_end(ts); /* atomics: errno stays */
        /* Woken by WSPCloseSocket (its shutdown makes recv return 0): Winsock
         * reports the interrupted blocking call as WSAEINTR. */
        if (atomic_load(&ts->closing))
            return spi_fail(lpErrno, WSAEINTR);
    }
    if (n < 0)
        return spi_fail(lpErrno, tcp_data_error(ts, errno, blocking));
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
        return spi_fail(lpErrno, WSAEMSGSIZE); /* Winsock: truncated datagram */
    if (addr) {
        /* The kernel's length is the family's (checked against *lpFromlen). */
        int outlen = (int)mh.msg_namelen < addrlen ? (int)mh.msg_namelen : addrlen;
        if (umem_write_up(from, &ss, (size_t)outlen) != 0 ||
            umem_write_up(fromlen, &outlen, sizeof outlen) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
    }
    DWORD out[2] = {(DWORD)n, 0}; /* the count, then the flags */
    if (ctl != NULL && tcp_ctl_deliver(ctl, &mh, &out[1]) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    if (umem_write_up(got, &out[0], sizeof out[0]) != 0 ||
        umem_write_up(lpFlags, &out[1], sizeof out[1]) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    return 0;
}

static int tcp_do_recv(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got, LPDWORD lpFlags,
                       struct sockaddr *from, LPINT fromlen, const struct tcp_ctl *ctl,
                       LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    return tcp_recv_body(ts, bufs, count, got, lpFlags, from, fromlen, ctl, lpErrno);
}

/* One WSABUF, no address, no lpOverlapped, on a stream (wsp_recv, WSARecv
 * with one buffer): tcp_recv_body's checks in the same order with the same
 * answers, as tcp_send_one.  A datagram socket goes to the body (its
 * MSG_TRUNC needs recvmsg). */
static inline __attribute__((always_inline)) int tcp_recv_one(SOCKET s, LPWSABUF bufs, LPDWORD got,
                                                              LPDWORD lpFlags, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (ts->type != SOCK_STREAM)
        return tcp_recv_body(ts, bufs, 1, got, lpFlags, NULL, NULL, NULL, lpErrno);
    /* no umem_ready(): as in tcp_send_one */
    DWORD inflags = 0;
    if (got == NULL || umem_read_out_up(&inflags, lpFlags, sizeof inflags) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    int flags;
    if ((err = tcp_map_flags(inflags, &flags)) != 0 || (err = tcp_recv_allowed(ts)) != 0)
        return spi_fail(lpErrno, err);
    WSABUF b;
    if (umem_read_up(&b, bufs, sizeof b) != 0 || umem_check_out_up(b.buf, b.len) != 0 ||
        umem_check_out_up(got, sizeof *got) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    bool blocking = !atomic_load_explicit(&ts->nonblocking, memory_order_relaxed);
    if (blocking && !tcp_block_begin(ts))
        return spi_fail(lpErrno, WSAEINTR);
    ssize_t n;
    do {
        n = sys_recv(ts->fd, b.buf, b.len, flags);
    } while (n < 0 && blocking && errno == EINTR);
    if (blocking) {
        tcp_block_end(ts); /* atomics: errno stays */
        if (atomic_load(&ts->closing))
            return spi_fail(lpErrno, WSAEINTR); /* as in tcp_recv_body */
    }
    if (n < 0)
        return spi_fail(lpErrno, tcp_data_error(ts, errno, blocking));
    /* a receive that filled its buffer may have left data: FD_READ again */
    if ((atomic_load_explicit(&ts->ev_mask, memory_order_relaxed) & FD_READ) && n > 0 &&
        (size_t)n == b.len)
        tcp_events_rearm(ts, FD_READ);
    DWORD out[2] = {(DWORD)n, 0}; /* the count, then the flags */
    if (umem_write_up(got, &out[0], sizeof out[0]) != 0 ||
        umem_write_up(lpFlags, &out[1], sizeof out[1]) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    return 0;
}

/* As tcp_send_ov and its out-of-line forms, for receives. */
static int tcp_recv_ov(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got, LPDWORD lpFlags,
                       struct sockaddr *from, LPINT fromlen, const struct tcp_ctl *ctl,
                       LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                       LPWSATHREADID thread, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (!ts->overlapped)
        return tcp_do_recv(s, bufs, count, got, lpFlags, from, fromlen, ctl, lpErrno);
    return tcp_ovl_recv(ts, bufs, count, got, lpFlags, from, fromlen, ctl, ov, routine, thread,
                        lpErrno);
}

static __attribute__((noinline)) int tcp_recv_ov9(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got,
                                                  LPDWORD lpFlags, LPWSAOVERLAPPED ov,
                                                  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                                                  LPWSATHREADID thread, LPINT lpErrno)
{
    return tcp_recv_ov(s, bufs, count, got, lpFlags, NULL, NULL, NULL, ov, routine, thread,
                       lpErrno);
}

static __attribute__((noinline)) int
tcp_recvfrom_ov11(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got, LPDWORD lpFlags,
                  struct sockaddr *from, LPINT fromlen, LPWSAOVERLAPPED ov,
                  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread, LPINT lpErrno)
{
    return tcp_recv_ov(s, bufs, count, got, lpFlags, from, fromlen, NULL, ov, routine, thread,
                       lpErrno);
}

int WSPAPI tcp_WSPRecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                       LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                       LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    if (lpOverlapped != NULL)
        return tcp_recv_ov9(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags,
                            lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
    if (dwBufferCount == 1)
        return tcp_recv_one(s, lpBuffers, lpNumberOfBytesRecvd, lpFlags, lpErrno);
    return tcp_do_recv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, NULL, NULL, NULL,
                       lpErrno);
}

int WSPAPI tcp_WSPRecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                           LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, struct sockaddr *lpFrom,
                           LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                           LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    if (lpOverlapped != NULL)
        return tcp_recvfrom_ov11(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpFrom,
                                 lpFromlen, lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
    return tcp_do_recv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpFrom,
                       lpFromlen, NULL, lpErrno);
}

int tcp_recv_msg(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got, LPDWORD lpFlags,
                 struct sockaddr *from, LPINT fromlen, const struct tcp_ctl *ctl,
                 LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                 LPWSATHREADID thread, LPINT lpErrno)
{
    if (ov != NULL)
        return tcp_recv_ov(s, bufs, count, got, lpFlags, from, fromlen, ctl, ov, routine, thread,
                           lpErrno);
    return tcp_do_recv(s, bufs, count, got, lpFlags, from, fromlen, ctl, lpErrno);
}
