/* SPDX-License-Identifier: MIT */
/* ws2ovl_provider.so: a provider module that drives ws2's side of overlapped
 * I/O, for the ws2_overlapped tests. An overlapped WSPSend stays pending
 * until the test asks (WSAIoctl OVLTEST_COMPLETE with the error to report):
 * then a thread of the provider's own completes every pending operation the
 * way ws2spi.h says (WPUCompleteOverlappedRequest, found with
 * dlsym(RTLD_DEFAULT), or WPUQueueApc for a completion routine) and the
 * ioctl returns once it has. OVLTEST_STATS reports what happened to routines
 * ws2 refused or dropped. */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <wsp/ws2spi.h>

#include "ovl_test.h"
#include "unit/ws2_loader/stub_procs.h"

#define EXPORT __attribute__((visibility("default")))

static WSPUPCALLTABLE up;
static LPWPUCOMPLETEOVERLAPPEDREQUEST complete_req;

struct op {
    struct op *next;
    SOCKET s;
    LPWSAOVERLAPPED ov;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr;
    WSATHREADID tid;
    DWORD bytes, err;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct op *pending; /* LIFO is fine: the tests complete one at a time or all */
static struct ovltest_stats stats;

/* The APC: the application's routine, in the issuing thread. */
static void CALLBACK op_apc(DWORD_PTR ctx)
{
    struct op *o = (struct op *)ctx;
    o->cr(o->err, o->bytes, o->ov, 0);
    free(o);
}

/* ws2 dropped the APC unrun (its thread exited). */
static void CALLBACK op_discard(DWORD_PTR ctx)
{
    pthread_mutex_lock(&mu);
    stats.discarded++;
    pthread_mutex_unlock(&mu);
    free((struct op *)ctx);
}

static void op_complete(struct op *o)
{
    o->ov->Offset = 0;
    if (o->cr == NULL) {
        int e = 0;
        if (complete_req(o->s, o->ov, o->err, o->bytes, &e) != 0) {
            pthread_mutex_lock(&mu);
            stats.complete_errors++;
            stats.last_error = e;
            pthread_mutex_unlock(&mu);
        }
        free(o);
        return;
    }
    __atomic_store_n(&o->ov->InternalHigh, (ULONG_PTR)o->bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&o->ov->Internal, (ULONG_PTR)o->err, __ATOMIC_RELEASE);
    o->tid.Reserved = (DWORD_PTR)op_discard;
    int e = 0;
    if (up.lpWPUQueueApc(&o->tid, op_apc, (DWORD_PTR)o, &e) != 0) {
        pthread_mutex_lock(&mu);
        stats.queue_errors++;
        stats.last_error = e;
        pthread_mutex_unlock(&mu);
        free(o);
    }
}

struct completer {
    SOCKET s; /* INVALID_SOCKET: every socket */
    DWORD err;
};

static void *completer_main(void *arg)
{
    struct completer *c = arg;
    pthread_mutex_lock(&mu);
    struct op *list = NULL, **keep = &pending;
    while (*keep != NULL) {
        struct op *o = *keep;
        if (c->s == INVALID_SOCKET || o->s == c->s) {
            *keep = o->next;
            o->next = list;
            list = o;
        } else {
            keep = &o->next;
        }
    }
    pthread_mutex_unlock(&mu);
    while (list != NULL) {
        struct op *next = list->next;
        if (c->err != 0)
            list->err = c->err;
        op_complete(list);
        list = next;
    }
    return NULL;
}

/* Complete from a thread of the provider's own, and wait for it. */
static void complete_all(SOCKET s, DWORD err)
{
    struct completer c = {s, err};
    pthread_t t;
    if (pthread_create(&t, NULL, completer_main, &c) != 0)
        abort();
    pthread_join(t, NULL);
}

/* SIO_WSP_CANCEL_OVERLAPPED: abort s's operations on which (all if NULL),
 * in the calling thread. false when there was none. */
static bool cancel(SOCKET s, LPWSAOVERLAPPED which)
{
    pthread_mutex_lock(&mu);
    struct op *list = NULL, **keep = &pending;
    while (*keep != NULL) {
        struct op *o = *keep;
        if (o->s == s && (which == NULL || o->ov == which)) {
            *keep = o->next;
            o->next = list;
            list = o;
        } else {
            keep = &o->next;
        }
    }
    pthread_mutex_unlock(&mu);
    bool any = list != NULL;
    while (list != NULL) {
        struct op *next = list->next;
        list->err = WSA_OPERATION_ABORTED;
        op_complete(list);
        list = next;
    }
    return any;
}

static SOCKET WSPAPI f_socket(int af, int type, int protocol, LPWSAPROTOCOL_INFOW pi, GROUP g,
                              DWORD flags, LPINT e)
{
    (void)af, (void)type, (void)protocol, (void)g, (void)flags;
    return up.lpWPUCreateSocketHandle(pi->dwCatalogEntryId, 0, e);
}

static int WSPAPI f_closesocket(SOCKET s, LPINT e)
{
    complete_all(s, WSA_OPERATION_ABORTED);
    return up.lpWPUCloseSocketHandle(s, e);
}

static int WSPAPI f_send(SOCKET s, LPWSABUF b, DWORD n, LPDWORD sent, DWORD flags,
                         LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                         LPWSATHREADID tid, LPINT e)
{
    (void)flags;
    DWORD total = 0;
    for (DWORD i = 0; i < n; i++)
        total += b[i].len;
    if (ov == NULL) {
        *sent = total;
        return 0;
    }
    struct op *o = calloc(1, sizeof *o);
    if (o == NULL)
        return stub_fail(e, WSAENOBUFS);
    *o = (struct op){.s = s, .ov = ov, .cr = cr, .bytes = total};
    if (cr != NULL) {
        /* ws2 fills the thread only for a call with a completion routine */
        if (tid == NULL || tid->ThreadHandle == NULL) {
            free(o);
            return stub_fail(e, WSAEINVAL);
        }
        o->tid = *tid;
    } else if (tid != NULL && tid->ThreadHandle != NULL) {
        pthread_mutex_lock(&mu);
        stats.tid_without_routine++;
        pthread_mutex_unlock(&mu);
    }
    ov->Internal = WSS_OPERATION_IN_PROGRESS;
    pthread_mutex_lock(&mu);
    o->next = pending;
    pending = o;
    pthread_mutex_unlock(&mu);
    return stub_fail(e, WSA_IO_PENDING);
}

static BOOL WSPAPI f_ovres(SOCKET s, LPWSAOVERLAPPED ov, LPDWORD cb, BOOL wait, LPDWORD flags,
                           LPINT e)
{
    (void)s;
    ULONG_PTR st;
    while ((st = __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE)) == WSS_OPERATION_IN_PROGRESS) {
        if (!wait) {
            *e = WSA_IO_INCOMPLETE;
            return FALSE;
        }
        sched_yield(); /* a test provider: no wake-up machinery */
    }
    *cb = (DWORD)ov->InternalHigh;
    *flags = ov->Offset;
    if (st != 0) {
        *e = (int)st;
        return FALSE;
    }
    return TRUE;
}

