/* SPDX-License-Identifier: MIT */
/* conn — the itot connection state machine (ISO 8073 class 0 / class 2 over
 * TPKT), kept apart from all I/O.
 *
 * PURE: no syscalls, no sockets, no clock.  Input: TCP bytes (conn_input),
 * TCP end (conn_eof), user requests (conn_connect, conn_accept, conn_reject,
 * conn_disconnect), and the time (every call that can start or fire a timer
 * takes `now_ms`, a monotonic millisecond count chosen by the caller).
 * Output: TPDUs appended to the connection's output queue (the glue writes
 * them to TCP in order), received TSDUs in the receive store, and state the
 * glue reads after each call (state, events, error, disconnect data).
 *
 * Memory: an idle connection holds no buffer.  The output queue and the
 * receive store take one from the provider's pool (conn_pool.h) when they
 * have bytes to hold and give it back when they are empty.  The store grows
 * (doubling) only while a TSDU is reassembled, never past cfg.max_tsdu plus
 * one TPKT, and next time starts at the size it needed.  conn_input stops
 * consuming when the store has no room for another whole TPKT (the glue then
 * stops reading: TCP's flow control pushes back on the peer), so a peer can
 * never grow memory without bound; it also stops, keeping the TPKT, when no
 * buffer can be had (conn.starved: the glue retries later, nothing is lost).
 * Rules: ISO 8073 classes 0 and 2 as RFC 1006 and RFC 2126 use them
 * (docs/providers-itot.md). */
#ifndef WSP_ITOT_CONN_H
#define WSP_ITOT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpdu.h"

/* Defaults of the configurable limits (WSP_ITOT_* options in <wsp/itot.h>). */
#define CONN_DEFAULT_MAX_TSDU (4u * 1024 * 1024)
#define CONN_DEFAULT_CR_TIMEOUT_MS 30000u
#define CONN_DEFAULT_DC_TIMEOUT_MS 30000u
#define CONN_DEFAULT_TPDU_SIZE 65531u
#define CONN_MIN_TPDU_SIZE 128u
#define CONN_DEFAULT_OUTQ_CAP (256u * 1024)
/* Room always kept in the output queue for control TPDUs (DR, DC, ER), so a
 * disconnect can always be queued, whatever the data before it (C11). */
#define CONN_OUTQ_CTRL_RESERVE 512u

enum conn_role { CONN_INITIATOR, CONN_RESPONDER };

/* Why a default CR (class 2 with class 0 as alternative) failed in a way that
 * a plain class 0 CR may pass: strict RFC 1006 stacks refuse parameters they
 * do not know (C6, C7, F0) with a DR or ER, or just close TCP.  The values
 * are those of WSP_ITOT_FB_* in <wsp/itot.h>. */
enum conn_fallback {
    CONN_FB_NONE = 0,
    CONN_FB_DR = 1,         /* fb_code: the DR reason (130, 133 or 138) */
    CONN_FB_ER = 2,         /* fb_code: the ER reject cause */
    CONN_FB_TCP_CLOSED = 3, /* TCP ended before any CC (the glue adds how) */
};

enum conn_state {
    CONN_S_IDLE,    /* initiator: nothing sent yet */
    CONN_S_WAIT_CR, /* responder: TCP accepted, waiting for the CR */
    CONN_S_CR_SENT, /* initiator: CR queued, waiting for CC/DR (TS1 running) */
    CONN_S_CR_RCVD, /* responder: CR accepted by the rules, waiting for the user */
    CONN_S_OPEN,    /* data transfer */
    CONN_S_DR_SENT, /* our DR is queued; class 2 waits for the DC (TS2 running) */
    CONN_S_CLOSED,  /* released, refused or aborted: nothing more is sent but what is queued */
    CONN_S__COUNT
};

/* The TPDU log (WSP_ITOT_TPDU_LOG): headers of the TPDUs received and of the
 * control TPDUs sent, the last CONN_LOG_ENTRIES of them. */
