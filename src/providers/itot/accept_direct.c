/* SPDX-License-Identifier: MIT */
/* accept_direct — a blocking WSPAccept that takes its connection itself.
 *
 * Why: with the engine accepting, every itot connection cost the accepting
 * side two hand-offs (the kernel wakes the engine for the TCP connection,
 * the engine accepts it; the kernel wakes the engine for the CR, the engine
 * reads it and wakes the acceptor), and the connection an epoll_ctl to add
 * it and one to take it out again when the server's first receive polls it.
 * A raw TCP accept is handed its connection by the kernel directly.  So a
 * blocking accept with nothing queued waits on the listener's descriptor
 * itself, accepts the TCP connection, and waits for its CR on that
 * connection's descriptor; the CR then queues the connection as the engine
 * would have (offer_to_listener), and the accept loop takes it.
 *
 * The listener stays in direct mode (input_direct) after the call: the
 * engine accepts nothing for it, and connections wait in the kernel's
 * backlog until the next accept, as with raw TCP.  What needs the engine to
 * accept (select, WSAEventSelect, AcceptEx, a non-blocking accept) hands the
 * listener back (itot_input_to_engine).
 *
 * What the engine's accepting guarantees still holds:
 *   - a peer that never sends its CR does not hold the accept: while it
 *     waits for the CR, the accept also polls the listener, and a second
 *     connection (or a wake of the listener: a close, a connection the
 *     engine queued) makes it hand the silent one to the engine, which puts
 *     it on the silent list (listen.c) with its accept time;
 *   - the listener's CR wait runs for it: the accepting thread times the
 *     connection it holds (the engine does not: driven);
 *   - the pending limit: the connection is counted from its accept4, and
 *     the accept takes none while the listener is full.
 * Lock order as everywhere: the pending connection's lock before its
 * listener's. */
#include <poll.h>

#include "provider.h"

/* Hand a connection still waiting for its CR to the engine (c's lock
 * held): it joins the silent list, as if the engine had accepted it. */
static void hand_to_engine(struct itot_sock *l, struct itot_sock *c, struct itot_evict *ev)
{
    c->driven = false;
    if (c->has_conn && c->fd >= 0 && c->conn.state == CONN_S_WAIT_CR && c->pend.counted) {
        pthread_mutex_lock(&l->lock);
        itot_listen_admit(l, c, itot_now_ms(), ev);
        itot_listen_refresh(l);
        pthread_mutex_unlock(&l->lock);
    }
    itot_engine_update(c); /* the engine watches and times c from now on */
}

/* Wait for c's CR on this thread (c's lock held; c driven): until it has
 * come (c is queued on l), c is gone, or l needs the accept (another
 * connection, a wake). */
static void drive_cr(struct itot_sock *l, struct itot_sock *c, struct itot_waiter *w,
                     struct itot_evict *ev)
{
    for (;;) {
        uint32_t lrev = 0;
        uint32_t rev =
            itot_waiter_poll_pair(c, POLLIN | POLLRDHUP, l, POLLIN, w, c->conn.deadline_ms, &lrev);
        if (c->has_conn)
            itot_progress(c, rev, itot_now_ms()); /* the CR, or the CR wait's end */
        bool waiting = c->has_conn && c->fd >= 0 && c->conn.state == CONN_S_WAIT_CR;
        /* Only a part of the CR read: wait for the rest. */
        if (!waiting || rev == 0 || lrev != 0)
            break;
    }
    /* Its CR came: c is queued, and most likely this thread's accept takes
     * it next and its next wait is a receive, so nobody but the API calls
     * reads c (direct mode, as after a blocking connect): no epoll_ctl to
     * add c to the engine's set now and one to take it out at the first
     * receive.  A peer that leaves before the accept is seen by the
     * accepted socket's first call, as with raw TCP.  Else (silent, gone)
     * the engine reads c's input from here on. */
    if (c->has_conn && c->conn.state == CONN_S_CR_RCVD)
        c->input_direct = true;
    hand_to_engine(l, c, ev);
}

bool itot_accept_drive(struct itot_sock *l)
{
    /* Watched for someone else, or no wake descriptor for this thread: the
     * engine accepts, as before (and for any accept of l left in direct
     * mode, which would otherwise wait for nobody). */
    struct itot_waiter *w = NULL;
    if (l->ev_mask != 0 || l->ovl_rx.head != NULL || l->fd < 0 ||
        (w = itot_waiter_self()) == NULL) {
        itot_input_to_engine(l);
        return false;
    }
    if (!l->input_direct) {
        l->input_direct = true;
        itot_engine_update(l); /* the engine stops accepting */
    }
    struct itot_evict ev = {.n = 0};
    uint64_t now = itot_now_ms();
    itot_listen_tick(l, now, &ev);
    /* Full (or paused after failures): wait only for a wake or the
     * listener's next timer. */
    short want = itot_listen_may_accept(l, now) ? POLLIN : 0;
    uint32_t rev = itot_waiter_poll(l, w, want, itot_listen_deadline(l, now));
    struct itot_sock *c = NULL;
    if ((rev & POLLIN) && l->input_direct && !l->closing)
        c = itot_listen_take(l, itot_now_ms());
    pthread_mutex_unlock(&l->lock);
    if (c != NULL) {
        pthread_mutex_lock(&c->lock);
        drive_cr(l, c, w, &ev);
        pthread_mutex_unlock(&c->lock);
        itot_sock_unref(c);
    }
    itot_listen_evict(&ev);
    pthread_mutex_lock(&l->lock);
    return true;
}
