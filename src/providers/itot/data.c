/* SPDX-License-Identifier: MIT */
/* data — the TSDU data path (WSPSend, WSPRecv) and the release calls
 * (WSPSendDisconnect, WSPRecvDisconnect, WSPShutdown).
 *
 * Send: one call is one TSDU, cut into DTs.  While the output queue is empty
 * each DT goes out at once with sendmsg (header + the caller's buffers, no
 * copy); what TCP does not take is copied into the queue, whole DTs at a
 * time and committed only after the copy, and the engine flushes it.  A
 * failed send leaves nothing a later TSDU could be joined to (tx_fail).
 * Nothing is allocated here (the output queue's buffer comes from the
 * provider's pool, conn_pool.h, and goes back when the queue is empty),
 * except the one case of send_admit. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/umem.h"
#include "provider.h"

/* The caller's WSABUF array, copied in through umem (D4). */
static int read_bufs(LPWSABUF bufs, DWORD count, WSABUF *out, size_t *total)
{
    if (count > ITOT_MAX_BUFS)
        return WSAENOBUFS;
    if (count > 0 && (bufs == NULL || umem_read(out, bufs, count * sizeof(WSABUF)) != 0))
        return WSAEFAULT;
    size_t t = 0;
    for (DWORD i = 0; i < count; i++)
        t += out[i].len;
    *total = t;
    return 0;
}

/* Every byte of the send buffers is readable (D4, D1: checked before anything
 * is sent, because TCP would put a DT on the wire in part if the kernel met a
 * bad page half way).  A per-page probe, not a copy: the data itself goes to
 * sendmsg from the caller's buffers. */
static int check_readable(const WSABUF *b, DWORD count)
{
    for (DWORD i = 0; i < count; i++)
        if (umem_check_read(b[i].buf, b[i].len) != 0)
            return WSAEFAULT;
    return 0;
}

/* A position in the caller's buffers. */
struct cursor {
    const WSABUF *b;
    DWORD count, i;
    size_t off;
};

/* iovecs for the next n octets from the cursor (without moving it). */
static int cursor_iov(const struct cursor *c, size_t n, struct iovec *iov, int max)
{
    int k = 0;
    DWORD i = c->i;
    size_t off = c->off;
    while (n > 0 && i < c->count && k < max) {
        size_t avail = c->b[i].len - off;
        if (avail == 0) {
            i++, off = 0;
            continue;
        }
        size_t t = avail < n ? avail : n;
        iov[k].iov_base = c->b[i].buf + off;
        iov[k].iov_len = t;
        k++;
        n -= t;
        off += t;
    }
    return k;
}

static void cursor_skip(struct cursor *c, size_t n)
{
    while (n > 0 && c->i < c->count) {
        size_t avail = c->b[c->i].len - c->off;
        size_t t = avail < n ? avail : n;
        c->off += t;
        n -= t;
        if (c->off == c->b[c->i].len)
            c->i++, c->off = 0;
    }
    while (c->i < c->count && c->b[c->i].len == c->off)
        c->i++, c->off = 0;
}

/* One TSDU on its way out.  It leaves as whole DTs: straight to TCP while
 * the queue is empty, otherwise staged (copied whole) and committed to the
 * queue only once the copy succeeded, so a failed copy (WSAEFAULT: the
 * caller's memory went away during the call) never leaves a torn DT. */
struct itot_tx {
    struct cursor cur;
    size_t total, max, hlen;
    size_t next;       /* data octets handed on (to TCP or the queue) */
    size_t dts_left;   /* DTs not handed on yet */
    bool on_wire;      /* octets of it went straight to TCP */
    bool torn;         /* a DT of it is on the wire in part and its rest could not be queued */
    bool nonblocking;  /* the socket's mode when the call began (it never waits) */
    bool grown;        /* non-blocking oversized TSDU: the queue was expanded for it */
    uint64_t deadline; /* SO_SNDTIMEO: when a blocking wait gives up (0: never) */
    uint64_t mark;     /* queue position of its first queued octet */
    size_t queued;     /* its octets committed to the queue */
};

/* Octets the DTs not handed on yet put on the wire. */
static size_t tx_wire(const struct itot_tx *tx)
{
    return tx->total - tx->next + tx->dts_left * tx->hlen;
}

/* The data octets of the DT that starts at data offset next. */
static size_t tx_seg_at(const struct itot_tx *tx, size_t next)
{
    size_t left = tx->total - next;
    return left < tx->max ? left : tx->max;
}

static size_t tx_seg(const struct itot_tx *tx)
{
    return tx_seg_at(tx, tx->next);
}

