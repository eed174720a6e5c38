/* SPDX-License-Identifier: MIT */
/* The SOCKET handle table: issue, lookup, close, stale and never-issued
 * handles, the closing protocol. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>

#include <cmocka.h>

#include "ws2/handle.h"

static int owner_a, owner_b;

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(hdl_count_open(), 0);
    hdl_reset();
    return 0;
}

static void ws2_hdl_issue_lookup_close(void **state)
{
    (void)state;
    SOCKET s;
    assert_int_equal(hdl_create(&owner_a, 77, &s), 0);
    assert_true(s != 0 && s != INVALID_SOCKET);
    assert_int_equal(s % 4, 0);
    void *owner = NULL;
    uintptr_t ctx = 0;
    assert_int_equal(hdl_pin(s, &owner), 0);
    assert_ptr_equal(owner, &owner_a);
    assert_int_equal(hdl_query(s, &ctx, NULL), 0);
    assert_int_equal(ctx, 77);
    hdl_unpin(s);
    assert_int_equal(hdl_count_open(), 1);
    assert_int_equal(hdl_close(s), 0);
    assert_int_equal(hdl_pin(s, &owner), WSAENOTSOCK);
    assert_int_equal(hdl_query(s, &ctx, NULL), WSAENOTSOCK);
    assert_int_equal(hdl_close(s), WSAENOTSOCK);
}

static void ws2_hdl_distinct_handles(void **state)
{
    (void)state;
    SOCKET s[100];
    for (int i = 0; i < 100; i++) {
        assert_int_equal(hdl_create(&owner_a, (uintptr_t)i, &s[i]), 0);
        for (int j = 0; j < i; j++)
            assert_true(s[i] != s[j]);
    }
    for (int i = 0; i < 100; i++) {
        uintptr_t ctx;
        assert_int_equal(hdl_query(s[i], &ctx, NULL), 0);
        assert_int_equal(ctx, (uintptr_t)i);
    }
    for (int i = 0; i < 100; i++)
        assert_int_equal(hdl_close(s[i]), 0);
}

/* Slots live in chunks made as the table grows: handles in several chunks
 * (3,000 is past the first chunk whatever its size, up to 1,024 slots) each
 * find their own context, and once closed none is found any more. */