#define CONN_LOG_ENTRIES 64
#define CONN_LOG_HDR 48
struct conn_log_entry {
    uint8_t dir; /* 0 sent, 1 received */
    uint8_t hdr_len;
    uint16_t lost;
    uint32_t tpdu_len;
    uint8_t hdr[CONN_LOG_HDR];
};
struct conn_log {
    uint32_t head, count; /* ring of entries */
    struct conn_log_entry e[CONN_LOG_ENTRIES];
};

/* Bits of conn.events, set by the machine and cleared by the glue
 * (conn_take_events).  They say what changed since the last take. */
enum conn_event {
    CONN_EV_CONNECTED = 1u << 0,    /* initiator: CC accepted */
    CONN_EV_CR_RECEIVED = 1u << 1,  /* responder: a valid CR waits for the user */
    CONN_EV_TSDU = 1u << 2,         /* at least one complete TSDU in the receive store */
    CONN_EV_DISCONNECTED = 1u << 3, /* peer released: DR (reason, data) or TCP end */
    CONN_EV_REFUSED = 1u << 4,      /* initiator: the peer refused the CR */
    CONN_EV_ABORTED = 1u << 5,      /* protocol error or timeout: see conn.error */
    CONN_EV_RELEASED = 1u << 6,     /* our release completed (DC, collision, timeout, TCP end) */
    CONN_EV_OUTPUT = 1u << 7,       /* something was appended to the output queue */
};

struct conn_cfg {
    int class_pref;     /* -1: propose class 2 with class 0 as alternative; 0 or 2: only that */
    uint32_t tpdu_size; /* largest TPDU proposed / accepted, 128..65531 */
    bool tpdu_size_set; /* the user chose tpdu_size: a class 0 CR may then carry F0 */
    uint32_t max_tsdu;  /* largest TSDU reassembled; a longer one aborts the connection */
    uint32_t cr_timeout_ms;
    uint32_t dc_timeout_ms;
    uint32_t outq_cap; /* output queue capacity for DT data (control reserve added) */
    uint8_t calling_len, called_len;
    bool log_tpdus; /* keep a TPDU log (WSP_ITOT_TPDU_LOG); allocated at conn_init */
    uint8_t calling[TPDU_MAX_TSAP]; /* own TSEL (initiator: C1; responder: the listening TSEL) */
    uint8_t called[TPDU_MAX_TSAP];  /* initiator: the peer's TSEL (C2) */
};

/* A byte FIFO over one pooled buffer (wraps around), which it holds only
 * while it has bytes: buf is NULL (cap 0) when empty.  size: the buffer it
 * takes next (the output queue's regular one; the receive store's, what it
 * needed last).  consumed counts every octet ever consumed, so head + len
 * positions are absolute stream offsets (the output queue uses them to tell
 * whether a TSDU's octets left already).  peak: the most it held since it
 * took its buffer. */
struct conn_ring {
    uint8_t *buf;
    size_t cap, head, len;
    uint64_t consumed;
    size_t size;
    size_t peak;
};

struct conn {
    enum conn_role role;
    enum conn_state state;
    struct conn_cfg cfg;
    unsigned events;

    int cls;             /* negotiated class (0 or 2); -1 before CC */
    uint32_t tpdu_max;   /* negotiated TPDU size (both directions) */
    bool size_by_f0;     /* responder: the CR stated its size with F0, so the CC does too */
    uint16_t local_ref;  /* our reference (nonzero) */
    uint16_t remote_ref; /* the peer's reference (class 2 DTs carry it as DST-REF) */

    /* Connect data: ours as sent, the peer's as received (CR for a responder,
     * CC for an initiator). */
    uint8_t conn_data_len, peer_conn_data_len;
    uint8_t conn_data[TPDU_MAX_CONN_DATA];
    uint8_t peer_conn_data[TPDU_MAX_CONN_DATA];
    /* The peer's TSELs from the CR/CC. */
    uint8_t peer_calling_len, peer_called_len;
    uint8_t peer_calling[TPDU_MAX_TSAP];
    uint8_t peer_called[TPDU_MAX_TSAP];

