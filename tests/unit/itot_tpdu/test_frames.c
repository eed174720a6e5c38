/* SPDX-License-Identifier: MIT */
/* Every worked example frame (hand-checked against ISO 8073 / RFC 1006) decodes to the fields it
 * was built from and re-encodes byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "unit/itot_tpdu/tpdu_testlib.h"

#define S(str) .data = (const uint8_t *)(str), .data_len = sizeof(str) - 1

struct frame {
    const char *name;
    const char *hex;
    struct tpdu want;
};

static const uint8_t rejected_11_12[] = {0x02, 0x30};

static const struct frame frames[] = {
    {"11.1 CR class 2 alt 0, TSAPs, 8192, expedited, CONNDATA",
     "03 00 00 24 17 E0 00 00 00 01 21 C1 02 01 00 C2 02 01 02 C0 01 0D C6 01 01 C7 01 00"
     " 43 4F 4E 4E 44 41 54 41",
     {.code = TPDU_CR,
      .src_ref = 1,
      .class_opt = 0x21,
      .has_calling = true,
      .calling_len = 2,
      .calling = {1, 0},
      .has_called = true,
      .called_len = 2,
      .called = {1, 2},
      .has_tpdu_size = true,
      .tpdu_size_code = 0x0D,
      .has_add_options = true,
      .add_options = 1,
      .n_alt_classes = 1,
      .alt_classes = {0},
      S("CONNDATA")}},
    {"11.2 CC class 2",
     "03 00 00 19 14 D0 00 01 00 02 21 C1 02 01 00 C2 02 01 02 C0 01 0D C6 01 01",
     {.code = TPDU_CC,
      .dst_ref = 1,
      .src_ref = 2,
      .class_opt = 0x21,
      .has_calling = true,
      .calling_len = 2,
      .calling = {1, 0},
      .has_called = true,
      .called_len = 2,
      .called = {1, 2},
      .has_tpdu_size = true,
      .tpdu_size_code = 0x0D,
      .has_add_options = true,
      .add_options = 1}},
    {"11.3 DT class 2 HELLO",
     "03 00 00 0E 04 F0 00 02 80 48 45 4C 4C 4F",
     {.code = TPDU_DT, .dst_ref_present = true, .dst_ref = 2, .eot = true, S("HELLO")}},
    {"11.4 DR 128 DISCONNECT",
     "03 00 00 15 06 80 00 02 00 01 80 44 49 53 43 4F 4E 4E 45 43 54",
     {.code = TPDU_DR, .dst_ref = 2, .src_ref = 1, .reason = 128, S("DISCONNECT")}},
    {"11.5 DC", "03 00 00 0A 05 C0 00 01 00 02", {.code = TPDU_DC, .dst_ref = 1, .src_ref = 2}},
    {"11.6 DT class 0 HELLO",
     "03 00 00 0C 02 F0 80 48 45 4C 4C 4F",
     {.code = TPDU_DT, .eot = true, S("HELLO")}},
    {"11.7 DT class 2 segment 1",
     "03 00 00 0E 04 F0 00 02 00 41 42 43 44 45",
     {.code = TPDU_DT, .dst_ref_present = true, .dst_ref = 2, S("ABCDE")}},
    {"11.7 DT class 2 segment 2",
     "03 00 00 0C 04 F0 00 02 80 46 47 48",
     {.code = TPDU_DT, .dst_ref_present = true, .dst_ref = 2, .eot = true, S("FGH")}},
    {"11.8 ED class 2 URG",
     "03 00 00 0C 04 10 00 02 80 55 52 47",
     {.code = TPDU_ED, .dst_ref_present = true, .dst_ref = 2, .eot = true, S("URG")}},
    {"11.8 EA", "03 00 00 09 04 20 00 01 00", {.code = TPDU_EA, .dst_ref = 1}},
    {"11.9 DR non-disruptive",
     "03 00 00 18 09 80 00 02 00 01 80 E0 01 80 44 49 53 43 4F 4E 4E 45 43 54",
     {.code = TPDU_DR,
      .dst_ref = 2,
      .src_ref = 1,
      .reason = 128,
      .has_add_clearing = true,
      .add_clearing = 0x80,
      S("DISCONNECT")}},
    {"11.10 CR class 2 no alternative",
     "03 00 00 13 0E E0 00 00 00 01 21 C1 02 01 00 C2 02 01 02",
     {.code = TPDU_CR,
      .src_ref = 1,
      .class_opt = 0x21,
      .has_calling = true,
      .calling_len = 2,
      .calling = {1, 0},
      .has_called = true,
      .called_len = 2,
      .called = {1, 2}}},
    {"11.10 DR 130 refusal",
     "03 00 00 0B 06 80 00 01 00 00 82",
     {.code = TPDU_DR, .dst_ref = 1, .reason = 130}},
    {"11.10 DC to the refusal", "03 00 00 0A 05 C0 00 00 00 01", {.code = TPDU_DC, .src_ref = 1}},
    {"11.11 CR class 0",
     "03 00 00 16 11 E0 00 00 00 01 00 C1 02 01 00 C2 02 01 02 C0 01 0B",
     {.code = TPDU_CR,
      .src_ref = 1,
      .has_calling = true,
      .calling_len = 2,
      .calling = {1, 0},
      .has_called = true,
      .called_len = 2,
      .called = {1, 2},
      .has_tpdu_size = true,
      .tpdu_size_code = 0x0B}},
    {"11.11 CC class 0",
     "03 00 00 16 11 D0 00 01 00 02 00 C1 02 01 00 C2 02 01 02 C0 01 0B",
     {.code = TPDU_CC,
      .dst_ref = 1,
      .src_ref = 2,
      .has_calling = true,
      .calling_len = 2,
      .calling = {1, 0},
      .has_called = true,
      .called_len = 2,
      .called = {1, 2},
      .has_tpdu_size = true,
      .tpdu_size_code = 0x0B}},
    {"11.12 ER invalid TPDU type",
     "03 00 00 0D 08 70 00 01 02 C1 02 02 30",
     {.code = TPDU_ER, .dst_ref = 1, .cause = 2, .rejected = rejected_11_12, .rejected_len = 2}},
    {"11.13 ED class 0 URG",
     "03 00 00 0A 02 10 80 55 52 47",
     {.code = TPDU_ED, .eot = true, S("URG")}},
};

static void spec11_frames_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        const struct frame *f = &frames[i];
        uint8_t buf[256];
        size_t n = tt_hex(f->hex, buf, sizeof buf);
        size_t tpkt_len = 0, used = 0, err_off = 99;
        struct tpdu t;
        print_message("%s\n", f->name);
        assert_true(n >= TPKT_MIN_LEN);
        assert_int_equal(tpkt_peek(buf, n, &tpkt_len), TPKT_OK);
        assert_int_equal(tpkt_len, n);
        assert_int_equal(tpdu_decode(buf + 4, n - 4, &t, &used, &err_off), TPDU_OK);
        assert_int_equal(used, n - 4);
        assert_int_equal(t.li, buf[4]);
        const char *diff = tt_diff(&t, &f->want);
        if (diff != NULL)
            fail_msg("%s: field %s differs", f->name, diff);
        /* Pointers go into the decoded buffer, not into a copy. */
        if (t.data_len > 0)
            assert_ptr_equal(t.data, buf + 4 + t.li + 1);
    }
}

