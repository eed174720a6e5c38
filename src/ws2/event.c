/* SPDX-License-Identifier: MIT */
/* Events on eventfd: the counter being non-zero is "signalled". Setting adds
 * 1, resetting reads the counter back to 0, and waiting polls for POLLIN,
 * which never consumes: exactly the manual-reset semantics of Winsock.
 *
 * The table is guarded by a mutex (events are not on a hot path). A waiter
 * holds a reference so that WSACloseEvent during a wait invalidates the handle
 * at once but closes the descriptor only after the wait is over. */
#include "event.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "apc.h"
#include "common/sys.h"
#include "common/umem.h"

#define EVT_MAX 0xFFFFFu /* index + 1 fits in 20 bits */
#define EVT_SHIFT 22

struct evt {
    int fd;
    uint32_t gen;
    int used;   /* slot holds an event (maybe closed but still referenced) */
    int closed; /* WSACloseEvent done: the handle is invalid */
    unsigned refs;
};

static pthread_mutex_t evt_mu = PTHREAD_MUTEX_INITIALIZER;
static struct evt *evt_tab;
static uint32_t evt_cap;
static uint32_t evt_gen_next = 1;

static WSAEVENT evt_encode(uint32_t index, uint32_t gen)
{
    /* an encoded number, never dereferenced: see event.h */
    return (WSAEVENT)(((uintptr_t)gen << EVT_SHIFT) | // NOLINT(performance-no-int-to-ptr)
                      ((uintptr_t)(index + 1) << 2));
}

/* Under evt_mu: the live event behind h, or NULL. */
static struct evt *evt_lookup_locked(WSAEVENT h)
{
    uintptr_t v = (uintptr_t)h;
    uint32_t index1 = (uint32_t)((v >> 2) & EVT_MAX);
    uint32_t gen = (uint32_t)(v >> EVT_SHIFT);
    if (index1 == 0 || index1 > evt_cap || evt_encode(index1 - 1, gen) != h)
        return NULL;
    struct evt *e = &evt_tab[index1 - 1];
    return e->used && !e->closed && e->gen == gen ? e : NULL;
}

static void evt_release_locked(struct evt *e)
{
    if (--e->refs == 0) {
        sys_close(e->fd);
        e->used = 0;
        e->closed = 0;
    }
}

int evt_create(WSAEVENT *out)
{
    int fd = sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) /* out of descriptors too: WSACreateEvent's one code (Windows) */
        return WSA_NOT_ENOUGH_MEMORY;
    pthread_mutex_lock(&evt_mu);
    uint32_t i = 0;
    while (i < evt_cap && evt_tab[i].used)
        i++;
    if (i == evt_cap) {
        uint32_t ncap = evt_cap ? evt_cap * 2 : 16;
        struct evt *nt = ncap <= EVT_MAX ? realloc(evt_tab, ncap * sizeof *nt) : NULL;
        if (nt == NULL) {
            pthread_mutex_unlock(&evt_mu);
            sys_close(fd);
            return WSA_NOT_ENOUGH_MEMORY;
        }
        for (uint32_t k = evt_cap; k < ncap; k++)
            nt[k] = (struct evt){.fd = -1};
        evt_tab = nt;
        evt_cap = ncap;
    }
    uint32_t gen = evt_gen_next;
    evt_gen_next = (evt_gen_next + 1) & ((UINTPTR_MAX >> EVT_SHIFT) & 0xFFFFFFFFu);
    if (evt_gen_next == 0)
        evt_gen_next = 1;
    evt_tab[i] = (struct evt){.fd = fd, .gen = gen, .used = 1, .refs = 1};
    *out = evt_encode(i, gen);
    pthread_mutex_unlock(&evt_mu);
    return 0;
}

int evt_close(WSAEVENT h)
{
    pthread_mutex_lock(&evt_mu);
    struct evt *e = evt_lookup_locked(h);
    if (e) {
        e->closed = 1;
        evt_release_locked(e);
    }
    pthread_mutex_unlock(&evt_mu);
    return e ? 0 : WSA_INVALID_HANDLE;
}

int evt_check(WSAEVENT h)
{
    pthread_mutex_lock(&evt_mu);
    struct evt *e = evt_lookup_locked(h);
    pthread_mutex_unlock(&evt_mu);
    return e ? 0 : WSA_INVALID_HANDLE;
}

int evt_set(WSAEVENT h)
{
    pthread_mutex_lock(&evt_mu);
    struct evt *e = evt_lookup_locked(h);
    int err = WSA_INVALID_HANDLE;
    if (e) {
        uint64_t one = 1;
        /* EAGAIN only if the counter is at its maximum: still signalled */
        err = sys_write(e->fd, &one, sizeof one) == sizeof one || errno == EAGAIN
                  ? 0
                  : WSASYSCALLFAILURE;
    }
    pthread_mutex_unlock(&evt_mu);
    return err;
}

int evt_reset(WSAEVENT h)
{
    pthread_mutex_lock(&evt_mu);
    struct evt *e = evt_lookup_locked(h);
    int err = WSA_INVALID_HANDLE;
    if (e) {
        uint64_t v;
        /* EAGAIN: the counter was already 0 */
        err = sys_read(e->fd, &v, sizeof v) == sizeof v || errno == EAGAIN ? 0 : WSASYSCALLFAILURE;
    }
    pthread_mutex_unlock(&evt_mu);
    return err;
}

