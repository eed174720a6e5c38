/* SPDX-License-Identifier: MIT */
/* The format's limits (tpdu.h, spec 2-4): user data 32/64/16, the 128-octet CR,
 * LI 254, TPKT 65535 and the largest DT (65524 class 0, 65522 class 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "unit/itot_tpdu/tpdu_testlib.h"

static uint8_t pattern[70000];

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i * 7 + 3);
    return 0;
}

/* Encodes t, checks the TPKT length field, decodes it back and compares. */
static size_t round_trip(const struct tpdu *t, uint8_t *buf, size_t cap)
{
    size_t n = tpdu_encode(t, buf, cap);
    if (n == 0)
        return 0;
    size_t tpkt_len = 0, used = 0;
    struct tpdu back;
    assert_int_equal(tpkt_peek(buf, n, &tpkt_len), TPKT_OK);
    assert_int_equal(tpkt_len, n);
    assert_int_equal(tpdu_decode(buf + 4, n - 4, &back, &used, NULL), TPDU_OK);
    const char *diff = tt_diff(&back, t);
    if (diff != NULL)
        fail_msg("round trip: field %s differs", diff);
    return n;
}

static void limit_connect_data_32(void **state)
{
    (void)state;
    uint8_t buf[256];
    for (int code = TPDU_CC; code <= TPDU_CR; code += TPDU_CR - TPDU_CC) {
        struct tpdu t = {.code = (uint8_t)code, .src_ref = 7, .data = pattern};
        t.data_len = TPDU_MAX_CONN_DATA;
        assert_int_equal(round_trip(&t, buf, sizeof buf), 4 + 7 + 32);
        t.data_len = TPDU_MAX_CONN_DATA + 1;
        assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
    }
}

static void limit_disconnect_data_64(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct tpdu t = {.code = TPDU_DR, .dst_ref = 2, .src_ref = 1, .reason = 128, .data = pattern};
    t.data_len = TPDU_MAX_DISC_DATA;
    assert_int_equal(round_trip(&t, buf, sizeof buf), 4 + 7 + 64);
    t.has_add_clearing = true;
    t.add_clearing = 0x80;
    assert_int_equal(round_trip(&t, buf, sizeof buf), 4 + 10 + 64);
    t.data_len = TPDU_MAX_DISC_DATA + 1;
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
}

static void limit_expedited_data_1_to_16(void **state)
{
    (void)state;
    uint8_t buf[64];
    for (int cls2 = 0; cls2 <= 1; cls2++) {
        struct tpdu t = {
            .code = TPDU_ED, .dst_ref_present = cls2, .dst_ref = 9, .eot = true, .data = pattern};
        if (!cls2)
            t.dst_ref = 0;
        for (size_t len = 1; len <= TPDU_MAX_ED_DATA; len++) {
            t.data_len = len;
            assert_int_equal(round_trip(&t, buf, sizeof buf), 4 + (cls2 ? 5 : 3) + len);
        }
        t.data_len = 0;
        assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
        t.data_len = TPDU_MAX_ED_DATA + 1;
        assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
    }
}

/* The largest CR the other limits allow (two 32-octet TSAPs, every parameter,
 * 4 alternative classes, 32 octets of data) still fits in 128 octets, and a
 * peer's CR of up to 128 octets padded with ignored parameters decodes. */
