/* SPDX-License-Identifier: MIT */
/* Overlapped calls through the layer, the way a Windows non-IFS LSP does
 * them (docs/writing-a-provider.md, "Overlapped operations in a layer").
 *
 * The application's WSAOVERLAPPED belongs to the layered socket: its
 * completion must reach the completion port, event or routine the
 * application chose for OUR handle. So the layer keeps the application's
 * operation (a record of the provider kit, common/ovl.h, made for our
 * handle) and issues the call down with a WSAOVERLAPPED of its own, in a
 * struct trace_ovl. The next provider completes that one on its socket,
 * which is on the layer's port (port.c); the worker then completes the
 * application's operation with the lower result: the status, the byte count
 * and the flags (the lower WSAOVERLAPPED's Offset, ws2spi.h).
 *
 * Exactly once. A lower call that returns 0 completed at once, and the next
 * provider still reports it to our port (the O1 rule). Two parties may then
 * report the application's operation: the submitting thread (so that the
 * application's WSAOVERLAPPED is final when the call returns 0, as on
 * Windows) and the worker. Both do it under ts->lock and only when
 * t->reported is still false. The submitter does it only when every
 * operation issued before it is reported already, so the
 * application's completions keep the order in which the next provider made
 * them. The record goes back to the socket's spare list when both the
 * submitter and the lower completion are done with it (refs).
 *
 * Closing. An operation pending below still owns the application's buffers,
 * so its completion can be reported only when the next provider has let go.
 * WSPCloseSocket therefore cancels everything below
 * (SIO_WSP_CANCEL_OVERLAPPED), waits until the worker has reported every
 * operation on our handle (WSA_OPERATION_ABORTED, through the application's
 * port), and only then gives our handle back (sock.c).
 *
 * Steady state allocates nothing: the kit recycles its records without a
 * lock, a socket keeps its own spare trace_ovl records (two of them inside
 * the socket), and the only lock is the socket's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ovl.h"
#include "trace.h"

static void trace_ovl_log(const struct trace_ovl *t, DWORD err, DWORD bytes)
{
    /* the application's operation, completed: "WSPRecv(completed)" */
    char call[48];
    snprintf(call, sizeof call, "%s(completed)", t->call);
    struct trace_rec r = {call, t->ts->self, err == 0 ? 0 : SOCKET_ERROR, (int)err, bytes, -1};
    trace_log(&r);
}

void trace_ovl_sock_init(struct trace_sock *ts)
{
    pthread_mutex_init(&ts->lock, NULL);
    pthread_cond_init(&ts->idle, NULL);
    ts->closing = false;
    ts->submitting = 0;
    ts->pending = ts->pending_tail = NULL;
    ts->spare = NULL;
    for (int i = 0; i < TRACE_INLINE_OVL; i++) {
        ts->inline_ovl[i].heap = false;
        ts->inline_ovl[i].next = ts->spare;
        ts->spare = &ts->inline_ovl[i];
    }
    /* Without the kit (a libwsp that does not export the completion upcall)
     * or without the port, overlapped calls pass through unchanged: the next
     * provider then completes them on its own socket. */
    ts->via_port = ts->overlapped && ovl_available() && trace_port_attach(ts->lower);
}

/* ---- the pending list and the records (under ts->lock) ------------------ */

static void trace_pending_push(struct trace_sock *ts, struct trace_ovl *t)
{
    t->next = NULL;
    t->prev = ts->pending_tail;
    if (ts->pending_tail != NULL)
        ts->pending_tail->next = t;
    else
        ts->pending = t;
    ts->pending_tail = t;
}

static void trace_pending_remove(struct trace_sock *ts, struct trace_ovl *t)
{
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        ts->pending = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    else
        ts->pending_tail = t->prev;
    t->prev = t->next = NULL;
}

static struct trace_ovl *trace_ovl_get(struct trace_sock *ts)
{
    struct trace_ovl *t = ts->spare;
    if (t != NULL) {
        ts->spare = t->next;
        return t;
    }
    t = malloc(sizeof *t); /* more operations at once than ever before */
    if (t != NULL)
        t->heap = true;
    return t;
}

/* One party is done with t; the last one gives it back. */
static void trace_ovl_unref(struct trace_sock *ts, struct trace_ovl *t)
{
    if (--t->refs > 0)
        return;
    t->next = ts->spare;
    ts->spare = t;
}

/* Is every operation issued before t reported already? Then reporting t
 * now keeps the application's completions in order. */
