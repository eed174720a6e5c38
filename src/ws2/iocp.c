/* SPDX-License-Identifier: MIT */
/* Completion ports. Each port is a ring of packets under its own mutex and an
 * eventfd that is readable while the ring is not empty or the port is
 * closed, so a waiter polls it (beside its APC descriptor when alertable)
 * and then takes packets under the mutex.
 *
 * Port structures are never freed, only reused (programs make few ports): a
 * slot holds one atomic word gen:32 | open:1 | refs:31, so "is this handle
 * the open port" and "take a reference" are one CAS, with no global lock on
 * the posting path. The handle itself holds one reference while open; every
 * call holds one for its duration, so CloseHandle during a wait leaves the
 * structure alone until the last waiter has left.
 *
 * NumberOfConcurrentThreads: a thread that took packets from a port runs
 * them (is "active" on it, Windows' word) until it waits on the port again,
 * waits on another port, or exits; while max_active threads are active, a
 * queued packet wakes no further waiter. The eventfd is therefore readable
 * only while a waiter may take something (iocp_sync_locked), and the count
 * lives under the port's own mutex, which the packet path takes anyway.
 *
 * Port polling (port_poll.c): a port may also have an epoll set, made when a
 * provider first asks for it (iocp_poll_set), holding the port's eventfd and
 * the descriptors of the sockets associated with the port. A non-alertable
 * waiter then waits in epoll_wait on that set and runs the provider's poll
 * procedure for each report itself: the completion it makes is posted to
 * this port by this thread, which takes it at once (iocp_reaping: no eventfd
 * write, no other thread woken). epoll_wait wakes the thread that began to
 * wait last; the port's own thread (iocp_keeper), which began first and
 * waits for ever, is therefore woken only when no application thread waits,
 * and keeps the sockets going then. The eventfd is edge-triggered in the set
 * (the keeper must not spin on queued packets it may not take), so a waiter
 * that leaves packets behind for another writes it once more (iocp_take).
 * An edge may still reach the keeper while a waiter is between its last look
 * at the queue and its epoll_wait: a keeper that finds such a waiter counted
 * (ep_waiters) runs what it got, writes the edge again for it and steps
 * aside (keeper_parked) until no thread waits in the set any more, rather
 * than take every edge from it.
 * The set and the keeper live as long as the process; reports of sockets of
 * a closed port still run (their completions go nowhere, as before). */
#include "iocp.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "apc.h"
#include "port_poll.h"

#define IOCP_MAX 4096u
#define IOCP_SHIFT 22
#define IOCP_OPEN ((uint64_t)1 << 31)
#define IOCP_REFS 0x7FFFFFFFu

struct iocp_port {
    _Atomic uint64_t word;
    pthread_mutex_t mu;
    int fd;
    int closed;          /* under mu */
    unsigned waiters;    /* threads that found nothing and wait (under mu) */
    unsigned max_active; /* NumberOfConcurrentThreads, 0 taken as the processors */
    unsigned active;     /* threads running its packets (under mu) */
    bool readable;       /* the eventfd's state (under mu) */
    int ep;              /* the port's epoll set, or -1 (set once under mu; port polling) */
    unsigned ep_waiters; /* threads in (or about to enter) epoll_wait on ep (under mu) */
    bool keeper_parked;  /* the keeper waits on kcond for ep_waiters to be 0 (under mu) */
    pthread_cond_t kcond;
    OVERLAPPED_ENTRY *q; /* ring, under mu */
    uint32_t cap, head, count;
    uint32_t index;
    uint32_t next_free; /* index + 1, under iocp_mu */
};

static _Atomic(struct iocp_port *) iocp_tab[IOCP_MAX];
static pthread_mutex_t iocp_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t iocp_used;      /* slots ever made (under iocp_mu) */
static uint32_t iocp_free_head; /* index + 1, 0 = none (under iocp_mu) */
static uint32_t iocp_gen_next = 1;

/* The port whose packets this thread runs (NULL: none), and its generation
 * then: the structure is never freed, a changed generation means the port
 * was closed (its count started afresh). */
static _Thread_local struct iocp_port *iocp_my_port;
static _Thread_local uint32_t iocp_my_gen;
static _Thread_local bool iocp_my_key_set;
/* The port whose set this thread is running reports of: its own posts to it
 * leave the eventfd alone, since this thread takes them next. */
