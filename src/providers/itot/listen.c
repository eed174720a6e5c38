/* SPDX-License-Identifier: MIT */
/* listen — who a listener lets in, and what it does when it cannot.
 *
 * Silent connections.  A TCP connection the engine accepted counts against
 * WSP_ITOT_MAX_PENDING until WSPAccept takes it.  Until its CR has arrived it
 * is "silent" and sits on the listener's silent list (oldest first).  A raw
 * TCP client that never sends a CR must not be able to lock the listener
 * out, so a silent connection:
 *   - is closed after WSP_ITOT_CR_WAIT_MS (the engine's timer, default 5 s);
 *   - may be evicted once it has been silent for ITOT_SILENT_GRACE_MS: a real
 *     RFC 1006 client sends its CR right after the TCP handshake, and the
 *     grace keeps a burst of real clients (accepted in one batch, before the
 *     engine read any of their CRs) from evicting each other;
 *   - is evicted, oldest first, while its source address holds more than
 *     WSP_ITOT_MAX_SILENT_PER_SOURCE silent connections, so one source
 *     cannot push out the connections of others;
 *   - is evicted, oldest first, to make room when the listener is full and a
 *     new TCP connection waits.  Connections whose CR arrived (waiting for
 *     WSPAccept) are never evicted: when they alone fill the listener it stops
 *     accepting, and the kernel's backlog holds the rest, as before.
 * Victims are chosen under the listener's lock but closed after it is
 * released (lock order: a pending connection's lock before its listener's).
 *
 * Out of descriptors.  accept4 failing with EMFILE leaves the connection in
 * the kernel queue, so the level-triggered listener stays readable: retrying
 * at once is a busy loop.  Like libuv, the listener keeps a reserve
 * descriptor (/dev/null): it closes it, accepts the waiting connections one
 * by one with the freed slot and resets them (the peer sees a refusal, not a
 * hang), then reopens it.  And it stops watching the listener for a back-off
 * (doubling from ITOT_ACCEPT_BACKOFF_MIN_MS to ITOT_ACCEPT_BACKOFF_MAX_MS while
 * the failures go on), so a condition no descriptor trick cures (ENOBUFS,
 * ENOMEM, a reserve that could not be reopened) costs a few syscalls a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "common/sys.h"
#include "provider.h"

static bool same_source(const union itot_addr *a, const union itot_addr *b)
{
    if (a->sa.sa_family != b->sa.sa_family)
        return false;
    if (a->sa.sa_family == AF_INET)
        return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
    if (a->sa.sa_family == AF_INET6)
        return memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(struct in6_addr)) == 0;
    return false;
}

static bool evictable(const struct itot_sock *c, uint64_t now)
{
    return now - c->pend.accepted_ms >= ITOT_SILENT_GRACE_MS;
}

void itot_listen_unsilence(struct itot_sock *l, struct itot_sock *c)
{
    if (!c->pend.silent)
        return;
    if (c->pend.silent_prev)
        c->pend.silent_prev->pend.silent_next = c->pend.silent_next;
    else
        l->lst.silent_head = c->pend.silent_next;
    if (c->pend.silent_next)
        c->pend.silent_next->pend.silent_prev = c->pend.silent_prev;
    else
        l->lst.silent_tail = c->pend.silent_prev;
    c->pend.silent_prev = c->pend.silent_next = NULL;
    c->pend.silent = false;
}

void itot_listen_forget(struct itot_sock *c)
{
    /* Only the last reference comes here: nobody else can link c meanwhile. */
    if (!c->pend.silent || c->pend.listener == NULL)
        return;
    pthread_mutex_lock(&c->pend.listener->lock);
    itot_listen_unsilence(c->pend.listener, c);
    pthread_mutex_unlock(&c->pend.listener->lock);
}

