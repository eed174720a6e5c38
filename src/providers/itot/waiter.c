/* SPDX-License-Identifier: MIT */
/* waiter — what a thread blocked in a plain receive, a blocking connect or
 * a blocking accept (accept_direct.c) waits on: its socket's TCP descriptor
 * itself, and a wake descriptor of its own.
 *
 * Why: a receive that waited for the engine to read its input cost a thread
 * hand-off per TSDU (the kernel wakes the engine, the engine reads, parses
 * and wakes the receiver), which on a busy machine is where the scheduler's
 * delays come in. A receiver that polls the descriptor is woken by the kernel
 * directly and reads the TSDU itself, as a raw TCP receiver does; while it
 * waits, the engine leaves the socket's input to it (interest() in engine.c).
 * Everything else that ends the wait (a close, a shutdown, an abort by a
 * timer) goes through itot_wake, which writes the wake descriptor of every
 * thread waiting on that socket. The same for the connection's set-up and
 * release: a blocking connect sends the CR once TCP is connected, reads the
 * CC and runs TS1 itself (the engine neither watches nor times the socket
 * meanwhile), and a receive after our own DR flushes, reads the peer's end
 * and runs TS2 as the engine would. An accept waiting for a CR polls the
 * connection and its listener together (itot_waiter_poll_pair).
 *
 * One eventfd per thread that ever waited, made on its first wait and kept
 * in a thread-specific slot: a wait then allocates nothing. The slot's
 * destructor closes it when the thread ends; the module's last WSPCleanup
 * deletes the key (no destructor may run in an unloaded module) and closes
 * what is left. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "common/sys.h"
#include "provider.h"

static pthread_mutex_t waiter_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t waiter_key;
/* Set (release) once waiter_key exists: a wait reads it without the mutex,
 * which only the first wait of the module and the last cleanup take. */
static atomic_bool waiter_key_made;
static struct itot_waiter *waiter_all; /* every waiter, for the last cleanup */

static void waiter_unlink(struct itot_waiter *w)
{
    if (w->all_prev)
        w->all_prev->all_next = w->all_next;
    else
        waiter_all = w->all_next;
    if (w->all_next)
        w->all_next->all_prev = w->all_prev;
}

static void waiter_free(struct itot_waiter *w)
{
    sys_close(w->efd);
    free(w);
}

/* The thread ends: its waiter goes (it waits on nothing any more). */
static void waiter_thread_exit(void *p)
{
    struct itot_waiter *w = p;
    pthread_mutex_lock(&waiter_mu);
    waiter_unlink(w);
    pthread_mutex_unlock(&waiter_mu);
    waiter_free(w);
}

struct itot_waiter *itot_waiter_self(void)
{
    if (!atomic_load_explicit(&waiter_key_made, memory_order_acquire)) {
        pthread_mutex_lock(&waiter_mu);
        if (!atomic_load_explicit(&waiter_key_made, memory_order_relaxed) &&
            pthread_key_create(&waiter_key, waiter_thread_exit) == 0)
            atomic_store_explicit(&waiter_key_made, true, memory_order_release);
        pthread_mutex_unlock(&waiter_mu);
        if (!atomic_load_explicit(&waiter_key_made, memory_order_acquire))
            return NULL;
    }
    struct itot_waiter *w = pthread_getspecific(waiter_key);
    if (w != NULL)
        return w;
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->efd = sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->efd < 0 || pthread_setspecific(waiter_key, w) != 0) {
        if (w->efd >= 0)
            sys_close(w->efd);
        free(w);
        return NULL;
    }
    pthread_mutex_lock(&waiter_mu);
    w->all_next = waiter_all;
    if (waiter_all)
        waiter_all->all_prev = w;
    waiter_all = w;
    pthread_mutex_unlock(&waiter_mu);
    return w;
}

/* Milliseconds for poll() until deadline_ms (0: none, -1). */
static int waiter_ms(uint64_t deadline_ms)
{
    if (deadline_ms == 0)
        return -1;
    uint64_t now = itot_now_ms();
    return deadline_ms <= now ? 0 : (int)(deadline_ms - now > 60000 ? 60000 : deadline_ms - now);
}

