/* SPDX-License-Identifier: MIT */
/* Unit tests of the pure itot state machine (src/providers/itot/conn.h): two
 * machines wired back to back (output queue of one into the input of the
 * other), and hand-made TPKTs for the malformed-input rules of docs/providers-itot.md ("Limits and
 * bad input"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "providers/itot/conn.h"
#include "wsp/itot.h"

#include "conn_tsdu.h"

struct pair {
    struct conn a; /* initiator */
    struct conn b; /* responder */
};

/* Moves everything queued by `from` into `to`; returns the octets moved. */
static size_t pump(struct conn *from, struct conn *to)
{
    size_t moved = 0;
    while (conn_outq_len(from) > 0) {
        const uint8_t *span[2];
        size_t len[2];
        uint8_t buf[1 << 17];
        size_t n = 0;
        int k = conn_outq_peek(from, span, len);
        for (int i = 0; i < k; i++) {
            size_t take = len[i] < sizeof(buf) - n ? len[i] : sizeof(buf) - n;
            memcpy(buf + n, span[i], take);
            n += take;
        }
        size_t used = conn_input(to, buf, n, 0);
        if (used == 0)
            break;
        conn_outq_consume(from, used);
        moved += used;
    }
    return moved;
}

/* First TPDU waiting in c's output queue, decoded; raw copy in buf. */
static void peek_tpdu(struct conn *c, struct tpdu *t, uint8_t *buf, size_t cap)
{
    const uint8_t *span[2];
    size_t len[2], n = 0, tl = 0;
    int k = conn_outq_peek(c, span, len);
    for (int i = 0; i < k && n < cap; i++) {
        size_t take = len[i] < cap - n ? len[i] : cap - n;
        memcpy(buf + n, span[i], take);
        n += take;
    }
    assert_int_equal(tpkt_peek(buf, n, &tl), TPKT_OK);
    size_t used;
    assert_int_equal(tpdu_decode(buf + 4, tl - 4, t, &used, NULL), TPDU_OK);
}

static uint8_t first_code(struct conn *c)
{
    struct tpdu t;
    uint8_t buf[1024];
    peek_tpdu(c, &t, buf, sizeof buf);
    return t.code;
}

static void drop_output(struct conn *c)
{
    conn_outq_consume(c, conn_outq_len(c));
}

static void pair_init(struct pair *p, int cls_a, int cls_b)
{
    struct conn_cfg ca, cb;
    conn_cfg_default(&ca);
    conn_cfg_default(&cb);
    ca.class_pref = cls_a;
    cb.class_pref = cls_b;
    assert_int_equal(conn_init(&p->a, CONN_INITIATOR, &ca, 0x0001), 0);
    assert_int_equal(conn_init(&p->b, CONN_RESPONDER, &cb, 0x0002), 0);
}

static void pair_free(struct pair *p)
{
    conn_free(&p->a);
    conn_free(&p->b);
}

/* CR -> CC with connect data both ways. */
static void pair_connect(struct pair *p)
{
    assert_int_equal(conn_connect(&p->a, (const uint8_t *)"HELLO", 5, 0), 0);
    pump(&p->a, &p->b);
    assert_int_equal(p->b.state, CONN_S_CR_RCVD);
    assert_true(conn_take_events(&p->b) & CONN_EV_CR_RECEIVED);
    assert_int_equal(conn_accept(&p->b, (const uint8_t *)"WORLD!", 6), 0);
    pump(&p->b, &p->a);
    assert_int_equal(p->a.state, CONN_S_OPEN);
    assert_int_equal(p->b.state, CONN_S_OPEN);
    assert_true(conn_take_events(&p->a) & CONN_EV_CONNECTED);
    assert_true(conn_check(&p->a));
    assert_true(conn_check(&p->b));
}

/* The additional option selection parameter (C6) of the CR or CC in raw,
 * found by walking the variable part of the TPDU at tpkt + 4 byte by byte
 * (not through the decoder, so an encoder/decoder pair that agree on a wrong
 * layout is still caught).  Returns the value's address and sets *vlen, or
 * NULL when the TPDU carries no C6. */
static const uint8_t *raw_c6(const uint8_t *tpkt, uint8_t *vlen)
{
    const uint8_t *h = tpkt + 4;
    size_t end = (size_t)h[0] + 1; /* LI counts the octets after itself */
    size_t off = 7;                /* LI, code, DST-REF, SRC-REF, class option */
    while (off + 2 <= end) {
        uint8_t code = h[off], len = h[off + 1];
        assert_true(off + 2 + len <= end);
        if (code == 0xC6) {
            *vlen = len;
            return h + off + 2;
        }
        off += 2 + (size_t)len;
    }
    return NULL;
}

/* The first queued TPDU of c is a CR or CC with exactly `C6 01 00`. */
static void assert_c6_01_00(struct conn *c, uint8_t code)
{
    struct tpdu t;
    uint8_t buf[256], vlen = 0;
    peek_tpdu(c, &t, buf, sizeof buf);
    assert_int_equal(t.code, code);
    const uint8_t *v = raw_c6(buf, &vlen);
    assert_non_null(v);
    assert_int_equal(vlen, 1);
    assert_int_equal(v[0], 0x00);
    assert_true(t.has_add_options);
    assert_int_equal(t.add_options, 0);
}

/* The first queued TPDU of c is a CR or CC without C6. */
static void assert_no_c6(struct conn *c, uint8_t code)
{
    struct tpdu t;
    uint8_t buf[256], vlen = 0;
    peek_tpdu(c, &t, buf, sizeof buf);
    assert_int_equal(t.code, code);
    assert_null(raw_c6(buf, &vlen));
    assert_false(t.has_add_options);
}

/* ---- establishment and negotiation (spec 5, 6) ------------------------- */

static void cr_cc_class2_default_with_connect_data(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    assert_int_equal(conn_connect(&p.a, (const uint8_t *)"HELLO", 5, 0), 0);
    struct tpdu t;
    uint8_t buf[256];
    peek_tpdu(&p.a, &t, buf, sizeof buf);
    assert_int_equal(t.code, TPDU_CR);
    assert_int_equal(t.class_opt, 0x21);
    assert_int_equal(t.n_alt_classes, 1);
    assert_int_equal(t.alt_classes[0], 0x00);
    assert_true(t.has_add_options);
    assert_int_equal(t.dst_ref, 0);
    assert_int_equal(t.src_ref, 1);
    assert_int_equal(t.data_len, 5);
    pump(&p.a, &p.b);
    assert_memory_equal(p.b.peer_conn_data, "HELLO", 5);
    assert_int_equal(conn_accept(&p.b, (const uint8_t *)"WORLD!", 6), 0);
    peek_tpdu(&p.b, &t, buf, sizeof buf);
    assert_int_equal(t.code, TPDU_CC);
    assert_int_equal(t.dst_ref, 1);
    assert_int_equal(t.src_ref, 2);
    assert_int_equal(t.n_alt_classes, 0);
    pump(&p.b, &p.a);
    assert_int_equal(p.a.cls, 2);
    assert_int_equal(p.b.cls, 2);
    assert_int_equal(p.a.peer_conn_data_len, 6);
    assert_memory_equal(p.a.peer_conn_data, "WORLD!", 6);
    assert_int_equal(p.a.remote_ref, 2);
    assert_int_equal(p.a.tpdu_max, p.b.tpdu_max);
    pair_free(&p);
}

