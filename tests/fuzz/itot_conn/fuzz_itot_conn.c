/* SPDX-License-Identifier: MIT */
/* libFuzzer target over the itot connection state machine (conn.h).
 *
 * The input is a script: one configuration octet, then operations, each an
 * opcode octet followed by its arguments.  A fresh connection (initiator or
 * responder, class preference 2+0 / 0 / 2, a TPDU size, tight or loose limits)
 * runs the script; the fuzz input plays both the peer (raw TCP bytes, framed
 * TPDUs, or well-formed TPDUs built with the codec and the right references)
 * and the glue (user requests, sends, reads, output drains, time, TCP end),
 * behaving as the glue must: it only reads TCP when conn_rx_has_room, keeps
 * unconsumed bytes, and only pushes DTs that fit the queue.
 *
 * Checked after every step: conn_check() holds, the state is valid, memory stays
 * within the configured caps (output queue fixed, receive store <= its limit),
 * every octet the machine queues for the wire is a sequence of well-formed
 * TPKTs our decoder accepts (one TPDU each: we never concatenate), and nothing
 * but control TPDUs follows a DR. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_check.h"
#include "providers/itot/conn.h"

enum op {
    OP_RAW,        /* u16 len, bytes: TCP bytes from the peer */
    OP_FRAMED,     /* u8 len, bytes: one TPDU body, wrapped in a TPKT */
    OP_PEER,       /* u8 kind, u8 flags, u8 len: a well-formed TPDU built with the codec */
    OP_CONNECT,    /* u8 len */
    OP_ACCEPT,     /* u8 len */
    OP_REJECT,     /* u8 reason, u8 len */
    OP_DISCONNECT, /* u8 len */
    OP_EOF,
    OP_TIME,  /* u8 seconds to advance, then conn_timer */
    OP_SEND,  /* u16 len: a TSDU from the user, cut into DTs by the glue */
    OP_DRAIN, /* u8: how much of the output queue TCP takes (255: all) */
    OP_READ,  /* u16: octets the user reads */
    OP_EVENTS,
    OP__COUNT
};

#define PEER_REF 0x0BEE
#define PENDING_CAP (2 * (size_t)TPKT_MAX_LEN)

struct cursor {
    const uint8_t *p;
    size_t n;
};

static uint8_t cur_u8(struct cursor *c)
{
    if (c->n == 0)
        return 0;
    c->n--;
    return *c->p++;
}

static uint16_t cur_u16(struct cursor *c)
{
    uint16_t hi = cur_u8(c);
    return (uint16_t)(hi << 8 | cur_u8(c));
}

/* Up to want octets of payload from the input (fewer if it runs out). */
static const uint8_t *cur_bytes(struct cursor *c, size_t want, size_t *got)
{
    *got = want < c->n ? want : c->n;
    const uint8_t *p = c->p;
    c->p += *got;
    c->n -= *got;
    return p;
}

struct harness {
    struct conn c;
    uint64_t now;
    /* TCP bytes read by the glue but not yet consumed by conn_input. */
    uint8_t pending[PENDING_CAP];
    size_t pending_len;
    /* The wire as drained so far, parsed TPKT by TPKT. */
    uint8_t wire[PENDING_CAP];
    size_t wire_len;
    bool dr_seen;
    size_t outq_cap0;
};

static void check(struct harness *h)
{
    const struct conn *c = &h->c;
    FUZZ_CHECK(conn_check(c));
    FUZZ_CHECK((unsigned)c->state < CONN_S__COUNT);
    FUZZ_CHECK(strcmp(conn_state_name(c->state), "?") != 0);
    /* the output queue never grows; it holds its buffer only while it has bytes */
    FUZZ_CHECK(c->outq.cap == (c->outq.len > 0 ? h->outq_cap0 : 0));
    FUZZ_CHECK(c->outq.len <= c->outq.cap);
    FUZZ_CHECK(c->rx.cap <= c->rx_limit + 16384);
    FUZZ_CHECK(c->rx_limit <= (size_t)c->cfg.max_tsdu + 2 * (size_t)TPKT_MAX_LEN);
    FUZZ_CHECK(c->disc_data_len <= TPDU_MAX_DISC_DATA);
    if (c->state == CONN_S_OPEN)
        FUZZ_CHECK(c->cls == 0 || c->cls == 2);
}