void itot_listen_enqueue(struct itot_sock *l, struct itot_sock *c)
{
    c->pend.acc_next = NULL;
    if (l->lst.acc_tail)
        l->lst.acc_tail->pend.acc_next = c;
    else
        l->lst.acc_head = c;
    l->lst.acc_tail = c;
}

void itot_listen_requeue(struct itot_sock *l, struct itot_sock *c)
{
    c->pend.acc_next = l->lst.acc_head;
    l->lst.acc_head = c;
    if (l->lst.acc_tail == NULL)
        l->lst.acc_tail = c;
}

struct itot_sock *itot_listen_dequeue(struct itot_sock *l)
{
    struct itot_sock *c = l->lst.acc_head;
    if (c != NULL) {
        l->lst.acc_head = c->pend.acc_next;
        if (l->lst.acc_head == NULL)
            l->lst.acc_tail = NULL;
        c->pend.acc_next = NULL;
    }
    return c;
}

bool itot_listen_uncount(struct itot_sock *l, struct itot_sock *c)
{
    if (!c->pend.counted)
        return false;
    l->lst.n_pending--;
    c->pend.counted = false;
    return true;
}

void itot_pending_uncount(struct itot_sock *c)
{
    struct itot_sock *l = c->pend.listener;
    pthread_mutex_lock(&l->lock);
    if (itot_listen_uncount(l, c)) {
        itot_engine_update(l);
        itot_wake(l);
    }
    pthread_mutex_unlock(&l->lock);
}

/* v leaves the silent list and the pending count now; itot_listen_evict
 * closes it once the listener's lock is released. */
static bool pick(struct itot_sock *l, struct itot_sock *v, struct itot_evict *ev)
{
    if (ev->n == ITOT_EVICT_BATCH)
        return false;
    itot_listen_unsilence(l, v);
    itot_listen_uncount(l, v);
    itot_sock_ref(v);
    ev->v[ev->n++] = v;
    return true;
}

static int silent_from(const struct itot_sock *l, const union itot_addr *src)
{
    int n = 0;
    for (const struct itot_sock *c = l->lst.silent_head; c; c = c->pend.silent_next)
        n += same_source(&c->peer, src);
    return n;
}

/* The oldest evictable silent connection from src, or NULL. */
static struct itot_sock *oldest_from(const struct itot_sock *l, const union itot_addr *src,
                                     uint64_t now)
{
    for (struct itot_sock *c = l->lst.silent_head; c && evictable(c, now); c = c->pend.silent_next)
        if (same_source(&c->peer, src))
            return c;
    return NULL;
}

bool itot_listen_may_accept(const struct itot_sock *l, uint64_t now)
{
    if (l->closing || l->lst.accept_resume_ms != 0)
        return false;
    if (l->lst.n_pending < l->lst.max_pending)
        return true;
    /* Full: only when a silent connection can make room. */
    return l->lst.silent_head != NULL && evictable(l->lst.silent_head, now);
}

void itot_listen_admit(struct itot_sock *l, struct itot_sock *c, uint64_t now,
                       struct itot_evict *ev)
{
    c->pend.silent = true;
    c->pend.silent_next = NULL;
    c->pend.silent_prev = l->lst.silent_tail;
    if (l->lst.silent_tail)
        l->lst.silent_tail->pend.silent_next = c;
    else
        l->lst.silent_head = c;
    l->lst.silent_tail = c;
    struct itot_sock *v = NULL;
    if (silent_from(l, &c->peer) > l->lst.max_silent_per_source)
        v = oldest_from(l, &c->peer, now);
    if (v == NULL && l->lst.n_pending > l->lst.max_pending && evictable(l->lst.silent_head, now))
        v = l->lst.silent_head;
    if (v != NULL)
        pick(l, v, ev);
}