/* ---- C6 in CR and CC (spec 5): explicit whenever class 2 is on offer, left
 * out where class 0 alone is at stake (RFC 1006 reads an absent C6 as "no
 * expedited", which is what class 0 means anyway). ------------------------ */

static void cr_default_class2_alt0_carries_c6_01_00(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    assert_c6_01_00(&p.a, TPDU_CR);
    pair_free(&p);
}

static void cr_class2_only_carries_c6_01_00(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 2, -1);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    struct tpdu t;
    uint8_t buf[256];
    peek_tpdu(&p.a, &t, buf, sizeof buf);
    assert_int_equal(t.class_opt >> 4, 2);
    assert_int_equal(t.n_alt_classes, 0);
    assert_c6_01_00(&p.a, TPDU_CR);
    pair_free(&p);
}

static void cr_class0_only_has_no_c6(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 0, -1);
    assert_int_equal(conn_connect(&p.a, (const uint8_t *)"HELLO", 5, 0), 0);
    struct tpdu t;
    uint8_t buf[256];
    peek_tpdu(&p.a, &t, buf, sizeof buf);
    assert_int_equal(t.class_opt, 0x00);
    assert_int_equal(t.n_alt_classes, 0);
    assert_no_c6(&p.a, TPDU_CR);
    /* The responder still reads it as a class 0 request and connects. */
    pump(&p.a, &p.b);
    assert_int_equal(p.b.state, CONN_S_CR_RCVD);
    pair_free(&p);
}

static void cc_selecting_class0_has_no_c6(void **state)
{
    (void)state;
    /* Both ways to land in class 0: a class-0-only CR, and a class 2 + alt 0
     * CR to a class-0-only responder. */
    const int prefs[][2] = {{0, -1}, {-1, 0}};
    for (size_t i = 0; i < sizeof prefs / sizeof prefs[0]; i++) {
        struct pair p;
        pair_init(&p, prefs[i][0], prefs[i][1]);
        assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
        pump(&p.a, &p.b);
        assert_true(conn_take_events(&p.b) & CONN_EV_CR_RECEIVED);
        assert_int_equal(conn_accept(&p.b, NULL, 0), 0);
        assert_no_c6(&p.b, TPDU_CC);
        pump(&p.b, &p.a);
        assert_int_equal(p.a.state, CONN_S_OPEN);
        assert_int_equal(p.a.cls, 0);
        pair_free(&p);
    }
}

/* ---- What a class 0 CR carries, and when a refused default CR may be
 * retried as a plain class 0 CR (issue 12, docs/providers-itot.md). ------- */

/* Class 0 with the default TPDU size (65531): C0 8192 and no F0, the form
 * every RFC 1006 stack knows. */
static void cr_class0_default_size_has_c0_only(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 0, -1);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    struct tpdu t;
    uint8_t buf[256];
    peek_tpdu(&p.a, &t, buf, sizeof buf);
    assert_true(t.has_tpdu_size);
    assert_int_equal(t.tpdu_size_code, 0x0D);
    assert_false(t.has_pref_size);
    assert_false(t.has_add_options);
    assert_int_equal(t.n_alt_classes, 0);
    /* The responder answers in kind: a class 0 CC with C0 only. */
    pump(&p.a, &p.b);
    assert_int_equal(conn_accept(&p.b, NULL, 0), 0);
    peek_tpdu(&p.b, &t, buf, sizeof buf);
    assert_int_equal(t.code, TPDU_CC);
    assert_int_equal(t.class_opt, 0x00);
    assert_true(t.has_tpdu_size);
    assert_int_equal(t.tpdu_size_code, 0x0D);
    assert_false(t.has_pref_size);
    assert_false(t.has_add_options);
    pump(&p.b, &p.a);
    assert_int_equal(p.a.state, CONN_S_OPEN);
    assert_int_equal(p.a.tpdu_max, 8192);
    pair_free(&p);
}

/* Class 0 with a size the user asked for above 8192: F0 says it. */
static void cr_class0_asked_size_carries_f0(void **state)
{
    (void)state;
    struct conn_cfg cfg;
    conn_cfg_default(&cfg);
    cfg.class_pref = 0;
    cfg.tpdu_size = 16384;
    cfg.tpdu_size_set = true;
    struct conn a;
    assert_int_equal(conn_init(&a, CONN_INITIATOR, &cfg, 1), 0);
    assert_int_equal(conn_connect(&a, NULL, 0, 0), 0);
    struct tpdu t;
    uint8_t buf[256];
    peek_tpdu(&a, &t, buf, sizeof buf);
    assert_true(t.has_pref_size);
    assert_int_equal(t.pref_size_units, 16384 / 128);
    conn_free(&a);
}

/* A hand-made reply TPDU (in a TPKT) fed to the initiator after its CR. */
static void feed_reply(struct conn *c, const uint8_t *tpdu, size_t n)
{
    uint8_t buf[64];
    buf[0] = 3, buf[1] = 0, buf[2] = 0, buf[3] = (uint8_t)(n + 4);
    memcpy(buf + 4, tpdu, n);
    conn_input(c, buf, n + 4, 0);
}

static void refused_default_cr(int cls, const uint8_t *reply, size_t n, bool eof, uint8_t want_kind,
                               uint8_t want_code)
{
    struct conn_cfg cfg;
    conn_cfg_default(&cfg);
    cfg.class_pref = cls;
    struct conn a;
    assert_int_equal(conn_init(&a, CONN_INITIATOR, &cfg, 1), 0);
    assert_int_equal(conn_connect(&a, NULL, 0, 0), 0);
    drop_output(&a);
    if (eof)
        conn_eof(&a);
    else
        feed_reply(&a, reply, n);
    assert_int_equal(a.state, CONN_S_CLOSED);
    assert_int_equal(a.fb_kind, want_kind);
    if (want_kind != CONN_FB_NONE && want_kind != CONN_FB_TCP_CLOSED)
        assert_int_equal(a.fb_code, want_code);
    conn_free(&a);
}

