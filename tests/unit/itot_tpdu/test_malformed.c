/* SPDX-License-Identifier: MIT */
/* Spec section 10: every malformed input gets the right status, and the decoder
 * never reads outside the octets it was given.  Each case is decoded from a heap
 * buffer of exactly its size, so under ASan a single over-read fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "unit/itot_tpdu/tpdu_testlib.h"

/* Decodes a TPDU (no TPKT header) given in hex from an exact-size allocation. */
static enum tpdu_status dec(const char *hex, struct tpdu *t, size_t *err_off)
{
    uint8_t tmp[300];
    size_t n = tt_hex(hex, tmp, sizeof tmp);
    uint8_t *p = malloc(n > 0 ? n : 1);
    size_t used = 0;
    assert_non_null(p);
    memcpy(p, tmp, n);
    *err_off = 12345;
    enum tpdu_status st = tpdu_decode(p, n, t, &used, err_off);
    if (st == TPDU_OK)
        assert_true(used >= 2 && used <= n);
    free(p);
    return st;
}

struct bad_case {
    const char *name;
    const char *hex;
    enum tpdu_status want;
    size_t err_off;
};

static const struct bad_case bad_cases[] = {
    {"empty", "", TPDU_E_SHORT, 0},
    {"LI only", "06", TPDU_E_SHORT, 0},
    /* LI = 255 / past the end */
    {"LI 255", "FF F0 80", TPDU_E_LI, 0},
    {"LI past end (DT)", "04 F0 00 02", TPDU_E_LI, 0},
    {"LI past end (CR)", "0E E0 00 00 00 01 21 C1 02 01 00 C2 02 01", TPDU_E_LI, 0},
    /* LI below the type's minimum: CR/CC 6, DR 6, DC 5, DT 2, ED 2, EA 4, ER 4, AK 4 */
    {"CR LI 5", "05 E0 00 00 00 01 21", TPDU_E_LI, 0},
    {"CC LI 5", "05 D0 00 01 00 02 21", TPDU_E_LI, 0},
    {"DR LI 5", "05 80 00 02 00 01 80", TPDU_E_LI, 0},
    {"DC LI 4", "04 C0 00 01 00 02", TPDU_E_LI, 0},
    {"DT LI 1", "01 F0 80", TPDU_E_LI, 0},
    {"DT LI 3 (neither format)", "03 F0 00 02 80", TPDU_E_LI, 0},
    {"ED LI 1", "01 10 80 55", TPDU_E_LI, 0},
    {"ED LI 3", "03 10 00 02 80 55", TPDU_E_LI, 0},
    {"EA LI 3", "03 20 00 01 00", TPDU_E_LI, 0},
    {"ER LI 3", "03 70 00 01 02", TPDU_E_LI, 0},
    {"AK LI 3", "03 60 00 01 00", TPDU_E_LI, 0},
    {"LI 0", "00 F0", TPDU_E_LI, 0},
    /* unknown TPDU codes (RJ is not decoded: classes 1 and 3 only) */
    {"code 0x00", "02 00 80", TPDU_E_CODE, 1},
    {"code 0x30", "02 30 00", TPDU_E_CODE, 1},
    {"code 0x40", "04 40 00 01 00", TPDU_E_CODE, 1},
    {"RJ", "04 50 00 01 00", TPDU_E_CODE, 1},
    {"code 0x90", "04 90 00 01 00", TPDU_E_CODE, 1},
    {"code 0xA0", "04 A0 00 01 00", TPDU_E_CODE, 1},
    {"code 0xB0", "04 B0 00 01 00", TPDU_E_CODE, 1},
    {"DT with low nibble (not a credit)", "02 F1 80", TPDU_E_CODE, 1},
    {"DR with low nibble", "06 81 00 02 00 01 80", TPDU_E_CODE, 1},
    /* bad parameter values in a CR */
    {"CR size code 6", "09 E0 00 00 00 01 00 C0 01 06", TPDU_E_PARAM_VALUE, 9},
    {"CR size code 0x11", "09 E0 00 00 00 01 00 C0 01 11", TPDU_E_PARAM_VALUE, 9},
    {"CR size length 2", "0A E0 00 00 00 01 00 C0 02 0D 00", TPDU_E_PARAM_VALUE, 9},
    {"CR class 5", "06 E0 00 00 00 01 50", TPDU_E_PARAM_VALUE, 6},
    {"CC class 15", "06 D0 00 01 00 02 F0", TPDU_E_PARAM_VALUE, 6},
    {"CR calling TSAP 33 octets",
     "29 E0 00 00 00 01 00 C1 21 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13"
     " 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F 20",
     TPDU_E_PARAM_VALUE, 9},
    {"CR called TSAP 33 octets",
     "29 E0 00 00 00 01 00 C2 21 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13"
     " 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F 20",
     TPDU_E_PARAM_VALUE, 9},
    {"CR options length 0", "08 E0 00 00 00 01 21 C6 00", TPDU_E_PARAM_VALUE, 8},
    {"CR alt class 5", "09 E0 00 00 00 01 21 C7 01 50", TPDU_E_PARAM_VALUE, 9},
    {"CR 5 alt classes", "0D E0 00 00 00 01 21 C7 05 00 00 00 00 00", TPDU_E_PARAM_VALUE, 9},
    {"CR pref size 5 octets", "0D E0 00 00 00 01 21 F0 05 00 00 00 01 FF", TPDU_E_PARAM_VALUE, 9},
    {"CR pref size 0", "09 E0 00 00 00 01 21 F0 01 00", TPDU_E_PARAM_VALUE, 9},
    /* parameters running past the header */
    {"CR param past LI", "09 E0 00 00 00 01 21 C1 02 01 00", TPDU_E_PARAM_LEN, 8},
    {"CR lone param code", "07 E0 00 00 00 01 21 C6 01", TPDU_E_PARAM_LEN, 7},
    {"DR E0 past LI", "08 80 00 02 00 01 80 E0 01 80", TPDU_E_PARAM_LEN, 8},
    {"ER C1 past LI", "07 70 00 01 02 C1 02 02 30", TPDU_E_PARAM_LEN, 6},
    /* user data over the type's limit */
    {"CR data 33",
     "06 E0 00 00 00 01 00 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14 15 16"
     " 17 18 19 1A 1B 1C 1D 1E 1F 20",
     TPDU_E_DATA_LEN, 7 + 32},
    {"CC data 33",
     "06 D0 00 01 00 02 00 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14 15 16"
     " 17 18 19 1A 1B 1C 1D 1E 1F 20",
     TPDU_E_DATA_LEN, 7 + 32},
    {"ED class 2 no data", "04 10 00 02 80", TPDU_E_DATA_LEN, 4},
    {"ED class 0 no data", "02 10 80", TPDU_E_DATA_LEN, 2},
    {"ED 17 octets", "04 10 00 02 80 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10",
     TPDU_E_DATA_LEN, 5 + 16},
};