/* Copy n octets from the cursor into the staging room at off (one syscall). */
static int stage_data(struct conn *c, const struct cursor *cur, size_t off, size_t n)
{
    if (n == 0)
        return 0;
    struct iovec r[ITOT_MAX_BUFS], l[2];
    int nr = cursor_iov(cur, n, r, ITOT_MAX_BUFS);
    uint8_t *span[2];
    size_t len[2];
    int nl = conn_outq_stage_spans(c, off, n, span, len);
    for (int i = 0; i < nl; i++)
        l[i] = (struct iovec){span[i], len[i]};
    return umem_readv(l, nl, r, nr) == 0 ? 0 : WSAEFAULT;
}

static void tx_committed(struct conn *c, struct itot_tx *tx, size_t n)
{
    if (tx->queued == 0)
        tx->mark = conn_outq_end(c);
    conn_outq_commit(c, n);
    tx->queued += n;
}

/* Stage the next k whole DTs, then commit them all; on a fault nothing is
 * committed.  The caller made sure of the room (tx_wire of those k). */
static int stage_dts(struct itot_sock *s, struct itot_tx *tx, size_t k)
{
    struct conn *c = &s->conn;
    /* A queue emptied while the send waited gave its buffer back. */
    if (conn_outq_reserve(c) != 0)
        return WSAENOBUFS;
    struct cursor cur = tx->cur;
    size_t next = tx->next, left = tx->dts_left, off = 0;
    while (k-- > 0) {
        size_t seg = tx_seg_at(tx, next);
        uint8_t hdr[TPDU_DT_HDR_MAX];
        size_t h = conn_dt_header(c, left == 1, seg, hdr);
        conn_outq_stage(c, off, hdr, h);
        if (stage_data(c, &cur, off + h, seg) != 0)
            return WSAEFAULT;
        cursor_skip(&cur, seg);
        off += h + seg;
        next += seg;
        left--;
    }
    tx_committed(c, tx, off);
    tx->cur = cur;
    tx->next = next;
    tx->dts_left = left;
    return 0;
}

/* TCP took the first w octets of a DT: queue its rest now.  The queue is
 * empty (only then do DTs go straight out), so one DT always fits. */
static int queue_rest(struct itot_sock *s, struct itot_tx *tx, const uint8_t *hdr, size_t h,
                      size_t seg, size_t w)
{
    struct conn *c = &s->conn;
    size_t hrest = w < h ? h - w : 0, dsent = w > h ? w - h : 0;
    conn_outq_stage(c, 0, hdr + (h - hrest), hrest);
    cursor_skip(&tx->cur, dsent);
    if (stage_data(c, &tx->cur, hrest, seg - dsent) != 0) {
        tx->torn = true;
        return WSAEFAULT;
    }
    tx_committed(c, tx, hrest + seg - dsent);
    cursor_skip(&tx->cur, seg - dsent);
    tx->next += seg;
    tx->dts_left--;
    return 0;
}

/* DTs per sendmsg on the direct path, and the iovecs for them: the first
 * DT always fits (a header and up to ITOT_MAX_BUFS pieces), a further one
 * only while that much room is left. */
#define DIRECT_DTS 16
#define DIRECT_IOV (2 * (1 + ITOT_MAX_BUFS))

/* DTs straight from the caller's buffers to TCP while nothing is queued:
 * as many whole DTs as fit in one sendmsg (headers and the caller's
 * buffers, no copy), so a TSDU of several DTs costs one syscall, as the
 * same bytes on raw TCP do. What TCP did not take goes to the queue: the
 * rest of a DT it took in part (queue_rest), the DTs it took nothing of
 * (send_queued). */