static void default_cr_refused_for_parameters_allows_fallback(void **state)
{
    (void)state;
    /* DR reasons 130, 133, 138: the CR's parameters. */
    const uint8_t dr130[] = {0x06, 0x80, 0x00, 0x01, 0x00, 0x07, 130};
    const uint8_t dr133[] = {0x06, 0x80, 0x00, 0x01, 0x00, 0x07, 133};
    const uint8_t dr138[] = {0x06, 0x80, 0x00, 0x01, 0x00, 0x07, 138};
    /* ER cause 1 (invalid parameter code). */
    const uint8_t er[] = {0x04, 0x70, 0x00, 0x01, 0x01};
    refused_default_cr(-1, dr130, sizeof dr130, false, CONN_FB_DR, 130);
    refused_default_cr(-1, dr133, sizeof dr133, false, CONN_FB_DR, 133);
    refused_default_cr(-1, dr138, sizeof dr138, false, CONN_FB_DR, 138);
    refused_default_cr(-1, er, sizeof er, false, CONN_FB_ER, 1);
    refused_default_cr(-1, NULL, 0, true, CONN_FB_TCP_CLOSED, 0);
}

static void other_refusals_or_forced_class_never_fall_back(void **state)
{
    (void)state;
    /* Reasons that refuse the connection itself: a second CR would repeat it. */
    const uint8_t dr0[] = {0x06, 0x80, 0x00, 0x01, 0x00, 0x07, 0};
    const uint8_t dr3[] = {0x06, 0x80, 0x00, 0x01, 0x00, 0x07, 3};
    const uint8_t dr136[] = {0x06, 0x80, 0x00, 0x01, 0x00, 0x07, 136};
    const uint8_t dr130[] = {0x06, 0x80, 0x00, 0x01, 0x00, 0x07, 130};
    const uint8_t er[] = {0x04, 0x70, 0x00, 0x01, 0x01};
    refused_default_cr(-1, dr0, sizeof dr0, false, CONN_FB_NONE, 0);
    refused_default_cr(-1, dr3, sizeof dr3, false, CONN_FB_NONE, 0);
    refused_default_cr(-1, dr136, sizeof dr136, false, CONN_FB_NONE, 0);
    /* A class the user forced is never changed behind its back. */
    for (int cls = 0; cls <= 2; cls += 2) {
        refused_default_cr(cls, dr130, sizeof dr130, false, CONN_FB_NONE, 0);
        refused_default_cr(cls, er, sizeof er, false, CONN_FB_NONE, 0);
        refused_default_cr(cls, NULL, 0, true, CONN_FB_NONE, 0);
    }
}

/* The TPDU log (WSP_ITOT_TPDU_LOG): off unless asked; the CR sent and the
 * CC received; the last 64 kept, the older ones counted as lost. */
static void tpdu_log_keeps_the_last_64_with_the_count_lost(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    assert_null(p.a.log);
    pair_free(&p);
    struct conn_cfg ca, cb;
    conn_cfg_default(&ca);
    conn_cfg_default(&cb);
    ca.log_tpdus = true;
    assert_int_equal(conn_init(&p.a, CONN_INITIATOR, &ca, 1), 0);
    assert_int_equal(conn_init(&p.b, CONN_RESPONDER, &cb, 2), 0);
    pair_connect(&p);
    struct conn_log_entry e[CONN_LOG_ENTRIES + 1];
    assert_int_equal(conn_log_take(&p.a, e, 4), 2);
    assert_int_equal(e[0].dir, 0);
    assert_int_equal(e[0].hdr[1] & 0xF0, TPDU_CR);
    assert_int_equal(e[0].tpdu_len, e[0].hdr[0] + 1u + 5u); /* header + "HELLO" */
    assert_int_equal(e[1].dir, 1);
    assert_int_equal(e[1].hdr[1] & 0xF0, TPDU_CC);
    assert_int_equal(conn_log_take(&p.a, e, 4), 0);
    /* 70 DTs received: 64 kept, the first kept says 6 were dropped. */
    for (int i = 0; i < 70; i++)
        send_tsdu(&p.b, (const uint8_t *)"x", 1);
    pump(&p.b, &p.a);
    assert_int_equal(conn_log_take(&p.a, e, CONN_LOG_ENTRIES + 1), CONN_LOG_ENTRIES);
    assert_int_equal(e[0].lost, 6);
    assert_int_equal(e[1].lost, 0);
    assert_int_equal(e[0].hdr[1], TPDU_DT);
    pair_free(&p);
}

static void cc_selecting_class2_carries_c6_01_00(void **state)
{
    (void)state;
    const int prefs[][2] = {{-1, -1}, {2, -1}, {-1, 2}};
    for (size_t i = 0; i < sizeof prefs / sizeof prefs[0]; i++) {
        struct pair p;
        pair_init(&p, prefs[i][0], prefs[i][1]);
        assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
        pump(&p.a, &p.b);
        assert_true(conn_take_events(&p.b) & CONN_EV_CR_RECEIVED);
        assert_int_equal(conn_accept(&p.b, NULL, 0), 0);
        assert_c6_01_00(&p.b, TPDU_CC);
        pump(&p.b, &p.a);
        assert_int_equal(p.a.state, CONN_S_OPEN);
        assert_int_equal(p.a.cls, 2);
        pair_free(&p);
    }
}

static void class0_forced_by_initiator(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 0, -1);
    pair_connect(&p);
    assert_int_equal(p.a.cls, 0);
    assert_int_equal(p.b.cls, 0);
    pair_free(&p);
}

static void class2_with_alt_to_class0_only_responder(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, 0);
    pair_connect(&p);
    assert_int_equal(p.a.cls, 0);
    assert_int_equal(p.b.cls, 0);
    pair_free(&p);
}

static void class2_mandatory_refused_by_class0_responder(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 2, 0);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    pump(&p.a, &p.b);
    assert_int_equal(p.b.state, CONN_S_CLOSED);
    assert_int_equal(p.b.last_sent_reason, WSP_ITOT_DR_NEGOTIATION_FAILED);
    pump(&p.b, &p.a);
    assert_int_equal(p.a.state, CONN_S_CLOSED);
    assert_int_equal(p.a.error, WSAECONNREFUSED);
    assert_int_equal(p.a.disc_reason, WSP_ITOT_DR_NEGOTIATION_FAILED);
    assert_true(conn_take_events(&p.a) & CONN_EV_REFUSED);
    pair_free(&p);
}

