/* SPDX-License-Identifier: MIT */
/* conn_ring — see conn_ring.h. */
#include "conn_ring.h"

#include <stdlib.h>
#include <string.h>

int ring_init(struct conn_ring *r, size_t cap)
{
    r->buf = malloc(cap);
    r->cap = r->buf ? cap : 0;
    r->head = 0;
    r->len = 0;
    r->consumed = 0;
    r->spare = NULL;
    r->spare_cap = 0;
    return r->buf ? 0 : -1;
}

void ring_free(struct conn_ring *r)
{
    free(r->buf);
    free(r->spare);
    r->buf = r->spare = NULL;
    r->cap = r->head = r->len = r->spare_cap = 0;
}

void ring_write_at(struct conn_ring *r, size_t off, const void *p, size_t n)
{
    const uint8_t *s = p;
    size_t pos = (r->head + off) % r->cap;
    size_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(r->buf + pos, s, first);
    memcpy(r->buf, s + first, n - first);
}

void ring_read_at(const struct conn_ring *r, size_t off, void *dst, size_t n)
{
    uint8_t *d = dst;
    size_t pos = (r->head + off) % r->cap;
    size_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(d, r->buf + pos, first);
    memcpy(d + first, r->buf, n - first);
}

void ring_push(struct conn_ring *r, const void *p, size_t n)
{
    if (n == 0)
        return;
    r->len += n;
    ring_write_at(r, r->len - n, p, n);
}

int ring_spans(const struct conn_ring *r, size_t off, size_t n, const uint8_t *span[2],
               size_t span_len[2])
{
    if (n == 0)
        return 0;
    size_t pos = (r->head + off) % r->cap;
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
    r->head = (r->head + n) % r->cap;
    r->len -= n;
    r->consumed += n;
    if (r->len == 0)
        r->head = 0; /* keeps later pushes contiguous */
}

void ring_commit(struct conn_ring *r, size_t n)
{
    r->len += n;
}

void ring_unpush(struct conn_ring *r, size_t n)
{
    r->len -= n;
    if (r->len == 0)
        r->head = 0;
}

/* Move the contents into a new buffer of cap bytes; the old one goes to
 * *old (or is freed when old is NULL). */
static int ring_move(struct conn_ring *r, size_t cap, uint8_t **old)
{
    if (cap <= r->cap)
        return 0;
    uint8_t *nb = malloc(cap);
    if (!nb)
        return -1;
    if (r->len)
        ring_read_at(r, 0, nb, r->len);
    if (old != NULL)
        *old = r->buf;
    else
        free(r->buf);
    r->buf = nb;
    r->cap = cap;
    r->head = 0;
    return 0;
}

int ring_grow(struct conn_ring *r, size_t cap)
{
    return ring_move(r, cap, NULL);
}

int ring_expand(struct conn_ring *r, size_t cap)
{
    if (r->spare != NULL)
        return ring_move(r, cap, NULL); /* already expanded: the spare stays */
    size_t regular = r->cap;
    uint8_t *old = NULL;
    if (ring_move(r, cap, &old) != 0)
        return -1;
    if (old != NULL) {
        r->spare = old;
        r->spare_cap = regular;
    }
    return 0;
}

void ring_restore(struct conn_ring *r)
{
    if (r->spare == NULL || r->len != 0)
        return;
    free(r->buf);
    r->buf = r->spare;
    r->cap = r->spare_cap;
    r->spare = NULL;
    r->spare_cap = 0;
    r->head = 0;
}
