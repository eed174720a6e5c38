/* SPDX-License-Identifier: MIT */
/* conn_store — the output queue and the receive store of a connection.
 * The receive store holds records [u32 length][data] in arrival order; the
 * last one may be open (a TSDU still being reassembled, length patched at EOT). */
#include "conn_priv.h"

#include <string.h>

#define REC_HDR 4u

size_t conn_outq_len(const struct conn *c)
{
    return c->outq.len;
}

size_t conn_outq_room(const struct conn *c)
{
    size_t data_cap = c->cfg.outq_cap;
    return c->outq.len < data_cap ? data_cap - c->outq.len : 0;
}

size_t conn_outq_hard_room(const struct conn *c)
{
    /* Without a buffer: the room of the regular one it takes when it needs one. */
    size_t cap = c->outq.buf != NULL ? c->outq.cap : c->outq.size;
    size_t room = cap - c->outq.len;
    return room > CONN_OUTQ_CTRL_RESERVE ? room - CONN_OUTQ_CTRL_RESERVE : 0;
}

int conn_outq_expand(struct conn *c, size_t n)
{
    if (conn_outq_hard_room(c) >= n)
        return 0;
    return ring_grow(&c->outq, c->outq.len + n + CONN_OUTQ_CTRL_RESERVE);
}

void conn_outq_shrink(struct conn *c)
{
    ring_drop(&c->outq); /* an oversized TSDU's buffer too, once it has left */
}

int conn_outq_reserve(struct conn *c)
{
    return ring_need(&c->outq);
}

void conn_outq_push(struct conn *c, const void *p, size_t n)
{
    if (n > 0 && ring_need(&c->outq) != 0)
        return; /* no buffer: nothing appended (the caller checked room, not memory) */
    if (n > ring_room(&c->outq))
        n = ring_room(&c->outq); /* caller broke the contract; never overrun */
    ring_push(&c->outq, p, n);
}

int conn_outq_peek(const struct conn *c, const uint8_t *span[2], size_t span_len[2])
{
    return ring_spans(&c->outq, 0, c->outq.len, span, span_len);
}

void conn_outq_stage(struct conn *c, size_t off, const void *p, size_t n)
{
    if (n > 0)
        ring_write_at(&c->outq, c->outq.len + off, p, n);
}

int conn_outq_stage_spans(const struct conn *c, size_t off, size_t n, uint8_t *span[2],
                          size_t span_len[2])
{
    const uint8_t *sp[2];
    int k = ring_spans(&c->outq, c->outq.len + off, n, sp, span_len);
    for (int i = 0; i < k; i++)
        span[i] = c->outq.buf + (sp[i] - c->outq.buf); /* our own buffer: writable */
    return k;
}

void conn_outq_commit(struct conn *c, size_t n)
{
    if (n > ring_room(&c->outq))
        n = ring_room(&c->outq); /* caller broke the contract; never overrun */
    ring_commit(&c->outq, n);
}

void conn_outq_withdraw(struct conn *c, size_t n)
{
    if (n > c->outq.len)
        n = c->outq.len;
    ring_unpush(&c->outq, n);
    ring_drop(&c->outq);
}

uint64_t conn_outq_sent(const struct conn *c)
{
    return c->outq.consumed;
}

uint64_t conn_outq_end(const struct conn *c)
{
    return c->outq.consumed + c->outq.len;
}

void conn_outq_consume(struct conn *c, size_t n)
{
    if (n > c->outq.len)
        n = c->outq.len;
    ring_consume(&c->outq, n);
    ring_drop(&c->outq); /* empty: the buffer goes back to the pool */
}

static uint32_t rec_len_at(const struct conn *c, size_t off)
{
    uint32_t len;
    ring_read_at(&c->rx, off, &len, sizeof(len));
    return len;
}

bool conn_rx_ready(const struct conn *c)
{
    return c->rx_complete > 0;
}

size_t conn_rx_next_len(const struct conn *c)
{
    if (c->rx_complete == 0)
        return 0;
    return rec_len_at(c, 0) - c->rx_read_off;
}

int conn_rx_peek(const struct conn *c, const uint8_t *span[2], size_t span_len[2])
{
    if (c->rx_complete == 0)
        return 0;
    size_t left = rec_len_at(c, 0) - c->rx_read_off;
    return ring_spans(&c->rx, REC_HDR + c->rx_read_off, left, span, span_len);
}

void conn_rx_consume(struct conn *c, size_t n)
{
    if (c->rx_complete == 0)
        return;
    uint32_t len = rec_len_at(c, 0);
    c->rx_read_off += n;
    if (c->rx_read_off >= len) {
        ring_consume(&c->rx, REC_HDR + len);
        c->rx_read_off = 0;
        c->rx_complete--;
        if (c->rx.len == 0)
            conn_rx_drop(c);
    }
}

/* The store's buffer size for at least need octets: the first size doubled,
 * never past the limit. */
static size_t rx_fit(const struct conn *c, size_t need)
{
    size_t cap = CONN_RX_RING;
    while (cap < need && cap < c->rx_limit)
        cap *= 2;
    return cap > c->rx_limit ? c->rx_limit : cap;
}

