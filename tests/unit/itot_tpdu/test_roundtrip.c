/* SPDX-License-Identifier: MIT */
/* Round-trip properties over many generated TPDUs (fixed seed, reproducible):
 *   encode(t) decodes to t, and re-encoding the decoded TPDU gives the same octets;
 *   random octet strings never decode to something that re-encodes differently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "unit/itot_tpdu/tpdu_testlib.h"

static uint64_t rng_state;

static uint32_t rnd(void)
{
    /* xorshift64*: good enough to spread test cases, and reproducible. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t rnd_below(uint32_t n)
{
    return n == 0 ? 0 : rnd() % n;
}

static bool coin(void)
{
    return rnd() & 1;
}

static uint8_t data_pool[2048];

static void gen_connect(struct tpdu *t)
{
    t->src_ref = (uint16_t)rnd();
    t->dst_ref = (uint16_t)rnd();
    t->cdt = (uint8_t)rnd_below(16);
    t->class_opt = (uint8_t)(rnd_below(5) << 4 | rnd_below(16));
    if ((t->has_calling = coin())) {
        t->calling_len = (uint8_t)rnd_below(TPDU_MAX_TSAP + 1);
        memcpy(t->calling, data_pool + rnd_below(64), t->calling_len);
    }
    if ((t->has_called = coin())) {
        t->called_len = (uint8_t)rnd_below(TPDU_MAX_TSAP + 1);
        memcpy(t->called, data_pool + rnd_below(64), t->called_len);
    }
    if ((t->has_tpdu_size = coin()))
        t->tpdu_size_code = (uint8_t)(7 + rnd_below(10));
    if ((t->has_pref_size = coin()))
        t->pref_size_units = 1 + (rnd() >> rnd_below(32));
    if ((t->has_add_options = coin()))
        t->add_options = (uint8_t)rnd();
    if (t->code == TPDU_CR) {
        t->n_alt_classes = (uint8_t)rnd_below(5);
        for (uint8_t i = 0; i < t->n_alt_classes; i++)
            t->alt_classes[i] = (uint8_t)(rnd_below(5) << 4 | rnd_below(16));
    }
    t->data_len = rnd_below(TPDU_MAX_CONN_DATA + 1);
}

/* A valid TPDU of a random type with random fields within the format's limits. */
static void gen_tpdu(struct tpdu *t)
{
    static const uint8_t codes[] = {TPDU_CR, TPDU_CC, TPDU_DR, TPDU_DC, TPDU_DT,
                                    TPDU_ED, TPDU_EA, TPDU_AK, TPDU_ER};
    memset(t, 0, sizeof *t);
    t->code = codes[rnd_below(sizeof codes)];
    switch (t->code) {
    case TPDU_CR:
    case TPDU_CC:
        gen_connect(t);
        break;
    case TPDU_DR:
        t->dst_ref = (uint16_t)rnd();
        t->src_ref = (uint16_t)rnd();
        t->reason = (uint8_t)rnd();
        if ((t->has_add_clearing = coin()))
            t->add_clearing = (uint8_t)rnd();
        t->data_len = rnd_below(TPDU_MAX_DISC_DATA + 1);
        break;
    case TPDU_DC:
        t->dst_ref = (uint16_t)rnd();
        t->src_ref = (uint16_t)rnd();
        break;
    case TPDU_DT:
    case TPDU_ED:
        if ((t->dst_ref_present = coin()))
            t->dst_ref = (uint16_t)rnd();
        t->eot = coin();
        t->nr = (uint8_t)rnd_below(128);
        t->data_len =
            t->code == TPDU_ED ? 1 + rnd_below(TPDU_MAX_ED_DATA) : rnd_below(sizeof data_pool / 2);
        break;
    case TPDU_AK:
        t->cdt = (uint8_t)rnd_below(16);
        /* fall through */
    case TPDU_EA:
        t->dst_ref = (uint16_t)rnd();
        t->nr = (uint8_t)rnd_below(128);
        break;
    case TPDU_ER:
        t->dst_ref = (uint16_t)rnd();
        t->cause = (uint8_t)rnd_below(4);
        if (coin()) {
            t->rejected_len = (uint8_t)rnd_below(249);
            t->rejected = data_pool + rnd_below(64);
        }
        break;
    }
    if (t->data_len > 0)
        t->data = data_pool + rnd_below(sizeof data_pool - t->data_len);
}

