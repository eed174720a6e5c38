/* SPDX-License-Identifier: MIT */
/* conn_ring (src/providers/itot/conn_ring.h): the byte FIFO under the output
 * queue and the receive store. For every head position of a small ring and
 * every offset and length inside it, what ring_read_at, ring_write_at and
 * ring_spans see is what a plain array model of the FIFO holds, across the
 * wrap and at its edges (a read that ends exactly at the buffer's end, one
 * that starts exactly at it); ring_consume moves the head around the buffer
 * and ring_grow linearises a wrapped ring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/itot/conn_pool.h"
#include "providers/itot/conn_ring.h"

#define CAP 16u

static int setup(void **state)
{
    (void)state;
    conn_pool_setup(malloc, CONN_POOL_DEFAULT_CACHE);
    return 0;
}

/* A full ring whose head is at h, holding 0, 1, ..., CAP-1 from the head. */
static void ring_at(struct conn_ring *r, size_t h)
{
    ring_init(r, CAP);
    assert_int_equal(ring_need(r), 0);
    assert_int_equal(r->cap, CAP);
    uint8_t pad[CAP] = {0}, v[CAP];
    for (size_t i = 0; i < CAP; i++)
        v[i] = (uint8_t)i;
    /* h octets of padding and the 0; taking the padding leaves the head at
     * h (a ring emptied restarts at 0, so the 0 must be in before) */
    ring_push(r, pad, h);
    ring_push(r, v, 1);
    ring_consume(r, h);
    ring_push(r, v + 1, CAP - 1);
    assert_int_equal(r->head, h);
    assert_int_equal(r->len, CAP);
}

static void read_write_spans_every_offset(void **state)
{
    (void)state;
    for (size_t h = 0; h < CAP; h++) {
        for (size_t off = 0; off <= CAP; off++) {
            for (size_t n = 0; off + n <= CAP; n++) {
                struct conn_ring r;
                ring_at(&r, h);
                uint8_t got[CAP + 1];
                memset(got, 0xEE, sizeof got);
                ring_read_at(&r, off, got, n);
                for (size_t i = 0; i < n; i++)
                    assert_int_equal(got[i], off + i);
                assert_int_equal(got[n], 0xEE); /* nothing past n */

                const uint8_t *span[2];
                size_t span_len[2];
                int k = ring_spans(&r, off, n, span, span_len);
                size_t at = 0;
                for (int j = 0; j < k; j++)
                    for (size_t i = 0; i < span_len[j]; i++, at++)
                        assert_int_equal(span[j][i], off + at);
                assert_int_equal(at, n);
                assert_int_equal(k, n == 0 ? 0 : (h + off) % CAP + n > CAP ? 2 : 1);

                uint8_t w[CAP];
                for (size_t i = 0; i < n; i++)
                    w[i] = (uint8_t)(0x80 + i);
                ring_write_at(&r, off, w, n);
                for (size_t i = 0; i < CAP; i++) {
                    uint8_t b;
                    ring_read_at(&r, i, &b, 1);
                    assert_int_equal(b, i >= off && i < off + n ? 0x80 + (i - off) : i);
                }
                ring_free(&r);
            }
        }
    }
}

static void consume_goes_round_and_grow_linearises(void **state)
{
    (void)state;
    for (size_t h = 0; h < CAP; h++) {
        struct conn_ring r;
        ring_at(&r, h);
        ring_consume(&r, CAP / 2); /* head h + 8, past the end for h >= 8 */
        assert_int_equal(r.head, (h + CAP / 2) % CAP);
        uint8_t b;
        ring_read_at(&r, 0, &b, 1);
        assert_int_equal(b, CAP / 2);
        assert_int_equal(ring_grow(&r, 2 * CAP), 0);
        assert_int_equal(r.head, 0);
        assert_int_equal(r.len, CAP / 2);
        for (size_t i = 0; i < CAP / 2; i++)
            assert_int_equal(r.buf[i], CAP / 2 + i);
        ring_consume(&r, CAP / 2);
        assert_int_equal(r.head, 0); /* emptied */
        ring_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(read_write_spans_every_offset, setup),
        cmocka_unit_test_setup(consume_goes_round_and_grow_linearises, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
