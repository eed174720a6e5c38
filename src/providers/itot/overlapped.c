/* SPDX-License-Identifier: MIT */
/* overlapped — WSPSend, WSPRecv and WSPIoctl with an lpOverlapped on an
 * overlapped socket, WSPGetOverlappedResult and the cancel ioctl, on the
 * provider kit (common/ovl.h: records, completion reports, results).
 *
 * No thread per operation: an operation that cannot complete at once waits
 * in the socket's ovl_rx or ovl_tx list (issue order, under the socket's
 * lock) and is completed by whoever changes what it waits for — the engine
 * when TCP brings a TSDU or takes queued octets, an API call that does the
 * same — through itot_apply, which every such path already calls.
 *
 * Send: the TSDU goes whole into the connection's output (TCP, then the
 * output queue the engine flushes), under the rules of a non-blocking send
 * (data.c), and the operation completes when it is accepted there: like
 * Windows, which completes a send once the transport has taken the data,
 * not when the peer has it. While it does not fit, it waits in ovl_tx with
 * nothing of it sent; later sends (overlapped or not) go after it, and so
 * does a SendDisconnect's DR (D5, itot_tx_settle).
 * Receive: a TSDU (or what fits, MSG_PARTIAL) in the receive store is
 * delivered at once; else the operation waits in ovl_rx and the receive path
 * fills it. After the last TSDU, the peer's disconnect completes the waiting
 * receives with WSAEDISCON (the data then comes from WSARecvDisconnect). */
#include "common/umem.h"
#include "provider.h"

static size_t op_bytes(const struct ovl_op *op)
{
    size_t n = 0;
    for (DWORD i = 0; i < op->nbufs; i++)
        n += op->bufs[i].len;
    return n;
}

/* What every submission checks before the kit stores the operation. */
static int submit_check(DWORD nbufs, LPDWORD lpN)
{
    if (!ovl_available())
        return WSAEOPNOTSUPP; /* libwsp without WPUCompleteOverlappedRequest */
    if (nbufs > ITOT_MAX_BUFS)
        return WSAENOBUFS; /* as the plain calls */
    /* The count is written when the call completes at once (D4: checked
     * before anything happens). */
    if (lpN != NULL && umem_check_write(lpN, sizeof *lpN) != 0)
        return WSAEFAULT;
    return 0;
}

int itot_ovl_send(struct itot_sock *s, LPWSABUF bufs, DWORD nbufs, LPDWORD lpN, DWORD flags,
                  LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID tid)
{
    struct ovl_op *op = NULL;
    int err = submit_check(nbufs, lpN);
    if (err == 0)
        err = ovl_op_new(s->handle, ov, routine, tid, bufs, nbufs, ITOT_OVL_SEND, NULL, &op);
    if (err != 0)
        return err;
    op->flags = flags;
    pthread_mutex_lock(&s->lock);
    if (s->closing)
        err = WSAENOTSOCK; /* closesocket has begun: nothing new starts */
    else if (!s->has_conn)
        err = WSAENOTCONN;
    else if ((err = conn_can_send(&s->conn)) == 0 && s->disc_deferred)
        err = WSAESHUTDOWN; /* C2: a SendDisconnect already succeeded */
    bool now = false;
    if (err == 0 && ovl_list_empty(&s->ovl_tx) && !s->send_busy) {
        err = itot_tx_now(s, op->bufs, op->nbufs);
        now = err != WSAEWOULDBLOCK;
        if (!now)
            err = 0; /* no room: it waits, nothing of it sent */
    }
    if (err == 0 && !now)
        ovl_list_push(&s->ovl_tx, op);
    if (err == 0 && now) {
        DWORD n = (DWORD)op_bytes(op);
        if (lpN != NULL && umem_write(lpN, &n, sizeof n) != 0) {
        } /* checked writable at the start: only a concurrent unmap fails, and it is sent */
        ovl_complete(op, 0, n, 0);
    }
    if (err != 0)
        ovl_op_drop(op);
    if (s->has_conn) {
        itot_flush(s);
        itot_apply(s);
        itot_engine_update(s);
    }
    pthread_mutex_unlock(&s->lock);
    return err != 0 ? err : now ? 0 : WSA_IO_PENDING;
}