static _Thread_local struct iocp_port *iocp_reaping;
static pthread_once_t iocp_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t iocp_key; /* its destructor: a thread that exits runs nothing any more */
static bool iocp_key_ok;

static HANDLE iocp_encode(uint32_t index, uint32_t gen)
{
    /* an encoded number, never dereferenced: see iocp.h */
    return (HANDLE)(((uintptr_t)gen << IOCP_SHIFT) | // NOLINT(performance-no-int-to-ptr)
                    ((uintptr_t)(index + 1) << 2) | 2u);
}

/* The open port behind h with one reference taken, or NULL. */
static struct iocp_port *iocp_ref(HANDLE h)
{
    uintptr_t v = (uintptr_t)h;
    uint32_t index1 = (uint32_t)((v >> 2) & 0xFFFFFu);
    uint32_t gen = (uint32_t)(v >> IOCP_SHIFT);
    if ((v & 3u) != 2u || index1 == 0 || index1 > IOCP_MAX || gen == 0 ||
        iocp_encode(index1 - 1, gen) != h)
        return NULL;
    struct iocp_port *p = atomic_load_explicit(&iocp_tab[index1 - 1], memory_order_acquire);
    if (p == NULL)
        return NULL;
    uint64_t w = atomic_load_explicit(&p->word, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(w >> 32) != gen || !(w & IOCP_OPEN) || (w & IOCP_REFS) == IOCP_REFS)
            return NULL;
        if (atomic_compare_exchange_weak_explicit(&p->word, &w, w + 1, memory_order_acquire,
                                                  memory_order_acquire))
            return p;
    }
}

static uint32_t iocp_gen_of(struct iocp_port *p)
{
    return (uint32_t)(atomic_load_explicit(&p->word, memory_order_acquire) >> 32);
}

/* Under p->mu: the eventfd readable exactly while a waiter has something to
 * do: the port is closed, or a packet is queued, fewer than max_active
 * threads run packets and a thread waits. Without a waiter nothing is
 * written: a thread counts itself as waiting in the same critical section
 * in which it found nothing to take (iocp_take), so a later post sees it;
 * and the thread that posts a packet and takes it itself (a worker's own
 * send completion) costs no eventfd write and wakes nobody. */
static void iocp_sync_locked(struct iocp_port *p)
{
    bool want = p->closed || (p->count > 0 && p->active < p->max_active && p->waiters > 0);
    if (want == p->readable)
        return;
    uint64_t v = 1;
    if (want) {
        if (write(p->fd, &v, sizeof v) != sizeof v) {
            /* EAGAIN only at the counter's maximum: still readable */
        }
    } else if (read(p->fd, &v, sizeof v) != sizeof v) {
        /* EAGAIN: already 0 */
    }
    p->readable = want;
}

/* Drop a reference; the last one of a closed port puts the slot back. */
static void iocp_unref(struct iocp_port *p)
{
    uint64_t prev = atomic_fetch_sub_explicit(&p->word, 1, memory_order_acq_rel);
    if ((prev & IOCP_REFS) != 1 || (prev & IOCP_OPEN))
        return;
    pthread_mutex_lock(&p->mu);
    p->closed = 0;
    p->count = 0;
    p->head = 0;
    p->active = 0;
    iocp_sync_locked(p);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_lock(&iocp_mu);
    p->next_free = iocp_free_head;
    iocp_free_head = p->index + 1;
    pthread_mutex_unlock(&iocp_mu);
}

/* Under iocp_mu: a free port structure (made if needed), or NULL. */
static struct iocp_port *iocp_slot_locked(void)
{
    if (iocp_free_head != 0) {
        struct iocp_port *p =
            atomic_load_explicit(&iocp_tab[iocp_free_head - 1], memory_order_relaxed);
        iocp_free_head = p->next_free;
        return p;
    }
    if (iocp_used >= IOCP_MAX)
        return NULL;
    struct iocp_port *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->fd < 0) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->kcond, NULL);
    p->ep = -1;
    p->index = iocp_used++;
    atomic_init(&p->word, 0);
    atomic_store_explicit(&iocp_tab[p->index], p, memory_order_release);
    return p;
}

