/* SPDX-License-Identifier: MIT */
/* data — the TSDU data path (WSPSend, WSPRecv) and the release calls
 * (WSPSendDisconnect, WSPRecvDisconnect, WSPShutdown).
 *
 * Send: one call is one TSDU, cut into DTs.  While the output queue is empty
 * each DT goes out at once with sendmsg (header + the caller's buffers, no
 * copy); what TCP does not take is copied into the queue and the engine
 * flushes it.  Nothing is allocated here. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "common/errmap.h"
#include "common/umem.h"
#include "provider.h"

#define ITOT_MAX_BUFS 64
#define ITOT_CHUNK 16384

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

/* Copy n octets from the cursor into the output queue (through umem). */
static int cursor_queue(struct itot_sock *s, struct cursor *c, size_t n)
{
    uint8_t chunk[ITOT_CHUNK];
    while (n > 0) {
        struct iovec iov[1];
        if (cursor_iov(c, n < ITOT_CHUNK ? n : ITOT_CHUNK, iov, 1) == 0)
            return WSAEFAULT;
        if (umem_read(chunk, iov[0].iov_base, iov[0].iov_len) != 0)
            return WSAEFAULT;
        conn_outq_push(&s->conn, chunk, iov[0].iov_len);
        cursor_skip(c, iov[0].iov_len);
        n -= iov[0].iov_len;
    }
    return 0;
}

/* Wait for queue room (lock held); 0, or the error that ended the wait. */
static int wait_room(struct itot_sock *s, size_t need)
{
    while (conn_outq_room(&s->conn) < need) {
        int err = conn_can_send(&s->conn);
        if (err == WSAESHUTDOWN && s->send_busy)
            err = 0; /* a deferred disconnect: finish this TSDU first */
        if (err != 0)
            return err;
        if (s->closing || s->fd < 0)
            return WSAECONNABORTED;
        itot_flush(s);
        itot_apply(s);
        itot_engine_update(s);
        if (conn_outq_room(&s->conn) >= need)
            break;
        itot_wait(s, 0);
    }
    return 0;
}

/* One DT: straight to TCP when nothing is queued, the rest into the queue. */
static int send_segment(struct itot_sock *s, struct cursor *cur, size_t seg, bool eot)
{
    uint8_t hdr[TPDU_DT_HDR_MAX];
    size_t h = conn_dt_header(&s->conn, eot, seg, hdr);
    if (h == 0)
        return WSAEMSGSIZE;
    size_t written = 0;
    if (conn_outq_len(&s->conn) == 0 && s->fd >= 0 && !s->tcp_connecting) {
        struct iovec iov[1 + ITOT_MAX_BUFS];
        iov[0].iov_base = hdr;
        iov[0].iov_len = h;
        int k = cursor_iov(cur, seg, iov + 1, ITOT_MAX_BUFS);
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)(k + 1)};
        ssize_t w;
        do {
            w = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (w < 0 && errno == EINTR);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            int err = errmap_from_errno(errno);
            conn_eof(&s->conn);
            itot_apply(s);
            return err;
        }
        written = w > 0 ? (size_t)w : 0;
    }
    size_t left = h + seg - written;
    if (left == 0) {
        cursor_skip(cur, seg);
        return 0;
    }
    int err = wait_room(s, left);
    if (err != 0)
        return err;
    if (written < h) {
        conn_outq_push(&s->conn, hdr + written, h - written);
        written = 0;
    } else {
        written -= h;
        cursor_skip(cur, written);
    }
    err = cursor_queue(s, cur, seg - written);
    itot_engine_update(s);
    return err;
}