int itot_ovl_recv(struct itot_sock *s, LPWSABUF bufs, DWORD nbufs, LPDWORD lpN, LPDWORD lpFlags,
                  LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID tid)
{
    DWORD flags = 0;
    struct ovl_op *op = NULL;
    int err = submit_check(nbufs, lpN);
    /* lpFlags is required, overlapped or not (WSARecv: in and out). */
    if (err == 0 && (lpFlags == NULL || umem_read(&flags, lpFlags, sizeof flags) != 0 ||
                     umem_check_write(lpFlags, sizeof flags) != 0))
        err = WSAEFAULT;
    if (err == 0)
        err = ovl_op_new(s->handle, ov, routine, tid, bufs, nbufs, ITOT_OVL_RECV, NULL, &op);
    if (err != 0)
        return err;
    op->flags = flags;
    bool now = false;
    pthread_mutex_lock(&s->lock);
    itot_input_to_engine(s); /* the engine completes overlapped receives */
    if (s->closing) {
        err = WSAENOTSOCK;
    } else {
        /* What TCP holds now counts as readable now; older receives get it first. */
        if (s->has_conn && s->fd >= 0 && !conn_rx_ready(&s->conn)) {
            itot_pull(s);
            itot_apply(s);
        }
        /* Behind the receives issued before, or nothing there yet: it waits
         * (unless the connection's state answers now). */
        bool behind = !ovl_list_empty(&s->ovl_rx);
        bool ready = !behind && s->has_conn && conn_rx_ready(&s->conn);
        if (!behind && !ready)
            err = itot_recv_state(s);
        if (!ready) {
            if (err == 0)
                ovl_list_push(&s->ovl_rx, op);
        } else {
            DWORD got = 0, f = 0;
            bool was_full = false;
            err = itot_rx_take(s, op->bufs, op->nbufs, op_bytes(op), (flags & MSG_PEEK) != 0, lpN,
                               lpFlags, &got, &f, &was_full);
            if (err == 0) {
                now = true;
                ovl_complete(op, 0, got, f);
            }
            if (was_full)
                itot_pull(s);
            if (err == 0 && conn_rx_ready(&s->conn))
                itot_post_event(s, FD_READ, 0); /* more to read, as the plain recv */
        }
    }
    if (err != 0)
        ovl_op_drop(op); /* failed at once: no completion is reported (WSARecv) */
    if (s->has_conn) {
        itot_apply(s);
        itot_engine_update(s);
    }
    pthread_mutex_unlock(&s->lock);
    return err != 0 ? err : now ? 0 : WSA_IO_PENDING;
}

/* Waiting receives, in issue order, from the receive store; then the end.
 * A receive whose buffers went away completes with WSAEFAULT and leaves the
 * TSDU for the next. */
static void rx_run(struct itot_sock *s)
{
    struct ovl_op *op;
    bool took = false;
    while ((op = ovl_list_first(&s->ovl_rx)) != NULL) {
        int err;
        DWORD got = 0, f = 0;
        if (conn_rx_ready(&s->conn)) {
            bool was_full = false;
            err = itot_rx_take(s, op->bufs, op->nbufs, op_bytes(op), (op->flags & MSG_PEEK) != 0,
                               NULL, NULL, &got, &f, &was_full);
            took |= err == 0;
            ovl_list_pop(&s->ovl_rx);
            itot_ovl_finish(op, (DWORD)err, got, f);
            if (was_full)
                itot_pull(s); /* input held back for want of room: it may hold the next TSDU */
            continue;
        }
        /* The peer's disconnect (WSAEDISCON), an abort, a shutdown: every
         * waiting receive gets it, as every later call would. */
        if ((err = itot_recv_state(s)) == 0)
            break;
        ovl_list_pop(&s->ovl_rx);
        /* AcceptEx: a peer that ends before its first TSDU still makes a
         * connection; the next receive reports the end (extension.c). */
        if (op->kind == ITOT_OVL_ACCEPT && err == WSAEDISCON)
            err = 0;
        itot_ovl_finish(op, (DWORD)err, 0, 0);
    }
    if (took && conn_rx_ready(&s->conn))
        itot_post_event(s, FD_READ, 0);
}

/* Waiting sends, in issue order, as far as the output queue has room; false
 * when the first one waiting still has none. */
