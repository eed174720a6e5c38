/* SPDX-License-Identifier: MIT */
/* conn — lifecycle and user requests of the itot state machine (see conn.h).
 * Input from the peer is in conn_input.c, the two stores in conn_store.c. */
#include "conn_priv.h"

#include <stdlib.h>
#include <string.h>

#include "wsp/itot.h"

/* Class negotiation input/output octet 7 values (spec 3, 5). */
#define CLASS_OPT_0 0x00
#define CLASS_OPT_2 0x21 /* class 2, no explicit flow control */

void conn_cfg_default(struct conn_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->class_pref = -1;
    cfg->tpdu_size = CONN_DEFAULT_TPDU_SIZE;
    cfg->max_tsdu = CONN_DEFAULT_MAX_TSDU;
    cfg->cr_timeout_ms = CONN_DEFAULT_CR_TIMEOUT_MS;
    cfg->dc_timeout_ms = CONN_DEFAULT_DC_TIMEOUT_MS;
    cfg->outq_cap = CONN_DEFAULT_OUTQ_CAP;
}

int conn_init(struct conn *c, enum conn_role role, const struct conn_cfg *cfg, uint16_t local_ref)
{
    memset(c, 0, sizeof(*c));
    c->role = role;
    c->state = role == CONN_INITIATOR ? CONN_S_IDLE : CONN_S_WAIT_CR;
    c->cfg = *cfg;
    if (c->cfg.tpdu_size < CONN_MIN_TPDU_SIZE)
        c->cfg.tpdu_size = CONN_MIN_TPDU_SIZE;
    if (c->cfg.tpdu_size > TPDU_MAX_LEN)
        c->cfg.tpdu_size = TPDU_MAX_LEN;
    if (c->cfg.calling_len > TPDU_MAX_TSAP)
        c->cfg.calling_len = TPDU_MAX_TSAP;
    if (c->cfg.called_len > TPDU_MAX_TSAP)
        c->cfg.called_len = TPDU_MAX_TSAP;
    c->cls = -1;
    c->local_ref = local_ref ? local_ref : 1;
    c->last_er_cause = 0xFF;
    c->rx_limit = (size_t)c->cfg.max_tsdu + TPKT_MAX_LEN + 8;
    /* No buffer yet: each ring takes one when it has bytes to hold. */
    ring_init(&c->outq, (size_t)c->cfg.outq_cap + CONN_OUTQ_CTRL_RESERVE);
    ring_init(&c->rx, CONN_RX_RING);
    /* Only when asked for: a log costs 3.5 KiB per connection. */
    if (c->cfg.log_tpdus && (c->log = calloc(1, sizeof *c->log)) == NULL)
        return -1;
    return 0;
}

void conn_free(struct conn *c)
{
    ring_free(&c->outq);
    ring_free(&c->rx);
    free(c->log);
    c->log = NULL;
}

void conn_log_tpdu(struct conn *c, int dir, const uint8_t *p, size_t len)
{
    struct conn_log *l = c->log;
    if (l == NULL || len == 0)
        return;
    if (l->count == CONN_LOG_ENTRIES) { /* full: the oldest goes ... */
        uint32_t lost = l->e[l->head].lost + 1u;
        l->head = (l->head + 1) % CONN_LOG_ENTRIES;
        l->count--;
        /* ... and the new oldest counts it, with those it had dropped. */
        lost += l->e[l->head].lost;
        l->e[l->head].lost = (uint16_t)(lost > 0xFFFF ? 0xFFFF : lost);
    }
    struct conn_log_entry *e = &l->e[(l->head + l->count) % CONN_LOG_ENTRIES];
    size_t h = (size_t)p[0] + 1 < len ? (size_t)p[0] + 1 : len; /* LI + 1: the header */
    if (h > CONN_LOG_HDR)
        h = CONN_LOG_HDR;
    e->dir = (uint8_t)dir;
    e->hdr_len = (uint8_t)h;
    e->lost = 0;
    e->tpdu_len = (uint32_t)len;
    memcpy(e->hdr, p, h);
    l->count++;
}

size_t conn_log_take(struct conn *c, struct conn_log_entry *out, size_t max)
{
    struct conn_log *l = c->log;
    size_t n = 0;
    while (l != NULL && l->count > 0 && n < max) {
        out[n++] = l->e[l->head];
        l->head = (l->head + 1) % CONN_LOG_ENTRIES;
        l->count--;
    }
    return n;
}

