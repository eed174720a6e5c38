/* SPDX-License-Identifier: MIT */
/* tcp's io_uring engine, the socket side (ovl_uring.c has the ring thread
 * and the design): hand the head of a queue to the ring, handle its
 * completion and run the queue on, take it back at close and cancel. All
 * under the socket's ovl_lock. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "data_check.h"
#include "ovl_tcp.h"
#include "ovl_uring.h"
#include "tcp.h"

/* ---- completions ------------------------------------------------------------ */

static void tcp_ur_fill(struct tcp_ur_slot *s)
{
    size_t left;
    memset(&s->mh, 0, sizeof s->mh);
    s->mh.msg_iov = s->iov;
    s->mh.msg_iovlen = (size_t)tcp_ovl_iov(s->op, s->iov, &left);
}

/* The result of a stream SENDMSG/RECVMSG: true when op is finished (*err). */
static bool tcp_ur_stream_result(struct tcp_sock *ts, struct ovl_op *op, int res, DWORD *err)
{
    if (res == -EAGAIN || res == -EINTR || res == -ECANCELED)
        return false; /* not done: handed again (ECANCELED: not ours, e.g. ring teardown) */
    if (res < 0) {
        *err = (DWORD)tcp_data_error(ts, -res, false);
        return true;
    }
    op->done += (DWORD)res;
    *err = 0;
    if (op->kind != TCP_OVL_SEND)
        return true; /* whatever is there, or 0 at the peer's FIN */
    size_t total = 0;
    for (DWORD i = 0; i < op->nbufs; i++)
        total += op->bufs[i].len;
    return op->done >= total; /* a short stream send goes on with the rest */
}

void tcp_ur_complete(struct tcp_ur_slot *s, int res)
{
    struct tcp_sock *ts = s->ts;
    pthread_mutex_lock(&ts->ovl_lock);
    struct ovl_op *op = s->op;
    DWORD err = 0;
    bool finished;
    if (res == -ECANCELED && s->recall)
        finished = false; /* the recall takes it from here */
    else if (s->poll)
        finished = tcp_ovl_try(ts, op, &err); /* ready, or an error to collect */
    else
        finished = tcp_ur_stream_result(ts, op, res, &err);
    if (finished) {
        struct ovl_op *head = ovl_list_pop(&ts->ovl_q[s->q]);
        (void)head; /* == op: only the head is ever in the ring */
        tcp_ovl_finish(op, err);
    }
    if (!finished && !s->recall) {
        tcp_ur_fill(s);
        tcp_ur_push(&s->sub); /* still busy */
    } else {
        s->busy = false;
        s->op = NULL;
        if (s->recall)
            pthread_cond_broadcast(&ts->ur->cond);
        else
            tcp_ovl_run(ts, s->q); /* the next operations, and a deferred FIN */
    }
    pthread_mutex_unlock(&ts->ovl_lock); /* a recall may free s from here on */
}

/* ---- the socket side (ts->ovl_lock held) ------------------------------------- */

static bool tcp_ur_live(const struct tcp_ur_slot *s)
{
    return s->busy && s->gen == tcp_ur_gen;
}

bool tcp_ur_busy(const struct tcp_sock *ts, int q)
{
    return ts->ur != NULL && tcp_ur_live(&ts->ur->slot[q]);
}

bool tcp_ur_hand(struct tcp_sock *ts, int q, struct ovl_op *op)
{
    if (op->kind != TCP_OVL_SEND && op->kind != TCP_OVL_RECV)
        return false; /* ConnectEx, AcceptEx: the epoll watcher */
    if (!tcp_ur_enabled())
        return false;
    /* By default only sends wait in the ring: a receive waits for the peer,
     * and handing it to the ring's one submitter costs a wake-up of the ring
     * thread per re-armed receive, which the watcher does not (performance.md:
     * echo median 0.71-0.78 with receives in the ring, 0.85-0.87 without; the
     * 1 GiB stream as good or better with the sends in the ring). */
    if (q == TCP_OVL_RECV && !tcp_ur_recv_too)
        return false;
    if (ts->ur == NULL) {
        /* once per socket, never per operation */
        struct tcp_ur_sock *u = calloc(1, sizeof *u);
        if (u == NULL)
            return false;
        pthread_cond_init(&u->cond, NULL);
        for (int i = 0; i < 2; i++) {
            u->slot[i].ts = ts;
            u->slot[i].q = i;
            u->slot[i].can.cancel = true;
        }
        ts->ur = u;
    }
    struct tcp_ur_slot *s = &ts->ur->slot[q];
    s->op = op;
    s->busy = true;
    s->recall = false;
    s->gen = tcp_ur_gen;
    s->poll = ts->type != SOCK_STREAM;
    tcp_ur_fill(s);
    tcp_ur_push(&s->sub);
    return true;
}

void tcp_ur_recall(struct tcp_sock *ts, LPWSAOVERLAPPED ov)
{
    struct tcp_ur_sock *u = ts->ur;
    if (u == NULL)
        return;
    u->recallers++;
    for (int q = 0; q < 2; q++) {
        struct tcp_ur_slot *s = &u->slot[q];
        if (s->gen != tcp_ur_gen) {
            s->busy = s->can_queued = false; /* a forked child's copy */
            continue;
        }
        if (ov != NULL && (!s->busy || s->op->ov != ov))
            continue;
        /* Another thread may be recalling this slot too (a close and a
         * CancelIo): its cancel node is in flight then (even when the
         * operation has finished meanwhile), and pushing it a second time
         * would corrupt the ring's stack; a close waits for it all the same,
         * since the node lives in u. And while this thread waited, the other
         * may have handed the slot back to the ring (a head it did not
         * cancel): then a new cancel is needed. */
        while (s->busy || s->can_queued) {
            if (!s->recall) {
                s->recall = true;
                s->can_queued = true;
                tcp_ur_push(&s->can);
            }
            pthread_cond_wait(&u->cond, &ts->ovl_lock);
        }
        s->recall = false;
    }
    if (--u->recallers == 0)
        pthread_cond_broadcast(&u->cond); /* a close may be waiting to free u */
}

void tcp_ur_release(struct tcp_sock *ts)
{
    if (ts->ur == NULL)
        return;
    while (ts->ur->recallers > 0)
        pthread_cond_wait(&ts->ur->cond, &ts->ovl_lock);
    pthread_cond_destroy(&ts->ur->cond);
    free(ts->ur);
    ts->ur = NULL;
}