void conn_rx_drop(struct conn *c)
{
    if (c->rx.len != 0 || c->rx.buf == NULL)
        return;
    /* Next time it takes at once what it needed this time: a stream of big
     * TSDUs grows its buffer once, not once per TSDU. */
    c->rx.size = rx_fit(c, c->rx.peak);
    ring_free(&c->rx);
}

int conn_rx_reserve(struct conn *c, size_t n)
{
    if (c->rx_discard)
        return 0; /* nothing will be stored */
    size_t need = c->rx.len + n + (c->rx_open ? 0 : REC_HDR);
    if (need > c->rx_limit)
        return 0; /* conn_store_append refuses it: nothing to reserve */
    if (c->rx.buf == NULL && c->rx.size < need)
        c->rx.size = rx_fit(c, need);
    if (ring_need(&c->rx) != 0)
        return -1;
    if (need <= c->rx.cap)
        return 0;
    size_t cap = c->rx.cap * 2;
    while (cap < need)
        cap *= 2;
    if (cap > c->rx_limit)
        cap = c->rx_limit;
    return ring_grow(&c->rx, cap);
}

bool conn_rx_has_room(const struct conn *c)
{
    /* Room for a whole TPKT's data plus a record header: what one DT can add. */
    return c->rx_discard || c->rx.len + TPKT_MAX_LEN + REC_HDR <= c->rx_limit;
}

void conn_rx_discard(struct conn *c)
{
    c->rx_discard = true;
    ring_consume(&c->rx, c->rx.len);
    c->rx_open = false;
    c->rx_open_len = 0;
    c->rx_read_off = 0;
    c->rx_complete = 0;
    conn_rx_drop(c);
}

int conn_store_append(struct conn *c, const uint8_t *p, size_t n, bool eot)
{
    if (c->rx_discard)
        return 0;
    if (c->rx_open_len + n > c->cfg.max_tsdu)
        return -1;
    size_t need = c->rx.len + n + (c->rx_open ? 0 : REC_HDR);
    if (need > c->rx_limit)
        return -1;
    /* conn_input reserved this before it handled the TPKT: no failure here. */
    if (conn_rx_reserve(c, n) != 0)
        return -1;
    if (!c->rx_open) {
        uint32_t zero = 0;
        ring_push(&c->rx, &zero, sizeof(zero));
        c->rx_open = true;
        c->rx_open_len = 0;
    }
    ring_push(&c->rx, p, n);
    c->rx_open_len += n;
    if (eot) {
        uint32_t len = (uint32_t)c->rx_open_len;
        ring_write_at(&c->rx, c->rx.len - c->rx_open_len - REC_HDR, &len, sizeof(len));
        c->rx_open = false;
        c->rx_open_len = 0;
        c->rx_complete++;
        c->events |= CONN_EV_TSDU;
    }
    return 0;
}

/* held_outq: the output queue may hold its buffer while empty (a send in
 * progress reserved it: data.c's tx_reserve); at rest it may not. */
static bool check(const struct conn *c, bool held_outq)
{
    if ((unsigned)c->state >= CONN_S__COUNT || c->local_ref == 0)
        return false;
    if (c->cls != -1 && c->cls != 0 && c->cls != 2)
        return false;
    if ((c->state == CONN_S_OPEN || c->state == CONN_S_DR_SENT) &&
        (c->cls < 0 || c->tpdu_max < CONN_MIN_TPDU_SIZE || c->tpdu_max > TPDU_MAX_LEN))
        return false;
    if (c->outq.len > c->outq.cap || c->rx.len > c->rx.cap || c->rx.cap > c->rx_limit + 16384)
        return false;
    /* An empty ring holds no buffer (the idle connection's memory), and a
     * buffer always has its capacity. */
    bool outq_empty_ok = held_outq ? c->outq.len == 0 || c->outq.buf != NULL
                                   : (c->outq.len == 0) == (c->outq.buf == NULL);
    if (!outq_empty_ok || (c->rx.len == 0) != (c->rx.buf == NULL) ||
        (c->outq.buf == NULL) != (c->outq.cap == 0) || (c->rx.buf == NULL) != (c->rx.cap == 0))
        return false;
    if (c->disc_data_len > TPDU_MAX_DISC_DATA || c->peer_conn_data_len > TPDU_MAX_CONN_DATA)
        return false;
    if (c->tx_shut && c->state != CONN_S_DR_SENT && c->state != CONN_S_CLOSED)
        return false;
    /* Walk the records: complete ones first, at most one open one at the end. */
    size_t off = 0, complete = 0;
    while (off < c->rx.len) {
        if (c->rx.len - off < REC_HDR)
            return false;
        size_t len = rec_len_at(c, off);
        bool last_open = c->rx_open && off + REC_HDR + c->rx_open_len == c->rx.len;
        if (last_open)
            break; /* the open record runs to the end */
        if (len > c->cfg.max_tsdu || off + REC_HDR + len > c->rx.len)
            return false;
        off += REC_HDR + len;
        complete++;
    }
    if (complete != c->rx_complete)
        return false;
    if (c->rx_complete && c->rx_read_off > rec_len_at(c, 0))
        return false;
    return true;
}

bool conn_check(const struct conn *c)
{
    return check(c, false);
}

bool conn_check_live(const struct conn *c)
{
    return check(c, true);
}