static void spec11_frames_encode_byte_for_byte(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        const struct frame *f = &frames[i];
        uint8_t want[256], got[256];
        size_t n = tt_hex(f->hex, want, sizeof want);
        print_message("%s\n", f->name);
        memset(got, 0xA5, sizeof got);
        assert_int_equal(tpdu_encode(&f->want, got, sizeof got), n);
        assert_memory_equal(got, want, n);
        assert_int_equal(got[n], 0xA5); /* nothing written past the frame */
    }
}

/* The writev path: tpdu_encode_dt_header + the data gives the same octets as
 * tpdu_encode of the whole DT (11.3, 11.6, 11.7). */
static void spec11_dt_header_matches_full_encode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        const struct frame *f = &frames[i];
        if (f->want.code != TPDU_DT)
            continue;
        uint8_t want[256], hdr[TPDU_DT_HDR_MAX];
        size_t n = tt_hex(f->hex, want, sizeof want);
        size_t h = tpdu_encode_dt_header(f->want.dst_ref_present, f->want.dst_ref, f->want.eot,
                                         f->want.data_len, hdr);
        assert_int_equal(h, f->want.dst_ref_present ? 9 : 7);
        assert_int_equal(h + f->want.data_len, n);
        assert_memory_equal(hdr, want, h);
    }
}

/* Spec 7.4: after a DC/EA/ER a class 2 receiver goes on at p + used. */
static void spec7_4_concatenated_dc_then_dt(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = tt_hex("03 00 00 13 05 C0 00 01 00 02 04 F0 00 02 80 48 45 4C 4C", buf, sizeof buf);
    size_t len = 0, used = 0;
    struct tpdu t;
    assert_int_equal(tpkt_peek(buf, n, &len), TPKT_OK);
    assert_int_equal(len, n);
    assert_int_equal(tpdu_decode(buf + 4, n - 4, &t, &used, NULL), TPDU_OK);
    assert_int_equal(t.code, TPDU_DC);
    assert_int_equal(used, 6);
    size_t rest = n - 4 - used;
    assert_int_equal(tpdu_decode(buf + 4 + used, rest, &t, &used, NULL), TPDU_OK);
    assert_int_equal(t.code, TPDU_DT);
    assert_int_equal(used, rest);
    assert_int_equal(t.data_len, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec11_frames_decode),
        cmocka_unit_test(spec11_frames_encode_byte_for_byte),
        cmocka_unit_test(spec11_dt_header_matches_full_encode),
        cmocka_unit_test(spec7_4_concatenated_dc_then_dt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