/* The interop trap (spec 5): a class 0 CC to a class-2-only CR is refused with DR 130. */
static void class0_cc_to_class2_only_cr_is_rejected(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 2, -1);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    drop_output(&p.a);
    struct tpdu cc = {.code = TPDU_CC, .dst_ref = 1, .src_ref = 9, .class_opt = 0x00};
    uint8_t buf[64];
    size_t n = tpdu_encode(&cc, buf, sizeof buf);
    assert_int_equal(conn_input(&p.a, buf, n, 0), n);
    assert_int_equal(p.a.state, CONN_S_CLOSED);
    assert_int_equal(p.a.error, WSAECONNREFUSED);
    struct tpdu t;
    peek_tpdu(&p.a, &t, buf, sizeof buf);
    assert_int_equal(t.code, TPDU_DR);
    assert_int_equal(t.reason, WSP_ITOT_DR_NEGOTIATION_FAILED);
    pair_free(&p);
}

static void cc_with_bigger_size_than_proposed_is_rejected(void **state)
{
    (void)state;
    struct pair p;
    struct conn_cfg cfg;
    conn_cfg_default(&cfg);
    cfg.tpdu_size = 1024;
    assert_int_equal(conn_init(&p.a, CONN_INITIATOR, &cfg, 1), 0);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    drop_output(&p.a);
    struct tpdu cc = {.code = TPDU_CC, .dst_ref = 1, .src_ref = 9, .class_opt = 0x21};
    cc.has_tpdu_size = true;
    cc.tpdu_size_code = 0x0D;
    uint8_t buf[64];
    size_t n = tpdu_encode(&cc, buf, sizeof buf);
    conn_input(&p.a, buf, n, 0);
    assert_int_equal(p.a.error, WSAECONNREFUSED);
    assert_int_equal(p.a.last_sent_reason, WSP_ITOT_DR_NEGOTIATION_FAILED);
    conn_free(&p.a);
}

static void tpdu_size_negotiated_to_smaller(void **state)
{
    (void)state;
    struct pair p;
    struct conn_cfg ca, cb;
    conn_cfg_default(&ca);
    conn_cfg_default(&cb);
    cb.tpdu_size = 2048;
    assert_int_equal(conn_init(&p.a, CONN_INITIATOR, &ca, 1), 0);
    assert_int_equal(conn_init(&p.b, CONN_RESPONDER, &cb, 2), 0);
    pair_connect(&p);
    assert_int_equal(p.a.tpdu_max, 2048);
    assert_int_equal(p.b.tpdu_max, 2048);
    pair_free(&p);
}

static void called_tsap_mismatch_refused_reason_3(void **state)
{
    (void)state;
    struct pair p;
    struct conn_cfg ca, cb;
    conn_cfg_default(&ca);
    conn_cfg_default(&cb);
    ca.called_len = 2;
    memcpy(ca.called, "\x01\x02", 2);
    cb.calling_len = 2;
    memcpy(cb.calling, "\x09\x09", 2);
    assert_int_equal(conn_init(&p.a, CONN_INITIATOR, &ca, 1), 0);
    assert_int_equal(conn_init(&p.b, CONN_RESPONDER, &cb, 2), 0);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    pump(&p.a, &p.b);
    assert_int_equal(p.b.state, CONN_S_CLOSED);
    pump(&p.b, &p.a);
    assert_int_equal(p.a.error, WSAECONNREFUSED);
    assert_int_equal(p.a.disc_reason, WSP_ITOT_DR_ADDRESS_UNKNOWN);
    pair_free(&p);
}

static void reject_with_data_reaches_initiator(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    pump(&p.a, &p.b);
    assert_int_equal(conn_reject(&p.b, WSP_ITOT_DR_NOT_ATTACHED, (const uint8_t *)"NO", 2), 0);
    pump(&p.b, &p.a);
    assert_int_equal(p.a.error, WSAECONNREFUSED);
    assert_int_equal(p.a.disc_data_len, 2);
    assert_memory_equal(p.a.disc_data, "NO", 2);
    /* class 2 initiator confirms the refusal with a DC */
    assert_int_equal(first_code(&p.a), TPDU_DC);
    pair_free(&p);
}

static void connect_data_over_32_is_msgsize(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    uint8_t d[33] = {0};
    assert_int_equal(conn_connect(&p.a, d, 33, 0), WSAEMSGSIZE);
    assert_int_equal(p.a.state, CONN_S_IDLE);
    assert_int_equal(conn_outq_len(&p.a), 0);
    pair_free(&p);
}

static void cr_timer_times_out(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 1000), 0);
    assert_int_equal(p.a.deadline_ms, 1000 + CONN_DEFAULT_CR_TIMEOUT_MS);
    conn_timer(&p.a, 1000 + CONN_DEFAULT_CR_TIMEOUT_MS - 1);
    assert_int_equal(p.a.state, CONN_S_CR_SENT);
    conn_timer(&p.a, 1000 + CONN_DEFAULT_CR_TIMEOUT_MS);
    assert_int_equal(p.a.state, CONN_S_CLOSED);
    assert_int_equal(p.a.error, WSAETIMEDOUT);
    assert_true(p.a.close_now);
    pair_free(&p);
}

static void connect_twice_is_refused(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), WSAEISCONN);
    pair_free(&p);
}

/* ---- data transfer (spec 7) --------------------------------------------- */