static bool trace_ovl_first_unreported(const struct trace_sock *ts, const struct trace_ovl *t)
{
    if (t->reported)
        return false; /* the worker was first (and t is off the list) */
    const struct trace_ovl *p = ts->pending;
    while (p != t && p->reported)
        p = p->next;
    return p == t;
}

/* Report the application's operation, once. */
static void trace_ovl_report(struct trace_ovl *t, DWORD err, DWORD bytes, DWORD flags)
{
    if (t->reported)
        return;
    t->reported = true;
    trace_ovl_log(t, err, bytes);
    ovl_complete(t->op, err, bytes, flags);
}

/* ---- submission ---------------------------------------------------------- */

int trace_ovl_submit(struct trace_sock *ts, const char *call, LPWSAOVERLAPPED ov,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread,
                     trace_issue_fn issue, const void *args, LPINT lpErrno)
{
    /* The application's operation, on our handle. No WSABUF copy: the next
     * provider reads the application's array itself, during its call. A bad
     * WSAOVERLAPPED is WSAEFAULT here, before anything happens. */
    struct ovl_op *op;
    int err = ovl_op_new(ts->self, ov, routine, thread, NULL, 0, 0, NULL, &op);
    if (err != 0) {
        trace_set_err(lpErrno, err);
        return SOCKET_ERROR;
    }
    pthread_mutex_lock(&ts->lock);
    if (ts->closing) {
        /* closesocket has begun (this call was already running): the
         * operation is aborted like the ones it found pending */
        struct trace_ovl gone = {.op = op, .ts = ts, .call = call};
        trace_ovl_report(&gone, WSA_OPERATION_ABORTED, 0, 0);
        pthread_mutex_unlock(&ts->lock);
        trace_set_err(lpErrno, WSA_IO_PENDING);
        return SOCKET_ERROR;
    }
    struct trace_ovl *t = trace_ovl_get(ts);
    if (t == NULL) {
        pthread_mutex_unlock(&ts->lock);
        ovl_op_drop(op);
        trace_set_err(lpErrno, WSAENOBUFS);
        return SOCKET_ERROR;
    }
    memset(&t->lower, 0, sizeof t->lower);         /* hEvent NULL: to our port */
    t->lower.Internal = WSS_OPERATION_IN_PROGRESS; /* until the next provider reports */
    t->op = op;
    t->ts = ts;
    t->call = call;
    t->refs = 2; /* this call's, and the lower completion's */
    t->reported = false;
    /* listed before the call: its completion may reach the worker before
     * the call returns */
    trace_pending_push(ts, t);
    ts->submitting++;
    pthread_mutex_unlock(&ts->lock);

    int lerr = 0;
    int rc = issue(ts, args, &t->lower, &lerr);

    pthread_mutex_lock(&ts->lock);
    ts->submitting--;
    if (rc == 0 || lerr == WSA_IO_PENDING) {
        /* Done at once: report it now if nothing before it waits, with what
         * the next provider stored (it has reported it by now). */
        ULONG_PTR st = __atomic_load_n(&t->lower.Internal, __ATOMIC_ACQUIRE);
        if (rc == 0 && trace_ovl_first_unreported(ts, t) && st != WSS_OPERATION_IN_PROGRESS)
            trace_ovl_report(t, (DWORD)st, (DWORD)t->lower.InternalHigh, t->lower.Offset);
        trace_ovl_unref(ts, t);
    } else {
        /* Failed at once: the next provider reports nothing (WSASend:
         * "no completion indication will occur"), so neither do we; the
         * application's WSAOVERLAPPED gets its Internal back. */
        trace_pending_remove(ts, t);
        t->refs = 1;
        trace_ovl_unref(ts, t);
        ovl_op_drop(op);
    }
    if (ts->closing)
        pthread_cond_broadcast(&ts->idle);
    pthread_mutex_unlock(&ts->lock);
    if (rc != 0)
        trace_set_err(lpErrno, lerr);
    return rc;
}

/* ---- completion (the worker, port.c) ------------------------------------- */

void trace_ovl_lower_done(LPWSAOVERLAPPED lower, DWORD err, DWORD bytes)
{
    struct trace_ovl *t = (struct trace_ovl *)((char *)lower - offsetof(struct trace_ovl, lower));
    /* t is pending until we remove it, and a socket with pending records
     * is not freed (trace_ovl_sock_release waits): ts is alive */
    struct trace_sock *ts = t->ts;
    pthread_mutex_lock(&ts->lock);
    /* Offset: the flags the next provider stored before it reported */
    trace_ovl_report(t, err, bytes, t->lower.Offset);
    trace_pending_remove(ts, t);
    trace_ovl_unref(ts, t);
    if (ts->closing)
        pthread_cond_broadcast(&ts->idle);
    pthread_mutex_unlock(&ts->lock);
}

