/* SPDX-License-Identifier: MIT */
/* The state machine's memory (src/providers/itot/conn.h, conn_pool.h): an
 * idle connection holds no buffer, a busy one in its steady state takes its
 * buffers from the pool's cache and allocates nothing, and when no buffer
 * can be had nothing is lost: input stays unconsumed (conn.starved) and the
 * user's requests fail with WSAENOBUFS having changed nothing.  Two machines
 * wired back to back, as in test_conn.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/itot/conn.h"
#include "providers/itot/conn_pool.h"
#include "wsp/itot.h"

#include "conn_tsdu.h"

struct pair {
    struct conn a; /* initiator */
    struct conn b; /* responder */
};

/* The pool's allocator: counts the misses, refuses them while `refuse`. */
static int misses;
static int refuse;
static void *counting_alloc(size_t n)
{
    misses++;
    return refuse ? NULL : malloc(n);
}

static int setup(void **state)
{
    (void)state;
    conn_pool_setup(counting_alloc, CONN_POOL_DEFAULT_CACHE);
    misses = refuse = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    conn_pool_trim();
    assert_int_equal(conn_pool_bytes(), 0); /* every buffer came back */
    return 0;
}

/* Everything queued by `from` into `to` (as far as `to` takes it). */
static void pump(struct conn *from, struct conn *to)
{
    while (conn_outq_len(from) > 0) {
        const uint8_t *span[2];
        size_t len[2];
        static uint8_t buf[1 << 18];
        size_t n = 0;
        int k = conn_outq_peek(from, span, len);
        for (int i = 0; i < k; i++) {
            memcpy(buf + n, span[i], len[i]);
            n += len[i];
        }
        size_t used = conn_input(to, buf, n, 0);
        if (used == 0)
            break;
        conn_outq_consume(from, used);
    }
}

static void pair_open(struct pair *p, int cls)
{
    struct conn_cfg ca, cb;
    conn_cfg_default(&ca);
    conn_cfg_default(&cb);
    ca.class_pref = cb.class_pref = cls;
    assert_int_equal(conn_init(&p->a, CONN_INITIATOR, &ca, 0x0001), 0);
    assert_int_equal(conn_init(&p->b, CONN_RESPONDER, &cb, 0x0002), 0);
    assert_int_equal(conn_connect(&p->a, NULL, 0, 0), 0);
    pump(&p->a, &p->b);
    assert_int_equal(p->b.state, CONN_S_CR_RCVD);
    assert_int_equal(conn_accept(&p->b, NULL, 0), 0);
    pump(&p->b, &p->a);
    assert_int_equal(p->a.state, CONN_S_OPEN);
    conn_take_events(&p->a);
    conn_take_events(&p->b);
}

static void pair_close(struct pair *p)
{
    conn_free(&p->a);
    conn_free(&p->b);
}

static void assert_idle(const struct conn *c)
{
    assert_null(c->outq.buf);
    assert_null(c->rx.buf);
    assert_int_equal(c->outq.cap + c->rx.cap, 0);
    assert_true(conn_check(c));
}

/* Octets of buffers held by connections (allocated and not in the cache). */
static size_t in_use(void)
{
    return conn_pool_bytes() - conn_pool_cached_bytes();
}

static void exchange(struct pair *p, size_t n)
{
    static uint8_t out[1 << 17], in[1 << 17];
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(i * 7u + n);
    send_tsdu(&p->a, out, n);
    pump(&p->a, &p->b);
    assert_true(conn_rx_ready(&p->b));
    assert_int_equal(read_tsdu(&p->b, in, sizeof in), n);
    assert_memory_equal(in, out, n);
    send_tsdu(&p->b, in, n);
    pump(&p->b, &p->a);
    assert_int_equal(read_tsdu(&p->a, in, sizeof in), n);
    assert_memory_equal(in, out, n);
}

/* Before on-demand buffers every connection held a 256.5 KiB output queue
 * and a 16 KiB receive store from conn_init on. */
static void idle_connection_holds_no_buffer(void **state)
{
    (void)state;
    for (int cls = 0; cls <= 2; cls += 2) {
        struct pair p;
        pair_open(&p, cls);
        assert_idle(&p.a);
        assert_idle(&p.b);
        exchange(&p, 100);
        exchange(&p, 70000); /* several DTs, a grown receive store */
        assert_idle(&p.a);
        assert_idle(&p.b);
        assert_int_equal(in_use(), 0);
        pair_close(&p);
    }
}

/* A send reserves the output queue's buffer before it queues anything: that
 * state is consistent while the send runs (conn_check_live, what the provider
 * checks in the middle of one) but not at rest (conn_check: an idle
 * connection holds no buffer); giving it back restores the rest state. */
static void held_empty_queue_is_live_not_rest(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 2);
    assert_true(conn_check(&p.a) && conn_check_live(&p.a));
    assert_int_equal(conn_outq_reserve(&p.a), 0);
    assert_non_null(p.a.outq.buf);
    assert_int_equal(conn_outq_len(&p.a), 0);
    assert_false(conn_check(&p.a));
    assert_true(conn_check_live(&p.a));
    conn_outq_shrink(&p.a);
    assert_idle(&p.a);
    /* What neither allows: bytes counted in a queue that has no buffer. */
    p.a.outq.len = 1;
    assert_false(conn_check_live(&p.a));
    p.a.outq.len = 0;
    pair_close(&p);
}