/* The earlier of two deadlines (0: none). */
static uint64_t waiter_first(uint64_t a, uint64_t b)
{
    return a == 0 || (b != 0 && b < a) ? b : a;
}

/* poll() and epoll report the same bits: itot_progress takes either. */
_Static_assert(POLLIN == EPOLLIN && POLLOUT == EPOLLOUT && POLLERR == EPOLLERR &&
                   POLLHUP == EPOLLHUP && POLLRDHUP == EPOLLRDHUP,
               "poll and epoll event bits differ");

/* A waiter is on one connection's list and one listener's at most: each
 * kind of socket links its waiters through its own field. */
static struct itot_waiter **waiter_link(const struct itot_sock *s, struct itot_waiter *w)
{
    return s->kind == ITOT_K_LISTEN ? &w->next_on_listener : &w->next_on_sock;
}

static void waiter_join(struct itot_sock *s, struct itot_waiter *w)
{
    *waiter_link(s, w) = s->waiters;
    s->waiters = w;
}

static void waiter_leave(struct itot_sock *s, struct itot_waiter *w)
{
    for (struct itot_waiter **pp = &s->waiters; *pp != NULL; pp = waiter_link(s, *pp)) {
        if (*pp == w) {
            *pp = *waiter_link(s, w);
            break;
        }
    }
}

/* After a wake: take the count, so the next poll waits again. */
static void waiter_drain(struct itot_waiter *w, const struct pollfd *p)
{
    if (p->revents & POLLIN) {
        uint64_t v;
        ssize_t r = sys_read(w->efd, &v, sizeof v);
        (void)r; /* EAGAIN: another wake drained it already; either way we look */
    }
}

/* A descriptor closed meanwhile comes with an itot_wake: the wake
 * descriptor ends the poll.  l may be NULL (one socket). */
uint32_t itot_waiter_poll_pair(struct itot_sock *c, short cev, struct itot_sock *l, short lev,
                               struct itot_waiter *w, uint64_t deadline_ms, uint32_t *lrev)
{
    int cfd = c->fd, lfd = -1;
    waiter_join(c, w);
    if (l != NULL) {
        pthread_mutex_lock(&l->lock);
        lfd = l->fd;
        waiter_join(l, w);
        pthread_mutex_unlock(&l->lock);
    }
    /* l closed: only a wake or c ends the wait (poll ignores fd -1). */
    struct pollfd p[3] = {
        {.fd = cfd, .events = cev}, {.fd = w->efd, .events = POLLIN}, {.fd = lfd, .events = lev}};
    int ms = waiter_ms(deadline_ms);
    pthread_mutex_unlock(&c->lock);
    int n = sys_poll(p, l != NULL ? 3 : 2, ms);
    if (n > 0)
        waiter_drain(w, &p[1]);
    pthread_mutex_lock(&c->lock);
    if (l != NULL) {
        pthread_mutex_lock(&l->lock);
        waiter_leave(l, w);
        *lrev = n > 0 && l->fd == lfd ? (uint32_t)p[2].revents : 0;
        pthread_mutex_unlock(&l->lock);
    }
    waiter_leave(c, w);
    return n > 0 && c->fd == cfd ? (uint32_t)p[0].revents : 0;
}

uint32_t itot_waiter_poll(struct itot_sock *s, struct itot_waiter *w, short events,
                          uint64_t deadline_ms)
{
    return itot_waiter_poll_pair(s, events, NULL, 0, w, deadline_ms, NULL);
}