static void spec10_malformed_statuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct tpdu t;
        size_t err_off;
        print_message("%s\n", c->name);
        enum tpdu_status st = dec(c->hex, &t, &err_off);
        if (st != c->want)
            fail_msg("%s: status %d, want %d", c->name, st, c->want);
        if (err_off != c->err_off)
            fail_msg("%s: err_off %zu, want %zu", c->name, err_off, c->err_off);
    }
}

/* A DR data over 64 is refused; 33..64 from a peer is accepted (spec 10). */
static void spec10_dr_data_65_refused_33_to_64_accepted(void **state)
{
    (void)state;
    uint8_t buf[7 + 65];
    struct tpdu t;
    size_t used, err_off;
    static const uint8_t dr_hdr[] = {0x06, 0x80, 0x00, 0x02, 0x00, 0x01, 0x80};
    memcpy(buf, dr_hdr, sizeof dr_hdr);
    memset(buf + 7, 'x', 65);
    assert_int_equal(tpdu_decode(buf, sizeof buf, &t, &used, &err_off), TPDU_E_DATA_LEN);
    assert_int_equal(err_off, 7 + 64);
    for (size_t len = 33; len <= 64; len++) {
        assert_int_equal(tpdu_decode(buf, 7 + len, &t, &used, NULL), TPDU_OK);
        assert_int_equal(t.data_len, len);
    }
}

/* Unknown parameter codes in a CR are skipped (spec 4 and 10): checksum,
 * version, protection, class 4 timers, and codes nobody defined. */
static void spec10_cr_unknown_params_ignored(void **state)
{
    (void)state;
    struct tpdu t;
    size_t err_off;
    assert_int_equal(dec("1C E0 00 00 00 01 21 C3 02 AB CD C4 01 01 C5 02 00 00 85 01 01 F2 01 00"
                         " 99 00 C0 01 0D",
                         &t, &err_off),
                     TPDU_OK);
    assert_int_equal(t.code, TPDU_CR);
    assert_true(t.has_tpdu_size);
    assert_int_equal(t.tpdu_size_code, 0x0D);
    /* E0 means nothing in a CR, C7 nothing in a CC: skipped, not misread. */
    assert_int_equal(dec("0C D0 00 01 00 02 21 C7 01 00 E0 01 80", &t, &err_off), TPDU_OK);
    assert_int_equal(t.n_alt_classes, 0);
    assert_false(t.has_add_clearing);
}

/* TPKT (spec 2, 10): version != 3 or length < 7 cannot be resynchronised;
 * an incomplete TPKT needs more octets. */
