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
/* Write n bytes at offset off from the head (off + n <= cap: past len this
 * stages bytes that ring_commit makes part of the FIFO). */
void ring_write_at(struct conn_ring *r, size_t off, const void *p, size_t n);
/* Copy n bytes at offset off from the head into dst. */
void ring_read_at(const struct conn_ring *r, size_t off, void *dst, size_t n);
/* Spans of n bytes starting at offset off from the head (off + n <= cap). */
int ring_spans(const struct conn_ring *r, size_t off, size_t n, const uint8_t *span[2],
               size_t span_len[2]);
void ring_consume(struct conn_ring *r, size_t n);
/* Make n staged bytes past len part of the FIFO / drop the last n bytes. */
void ring_commit(struct conn_ring *r, size_t n);
void ring_unpush(struct conn_ring *r, size_t n);
/* Grow to at least cap (contents kept, linearised). 0 or -1. */
int ring_grow(struct conn_ring *r, size_t cap);
/* The same, keeping the regular buffer as the spare (first expansion only). */
int ring_expand(struct conn_ring *r, size_t cap);
/* Empty and expanded: free the big buffer and take the spare back. */
void ring_restore(struct conn_ring *r);

#endif