/* Feed what the glue has read; it keeps what was not consumed. */
static void feed(struct harness *h, const uint8_t *p, size_t n)
{
    if (n > PENDING_CAP - h->pending_len)
        n = PENDING_CAP - h->pending_len; /* the glue's read buffer is full */
    memcpy(h->pending + h->pending_len, p, n);
    h->pending_len += n;
    if (!conn_rx_has_room(&h->c) && h->c.state != CONN_S_CLOSED)
        return; /* the glue does not read while the store is full */
    size_t used = conn_input(&h->c, h->pending, h->pending_len, h->now);
    FUZZ_CHECK(used <= h->pending_len);
    memmove(h->pending, h->pending + used, h->pending_len - used);
    h->pending_len -= used;
}

/* Every TPKT the machine queued must decode; after our DR only control TPDUs. */
static void parse_wire(struct harness *h)
{
    size_t off = 0;
    for (;;) {
        size_t len = 0;
        enum tpkt_status st = tpkt_peek(h->wire + off, h->wire_len - off, &len);
        FUZZ_CHECK(st != TPKT_BAD);
        if (st != TPKT_OK)
            break;
        struct tpdu t;
        size_t used = 0;
        FUZZ_CHECK(tpdu_decode(h->wire + off + TPKT_HDR_LEN, len - TPKT_HDR_LEN, &t, &used, NULL) ==
                   TPDU_OK);
        FUZZ_CHECK(used == len - TPKT_HDR_LEN); /* one TPDU per TPKT */
        FUZZ_CHECK(t.code != TPDU_AK);          /* ITOT forbids explicit flow control */
        if (h->dr_seen)
            FUZZ_CHECK(t.code != TPDU_DT && t.code != TPDU_ED && t.code != TPDU_CR &&
                       t.code != TPDU_CC);
        if (t.code == TPDU_DR)
            h->dr_seen = true;
        if (t.code == TPDU_DR || t.code == TPDU_CR || t.code == TPDU_CC)
            FUZZ_CHECK(t.data_len <= TPDU_MAX_DISC_DATA);
        off += len;
    }
    memmove(h->wire, h->wire + off, h->wire_len - off);
    h->wire_len -= off;
}

static void drain(struct harness *h, size_t max)
{
    while (max > 0 && conn_outq_len(&h->c) > 0) {
        const uint8_t *span[2];
        size_t span_len[2];
        int k = conn_outq_peek(&h->c, span, span_len);
        FUZZ_CHECK(k >= 1 && k <= 2);
        size_t take = span_len[0] < max ? span_len[0] : max;
        FUZZ_CHECK(take <= sizeof h->wire - h->wire_len);
        memcpy(h->wire + h->wire_len, span[0], take);
        h->wire_len += take;
        conn_outq_consume(&h->c, take);
        max -= take;
        parse_wire(h);
    }
}

