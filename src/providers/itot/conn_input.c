/* SPDX-License-Identifier: MIT */
/* conn_input — what the peer's TPDUs do to a connection: TPKT framing, decode
 * errors (spec 10), and a state x TPDU-code dispatch table (spec 6, 7, 9). */
#include "conn_priv.h"

#include <string.h>

#include "wsp/itot.h"

/* One decoded TPDU with the raw bytes it came from (for ER's rejected header). */
struct in_tpdu {
    const struct tpdu *t;
    const uint8_t *raw;
    size_t raw_len;
};

typedef void (*in_handler)(struct conn *c, const struct in_tpdu *in, uint64_t now_ms);

static bool class2(const struct conn *c)
{
    return c->cls == 2;
}

/* Abort for a protocol error: class 2 answers with a DR, class 0 (and a
 * connection whose class is not known yet) with an ER (spec 10). */
static void abort_dr(struct conn *c, uint8_t reason)
{
    conn_emit_dr(c, c->remote_ref, c->local_ref, reason, NULL, 0);
    conn_finish(c, WSAECONNABORTED, CONN_EV_ABORTED, false);
}

static void abort_er(struct conn *c, uint8_t cause, const uint8_t *raw, size_t rej_len)
{
    conn_emit_er(c, cause, raw, rej_len);
    conn_finish(c, WSAECONNABORTED, CONN_EV_ABORTED, false);
}

/* Length errors: DR 138 in class 2, ER cause 0 otherwise. */
static void abort_length(struct conn *c, const uint8_t *raw, size_t rej_len)
{
    if (class2(c))
        abort_dr(c, WSP_ITOT_DR_LENGTH_INVALID);
    else
        abort_er(c, 0, raw, rej_len);
}

/* Value errors once the connection runs: DR 133 in class 2, ER cause 0 otherwise. */
static void abort_protocol(struct conn *c, const uint8_t *raw, size_t rej_len)
{
    if (class2(c))
        abort_dr(c, WSP_ITOT_DR_PROTOCOL_ERROR);
    else
        abort_er(c, 0, raw, rej_len);
}

/* A TPDU this state or class does not allow: ER cause 2 with the header up
 * to the code (spec 10, row 3). */
static void on_invalid(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)now_ms;
    abort_er(c, 2, in->raw, in->raw_len < 2 ? in->raw_len : 2);
}

static void on_ignore(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)c, (void)in, (void)now_ms;
}

static bool offered(const struct tpdu *t, int cls)
{
    if ((t->class_opt >> 4) == cls)
        return true;
    for (unsigned i = 0; i < t->n_alt_classes && i < 4; i++)
        if ((t->alt_classes[i] >> 4) == cls)
            return true;
    return false;
}

/* Responder: the class to select for a CR, -1 if none fits (spec 5 table). */
static int select_class(const struct conn *c, const struct tpdu *t)
{
    bool can2 = c->cfg.class_pref != 0, can0 = c->cfg.class_pref != 2;
    int pref = t->class_opt >> 4;
    if (pref == 0)
        return can0 ? 0 : -1; /* a class 0 CR has no alternatives */
    if (can2 && offered(t, 2))
        return 2;
    if (can0 && offered(t, 0))
        return 0;
    return -1;
}

static void refuse_cr(struct conn *c, uint16_t peer_ref, uint8_t reason)
{
    conn_emit_dr(c, peer_ref, 0, reason, NULL, 0);
    conn_finish(c, WSAECONNREFUSED, CONN_EV_ABORTED, false);
}