static void tsdu_segmented_and_reassembled(void **state)
{
    (void)state;
    struct pair p;
    struct conn_cfg ca, cb;
    conn_cfg_default(&ca);
    conn_cfg_default(&cb);
    ca.tpdu_size = 128;
    assert_int_equal(conn_init(&p.a, CONN_INITIATOR, &ca, 1), 0);
    assert_int_equal(conn_init(&p.b, CONN_RESPONDER, &cb, 2), 0);
    pair_connect(&p);
    assert_int_equal(conn_dt_max_data(&p.a), 123);
    static uint8_t big[5000], got[5000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    send_tsdu(&p.a, big, sizeof big);
    send_tsdu(&p.a, (const uint8_t *)"x", 1);
    pump(&p.a, &p.b);
    assert_int_equal(conn_rx_next_len(&p.b), sizeof big);
    /* Partial read (MSG_PARTIAL in the glue), then the rest. */
    const uint8_t *span[2];
    size_t len[2];
    conn_rx_peek(&p.b, span, len);
    memcpy(got, span[0], 100);
    conn_rx_consume(&p.b, 100);
    assert_int_equal(conn_rx_next_len(&p.b), sizeof big - 100);
    size_t n = read_tsdu(&p.b, got + 100, sizeof got - 100);
    assert_int_equal(n, sizeof big - 100);
    assert_memory_equal(got, big, sizeof big);
    assert_int_equal(conn_rx_next_len(&p.b), 1);
    assert_int_equal(read_tsdu(&p.b, got, sizeof got), 1);
    assert_false(conn_rx_ready(&p.b));
    assert_true(conn_check(&p.b));
    pair_free(&p);
}

static void tsdu_over_limit_aborts_dr133(void **state)
{
    (void)state;
    struct pair p;
    struct conn_cfg ca, cb;
    conn_cfg_default(&ca);
    conn_cfg_default(&cb);
    cb.max_tsdu = 1000;
    assert_int_equal(conn_init(&p.a, CONN_INITIATOR, &ca, 1), 0);
    assert_int_equal(conn_init(&p.b, CONN_RESPONDER, &cb, 2), 0);
    pair_connect(&p);
    static uint8_t big[1001];
    send_tsdu(&p.a, big, sizeof big);
    pump(&p.a, &p.b);
    assert_int_equal(p.b.state, CONN_S_CLOSED);
    assert_int_equal(p.b.error, WSAECONNABORTED);
    assert_int_equal(p.b.last_sent_reason, WSP_ITOT_DR_PROTOCOL_ERROR);
    assert_int_equal(first_code(&p.b), TPDU_DR);
    pair_free(&p);
}

/* The receive store is bounded: input stops being consumed when it is full. */
static void receive_store_is_bounded(void **state)
{
    (void)state;
    struct pair p;
    struct conn_cfg ca, cb;
    conn_cfg_default(&ca);
    conn_cfg_default(&cb);
    cb.max_tsdu = 4096;
    assert_int_equal(conn_init(&p.a, CONN_INITIATOR, &ca, 1), 0);
    assert_int_equal(conn_init(&p.b, CONN_RESPONDER, &cb, 2), 0);
    pair_connect(&p);
    static uint8_t d[4000];
    int sent = 0;
    while (sent < 200 && conn_outq_room(&p.a) >= sizeof d + 64) {
        send_tsdu(&p.a, d, sizeof d);
        sent++;
    }
    pump(&p.a, &p.b);
    assert_true(conn_outq_len(&p.a) > 0); /* the rest waits: backpressure */
    assert_false(conn_rx_has_room(&p.b));
    assert_true(p.b.rx.len <= p.b.rx_limit);
    size_t got = 0;
    static uint8_t buf[4000];
    while (got < 200) {
        while (conn_rx_ready(&p.b)) {
            assert_int_equal(read_tsdu(&p.b, buf, sizeof buf), sizeof d);
            got++;
        }
        while (sent < 200 && conn_outq_room(&p.a) >= sizeof d + 64) {
            send_tsdu(&p.a, d, sizeof d);
            sent++;
        }
        assert_true(pump(&p.a, &p.b) > 0 || conn_rx_ready(&p.b) || got == 200);
    }
    assert_int_equal(got, 200);
    pair_free(&p);
}

static void dt_larger_than_tpdu_size_aborts(void **state)
{
    (void)state;
    struct pair p;
    struct conn_cfg ca, cb;
    conn_cfg_default(&ca);
    conn_cfg_default(&cb);
    cb.tpdu_size = 128;
    assert_int_equal(conn_init(&p.a, CONN_INITIATOR, &ca, 1), 0);
    assert_int_equal(conn_init(&p.b, CONN_RESPONDER, &cb, 2), 0);
    pair_connect(&p);
    uint8_t hdr[TPDU_DT_HDR_MAX], d[200] = {0};
    size_t h = tpdu_encode_dt_header(true, 2, true, sizeof d, hdr);
    conn_outq_push(&p.a, hdr, h);
    conn_outq_push(&p.a, d, sizeof d);
    pump(&p.a, &p.b);
    assert_int_equal(p.b.error, WSAECONNABORTED);
    assert_int_equal(p.b.last_sent_reason, WSP_ITOT_DR_PROTOCOL_ERROR);
    pair_free(&p);
}

/* ---- release (spec 9) ----------------------------------------------------- */

static void dr_dc_class2_with_64_octets(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    uint8_t d[64];
    for (int i = 0; i < 64; i++)
        d[i] = (uint8_t)i;
    send_tsdu(&p.a, (const uint8_t *)"before", 6);
    assert_int_equal(conn_disconnect(&p.a, d, 64, 100), 0);
    assert_int_equal(p.a.state, CONN_S_DR_SENT);
    assert_int_equal(p.a.deadline_ms, 100 + CONN_DEFAULT_DC_TIMEOUT_MS);
    assert_int_equal(conn_can_send(&p.a), WSAESHUTDOWN);
    /* D7: a second call while releasing succeeds */
    assert_int_equal(conn_disconnect(&p.a, NULL, 0, 100), 0);
    assert_int_equal(first_code(&p.a), TPDU_DT); /* D5: DT before DR */
    pump(&p.a, &p.b);
    assert_int_equal(p.b.state, CONN_S_CLOSED);
    unsigned ev = conn_take_events(&p.b);
    assert_true(ev & CONN_EV_DISCONNECTED);
    assert_true(ev & CONN_EV_TSDU);
    assert_int_equal(p.b.disc_reason, WSP_ITOT_DR_NORMAL);
    assert_int_equal(p.b.disc_data_len, 64);
    assert_memory_equal(p.b.disc_data, d, 64);
    assert_int_equal(conn_rx_next_len(&p.b), 6); /* data before the DR still readable */
    assert_int_equal(first_code(&p.b), TPDU_DC);
    pump(&p.b, &p.a);
    assert_int_equal(p.a.state, CONN_S_CLOSED);
    assert_true(conn_take_events(&p.a) & CONN_EV_RELEASED);
    assert_int_equal(p.a.error, 0);
    assert_int_equal(conn_disconnect(&p.a, NULL, 0, 200), WSAENOTCONN); /* D7 */
    pair_free(&p);
}

static void disconnect_65_octets_no_side_effect(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    uint8_t d[65] = {0};
    assert_int_equal(conn_disconnect(&p.a, d, 65, 0), WSAEMSGSIZE);
    assert_int_equal(p.a.state, CONN_S_OPEN);
    assert_int_equal(conn_outq_len(&p.a), 0);
    assert_int_equal(conn_can_send(&p.a), 0);
    pair_free(&p);
}

static void disconnect_not_connected(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    assert_int_equal(conn_disconnect(&p.a, NULL, 0, 0), WSAENOTCONN);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    assert_int_equal(conn_disconnect(&p.a, NULL, 0, 0), WSAENOTCONN); /* C4: connect pending */
    pair_free(&p);
}

static void dr_collision_class2(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    assert_int_equal(conn_disconnect(&p.a, (const uint8_t *)"AAA", 3, 0), 0);
    assert_int_equal(conn_disconnect(&p.b, (const uint8_t *)"BB", 2, 0), 0);
    pump(&p.a, &p.b);
    pump(&p.b, &p.a);
    assert_int_equal(p.a.state, CONN_S_CLOSED);
    assert_int_equal(p.b.state, CONN_S_CLOSED);
    /* each keeps the other's data, and neither sends a DC */
    assert_int_equal(p.a.disc_data_len, 2);
    assert_memory_equal(p.a.disc_data, "BB", 2);
    assert_int_equal(p.b.disc_data_len, 3);
    assert_int_equal(conn_outq_len(&p.a), 0);
    assert_int_equal(conn_outq_len(&p.b), 0);
    pair_free(&p);
}

static void spurious_dr_answered_with_dc(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    struct tpdu dr = {.code = TPDU_DR, .dst_ref = 0x7777, .src_ref = 0x1234, .reason = 128};
    uint8_t buf[64];
    size_t n = tpdu_encode(&dr, buf, sizeof buf);
    conn_input(&p.a, buf, n, 0);
    assert_int_equal(p.a.state, CONN_S_OPEN);
    struct tpdu t;
    peek_tpdu(&p.a, &t, buf, sizeof buf);
    assert_int_equal(t.code, TPDU_DC);
    assert_int_equal(t.dst_ref, 0x1234);
    assert_int_equal(t.src_ref, 0x7777);
    pair_free(&p);
}

static void unexpected_dc_is_ignored(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    struct tpdu dc = {.code = TPDU_DC, .dst_ref = 1, .src_ref = 2};
    uint8_t buf[64];
    size_t n = tpdu_encode(&dc, buf, sizeof buf);
    conn_input(&p.a, buf, n, 0);
    assert_int_equal(p.a.state, CONN_S_OPEN);
    assert_int_equal(conn_outq_len(&p.a), 0);
    pair_free(&p);
}

static void dc_timer_releases(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    assert_int_equal(conn_disconnect(&p.a, NULL, 0, 5), 0);
    conn_timer(&p.a, 5 + CONN_DEFAULT_DC_TIMEOUT_MS);
    assert_int_equal(p.a.state, CONN_S_CLOSED);
    assert_true(conn_take_events(&p.a) & CONN_EV_RELEASED);
    assert_true(p.a.close_tcp);
    pair_free(&p);
}

static void data_after_our_dr_still_delivered(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    send_tsdu(&p.b, (const uint8_t *)"late", 4); /* peer sends before it sees our DR */
    assert_int_equal(conn_disconnect(&p.a, NULL, 0, 0), 0);
    pump(&p.b, &p.a);
    assert_int_equal(conn_rx_next_len(&p.a), 4);
    pair_free(&p);
}

static void class0_release_dr_then_close(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 0, 0);
    pair_connect(&p);
    assert_int_equal(conn_disconnect(&p.a, (const uint8_t *)"BYE", 3, 0), 0);
    assert_true(p.a.half_close); /* FIN after the DR, reading goes on */
    assert_false(p.a.close_tcp);
    assert_int_equal(first_code(&p.a), TPDU_DR);
    pump(&p.a, &p.b);
    assert_int_equal(p.b.state, CONN_S_CLOSED);
    assert_int_equal(p.b.disc_data_len, 3);
    assert_int_equal(conn_outq_len(&p.b), 0); /* no DC in class 0 */
    conn_eof(&p.a);                           /* the peer's FIN */
    assert_int_equal(p.a.state, CONN_S_CLOSED);
    assert_true(conn_take_events(&p.a) & CONN_EV_RELEASED);
    assert_true(p.a.close_tcp);
    pair_free(&p);
}

