/* SPDX-License-Identifier: MIT */
/* Binding, listening, connecting and the two name queries.  Addresses are
 * copied through umem so a bad caller pointer is WSAEFAULT, not a crash. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/spi_addr.h"
#include "common/umem.h"
#include "tcp.h"

/* Copy a caller sockaddr of namelen bytes into ss.  0 or a WSAE* code. */
static int tcp_copy_in_addr(struct tcp_sock *ts, const struct sockaddr *name, int namelen,
                            struct sockaddr_storage *ss)
{
    if (name == NULL || namelen < (int)sizeof(sa_family_t) || namelen > (int)sizeof *ss)
        return WSAEFAULT;
    if (umem_read(ss, name, (size_t)namelen) != 0)
        return WSAEFAULT;
    if (ss->ss_family != ts->af)
        return WSAEAFNOSUPPORT;
    if (namelen < tcp_sockaddr_len(ts->af))
        return WSAEFAULT;
    return 0;
}

int WSPAPI tcp_WSPBind(SOCKET s, const struct sockaddr *name, int namelen, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    struct sockaddr_storage ss;
    if ((err = tcp_copy_in_addr(ts, name, namelen, &ss)) != 0)
        return spi_fail(lpErrno, err);
    if (atomic_load(&ts->state) != TCP_ST_NEW)
        return spi_fail(lpErrno, WSAEINVAL); /* already bound */
    if ((err = tcp_opt_prepare_bind(ts)) != 0)
        return spi_fail(lpErrno, err);
    if (sys_bind(ts->fd, (struct sockaddr *)&ss, (socklen_t)namelen) != 0)
        return spi_fail(lpErrno, tcp_opt_bind_error(ts, errno));
    int st = TCP_ST_NEW;
    atomic_compare_exchange_strong(&ts->state, &st, TCP_ST_BOUND);
    return 0;
}

int WSPAPI tcp_WSPListen(SOCKET s, int backlog, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (ts->type != SOCK_STREAM)
        return spi_fail(lpErrno, WSAEOPNOTSUPP);
    int st = atomic_load(&ts->state);
    if (st == TCP_ST_NEW)
        return spi_fail(lpErrno, WSAEINVAL); /* Winsock requires bind first */
    if (st != TCP_ST_BOUND && st != TCP_ST_LISTENING)
        return spi_fail(lpErrno, WSAEISCONN);
    if (sys_listen(ts->fd, backlog) != 0)
        return spi_fail(lpErrno, errmap_from_errno(errno));
    atomic_store(&ts->state, TCP_ST_LISTENING);
    return 0;
}

/* Which states may connect, and what the others answer.  C12: after
 * SendDisconnect the socket is not reusable — WSAEISCONN while the connection
 * is being released, WSAEINVAL once it is released. */
static const int tcp_connect_refusal[] = {
    [TCP_ST_NEW] = 0,
    [TCP_ST_BOUND] = 0,
    [TCP_ST_LISTENING] = WSAEINVAL,
    [TCP_ST_CONNECTING] = WSAEALREADY,
    [TCP_ST_CONNECTED] = WSAEISCONN,
    [TCP_ST_SEND_SHUT] = WSAEISCONN,
    [TCP_ST_RELEASED] = WSAEINVAL,
};

int WSPAPI tcp_WSPConnect(SOCKET s, const struct sockaddr *name, int namelen, LPWSABUF lpCallerData,
                          LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS, LPINT lpErrno)
{
    (void)lpSQOS, (void)lpGQOS; /* no XP1_QOS_SUPPORTED: QoS is a hint we ignore */
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (lpCallerData != NULL) {
        WSABUF b;
        if (umem_read(&b, lpCallerData, sizeof b) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
        if (b.len > 0)
            return spi_fail(lpErrno, WSAENOPROTOOPT); /* no XP1_CONNECT_DATA */
    }
    if (lpCalleeData != NULL) {
        /* Nothing comes back: report zero bytes of callee data. */
        ULONG zero = 0;
        if (umem_write(&lpCalleeData->len, &zero, sizeof zero) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
    }
    struct sockaddr_storage ss;
    if ((err = tcp_copy_in_addr(ts, name, namelen, &ss)) != 0)
        return spi_fail(lpErrno, err);
    int st = ts->type == SOCK_STREAM ? tcp_refresh_state(ts) : TCP_ST_NEW;
    if (tcp_connect_refusal[st] != 0)
        return spi_fail(lpErrno, tcp_connect_refusal[st]);

    int rc;
    atomic_store(&ts->connect_told, false);
    if (!tcp_block_begin(ts))
        return spi_fail(lpErrno, WSAEINTR);
    bool retried = false;
    for (;;) {
        rc = sys_connect(ts->fd, (struct sockaddr *)&ss, (socklen_t)namelen);
        if (rc != 0 && errno == EINTR && !atomic_load(&ts->nonblocking))
            continue;
        /* Linux answers the first connect after a failed one with
         * ECONNABORTED (it only then resets the socket); Winsock lets the
         * application simply connect again, so try once more. */
        if (rc != 0 && errno == ECONNABORTED && st == TCP_ST_BOUND && !retried) {
            retried = true;
            continue;
        }
        break;
    }
    int saved = errno;
    tcp_block_end(ts);
    if (rc == 0) {
        atomic_store(&ts->state, TCP_ST_CONNECTED);
        tcp_mark_connected(ts);
        if (ts->type == SOCK_STREAM && atomic_load(&ts->ev_mask) != 0 &&
            !atomic_exchange(&ts->connect_told, true))
            tcp_events_post(ts, FD_CONNECT, 0);
        return 0;
    }
    if (saved == EINPROGRESS) {
        atomic_store(&ts->state, TCP_ST_CONNECTING);
        tcp_events_connect_check(ts); /* the handshake may already be over */
        return spi_fail(lpErrno, WSAEWOULDBLOCK);
    }
    if (saved == EALREADY)
        return spi_fail(lpErrno, WSAEALREADY);
    return spi_fail(lpErrno, errmap_from_errno(saved));
}

int WSPAPI tcp_WSPGetSockName(SOCKET s, struct sockaddr *name, LPINT namelen, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (atomic_load(&ts->state) == TCP_ST_NEW)
        return spi_fail(lpErrno, WSAEINVAL); /* Winsock: not bound yet */
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (sys_getsockname(ts->fd, (struct sockaddr *)&ss, &len) != 0)
        return spi_fail(lpErrno, errmap_from_errno(errno));
    if ((err = spi_addr_out(&ss, len, name, namelen)) != 0)
        return spi_fail(lpErrno, err);
    return 0;
}

int WSPAPI tcp_WSPGetPeerName(SOCKET s, struct sockaddr *name, LPINT namelen, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (sys_getpeername(ts->fd, (struct sockaddr *)&ss, &len) != 0)
        return spi_fail(lpErrno, errmap_from_errno(errno));
    if ((err = spi_addr_out(&ss, len, name, namelen)) != 0)
        return spi_fail(lpErrno, err);
    return 0;
}