static void on_cr(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)now_ms;
    const struct tpdu *t = in->t;
    if (t->dst_ref != 0 || t->src_ref == 0 || (t->class_opt >> 4) > 4) {
        c->remote_ref = t->src_ref;
        abort_er(c, 3, in->raw, in->raw_len < 7 ? in->raw_len : 7);
        return;
    }
    int cls = select_class(c, t);
    if (cls < 0) {
        refuse_cr(c, t->src_ref, WSP_ITOT_DR_NEGOTIATION_FAILED);
        return;
    }
    /* Called TSEL against the listening TSEL (spec 6, responder 2). */
    if (c->cfg.calling_len > 0 && (!t->has_called || t->called_len != c->cfg.calling_len ||
                                   memcmp(t->called, c->cfg.calling, t->called_len) != 0)) {
        refuse_cr(c, t->src_ref, WSP_ITOT_DR_ADDRESS_UNKNOWN);
        return;
    }
    /* TPDU size (spec 6): F0 answered with F0, C0 with C0, none with C0 8192. */
    uint32_t want = c->cfg.tpdu_size, prop;
    if (t->has_pref_size && t->pref_size_units > 0) {
        prop = t->pref_size_units > TPDU_MAX_LEN / 128 ? TPDU_MAX_LEN : t->pref_size_units * 128;
        c->size_by_f0 = true;
    } else if (t->has_tpdu_size) {
        prop = tpdu_size_from_code(t->tpdu_size_code);
    } else {
        prop = 8192;
    }
    if (prop < CONN_MIN_TPDU_SIZE) {
        c->remote_ref = t->src_ref;
        abort_er(c, 3, in->raw, in->raw_len < 7 ? in->raw_len : 7);
        return;
    }
    uint32_t size = prop < want ? prop : want;
    if (c->size_by_f0) {
        size = size / 128 * 128;
    } else {
        uint32_t p2 = CONN_MIN_TPDU_SIZE;
        while (p2 * 2 <= size && p2 < 8192)
            p2 *= 2;
        size = p2;
    }
    c->tpdu_max = size;
    c->cls = cls;
    c->remote_ref = t->src_ref;
    c->peer_conn_data_len =
        (uint8_t)(t->data_len > TPDU_MAX_CONN_DATA ? TPDU_MAX_CONN_DATA : t->data_len);
    conn_copy(c->peer_conn_data, t->data, c->peer_conn_data_len);
    c->peer_calling_len = t->has_calling ? t->calling_len : 0;
    conn_copy(c->peer_calling, t->calling, c->peer_calling_len);
    c->peer_called_len = t->has_called ? t->called_len : 0;
    conn_copy(c->peer_called, t->called, c->peer_called_len);
    c->state = CONN_S_CR_RCVD;
    c->deadline_ms = 0;
    c->events |= CONN_EV_CR_RECEIVED;
}

/* A CC that breaks what we proposed: DR 130, refused (spec 5 "interop trap"). */
static void cc_negotiation_failed(struct conn *c)
{
    conn_emit_dr(c, c->remote_ref, c->local_ref, WSP_ITOT_DR_NEGOTIATION_FAILED, NULL, 0);
    conn_finish(c, WSAECONNREFUSED, CONN_EV_REFUSED, false);
}

static void on_cc(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)now_ms;
    const struct tpdu *t = in->t;
    c->remote_ref = t->src_ref;
    if (t->dst_ref != c->local_ref) {
        conn_emit_dr(c, c->remote_ref, c->local_ref, WSP_ITOT_DR_MISMATCHED_REF, NULL, 0);
        conn_finish(c, WSAECONNABORTED, CONN_EV_ABORTED, false);
        return;
    }
    int cls = t->class_opt >> 4;
    bool allowed = (cls == 2 && c->cfg.class_pref != 0) || (cls == 0 && c->cfg.class_pref != 2);
    if (!allowed || (t->class_opt & 0x02) || (t->has_add_options && (t->add_options & 0x01))) {
        cc_negotiation_failed(c);
        return;
    }
    uint32_t proposed = conn_proposed_size(c), size = proposed;
    if (t->has_pref_size && t->pref_size_units > 0)
        size = t->pref_size_units > TPDU_MAX_LEN / 128 ? TPDU_MAX_LEN : t->pref_size_units * 128;
    else if (t->has_tpdu_size)
        size = tpdu_size_from_code(t->tpdu_size_code);
    if (size < CONN_MIN_TPDU_SIZE || size > proposed) {
        cc_negotiation_failed(c);
        return;
    }
    c->cls = cls;
    c->tpdu_max = size;
    c->peer_conn_data_len =
        (uint8_t)(t->data_len > TPDU_MAX_CONN_DATA ? TPDU_MAX_CONN_DATA : t->data_len);
    conn_copy(c->peer_conn_data, t->data, c->peer_conn_data_len);
    c->peer_calling_len = t->has_calling ? t->calling_len : 0;
    conn_copy(c->peer_calling, t->calling, c->peer_calling_len);
    c->peer_called_len = t->has_called ? t->called_len : 0;
    conn_copy(c->peer_called, t->called, c->peer_called_len);
    c->state = CONN_S_OPEN;
    c->deadline_ms = 0;
    c->events |= CONN_EV_CONNECTED;
}