/* The hot path's rule: after a warm-up the same traffic takes every buffer
 * from the cache, so the pool's allocator is never called again. */
static void busy_steady_state_allocates_nothing(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 2);
    for (int i = 0; i < 4; i++) {
        exchange(&p, 64);
        exchange(&p, 65536);
    }
    int before = misses;
    size_t bytes = conn_pool_bytes();
    for (int i = 0; i < 200; i++) {
        exchange(&p, 64);
        exchange(&p, 65536);
    }
    assert_int_equal(misses, before);
    assert_int_equal(conn_pool_bytes(), bytes);
    pair_close(&p);
}

/* No buffer to be had: the TPKT stays unconsumed, nothing of it handled;
 * once memory is back the same octets go in and the TSDU is whole. */
static void input_waits_for_a_buffer_and_loses_nothing(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 2);
    conn_pool_trim(); /* nothing cached: the next take is a miss */
    static uint8_t wire[4096], got[2048];
    uint8_t msg[1500];
    memset(msg, 'm', sizeof msg);
    send_tsdu(&p.a, msg, sizeof msg);
    const uint8_t *span[2];
    size_t len[2], n = 0;
    int k = conn_outq_peek(&p.a, span, len);
    for (int i = 0; i < k; i++) {
        memcpy(wire + n, span[i], len[i]);
        n += len[i];
    }
    refuse = 1;
    assert_int_equal(conn_input(&p.b, wire, n, 0), 0);
    assert_true(p.b.starved);
    assert_false(conn_rx_ready(&p.b));
    assert_int_equal(p.b.state, CONN_S_OPEN);
    assert_idle(&p.b);
    refuse = 0;
    assert_int_equal(conn_input(&p.b, wire, n, 0), n);
    assert_false(p.b.starved);
    assert_int_equal(read_tsdu(&p.b, got, sizeof got), sizeof msg);
    assert_memory_equal(got, msg, sizeof msg);
    conn_outq_consume(&p.a, n);
    pair_close(&p);
}

/* A DR (class 2) is answered with a DC: without a buffer for the answer the
 * DR waits too, and the release completes once memory is back. */
static void dr_waits_for_a_buffer_for_its_dc(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 2);
    assert_int_equal(conn_disconnect(&p.a, (const uint8_t *)"bye", 3, 0), 0);
    conn_pool_trim();
    static uint8_t wire[256];
    const uint8_t *span[2];
    size_t len[2], n = 0;
    int k = conn_outq_peek(&p.a, span, len);
    for (int i = 0; i < k; i++) {
        memcpy(wire + n, span[i], len[i]);
        n += len[i];
    }
    refuse = 1;
    assert_int_equal(conn_input(&p.b, wire, n, 0), 0);
    assert_true(p.b.starved);
    assert_int_equal(p.b.state, CONN_S_OPEN);
    refuse = 0;
    assert_int_equal(conn_input(&p.b, wire, n, 0), n);
    assert_true(p.b.peer_disc);
    assert_int_equal(p.b.disc_data_len, 3);
    assert_memory_equal(p.b.disc_data, "bye", 3);
    conn_outq_consume(&p.a, n);
    pump(&p.b, &p.a); /* the DC */
    assert_true(conn_take_events(&p.a) & CONN_EV_RELEASED);
    pair_close(&p);
}

/* The user's requests that need the queue's buffer fail with WSAENOBUFS
 * ("No buffer space available", Windows Sockets Error Codes) and change
 * nothing, so the same call can be made again. */
static void requests_without_a_buffer_fail_with_enobufs(void **state)
{
    (void)state;
    struct pair p;
    struct conn_cfg ca, cb;
    conn_cfg_default(&ca);
    conn_cfg_default(&cb);
    assert_int_equal(conn_init(&p.a, CONN_INITIATOR, &ca, 0x0001), 0);
    assert_int_equal(conn_init(&p.b, CONN_RESPONDER, &cb, 0x0002), 0);
    conn_pool_trim();
    refuse = 1;
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), WSAENOBUFS);
    assert_int_equal(p.a.state, CONN_S_IDLE);
    refuse = 0;
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    pump(&p.a, &p.b);
    conn_pool_trim();
    refuse = 1;
    assert_int_equal(conn_accept(&p.b, NULL, 0), WSAENOBUFS);
    assert_int_equal(p.b.state, CONN_S_CR_RCVD);
    refuse = 0;
    assert_int_equal(conn_accept(&p.b, NULL, 0), 0);
    pump(&p.b, &p.a);
    assert_int_equal(p.a.state, CONN_S_OPEN);
    conn_pool_trim();
    refuse = 1;
    assert_int_equal(conn_disconnect(&p.a, (const uint8_t *)"x", 1, 0), WSAENOBUFS);
    assert_int_equal(p.a.state, CONN_S_OPEN);
    assert_int_equal(conn_outq_len(&p.a), 0);
    assert_int_equal(conn_outq_reserve(&p.a), -1);
    refuse = 0;
    assert_int_equal(conn_disconnect(&p.a, (const uint8_t *)"x", 1, 0), 0);
    assert_int_equal(p.a.state, CONN_S_DR_SENT);
    pair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(idle_connection_holds_no_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(held_empty_queue_is_live_not_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(busy_steady_state_allocates_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(input_waits_for_a_buffer_and_loses_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dr_waits_for_a_buffer_for_its_dc, setup, teardown),
        cmocka_unit_test_setup_teardown(requests_without_a_buffer_fail_with_enobufs, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