bool itot_wait_input(struct itot_sock *s, uint64_t deadline_ms)
{
    /* Connected, or our release under way (a class 0 DR waiting for the
     * peer's FIN, class 2 for its DC): what the receive waits for comes
     * through the descriptor. Else (connecting, no room) the engine. */
    if (!s->has_conn || s->fd < 0 || s->tcp_connecting || !conn_rx_has_room(&s->conn) ||
        itot_starved(s) || (s->conn.state != CONN_S_OPEN && s->conn.state != CONN_S_DR_SENT))
        return false;
    struct itot_waiter *w = itot_waiter_self();
    if (w == NULL)
        return false;
    s->input_direct = true;
    if (s->direct_readers++ == 0)
        itot_engine_update(s); /* the engine stops reading this socket */
    /* Releasing, the waiter also does what the engine would: write the rest
     * of the queue (the DR), fire TS2, act on what it read. */
    bool releasing = s->conn.state == CONN_S_DR_SENT;
    short ev = POLLIN | POLLRDHUP;
    if (releasing && conn_outq_len(&s->conn) > 0)
        ev |= POLLOUT;
    uint32_t rev = itot_waiter_poll(
        s, w, ev, releasing ? waiter_first(deadline_ms, s->conn.deadline_ms) : deadline_ms);
    if (releasing && s->has_conn)
        itot_progress(s, rev, itot_now_ms());
    if (--s->direct_readers == 0)
        itot_engine_update(s); /* the engine reads again */
    return true;
}

bool itot_drive_connect(struct itot_sock *s)
{
    struct itot_waiter *w = itot_waiter_self();
    if (w == NULL)
        return false;
    while (s->has_conn && s->conn.state == CONN_S_CR_SENT && !s->closing && s->fd >= 0) {
        /* TCP's connect first (writable), then the CC (readable); the CR
         * is written by itot_progress once TCP is connected. */
        short ev = POLLOUT;
        if (!s->tcp_connecting)
            ev = (short)(POLLIN | POLLRDHUP | (conn_outq_len(&s->conn) > 0 ? POLLOUT : 0));
        uint32_t rev = itot_waiter_poll(s, w, ev, s->conn.deadline_ms);
        if (s->has_conn)
            itot_progress(s, rev, itot_now_ms()); /* TS1 too: the engine does not time s */
    }
    return true;
}

void itot_input_to_engine(struct itot_sock *s)
{
    /* On a listener: the engine accepts again (interest() in engine.c). */
    if (!s->input_direct)
        return;
    s->input_direct = false;
    itot_engine_update(s);
}

/* A peek that finds TCP empty (EAGAIN); anything else (octets, the end, an
 * error) is for a read to take. */
static bool tcp_has_nothing(int fd)
{
    char b;
    return sys_recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
           (errno == EAGAIN || errno == EWOULDBLOCK);
}

void itot_input_look(struct itot_sock *s)
{
    if (!s->input_direct || s->direct_readers > 0 || !s->has_conn || s->fd < 0)
        return;
    /* Mostly TCP has nothing (a send's look): a one-octet peek tells so
     * without taking the input buffer from the pool and giving it back, and
     * then nothing changed: nothing to apply or to tell the engine. */
    if (s->in_len == 0 && s->conn.events == 0 && !s->tcp_connecting && tcp_has_nothing(s->fd))
        return;
    itot_pull(s);
    itot_apply(s);
    itot_engine_update(s);
}

void itot_wake_waiters(struct itot_sock *s)
{
    for (struct itot_waiter *w = s->waiters; w != NULL; w = *waiter_link(s, w)) {
        uint64_t one = 1;
        ssize_t r = sys_write(w->efd, &one, sizeof one);
        (void)r; /* EAGAIN: the counter is full, so it is readable: woken */
    }
}

void itot_waiters_stop(void)
{
    pthread_mutex_lock(&waiter_mu);
    if (atomic_load_explicit(&waiter_key_made, memory_order_relaxed)) {
        pthread_key_delete(waiter_key);
        atomic_store_explicit(&waiter_key_made, false, memory_order_relaxed);
    }
    struct itot_waiter *w = waiter_all;
    waiter_all = NULL;
    pthread_mutex_unlock(&waiter_mu);
    while (w != NULL) {
        struct itot_waiter *next = w->all_next;
        waiter_free(w);
        w = next;
    }
}

void itot_waiters_atfork_child(void)
{
    /* The parent's threads are gone; their eventfds are shared with the
     * parent: close ours, let the next wait make a fresh one. */
    struct itot_waiter *w = waiter_all;
    waiter_all = NULL;
    if (atomic_load_explicit(&waiter_key_made, memory_order_relaxed))
        pthread_setspecific(waiter_key, NULL);
    while (w != NULL) {
        struct itot_waiter *next = w->all_next;
        waiter_free(w);
        w = next;
    }
    pthread_mutex_init(&waiter_mu, NULL);
}
