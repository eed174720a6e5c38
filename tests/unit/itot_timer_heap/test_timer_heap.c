/* SPDX-License-Identifier: MIT */
/* timer_heap: the earliest entry is always on top, whatever sequence of
 * filings, moves and removals led there (checked against a plain scan after
 * every step of a random sequence), and the heap shape holds throughout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "timer_heap.h"

#define N_ENTRIES 500
#define N_STEPS 20000

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Every parent no later than its children, every idx pointing home. */
static void check_shape(const struct timer_heap *h)
{
    for (size_t i = 0; i < h->n; i++) {
        assert_int_equal(h->v[i]->idx, i + 1);
        if (i > 0)
            assert_true(h->v[(i - 1) / 2]->at <= h->v[i]->at);
    }
}

/* The earliest filed deadline by a scan, 0 when nothing is filed. */
static uint64_t scan_min(const struct timer_entry *e, size_t n)
{
    uint64_t min = 0;
    for (size_t i = 0; i < n; i++)
        if (timer_heap_has(&e[i]) && (min == 0 || e[i].at < min))
            min = e[i].at;
    return min;
}

static void random_operations_keep_the_minimum_on_top(void **state)
{
    (void)state;
    static struct timer_entry e[N_ENTRIES];
    struct timer_heap h = {0};
    for (int step = 0; step < N_STEPS; step++) {
        struct timer_entry *x = &e[rng() % N_ENTRIES];
        if (rng() % 4 == 0)
            timer_heap_remove(&h, x);
        else
            assert_int_equal(timer_heap_set(&h, x, 1 + rng() % 1000), 0);
        check_shape(&h);
        uint64_t min = scan_min(e, N_ENTRIES);
        struct timer_entry *top = timer_heap_top(&h);
        if (min == 0)
            assert_null(top);
        else
            assert_int_equal(top->at, min);
    }
    timer_heap_clear(&h);
    assert_int_equal(scan_min(e, N_ENTRIES), 0);
}

/* Popping the top repeatedly yields the deadlines in order. */
static void removing_the_top_gives_deadlines_in_order(void **state)
{
    (void)state;
    static struct timer_entry e[N_ENTRIES];
    struct timer_heap h = {0};
    for (size_t i = 0; i < N_ENTRIES; i++)
        assert_int_equal(timer_heap_set(&h, &e[i], 1 + rng() % 100000), 0);
    uint64_t last = 0;
    size_t popped = 0;
    for (struct timer_entry *t; (t = timer_heap_top(&h)) != NULL; popped++) {
        assert_true(t->at >= last);
        last = t->at;
        timer_heap_remove(&h, t);
        assert_false(timer_heap_has(t));
    }
    assert_int_equal(popped, N_ENTRIES);
    timer_heap_abandon(&h);
}

/* Moving an entry later or earlier re-files it; the same deadline is a no-op. */
static void moving_an_entry_refiles_it(void **state)
{
    (void)state;
    struct timer_entry a = {0}, b = {0}, c = {0};
    struct timer_heap h = {0};
    assert_int_equal(timer_heap_set(&h, &a, 10), 0);
    assert_int_equal(timer_heap_set(&h, &b, 20), 0);
    assert_int_equal(timer_heap_set(&h, &c, 30), 0);
    assert_ptr_equal(timer_heap_top(&h), &a);
    assert_int_equal(timer_heap_set(&h, &a, 40), 0); /* later */
    assert_ptr_equal(timer_heap_top(&h), &b);
    assert_int_equal(timer_heap_set(&h, &c, 5), 0); /* earlier */
    assert_ptr_equal(timer_heap_top(&h), &c);
    assert_int_equal(timer_heap_set(&h, &c, 5), 0); /* unchanged */
    assert_int_equal(h.n, 3);
    check_shape(&h);
    timer_heap_clear(&h);
    assert_false(timer_heap_has(&a) || timer_heap_has(&b) || timer_heap_has(&c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_operations_keep_the_minimum_on_top),
        cmocka_unit_test(removing_the_top_gives_deadlines_in_order),
        cmocka_unit_test(moving_an_entry_refiles_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
