/* SPDX-License-Identifier: MIT */
/* WPUQuerySocketHandleContext answered from the pin of the API call in
 * progress on this thread (hdl_cur, handle_slot.h): the same answers as the
 * table walk, in every case the walk distinguishes — the pinned handle, a
 * close that has begun, a close that has invalidated it while the pin is
 * still held, another handle, another thread, a nested pin, a NULL
 * lpContext. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#include "ws2/handle.h"
#include "ws2/handle_slot.h"
#include "ws2/upcalls.h"

static int owner_a;

static int teardown(void **state)
{
    (void)state;
    assert_null(hdl_cur.slot);
    assert_int_equal(hdl_count_open(), 0);
    hdl_reset();
    return 0;
}

/* What api_pin does (api.h) without the startup check. */
static struct hdl_slot *pin(SOCKET s)
{
    void *owner;
    struct hdl_slot *slot = NULL;
    assert_int_equal(hdl_pin_slot(s, &owner, &slot), 0);
    hdl_cur_set(s, slot);
    return slot;
}

/* The provider's question: 0 with the context, or the error code. */
static int query(SOCKET s, DWORD_PTR *ctx)
{
    int err = 0;
    *ctx = 0;
    int rc = upc_table.lpWPUQuerySocketHandleContext(s, ctx, &err);
    if (rc == 0) {
        assert_int_equal(err, 0);
        return 0;
    }
    assert_int_equal(rc, SOCKET_ERROR);
    return err;
}

static void ws2_cur_pinned_handle_and_others(void **state)
{
    (void)state;
    SOCKET a, b;
    DWORD_PTR ctx;
    assert_int_equal(hdl_create(&owner_a, 0x1111, &a), 0);
    assert_int_equal(hdl_create(&owner_a, 0x2222, &b), 0);
    struct hdl_slot *slot = pin(a);
    assert_int_equal(query(a, &ctx), 0);
    assert_int_equal(ctx, 0x1111);
    assert_int_equal(query(b, &ctx), 0); /* not the pinned one: the table */
    assert_int_equal(ctx, 0x2222);
    assert_int_equal(query(a + 4 * 100, &ctx), WSAENOTSOCK); /* a slot never issued */
    assert_int_equal(query(a | 1, &ctx), WSAENOTSOCK);       /* not a handle */
    /* Windows' WPUQuerySocketHandleContext: lpContext must be valid */
    int err = 0;
    assert_int_equal(upc_table.lpWPUQuerySocketHandleContext(a, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    hdl_unpin_slot(slot);
    assert_null(hdl_cur.slot); /* the unpin forgets it */
    assert_int_equal(query(a, &ctx), 0);
    assert_int_equal(ctx, 0x1111);
    assert_int_equal(hdl_close(a), 0);
    assert_int_equal(hdl_close(b), 0);
    assert_int_equal(query(a, &ctx), WSAENOTSOCK);
}

/* closesocket has begun (CLOSING): the provider's WSPCloseSocket still
 * reaches the context, with or without the pin. */
static void ws2_cur_closing_still_answers(void **state)
{
    (void)state;
    SOCKET s;
    DWORD_PTR ctx;
    void *owner;
    assert_int_equal(hdl_create(&owner_a, 0x3333, &s), 0);
    struct hdl_slot *slot = pin(s);
    assert_int_equal(hdl_close_begin(s, &owner), 0);
    assert_int_equal(query(s, &ctx), 0);
    assert_int_equal(ctx, 0x3333);
    hdl_unpin_slot(slot);
    assert_int_equal(query(s, &ctx), 0);
    assert_int_equal(hdl_close(s), 0);
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* WPUCloseSocketHandle on another thread invalidates the handle at once and
 * waits for this thread's pin: from then on the pinned handle is
 * WSAENOTSOCK for this thread too, as the table says. */
static void ws2_cur_invalidated_under_the_pin(void **state)
{
    (void)state;
    struct closer c = {.done = 0};
    DWORD_PTR ctx;
    assert_int_equal(hdl_create(&owner_a, 0x4444, &c.s), 0);
    struct hdl_slot *slot = pin(c.s);
    assert_int_equal(query(c.s, &ctx), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, closer_main, &c), 0);
    /* the closer runs on its own: wait for its invalidation, with a deadline */
    double end = now_s() + 10.0;
    while (hdl_is_live(c.s) && now_s() < end)
        sched_yield();
    assert_false(hdl_is_live(c.s));
    assert_int_equal(query(c.s, &ctx), WSAENOTSOCK);
    assert_int_equal(atomic_load(&c.done), 0); /* still waiting for our pin */
    hdl_unpin_slot(slot);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(c.rc, 0);
}

struct asker {
    SOCKET s;
    int err;
    DWORD_PTR ctx;
    struct hdl_slot *cur; /* the asking thread's own record */
};

static void *asker_main(void *arg)
{
    struct asker *k = arg;
    k->cur = hdl_cur.slot;
    k->err = query(k->s, &k->ctx);
    return NULL;
}

/* Another thread (a provider's own thread) has no pin of this call: it
 * gets the table's answer. */
static void ws2_cur_other_thread(void **state)
{
    (void)state;
    struct asker k = {0};
    assert_int_equal(hdl_create(&owner_a, 0x5555, &k.s), 0);
    struct hdl_slot *slot = pin(k.s);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, asker_main, &k), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_null(k.cur);
    assert_int_equal(k.err, 0);
    assert_int_equal(k.ctx, 0x5555);
    hdl_unpin_slot(slot);
    assert_int_equal(hdl_close(k.s), 0);
}

/* A call inside a call (an API call from a condition function): the inner
 * unpin clears the record, and the outer call's question still gets the
 * right answer, from the table. */
static void ws2_cur_nested_pins(void **state)
{
    (void)state;
    SOCKET outer, inner;
    DWORD_PTR ctx;
    assert_int_equal(hdl_create(&owner_a, 0x6666, &outer), 0);
    assert_int_equal(hdl_create(&owner_a, 0x7777, &inner), 0);
    struct hdl_slot *so = pin(outer);
    struct hdl_slot *si = pin(inner);
    assert_int_equal(query(inner, &ctx), 0);
    assert_int_equal(ctx, 0x7777);
    assert_int_equal(query(outer, &ctx), 0);
    assert_int_equal(ctx, 0x6666);
    hdl_unpin_slot(si);
    assert_null(hdl_cur.slot);
    assert_int_equal(query(outer, &ctx), 0);
    assert_int_equal(ctx, 0x6666);
    hdl_unpin_slot(so);
    assert_int_equal(hdl_close(inner), 0);
    assert_int_equal(hdl_close(outer), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(ws2_cur_pinned_handle_and_others, teardown),
        cmocka_unit_test_teardown(ws2_cur_closing_still_answers, teardown),
        cmocka_unit_test_teardown(ws2_cur_invalidated_under_the_pin, teardown),
        cmocka_unit_test_teardown(ws2_cur_other_thread, teardown),
        cmocka_unit_test_teardown(ws2_cur_nested_pins, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