static void ws2_hdl_across_chunks(void **state)
{
    (void)state;
    enum { N = 3000 };
    static SOCKET s[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(hdl_create(&owner_a, (uintptr_t)i, &s[i]), 0);
    assert_int_equal(hdl_count_open(), N);
    for (int i = 0; i < N; i++) {
        uintptr_t ctx = 0;
        assert_int_equal(hdl_query(s[i], &ctx, NULL), 0);
        assert_int_equal(ctx, (uintptr_t)i); /* so no two handles are one */
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(hdl_close(s[i]), 0);
    for (int i = 0; i < N; i++) {
        void *owner;
        assert_int_equal(hdl_pin(s[i], &owner), WSAENOTSOCK);
    }
}

static void ws2_hdl_stale_after_slot_reuse(void **state)
{
    (void)state;
    SOCKET a, b;
    assert_int_equal(hdl_create(&owner_a, 1, &a), 0);
    assert_int_equal(hdl_close(a), 0);
    assert_int_equal(hdl_create(&owner_b, 2, &b), 0);
    /* same slot (low bits), new generation */
    assert_int_equal(a & ((SOCKET)HDL_MAX_SLOTS * 4 - 1), b & ((SOCKET)HDL_MAX_SLOTS * 4 - 1));
    assert_true(a != b);
    void *owner;
    uintptr_t ctx;
    assert_int_equal(hdl_pin(a, &owner), WSAENOTSOCK);
    assert_int_equal(hdl_query(a, &ctx, NULL), WSAENOTSOCK);
    assert_int_equal(hdl_close_begin(a, &owner), WSAENOTSOCK);
    assert_int_equal(hdl_close(a), WSAENOTSOCK);
    assert_int_equal(hdl_pin(b, &owner), 0);
    assert_ptr_equal(owner, &owner_b);
    hdl_unpin(b);
    assert_int_equal(hdl_close(b), 0);
}

static void ws2_hdl_never_issued(void **state)
{
    (void)state;
    SOCKET live;
    assert_int_equal(hdl_create(&owner_a, 1, &live), 0);
    const SOCKET bad[] = {0,
                          INVALID_SOCKET,
                          4,
                          live + 1,
                          live + 2,
                          live + 4 * 5000, /* beyond the slots in use */
                          live | ((SOCKET)1 << (sizeof(SOCKET) * 8 - 1)),
                          (SOCKET)HDL_MAX_SLOTS * 4 - 4};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *owner;
        uintptr_t ctx;
        assert_int_equal(hdl_pin(bad[i], &owner), WSAENOTSOCK);
        assert_int_equal(hdl_query(bad[i], &ctx, NULL), WSAENOTSOCK);
        assert_int_equal(hdl_close_begin(bad[i], &owner), WSAENOTSOCK);
        assert_int_equal(hdl_close(bad[i]), WSAENOTSOCK);
    }
    assert_int_equal(hdl_close(live), 0);
}

static void ws2_hdl_closing_refuses_pins_and_second_close(void **state)
{
    (void)state;
    SOCKET s;
    void *owner;
    uintptr_t ctx;
    assert_int_equal(hdl_create(&owner_a, 5, &s), 0);
    assert_int_equal(hdl_close_begin(s, &owner), 0);
    assert_ptr_equal(owner, &owner_a);
    /* a concurrent closesocket and new calls are refused ... */
    assert_int_equal(hdl_close_begin(s, &owner), WSAENOTSOCK);
    assert_int_equal(hdl_pin(s, &owner), WSAENOTSOCK);
    /* ... while the provider can still find its context */
    assert_int_equal(hdl_query(s, &ctx, NULL), 0);
    assert_int_equal(ctx, 5);
    /* the provider refused to close: live again */
    hdl_close_abort(s);
    assert_int_equal(hdl_pin(s, &owner), 0);
    hdl_unpin(s);
    assert_int_equal(hdl_close_begin(s, &owner), 0);
    assert_int_equal(hdl_close(s), 0);
    hdl_close_abort(s); /* too late: no effect */
    assert_int_equal(hdl_pin(s, &owner), WSAENOTSOCK);
}

struct closer {
    SOCKET s;
    atomic_int done;
    int rc;
};

static void *closer_main(void *arg)
{
    struct closer *c = arg;
    c->rc = hdl_close(c->s);
    atomic_store(&c->done, 1);
    return NULL;
}

/* WPUCloseSocketHandle invalidates at once and waits for the pins to drain. */
static void ws2_hdl_close_waits_for_pins(void **state)
{
    (void)state;
    struct closer c = {.done = 0};
    void *owner;
    assert_int_equal(hdl_create(&owner_a, 9, &c.s), 0);
    assert_int_equal(hdl_pin(c.s, &owner), 0); /* a call in progress */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, closer_main, &c), 0);
    /* wait until the closer has invalidated the handle (a real condition) */
    while (hdl_query(c.s, NULL, NULL) == 0)
        sched_yield();
    assert_int_equal(hdl_pin(c.s, &owner), WSAENOTSOCK);
    /* our pin is still held, so the closer cannot have finished */
    assert_int_equal(atomic_load(&c.done), 0);
    hdl_unpin(c.s);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(atomic_load(&c.done), 1);
    assert_int_equal(c.rc, 0);
}

static void ws2_hdl_stale_across_reset(void **state)
{
    (void)state;
    SOCKET a, b;
    assert_int_equal(hdl_create(&owner_a, 1, &a), 0);
    assert_int_equal(hdl_close(a), 0);
    hdl_reset(); /* what the last WSACleanup does */
    assert_int_equal(hdl_create(&owner_b, 2, &b), 0);
    assert_true(a != b);
    void *owner;
    assert_int_equal(hdl_pin(a, &owner), WSAENOTSOCK);
    assert_int_equal(hdl_close(b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(ws2_hdl_issue_lookup_close, teardown),
        cmocka_unit_test_teardown(ws2_hdl_distinct_handles, teardown),
        cmocka_unit_test_teardown(ws2_hdl_across_chunks, teardown),
        cmocka_unit_test_teardown(ws2_hdl_stale_after_slot_reuse, teardown),
        cmocka_unit_test_teardown(ws2_hdl_never_issued, teardown),
        cmocka_unit_test_teardown(ws2_hdl_closing_refuses_pins_and_second_close, teardown),
        cmocka_unit_test_teardown(ws2_hdl_close_waits_for_pins, teardown),
        cmocka_unit_test_teardown(ws2_hdl_stale_across_reset, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
