/* SPDX-License-Identifier: MIT */
/* conn_ring — the byte FIFO behind the output queue and the receive store.
 * One allocation, wraps around; grows only when asked (ring_grow). */
#ifndef WSP_ITOT_CONN_RING_H
#define WSP_ITOT_CONN_RING_H

#include "conn.h"

int ring_init(struct conn_ring *r, size_t cap);
void ring_free(struct conn_ring *r);
static inline size_t ring_room(const struct conn_ring *r)
{
    return r->cap - r->len;
}
/* Append n bytes; the caller checked ring_room. */
void ring_push(struct conn_ring *r, const void *p, size_t n);
/* Overwrite n bytes at offset off from the head (off + n <= len). */
void ring_write_at(struct conn_ring *r, size_t off, const void *p, size_t n);
/* Copy n bytes at offset off from the head into dst. */
void ring_read_at(const struct conn_ring *r, size_t off, void *dst, size_t n);
/* Spans of n bytes starting at offset off from the head. */
int ring_spans(const struct conn_ring *r, size_t off, size_t n, const uint8_t *span[2],
               size_t span_len[2]);
void ring_consume(struct conn_ring *r, size_t n);
/* Grow to at least cap (contents kept, linearised). 0 or -1. */
int ring_grow(struct conn_ring *r, size_t cap);

#endif
