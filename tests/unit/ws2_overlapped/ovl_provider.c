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

static int fail(LPINT e, int code)
{
    *e = code;
    return SOCKET_ERROR;
}

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
        return fail(e, WSAENOBUFS);
    *o = (struct op){.s = s, .ov = ov, .cr = cr, .bytes = total};
    if (cr != NULL) {
        /* ws2 fills the thread only for a call with a completion routine */
        if (tid == NULL || tid->ThreadHandle == NULL) {
            free(o);
            return fail(e, WSAEINVAL);
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
    return fail(e, WSA_IO_PENDING);
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
            return fail(e, WSAEFAULT);
        memcpy(&which, in, sizeof which);
        return cancel(s, which) ? 0 : fail(e, WSP_ERROR_NOT_FOUND);
    }
    return fail(e, WSAEINVAL);
}

static int WSPAPI f_cleanup(LPINT e)
{
    (void)e;
    return 0;
}

/* The rest: not supported. */
static SOCKET WSPAPI u_accept(SOCKET s, struct sockaddr *a, LPINT l, LPCONDITIONPROC c, DWORD_PTR d,
                              LPINT e)
{
    (void)s, (void)a, (void)l, (void)c, (void)d;
    *e = WSAEOPNOTSUPP;
    return INVALID_SOCKET;
}
static INT WSPAPI u_addrtostr(LPSOCKADDR a, DWORD l, LPWSAPROTOCOL_INFOW p, LPWSTR s, LPDWORD sl,
                              LPINT e)
{
    (void)a, (void)l, (void)p, (void)s, (void)sl;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_asyncselect(SOCKET s, HWND h, unsigned m, LONG ev, LPINT e)
{
    (void)s, (void)h, (void)m, (void)ev;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_bind(SOCKET s, const struct sockaddr *n, int l, LPINT e)
{
    (void)s, (void)n, (void)l;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_cancel(LPINT e)
{
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_connect(SOCKET s, const struct sockaddr *n, int l, LPWSABUF a, LPWSABUF b,
                            LPQOS q, LPQOS g, LPINT e)
{
    (void)s, (void)n, (void)l, (void)a, (void)b, (void)q, (void)g;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_dup(SOCKET s, DWORD p, LPWSAPROTOCOL_INFOW i, LPINT e)
{
    (void)s, (void)p, (void)i;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_enumev(SOCKET s, WSAEVENT ev, LPWSANETWORKEVENTS n, LPINT e)
{
    (void)s, (void)ev, (void)n;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_eventselect(SOCKET s, WSAEVENT ev, LONG n, LPINT e)
{
    (void)s, (void)ev, (void)n;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_name(SOCKET s, struct sockaddr *n, LPINT l, LPINT e)
{
    (void)s, (void)n, (void)l;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_getsockopt(SOCKET s, int lv, int n, char *v, LPINT l, LPINT e)
{
    (void)s, (void)lv, (void)n, (void)v, (void)l;
    return fail(e, WSAENOPROTOOPT);
}
static BOOL WSPAPI u_qos(SOCKET s, LPWSABUF n, LPQOS q, LPINT e)
{
    (void)s, (void)n, (void)q;
    *e = WSAEOPNOTSUPP;
    return FALSE;
}
static SOCKET WSPAPI u_join(SOCKET s, const struct sockaddr *n, int l, LPWSABUF a, LPWSABUF b,
                            LPQOS q, LPQOS g, DWORD f, LPINT e)
{
    (void)s, (void)n, (void)l, (void)a, (void)b, (void)q, (void)g, (void)f;
    *e = WSAEOPNOTSUPP;
    return INVALID_SOCKET;
}
static int WSPAPI u_listen(SOCKET s, int b, LPINT e)
{
    (void)s, (void)b;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_recv(SOCKET s, LPWSABUF b, DWORD n, LPDWORD g, LPDWORD f, LPWSAOVERLAPPED o,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{
    (void)s, (void)b, (void)n, (void)g, (void)f, (void)o, (void)cr, (void)t;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_recvdisc(SOCKET s, LPWSABUF d, LPINT e)
{
    (void)s, (void)d;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_recvfrom(SOCKET s, LPWSABUF b, DWORD n, LPDWORD g, LPDWORD f,
                             struct sockaddr *fr, LPINT fl, LPWSAOVERLAPPED o,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{
    (void)s, (void)b, (void)n, (void)g, (void)f, (void)fr, (void)fl, (void)o, (void)cr, (void)t;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_select(int nfds, wsp_fd_set *r, wsp_fd_set *w, wsp_fd_set *x,
                           const struct timeval *t, LPINT e)
{
    (void)nfds, (void)r, (void)w, (void)x, (void)t;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_senddisc(SOCKET s, LPWSABUF d, LPINT e)
{
    (void)s, (void)d;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_sendto(SOCKET s, LPWSABUF b, DWORD n, LPDWORD g, DWORD f,
                           const struct sockaddr *to, int tl, LPWSAOVERLAPPED o,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{
    (void)s, (void)b, (void)n, (void)g, (void)f, (void)to, (void)tl, (void)o, (void)cr, (void)t;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_setsockopt(SOCKET s, int lv, int n, const char *v, int l, LPINT e)
{
    (void)s, (void)lv, (void)n, (void)v, (void)l;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_shutdown(SOCKET s, int h, LPINT e)
{
    (void)s, (void)h;
    return fail(e, WSAEOPNOTSUPP);
}
static INT WSPAPI u_strtoaddr(LPWSTR s, INT af, LPWSAPROTOCOL_INFOW p, LPSOCKADDR a, LPINT l,
                              LPINT e)
{
    (void)s, (void)af, (void)p, (void)a, (void)l;
    return fail(e, WSAEOPNOTSUPP);
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
    *t = (WSPPROC_TABLE){
        u_accept,      u_addrtostr, u_asyncselect, u_bind,     u_cancel,      f_cleanup,
        f_closesocket, u_connect,   u_dup,         u_enumev,   u_eventselect, f_ovres,
        u_name,        u_name,      u_getsockopt,  u_qos,      f_ioctl,       u_join,
        u_listen,      u_recv,      u_recvdisc,    u_recvfrom, u_select,      f_send,
        u_senddisc,    u_sendto,    u_setsockopt,  u_shutdown, f_socket,      u_strtoaddr,
    };
    return 0;
}