static void roundtrip_generated_tpdus(void **state)
{
    (void)state;
    static uint8_t a[4096], b[4096];
    rng_state = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < sizeof data_pool; i++)
        data_pool[i] = (uint8_t)rnd();
    unsigned seen[16] = {0};
    for (int iter = 0; iter < 50000; iter++) {
        struct tpdu t, d;
        size_t len = 0, used = 0;
        gen_tpdu(&t);
        size_t n = tpdu_encode(&t, a, sizeof a);
        if (n == 0)
            fail_msg("iteration %d: %s did not encode", iter, tpdu_code_name(t.code));
        assert_int_equal(tpkt_peek(a, n, &len), TPKT_OK);
        assert_int_equal(len, n);
        assert_int_equal(tpdu_decode(a + 4, n - 4, &d, &used, NULL), TPDU_OK);
        assert_int_equal(used, n - 4);
        const char *diff = tt_diff(&d, &t);
        if (diff != NULL)
            fail_msg("iteration %d: %s field %s differs", iter, tpdu_code_name(t.code), diff);
        assert_int_equal(tpdu_encode(&d, b, sizeof b), n);
        assert_memory_equal(a, b, n);
        seen[t.code >> 4]++;
    }
    /* Every type was generated often (the property covered them all). */
    assert_true(seen[TPDU_CR >> 4] > 1000 && seen[TPDU_ER >> 4] > 1000 &&
                seen[TPDU_AK >> 4] > 1000 && seen[TPDU_ED >> 4] > 1000);
}

/* Random octets (biased towards plausible headers): whatever decodes re-encodes
 * to something that decodes to the same fields. */
static void roundtrip_random_octets_decode_consistently(void **state)
{
    (void)state;
    static const uint8_t codes[] = {0xE0, 0xD0, 0x80, 0xC0, 0xF0, 0x10, 0x20, 0x60, 0x70};
    static const uint8_t params[] = {0xC0, 0xC1, 0xC2, 0xC6, 0xC7, 0xE0, 0xF0, 0xC3, 0x85};
    rng_state = 0xD1B54A32D192ED03ULL;
    unsigned ok = 0;
    for (int iter = 0; iter < 200000; iter++) {
        uint8_t in[96], out[256];
        size_t n = 2 + rnd_below(sizeof in - 1);
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)rnd();
        in[0] = (uint8_t)rnd_below((uint32_t)n);
        in[1] = codes[rnd_below(sizeof codes)] | (coin() ? 0 : (uint8_t)rnd_below(16));
        for (size_t i = 7; i + 1 < n; i += 2 + in[i + 1]) {
            in[i] = params[rnd_below(sizeof params)];
            in[i + 1] = (uint8_t)rnd_below(5);
        }
        uint8_t *p = malloc(n);
        assert_non_null(p);
        memcpy(p, in, n);
        struct tpdu d, d2;
        size_t used = 0, used2 = 0;
        if (tpdu_decode(p, n, &d, &used, NULL) == TPDU_OK) {
            ok++;
            size_t m = tpdu_encode(&d, out, sizeof out);
            assert_true(m > 0);
            assert_int_equal(tpdu_decode(out + 4, m - 4, &d2, &used2, NULL), TPDU_OK);
            const char *diff = tt_diff(&d2, &d);
            if (diff != NULL)
                fail_msg("iteration %d: field %s differs", iter, diff);
        }
        free(p);
    }
    assert_true(ok > 1000); /* the bias produced enough valid TPDUs to mean something */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_generated_tpdus),
        cmocka_unit_test(roundtrip_random_octets_decode_consistently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