static void limit_cr_128_octets(void **state)
{
    (void)state;
    uint8_t buf[300];
    struct tpdu t = {.code = TPDU_CR,
                     .src_ref = 1,
                     .class_opt = 0x21,
                     .has_calling = true,
                     .calling_len = 32,
                     .has_called = true,
                     .called_len = 32,
                     .has_tpdu_size = true,
                     .tpdu_size_code = 0x0D,
                     .has_pref_size = true,
                     .pref_size_units = 0x01020304,
                     .has_add_options = true,
                     .add_options = 1,
                     .n_alt_classes = 4,
                     .alt_classes = {0x00, 0x10, 0x30, 0x40},
                     .data = pattern,
                     .data_len = 32};
    memcpy(t.calling, pattern, 32);
    memcpy(t.called, pattern + 32, 32);
    size_t n = round_trip(&t, buf, sizeof buf);
    assert_true(n > 0);
    assert_true(n - TPKT_HDR_LEN <= TPDU_MAX_CR_LEN);
    t.calling_len = 33;
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
    t.calling_len = 32;
    t.called_len = 33;
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
    t.called_len = 32;
    t.n_alt_classes = 5;
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);

    /* 128-octet CR: 7 fixed + C5 protection of 87 octets (89) + 32 data. */
    uint8_t cr[128];
    memset(cr, 0, sizeof cr);
    cr[0] = 6 + 89;
    cr[1] = TPDU_CR;
    cr[5] = 1;
    cr[7] = TPDU_P_PROTECTION;
    cr[8] = 87;
    memset(cr + 96, 'd', 32);
    struct tpdu d;
    size_t used;
    assert_int_equal(tpdu_decode(cr, sizeof cr, &d, &used, NULL), TPDU_OK);
    assert_int_equal(used, 128);
    assert_int_equal(d.data_len, 32);
}

/* LI can be 254 but not 255 (spec 3). */
static void limit_li_254(void **state)
{
    (void)state;
    uint8_t buf[300];
    uint8_t hdr[249];
    memset(hdr, 0x30, sizeof hdr);
    struct tpdu t = {
        .code = TPDU_ER, .dst_ref = 1, .cause = 2, .rejected = hdr, .rejected_len = 248};
    size_t n = round_trip(&t, buf, sizeof buf);
    assert_int_equal(n, 4 + 255);
    assert_int_equal(buf[4], 254);
    t.rejected_len = 249;
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);

    /* A CR with LI 254 of padding parameters decodes; every LI up to 254 of a
     * DT class 2 padded with an ignored parameter too. */
    uint8_t cr[255];
    memset(cr, 0, sizeof cr);
    cr[0] = 254;
    cr[1] = TPDU_CR;
    cr[5] = 1;
    cr[7] = TPDU_P_PROTECTION;
    cr[8] = 254 - 8;
    struct tpdu d;
    size_t used, err_off;
    assert_int_equal(tpdu_decode(cr, sizeof cr, &d, &used, NULL), TPDU_OK);
    assert_int_equal(d.li, 254);
    cr[0] = 255;
    assert_int_equal(tpdu_decode(cr, sizeof cr, &d, &used, &err_off), TPDU_E_LI);
    assert_int_equal(err_off, 0);
}

static void limit_tpkt_65535_and_largest_dt(void **state)
{
    (void)state;
    static uint8_t big[TPKT_MAX_LEN + 16];
    size_t len = 0, used = 0;
    struct tpdu t, d;

    /* Largest DT we send: 65524 (class 0) / 65522 (class 2) -> TPKT 65531. */
    for (int cls2 = 0; cls2 <= 1; cls2++) {
        size_t max = cls2 ? TPDU_DT2_MAX_DATA : TPDU_DT0_MAX_DATA;
        memset(&t, 0, sizeof t);
        t.code = TPDU_DT;
        t.dst_ref_present = cls2;
        t.dst_ref = cls2 ? 0x1234 : 0;
        t.eot = true;
        t.data = pattern;
        t.data_len = max;
        assert_int_equal(round_trip(&t, big, sizeof big), 65531);
        uint8_t hdr[TPDU_DT_HDR_MAX];
        size_t h = tpdu_encode_dt_header(cls2, t.dst_ref, true, max, hdr);
        assert_int_equal(h, cls2 ? 9 : 7);
        assert_memory_equal(hdr, big, h);
        t.data_len = max + 1;
        assert_int_equal(tpdu_encode(&t, big, sizeof big), 0);
        assert_int_equal(tpdu_encode_dt_header(cls2, t.dst_ref, true, max + 1, hdr), 0);
    }

    /* A peer's TPKT of 65535 octets: a class 0 DT with 65528 octets decodes
     * (the negotiated size is the state machine's check, not the codec's). */
    memset(big, 'z', sizeof big);
    static const uint8_t dt_hdr[] = {0x03, 0x00, 0xFF, 0xFF, 0x02, 0xF0, 0x80};
    memcpy(big, dt_hdr, sizeof dt_hdr);
    assert_int_equal(tpkt_peek(big, TPKT_MAX_LEN, &len), TPKT_OK);
    assert_int_equal(len, 65535);
    assert_int_equal(tpkt_peek(big, TPKT_MAX_LEN - 1, &len), TPKT_NEED_MORE);
    assert_int_equal(tpdu_decode(big + 4, len - 4, &d, &used, NULL), TPDU_OK);
    assert_int_equal(d.data_len, 65528);
    assert_int_equal(used, 65531);
}