unsigned conn_take_events(struct conn *c)
{
    unsigned ev = c->events;
    c->events = 0;
    return ev;
}

void conn_emit(struct conn *c, const struct tpdu *t)
{
    uint8_t buf[TPKT_HDR_LEN + TPDU_MAX_LI + 1 + TPDU_MAX_DISC_DATA];
    size_t n = tpdu_encode(t, buf, sizeof(buf));
    if (n == 0)
        return; /* our own TPDUs are built within the limits; nothing sane to send */
    if (ring_need(&c->outq) != 0 || ring_room(&c->outq) < n) {
        /* Only a peer that never reads and keeps provoking answers gets here,
         * or a queue that could get no buffer (the user's requests make sure
         * of one first: only answers to the peer and aborts can meet this). */
        ring_drop(&c->outq);
        conn_finish(c, WSAECONNABORTED, CONN_EV_ABORTED, true);
        return;
    }
    ring_push(&c->outq, buf, n);
    conn_log_tpdu(c, 0, buf + TPKT_HDR_LEN, n - TPKT_HDR_LEN);
    c->events |= CONN_EV_OUTPUT;
}

void conn_emit_dr(struct conn *c, uint16_t dst, uint16_t src, uint8_t reason, const uint8_t *data,
                  size_t len)
{
    struct tpdu t = {.code = TPDU_DR, .dst_ref = dst, .src_ref = src, .reason = reason};
    t.data = data;
    t.data_len = len;
    c->last_sent_reason = reason;
    conn_emit(c, &t);
}

void conn_emit_er(struct conn *c, uint8_t cause, const uint8_t *rejected, size_t rejected_len)
{
    /* The rejected header is capped so that decoders (tshark: LI <= 8) still show it. */
    if (rejected_len > 2)
        rejected_len = 2;
    struct tpdu t = {.code = TPDU_ER, .dst_ref = c->remote_ref, .cause = cause};
    t.rejected = rejected;
    t.rejected_len = (uint8_t)rejected_len;
    c->last_er_cause = cause;
    conn_emit(c, &t);
}

void conn_finish(struct conn *c, int error, unsigned events, bool at_once)
{
    c->state = CONN_S_CLOSED;
    c->deadline_ms = 0;
    c->close_tcp = true;
    if (at_once)
        c->close_now = true;
    if (error && !c->error)
        c->error = error;
    c->events |= events;
}

/* Size parameters of a CR or CC for a TPDU size in octets: C0 with the largest
 * standard size not above it (at most 8192, spec 4), plus F0 when the size is
 * bigger than that. */
static void size_params(struct tpdu *t, uint32_t size, bool allow_f0)
{
    uint8_t k = 7;
    while (k < 13 && (1u << (k + 1)) <= size)
        k++;
    t->has_tpdu_size = true;
    t->tpdu_size_code = k;
    if (allow_f0 && size > (1u << k)) {
        t->has_pref_size = true;
        t->pref_size_units = size / 128;
    }
}

/* Whether our CR may carry F0.  A CR that offers class 0 only carries what
 * every RFC 1006 stack knows (TSAPs and C0): F0 only when the user asked for
 * a TPDU size above the largest C0 (8192).  A CR offering class 2 says F0
 * whenever the size needs it: RFC 2126 stacks know it, and the fall-back to
 * a plain class 0 CR covers the stacks that do not. */
static bool cr_allows_f0(const struct conn *c)
{
    return c->cfg.class_pref != 0 || c->cfg.tpdu_size_set;
}

/* The size our CR proposes, in octets, as the peer will read it. */
uint32_t conn_proposed_size(const struct conn *c)
{
    struct tpdu t = {0};
    size_params(&t, c->cfg.tpdu_size, cr_allows_f0(c));
    if (t.has_pref_size)
        return t.pref_size_units * 128;
    return 1u << t.tpdu_size_code;
}