static void spec10_tpkt_bad_and_incomplete(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        enum tpkt_status want;
    } cases[] = {
        {"", TPKT_NEED_MORE},
        {"03", TPKT_NEED_MORE},
        {"03 00 00", TPKT_NEED_MORE},
        {"02", TPKT_BAD},
        {"04 00 00 0C", TPKT_BAD},
        {"00 00 00 00 00 00 00", TPKT_BAD},
        {"03 00 00 06 02 F0", TPKT_BAD},
        {"03 00 00 00", TPKT_BAD},
        {"03 00 00 07", TPKT_NEED_MORE},
        {"03 00 00 0C 02 F0 80 48 45 4C 4C", TPKT_NEED_MORE},
        {"03 00 00 0C 02 F0 80 48 45 4C 4C 4F", TPKT_OK},
        {"03 FF 00 07 02 F0 80", TPKT_OK}, /* reserved octet ignored */
        {"03 00 00 07 02 F0 80 03 00", TPKT_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t tmp[32];
        size_t n = tt_hex(cases[i].hex, tmp, sizeof tmp);
        uint8_t *p = malloc(n > 0 ? n : 1);
        size_t len = 0;
        assert_non_null(p);
        memcpy(p, tmp, n);
        if (tpkt_peek(p, n, &len) != cases[i].want)
            fail_msg("tpkt_peek(%s) != %d", cases[i].hex, cases[i].want);
        if (cases[i].want == TPKT_OK)
            assert_int_equal(len, (size_t)p[2] << 8 | p[3]);
        free(p);
    }
    size_t len = 0;
    uint8_t part[] = {3, 0, 0x01, 0x00, 2, 0xF0};
    assert_int_equal(tpkt_peek(part, sizeof part, &len), TPKT_NEED_MORE);
    assert_int_equal(len, 256); /* known once the header is in */
    assert_int_equal(tpkt_peek(part, sizeof part, NULL), TPKT_NEED_MORE);
}

/* Every prefix of every valid frame, and every single-octet change of them,
 * decoded from an exact-size buffer: no over-read, and an OK result always
 * describes octets inside the buffer. */
static void spec10_truncations_and_mutations_stay_in_bounds(void **state)
{
    (void)state;
    static const char *valid[] = {
        ("17 E0 00 00 00 01 21 C1 02 01 00 C2 02 01 02 C0 01 0D C6 01 01 C7 01 00 43 4F 4E 4E 44"
         " 41 54 41"),
        "14 D0 00 01 00 02 21 C1 02 01 00 C2 02 01 02 C0 01 0D C6 01 01",
        "04 F0 00 02 80 48 45 4C 4C 4F",
        "09 80 00 02 00 01 80 E0 01 80 44 49 53 43 4F 4E 4E 45 43 54",
        "05 C0 00 01 00 02",
        "02 F0 80 48 45 4C 4C 4F",
        "04 10 00 02 80 55 52 47",
        "04 20 00 01 00",
        "08 70 00 01 02 C1 02 02 30",
        "02 10 80 55 52 47",
        "0B E0 00 00 00 01 21 F0 04 01 02 03 04",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        uint8_t full[64];
        size_t n = tt_hex(valid[i], full, sizeof full);
        assert_true(n > 0);
        for (size_t k = 0; k <= n; k++) {
            for (int mut = -1; mut < (int)k; mut++) {
                for (unsigned v = 0; v < (mut < 0 ? 1u : 256u); v += (mut < 0 ? 1 : 17)) {
                    uint8_t *p = malloc(k > 0 ? k : 1);
                    struct tpdu t;
                    size_t used = 0, err_off = 0;
                    assert_non_null(p);
                    memcpy(p, full, k);
                    if (mut >= 0)
                        p[mut] = (uint8_t)v;
                    enum tpdu_status st = tpdu_decode(p, k, &t, &used, &err_off);
                    if (st == TPDU_OK) {
                        assert_true(used >= (size_t)t.li + 1 && used <= k);
                        if (t.data_len > 0) {
                            assert_true(t.data >= p + t.li + 1);
                            assert_true(t.data + t.data_len == p + k);
                        }
                        if (t.rejected != NULL)
                            assert_true(t.rejected + t.rejected_len <= p + t.li + 1);
                    } else {
                        assert_true(err_off <= k);
                    }
                    free(p);
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec10_malformed_statuses),
        cmocka_unit_test(spec10_dr_data_65_refused_33_to_64_accepted),
        cmocka_unit_test(spec10_cr_unknown_params_ignored),
        cmocka_unit_test(spec10_tpkt_bad_and_incomplete),
        cmocka_unit_test(spec10_truncations_and_mutations_stay_in_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