static int64_t evt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Poll the given descriptors once with timeout ms (-1 = infinite). */
static int evt_poll(struct pollfd *p, DWORD n, int timeout)
{
    int r;
    do {
        r = sys_poll(p, n, timeout);
    } while (r < 0 && errno == EINTR && timeout < 0);
    return r < 0 && errno == EINTR ? 0 : r;
}

/* A failed poll (errno): out of memory is WSA_NOT_ENOUGH_MEMORY, as Windows'
 * WSAWaitForMultipleEvents page lists it; the rest (EFAULT, EINVAL) cannot
 * happen on our own array of at most 65 descriptors. */
static int evt_poll_error(void)
{
    return errno == ENOMEM ? WSA_NOT_ENOUGH_MEMORY : WSASYSCALLFAILURE;
}

/* Wait for the events of fds (all of them, or any); apc_fd >= 0 is the
 * calling thread's APC queue descriptor of an alertable wait: readable, it
 * ends the wait with WSA_WAIT_IO_COMPLETION (the caller runs the APCs). */
static DWORD evt_wait_fds(const int *fds, DWORD n, BOOL all, DWORD timeout_ms, int apc_fd, int *err)
{
    int64_t deadline = timeout_ms == WSA_INFINITE ? -1 : evt_now_ms() + timeout_ms;
    struct pollfd p[WSA_MAXIMUM_WAIT_EVENTS + 1];
    DWORD extra = apc_fd >= 0 ? 1 : 0;
    for (;;) {
        for (DWORD i = 0; i < n; i++)
            p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        /* first a non-blocking look at all of them */
        int r = evt_poll(p, n, 0);
        if (r < 0) {
            *err = evt_poll_error();
            return WSA_WAIT_FAILED;
        }
        if (!all && r > 0) {
            for (DWORD i = 0; i < n; i++)
                if (p[i].revents & POLLIN)
                    return WSA_WAIT_EVENT_0 + i;
        }
        if (all && (DWORD)r == n)
            return WSA_WAIT_EVENT_0;
        int remaining = -1;
        if (deadline >= 0) {
            int64_t left = deadline - evt_now_ms();
            if (left <= 0)
                return WSA_WAIT_TIMEOUT;
            remaining = left > 0x7FFFFFFF ? 0x7FFFFFFF : (int)left;
        }
        /* then sleep on the ones not yet signalled; the loop re-checks all,
         * since a signalled one may have been reset meanwhile */
        DWORD k = 0;
        for (DWORD i = 0; i < n; i++)
            if (!all || !(p[i].revents & POLLIN))
                p[k++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        if (extra)
            p[k++] = (struct pollfd){.fd = apc_fd, .events = POLLIN};
        if (evt_poll(p, k, remaining) < 0) {
            *err = evt_poll_error();
            return WSA_WAIT_FAILED;
        }
        if (extra && (p[k - 1].revents & POLLIN))
            return WSA_WAIT_IO_COMPLETION;
    }
}

DWORD evt_wait(DWORD n, const WSAEVENT *events, BOOL all, DWORD timeout_ms, BOOL alertable,
               int *err)
{
    WSAEVENT hs[WSA_MAXIMUM_WAIT_EVENTS];
    if (n == 0 || n > WSA_MAXIMUM_WAIT_EVENTS || umem_read(hs, events, n * sizeof hs[0]) != 0) {
        *err = WSA_INVALID_PARAMETER;
        return WSA_WAIT_FAILED;
    }
    struct evt *es[WSA_MAXIMUM_WAIT_EVENTS];
    int fds[WSA_MAXIMUM_WAIT_EVENTS];
    pthread_mutex_lock(&evt_mu);
    for (DWORD i = 0; i < n; i++) {
        es[i] = evt_lookup_locked(hs[i]);
        if (es[i] == NULL) {
            pthread_mutex_unlock(&evt_mu);
            *err = WSA_INVALID_HANDLE;
            return WSA_WAIT_FAILED;
        }
    }
    for (DWORD i = 0; i < n; i++) {
        es[i]->refs++;
        fds[i] = es[i]->fd;
    }
    pthread_mutex_unlock(&evt_mu);

    /* an alertable wait first runs what is already queued, then also wakes
     * for what gets queued while it sleeps */
    DWORD r;
    if (alertable && apc_run_self() > 0)
        r = WSA_WAIT_IO_COMPLETION;
    else
        r = evt_wait_fds(fds, n, all, timeout_ms, alertable ? apc_self_fd() : -1, err);
    if (r == WSA_WAIT_IO_COMPLETION)
        (void)apc_run_self();

    /* es[i] may have moved if the table grew: find the slots again by index */
    pthread_mutex_lock(&evt_mu);
    for (DWORD i = 0; i < n; i++) {
        uint32_t index = (uint32_t)((((uintptr_t)hs[i]) >> 2) & EVT_MAX) - 1;
        evt_release_locked(&evt_tab[index]);
    }
    pthread_mutex_unlock(&evt_mu);
    return r;
}

void evt_reset_all(void)
{
    pthread_mutex_lock(&evt_mu);
    for (uint32_t i = 0; i < evt_cap; i++)
        if (evt_tab[i].used)
            sys_close(evt_tab[i].fd);
    free(evt_tab);
    evt_tab = NULL;
    evt_cap = 0;
    pthread_mutex_unlock(&evt_mu);
}

int evt_fd(WSAEVENT h, int *fd)
{
    pthread_mutex_lock(&evt_mu);
    struct evt *e = evt_lookup_locked(h);
    if (e != NULL)
        *fd = e->fd;
    pthread_mutex_unlock(&evt_mu);
    return e != NULL ? 0 : WSA_INVALID_HANDLE;
}