    /* Release. */
    bool tx_shut;          /* our DR is queued: no more DTs */
    bool peer_disc;        /* the peer released (DR or TCP end) */
    bool peer_dr;          /* ... and with a DR (not just a TCP end) */
    bool half_close;       /* class 0 release: the glue sends FIN once the output queue is
                              flushed and reads on until the peer's FIN (conn_eof) or TS2 */
    bool close_tcp;        /* the glue closes TCP once the output queue is flushed */
    bool close_now;        /* ... or at once, dropping the queue (unsynchronisable stream) */
    int error;             /* WSAE* code when aborted/refused/reset, else 0 */
    uint8_t disc_reason;   /* reason of the last DR received */
    uint8_t disc_data_len; /* user data of the last DR received */
    uint8_t disc_data[TPDU_MAX_DISC_DATA];
    uint8_t last_sent_reason; /* reason of our own last DR (tests, logs) */
    uint8_t last_er_cause;    /* cause of our own last ER, 0xFF if none sent */

    /* Initiator with the default class only: set when a refusal of the CR
     * allows the glue to retry once with a plain class 0 CR (enum conn_fallback). */
    uint8_t fb_kind;
    uint8_t fb_code;

    /* Timer: 0 when none runs. */
    uint64_t deadline_ms;

    struct conn_log *log; /* NULL unless cfg.log_tpdus */

    /* Output queue: TPKTs in wire order. */
    struct conn_ring outq;

    /* Receive store: records [u32 length][data], the last one possibly open
     * (the TSDU being reassembled; its length is patched at EOT). */
    struct conn_ring rx;
    size_t rx_limit;    /* cfg.max_tsdu + a TPKT + record headers */
    bool rx_open;       /* the last record is a TSDU still being reassembled */
    size_t rx_open_len; /* data octets in the open record */
    size_t rx_read_off; /* octets already read from the first record (MSG_PARTIAL) */
    size_t rx_complete; /* complete TSDUs in the store */
    bool starved;       /* conn_input stopped: no buffer could be had (the glue retries) */
    bool rx_discard;    /* nobody will read: DT data is dropped, not stored (conn_rx_discard) */
};

/* Configuration with every default filled in. */
void conn_cfg_default(struct conn_cfg *cfg);

/* Set up c (which may be uninitialised memory).  local_ref must be nonzero.
 * Takes no buffer (the TPDU log, when asked for, is allocated here).
 * Returns 0, or -1 if memory could not be allocated (c then needs no conn_free). */
int conn_init(struct conn *c, enum conn_role role, const struct conn_cfg *cfg, uint16_t local_ref);
void conn_free(struct conn *c);

/* Initiator: queue the CR with up to 32 octets of connect data; starts TS1.
 * 0, or WSAEMSGSIZE (data > 32), WSAEISCONN / WSAEINVAL (wrong state),
 * WSAENOBUFS (no buffer for the queue; nothing changed). */
int conn_connect(struct conn *c, const uint8_t *data, size_t len, uint64_t now_ms);

/* Responder in CONN_S_CR_RCVD: accept with up to 32 octets (CC), or refuse
 * with a DR carrying reason and up to 64 octets.  0 or a WSAE* code
 * (accept: WSAENOBUFS when the queue has no buffer, nothing changed; a
 * refusal that cannot queue its DR closes TCP at once). */
int conn_accept(struct conn *c, const uint8_t *data, size_t len);
int conn_reject(struct conn *c, uint8_t reason, const uint8_t *data, size_t len);

/* Release (SendDisconnect / shutdown / close): queue a DR (reason 128, up to 64
 * octets) after everything queued.  Never blocks, never needs queue space
 * beyond the control reserve.  0 (also while a release is already running, D7),
 * WSAEMSGSIZE (> 64, no side effect), WSAENOTCONN (not connected / released),
 * WSAENOBUFS (the empty queue could get no buffer; no side effect). */
int conn_disconnect(struct conn *c, const uint8_t *data, size_t len, uint64_t now_ms);