static void keep_dr(struct conn *c, const struct tpdu *t)
{
    c->peer_disc = true;
    c->peer_dr = true;
    c->disc_reason = t->reason;
    c->disc_data_len =
        (uint8_t)(t->data_len > TPDU_MAX_DISC_DATA ? TPDU_MAX_DISC_DATA : t->data_len);
    conn_copy(c->disc_data, t->data, c->disc_data_len);
}

/* DR reasons that say "your CR's parameters": a stack that does not know C6,
 * C7 or F0 refuses with one of these.  Other reasons (0, 3, 136, ...) refuse
 * the connection itself, which a second CR would only repeat. */
static bool dr_blames_parameters(uint8_t reason)
{
    return reason == WSP_ITOT_DR_NEGOTIATION_FAILED || reason == WSP_ITOT_DR_PROTOCOL_ERROR ||
           reason == WSP_ITOT_DR_LENGTH_INVALID;
}

/* Initiator: the CR was refused (spec 6 initiator 5); class 2 may confirm with a DC. */
static void on_dr_refused(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)now_ms;
    keep_dr(c, in->t);
    if (c->cfg.class_pref < 0 && dr_blames_parameters(in->t->reason)) {
        c->fb_kind = CONN_FB_DR;
        c->fb_code = in->t->reason;
    }
    if (c->cfg.class_pref != 0) {
        struct tpdu dc = {.code = TPDU_DC, .dst_ref = in->t->src_ref, .src_ref = c->local_ref};
        conn_emit(c, &dc);
    }
    conn_finish(c, WSAECONNREFUSED, CONN_EV_REFUSED, false);
}

static void on_er_connecting(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)now_ms;
    /* Every ER cause (0 not specified, 1 parameter code, 2 TPDU type, 3
     * parameter value) says the peer could not take our CR as it was. */
    if (c->role == CONN_INITIATOR && c->cfg.class_pref < 0) {
        c->fb_kind = CONN_FB_ER;
        c->fb_code = in->t->cause;
    }
    conn_finish(c, WSAECONNRESET, CONN_EV_ABORTED, false);
}

/* Class 2 TPDUs must carry our reference (spec 7.3). */
static bool ref_ok(struct conn *c, const struct tpdu *t)
{
    if (!class2(c) || t->dst_ref == c->local_ref)
        return true;
    abort_dr(c, WSP_ITOT_DR_MISMATCHED_REF);
    return false;
}

static void on_dt(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)now_ms;
    const struct tpdu *t = in->t;
    if (t->dst_ref_present != class2(c)) {
        abort_length(c, in->raw, 1); /* LI of the other class's format */
        return;
    }
    if (!ref_ok(c, t))
        return;
    if (in->raw_len > c->tpdu_max) {
        abort_protocol(c, in->raw, 2);
        return;
    }
    if (conn_store_append(c, t->data, t->data_len, t->eot) != 0)
        abort_protocol(c, in->raw, 2); /* TSDU over the configured limit */
}

/* The peer releases (spec 9.1, 9.2 receiver of DR). */
static void on_dr(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)now_ms;
    const struct tpdu *t = in->t;
    if (class2(c)) {
        struct tpdu dc = {.code = TPDU_DC, .dst_ref = t->src_ref, .src_ref = t->dst_ref};
        if (t->dst_ref != c->local_ref) {
            conn_emit(c, &dc); /* spurious DR: confirm it, not an error (spec 9.2) */
            return;
        }
        keep_dr(c, t);
        conn_emit(c, &dc);
    } else {
        keep_dr(c, t);
    }
    conn_finish(c, 0, CONN_EV_DISCONNECTED, false);
}

