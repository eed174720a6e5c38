/* SPDX-License-Identifier: MIT */
/* conn_ring — see conn_ring.h. */
#include "conn_ring.h"

#include <string.h>

#include "conn_pool.h"

void ring_init(struct conn_ring *r, size_t size)
{
    memset(r, 0, sizeof *r);
    r->size = size;
}

void ring_free(struct conn_ring *r)
{
    conn_pool_give(r->buf, r->cap);
    r->buf = NULL;
    r->cap = r->head = r->len = r->peak = 0;
}

int ring_need(struct conn_ring *r)
{
    if (r->buf != NULL)
        return 0;
    r->buf = conn_pool_take(r->size);
    if (r->buf == NULL)
        return -1;
    r->cap = r->size;
    r->head = 0;
    return 0;
}

void ring_drop(struct conn_ring *r)
{
    if (r->len == 0 && r->buf != NULL)
        ring_free(r);
}

void ring_write_at(struct conn_ring *r, size_t off, const void *p, size_t n)
{
    if (n == 0)
        return;
    const uint8_t *s = p;
    size_t pos = ring_pos(r, off);
    size_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(r->buf + pos, s, first);
    if (n > first)
        memcpy(r->buf, s + first, n - first);
}

void ring_read_at_wrap(const struct conn_ring *r, size_t off, void *dst, size_t n)
{
    uint8_t *d = dst;
    size_t pos = ring_pos(r, off);
    size_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(d, r->buf + pos, first);
    if (n > first)
        memcpy(d + first, r->buf, n - first);
}

static void ring_mark_peak(struct conn_ring *r)
{
    if (r->len > r->peak)
        r->peak = r->len;
}

void ring_push(struct conn_ring *r, const void *p, size_t n)
{
    if (n == 0)
        return;
    r->len += n;
    ring_write_at(r, r->len - n, p, n);
    ring_mark_peak(r);
}

int ring_spans(const struct conn_ring *r, size_t off, size_t n, const uint8_t *span[2],
               size_t span_len[2])
{
    if (n == 0)
        return 0;
    size_t pos = ring_pos(r, off);
    size_t first = r->cap - pos < n ? r->cap - pos : n;
    span[0] = r->buf + pos;
    span_len[0] = first;
    if (first == n)
        return 1;
    span[1] = r->buf;
    span_len[1] = n - first;
    return 2;
}

void ring_consume(struct conn_ring *r, size_t n)
{
    if (n == 0)
        return;
    r->head = ring_pos(r, n);
    r->len -= n;
    r->consumed += n;
    if (r->len == 0)
        r->head = 0; /* keeps later pushes contiguous */
}

void ring_commit(struct conn_ring *r, size_t n)
{
    r->len += n;
    ring_mark_peak(r);
}

void ring_unpush(struct conn_ring *r, size_t n)
{
    r->len -= n;
    if (r->len == 0)
        r->head = 0;
}

int ring_grow(struct conn_ring *r, size_t cap)
{
    if (cap <= r->cap)
        return 0;
    uint8_t *nb = conn_pool_take(cap);
    if (nb == NULL)
        return -1;
    if (r->len)
        ring_read_at(r, 0, nb, r->len);
    conn_pool_give(r->buf, r->cap);
    r->buf = nb;
    r->cap = cap;
    r->head = 0;
    return 0;
}