static bool tx_take(struct itot_sock *s)
{
    struct ovl_op *op;
    while ((op = ovl_list_first(&s->ovl_tx)) != NULL) {
        if (op->kind == ITOT_OVL_CONNECT) {
            /* ConnectEx: once the CC is there its buffer is the first TSDU
             * (a send from then on); a refusal completes it. */
            int st = itot_connect_outcome(s);
            if (st == WSAEWOULDBLOCK)
                return false;
            if (st == 0 && op_bytes(op) > 0) {
                op->kind = ITOT_OVL_SEND;
                continue;
            }
            ovl_list_pop(&s->ovl_tx);
            ovl_complete(op, (DWORD)st, 0, 0);
            continue;
        }
        int err = itot_tx_now(s, op->bufs, op->nbufs);
        if (err == WSAEWOULDBLOCK)
            return false; /* still no room: the engine comes back when TCP takes more */
        ovl_list_pop(&s->ovl_tx);
        ovl_complete(op, (DWORD)err, err ? 0 : (DWORD)op_bytes(op), 0);
    }
    return true;
}

/* Waiting sends, as far as there is room. A flush after them can make room
 * for the next one; if it empties the queue, no EPOLLOUT is asked for and
 * nothing else would come back for the sends still waiting, so they are
 * looked at again until a flush leaves the queue as it was. */
static void tx_run(struct itot_sock *s)
{
    /* A plain send in the middle of its TSDU goes first and calls itot_apply
     * when done; ovl_tx_busy: itot_tx_now may call itot_apply itself. */
    if (s->send_busy || s->ovl_tx_busy)
        return;
    s->ovl_tx_busy = true;
    bool done = false;
    for (;;) {
        const struct ovl_op *first = ovl_list_first(&s->ovl_tx);
        bool all = tx_take(s);
        if (ovl_list_first(&s->ovl_tx) == first)
            break; /* nothing taken: what the queue holds is unchanged */
        done = true;
        itot_tx_settle(s); /* a deferred DR, once no send is before it */
        size_t queued = conn_outq_len(&s->conn);
        itot_flush(s);
        if (all || conn_outq_len(&s->conn) == queued)
            break;
    }
    s->ovl_tx_busy = false;
    if (done)
        itot_wake(s); /* plain senders wait until no overlapped send is before them */
}

void itot_ovl_progress(struct itot_sock *s)
{
    if (!ovl_list_empty(&s->ovl_rx))
        rx_run(s);
    if (!ovl_list_empty(&s->ovl_tx))
        tx_run(s);
}

void itot_ovl_abort(struct itot_sock *s)
{
    struct ovl_op *op;
    while ((op = ovl_list_pop(&s->ovl_rx)) != NULL)
        itot_ovl_finish(op, WSA_OPERATION_ABORTED, 0, 0);
    ovl_list_abort(&s->ovl_tx, WSA_OPERATION_ABORTED);
}

int itot_ovl_cancel(struct itot_sock *s, LPWSAOVERLAPPED ov, bool mine)
{
    struct ovl_list *lists[2] = {&s->ovl_rx, &s->ovl_tx};
    int n = 0;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < 2; i++) {
        struct ovl_op *op;
        /* A waiting send has nothing of it sent: it can go whole. */
        while ((op = mine ? ovl_list_take_mine(lists[i]) : ovl_list_take(lists[i], ov)) != NULL) {
            itot_ovl_finish(op, WSA_OPERATION_ABORTED, 0, 0);
            n++;
        }
    }
    if (n > 0 && s->has_conn) {
        itot_tx_settle(s); /* the sends a deferred DR waited for may be gone */
        itot_flush(s);
        itot_apply(s);
        itot_engine_update(s);
        itot_wake(s);
    }
    pthread_mutex_unlock(&s->lock);
    return n > 0 ? 0 : WSP_ERROR_NOT_FOUND;
}

/* WSPIoctl with an lpOverlapped: the control runs at once (none of itot's
 * waits), its completion is reported like any other. */
int itot_ovl_ioctl(struct itot_sock *s, LPWSAOVERLAPPED ov,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID tid,
                   struct ovl_op **out)
{
    int err = submit_check(0, NULL);
    if (err == 0)
        err = ovl_op_new(s->handle, ov, routine, tid, NULL, 0, ITOT_OVL_IOCTL, NULL, out);
    return err;
}

BOOL WSPAPI itot_WSPGetOverlappedResult(SOCKET h, LPWSAOVERLAPPED ov, LPDWORD cb, BOOL wait,
                                        LPDWORD flags, LPINT lpErrno)
{
    int err = itot_guard();
    if (err == 0)
        itot_lookup(h, &err);
    if (err != 0)
        return spi_fail_bool(lpErrno, err);
    /* Every itot operation completes through ovl_complete. */
    return ovl_get_result(ov, cb, wait, flags, lpErrno);
}