/* A TPDU as a well-behaved (or subtly wrong, per flags) peer would build it. */
static void peer_tpdu(struct harness *h, struct cursor *in)
{
    static const uint8_t kinds[] = {TPDU_CR, TPDU_CC, TPDU_DR, TPDU_DC, TPDU_DT,
                                    TPDU_ED, TPDU_EA, TPDU_ER, TPDU_AK};
    uint8_t kind = kinds[cur_u8(in) % sizeof kinds];
    uint8_t flags = cur_u8(in);
    size_t len;
    const uint8_t *data = cur_bytes(in, cur_u8(in) % 80, &len);
    const struct conn *c = &h->c;
    /* flags bit 7: wrong references; bits 0-1: class / format choice. */
    uint16_t to_us = (flags & 0x80) ? (uint16_t)(c->local_ref + 1) : c->local_ref;
    struct tpdu t = {.code = kind, .data = len ? data : NULL, .data_len = len};
    bool cls2 = (flags & 1) ? c->cls != 2 : c->cls == 2;
    switch (kind) {
    case TPDU_CR:
    case TPDU_CC:
        t.dst_ref = kind == TPDU_CC ? to_us : 0;
        t.src_ref = PEER_REF;
        t.class_opt = (flags & 2) ? 0x21 : 0x00;
        if (flags & 4) {
            t.n_alt_classes = 1;
            t.alt_classes[0] = 0x00;
        }
        if (flags & 8) {
            t.has_tpdu_size = true;
            t.tpdu_size_code = (uint8_t)(7 + (flags >> 4) % 10);
        }
        if (flags & 0x40) {
            t.has_add_options = true;
            t.add_options = flags & 0x21;
        }
        t.has_called = c->cfg.called_len > 0 || c->cfg.calling_len > 0;
        t.called_len = kind == TPDU_CR ? c->cfg.calling_len : c->cfg.called_len;
        memcpy(t.called, kind == TPDU_CR ? c->cfg.calling : c->cfg.called, t.called_len);
        if (t.data_len > TPDU_MAX_CONN_DATA)
            t.data_len = TPDU_MAX_CONN_DATA;
        break;
    case TPDU_DR:
        t.dst_ref = to_us;
        t.src_ref = (flags & 2) ? 0 : PEER_REF;
        t.reason = (flags & 4) ? 130 : 128;
        if (t.data_len > TPDU_MAX_DISC_DATA)
            t.data_len = TPDU_MAX_DISC_DATA;
        break;
    case TPDU_DC:
        t.dst_ref = to_us;
        t.src_ref = PEER_REF;
        t.data = NULL;
        t.data_len = 0;
        break;
    case TPDU_DT:
    case TPDU_ED:
        t.dst_ref_present = cls2;
        t.dst_ref = cls2 ? to_us : 0;
        t.eot = kind == TPDU_ED || (flags & 2) == 0;
        if (kind == TPDU_ED) {
            if (t.data_len == 0) {
                t.data = (const uint8_t *)"!";
                t.data_len = 1;
            }
            if (t.data_len > TPDU_MAX_ED_DATA)
                t.data_len = TPDU_MAX_ED_DATA;
        }
        break;
    default: /* EA, ER, AK */
        t.dst_ref = to_us;
        t.cause = flags & 3;
        t.data = NULL;
        t.data_len = 0;
        break;
    }
    uint8_t buf[TPKT_HDR_LEN + TPDU_MAX_LI + 1 + 80];
    size_t n = tpdu_encode(&t, buf, sizeof buf);
    FUZZ_CHECK(n > 0);
    feed(h, buf, n);
}

/* The glue's send path: TSDU cut into DTs that fit the negotiated size. */
static void user_send(struct harness *h, size_t len)
{
    static uint8_t payload[4096];
    if (conn_can_send(&h->c) != 0)
        return;
    size_t max = conn_dt_max_data(&h->c);
    FUZZ_CHECK(max > 0);
    size_t segs = len == 0 ? 1 : (len + max - 1) / max;
    if (len + segs * TPDU_DT_HDR_MAX > conn_outq_room(&h->c))
        return; /* would block; the glue waits for the queue to drain */
    size_t off = 0;
    do {
        size_t n = len - off < max ? len - off : max;
        uint8_t hdr[TPDU_DT_HDR_MAX];
        size_t hl = conn_dt_header(&h->c, off + n == len, n, hdr);
        FUZZ_CHECK(hl == 7 || hl == 9);
        conn_outq_push(&h->c, hdr, hl);
        for (size_t done = 0; done < n;) {
            size_t k = n - done < sizeof payload ? n - done : sizeof payload;
            memset(payload, 'a' + (int)(off % 26), k);
            conn_outq_push(&h->c, payload, k);
            done += k;
        }
        off += n;
    } while (off < len);
}

static void user_read(struct harness *h, size_t want)
{
    while (want > 0 && conn_rx_ready(&h->c)) {
        const uint8_t *span[2];
        size_t span_len[2];
        size_t left = conn_rx_next_len(&h->c);
        int k = conn_rx_peek(&h->c, span, span_len);
        FUZZ_CHECK(k >= 0 && k <= 2);
        FUZZ_CHECK((k == 0 ? 0 : span_len[0] + (k == 2 ? span_len[1] : 0)) == left);
        size_t take = left < want ? left : want;
        if (take == 0) {
            conn_rx_consume(&h->c, 0); /* an empty TSDU is read by taking nothing */
            want--;
            continue;
        }
        conn_rx_consume(&h->c, take);
        want -= take;
    }
}