int WSPAPI itot_WSPSend(SOCKET h, LPWSABUF lpBuffers, DWORD dwBufferCount,
                        LPDWORD lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                        LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)dwFlags, (void)lpThreadId;
    int err = itot_guard();
    struct itot_sock *s = err ? NULL : itot_lookup(h, &err);
    if (s == NULL)
        return itot_fail(lpErrno, err);
    if (lpOverlapped != NULL || lpCompletionRoutine != NULL)
        return itot_fail(lpErrno, WSAEOPNOTSUPP);
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
        return itot_fail(lpErrno, err);

    pthread_mutex_lock(&s->lock);
    for (;;) {
        err = s->has_conn ? conn_can_send(&s->conn) : WSAENOTCONN;
        if (err == 0 && s->disc_deferred)
            err = WSAESHUTDOWN; /* C2: a SendDisconnect already succeeded (deferred) */
        if (err == 0 && s->send_busy) {
            if (s->nonblocking)
                err = WSAEWOULDBLOCK;
            else {
                itot_wait(s, 0);
                continue;
            }
        }
        break;
    }
    size_t max = err == 0 ? conn_dt_max_data(&s->conn) : 1;
    size_t nseg = total == 0 ? 1 : (total + max - 1) / max;
    size_t need = total + nseg * TPDU_DT_HDR_MAX;
    /* Non-blocking: all or nothing, so only start what fits (a TSDU larger than
     * the whole queue can only go out the blocking way). */
    if (err == 0 && s->nonblocking && conn_outq_len(&s->conn) > 0 &&
        need > conn_outq_room(&s->conn))
        err = WSAEWOULDBLOCK;
    if (err != 0) {
        pthread_mutex_unlock(&s->lock);
        return itot_fail(lpErrno, err);
    }
    s->send_busy = true;
    struct cursor cur = {.b = bufs, .count = dwBufferCount};
    cursor_skip(&cur, 0);
    size_t done = 0;
    do {
        size_t seg = total - done < max ? total - done : max;
        err = send_segment(s, &cur, seg, done + seg == total);
        done += seg;
    } while (err == 0 && done < total);
    s->send_busy = false;
    if (s->disc_deferred) {
        s->disc_deferred = false;
        conn_disconnect(&s->conn, s->disc_deferred_data, s->disc_deferred_len, itot_now_ms());
    }
    itot_flush(s);
    itot_apply(s);
    itot_engine_update(s);
    itot_wake(s);
    pthread_mutex_unlock(&s->lock);
    return err ? itot_fail(lpErrno, err) : 0;
}

/* Recv's answer when no TSDU is there (lock held): 0 means wait / retry. */
static int recv_state_error(struct itot_sock *s)
{
    if (!s->has_conn)
        return WSAENOTCONN;
    const struct conn *c = &s->conn;
    if (c->peer_disc || (c->state == CONN_S_CLOSED && !c->error)) {
        s->end_seen = true;
        return WSAEDISCON; /* D10: after the data, the disconnect */
    }
    if (c->error)
        return c->error;
    if (c->state != CONN_S_OPEN && c->state != CONN_S_DR_SENT)
        return WSAENOTCONN;
    if (s->closing)
        return WSAEINTR;
    return 0;
}

