/* SPDX-License-Identifier: MIT */
/* Teardown: WSPSendDisconnect, WSPShutdown, WSPRecvDisconnect.
 *
 * TCP has no disconnect data (the catalog entries do not claim
 * XP1_DISCONNECT_DATA), so the only thing SendDisconnect can do is what
 * Shutdown(SD_SEND) does (D9): shutdown(SHUT_WR).  The kernel queues the FIN
 * behind every byte already accepted by a send (D5) and never blocks on it,
 * whatever SO_LINGER says (C11): linger only governs close().  Overlapped
 * sends still queued in the provider (ovl_engine.c) go first: the SHUT_WR
 * then happens right after their last byte, and the call still returns at
 * once. */
#include <errno.h>
#include <sys/socket.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/umem.h"
#include "tcp.h"

int tcp_send_shutdown(struct tcp_sock *ts)
{
    if (ts->type != SOCK_STREAM) {
        /* D8: a datagram socket only stops sending; there is no connection. */
        atomic_store(&ts->send_shut, true);
        return 0;
    }
    int st = tcp_refresh_state(ts);
    switch (st) {
    case TCP_ST_CONNECTED:
        break;
    case TCP_ST_SEND_SHUT:
        return 0; /* D7: still being released */
    default:
        /* C4: new, bound, listening, connect pending (shutdown() would abort
         * the pending connect on Linux), or released (D7). */
        return WSAENOTCONN;
    }
    if (ts->overlapped) {
        /* overlapped sends may be queued: the FIN goes after their last byte */
        int err = tcp_ovl_send_shutdown(ts);
        if (err != 0)
            return err; /* D1: state unchanged */
    } else {
        if (sys_shutdown(ts->fd, SHUT_WR) != 0)
            return errmap_from_errno(errno); /* D1: state unchanged */
        atomic_store(&ts->send_shut, true);
    }
    atomic_compare_exchange_strong(&ts->state, &st, TCP_ST_SEND_SHUT);
    return 0;
}

/* C7/C6/D2: validate the caller's WSABUF without touching it directly.
 * 0 = no data, else the WSAE* code to return. */
static int tcp_check_disc_data(LPWSABUF data)
{
    if (data == NULL)
        return 0;
    WSABUF b;
    if (umem_read(&b, data, sizeof b) != 0)
        return WSAEFAULT;
    if (b.len == 0)
        return 0; /* D2: an empty buffer is no data */
    if (umem_check_read(b.buf, b.len) != 0)
        return WSAEFAULT;
    return WSAENOPROTOOPT; /* C6/D1: no disconnect data on TCP/UDP; nothing done */
}

int WSPAPI tcp_WSPSendDisconnect(SOCKET s, LPWSABUF lpOutboundDisconnectData, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if ((err = tcp_check_disc_data(lpOutboundDisconnectData)) != 0 ||
        (err = tcp_send_shutdown(ts)) != 0)
        return spi_fail(lpErrno, err);
    return 0;
}

int WSPAPI tcp_WSPShutdown(SOCKET s, int how, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (how != SD_RECEIVE && how != SD_SEND && how != SD_BOTH)
        return spi_fail(lpErrno, WSAEINVAL);
    if (ts->type == SOCK_STREAM) {
        int st = tcp_refresh_state(ts);
        if (st != TCP_ST_CONNECTED && st != TCP_ST_SEND_SHUT)
            return spi_fail(lpErrno, WSAENOTCONN);
    }
    if (how != SD_RECEIVE && (err = tcp_send_shutdown(ts)) != 0)
        return spi_fail(lpErrno, err);
    /* SD_RECEIVE is bookkeeping only: a kernel SHUT_RD would make Linux answer
     * recv with 0, which is not Winsock's WSAESHUTDOWN. */
    if (how != SD_SEND)
        atomic_store(&ts->recv_shut, true);
    return 0;
}

int WSPAPI tcp_WSPRecvDisconnect(SOCKET s, LPWSABUF lpInboundDisconnectData, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (ts->type != SOCK_STREAM)
        return spi_fail(lpErrno, WSAEOPNOTSUPP); /* connection-oriented sockets only */
    int st = tcp_refresh_state(ts);
    if (st != TCP_ST_CONNECTED && st != TCP_ST_SEND_SHUT)
        return spi_fail(lpErrno, WSAENOTCONN);
    if (lpInboundDisconnectData != NULL) {
        /* There is never inbound disconnect data on TCP: report 0 bytes. */
        ULONG zero = 0;
        if (umem_write(&lpInboundDisconnectData->len, &zero, sizeof zero) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
    }
    atomic_store(&ts->recv_shut, true);
    return 0;
}