static int WSPAPI f_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD inl, LPVOID out, DWORD outl,
                          LPDWORD ret, LPWSAOVERLAPPED o, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                          LPWSATHREADID t, LPINT e)
{
    (void)o, (void)cr, (void)t;
    if (code == OVLTEST_COMPLETE && in != NULL && inl == sizeof(DWORD)) {
        DWORD err;
        memcpy(&err, in, sizeof err);
        complete_all(s, err);
        *ret = 0;
        return 0;
    }
    if (code == OVLTEST_STATS && out != NULL && outl == sizeof(struct ovltest_stats)) {
        pthread_mutex_lock(&mu);
        memcpy(out, &stats, sizeof stats);
        memset(&stats, 0, sizeof stats);
        pthread_mutex_unlock(&mu);
        *ret = sizeof stats;
        return 0;
    }
    if (code == SIO_WSP_CANCEL_OVERLAPPED) {
        LPWSAOVERLAPPED which;
        if (in == NULL || inl != sizeof which)
            return stub_fail(e, WSAEFAULT);
        memcpy(&which, in, sizeof which);
        return cancel(s, which) ? 0 : stub_fail(e, WSP_ERROR_NOT_FOUND);
    }
    return stub_fail(e, WSAEINVAL);
}

static int WSPAPI f_cleanup(LPINT e)
{
    (void)e;
    return 0;
}

EXPORT int WSPAPI WSPStartup(WORD version, LPWSPDATA data, LPWSAPROTOCOL_INFOW pi,
                             WSPUPCALLTABLE upcalls, LPWSPPROC_TABLE t)
{
    (void)version, (void)pi;
    up = upcalls;
    /* the contract: exported by libwsp, or by a program holding it statically */
    complete_req =
        (LPWPUCOMPLETEOVERLAPPEDREQUEST)dlsym(RTLD_DEFAULT, "WPUCompleteOverlappedRequest");
    if (complete_req == NULL)
        return WSAEPROVIDERFAILEDINIT;
    data->wVersion = data->wHighVersion = MAKEWORD(2, 2);
    stub_procs(t); /* the rest: not supported */
    t->lpWSPCleanup = f_cleanup;
    t->lpWSPCloseSocket = f_closesocket;
    t->lpWSPGetOverlappedResult = f_ovres;
    t->lpWSPIoctl = f_ioctl;
    t->lpWSPSend = f_send;
    t->lpWSPSocket = f_socket;
    return 0;
}