/* The largest DR a release sends, TPKT included. */
#define CONN_DR_MAX (TPKT_HDR_LEN + TPDU_MAX_LI + 1 + TPDU_MAX_DISC_DATA)
/* Does our release end with the TCP connection's end (class 0: no DC, the
 * FIN follows the DR) rather than with the peer's DC (class 2)? */
bool conn_release_ends_tcp(const struct conn *c);
/* For a glue that writes the DR itself while nothing is queued, so that a
 * failing network leaves the connection as it was (D1): the DR that
 * conn_disconnect would queue now, encoded into out; its length, or 0 when
 * conn_disconnect would queue none (its error, or D7). Changes nothing. */
size_t conn_dr_encode(const struct conn *c, const uint8_t *data, size_t len,
                      uint8_t out[CONN_DR_MAX]);
/* conn_disconnect after the glue wrote the first `sent` octets of that DR
 * (dr, dr_len: what conn_dr_encode gave) itself (0: none, dr unused): only
 * the rest is queued (no buffer needed when it wrote them all), from dr
 * rather than encoded a second time. A rest that can get no buffer aborts
 * the connection. */
int conn_disconnect_sent(struct conn *c, const uint8_t *data, size_t len, uint64_t now_ms,
                         const uint8_t *dr, size_t dr_len, size_t sent);

/* Feed TCP bytes.  Consumes whole TPKTs only; returns how many octets were
 * consumed (the glue keeps the rest and feeds it again with more).  Stops early
 * when the receive store has no room for another TPKT, or once the connection
 * is closed (then everything is consumed and dropped). */
size_t conn_input(struct conn *c, const uint8_t *p, size_t n, uint64_t now_ms);

/* The glue gives the connection's TCP up (a close, a refused or evicted
 * connection): TCP is to be closed once the output queue is flushed (a DR
 * queued before goes out), or at once, the queue dropped. The glue acts on
 * close_tcp / close_now; conn_eof follows when it has. */
void conn_close_tcp(struct conn *c, bool at_once);

/* TCP's connect failed with err (a WSAE* code): the connection ends with
 * it, and no fall-back is offered (no CR was sent, none refused). */
void conn_tcp_failed(struct conn *c, int err);
/* A responder's wait for its CR ends at deadline_ms (the listener's CR
 * wait, which replaces the machine's own timer for a pending connection). */
void conn_limit_cr_wait(struct conn *c, uint64_t deadline_ms);

/* TCP delivered end of stream or an error, or the glue closed TCP as asked
 * (close_tcp / close_now): ends whatever was in progress. */
void conn_eof(struct conn *c);

/* Fire the timer if now_ms is past the deadline. */
void conn_timer(struct conn *c, uint64_t now_ms);

/* Events since the last call, cleared. */
unsigned conn_take_events(struct conn *c);

/* ---- data path (the glue does the I/O; these only account) -------------- */

/* Largest user data in one DT for the negotiated class and size. */
size_t conn_dt_max_data(const struct conn *c);
/* TPKT + DT header for the next segment (7 or 9 octets), 0 if data_len is too big. */
size_t conn_dt_header(const struct conn *c, bool eot, size_t data_len,
                      uint8_t hdr[TPDU_DT_HDR_MAX]);
/* Whether a TSDU of len octets could be sent now: connected, not shut. 0 or WSAE*. */
int conn_can_send(const struct conn *c);
/* A send failed after part of its TSDU left for good: end the connection so
 * the peer can never join the rest of it to the next TSDU.  framed (the queue
 * ends on a TPDU boundary): a DR (reason 0) after the queued TPDUs, then TCP
 * is closed; otherwise TCP is closed at once (no TPDU can follow a torn one).
 * Later calls fail with WSAECONNABORTED. */
void conn_abort(struct conn *c, bool framed);

/* Output queue. */
size_t conn_outq_len(const struct conn *c);
/* Free room for DT bytes within the configured capacity (cfg.outq_cap; the
 * control reserve is not counted): what a send may wait for. */