static inline __attribute__((always_inline)) int send_direct(struct itot_sock *s,
                                                             struct itot_tx *tx)
{
    struct conn *c = &s->conn;
    while (tx->dts_left > 0 && conn_outq_len(c) == 0 && s->fd >= 0 && !s->tcp_connecting) {
        uint8_t hdr[DIRECT_DTS][TPDU_DT_HDR_MAX];
        size_t hl[DIRECT_DTS], sl[DIRECT_DTS];
        struct iovec iov[DIRECT_IOV];
        struct cursor cur = tx->cur;
        size_t next = tx->next, left = tx->dts_left;
        int niov = 0, ndt = 0;
        while (ndt < DIRECT_DTS && left > 0 && DIRECT_IOV - niov >= 1 + ITOT_MAX_BUFS) {
            size_t seg = tx_seg_at(tx, next);
            hl[ndt] = conn_dt_header(c, left == 1, seg, hdr[ndt]);
            sl[ndt] = seg;
            iov[niov++] = (struct iovec){hdr[ndt], hl[ndt]};
            niov += cursor_iov(&cur, seg, iov + niov, ITOT_MAX_BUFS);
            cursor_skip(&cur, seg);
            next += seg;
            left--;
            ndt++;
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
        ssize_t w;
        do {
            w = sys_sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (w < 0 && errno == EINTR);
        if (w < 0 && errno == EFAULT)
            return WSAEFAULT; /* the caller's memory went away: nothing of these DTs left */
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            /* The peer's TCP failed: its end, as a read would see it.  A
             * failure of our own (ENOBUFS, ...) sent nothing of these DTs and
             * is no act of the peer: tx_fail withdraws the TSDU when none of
             * it is on the wire (the connection stays usable), else aborts. */
            int e = errno;
            if (itot_peer_tcp_failed(e)) {
                /* recorded as the engine's reads and flushes record it:
                 * WSP_ITOT_PEER_END tells a failed TCP from a FIN by it */
                if (s->so_error == 0)
                    s->so_error = errmap_from_errno(e);
                conn_eof(c);
                itot_apply(s);
            }
            return errmap_from_errno(e);
        }
        if (w <= 0)
            return 0; /* TCP is full: these DTs go into the queue */
        tx->on_wire = true;
        size_t took = (size_t)w;
        for (int i = 0; i < ndt; i++) {
            if (took < hl[i] + sl[i])
                return took > 0 ? queue_rest(s, tx, hdr[i], hl[i], sl[i], took) : 0;
            took -= hl[i] + sl[i];
            cursor_skip(&tx->cur, sl[i]);
            tx->next += sl[i];
            tx->dts_left--;
        }
    }
    return 0;
}

/* SO_RCVTIMEO / SO_SNDTIMEO: the deadline of a blocking call that starts
 * now (0: none), and whether it has passed. A blocking call that runs out
 * fails with WSAETIMEDOUT (SOL_SOCKET socket options page). */
static uint64_t itot_deadline(uint32_t ms)
{
    return ms == 0 ? 0 : itot_now_ms() + ms;
}

static bool itot_timed_out(uint64_t deadline)
{
    return deadline != 0 && itot_now_ms() >= deadline;
}

/* Wait for queue room (lock held); 0, or the error that ended the wait.  A
 * non-blocking send never gets here without its room (send_admit); the mode
 * is the one the call began with (a FIONBIO from another thread does not
 * turn a blocking send half way into a failed one). */
static int wait_room(struct itot_sock *s, size_t need, bool nonblocking, uint64_t deadline)
{
    while (conn_outq_room(&s->conn) < need) {
        int err = conn_can_send(&s->conn);
        if (err == WSAESHUTDOWN && s->send_busy)
            err = 0; /* a deferred disconnect: finish this TSDU first */
        if (err != 0)
            return err;
        if (s->closing || s->fd < 0)
            return WSAECONNABORTED;
        if (nonblocking)
            return WSAEWOULDBLOCK; /* defensive: send_admit saw the room */
        itot_flush(s);
        itot_apply(s);
        itot_engine_update(s);
        if (conn_outq_room(&s->conn) >= need)
            break;
        if (itot_timed_out(deadline))
            return WSAETIMEDOUT;
        itot_wait(s, deadline);
    }
    return 0;
}

/* The queued part: all remaining DTs at once when they fit in the queue's
 * capacity (so a fault withdraws them whole), else DT by DT. */
static inline __attribute__((always_inline)) int send_queued(struct itot_sock *s,
                                                             struct itot_tx *tx)
{
    while (tx->dts_left > 0) {
        size_t k = tx->dts_left, need = tx_wire(tx);
        int err = 0;
        if (tx->grown) {
            /* the expanded queue holds it all */
        } else if (need <= s->conn.cfg.outq_cap) {
            err = wait_room(s, need, tx->nonblocking, tx->deadline);
        } else {
            k = 1;
            need = tx->hlen + tx_seg(tx);
            err = wait_room(s, need, tx->nonblocking, tx->deadline);
        }
        if (err == 0)
            err = stage_dts(s, tx, k);
        itot_engine_update(s);
        if (err != 0)
            return err;
    }
    return 0;
}

/* After a failed send: leave nothing of the TSDU that a later one could be
 * joined to.  Nothing of it reached TCP: withdrawn whole (the connection
 * stays usable).  Otherwise, while later TSDUs could follow, the connection
 * is aborted (DR after the whole DTs, or an immediate close after a torn
 * one).  A connection that is going away anyway (closing, released, reset)
 * keeps its queue: a DR or the TCP end follows and the peer drops the part. */
static void tx_fail(struct itot_sock *s, struct itot_tx *tx)
{
    struct conn *c = &s->conn;
    bool ours_at_tail = tx->queued == 0 || (conn_outq_sent(c) <= tx->mark &&
                                            tx->mark + tx->queued == conn_outq_end(c));
    if (!tx->on_wire && ours_at_tail) {
        conn_outq_withdraw(c, tx->queued);
        return;
    }
    if (tx->torn)
        conn_abort(c, false);
    else if (conn_can_send(c) == 0 && !s->closing && !s->disc_deferred)
        conn_abort(c, true);
}

/* Non-blocking: the TSDU is accepted whole now, or refused having sent
 * nothing (lock held).  It is accepted when it fits in the queue's room, or
 * — when it does not, but the queue is writable (at most half full, what
 * select reports) — the queue is expanded to take it, up to SO_MAX_MSG_SIZE
 * (a TSDU bigger than the whole queue could otherwise never be sent
 * without waiting). */
static int send_admit(struct itot_sock *s, struct itot_tx *tx)
{
    struct conn *c = &s->conn;
    size_t wire = tx_wire(tx), room = conn_outq_room(c);
    if (wire <= room)
        return 0;
    bool may_grow = tx->total <= c->cfg.max_tsdu;
    if (!may_grow && wire > c->cfg.outq_cap)
        return WSAEMSGSIZE; /* could never be taken without a wait */
    if (!may_grow || conn_outq_len(c) > room)
        return WSAEWOULDBLOCK;
    if (conn_outq_expand(c, wire) != 0)
        return WSAENOBUFS;
    tx->grown = true;
    return 0;
}

/* The output queue's buffer, held for the whole send (given back at its
 * end if the queue is empty): a DT TCP takes in part must have its rest
 * queued, and a TSDU that cannot be queued must fail before any of it left.
 * WSAENOBUFS (WSASend's "no buffer space is available") when memory is
 * short. */
static inline int tx_reserve(struct itot_sock *s)
{
    return conn_outq_reserve(&s->conn) == 0 ? 0 : WSAENOBUFS;
}

/* dwFlags: MSG_DONTROUTE may be ignored by a provider (WSPSend); MSG_OOB
 * (no expedited data), MSG_PARTIAL (a TSDU is one call) and unknown bits are
 * WSAEOPNOTSUPP, as the tcp provider and WSPSend's documentation have it. */
static int send_flags(DWORD flags)
{
    return (flags & ~(DWORD)MSG_DONTROUTE) == 0 ? 0 : WSAEOPNOTSUPP;
}

/* The TSDU's octets on the wire from the current connection, for a send
 * that starts now (lock held, connection able to send). */
static void tx_begin(struct itot_sock *s, struct itot_tx *tx)
{
    uint8_t hdr[TPDU_DT_HDR_MAX];
    tx->max = conn_dt_max_data(&s->conn);
    tx->hlen = conn_dt_header(&s->conn, true, 0, hdr);
    tx->dts_left = tx->total == 0 ? 1 : (tx->total + tx->max - 1) / tx->max;
    cursor_skip(&tx->cur, 0);
}

int itot_tx_now(struct itot_sock *s, const WSABUF *bufs, DWORD nbufs)
{
    /* The caller's buffers may have gone since the submission (D4, D1:
     * checked before anything is sent). */
    int err = check_readable(bufs, nbufs);
    if (err == 0)
        err = s->has_conn ? conn_can_send(&s->conn) : WSAENOTCONN;
    if (err != 0)
        return err;
    struct itot_tx tx = {.cur = {.b = bufs, .count = nbufs}, .nonblocking = true};
    for (DWORD i = 0; i < nbufs; i++)
        tx.total += bufs[i].len;
    tx_begin(s, &tx);
    err = send_admit(s, &tx);
    if (err == 0)
        err = tx_reserve(s);
    if (err != 0)
        return err; /* nothing sent */
    /* send_admit saw the room for all of it: neither step waits. */
    err = send_direct(s, &tx);
    if (err == 0)
        err = send_queued(s, &tx);
    if (err != 0 && tx.dts_left > 0)
        tx_fail(s, &tx);
    conn_outq_shrink(&s->conn); /* the buffer goes back if nothing stayed queued */
    /* WSAEWOULDBLOCK only from the defensive check of wait_room: honest while
     * nothing of the TSDU reached TCP (tx_fail withdrew it whole), else the
     * connection was aborted. */
    return err == WSAEWOULDBLOCK && tx.on_wire ? WSAECONNABORTED : err;
}

/* itot_tx_settle, inlined in the plain WSPSend (the list test is inline too:
 * the plain path makes no call for overlapped I/O). */
static inline void tx_settle(struct itot_sock *s)
{
    if (!s->disc_deferred || s->send_busy || s->ovl_tx.head != NULL)
        return;
    s->disc_deferred = false;
    /* The SendDisconnect succeeded already; a DR with no buffer to go in
     * (memory short, the queue emptied meanwhile) leaves TCP's end as the
     * release. */
    if (conn_disconnect(&s->conn, s->disc_deferred_data, s->disc_deferred_len, itot_now_ms()) ==
        WSAENOBUFS)
        conn_abort(&s->conn, false);
}

void itot_tx_settle(struct itot_sock *s)
{
    tx_settle(s);
}

int WSPAPI itot_WSPSend(SOCKET h, LPWSABUF lpBuffers, DWORD dwBufferCount,
                        LPDWORD lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                        LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    /* Windows: on a socket made without WSA_FLAG_OVERLAPPED, lpOverlapped and
     * the routine are ignored and the call is a plain one (WSASend). */
    if (lpOverlapped != NULL && s->overlapped) {
        if ((err = send_flags(dwFlags)) == 0)
            err = itot_ovl_send(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags,
                                lpOverlapped, lpCompletionRoutine, lpThreadId);
        return err ? spi_fail(lpErrno, err) : 0;
    }
    /* Windows: the count may be NULL only with an lpOverlapped (same rule as
     * the tcp provider). */
    if (lpNumberOfBytesSent == NULL)
        return spi_fail(lpErrno, WSAEFAULT);
    if ((err = send_flags(dwFlags)) != 0)
        return spi_fail(lpErrno, err);
    WSABUF bufs[ITOT_MAX_BUFS];
    size_t total = 0;
    err = read_bufs(lpBuffers, dwBufferCount, bufs, &total);
    if (err == 0)
        err = check_readable(bufs, dwBufferCount);
    /* A TSDU goes out whole or not at all, so the count is known now: writing
     * it before sending proves the pointer writable (D4, nothing sent on a bad
     * one) in the one syscall the answer needs anyway. */
    DWORD sent = (DWORD)total;
    if (err == 0 && lpNumberOfBytesSent != NULL &&
        umem_write(lpNumberOfBytesSent, &sent, sizeof sent) != 0)
        err = WSAEFAULT;
    if (err != 0)
        return spi_fail(lpErrno, err);

    pthread_mutex_lock(&s->lock);
    itot_input_look(s); /* a DR that came meanwhile ends the sending too */
    for (;;) {
        err = s->has_conn ? conn_can_send(&s->conn) : WSAENOTCONN;
        if (err == 0 && s->disc_deferred)
            err = WSAESHUTDOWN; /* C2: a SendDisconnect already succeeded (deferred) */
        /* A TSDU being sent, or overlapped ones waiting: this one goes after them. */
        if (err == 0 && (s->send_busy || s->ovl_tx.head != NULL)) {
            if (s->nonblocking)
                err = WSAEWOULDBLOCK;
            else {
                itot_wait(s, 0);
                continue;
            }
        }
        break;
    }
    struct itot_tx tx = {.cur = {.b = bufs, .count = dwBufferCount}, .total = total};
    if (err == 0) {
        tx_begin(s, &tx);
        tx.nonblocking = s->nonblocking;
        tx.deadline = itot_deadline(s->timeo_ms[1]);
        if (tx.nonblocking)
            err = send_admit(s, &tx);
        if (err == 0)
            err = tx_reserve(s);
    }
    if (err != 0) {
        pthread_mutex_unlock(&s->lock);
        return spi_fail(lpErrno, err);
    }
    s->send_busy = true;
    err = send_direct(s, &tx);
    if (err == 0)
        err = send_queued(s, &tx);
    if (err != 0 && tx.dts_left > 0)
        tx_fail(s, &tx);
    conn_outq_shrink(&s->conn); /* the buffer goes back if nothing stayed queued */
    s->send_busy = false;
    tx_settle(s);
    itot_flush(s);
    itot_apply(s);
    itot_engine_update(s);
    itot_wake(s);
    pthread_mutex_unlock(&s->lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

/* Recv's answer when no TSDU is there (lock held): 0 means wait / retry. */
static int recv_state_error(struct itot_sock *s)
{
    if (!s->has_conn)
        return WSAENOTCONN;
    /* Before the end checks: the release closesocket started may already be
     * complete (class 0 FIN, class 2 DC), and a wait it cut short is
     * WSAEINTR, never the peer's graceful end (0). */
    if (s->closing)
        return WSAEINTR;
    const struct conn *c = &s->conn;
    if (c->peer_disc || (c->state == CONN_S_CLOSED && !c->error)) {
        s->end_seen = true;
        return WSAEDISCON; /* D10: after the data, the disconnect */
    }
    if (c->error)
        return c->error;
    if (c->state != CONN_S_OPEN && c->state != CONN_S_DR_SENT)
        return WSAENOTCONN;
    return 0;
}

int itot_recv_state(struct itot_sock *s)
{
    return s->recv_shut ? WSAESHUTDOWN : recv_state_error(s);
}

/* The first got octets of the spans into the caller's buffers, one
 * fault-catching copy per piece where a span and a buffer overlap (got is at
 * most what the spans hold and what the buffers take).  umem_ready() has
 * run. */
static inline int rx_copy_out(const uint8_t *span[2], const size_t len[2], const WSABUF *bufs,
                              DWORD nbufs, size_t got)
{
    int i = 0;
    size_t so = 0;
    for (DWORD j = 0; j < nbufs && got > 0; j++) {
        size_t bl = bufs[j].len < got ? bufs[j].len : got;
        for (size_t bo = 0; bo < bl;) {
            while (so == len[i])
                i++, so = 0;
            size_t t = len[i] - so < bl - bo ? len[i] - so : bl - bo;
            /* the caller's pointer as a number: a NULL one (a length
             * without a buffer) is umem's WSAEFAULT, not arithmetic on NULL */
            void *dst = (void *)((uintptr_t)bufs[j].buf + bo);
            if (umem_write_up(dst, span[i] + so, t) != 0)
                return WSAEFAULT;
            so += t, bo += t;
        }
        got -= bl;
    }
    return 0;
}

/* itot_rx_take, inlined in the plain WSPRecv. */
static inline int rx_take(struct itot_sock *s, const WSABUF *bufs, DWORD nbufs, size_t room,
                          bool peek, LPDWORD lpN, LPDWORD lpF, DWORD *got_out, DWORD *flags_out,
                          bool *was_full)
{
    size_t avail = conn_rx_next_len(&s->conn);
    const uint8_t *span[2];
    size_t len[2];
    int k = conn_rx_peek(&s->conn, span, len);
    size_t have = 0;
    for (int i = 0; i < k; i++)
        have += len[i];
    size_t got = have < room ? have : room;
    /* The data, then the count and the flags, before anything is consumed:
     * a bad buffer loses no data. */
    DWORD n = (DWORD)got, f = got < avail ? MSG_PARTIAL : 0;
    *was_full = false;
    umem_ready(); /* once for the accesses below (the _up forms) */
    if (rx_copy_out(span, len, bufs, nbufs, got) != 0 ||
        (lpN != NULL && umem_write_up(lpN, &n, sizeof n) != 0) ||
        (lpF != NULL && umem_write_up(lpF, &f, sizeof f) != 0))
        return WSAEFAULT;
    *got_out = n;
    *flags_out = f;
    if (!peek) {
        *was_full = !conn_rx_has_room(&s->conn);
        conn_rx_consume(&s->conn, got);
    }
    return 0;
}

int itot_rx_take(struct itot_sock *s, const WSABUF *bufs, DWORD nbufs, size_t room, bool peek,
                 LPDWORD lpN, LPDWORD lpF, DWORD *got_out, DWORD *flags_out, bool *was_full)
{
    return rx_take(s, bufs, nbufs, room, peek, lpN, lpF, got_out, flags_out, was_full);
}

int WSPAPI itot_WSPRecv(SOCKET h, LPWSABUF lpBuffers, DWORD dwBufferCount,
                        LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                        LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    /* Windows: ignored on a socket made without WSA_FLAG_OVERLAPPED (WSARecv). */
    if (lpOverlapped != NULL && s->overlapped) {
        err = itot_ovl_recv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags,
                            lpOverlapped, lpCompletionRoutine, lpThreadId);
        return err ? spi_fail(lpErrno, err) : 0;
    }
    WSABUF bufs[ITOT_MAX_BUFS];
    size_t room = 0;
    DWORD flags = 0, probe = 0;
    if (dwBufferCount > ITOT_MAX_BUFS)
        return spi_fail(lpErrno, WSAENOBUFS);
    /* Windows: lpFlags is a required in/out parameter and the count may be
     * NULL only with an lpOverlapped: without them a TSDU (or its
     * MSG_PARTIAL) would be consumed unseen. */
    if (lpFlags == NULL || lpNumberOfBytesRecvd == NULL)
        return spi_fail(lpErrno, WSAEFAULT);
    /* The WSABUF array, *lpFlags, and a read of *lpNumberOfBytesRecvd (an
     * unmapped one fails here, before any wait). */
    {
        size_t nb = dwBufferCount * sizeof(WSABUF);
        umem_ready(); /* once for the accesses below (the _up forms) */
        if (umem_read_up(bufs, lpBuffers, nb) != 0 ||
            umem_read_up(&flags, lpFlags, sizeof flags) != 0 ||
            umem_read_up(&probe, lpNumberOfBytesRecvd, sizeof probe) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
        for (DWORD i = 0; i < dwBufferCount; i++)
            room += bufs[i].len;
    }
    bool peek = (flags & MSG_PEEK) != 0;

    pthread_mutex_lock(&s->lock);
    uint64_t deadline = itot_deadline(s->timeo_ms[0]);
    for (;;) {
        if (s->has_conn && conn_rx_ready(&s->conn)) {
            DWORD got, f;
            bool was_full;
            err = rx_take(s, bufs, dwBufferCount, room, peek, lpNumberOfBytesRecvd, lpFlags, &got,
                          &f, &was_full);
            if (was_full) {
                itot_pull(s);
                itot_apply(s);
                itot_engine_update(s);
            }
            break;
        }
        if (s->has_conn && s->fd >= 0) {
            itot_pull(s);
            itot_apply(s);
            if (s->input_direct)
                itot_engine_update(s); /* a DR read here: the engine drives the rest */
            if (conn_rx_ready(&s->conn))
                continue;
        }
        err = itot_recv_state(s);
        if (err == 0 && s->nonblocking)
            err = WSAEWOULDBLOCK;
        if (err == 0 && itot_timed_out(deadline))
            err = WSAETIMEDOUT;
        if (err != 0)
            break;
        /* Connected or releasing: wait on the descriptor and read the input
         * ourselves (waiter.c); else (connecting, no room, no buffer
         * for the input: itot_starved) for the engine. */
        if (!itot_wait_input(s, deadline))
            itot_wait(s, deadline);
    }
    if (err == 0 && s->has_conn && conn_rx_ready(&s->conn))
        itot_post_event(s, FD_READ, 0); /* more to read: re-enable, as Winsock does */
    pthread_mutex_unlock(&s->lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

/* SendDisconnect / Shutdown(SD_SEND) / D9: start the release with data (lock held). */
static int release(struct itot_sock *s, const uint8_t *data, size_t len)
{
    if (!s->has_conn)
        return WSAENOTCONN;
    if (len == 0) { /* D2, D9: the data set earlier with SO_DISCDATA */
        data = s->disc_data;
        len = s->disc_data_len;
    }
    if (s->disc_deferred)
        return 0; /* D7: the release is already under way; its data stays */
    if ((s->send_busy || s->ovl_tx.head != NULL) && s->conn.state == CONN_S_OPEN) {
        /* Another thread is in the middle of a TSDU, or overlapped sends wait
         * for queue room: their DTs go first (D5), the DR right after them,
         * queued by whoever sends the last of them (itot_tx_settle). Never
         * blocks (C11). */
        memcpy(s->disc_deferred_data, data, len);
        s->disc_deferred_len = (uint8_t)len;
        s->disc_deferred = true;
        return 0;
    }
    /* D7: our own release finished, but the user has not read the end yet. */
    if (s->conn.state == CONN_S_CLOSED && s->conn.tx_shut && !s->end_seen)
        return 0;
    /* Nothing queued before it: write the DR now, so a failing network is
     * reported here and leaves the socket as it was (C9, D1). */
    size_t sent = 0;
    uint8_t dr[CONN_DR_MAX];
    size_t n = conn_outq_len(&s->conn) == 0 && s->fd >= 0 && !s->tcp_connecting
                   ? conn_dr_encode(&s->conn, data, len, dr)
                   : 0;
    if (n > 0) {
        /* Class 0: the FIN follows the DR in this call (itot_apply), so the
         * DR waits in the kernel for it and both leave in one segment; a DR
         * not written whole is pushed by the flush of its rest. */
        int more = conn_release_ends_tcp(&s->conn) ? MSG_MORE : 0;
        ssize_t w;
        do {
            w = sys_send(s->fd, dr, n, MSG_NOSIGNAL | MSG_DONTWAIT | more);
        } while (w < 0 && errno == EINTR);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return errmap_from_errno(errno);
        sent = w > 0 ? (size_t)w : 0;
    }
    int err = conn_disconnect_sent(&s->conn, data, len, itot_now_ms(), dr, n, sent);
    if (err != 0)
        return err;
    itot_flush(s);
    itot_apply(s);
    itot_engine_update(s);
    itot_wake(s);
    return 0;
}

int itot_release(struct itot_sock *s, const uint8_t *data, size_t len)
{
    return release(s, data, len);
}

int WSPAPI itot_WSPSendDisconnect(SOCKET h, LPWSABUF lpOutboundDisconnectData, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    uint8_t data[TPDU_MAX_DISC_DATA];
    size_t len;
    err = itot_take_data(lpOutboundDisconnectData, data, sizeof data, &len);
    if (err != 0)
        return spi_fail(lpErrno, err);
    pthread_mutex_lock(&s->lock);
    err = release(s, data, len);
    pthread_mutex_unlock(&s->lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

int WSPAPI itot_WSPShutdown(SOCKET h, int how, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    if (how != SD_RECEIVE && how != SD_SEND && how != SD_BOTH)
        return spi_fail(lpErrno, WSAEINVAL);
    pthread_mutex_lock(&s->lock);
    if (!s->has_conn || s->conn.state == CONN_S_CR_SENT || s->conn.state == CONN_S_IDLE)
        err = WSAENOTCONN;
    if (err == 0 && how != SD_RECEIVE) {
        err = release(s, NULL, 0);
        if (err == WSAENOTCONN && s->conn.state == CONN_S_CLOSED)
            err = 0; /* already released: nothing more to shut */
    }
    /* D1: receiving ends only when the whole call succeeds (an SD_BOTH whose
     * release failed leaves the socket as it was). */
    if (err == 0 && how != SD_SEND)
        s->recv_shut = true;
    pthread_mutex_unlock(&s->lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

/* The peer's DR data (none before a DR) into the caller's WSABUF (lock held:
 * caller memory is only copied, never waited on). D10: a buffer too small
 * gets WSAEFAULT and the length needed. */
static int put_peer_disc_data(const struct itot_sock *s, LPWSABUF dst)
{
    size_t len = s->conn.peer_disc ? s->conn.disc_data_len : 0;
    WSABUF b;
    if (umem_read(&b, dst, sizeof b) != 0)
        return WSAEFAULT;
    if (b.len < len) {
        ULONG need = (ULONG)len;
        if (umem_write(&dst->len, &need, sizeof need) != 0) {
        } /* the size needed, if it can be written: WSAEFAULT all the same */
        return WSAEFAULT;
    }
    if (len > 0 && umem_write(b.buf, s->conn.disc_data, len) != 0)
        return WSAEFAULT;
    ULONG n = (ULONG)len;
    return umem_write(&dst->len, &n, sizeof n);
}

int WSPAPI itot_WSPRecvDisconnect(SOCKET h, LPWSABUF lpInboundDisconnectData, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    pthread_mutex_lock(&s->lock);
    if (!s->has_conn || s->conn.state == CONN_S_IDLE || s->conn.state == CONN_S_CR_SENT) {
        err = WSAENOTCONN;
    } else if (lpInboundDisconnectData != NULL) {
        /* A DR waiting in TCP on a socket whose receivers read its input
         * (no engine watching it) counts as arrived, as it would have with
         * the engine reading: look first, as a send and FIONREAD do. */
        itot_input_look(s);
        err = put_peer_disc_data(s, lpInboundDisconnectData);
    }
    /* D1: receiving ends only when the call succeeds (a bad or too small
     * buffer leaves the socket as it was). */
    if (err == 0)
        s->recv_shut = true;
    pthread_mutex_unlock(&s->lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

int WSPAPI itot_WSPRecvFrom(SOCKET h, LPWSABUF lpBuffers, DWORD dwBufferCount,
                            LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, struct sockaddr *lpFrom,
                            LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                            LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    /* Connection-oriented: the source is the peer, which the caller knows. */
    (void)lpFrom, (void)lpFromlen;
    return itot_WSPRecv(h, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpOverlapped,
                        lpCompletionRoutine, lpThreadId, lpErrno);
}

int WSPAPI itot_WSPSendTo(SOCKET h, LPWSABUF lpBuffers, DWORD dwBufferCount,
                          LPDWORD lpNumberOfBytesSent, DWORD dwFlags, const struct sockaddr *lpTo,
                          int iTolen, LPWSAOVERLAPPED lpOverlapped,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                          LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)lpTo, (void)iTolen; /* ignored on a connected socket, as Winsock does */
    return itot_WSPSend(h, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped,
                        lpCompletionRoutine, lpThreadId, lpErrno);
}