/* Staged octets are not part of the queue until committed; a withdrawn TSDU
 * leaves the queue as it was; the next TSDU reaches the peer alone. */
static void outq_stage_commit_withdraw(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 2, 2);
    pair_connect(&p);
    send_tsdu(&p.a, (const uint8_t *)"ONE", 3);
    size_t before = conn_outq_len(&p.a);
    uint64_t end = conn_outq_end(&p.a);
    uint8_t hdr[TPDU_DT_HDR_MAX];
    size_t h = conn_dt_header(&p.a, true, 4, hdr);
    conn_outq_stage(&p.a, 0, hdr, h);
    conn_outq_stage(&p.a, h, "LOST", 4);
    assert_int_equal(conn_outq_len(&p.a), before); /* staged only */
    conn_outq_commit(&p.a, h + 4);
    assert_int_equal(conn_outq_end(&p.a), end + h + 4);
    conn_outq_withdraw(&p.a, h + 4);
    assert_int_equal(conn_outq_len(&p.a), before);
    send_tsdu(&p.a, (const uint8_t *)"TWO", 3);
    pump(&p.a, &p.b);
    assert_int_equal(conn_outq_sent(&p.a), end + h + 3); /* all consumed: ONE, then TWO only */
    uint8_t out[16];
    assert_int_equal(read_tsdu(&p.b, out, sizeof out), 3);
    assert_memory_equal(out, "ONE", 3);
    assert_int_equal(read_tsdu(&p.b, out, sizeof out), 3);
    assert_memory_equal(out, "TWO", 3);
    assert_false(conn_rx_ready(&p.b));
    pair_free(&p);
}

/* One oversized TSDU: the queue expands beyond its capacity (the soft room a
 * send waits for stays within it) and returns to the regular buffer once it
 * is empty. */
static void outq_expand_then_restore(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 2, 2);
    pair_connect(&p);
    size_t cap = p.a.cfg.outq_cap, big = 3 * cap;
    assert_int_equal(conn_outq_hard_room(&p.a), cap);
    assert_int_equal(conn_outq_expand(&p.a, big), 0);
    assert_true(conn_outq_hard_room(&p.a) >= big);
    static uint8_t data[3 * 256 * 1024];
    for (size_t i = 0; i < big; i++)
        data[i] = (uint8_t)(i % 249);
    conn_outq_stage(&p.a, 0, data, big);
    conn_outq_commit(&p.a, big);
    assert_int_equal(conn_outq_room(&p.a), 0);
    conn_outq_consume(&p.a, big - 1);
    assert_true(conn_outq_hard_room(&p.a) > cap); /* still expanded: one octet left */
    conn_outq_consume(&p.a, 1);
    assert_int_equal(conn_outq_hard_room(&p.a), cap);
    assert_int_equal(conn_outq_room(&p.a), cap);
    assert_true(conn_check(&p.a));
    pair_free(&p);
}

/* conn_abort after whole DTs: a DR (reason 0) follows them, the peer drops
 * the TSDU that never got its EOT, and sends fail with WSAECONNABORTED. */
