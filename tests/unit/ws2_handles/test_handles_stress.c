/* SPDX-License-Identifier: MIT */
/* Many threads creating, pinning, querying and closing handles at once, while
 * others hammer closed (stale) handles and a shared live one. The invariants:
 * a pin or query never reaches another socket's context, a stale handle is
 * always refused, and close never returns while a pin is held. Meant for TSan
 * as much as for the assertions (label: concurrency). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ws2/handle.h"

#define THREADS 8
#define ROUNDS 20000
#define RING 256

/* Recently closed handles: every entry is stale by the time it is published. */
static _Atomic SOCKET ring[RING];
static atomic_uint ring_pos;
static atomic_int errors;

struct worker {
    int id;
    int owner_tag;
};

static uintptr_t ctx_of(int id, int round)
{
    return ((uintptr_t)id << 24) | (uintptr_t)round;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint32_t rnd = (uint32_t)w->id * 2654435761u + 1;
    for (int r = 0; r < ROUNDS; r++) {
        SOCKET s;
        if (hdl_create(&w->owner_tag, ctx_of(w->id, r), &s) != 0) {
            atomic_fetch_add(&errors, 1);
            continue;
        }
        void *owner;
        uintptr_t ctx;
        if (hdl_pin(s, &owner) != 0 || owner != &w->owner_tag)
            atomic_fetch_add(&errors, 1);
        else
            hdl_unpin(s);
        if (hdl_query(s, &ctx, NULL) != 0 || ctx != ctx_of(w->id, r))
            atomic_fetch_add(&errors, 1);
        if (r % 2) {
            /* closesocket's path: close_begin, then the provider's close */
            if (hdl_close_begin(s, &owner) != 0 || hdl_close(s) != 0)
                atomic_fetch_add(&errors, 1);
        } else if (hdl_close(s) != 0) {
            atomic_fetch_add(&errors, 1);
        }
        atomic_store(&ring[atomic_fetch_add(&ring_pos, 1) % RING], s);
        /* a stale handle, whoever reuses its slot now, is refused */
        rnd = rnd * 1103515245u + 12345u;
        SOCKET stale = atomic_load(&ring[(rnd >> 8) % RING]);
        if (stale != 0) {
            if (hdl_pin(stale, &owner) == 0) {
                atomic_fetch_add(&errors, 1);
                hdl_unpin(stale);
            }
            if (hdl_query(stale, &ctx, NULL) == 0)
                atomic_fetch_add(&errors, 1);
        }
    }
    return NULL;
}

static void ws2_hdl_stress_create_lookup_close(void **state)
{
    (void)state;
    pthread_t th[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.id = i + 1};
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(atomic_load(&errors), 0);
    assert_int_equal(hdl_count_open(), 0);
    hdl_reset();
}

/* Pinners on one shared handle while it is closed: after close returns, no
 * pin succeeds, and nothing but the right context is ever seen. */
static SOCKET shared;
static atomic_int closed_flag;
static atomic_int pins_after_close;

static void *pinner_main(void *arg)
{
    (void)arg;
    for (;;) {
        int was_closed = atomic_load(&closed_flag);
        void *owner;
        if (hdl_pin(shared, &owner) == 0) {
            /* the query may already fail (close invalidates at once, even
             * under a pin), but it never yields a wrong context */
            uintptr_t ctx;
            if (hdl_query(shared, &ctx, NULL) == 0 && ctx != 4242)
                atomic_fetch_add(&errors, 1);
            if (was_closed)
                atomic_fetch_add(&pins_after_close, 1);
            hdl_unpin(shared);
        } else if (was_closed) {
            return NULL;
        }
    }
}

static void ws2_hdl_stress_close_under_pins(void **state)
{
    (void)state;
    static int owner;
    for (int round = 0; round < 50; round++) {
        atomic_store(&closed_flag, 0);
        assert_int_equal(hdl_create(&owner, 4242, &shared), 0);
        pthread_t th[4];
        for (int i = 0; i < 4; i++)
            assert_int_equal(pthread_create(&th[i], NULL, pinner_main, NULL), 0);
        void *o;
        assert_int_equal(hdl_close_begin(shared, &o), 0);
        assert_int_equal(hdl_close(shared), 0);
        atomic_store(&closed_flag, 1);
        for (int i = 0; i < 4; i++)
            assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(atomic_load(&pins_after_close), 0);
    }
    assert_int_equal(atomic_load(&errors), 0);
    assert_int_equal(hdl_count_open(), 0);
    hdl_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ws2_hdl_stress_create_lookup_close),
        cmocka_unit_test(ws2_hdl_stress_close_under_pins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