/* Our DR is out: the peer's DR is a collision and counts as the confirmation. */
static void on_dr_collision(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)now_ms;
    if (class2(c) && in->t->dst_ref != c->local_ref) {
        struct tpdu dc = {.code = TPDU_DC, .dst_ref = in->t->src_ref, .src_ref = in->t->dst_ref};
        conn_emit(c, &dc);
        return;
    }
    keep_dr(c, in->t);
    conn_finish(c, 0, CONN_EV_DISCONNECTED | CONN_EV_RELEASED, false);
}

static void on_dc(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)now_ms;
    if (!class2(c)) {
        on_invalid(c, in, now_ms);
        return;
    }
    if (c->state == CONN_S_DR_SENT && in->t->dst_ref == c->local_ref)
        conn_finish(c, 0, CONN_EV_RELEASED, false);
    /* Otherwise a DC we are not waiting for: ignored (spec 9.2). */
}

static void on_er(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)in, (void)now_ms;
    if (class2(c))
        conn_emit_dr(c, c->remote_ref, c->local_ref, WSP_ITOT_DR_PROTOCOL_ERROR, NULL, 0);
    conn_finish(c, WSAECONNRESET, CONN_EV_ABORTED, false);
}

static void on_er_releasing(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)in, (void)now_ms;
    conn_finish(c, 0, CONN_EV_RELEASED, false);
}

/* A second CR on a running connection: no multiplexing (spec 10). */
static void on_cr_again(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)in, (void)now_ms;
    abort_dr(c, WSP_ITOT_DR_PROTOCOL_ERROR);
}

/* The pending peer gave up before the user accepted. */
static void on_dr_pending(struct conn *c, const struct in_tpdu *in, uint64_t now_ms)
{
    (void)now_ms;
    keep_dr(c, in->t);
    conn_finish(c, WSAECONNRESET, CONN_EV_ABORTED, false);
}

#define CODE_IDX(code) ((code) >> 4)

/* NULL: not allowed here (ER cause 2).  Rows are states, columns TPDU codes. */
static const in_handler dispatch[CONN_S__COUNT][16] = {
    [CONN_S_WAIT_CR] = {[CODE_IDX(TPDU_CR)] = on_cr},
    [CONN_S_CR_SENT] =
        {
            [CODE_IDX(TPDU_CC)] = on_cc,
            [CODE_IDX(TPDU_DR)] = on_dr_refused,
            [CODE_IDX(TPDU_ER)] = on_er_connecting,
        },
    [CONN_S_CR_RCVD] =
        {
            [CODE_IDX(TPDU_DR)] = on_dr_pending,
            [CODE_IDX(TPDU_ER)] = on_er_connecting,
        },
    [CONN_S_OPEN] =
        {
            [CODE_IDX(TPDU_DT)] = on_dt,
            [CODE_IDX(TPDU_DR)] = on_dr,
            [CODE_IDX(TPDU_DC)] = on_dc,
            [CODE_IDX(TPDU_ER)] = on_er,
            [CODE_IDX(TPDU_CR)] = on_cr_again,
        },
    /* Until the DC: DTs the peer sent before it saw our DR are still delivered
     * (nothing lost); other TPDUs are ignored (spec 9.2 step 2). */
    [CONN_S_DR_SENT] =
        {
            [CODE_IDX(TPDU_CR)] = on_ignore,
            [CODE_IDX(TPDU_CC)] = on_ignore,
            [CODE_IDX(TPDU_DT)] = on_dt,
            [CODE_IDX(TPDU_DR)] = on_dr_collision,
            [CODE_IDX(TPDU_DC)] = on_dc,
            [CODE_IDX(TPDU_ER)] = on_er_releasing,
            [CODE_IDX(TPDU_ED)] = on_ignore,
            [CODE_IDX(TPDU_EA)] = on_ignore,
            [CODE_IDX(TPDU_AK)] = on_ignore,
            [CODE_IDX(TPDU_RJ)] = on_ignore,
        },
};

