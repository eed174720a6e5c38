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
 * structure alone until the last waiter has left. */
#include "iocp.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "apc.h"

#define IOCP_MAX 4096u
#define IOCP_SHIFT 22
#define IOCP_OPEN ((uint64_t)1 << 31)
#define IOCP_REFS 0x7FFFFFFFu

struct iocp_port {
    _Atomic uint64_t word;
    pthread_mutex_t mu;
    int fd;
    int closed;          /* under mu */
    unsigned waiters;    /* threads asleep in a wait (under mu; tests) */
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
    uint64_t v;
    if (read(p->fd, &v, sizeof v) != sizeof v) {
        /* EAGAIN: already 0 */
    }
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
    p->index = iocp_used++;
    atomic_init(&p->word, 0);
    atomic_store_explicit(&iocp_tab[p->index], p, memory_order_release);
    return p;
}

int iocp_create(HANDLE *out)
{
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

static void iocp_signal_locked(struct iocp_port *p)
{
    uint64_t one = 1;
    if (write(p->fd, &one, sizeof one) != sizeof one) {
        /* EAGAIN only at the counter's maximum: still readable */
    }
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
        if (p->count++ == 0)
            iocp_signal_locked(p);
    }
    pthread_mutex_unlock(&p->mu);
    iocp_unref(p);
    return err;
}

/* Take up to max packets, or say why none: 0, ERROR_ABANDONED_WAIT_0, or -1
 * (empty: wait). */
static int iocp_take(struct iocp_port *p, OVERLAPPED_ENTRY *out, ULONG max, ULONG *n)
{
    pthread_mutex_lock(&p->mu);
    int r = -1;
    if (p->closed) {
        r = ERROR_ABANDONED_WAIT_0;
    } else if (p->count > 0) {
        ULONG k = 0;
        while (k < max && p->count > 0) {
            out[k++] = p->q[p->head];
            p->head = (p->head + 1) % p->cap;
            p->count--;
        }
        if (p->count == 0) {
            uint64_t v;
            if (read(p->fd, &v, sizeof v) != sizeof v) {
                /* EAGAIN: already 0 */
            }
        }
        *n = k;
        r = 0;
    }
    pthread_mutex_unlock(&p->mu);
    return r;
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
    /* an alertable wait runs what is already queued first (as
     * WSAWaitForMultipleEvents does) */
    if (alertable && apc_run_self() > 0)
        return WAIT_IO_COMPLETION;
    int apc_fd = alertable ? apc_self_fd() : -1;
    int64_t deadline = timeout_ms == INFINITE ? -1 : iocp_now_ms() + timeout_ms;
    for (;;) {
        int r = iocp_take(p, out, max, n);
        if (r >= 0)
            return r;
        int remaining = -1;
        if (deadline >= 0) {
            int64_t left = deadline - iocp_now_ms();
            if (left <= 0)
                return WAIT_TIMEOUT;
            remaining = left > 0x7FFFFFFF ? 0x7FFFFFFF : (int)left;
        }
        struct pollfd pf[2] = {{.fd = p->fd, .events = POLLIN}, {.fd = apc_fd, .events = POLLIN}};
        pthread_mutex_lock(&p->mu);
        p->waiters++;
        pthread_mutex_unlock(&p->mu);
        int pr = poll(pf, 2, remaining);
        pthread_mutex_lock(&p->mu);
        p->waiters--;
        pthread_mutex_unlock(&p->mu);
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
    iocp_signal_locked(p);
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