static void abort_after_partial_tsdu_sends_dr(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 2, 2);
    pair_connect(&p);
    uint8_t hdr[TPDU_DT_HDR_MAX];
    size_t h = conn_dt_header(&p.a, false, 4, hdr);
    conn_outq_push(&p.a, hdr, h);
    conn_outq_push(&p.a, "HALF", 4);
    conn_abort(&p.a, true);
    assert_int_equal(conn_can_send(&p.a), WSAECONNABORTED);
    assert_true(p.a.close_tcp);
    assert_false(p.a.close_now);
    pump(&p.a, &p.b);
    assert_true(p.b.peer_disc);
    assert_int_equal(p.b.disc_reason, WSP_ITOT_DR_NOT_SPECIFIED);
    assert_false(conn_rx_ready(&p.b));
    struct pair q;
    pair_init(&q, 0, 0);
    pair_connect(&q);
    conn_abort(&q.a, false); /* torn TPDU: no DR can follow, TCP goes at once */
    assert_true(q.a.close_now);
    assert_int_equal(conn_can_send(&q.a), WSAECONNABORTED);
    pair_free(&q);
    pair_free(&p);
}

/* Class 0 too: what the peer sent before it saw our DR is delivered (nothing
 * lost), because the release only half-closes TCP until the peer's FIN. */
static void class0_data_after_our_dr_still_delivered(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 0, 0);
    pair_connect(&p);
    send_tsdu(&p.b, (const uint8_t *)"late", 4);
    assert_int_equal(conn_disconnect(&p.a, NULL, 0, 0), 0);
    assert_false(p.a.close_tcp);
    pump(&p.b, &p.a);
    assert_int_equal(conn_rx_next_len(&p.a), 4);
    pair_free(&p);
}

static void tcp_end_is_disconnect_without_data(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    conn_eof(&p.a);
    assert_int_equal(p.a.state, CONN_S_CLOSED);
    assert_true(p.a.peer_disc);
    assert_int_equal(p.a.disc_data_len, 0);
    assert_int_equal(p.a.error, 0);
    pair_free(&p);
}

/* ---- malformed input (spec 10) -------------------------------------------- */

static void feed(struct conn *c, const uint8_t *p, size_t n)
{
    conn_input(c, p, n, 0);
    assert_true(conn_check(c));
}

static void bad_tpkt_version_closes_at_once(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    const uint8_t bad[] = {0x04, 0x00, 0x00, 0x0C, 0x02, 0xF0, 0x80, 'H', 'E', 'L', 'L', 'O'};
    feed(&p.a, bad, sizeof bad);
    assert_int_equal(p.a.state, CONN_S_CLOSED);
    assert_true(p.a.close_now);
    assert_int_equal(p.a.error, WSAECONNABORTED);
    assert_int_equal(conn_outq_len(&p.a), 0);
    pair_free(&p);
}

static void bad_tpkt_length_closes_at_once(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    const uint8_t bad[] = {0x03, 0x00, 0x00, 0x05, 0x02, 0xF0, 0x80};
    feed(&p.b, bad, sizeof bad);
    assert_true(p.b.close_now);
    pair_free(&p);
}

static void li_past_packet_class2_dr138(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    const uint8_t bad[] = {0x03, 0x00, 0x00, 0x09, 0x09, 0xF0, 0x00, 0x01, 0x80};
    feed(&p.a, bad, sizeof bad);
    assert_int_equal(p.a.error, WSAECONNABORTED);
    struct tpdu t;
    uint8_t buf[64];
    peek_tpdu(&p.a, &t, buf, sizeof buf);
    assert_int_equal(t.code, TPDU_DR);
    assert_int_equal(t.reason, WSP_ITOT_DR_LENGTH_INVALID);
    pair_free(&p);
}

static void li_past_packet_class0_er_cause0(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 0, 0);
    pair_connect(&p);
    const uint8_t bad[] = {0x03, 0x00, 0x00, 0x08, 0x09, 0xF0, 0x80, 0x41};
    feed(&p.a, bad, sizeof bad);
    assert_int_equal(p.a.error, WSAECONNABORTED);
    struct tpdu t;
    uint8_t buf[64];
    peek_tpdu(&p.a, &t, buf, sizeof buf);
    assert_int_equal(t.code, TPDU_ER);
    assert_int_equal(t.cause, 0);
    assert_true(t.rejected_len > 0);
    pair_free(&p);
}

static void unknown_code_er_cause2(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    const uint8_t bad[] = {0x03, 0x00, 0x00, 0x07, 0x02, 0x30, 0x00};
    feed(&p.a, bad, sizeof bad);
    struct tpdu t;
    uint8_t buf[64];
    peek_tpdu(&p.a, &t, buf, sizeof buf);
    assert_int_equal(t.code, TPDU_ER);
    assert_int_equal(t.cause, 2);
    assert_int_equal(p.a.error, WSAECONNABORTED);
    pair_free(&p);
}

static void parameter_overrun_in_cr(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    /* CR whose C1 parameter claims 9 octets but the header has 2 left */
    const uint8_t bad[] = {0x03, 0x00, 0x00, 0x0F, 0x0A, 0xE0, 0x00, 0x00,
                           0x00, 0x01, 0x21, 0xC1, 0x09, 0x01, 0x00};
    feed(&p.b, bad, sizeof bad);
    assert_int_equal(p.b.state, CONN_S_CLOSED);
    assert_int_equal(first_code(&p.b), TPDU_ER);
    pair_free(&p);
}

static void dt_before_cc_er_cause2(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    drop_output(&p.a);
    const uint8_t dt[] = {0x03, 0x00, 0x00, 0x0C, 0x02, 0xF0, 0x80, 'H', 'E', 'L', 'L', 'O'};
    feed(&p.a, dt, sizeof dt);
    assert_int_equal(p.a.state, CONN_S_CLOSED);
    assert_int_equal(p.a.error, WSAECONNABORTED);
    assert_int_equal(p.a.last_er_cause, 2);
    pair_free(&p);
}

static void dt_before_cr_er_cause2(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    const uint8_t dt[] = {0x03, 0x00, 0x00, 0x0C, 0x02, 0xF0, 0x80, 'H', 'E', 'L', 'L', 'O'};
    feed(&p.b, dt, sizeof dt);
    assert_int_equal(p.b.state, CONN_S_CLOSED);
    assert_int_equal(p.b.last_er_cause, 2);
    pair_free(&p);
}

static void cr_with_nonzero_dst_ref_er_cause3(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    struct tpdu cr = {.code = TPDU_CR, .dst_ref = 5, .src_ref = 1, .class_opt = 0x21};
    uint8_t buf[64];
    size_t n = tpdu_encode(&cr, buf, sizeof buf);
    feed(&p.b, buf, n);
    assert_int_equal(p.b.state, CONN_S_CLOSED);
    assert_int_equal(p.b.last_er_cause, 3);
    pair_free(&p);
}

static void mismatched_dst_ref_dr132(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    uint8_t hdr[TPDU_DT_HDR_MAX + 1];
    size_t h = tpdu_encode_dt_header(true, 0x4444, true, 1, hdr);
    hdr[h] = 'x';
    feed(&p.a, hdr, h + 1);
    assert_int_equal(p.a.error, WSAECONNABORTED);
    assert_int_equal(p.a.last_sent_reason, WSP_ITOT_DR_MISMATCHED_REF);
    pair_free(&p);
}