/* A TPDU the codec rejected (spec 10 rows 2-3 and the length/value rows). */
static void on_decode_error(struct conn *c, enum tpdu_status st, const uint8_t *raw, size_t n,
                            size_t err_off)
{
    size_t rej = err_off + 1 < n ? err_off + 1 : n;
    switch (st) {
    case TPDU_E_CODE:
        abort_er(c, 2, raw, rej);
        break;
    case TPDU_E_PARAM_VALUE:
        if (c->state == CONN_S_WAIT_CR || c->state == CONN_S_CR_SENT)
            abort_er(c, 3, raw, rej);
        else
            abort_protocol(c, raw, rej);
        break;
    case TPDU_E_DATA_LEN:
        abort_protocol(c, raw, rej);
        break;
    default: /* SHORT, LI, PARAM_LEN: header or parameter length invalid */
        abort_length(c, raw, rej);
        break;
    }
}

/* TPDUs that carry no user data and may be followed by another in the same
 * TPKT (class 2 concatenation, spec 7.4). */
static bool may_precede(uint8_t code)
{
    return code == TPDU_DC || code == TPDU_EA || code == TPDU_ER || code == TPDU_AK;
}

static void handle_tpkt(struct conn *c, const uint8_t *p, size_t n, uint64_t now_ms)
{
    size_t off = 0;
    while (off < n && c->state != CONN_S_CLOSED) {
        struct tpdu t;
        size_t used = 0, err_off = 0;
        enum tpdu_status st = tpdu_decode(p + off, n - off, &t, &used, &err_off);
        conn_log_tpdu(c, 1, p + off, st == TPDU_OK ? used : n - off);
        if (st != TPDU_OK) {
            on_decode_error(c, st, p + off, n - off, err_off);
            return;
        }
        struct in_tpdu in = {.t = &t, .raw = p + off, .raw_len = n - off};
        in_handler h = dispatch[c->state][CODE_IDX(t.code) & 15];
        (h ? h : on_invalid)(c, &in, now_ms);
        if (!class2(c) || !may_precede(t.code) || used == 0 || used >= n - off)
            return;
        off += used;
    }
}

/* The memory handling a TPKT may need, taken before any of it is handled,
 * so a shortage leaves the TPKT unconsumed (and the connection as it was)
 * instead of losing it: room in the receive store for a DT's data; for any
 * other TPDU, the output queue's buffer (an answer: DC, ER, DR).  A DT's
 * protocol errors answer too; without a buffer they close TCP at once. */
static int tpkt_reserve(struct conn *c, const uint8_t *p, size_t len)
{
    if (len > TPKT_HDR_LEN + 1 && (p[TPKT_HDR_LEN + 1] & 0xF0) == TPDU_DT)
        return conn_rx_reserve(c, len - TPKT_HDR_LEN);
    return conn_outq_reserve(c);
}

size_t conn_input(struct conn *c, const uint8_t *p, size_t n, uint64_t now_ms)
{
    size_t done = 0;
    c->starved = false;
    while (done < n) {
        if (c->state == CONN_S_CLOSED || c->state == CONN_S_IDLE) {
            done = n; /* nothing more is read from a finished connection */
            break;
        }
        if (!conn_rx_has_room(c))
            break;
        size_t len = 0;
        enum tpkt_status st = tpkt_peek(p + done, n - done, &len);
        if (st == TPKT_NEED_MORE)
            break;
        if (st == TPKT_BAD) {
            /* Cannot resynchronise: close TCP at once (spec 10 row 1). */
            conn_finish(c, WSAECONNABORTED, CONN_EV_ABORTED, true);
            done = n;
            break;
        }
        if (tpkt_reserve(c, p + done, len) != 0) {
            c->starved = true;
            break;
        }
        handle_tpkt(c, p + done + TPKT_HDR_LEN, len - TPKT_HDR_LEN, now_ms);
        done += len;
    }
    /* Whatever was reserved and not used goes back. */
    conn_rx_drop(c);
    conn_outq_shrink(c);
    return done;
}