/* ---- cancel ---------------------------------------------------------------- */

static int trace_lower_cancel(struct trace_sock *ts, LPWSAOVERLAPPED lower, LPINT err)
{
    DWORD ret = 0;
    WSATHREADID none = {0};
    /* the input is the pointer itself (ws2spi.h): its size, not the struct's */
    return ts->next->procs.lpWSPIoctl(ts->lower, SIO_WSP_CANCEL_OVERLAPPED, &lower,
                                      sizeof(LPWSAOVERLAPPED), NULL, 0, &ret, NULL, NULL, &none,
                                      err);
}

int trace_ovl_cancel(struct trace_sock *ts, const void *in, DWORD cb_in, LPINT lpErrno)
{
    LPWSAOVERLAPPED ov;
    int err = ovl_cancel_arg(in, cb_in, &ov);
    if (err != 0) {
        trace_set_err(lpErrno, err);
        return SOCKET_ERROR;
    }
    /* Under the lock, so that the record cannot complete and be reused for
     * another operation while we name it below. The next provider's cancel
     * reports to our port and never calls back into the layer. */
    pthread_mutex_lock(&ts->lock);
    struct trace_ovl *t = ts->pending;
    while (t != NULL && (t->reported || (ov != NULL && t->op->ov != ov)))
        t = t->next;
    int rc = SOCKET_ERROR;
    err = WSP_ERROR_NOT_FOUND; /* nothing of the application's is pending */
    if (t != NULL)
        rc = trace_lower_cancel(ts, ov != NULL ? &t->lower : NULL, &err);
    pthread_mutex_unlock(&ts->lock);
    if (rc != 0)
        trace_set_err(lpErrno, err);
    return rc;
}

int trace_ovl_cancel_thread(struct trace_sock *ts, LPINT lpErrno)
{
    /* The application's operations this thread issued, each cancelled by
     * name below: the next provider's own records of them name our
     * WSAOVERLAPPEDs. Under the lock as above. */
    uint64_t me = ovl_self();
    int found = 0;
    pthread_mutex_lock(&ts->lock);
    for (struct trace_ovl *t = ts->pending; t != NULL; t = t->next) {
        int err = 0;
        if (!t->reported && t->op->issuer == me && trace_lower_cancel(ts, &t->lower, &err) == 0)
            found++;
    }
    pthread_mutex_unlock(&ts->lock);
    if (found > 0)
        return 0;
    trace_set_err(lpErrno, WSP_ERROR_NOT_FOUND);
    return SOCKET_ERROR;
}

/* ---- close ------------------------------------------------------------------ */

static void trace_ovl_wait_pending(struct trace_sock *ts)
{
    pthread_mutex_lock(&ts->lock);
    while (ts->pending != NULL)
        pthread_cond_wait(&ts->idle, &ts->lock);
    pthread_mutex_unlock(&ts->lock);
}

void trace_ovl_sock_abort(struct trace_sock *ts)
{
    if (!ts->via_port)
        return;
    pthread_mutex_lock(&ts->lock);
    ts->closing = true; /* a call still running cannot issue any more */
    while (ts->submitting > 0)
        pthread_cond_wait(&ts->idle, &ts->lock);
    bool any = ts->pending != NULL;
    pthread_mutex_unlock(&ts->lock);
    if (!any)
        return;
    /* Every lower operation is ours: cancel them all. The next provider
     * completes each (WSA_OPERATION_ABORTED, unless it finished first) to
     * our port, and the worker reports it on our handle, which is still
     * valid. One that cannot cancel (against ws2spi.h) is aborted by its
     * WSPCloseSocket instead: trace_ovl_sock_release then waits, and those
     * reports reach the application's event or routine but not its port. */
    int err = 0;
    if (trace_lower_cancel(ts, NULL, &err) == 0 || err == WSP_ERROR_NOT_FOUND)
        trace_ovl_wait_pending(ts);
}

void trace_ovl_sock_release(struct trace_sock *ts)
{
    if (ts->via_port)
        trace_ovl_wait_pending(ts);
    while (ts->spare != NULL) {
        struct trace_ovl *t = ts->spare;
        ts->spare = t->next;
        if (t->heap)
            free(t);
    }
    pthread_cond_destroy(&ts->idle);
    pthread_mutex_destroy(&ts->lock);
}