int conn_connect(struct conn *c, const uint8_t *data, size_t len, uint64_t now_ms)
{
    if (c->role != CONN_INITIATOR)
        return WSAEINVAL;
    if (c->state == CONN_S_CR_SENT)
        return WSAEALREADY;
    if (c->state != CONN_S_IDLE)
        return WSAEISCONN; /* C12: no reuse after a connection */
    if (len > TPDU_MAX_CONN_DATA)
        return WSAEMSGSIZE;

    struct tpdu t = {.code = TPDU_CR, .src_ref = c->local_ref};
    t.class_opt = c->cfg.class_pref == 0 ? CLASS_OPT_0 : CLASS_OPT_2;
    if (c->cfg.class_pref < 0) {
        t.n_alt_classes = 1; /* class 0 as the fallback (spec 5) */
        t.alt_classes[0] = CLASS_OPT_0;
    }
    t.has_calling = c->cfg.calling_len > 0;
    t.calling_len = c->cfg.calling_len;
    conn_copy(t.calling, c->cfg.calling, c->cfg.calling_len);
    t.has_called = c->cfg.called_len > 0;
    t.called_len = c->cfg.called_len;
    conn_copy(t.called, c->cfg.called, c->cfg.called_len);
    size_params(&t, c->cfg.tpdu_size, cr_allows_f0(c));
    /* Explicit whenever class 2 is on offer, because ISO's default ("expedited
     * used") and RFC 2126's ("not used") differ there.  A class-0-only CR leaves
     * it out: class 0 has no expedited in ISO and RFC 1006 reads an absent C6
     * as "not used", so the meaning is the same, and plain RFC 1006 stacks
     * (iso-on-tcp among them) refuse a CR that carries it. */
    t.has_add_options = c->cfg.class_pref != 0;
    t.add_options = 0;
    t.data = data;
    t.data_len = len;

    uint8_t buf[TPKT_HDR_LEN + TPDU_MAX_CR_LEN];
    size_t n = tpdu_encode(&t, buf, sizeof(buf));
    if (n == 0)
        return WSAEINVAL;
    if (ring_need(&c->outq) != 0)
        return WSAENOBUFS;
    if (ring_room(&c->outq) < n) {
        ring_drop(&c->outq);
        return WSAEINVAL;
    }
    ring_push(&c->outq, buf, n);
    conn_log_tpdu(c, 0, buf + TPKT_HDR_LEN, n - TPKT_HDR_LEN);
    c->events |= CONN_EV_OUTPUT;
    conn_copy(c->conn_data, data, len);
    c->conn_data_len = (uint8_t)len;
    c->state = CONN_S_CR_SENT;
    c->deadline_ms = c->cfg.cr_timeout_ms ? now_ms + c->cfg.cr_timeout_ms : 0;
    return 0;
}

int conn_accept(struct conn *c, const uint8_t *data, size_t len)
{
    if (c->state != CONN_S_CR_RCVD)
        return c->state == CONN_S_CLOSED ? WSAECONNRESET : WSAEINVAL;
    if (len > TPDU_MAX_CONN_DATA)
        return WSAEMSGSIZE;
    if (ring_need(&c->outq) != 0)
        return WSAENOBUFS; /* before anything changed: the CR still waits */

    struct tpdu t = {.code = TPDU_CC, .dst_ref = c->remote_ref, .src_ref = c->local_ref};
    t.class_opt = c->cls == 2 ? CLASS_OPT_2 : CLASS_OPT_0;
    /* Echo the TSELs, as common practice does. */
    t.has_calling = c->peer_calling_len > 0;
    t.calling_len = c->peer_calling_len;
    conn_copy(t.calling, c->peer_calling, c->peer_calling_len);
    t.has_called = c->peer_called_len > 0;
    t.called_len = c->peer_called_len;
    conn_copy(t.called, c->peer_called, c->peer_called_len);
    /* F0 only in answer to F0, and then alone (spec 6); tpdu_max was chosen by conn_input. */
    if (c->size_by_f0) {
        t.has_pref_size = true;
        t.pref_size_units = c->tpdu_max / 128;
    } else {
        size_params(&t, c->tpdu_max, false);
    }
    /* Expedited is never granted in v1 (spec 8).  A class 0 CC states C6 only
     * when it grants expedited (spec 5), so it is left out there. */
    t.has_add_options = c->cls == 2;
    t.add_options = 0;
    t.data = data;
    t.data_len = len;
    conn_emit(c, &t);
    if (c->state == CONN_S_CLOSED)
        return WSAECONNABORTED;
    conn_copy(c->conn_data, data, len);
    c->conn_data_len = (uint8_t)len;
    c->state = CONN_S_OPEN;
    c->deadline_ms = 0;
    return 0;
}

