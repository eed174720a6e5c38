/* SPDX-License-Identifier: MIT */
/* WSPAccept with the Winsock condition function.  The kernel has already
 * completed the handshake when accept() returns, so CF_REJECT closes the new
 * connection (the peer sees a reset or EOF) and CF_DEFER parks it on the
 * listener for the next call.  While the condition function runs, this
 * thread is marked as inside our callback: any call of ours from it gets
 * WSAEINPROGRESS (C8). */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/umem.h"
#include "tcp.h"

/* Take the parked connection, or accept a new one. -1 with *err on failure. */
static int tcp_accept_fd(struct tcp_sock *ls, struct sockaddr_storage *ss, socklen_t *len, int *err)
{
    pthread_mutex_lock(&ls->lock);
    int fd = ls->deferred_fd;
    ls->deferred_fd = -1;
    pthread_mutex_unlock(&ls->lock);
    if (fd >= 0) {
        if (sys_getpeername(fd, (struct sockaddr *)ss, len) != 0)
            *len = 0;
        return fd;
    }
    if (!tcp_block_begin(ls)) {
        *err = WSAEINTR;
        return -1;
    }
    do {
        fd = sys_accept4(ls->fd, (struct sockaddr *)ss, len, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR && !atomic_load(&ls->nonblocking));
    int saved = errno;
    tcp_block_end(ls);
    if (fd < 0)
        *err = atomic_load(&ls->closing) ? WSAEINTR : errmap_from_errno(saved);
    return fd;
}

/* Park fd on the listener for the next WSPAccept (one at a time: a second
 * one is closed). */
static void tcp_park(struct tcp_sock *ls, int fd)
{
    pthread_mutex_lock(&ls->lock);
    if (ls->deferred_fd < 0) {
        ls->deferred_fd = fd;
        fd = -1;
    }
    pthread_mutex_unlock(&ls->lock);
    if (fd >= 0)
        sys_close(fd);
}

/* Ask the application's condition function. Returns CF_ACCEPT/CF_REJECT/CF_DEFER. */
static int tcp_ask_condition(struct tcp_sock *ls, int fd, struct sockaddr_storage *peer,
                             socklen_t peerlen, LPCONDITIONPROC cond, DWORD_PTR data)
{
    struct sockaddr_storage self;
    socklen_t selflen = sizeof self;
    if (sys_getsockname(fd, (struct sockaddr *)&self, &selflen) != 0)
        selflen = 0;
    WSABUF caller = {.len = (ULONG)peerlen, .buf = (CHAR *)peer};
    WSABUF callee = {.len = (ULONG)selflen, .buf = (CHAR *)&self};
    GROUP g = 0;
    (void)ls;
    SPI_CALLBACK_ENTER(tcp);
    int verdict = cond(&caller, NULL, NULL, NULL, &callee, NULL, &g, data);
    SPI_CALLBACK_LEAVE(tcp);
    return verdict;
}

SOCKET WSPAPI tcp_WSPAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                            LPCONDITIONPROC lpfnCondition, DWORD_PTR dwCallbackData, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ls = tcp_enter(s, &err);
    if (ls == NULL)
        return spi_fail_socket(lpErrno, err);
    if (ls->type != SOCK_STREAM)
        return spi_fail_socket(lpErrno, WSAEOPNOTSUPP);
    if (atomic_load(&ls->state) != TCP_ST_LISTENING)
        return spi_fail_socket(lpErrno, WSAEINVAL);
    /* Windows: WSAEFAULT when addrlen is too small or addr is not writable.
     * Decided before a connection is taken (check first, consume after), so a
     * bad buffer leaves the connection queued for a corrected call. */
    int cap = 0;
    if (addr != NULL || addrlen != NULL) {
        if (addr == NULL || addrlen == NULL || umem_read(&cap, addrlen, sizeof cap) != 0 ||
            umem_check_write(addrlen, sizeof *addrlen) != 0 || cap < tcp_sockaddr_len(ls->af) ||
            umem_check_write(addr, (size_t)tcp_sockaddr_len(ls->af)) != 0) {
            return spi_fail_socket(lpErrno, WSAEFAULT);
        }
    }

    struct sockaddr_storage peer;
    socklen_t peerlen = sizeof peer;
    int fd = tcp_accept_fd(ls, &peer, &peerlen, &err);
    if (fd < 0)
        return spi_fail_socket(lpErrno, err);
    if (lpfnCondition != NULL) {
        int verdict = tcp_ask_condition(ls, fd, &peer, peerlen, lpfnCondition, dwCallbackData);
        if (verdict == CF_DEFER) {
            tcp_park(ls, fd);
            return spi_fail_socket(lpErrno, WSATRY_AGAIN);
        }
        if (verdict != CF_ACCEPT) {
            sys_close(fd);
            return spi_fail_socket(lpErrno, verdict == CF_REJECT ? WSAECONNREFUSED : WSAEINVAL);
        }
    }
    if (addr != NULL) {
        int outlen = (int)peerlen < cap ? (int)peerlen : cap;
        if (umem_write(addr, &peer, (size_t)outlen) != 0 ||
            umem_write(addrlen, &outlen, sizeof outlen) != 0) {
            /* Checked writable above, so the application unmapped it since:
             * park the connection for the next call rather than lose it. */
            tcp_park(ls, fd);
            return spi_fail_socket(lpErrno, WSAEFAULT);
        }
    }
    tcp_events_rearm(ls, FD_ACCEPT); /* more connections may be queued */
    /* Winsock: the accepted socket inherits the listener's blocking mode;
     * and it is overlapped, as accept()'s and WSAAccept's are on Windows. */
    struct tcp_sock *ts =
        tcp_sock_new(fd, ls->af, SOCK_STREAM, &ls->proto, TCP_ST_CONNECTED, true, &err);
    if (ts == NULL)
        return spi_fail_socket(lpErrno, err);
    if (atomic_load(&ls->nonblocking))
        tcp_set_nonblocking(ts, true);
    return ts->handle;
}