static const uint8_t tsel_a[] = {1, 0}, tsel_b[] = {1, 2};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t sizes[] = {128, 2048, 8192, 65531};
    struct cursor in = {data, size};
    uint8_t cfgb = cur_u8(&in);
    struct conn_cfg cfg;
    conn_cfg_default(&cfg);
    enum conn_role role = (cfgb & 1) ? CONN_RESPONDER : CONN_INITIATOR;
    static const int prefs[] = {-1, 0, 2, -1};
    cfg.class_pref = prefs[(cfgb >> 1) & 3];
    cfg.tpdu_size = sizes[(cfgb >> 3) & 3];
    /* Tight limits reach the caps quickly; loose ones stay well above a test's data. */
    cfg.max_tsdu = (cfgb & 0x20) ? 1000 : 64 * 1024;
    cfg.outq_cap = (cfgb & 0x20) ? 2048 : 64 * 1024;
    if (cfgb & 0x40) {
        /* Spec 11's TSELs: the initiator calls 01 02 from 01 00; a responder
         * listens on 01 02. */
        const uint8_t *own = role == CONN_INITIATOR ? tsel_a : tsel_b;
        memcpy(cfg.calling, own, 2);
        cfg.calling_len = 2;
        memcpy(cfg.called, tsel_b, sizeof tsel_b);
        cfg.called_len = sizeof tsel_b;
    }
    cfg.cr_timeout_ms = (cfgb & 0x80) ? 0 : 5000;

    static struct harness h;
    memset(&h, 0, offsetof(struct harness, pending));
    h.pending_len = h.wire_len = 0;
    h.dr_seen = false;
    h.now = 1000;
    if (conn_init(&h.c, role, &cfg, 0x0042) != 0)
        return 0;
    h.outq_cap0 = h.c.outq.size; /* the buffer it takes when it has bytes */
    check(&h);

    while (in.n > 0) {
        uint8_t op = cur_u8(&in) % OP__COUNT;
        size_t len;
        const uint8_t *p;
        int rc = 0;
        switch (op) {
        case OP_RAW:
            p = cur_bytes(&in, cur_u16(&in), &len);
            feed(&h, p, len);
            break;
        case OP_FRAMED: {
            uint8_t buf[TPKT_HDR_LEN + 255];
            p = cur_bytes(&in, cur_u8(&in), &len);
            buf[0] = TPKT_VERSION;
            buf[1] = 0;
            buf[2] = 0;
            buf[3] = (uint8_t)(len + TPKT_HDR_LEN);
            memcpy(buf + TPKT_HDR_LEN, p, len);
            feed(&h, buf, len + TPKT_HDR_LEN);
            break;
        }
        case OP_PEER:
            peer_tpdu(&h, &in);
            break;
        case OP_CONNECT:
            p = cur_bytes(&in, cur_u8(&in) % 40, &len);
            rc = conn_connect(&h.c, p, len, h.now);
            FUZZ_CHECK(len <= TPDU_MAX_CONN_DATA || rc != 0);
            break;
        case OP_ACCEPT:
            p = cur_bytes(&in, cur_u8(&in) % 40, &len);
            rc = conn_accept(&h.c, p, len);
            FUZZ_CHECK(len <= TPDU_MAX_CONN_DATA || rc != 0);
            break;
        case OP_REJECT: {
            uint8_t reason = cur_u8(&in);
            p = cur_bytes(&in, cur_u8(&in) % 80, &len);
            rc = conn_reject(&h.c, reason, p, len);
            FUZZ_CHECK(len <= TPDU_MAX_DISC_DATA || rc != 0);
            break;
        }
        case OP_DISCONNECT: {
            enum conn_state before = h.c.state;
            size_t q_before = conn_outq_len(&h.c);
            p = cur_bytes(&in, cur_u8(&in) % 80, &len);
            rc = conn_disconnect(&h.c, p, len, h.now);
            if (len > TPDU_MAX_DISC_DATA) /* D3/D1: refused with no side effect */
                FUZZ_CHECK(rc != 0 && h.c.state == before && conn_outq_len(&h.c) == q_before);
            break;
        }
        case OP_EOF:
            conn_eof(&h.c);
            break;
        case OP_TIME:
            h.now += (uint64_t)cur_u8(&in) * 1000;
            conn_timer(&h.c, h.now);
            break;
        case OP_SEND:
            user_send(&h, cur_u16(&in) % 20000);
            break;
        case OP_DRAIN: {
            uint8_t k = cur_u8(&in);
            drain(&h, k == 255 ? SIZE_MAX : (size_t)k * 37);
            break;
        }
        case OP_READ:
            user_read(&h, cur_u16(&in));
            break;
        case OP_EVENTS:
            (void)conn_take_events(&h.c);
            break;
        }
        check(&h);
    }
    drain(&h, SIZE_MAX);
    FUZZ_CHECK(h.wire_len < TPKT_HDR_LEN || tpkt_peek(h.wire, h.wire_len, NULL) != TPKT_BAD);
    check(&h);
    conn_free(&h.c);
    return 0;
}