void itot_listen_trim(struct itot_sock *l, uint64_t now, struct itot_evict *ev)
{
    /* The list is in accept order: the evictable ones are a prefix.  Quadratic
     * in that prefix, which WSP_ITOT_MAX_PENDING bounds; it runs when a silent
     * connection turns evictable, not per packet. */
    l->lst.trim_due = false;
    struct itot_sock *c = l->lst.silent_head;
    while (c && evictable(c, now)) {
        struct itot_sock *next = c->pend.silent_next;
        if (silent_from(l, &c->peer) > l->lst.max_silent_per_source && !pick(l, c, ev)) {
            l->lst.trim_due = true; /* batch full: come back at once */
            return;
        }
        c = next;
    }
}

uint64_t itot_listen_deadline(const struct itot_sock *l, uint64_t now)
{
    if (l->closing || l->fd < 0)
        return 0;
    if (l->lst.trim_due)
        return 1; /* in the past: as soon as the engine looks */
    uint64_t d = l->lst.accept_resume_ms;
    /* The next silent connection to turn evictable. */
    for (const struct itot_sock *c = l->lst.silent_head; c; c = c->pend.silent_next) {
        if (!evictable(c, now)) {
            uint64_t t = c->pend.accepted_ms + ITOT_SILENT_GRACE_MS;
            if (d == 0 || t < d)
                d = t;
            break;
        }
    }
    return d;
}

void itot_listen_tick(struct itot_sock *l, uint64_t now, struct itot_evict *ev)
{
    /* Before any accept: a reserve lost while refusing (another thread took
     * the slot for a moment when it was reopened) is taken back first.  An
     * accept first would admit a connection with that slot and leave the
     * listener unable to refuse the next ones. */
    if (!l->closing)
        itot_listen_reserve_open(l);
    if (l->lst.accept_resume_ms != 0 && now >= l->lst.accept_resume_ms)
        l->lst.accept_resume_ms = 0;
    itot_listen_trim(l, now, ev);
}

void itot_listen_evict(struct itot_evict *ev)
{
    for (int i = 0; i < ev->n; i++) {
        struct itot_sock *v = ev->v[i];
        pthread_mutex_lock(&v->lock);
        if (v->fd >= 0 && v->has_conn && v->conn.state == CONN_S_WAIT_CR) {
            conn_close_tcp(&v->conn, true);
            itot_apply(v); /* closes TCP; the engine reaps the registration */
        }
        pthread_mutex_unlock(&v->lock);
        itot_sock_unref(v);
    }
    ev->n = 0;
}

/* ---- what accepted connections get from the listener --------------------- */

/* A wildcard: "0.0.0.0", "::", or IPv4's as an IPv6 socket's mapped
 * address (::ffff:0.0.0.0), which listens on every IPv4 address. */
static bool addr_is_wildcard(const union itot_addr *a)
{
    if (a->sa.sa_family == AF_INET)
        return a->in.sin_addr.s_addr == htonl(INADDR_ANY);
    const struct in6_addr *v6 = &a->in6.sin6_addr;
    return IN6_IS_ADDR_UNSPECIFIED(v6) ||
           (IN6_IS_ADDR_V4MAPPED(v6) && memcmp(v6->s6_addr + 12, "\0\0\0\0", 4) == 0);
}

/* Linux copies a listener's socket options to the connections it accepts
 * (the accepted sock is a clone of the listening one), TCP_NODELAY and
 * SO_KEEPALIVE among them: set once here, they cost no call per connection.
 * SO_KEEPALIVE on a listening socket only sets the flag.  The listener's
 * local name is kept only when it listens on one address: then it is every
 * accepted connection's (local_len 0: each one asks the kernel). */