int iocp_create(HANDLE *out, DWORD concurrent)
{
    if (concurrent == 0) { /* CreateIoCompletionPort page: "as many ... as there are processors" */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        concurrent = n > 0 ? (DWORD)n : 1;
    }
    pthread_mutex_lock(&iocp_mu);
    struct iocp_port *p = iocp_slot_locked();
    if (p == NULL) {
        pthread_mutex_unlock(&iocp_mu);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    uint32_t gen = iocp_gen_next;
    iocp_gen_next = (iocp_gen_next + 1) & (uint32_t)((UINTPTR_MAX >> IOCP_SHIFT) & 0xFFFFFFFFu);
    if (iocp_gen_next == 0)
        iocp_gen_next = 1;
    pthread_mutex_lock(&p->mu);
    p->max_active = concurrent;
    pthread_mutex_unlock(&p->mu);
    /* release: a lookup that sees the new generation sees a reset port */
    atomic_store_explicit(&p->word, ((uint64_t)gen << 32) | IOCP_OPEN | 1u, memory_order_release);
    *out = iocp_encode(p->index, gen);
    pthread_mutex_unlock(&iocp_mu);
    return 0;
}

int iocp_check(HANDLE h)
{
    struct iocp_port *p = iocp_ref(h);
    if (p == NULL)
        return ERROR_INVALID_HANDLE;
    iocp_unref(p);
    return 0;
}

/* Under p->mu: room for one more packet. */
static int iocp_grow_locked(struct iocp_port *p)
{
    if (p->count < p->cap)
        return 0;
    uint32_t ncap = p->cap ? p->cap * 2 : 64;
    OVERLAPPED_ENTRY *nq = ncap > p->cap ? malloc(ncap * sizeof *nq) : NULL;
    if (nq == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    for (uint32_t i = 0; i < p->count && p->cap > 0; i++) /* count <= cap always */
        nq[i] = p->q[(p->head + i) % p->cap];
    free(p->q);
    p->q = nq;
    p->cap = ncap;
    p->head = 0;
    return 0;
}

int iocp_post(HANDLE h, ULONG_PTR key, LPOVERLAPPED ov, DWORD bytes, DWORD status)
{
    struct iocp_port *p = iocp_ref(h);
    if (p == NULL)
        return ERROR_INVALID_HANDLE;
    pthread_mutex_lock(&p->mu);
    int err = p->closed ? ERROR_INVALID_HANDLE : iocp_grow_locked(p);
    if (err == 0) {
        p->q[(p->head + p->count) % p->cap] = (OVERLAPPED_ENTRY){
            .lpCompletionKey = key,
            .lpOverlapped = ov,
            .Internal = status,
            .dwNumberOfBytesTransferred = bytes,
        };
        p->count++;
        if (iocp_reaping != p)
            iocp_sync_locked(p);
    }
    pthread_mutex_unlock(&p->mu);
    iocp_unref(p);
    return err;
}

/* This thread no longer runs packets of the port it had (if any): one fewer
 * active there, which may let a queued packet go to a waiter. */
static void iocp_leave(void)
{
    struct iocp_port *p = iocp_my_port;
    if (p == NULL)
        return;
    iocp_my_port = NULL;
    pthread_mutex_lock(&p->mu);
    /* a closed port started its count afresh (and a reused one is another) */
    if (iocp_gen_of(p) == iocp_my_gen && p->active > 0) {
        p->active--;
        iocp_sync_locked(p);
    }
    pthread_mutex_unlock(&p->mu);
}

/* The key's destructor: a thread that exits runs nothing any more. */
static void iocp_thread_exit(void *unused)
{
    (void)unused;
    iocp_leave();
}

static void iocp_key_init(void)
{
    iocp_key_ok = pthread_key_create(&iocp_key, iocp_thread_exit) == 0;
}

/* This thread runs p's packets from now on (it has taken some). */
static void iocp_now_mine(struct iocp_port *p)
{
    iocp_my_port = p;
    iocp_my_gen = iocp_gen_of(p);
    if (!iocp_my_key_set) {
        /* once per thread: the destructor runs only for a non-NULL value.
         * Without a key (none left) an exiting thread stays counted; its
         * port's other waiters then wait for it as for a thread that never
         * came back. */
        pthread_once(&iocp_key_once, iocp_key_init);
        iocp_my_key_set = iocp_key_ok && pthread_setspecific(iocp_key, &iocp_my_port) == 0;
    }
}

/* Take up to max packets, or say why none: 0, ERROR_ABANDONED_WAIT_0, or -1
 * (nothing this thread may take: it is counted as waiting from then on, in
 * p's set when *ep >= 0 — see iocp_unwait). *back: this thread comes back from
 * running p's packets, counted off under the same lock as the take, so that
 * the packets held back for it go to it, not to a waiter (Windows: the
 * returning thread picks the next packet up without blocking). */
static int iocp_take(struct iocp_port *p, OVERLAPPED_ENTRY *out, ULONG max, ULONG *n, bool *back,
                     BOOL alertable, int *ep)
{
    pthread_mutex_lock(&p->mu);
    if (*back && p->active > 0)
        p->active--;
    *back = false;
    int r = -1;
    if (p->closed) {
        r = ERROR_ABANDONED_WAIT_0;
    } else if (p->count > 0 && p->active < p->max_active) {
        ULONG k = 0;
        while (k < max && p->count > 0) {
            out[k++] = p->q[p->head];
            p->head = (p->head + 1) % p->cap;
            p->count--;
        }
        p->active++;
        iocp_now_mine(p);
        *n = k;
        r = 0;
    } else {
        p->waiters++;
        /* an alertable wait needs its APC descriptor too: it polls, and the
         * port's own thread runs the set meanwhile */
        *ep = alertable ? -1 : p->ep;
        if (*ep >= 0)
            p->ep_waiters++;
    }
    bool was = p->readable;
    iocp_sync_locked(p);
    if (r == 0 && was && p->readable && p->ep >= 0) {
        /* packets left for another waiter: an edge for the set's next one */
        uint64_t v = 1;
        if (write(p->fd, &v, sizeof v) != sizeof v) {
            /* EAGAIN only at the counter's maximum: readable anyway */
        }
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* This thread no longer waits (counted by iocp_take, in the set when ep >= 0). */
static void iocp_unwait(struct iocp_port *p, int ep)
{
    pthread_mutex_lock(&p->mu);
    p->waiters--;
    if (ep >= 0 && --p->ep_waiters == 0 && p->keeper_parked)
        pthread_cond_signal(&p->kcond);
    iocp_sync_locked(p);
    pthread_mutex_unlock(&p->mu);
}

/* Wait on p's set for up to timeout_ms and run what it reports here: the
 * number of reports, or -1 with errno. */
static int iocp_poll_wait(struct iocp_port *p, int ep, int timeout_ms)
{
    iocp_reaping = p; /* nothing is posted here during the wait itself */
    int n = port_poll_run_set(ep, 16, timeout_ms);
    iocp_reaping = NULL;
    return n;
}

static int64_t iocp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int iocp_wait(struct iocp_port *p, OVERLAPPED_ENTRY *out, ULONG max, ULONG *n,
                     DWORD timeout_ms, BOOL alertable)
{
    /* Waiting on p ends what this thread ran: of p (counted off in the first
     * take) or of another port (counted off there now). */
    bool back = iocp_my_port == p && iocp_my_gen == iocp_gen_of(p);
    if (!back)
        iocp_leave();
    /* an alertable wait runs what is already queued first (as
     * WSAWaitForMultipleEvents does) */
    if (alertable && apc_run_self() > 0) {
        iocp_leave();
        return WAIT_IO_COMPLETION;
    }
    iocp_my_port = NULL; /* back: counted off in the first take */
    int apc_fd = alertable ? apc_self_fd() : -1;
    int64_t deadline = timeout_ms == INFINITE ? -1 : iocp_now_ms() + timeout_ms;
    for (;;) {
        int ep = -1;
        int r = iocp_take(p, out, max, n, &back, alertable, &ep);
        if (r >= 0)
            return r;
        int remaining = -1;
        if (deadline >= 0) {
            int64_t left = deadline - iocp_now_ms();
            if (left <= 0) {
                iocp_unwait(p, ep);
                return WAIT_TIMEOUT;
            }
            remaining = left > 0x7FFFFFFF ? 0x7FFFFFFF : (int)left;
        }
        struct pollfd pf[2] = {{.fd = p->fd, .events = POLLIN}, {.fd = apc_fd, .events = POLLIN}};
        int pr = ep >= 0 ? iocp_poll_wait(p, ep, remaining) : poll(pf, 2, remaining);
        iocp_unwait(p, ep);
        if (pr < 0 && errno != EINTR)
            return ERROR_INVALID_HANDLE; /* cannot happen on our own descriptors */
        if ((pf[1].revents & POLLIN) && apc_run_self() > 0)
            return WAIT_IO_COMPLETION;
    }
}

int iocp_get(HANDLE h, OVERLAPPED_ENTRY *out, ULONG max, ULONG *n, DWORD timeout_ms, BOOL alertable)
{
    struct iocp_port *p = iocp_ref(h);
    if (p == NULL)
        return ERROR_INVALID_HANDLE;
    int r = iocp_wait(p, out, max, n, timeout_ms, alertable);
    iocp_unref(p);
    return r;
}

/* The port's own thread: runs the set's reports while no application thread
 * waits on the port (it began to wait first, so epoll wakes it last). */
static void *iocp_keeper_main(void *arg)
{
    struct iocp_port *p = arg;
    int ep = p->ep; /* set before this thread was made, never changed in this process */
    for (;;) {
        if (port_poll_run_set(ep, 64, -1) < 0 && errno != EINTR)
            return NULL; /* cannot happen on our own set */
        pthread_mutex_lock(&p->mu);
        if (p->ep_waiters > 0) {
            /* a waiter is on its way into the set: the edge it needs may
             * have been ours; give it again, and leave the set to it */
            uint64_t v = 1;
            if (p->readable && write(p->fd, &v, sizeof v) != sizeof v) {
                /* EAGAIN only at the counter's maximum: readable anyway */
            }
            p->keeper_parked = true;
            while (p->ep_waiters > 0)
                pthread_cond_wait(&p->kcond, &p->mu);
            p->keeper_parked = false;
        }
        pthread_mutex_unlock(&p->mu);
    }
}

/* fork(): the set is the parent's (the same kernel object), its keeper did
 * not come along; the child makes its own when a provider asks again. */
static void iocp_fork_child(void)
{
    for (uint32_t i = 0; i < iocp_used; i++) {
        struct iocp_port *p = atomic_load_explicit(&iocp_tab[i], memory_order_relaxed);
        if (p != NULL && p->ep >= 0) {
            close(p->ep);
            p->ep = -1;
        }
    }
}

static pthread_once_t iocp_fork_once = PTHREAD_ONCE_INIT;

static void iocp_fork_register(void)
{
    pthread_atfork(NULL, NULL, iocp_fork_child);
}

/* Under p->mu: make p's set (its eventfd in it, edge-triggered) and keeper. */
static int iocp_poll_make(struct iocp_port *p)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return ERROR_NOT_ENOUGH_MEMORY;
    struct epoll_event ee = {.events = EPOLLIN | EPOLLET, .data.u64 = PORT_POLL_SELF};
    pthread_attr_t at;
    pthread_t t;
    bool attr = pthread_attr_init(&at) == 0;
    p->ep = ep;
    if (!attr || epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ee) != 0 ||
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED) != 0 ||
        pthread_create(&t, &at, iocp_keeper_main, p) != 0) {
        p->ep = -1;
        close(ep);
        if (attr)
            pthread_attr_destroy(&at);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    pthread_attr_destroy(&at);
    return 0;
}

int iocp_poll_set(HANDLE h, int *fd)
{
    struct iocp_port *p = iocp_ref(h);
    if (p == NULL)
        return ERROR_INVALID_HANDLE;
    pthread_once(&iocp_fork_once, iocp_fork_register);
    pthread_mutex_lock(&p->mu);
    int err = p->ep >= 0 ? 0 : iocp_poll_make(p);
    if (err == 0)
        *fd = p->ep;
    pthread_mutex_unlock(&p->mu);
    iocp_unref(p);
    return err;
}

int iocp_close(HANDLE h)
{
    struct iocp_port *p = iocp_ref(h);
    if (p == NULL)
        return ERROR_INVALID_HANDLE;
    uint64_t w = atomic_load_explicit(&p->word, memory_order_relaxed);
    do {
        if (!(w & IOCP_OPEN)) { /* another CloseHandle won */
            iocp_unref(p);
            return ERROR_INVALID_HANDLE;
        }
    } while (!atomic_compare_exchange_weak_explicit(&p->word, &w, w & ~IOCP_OPEN,
                                                    memory_order_acq_rel, memory_order_relaxed));
    pthread_mutex_lock(&p->mu);
    p->closed = 1;
    p->count = 0; /* queued packets go with the port */
    iocp_sync_locked(p);
    pthread_mutex_unlock(&p->mu);
    iocp_unref(p); /* ours */
    iocp_unref(p); /* the handle's */
    return 0;
}

unsigned iocp_waiters(HANDLE h)
{
    struct iocp_port *p = iocp_ref(h);
    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->mu);
    unsigned n = p->waiters;
    pthread_mutex_unlock(&p->mu);
    iocp_unref(p);
    return n;
}