int conn_reject(struct conn *c, uint8_t reason, const uint8_t *data, size_t len)
{
    if (c->state != CONN_S_CR_RCVD)
        return WSAEINVAL;
    if (len > TPDU_MAX_DISC_DATA)
        return WSAEMSGSIZE;
    conn_emit_dr(c, c->remote_ref, 0, reason, data, len);
    conn_finish(c, 0, 0, false);
    return 0;
}

size_t conn_dr_encode(const struct conn *c, const uint8_t *data, size_t len,
                      uint8_t out[CONN_DR_MAX])
{
    if (len > TPDU_MAX_DISC_DATA || c->state != CONN_S_OPEN)
        return 0; /* conn_disconnect_sent sends no DR: an error, or D7 */
    struct tpdu t = {.code = TPDU_DR,
                     .dst_ref = c->remote_ref,
                     .src_ref = c->local_ref,
                     .reason = WSP_ITOT_DR_NORMAL};
    t.data = data;
    t.data_len = len;
    return tpdu_encode(&t, out, CONN_DR_MAX);
}

/* The DR's octets past the first `sent` of buf (n octets, conn_dr_encode's),
 * which the glue wrote already, into the output queue (nothing when it
 * wrote them all). */
static void release_dr(struct conn *c, const uint8_t *data, size_t len, const uint8_t *buf,
                       size_t n, size_t sent)
{
    if (sent == 0) {
        conn_emit_dr(c, c->remote_ref, c->local_ref, WSP_ITOT_DR_NORMAL, data, len);
        return;
    }
    c->last_sent_reason = WSP_ITOT_DR_NORMAL;
    conn_log_tpdu(c, 0, buf + TPKT_HDR_LEN, n - TPKT_HDR_LEN);
    if (sent >= n)
        return;
    if (ring_need(&c->outq) != 0 || ring_room(&c->outq) < n - sent) {
        /* Part of the DR is on the wire and the rest has nowhere to go: no
         * TPDU can follow a torn one. */
        ring_drop(&c->outq);
        conn_finish(c, WSAECONNABORTED, CONN_EV_ABORTED, true);
        return;
    }
    ring_push(&c->outq, buf + sent, n - sent);
    c->events |= CONN_EV_OUTPUT;
}

bool conn_release_ends_tcp(const struct conn *c)
{
    return c->cls == 0;
}

int conn_disconnect_sent(struct conn *c, const uint8_t *data, size_t len, uint64_t now_ms,
                         const uint8_t *dr, size_t dr_len, size_t sent)
{
    if (len > TPDU_MAX_DISC_DATA)
        return WSAEMSGSIZE; /* D3, before any side effect (D1) */
    switch (c->state) {
    case CONN_S_OPEN:
        break;
    case CONN_S_DR_SENT:
        return 0; /* D7: release still running */
    default:
        return WSAENOTCONN;
    }
    /* A queue with bytes holds its buffer and its reserve has room for the
     * DR; an empty one may have to take one, which can fail: then nothing
     * has changed. */
    if (sent == 0 && ring_need(&c->outq) != 0)
        return WSAENOBUFS;
    /* D5: the DR goes behind every DT already in the output queue. */
    release_dr(c, data, len, dr, dr_len, sent);
    if (c->state == CONN_S_CLOSED)
        return 0;
    c->tx_shut = true;
    c->state = CONN_S_DR_SENT;
    c->deadline_ms = c->cfg.dc_timeout_ms ? now_ms + c->cfg.dc_timeout_ms : 0;
    /* Class 0 has no DC: the release is the TCP close after the DR (spec 9.1).
     * A FIN, not an immediate close: data the peer sent before it saw our DR
     * is still read and delivered, and no RST destroys the DR in flight when
     * the peer answers it (iso-on-tcp answers a DR with a DR). The peer's FIN
     * (conn_eof) or TS2 ends the release. */
    if (conn_release_ends_tcp(c))
        c->half_close = true;
    return 0;
}

int conn_disconnect(struct conn *c, const uint8_t *data, size_t len, uint64_t now_ms)
{
    return conn_disconnect_sent(c, data, len, now_ms, NULL, 0, 0);
}

void conn_tcp_failed(struct conn *c, int err)
{
    c->error = err;
    conn_eof(c);
    c->fb_kind = CONN_FB_NONE;
}

