/* SPDX-License-Identifier: MIT */
/* The SPI level's overlapped side: the harness plays ws2 for overlapped
 * calls too, so the overlapped cases check a provider against the rules of
 * ws2spi.h without libwsp in the way.
 *  - Completion routines: one queue per thread behind the harness'
 *    WPUOpenCurrentThread / WPUQueueApc; an alertable wait (the level's
 *    alertable op) runs the calling thread's queue, nothing else does.
 *  - WPUCompleteOverlappedRequest is exported by libwsp, not passed in the
 *    upcall table: a provider finds it with dlsym(RTLD_DEFAULT), which sees
 *    this executable's definition first. While the SPI level runs, it
 *    completes on the harness' handles and events; otherwise (the API-level
 *    programs link this file too) it hands the call on to libwsp's. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "conf.h"

bool conf_spi_active;

struct spi_apc {
    struct spi_apc *next;
    LPWSAUSERAPC fn;
    DWORD_PTR ctx;
};

struct spi_apcq {
    pthread_mutex_t m;
    pthread_cond_t cv;
    struct spi_apc *head, **tail;
    struct spi_apcq *all_next; /* every queue stays reachable until exit */
};

static _Thread_local struct spi_apcq *spi_self_q;
static struct spi_apcq *spi_all_q;
static pthread_mutex_t spi_all_lock = PTHREAD_MUTEX_INITIALIZER;

static struct spi_apcq *spi_q_self(void)
{
    if (spi_self_q != NULL)
        return spi_self_q;
    struct spi_apcq *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    pthread_mutex_init(&q->m, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->tail = &q->head;
    pthread_mutex_lock(&spi_all_lock);
    q->all_next = spi_all_q;
    spi_all_q = q;
    pthread_mutex_unlock(&spi_all_lock);
    spi_self_q = q;
    return q;
}

int WSPAPI conf_spi_open_thread(LPWSATHREADID tid, LPINT err)
{
    struct spi_apcq *q = spi_q_self();
    if (q == NULL) {
        *err = WSAENOBUFS;
        return SOCKET_ERROR;
    }
    tid->ThreadHandle = q;
    tid->Reserved = 0;
    return 0;
}

int WSPAPI conf_spi_close_thread(LPWSATHREADID tid, LPINT err)
{
    (void)tid;
    (void)err;
    return 0; /* queues live as long as the process */
}

int WSPAPI conf_spi_queue_apc(LPWSATHREADID tid, LPWSAUSERAPC fn, DWORD_PTR ctx, LPINT err)
{
    struct spi_apcq *q = tid != NULL ? tid->ThreadHandle : NULL;
    struct spi_apc *a = q != NULL ? malloc(sizeof *a) : NULL;
    if (a == NULL) {
        *err = q == NULL ? WSAEINVAL : WSAENOBUFS;
        return SOCKET_ERROR;
    }
    a->next = NULL;
    a->fn = fn;
    a->ctx = ctx;
    pthread_mutex_lock(&q->m);
    *q->tail = a;
    q->tail = &a->next;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->m);
    return 0;
}

/* Wait up to ms for this thread's queue, then run all of it. */
static DWORD spi_alertable(DWORD ms)
{
    struct spi_apcq *q = spi_q_self();
    if (q == NULL)
        return 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q->m);
    while (q->head == NULL && pthread_cond_timedwait(&q->cv, &q->m, &until) == 0)
        ;
    struct spi_apc *run = q->head;
    q->head = NULL;
    q->tail = &q->head;
    pthread_mutex_unlock(&q->m);
    DWORD rc = run != NULL ? 0xC0u : 0; /* WAIT_IO_COMPLETION */
    while (run != NULL) {
        struct spi_apc *next = run->next;
        run->fn(run->ctx);
        free(run);
        run = next;
    }
    return rc;
}

int WSPAPI WPUCompleteOverlappedRequest(SOCKET s, LPWSAOVERLAPPED ov, DWORD dwError,
                                        DWORD cbTransferred, LPINT lpErrno)
{
    if (!conf_spi_active) {
        LPWPUCOMPLETEOVERLAPPEDREQUEST next =
            (LPWPUCOMPLETEOVERLAPPEDREQUEST)dlsym(RTLD_NEXT, "WPUCompleteOverlappedRequest");
        if (next != NULL)
            return next(s, ov, dwError, cbTransferred, lpErrno);
    }
    if (!conf_spi_active || !conf_spi_handle_ok(s) || ov == NULL) {
        if (lpErrno != NULL)
            *lpErrno = WSAEINVAL;
        return SOCKET_ERROR;
    }
    ov->InternalHigh = cbTransferred;
    __atomic_store_n(&ov->Internal, (ULONG_PTR)dwError, __ATOMIC_RELEASE);
    WSAEVENT e = (WSAEVENT)((uintptr_t)ov->hEvent & ~(uintptr_t)1);
    if (e != NULL)
        conf_spi_event_set(e);
    return 0;
}

/* ---- the level's overlapped calls ----------------------------------------- */
static int spi_ovl_send(SOCKET s, LPWSABUF b, DWORD nb, LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, DWORD *n, int *err)
{
    WSATHREADID tid = {0};
    if (routine != NULL && conf_spi_open_thread(&tid, err) != 0)
        return SOCKET_ERROR;
    return conf_spi_procs()->lpWSPSend(s, b, nb, n, 0, ov, routine, &tid, err);
}

static int spi_ovl_recv(SOCKET s, LPWSABUF b, DWORD nb, LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, DWORD *n, DWORD *flags,
                        int *err)
{
    WSATHREADID tid = {0};
    if (routine != NULL && conf_spi_open_thread(&tid, err) != 0)
        return SOCKET_ERROR;
    return conf_spi_procs()->lpWSPRecv(s, b, nb, n, flags, ov, routine, &tid, err);
}

static BOOL spi_ovl_result(SOCKET s, LPWSAOVERLAPPED ov, DWORD *n, BOOL wait, DWORD *flags,
                           int *err)
{
    return conf_spi_procs()->lpWSPGetOverlappedResult(s, ov, n, wait, flags, err);
}

const struct conf_ovl conf_spi_ovl = {
    .send = spi_ovl_send,
    .recv = spi_ovl_recv,
    .result = spi_ovl_result,
    .event_new = conf_spi_event_new,
    .event_wait = conf_spi_event_wait_ms,
    .event_free = conf_spi_event_free,
    .alertable = spi_alertable,
};
