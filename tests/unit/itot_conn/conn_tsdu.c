/* SPDX-License-Identifier: MIT */
/* conn_tsdu.h's helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conn_tsdu.h"

void send_tsdu(struct conn *c, const uint8_t *d, size_t n)
{
    size_t max = conn_dt_max_data(c), off = 0;
    do {
        size_t seg = n - off < max ? n - off : max;
        uint8_t hdr[TPDU_DT_HDR_MAX];
        size_t h = conn_dt_header(c, off + seg == n, seg, hdr);
        assert_true(h > 0);
        conn_outq_push(c, hdr, h);
        conn_outq_push(c, d + off, seg);
        off += seg;
    } while (off < n);
}

size_t read_tsdu(struct conn *c, uint8_t *out, size_t cap)
{
    size_t n = 0;
    const uint8_t *span[2];
    size_t len[2];
    int k = conn_rx_peek(c, span, len);
    for (int i = 0; i < k; i++) {
        assert_true(n + len[i] <= cap);
        memcpy(out + n, span[i], len[i]);
        n += len[i];
    }
    conn_rx_consume(c, n);
    return n;
}