static void second_cr_dr133(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    assert_int_equal(conn_connect(&p.a, NULL, 0, 0), 0);
    uint8_t cr[256];
    const uint8_t *span[2];
    size_t len[2];
    conn_outq_peek(&p.a, span, len);
    size_t n = len[0];
    memcpy(cr, span[0], n);
    pump(&p.a, &p.b);
    assert_int_equal(conn_accept(&p.b, NULL, 0), 0);
    drop_output(&p.b);
    feed(&p.b, cr, n);
    assert_int_equal(p.b.error, WSAECONNABORTED);
    assert_int_equal(p.b.last_sent_reason, WSP_ITOT_DR_PROTOCOL_ERROR);
    pair_free(&p);
}

static void er_received_class2_dr133_reset(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    struct tpdu er = {.code = TPDU_ER, .dst_ref = 1, .cause = 0};
    uint8_t buf[64];
    size_t n = tpdu_encode(&er, buf, sizeof buf);
    feed(&p.a, buf, n);
    assert_int_equal(p.a.error, WSAECONNRESET);
    assert_int_equal(first_code(&p.a), TPDU_DR);
    assert_int_equal(p.a.last_sent_reason, WSP_ITOT_DR_PROTOCOL_ERROR);
    pair_free(&p);
}

static void er_received_class0_closes(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 0, 0);
    pair_connect(&p);
    struct tpdu er = {.code = TPDU_ER, .dst_ref = 1, .cause = 0};
    uint8_t buf[64];
    size_t n = tpdu_encode(&er, buf, sizeof buf);
    feed(&p.a, buf, n);
    assert_int_equal(p.a.error, WSAECONNRESET);
    assert_int_equal(conn_outq_len(&p.a), 0);
    assert_true(p.a.close_tcp);
    pair_free(&p);
}

static void ak_in_class2_er_cause2(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    struct tpdu ak = {.code = TPDU_AK, .dst_ref = 1};
    uint8_t buf[64];
    size_t n = tpdu_encode(&ak, buf, sizeof buf);
    feed(&p.a, buf, n);
    assert_int_equal(p.a.last_er_cause, 2);
    pair_free(&p);
}

static void tpkt_split_across_reads(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, -1, -1);
    pair_connect(&p);
    send_tsdu(&p.a, (const uint8_t *)"HELLO", 5);
    uint8_t buf[64];
    const uint8_t *span[2];
    size_t len[2];
    conn_outq_peek(&p.a, span, len);
    size_t n = len[0];
    memcpy(buf, span[0], n);
    for (size_t cut = 0; cut < n; cut++) {
        assert_int_equal(conn_input(&p.b, buf, cut, 0), 0);
    }
    assert_int_equal(conn_input(&p.b, buf, n, 0), n);
    assert_int_equal(conn_rx_next_len(&p.b), 5);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cr_cc_class2_default_with_connect_data),
        cmocka_unit_test(cr_default_class2_alt0_carries_c6_01_00),
        cmocka_unit_test(cr_class2_only_carries_c6_01_00),
        cmocka_unit_test(cr_class0_only_has_no_c6),
        cmocka_unit_test(cc_selecting_class0_has_no_c6),
        cmocka_unit_test(cc_selecting_class2_carries_c6_01_00),
        cmocka_unit_test(cr_class0_default_size_has_c0_only),
        cmocka_unit_test(tpdu_log_keeps_the_last_64_with_the_count_lost),
        cmocka_unit_test(cr_class0_asked_size_carries_f0),
        cmocka_unit_test(default_cr_refused_for_parameters_allows_fallback),
        cmocka_unit_test(other_refusals_or_forced_class_never_fall_back),
        cmocka_unit_test(class0_forced_by_initiator),
        cmocka_unit_test(class2_with_alt_to_class0_only_responder),
        cmocka_unit_test(class2_mandatory_refused_by_class0_responder),
        cmocka_unit_test(class0_cc_to_class2_only_cr_is_rejected),
        cmocka_unit_test(cc_with_bigger_size_than_proposed_is_rejected),
        cmocka_unit_test(tpdu_size_negotiated_to_smaller),
        cmocka_unit_test(called_tsap_mismatch_refused_reason_3),
        cmocka_unit_test(reject_with_data_reaches_initiator),
        cmocka_unit_test(connect_data_over_32_is_msgsize),
        cmocka_unit_test(cr_timer_times_out),
        cmocka_unit_test(connect_twice_is_refused),
        cmocka_unit_test(tsdu_segmented_and_reassembled),
        cmocka_unit_test(tsdu_over_limit_aborts_dr133),
        cmocka_unit_test(receive_store_is_bounded),
        cmocka_unit_test(dt_larger_than_tpdu_size_aborts),
        cmocka_unit_test(dr_dc_class2_with_64_octets),
        cmocka_unit_test(disconnect_65_octets_no_side_effect),
        cmocka_unit_test(disconnect_not_connected),
        cmocka_unit_test(dr_collision_class2),
        cmocka_unit_test(spurious_dr_answered_with_dc),
        cmocka_unit_test(unexpected_dc_is_ignored),
        cmocka_unit_test(dc_timer_releases),
        cmocka_unit_test(data_after_our_dr_still_delivered),
        cmocka_unit_test(class0_release_dr_then_close),
        cmocka_unit_test(class0_data_after_our_dr_still_delivered),
        cmocka_unit_test(outq_stage_commit_withdraw),
        cmocka_unit_test(outq_expand_then_restore),
        cmocka_unit_test(abort_after_partial_tsdu_sends_dr),
        cmocka_unit_test(tcp_end_is_disconnect_without_data),
        cmocka_unit_test(bad_tpkt_version_closes_at_once),
        cmocka_unit_test(bad_tpkt_length_closes_at_once),
        cmocka_unit_test(li_past_packet_class2_dr138),
        cmocka_unit_test(li_past_packet_class0_er_cause0),
        cmocka_unit_test(unknown_code_er_cause2),
        cmocka_unit_test(parameter_overrun_in_cr),
        cmocka_unit_test(dt_before_cc_er_cause2),
        cmocka_unit_test(dt_before_cr_er_cause2),
        cmocka_unit_test(cr_with_nonzero_dst_ref_er_cause3),
        cmocka_unit_test(mismatched_dst_ref_dr132),
        cmocka_unit_test(second_cr_dr133),
        cmocka_unit_test(er_received_class2_dr133_reset),
        cmocka_unit_test(er_received_class0_closes),
        cmocka_unit_test(ak_in_class2_er_cause2),
        cmocka_unit_test(tpkt_split_across_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