void itot_listen_prepare_fd(struct itot_sock *l)
{
    int one = 1;
    sys_setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sys_setsockopt(l->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    l->local_len = sizeof l->local;
    if (sys_getsockname(l->fd, (struct sockaddr *)&l->local, &l->local_len) != 0 ||
        addr_is_wildcard(&l->local))
        l->local_len = 0;
}

void itot_listen_local_of(const struct itot_sock *l, int fd, struct itot_sock *c)
{
    if (l->local_len > 0) {
        c->local = l->local; /* the address and port the peer connected to */
        c->local_len = l->local_len;
        return;
    }
    c->local_len = sizeof c->local;
    sys_getsockname(fd, (struct sockaddr *)&c->local, &c->local_len);
}

/* ---- out of descriptors -------------------------------------------------- */

void itot_listen_reserve_open(struct itot_sock *l)
{
    if (l->lst.reserve_fd < 0)
        l->lst.reserve_fd = sys_open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void itot_listen_reserve_close(struct itot_sock *l)
{
    if (l->lst.reserve_fd >= 0)
        sys_close(l->lst.reserve_fd);
    l->lst.reserve_fd = -1;
}

/* Accept and reset what waits in the kernel queue, one freed slot at a time. */
static void refuse_queued(struct itot_sock *l)
{
    for (int i = 0; i < ITOT_REFUSE_BATCH && l->lst.reserve_fd >= 0; i++) {
        itot_listen_reserve_close(l);
        int fd = sys_accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            /* An abortive close: the peer gets a RST, as from a Windows
             * listener with no room, and no TIME_WAIT stays here. */
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            sys_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            sys_close(fd);
        }
        itot_listen_reserve_open(l);
        if (fd < 0)
            break; /* queue empty (EAGAIN), or the slot was taken meanwhile */
    }
}

static void back_off(struct itot_sock *l, uint64_t now)
{
    uint32_t b = l->lst.accept_backoff_ms * 2;
    if (b < ITOT_ACCEPT_BACKOFF_MIN_MS)
        b = ITOT_ACCEPT_BACKOFF_MIN_MS;
    if (b > ITOT_ACCEPT_BACKOFF_MAX_MS)
        b = ITOT_ACCEPT_BACKOFF_MAX_MS;
    l->lst.accept_backoff_ms = b;
    l->lst.accept_resume_ms = now + b;
}

enum accept_verdict {
    ACC_BACK_OFF = 0, /* unknown: never retry at once (that could spin) */
    ACC_NEXT,         /* this connection is gone; the next may work */
    ACC_DONE,         /* nothing left to accept */
    ACC_REFUSE,       /* out of descriptors: refuse with the reserve, back off */
};

static const struct {
    int err;
    enum accept_verdict v;
} accept_errors[] = {
    {EAGAIN, ACC_DONE},
    {EINTR, ACC_NEXT},
    {ECONNABORTED, ACC_NEXT},
    /* accept(2): network errors of the new connection are passed on. */
    {EPROTO, ACC_NEXT},
    {ENETDOWN, ACC_NEXT},
    {ENOPROTOOPT, ACC_NEXT},
    {EHOSTDOWN, ACC_NEXT},
    {ENONET, ACC_NEXT},
    {EHOSTUNREACH, ACC_NEXT},
    {EOPNOTSUPP, ACC_NEXT},
    {ENETUNREACH, ACC_NEXT},
    /* EPERM may come from a security module before the connection is taken
     * off the queue: retrying at once could spin, so it backs off. */
    {EPERM, ACC_BACK_OFF},
    {EMFILE, ACC_REFUSE},
    {ENFILE, ACC_REFUSE},
    {ENOBUFS, ACC_BACK_OFF},
    {ENOMEM, ACC_BACK_OFF},
};

bool itot_listen_accept_failed(struct itot_sock *l, int err, uint64_t now)
{
    enum accept_verdict v = ACC_BACK_OFF;
    if (err == EWOULDBLOCK)
        err = EAGAIN;
    for (size_t i = 0; i < sizeof accept_errors / sizeof accept_errors[0]; i++)
        if (accept_errors[i].err == err)
            v = accept_errors[i].v;
    if (v == ACC_NEXT)
        return true;
    if (v == ACC_DONE)
        return false;
    if (v == ACC_REFUSE)
        refuse_queued(l);
    back_off(l, now);
    return false;
}