int WSPAPI itot_WSPRecv(SOCKET h, LPWSABUF lpBuffers, DWORD dwBufferCount,
                        LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                        LPWSAOVERLAPPED lpOverlapped,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                        LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)lpThreadId;
    int err = itot_guard();
    struct itot_sock *s = err ? NULL : itot_lookup(h, &err);
    if (s == NULL)
        return itot_fail(lpErrno, err);
    if (lpOverlapped != NULL || lpCompletionRoutine != NULL)
        return itot_fail(lpErrno, WSAEOPNOTSUPP);
    WSABUF bufs[ITOT_MAX_BUFS];
    size_t room = 0;
    DWORD flags = 0, probe = 0;
    if (dwBufferCount > ITOT_MAX_BUFS)
        return itot_fail(lpErrno, WSAENOBUFS);
    /* The WSABUF array, *lpFlags, and a read of *lpNumberOfBytesRecvd (an
     * unmapped one fails here, before any wait) in one syscall. */
    {
        size_t nb = dwBufferCount * sizeof(WSABUF);
        size_t nf = lpFlags != NULL ? sizeof flags : 0;
        size_t nn = lpNumberOfBytesRecvd != NULL ? sizeof probe : 0;
        struct iovec l[3] = {{bufs, nb}, {&flags, nf}, {&probe, nn}};
        struct iovec r[3] = {{lpBuffers, nb}, {lpFlags, nf}, {lpNumberOfBytesRecvd, nn}};
        if (umem_readv(l, 3, r, 3) != 0)
            return itot_fail(lpErrno, WSAEFAULT);
        for (DWORD i = 0; i < dwBufferCount; i++)
            room += bufs[i].len;
    }
    bool peek = (flags & MSG_PEEK) != 0;

    pthread_mutex_lock(&s->lock);
    size_t got = 0;
    bool partial = false;
    for (;;) {
        if (s->has_conn && conn_rx_ready(&s->conn)) {
            size_t avail = conn_rx_next_len(&s->conn);
            const uint8_t *span[2];
            size_t len[2];
            int k = conn_rx_peek(&s->conn, span, len);
            size_t have = 0;
            for (int i = 0; i < k; i++)
                have += len[i];
            got = have < room ? have : room;
            partial = got < avail;
            /* The data, the count and the flags in one process_vm_writev,
             * before anything is consumed: a bad buffer loses no data. */
            DWORD n = (DWORD)got, f = partial ? MSG_PARTIAL : 0;
            struct iovec l[4], r[ITOT_MAX_BUFS + 2];
            int nl = 0, nr = 0;
            size_t left = got;
            for (int i = 0; i < k && left > 0; i++) {
                size_t t = len[i] < left ? len[i] : left;
                l[nl++] = (struct iovec){(void *)(uintptr_t)span[i], t};
                left -= t;
            }
            left = got;
            for (DWORD i = 0; i < dwBufferCount && left > 0; i++) {
                size_t t = bufs[i].len < left ? bufs[i].len : left;
                if (t > 0)
                    r[nr++] = (struct iovec){bufs[i].buf, t};
                left -= t;
            }
            if (lpNumberOfBytesRecvd != NULL) {
                l[nl++] = (struct iovec){&n, sizeof n};
                r[nr++] = (struct iovec){lpNumberOfBytesRecvd, sizeof n};
            }
            if (lpFlags != NULL) {
                l[nl++] = (struct iovec){&f, sizeof f};
                r[nr++] = (struct iovec){lpFlags, sizeof f};
            }
            err = umem_writev(l, nl, r, nr);
            if (err == 0) {
                if (!peek) {
                    bool was_full = !conn_rx_has_room(&s->conn);
                    conn_rx_consume(&s->conn, got);
                    if (was_full) {
                        itot_pull(s);
                        itot_apply(s);
                        itot_engine_update(s);
                    }
                }
            }
            break;
        }
        if (s->has_conn && s->fd >= 0) {
            itot_pull(s);
            itot_apply(s);
            if (conn_rx_ready(&s->conn))
                continue;
        }
        if (s->recv_shut) {
            err = WSAESHUTDOWN;
            break;
        }
        err = recv_state_error(s);
        if (err == 0 && s->nonblocking)
            err = WSAEWOULDBLOCK;
        if (err != 0)
            break;
        itot_wait(s, 0);
    }
    if (err == 0 && s->has_conn && conn_rx_ready(&s->conn))
        itot_post_event(s, FD_READ, 0); /* more to read: re-enable, as Winsock does */
    pthread_mutex_unlock(&s->lock);
    return err ? itot_fail(lpErrno, err) : 0;
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
    if (s->send_busy && s->conn.state == CONN_S_OPEN) {
        /* Another thread is in the middle of a TSDU: its DTs go first (D5),
         * the DR right after it, queued by that thread. Never blocks (C11). */
        memcpy(s->disc_deferred_data, data, len);
        s->disc_deferred_len = (uint8_t)len;
        s->disc_deferred = true;
        return 0;
    }
    /* D7: our own release finished, but the user has not read the end yet. */
    if (s->conn.state == CONN_S_CLOSED && s->conn.tx_shut && !s->end_seen)
        return 0;
    bool direct = conn_outq_len(&s->conn) == 0 && s->fd >= 0 && !s->tcp_connecting;
    struct conn saved = s->conn; /* shallow: the DR only goes into the preallocated queue */
    int err = conn_disconnect(&s->conn, data, len, itot_now_ms());
    if (err != 0)
        return err;
    if (direct && conn_outq_len(&s->conn) > 0) {
        /* Nothing queued before it: write the DR now, so a failing network is
         * reported here and leaves the socket as it was (C9, D1). */
        const uint8_t *span[2];
        size_t slen[2];
        conn_outq_peek(&s->conn, span, slen);
        ssize_t w;
        do {
            w = send(s->fd, span[0], slen[0], MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (w < 0 && errno == EINTR);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            int e = errmap_from_errno(errno);
            s->conn = saved;
            conn_outq_consume(&s->conn, conn_outq_len(&s->conn));
            return e;
        }
        if (w > 0)
            conn_outq_consume(&s->conn, (size_t)w);
    }
    itot_flush(s);
    itot_apply(s);
    itot_engine_update(s);
    itot_wake(s);
    return 0;
}