void conn_limit_cr_wait(struct conn *c, uint64_t deadline_ms)
{
    c->deadline_ms = deadline_ms;
}

void conn_close_tcp(struct conn *c, bool at_once)
{
    c->close_tcp = true;
    if (at_once)
        c->close_now = true;
}

void conn_eof(struct conn *c)
{
    switch (c->state) {
    case CONN_S_IDLE:
    case CONN_S_CLOSED:
        c->close_tcp = c->close_now = true;
        break;
    case CONN_S_WAIT_CR:
    case CONN_S_CR_RCVD:
        conn_finish(c, WSAECONNRESET, CONN_EV_ABORTED, true);
        break;
    case CONN_S_CR_SENT:
        /* TCP ended before any CC: what strict stacks do with a CR parameter
         * they do not know.  The glue retries only when TCP had connected. */
        if (c->role == CONN_INITIATOR && c->cfg.class_pref < 0)
            c->fb_kind = CONN_FB_TCP_CLOSED;
        conn_finish(c, WSAECONNRESET, CONN_EV_ABORTED, true);
        break;
    case CONN_S_OPEN:
        /* Release without a DR: a disconnect with no data (spec 10, last row). */
        c->peer_disc = true;
        c->disc_reason = 0;
        c->disc_data_len = 0;
        conn_finish(c, 0, CONN_EV_DISCONNECTED, true);
        break;
    case CONN_S_DR_SENT:
        conn_finish(c, 0, CONN_EV_RELEASED, true);
        break;
    default:
        break;
    }
}

void conn_timer(struct conn *c, uint64_t now_ms)
{
    if (c->deadline_ms == 0 || now_ms < c->deadline_ms)
        return;
    c->deadline_ms = 0;
    switch (c->state) {
    case CONN_S_CR_SENT:
    case CONN_S_WAIT_CR:
        conn_finish(c, WSAETIMEDOUT, CONN_EV_ABORTED, true);
        break;
    case CONN_S_DR_SENT:
        /* TS2: consider the connection released (spec 9.2 step 3). */
        conn_finish(c, 0, CONN_EV_RELEASED, true);
        break;
    default:
        break;
    }
}

int conn_can_send(const struct conn *c)
{
    if (c->error)
        return c->error;
    switch (c->state) {
    case CONN_S_OPEN:
        return 0;
    case CONN_S_DR_SENT:
        return WSAESHUTDOWN;
    case CONN_S_CLOSED:
        return c->tx_shut ? WSAESHUTDOWN : WSAECONNRESET;
    default:
        return WSAENOTCONN;
    }
}

void conn_abort(struct conn *c, bool framed)
{
    /* Reason 0 ("not specified"): ISO 8073 has no reason for a local user
     * error, and the peer only needs to know the connection is gone. */
    if (framed && c->state == CONN_S_OPEN)
        conn_emit_dr(c, c->remote_ref, c->local_ref, WSP_ITOT_DR_NOT_SPECIFIED, NULL, 0);
    conn_finish(c, WSAECONNABORTED, CONN_EV_ABORTED, !framed);
}

size_t conn_dt_max_data(const struct conn *c)
{
    size_t hdr = c->cls == 2 ? 5 : 3;
    size_t max = c->tpdu_max > hdr ? c->tpdu_max - hdr : 1;
    size_t cap = c->cls == 2 ? TPDU_DT2_MAX_DATA : TPDU_DT0_MAX_DATA;
    return max < cap ? max : cap;
}

size_t conn_dt_header(const struct conn *c, bool eot, size_t data_len, uint8_t hdr[TPDU_DT_HDR_MAX])
{
    if (data_len > conn_dt_max_data(c))
        return 0;
    return tpdu_encode_dt_header(c->cls == 2, c->remote_ref, eot, data_len, hdr);
}

static const char *const state_names[CONN_S__COUNT] = {
    [CONN_S_IDLE] = "IDLE",       [CONN_S_WAIT_CR] = "WAIT_CR", [CONN_S_CR_SENT] = "CR_SENT",
    [CONN_S_CR_RCVD] = "CR_RCVD", [CONN_S_OPEN] = "OPEN",       [CONN_S_DR_SENT] = "DR_SENT",
    [CONN_S_CLOSED] = "CLOSED",
};

const char *conn_state_name(enum conn_state s)
{
    return (unsigned)s < CONN_S__COUNT ? state_names[s] : "?";
}