/* Encoding into a buffer one octet too small fails and writes nothing past it. */
static void limit_encode_capacity(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct tpdu t = {.code = TPDU_DR,
                     .dst_ref = 2,
                     .src_ref = 1,
                     .reason = 128,
                     .data = pattern,
                     .data_len = 10};
    size_t need = tpdu_encode(&t, buf, sizeof buf);
    assert_int_equal(need, 21);
    for (size_t cap = 0; cap < need; cap++) {
        memset(buf, 0xEE, sizeof buf);
        assert_int_equal(tpdu_encode(&t, buf, cap), 0);
        for (size_t i = cap; i < sizeof buf; i++)
            assert_int_equal(buf[i], 0xEE);
    }
    assert_int_equal(tpdu_encode(&t, NULL, 0), 0);
}

/* Encoder refuses what it cannot express: unknown codes, RJ, data in a TPDU
 * type that has none, data_len without data. */
static void limit_encode_refuses_invalid(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct tpdu t = {.code = TPDU_RJ};
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
    t.code = 0x30;
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
    t.code = TPDU_CR | 1; /* the credit goes in .cdt, not .code */
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
    memset(&t, 0, sizeof t);
    t.code = TPDU_DC;
    t.data = pattern;
    t.data_len = 1;
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
    t.code = TPDU_DT;
    t.data = NULL;
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
    memset(&t, 0, sizeof t);
    t.code = TPDU_CR;
    t.has_pref_size = true; /* 0 units cannot be right */
    assert_int_equal(tpdu_encode(&t, buf, sizeof buf), 0);
}

static void limit_lookups(void **state)
{
    (void)state;
    assert_int_equal(tpdu_size_from_code(6), 0);
    assert_int_equal(tpdu_size_from_code(7), 128);
    assert_int_equal(tpdu_size_from_code(0x0B), 2048);
    assert_int_equal(tpdu_size_from_code(0x0D), 8192);
    assert_int_equal(tpdu_size_from_code(0x10), 65531);
    assert_int_equal(tpdu_size_from_code(0x11), 0);
    assert_string_equal(tpdu_code_name(TPDU_CR | 3), "CR");
    assert_string_equal(tpdu_code_name(TPDU_DT), "DT");
    assert_string_equal(tpdu_code_name(TPDU_ER), "ER");
    assert_string_equal(tpdu_code_name(TPDU_RJ), "RJ");
    assert_string_equal(tpdu_code_name(0x30), "?");
    assert_string_equal(tpdu_dr_reason_name(128), "normal disconnect");
    assert_string_equal(tpdu_dr_reason_name(130), "negotiation failed");
    assert_null(tpdu_dr_reason_name(134));
    assert_null(tpdu_dr_reason_name(0x42));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limit_connect_data_32),
        cmocka_unit_test(limit_disconnect_data_64),
        cmocka_unit_test(limit_expedited_data_1_to_16),
        cmocka_unit_test(limit_cr_128_octets),
        cmocka_unit_test(limit_li_254),
        cmocka_unit_test(limit_tpkt_65535_and_largest_dt),
        cmocka_unit_test(limit_encode_capacity),
        cmocka_unit_test(limit_encode_refuses_invalid),
        cmocka_unit_test(limit_lookups),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
