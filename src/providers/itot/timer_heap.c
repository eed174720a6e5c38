/* SPDX-License-Identifier: MIT */
/* timer_heap — binary min-heap on timer_entry.at (see timer_heap.h). */
#include "timer_heap.h"

#include <stdlib.h>

static void th_place(struct timer_heap *h, size_t i, struct timer_entry *e)
{
    h->v[i] = e;
    e->idx = i + 1;
}

static void th_up(struct timer_heap *h, size_t i)
{
    struct timer_entry *e = h->v[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->v[parent]->at <= e->at)
            break;
        th_place(h, i, h->v[parent]);
        i = parent;
    }
    th_place(h, i, e);
}

static void th_down(struct timer_heap *h, size_t i)
{
    struct timer_entry *e = h->v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1]->at < h->v[c]->at)
            c++;
        if (e->at <= h->v[c]->at)
            break;
        th_place(h, i, h->v[c]);
        i = c;
    }
    th_place(h, i, e);
}

int timer_heap_set(struct timer_heap *h, struct timer_entry *e, uint64_t at)
{
    if (e->idx != 0) {
        uint64_t old = e->at;
        e->at = at;
        if (at < old)
            th_up(h, e->idx - 1);
        else if (at > old)
            th_down(h, e->idx - 1);
        return 0;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct timer_entry **v = realloc(h->v, cap * sizeof(struct timer_entry *));
        if (v == NULL)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    e->at = at;
    h->v[h->n] = e;
    e->idx = ++h->n;
    th_up(h, h->n - 1);
    return 0;
}

void timer_heap_remove(struct timer_heap *h, struct timer_entry *e)
{
    if (e->idx == 0)
        return;
    size_t i = e->idx - 1;
    e->idx = 0;
    struct timer_entry *last = h->v[--h->n];
    if (i == h->n)
        return;
    th_place(h, i, last);
    /* The moved entry may belong above or below its new place. */
    if (i > 0 && h->v[(i - 1) / 2]->at > last->at)
        th_up(h, i);
    else
        th_down(h, i);
}

void timer_heap_clear(struct timer_heap *h)
{
    for (size_t i = 0; i < h->n; i++)
        h->v[i]->idx = 0;
    timer_heap_abandon(h);
}

void timer_heap_abandon(struct timer_heap *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
