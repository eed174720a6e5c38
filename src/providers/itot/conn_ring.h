/* SPDX-License-Identifier: MIT */
/* conn_ring — the byte FIFO behind the output queue and the receive store.
 * One pooled buffer (conn_pool.h), held only while the ring has bytes (or
 * is about to: ring_need); wraps around; grows only when asked (ring_grow). */
#ifndef WSP_ITOT_CONN_RING_H
#define WSP_ITOT_CONN_RING_H

#include <string.h>

#include "conn.h"

/* An empty ring without a buffer; size: the buffer it takes first. */
void ring_init(struct conn_ring *r, size_t size);
/* Give the buffer back, whatever it holds. */
void ring_free(struct conn_ring *r);
/* Hold a buffer (take one of r->size if there is none). 0 or -1 (none to be had). */
int ring_need(struct conn_ring *r);
/* Empty: give the buffer back (the stream position is kept). */
void ring_drop(struct conn_ring *r);
static inline size_t ring_room(const struct conn_ring *r)
{
    return r->cap - r->len;
}
/* Append n bytes; the caller checked ring_room. */
void ring_push(struct conn_ring *r, const void *p, size_t n);
/* Write n bytes at offset off from the head (off + n <= cap: past len this
 * stages bytes that ring_commit makes part of the FIFO). */
void ring_write_at(struct conn_ring *r, size_t off, const void *p, size_t n);
/* The buffer position of offset off from the head (off <= cap). A compare
 * instead of a division: head < cap, so head + off < 2 cap. */
static inline size_t ring_pos(const struct conn_ring *r, size_t off)
{
    size_t pos = r->head + off;
    return pos >= r->cap ? pos - r->cap : pos;
}
/* Copy n bytes at offset off from the head into dst (off + n <= cap). */
void ring_read_at_wrap(const struct conn_ring *r, size_t off, void *dst, size_t n);
static inline void ring_read_at(const struct conn_ring *r, size_t off, void *dst, size_t n)
{
    /* inline, so that a fixed-size read (a record's length) is one load
     * when it does not wrap: the receive store reads one per record */
    if (n == 0)
        return;
    size_t pos = ring_pos(r, off);
    if (n <= r->cap - pos)
        memcpy(dst, r->buf + pos, n);
    else
        ring_read_at_wrap(r, off, dst, n);
}
/* Spans of n bytes starting at offset off from the head (off + n <= cap). */
int ring_spans(const struct conn_ring *r, size_t off, size_t n, const uint8_t *span[2],
               size_t span_len[2]);
void ring_consume(struct conn_ring *r, size_t n);
/* Make n staged bytes past len part of the FIFO / drop the last n bytes. */
void ring_commit(struct conn_ring *r, size_t n);
void ring_unpush(struct conn_ring *r, size_t n);
/* Move into a buffer of at least cap (contents kept, linearised; the old
 * buffer goes back). 0 or -1 (nothing changed). */
int ring_grow(struct conn_ring *r, size_t cap);

#endif
