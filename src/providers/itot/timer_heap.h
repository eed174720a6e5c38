/* SPDX-License-Identifier: MIT */
/* timer_heap — the engine's timers: a binary min-heap of entries embedded in
 * the objects they time, so that finding the next deadline and the expired
 * ones costs O(log n) per change instead of a scan of every socket per
 * wake-up. Touched by one thread only (the engine), so it has no lock. Pure
 * code, unit-tested alone (tests/unit/itot_timer_heap). */
#ifndef WSP_ITOT_TIMER_HEAP_H
#define WSP_ITOT_TIMER_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Embedded in the timed object; zero-initialised means "not in a heap". */
struct timer_entry {
    uint64_t at; /* the deadline it is filed under (valid while idx != 0) */
    size_t idx;  /* 1-based position in the heap, 0 when not in it */
};

struct timer_heap {
    struct timer_entry **v;
    size_t n, cap;
};

/* File e under deadline at (at != 0), or move it there if it is filed
 * already. 0, or -1 when memory for a new entry is exhausted (e unfiled). */
int timer_heap_set(struct timer_heap *h, struct timer_entry *e, uint64_t at);
/* Take e out (nothing if it is not in). */
void timer_heap_remove(struct timer_heap *h, struct timer_entry *e);
/* The earliest entry, or NULL. */
static inline struct timer_entry *timer_heap_top(const struct timer_heap *h)
{
    return h->n > 0 ? h->v[0] : NULL;
}
static inline bool timer_heap_has(const struct timer_entry *e)
{
    return e->idx != 0;
}
/* Forget every entry (their idx is cleared) and free the array. */
void timer_heap_clear(struct timer_heap *h);
/* Free the array without touching the entries (a forked child's copy). */
void timer_heap_abandon(struct timer_heap *h);

#endif