int WSPAPI itot_WSPSendDisconnect(SOCKET h, LPWSABUF lpOutboundDisconnectData, LPINT lpErrno)
{
    int err = itot_guard();
    struct itot_sock *s = err ? NULL : itot_lookup(h, &err);
    if (s == NULL)
        return itot_fail(lpErrno, err);
    uint8_t data[TPDU_MAX_DISC_DATA];
    size_t len;
    err = itot_take_data(lpOutboundDisconnectData, data, sizeof data, &len);
    if (err != 0)
        return itot_fail(lpErrno, err);
    pthread_mutex_lock(&s->lock);
    err = release(s, data, len);
    pthread_mutex_unlock(&s->lock);
    return err ? itot_fail(lpErrno, err) : 0;
}

int WSPAPI itot_WSPShutdown(SOCKET h, int how, LPINT lpErrno)
{
    int err = itot_guard();
    struct itot_sock *s = err ? NULL : itot_lookup(h, &err);
    if (s == NULL)
        return itot_fail(lpErrno, err);
    if (how != SD_RECEIVE && how != SD_SEND && how != SD_BOTH)
        return itot_fail(lpErrno, WSAEINVAL);
    pthread_mutex_lock(&s->lock);
    if (!s->has_conn || s->conn.state == CONN_S_CR_SENT || s->conn.state == CONN_S_IDLE)
        err = WSAENOTCONN;
    if (err == 0 && how != SD_SEND)
        s->recv_shut = true;
    if (err == 0 && how != SD_RECEIVE) {
        err = release(s, NULL, 0);
        if (err == WSAENOTCONN && s->conn.state == CONN_S_CLOSED)
            err = 0; /* already released: nothing more to shut */
    }
    pthread_mutex_unlock(&s->lock);
    return err ? itot_fail(lpErrno, err) : 0;
}

int WSPAPI itot_WSPRecvDisconnect(SOCKET h, LPWSABUF lpInboundDisconnectData, LPINT lpErrno)
{
    int err = itot_guard();
    struct itot_sock *s = err ? NULL : itot_lookup(h, &err);
    if (s == NULL)
        return itot_fail(lpErrno, err);
    pthread_mutex_lock(&s->lock);
    uint8_t data[TPDU_MAX_DISC_DATA];
    size_t len = 0;
    if (!s->has_conn || s->conn.state == CONN_S_IDLE || s->conn.state == CONN_S_CR_SENT) {
        err = WSAENOTCONN;
    } else {
        if (s->conn.peer_disc) {
            len = s->conn.disc_data_len;
            memcpy(data, s->conn.disc_data, len);
        }
        s->recv_shut = true;
    }
    pthread_mutex_unlock(&s->lock);
    if (err == 0 && lpInboundDisconnectData != NULL) {
        WSABUF b;
        if (umem_read(&b, lpInboundDisconnectData, sizeof b) != 0)
            err = WSAEFAULT;
        else if (b.len < len) {
            /* D10: too small: WSAEFAULT and the length needed. */
            ULONG need = (ULONG)len;
            if (umem_write(&lpInboundDisconnectData->len, &need, sizeof need) != 0) {
            } /* the size needed, if it can be written: WSAEFAULT all the same */
            err = WSAEFAULT;
        } else if (len > 0 && umem_write(b.buf, data, len) != 0) {
            err = WSAEFAULT;
        } else {
            ULONG n = (ULONG)len;
            err = umem_write(&lpInboundDisconnectData->len, &n, sizeof n);
        }
    }
    return err ? itot_fail(lpErrno, err) : 0;
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