size_t conn_outq_room(const struct conn *c);
/* Free room for DT bytes in the buffer as it is now (more than
 * conn_outq_room after conn_outq_expand). */
size_t conn_outq_hard_room(const struct conn *c);
/* Make the hard room at least n octets for one oversized TSDU (a buffer
 * bigger than the regular one, given back once the queue is empty).  0, or
 * -1 if memory could not be had (nothing changed). */
int conn_outq_expand(struct conn *c, size_t n);
/* Give the buffer back if the queue is empty (e.g. TCP took the whole TSDU
 * at once). */
void conn_outq_shrink(struct conn *c);
/* Make sure the queue holds its buffer, before staging into it: 0, or -1
 * when none can be had (nothing changed).  conn_outq_shrink gives it back
 * if nothing was queued after all. */
int conn_outq_reserve(struct conn *c);
/* Append n bytes (DT TPKTs built by the glue).  The caller checked room
 * (the buffer is taken here if the queue has none; if none can be had,
 * nothing is appended). */
void conn_outq_push(struct conn *c, const void *p, size_t n);
/* Staging: a TSDU is written into the free room past the queued octets
 * (offset off from the end of the queue; off + n <= hard room; the queue
 * holds its buffer: conn_outq_reserve) and becomes
 * part of the queue only with conn_outq_commit, so a copy that fails half
 * way leaves nothing behind.  stage copies from our memory; stage_spans
 * gives the (up to two) spans for a copy from the caller's memory. */
void conn_outq_stage(struct conn *c, size_t off, const void *p, size_t n);
int conn_outq_stage_spans(const struct conn *c, size_t off, size_t n, uint8_t *span[2],
                          size_t span_len[2]);
void conn_outq_commit(struct conn *c, size_t n);
/* Take back the last n queued octets (a TSDU withdrawn whole). */
void conn_outq_withdraw(struct conn *c, size_t n);
/* Absolute stream positions: octets consumed (handed to TCP) so far, and the
 * position just past the last queued octet. */
uint64_t conn_outq_sent(const struct conn *c);
uint64_t conn_outq_end(const struct conn *c);
/* Up to two contiguous spans of queued bytes; returns how many (0..2). */
int conn_outq_peek(const struct conn *c, const uint8_t *span[2], size_t span_len[2]);
void conn_outq_consume(struct conn *c, size_t n);

/* Receive store. */
bool conn_rx_ready(const struct conn *c); /* a complete TSDU can be read */
/* Remaining length of the first complete TSDU (FIONREAD), 0 if none. */
size_t conn_rx_next_len(const struct conn *c);
/* Spans of the first complete TSDU's unread bytes. Returns 0..2 spans. */
int conn_rx_peek(const struct conn *c, const uint8_t *span[2], size_t span_len[2]);
/* Mark n bytes of the first TSDU read; when it is all read, the next becomes first. */
void conn_rx_consume(struct conn *c, size_t n);
/* Whether conn_input would take another whole TPKT (the glue reads TCP only then). */
bool conn_rx_has_room(const struct conn *c);
/* The application is gone (its socket closed): drop what the store holds and
 * every DT's data from now on, so that the release can read on to the peer's
 * DR, DC or end of TCP instead of waiting, its store full, for a timer. */
void conn_rx_discard(struct conn *c);

/* Log one TPDU (p: from its LI on, len octets) if the log is on. */
void conn_log_tpdu(struct conn *c, int dir, const uint8_t *p, size_t len);
/* Move up to max logged entries, oldest first, into out; returns how many. */
size_t conn_log_take(struct conn *c, struct conn_log_entry *out, size_t max);

/* Invariants (for asserts, tests and fuzzers): true if c is consistent. */
bool conn_check(const struct conn *c);
/* The same, but true also while a send holds the output queue's buffer with
 * nothing in it yet (the glue checks with this in the middle of a send). */
bool conn_check_live(const struct conn *c);

const char *conn_state_name(enum conn_state s);

#endif
