/* SPDX-License-Identifier: MIT */
/* libFuzzer target over the codec: tpkt_peek + tpdu_decode on arbitrary octets,
 * read both as one bare TPDU and as a TCP stream of TPKTs (with class 2
 * concatenation inside a TPKT).  Whatever decodes must describe octets inside
 * the input, re-encode, and decode again to the same fields. */
#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz_check.h"
#include "unit/itot_tpdu/tpdu_testlib.h"

static uint8_t enc_buf[TPKT_MAX_LEN + 16];

static bool decoded_dt_too_big_to_send(const struct tpdu *t)
{
    /* A peer may send a DT fuller than we ever would (spec 2: our choice). */
    return t->code == TPDU_DT &&
           t->data_len > (t->dst_ref_present ? TPDU_DT2_MAX_DATA : TPDU_DT0_MAX_DATA);
}

static void check_tpdu(const uint8_t *p, size_t n)
{
    struct tpdu t, again;
    size_t used = 0, err_off = 0;
    enum tpdu_status st = tpdu_decode(p, n, &t, &used, &err_off);
    if (st != TPDU_OK) {
        FUZZ_CHECK(st >= TPDU_E_DATA_LEN && st <= TPDU_E_SHORT);
        FUZZ_CHECK(err_off <= n);
        return;
    }
    FUZZ_CHECK(used >= (size_t)t.li + 1 && used <= n);
    FUZZ_CHECK(t.li <= TPDU_MAX_LI);
    FUZZ_CHECK(t.data_len == 0 || (t.data == p + t.li + 1 && t.data + t.data_len == p + n));
    FUZZ_CHECK(t.rejected == NULL ||
               (t.rejected > p && t.rejected + t.rejected_len <= p + t.li + 1));
    FUZZ_CHECK(!t.has_calling || t.calling_len <= TPDU_MAX_TSAP);
    FUZZ_CHECK(!t.has_called || t.called_len <= TPDU_MAX_TSAP);
    FUZZ_CHECK(t.n_alt_classes <= sizeof t.alt_classes);
    FUZZ_CHECK(!t.has_tpdu_size || tpdu_size_from_code(t.tpdu_size_code) != 0);
    FUZZ_CHECK(strcmp(tpdu_code_name(t.code), "?") != 0);

    size_t m = tpdu_encode(&t, enc_buf, sizeof enc_buf);
    if (m == 0) {
        FUZZ_CHECK(decoded_dt_too_big_to_send(&t));
        return;
    }
    size_t len = 0, used2 = 0;
    FUZZ_CHECK(tpkt_peek(enc_buf, m, &len) == TPKT_OK && len == m);
    FUZZ_CHECK(tpdu_decode(enc_buf + 4, m - 4, &again, &used2, NULL) == TPDU_OK);
    FUZZ_CHECK(used2 == m - 4);
    FUZZ_CHECK(tt_diff(&again, &t) == NULL);
    /* Our own encoding is canonical: encoding it again changes nothing. */
    static uint8_t enc2[TPKT_MAX_LEN + 16];
    FUZZ_CHECK(tpdu_encode(&again, enc2, sizeof enc2) == m);
    FUZZ_CHECK(memcmp(enc2, enc_buf, m) == 0);
}

/* The TPDUs of one TPKT: after a TPDU without user data, go on (spec 7.4). */
static void check_tpkt_body(const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        struct tpdu t;
        size_t used = 0;
        check_tpdu(p + off, n - off);
        if (tpdu_decode(p + off, n - off, &t, &used, NULL) != TPDU_OK)
            return;
        FUZZ_CHECK(used > 0 && used <= n - off);
        off += used;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_tpdu(data, size);

    size_t off = 0;
    while (off < size) {
        size_t len = 0;
        enum tpkt_status st = tpkt_peek(data + off, size - off, &len);
        if (st != TPKT_OK) {
            FUZZ_CHECK(st == TPKT_NEED_MORE || st == TPKT_BAD);
            /* Once a header is in, NEED_MORE means the length really is missing. */
            FUZZ_CHECK(st != TPKT_NEED_MORE || size - off < TPKT_HDR_LEN ||
                       (len >= TPKT_MIN_LEN && len > size - off));
            break;
        }
        FUZZ_CHECK(len >= TPKT_MIN_LEN && len <= TPKT_MAX_LEN && len <= size - off);
        check_tpkt_body(data + off + TPKT_HDR_LEN, len - TPKT_HDR_LEN);
        off += len;
    }
    return 0;
}
