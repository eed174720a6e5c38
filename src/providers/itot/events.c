/* SPDX-License-Identifier: MIT */
/* events — readiness of itot sockets: WSPSelect, WSPEventSelect and
 * WSPEnumNetworkEvents.  Readiness is the protocol's, not TCP's: readable = a
 * complete TSDU, a disconnect or a pending connection; writable = connected
 * with room in the output queue. */
#include <string.h>

#include "common/umem.h"
#include "provider.h"

void itot_select_wait(uint64_t deadline_ms, unsigned *seen_gen);
unsigned itot_select_gen(void);

/* lock held */
static bool is_readable(const struct itot_sock *s)
{
    if (s->kind == ITOT_K_LISTEN)
        return s->lst.acc_head != NULL;
    if (!s->has_conn)
        return false;
    const struct conn *c = &s->conn;
    if (conn_rx_ready(c) || c->peer_disc)
        return true;
    /* A failed connection: the next recv returns its error at once. */
    return c->state == CONN_S_CLOSED && c->cls >= 0;
}

static bool is_writable(const struct itot_sock *s)
{
    if (!s->has_conn)
        return false;
    const struct conn *c = &s->conn;
    /* Overlapped sends still waiting: a plain send would only go after them. */
    return c->state == CONN_S_OPEN && conn_outq_len(c) <= conn_outq_room(c) &&
           s->ovl_tx.head == NULL;
}

static bool connect_failed(const struct itot_sock *s)
{
    return s->has_conn && s->conn.role == CONN_INITIATOR && s->conn.cls < 0 &&
           s->conn.state == CONN_S_CLOSED;
}

typedef bool (*ready_fn)(const struct itot_sock *s);

int WSPAPI itot_WSPSelect(int nfds, wsp_fd_set *readfds, wsp_fd_set *writefds,
                          wsp_fd_set *exceptfds, const struct timeval *timeout, LPINT lpErrno)
{
    (void)nfds;
    int err = itot_guard();
    if (err != 0)
        return spi_fail(lpErrno, err);
    wsp_fd_set *sets[3] = {readfds, writefds, exceptfds};
    static const ready_fn ready[3] = {is_readable, is_writable, connect_failed};
    wsp_fd_set in[3];
    int count = 0;
    for (int k = 0; k < 3; k++) {
        if (sets[k] == NULL)
            continue;
        if (umem_read(&in[k].fd_count, &sets[k]->fd_count, sizeof in[k].fd_count) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
        if (in[k].fd_count > WSP_FD_SETSIZE)
            return spi_fail(lpErrno, WSAEINVAL);
        if (umem_read(in[k].fd_array, sets[k]->fd_array, in[k].fd_count * sizeof(SOCKET)) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
        for (u_int i = 0; i < in[k].fd_count; i++)
            if (itot_lookup(in[k].fd_array[i], &err) == NULL)
                return spi_fail(lpErrno, WSAENOTSOCK);
        count += (int)in[k].fd_count;
    }
    if (count == 0 && timeout == NULL)
        return spi_fail(lpErrno, WSAEINVAL);
    uint64_t deadline = 0;
    if (timeout != NULL) {
        struct timeval tv;
        if (umem_read(&tv, timeout, sizeof tv) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
        deadline =
            itot_now_ms() + (uint64_t)tv.tv_sec * 1000u + (uint64_t)(tv.tv_usec + 999) / 1000u;
    }
    unsigned gen = itot_select_gen();
    wsp_fd_set out[3];
    for (;;) {
        int total = 0;
        for (int k = 0; k < 3; k++) {
            out[k].fd_count = 0;
            if (sets[k] == NULL)
                continue;
            for (u_int i = 0; i < in[k].fd_count; i++) {
                /* Closed on another thread since the call began (the handle
                 * is gone or closing): the close waits for this call's pin,
                 * so the wait must end. Windows cancels a blocking call on a
                 * closed socket, and select reports that as WSAEINTR
                 * (closesocket and select pages). */
                struct itot_sock *s = itot_lookup(in[k].fd_array[i], &err);
                if (s == NULL)
                    return spi_fail(lpErrno, WSAEINTR);
                pthread_mutex_lock(&s->lock);
                itot_input_to_engine(s); /* the wait below needs the engine */
                bool r = ready[k](s), closing = s->closing;
                pthread_mutex_unlock(&s->lock);
                if (closing)
                    return spi_fail(lpErrno, WSAEINTR);
                if (r)
                    out[k].fd_array[out[k].fd_count++] = in[k].fd_array[i];
            }
            total += (int)out[k].fd_count;
        }
        uint64_t now = itot_now_ms();
        if (total > 0 || (timeout != NULL && now >= deadline)) {
            for (int k = 0; k < 3; k++) {
                if (sets[k] == NULL)
                    continue;
                size_t n = sizeof(u_int) + out[k].fd_count * sizeof(SOCKET);
                if (umem_write(sets[k], &out[k], n) != 0)
                    return spi_fail(lpErrno, WSAEFAULT);
            }
            return total;
        }
        itot_select_wait(timeout != NULL ? deadline : 0, &gen);
    }
}

/* Post the events whose condition holds already (lock held): Winsock records
 * them when the selection is made, not only on later changes. */
static void post_current(struct itot_sock *s)
{
    if (s->kind == ITOT_K_LISTEN && s->lst.acc_head != NULL)
        itot_post_event(s, FD_ACCEPT, 0);
    if (!s->has_conn)
        return;
    if (conn_rx_ready(&s->conn))
        itot_post_event(s, FD_READ, 0);
    if (s->conn.state == CONN_S_OPEN || s->conn.state == CONN_S_DR_SENT)
        itot_post_event(s, FD_CONNECT, 0);
    if (is_writable(s))
        itot_post_event(s, FD_WRITE, 0);
    if (s->conn.peer_disc || s->conn.state == CONN_S_CLOSED)
        itot_post_event(s, FD_CLOSE, s->conn.error);
}

int WSPAPI itot_WSPEventSelect(SOCKET h, WSAEVENT hEventObject, LONG lNetworkEvents, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    pthread_mutex_lock(&s->lock);
    s->event = hEventObject;
    s->ev_mask = hEventObject != NULL ? lNetworkEvents : 0;
    s->ev_pending &= s->ev_mask;
    if (s->ev_mask != 0)
        s->nonblocking = true; /* Winsock: WSAEventSelect makes the socket non-blocking */
    itot_input_to_engine(s);   /* events of input need the engine to watch it */
    itot_engine_update(s);
    post_current(s);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int WSPAPI itot_WSPEnumNetworkEvents(SOCKET h, WSAEVENT hEventObject,
                                     LPWSANETWORKEVENTS lpNetworkEvents, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    if (lpNetworkEvents == NULL || umem_check_write(lpNetworkEvents, sizeof *lpNetworkEvents) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    WSANETWORKEVENTS ne;
    memset(&ne, 0, sizeof ne);
    pthread_mutex_lock(&s->lock);
    ne.lNetworkEvents = s->ev_pending;
    memcpy(ne.iErrorCode, s->ev_err, sizeof ne.iErrorCode);
    s->ev_pending = 0;
    memset(s->ev_err, 0, sizeof s->ev_err);
    if (hEventObject != NULL && itot_upcalls.lpWPUResetEvent != NULL) {
        int e;
        itot_upcalls.lpWPUResetEvent(hEventObject, &e);
    }
    pthread_mutex_unlock(&s->lock);
    if (umem_write(lpNetworkEvents, &ne, sizeof ne) != 0) /* unmapped since the check */
        return spi_fail(lpErrno, WSAEFAULT);
    return 0;
}
