/* SPDX-License-Identifier: MIT */
/* Frame-level interop: TPDUs built by OUR encoder are written to a capture with
 * text2pcap and decoded by Wireshark's COTP dissector (tshark).  The test fails
 * if tshark calls any frame malformed, raises a warning or an error, does not
 * recognise a frame as COTP, or decodes a field (TPDU type, references, class,
 * DR reason and its name, ER cause, EOT, TSAPs, TPDU size, user data) to
 * something other than what we encoded.  Exit 77 (ctest SKIP) only when tshark
 * or text2pcap is not installed.
 *
 * Usage: itot_tshark_frames WORKDIR */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "providers/itot/conn.h"
#include "providers/itot/tpdu.h"

#define MAX_FRAMES 64
#define MAX_FRAME_LEN 4096
#define TSDU_MAX 2048

/* Wireshark's names for the DR reasons we may send (spec 3: only listed ones). */
static const struct {
    uint8_t reason;
    const char *name;
} ws_reason_names[] = {
    {0, "Reason not specified"},
    {1, "Congestion at TSAP"},
    {2, "Session entity not attached to TSAP"},
    {3, "Address unknown"},
    {128, "Normal Disconnect"},
    {129, "Remote transport entity congestion"},
    {130, "Connection negotiation failed"},
    {131, "Duplicate source reference"},
    {132, "Mismatched references"},
    {133, "Protocol error"},
    {135, "Reference overflow"},
    {136, "Connection request refused"},
    {138, "Header or parameter length invalid"},
};

/* Wireshark's long name of each TPDU type, as in "PDU Type: DT Data (0x0f)". */
static const struct {
    uint8_t code;
    const char *name;
} ws_type_names[] = {
    {TPDU_CR, "CR Connect Request"},
    {TPDU_CC, "CC Connect Confirm"},
    {TPDU_DR, "DR Disconnect Request"},
    {TPDU_DC, "DC Disconnect Confirm"},
    {TPDU_DT, "DT Data"},
    {TPDU_ED, "ED Expedited Data"},
    {TPDU_EA, "EA Expedited Data Acknowledgement"},
    {TPDU_ER, "ER TPDU Error"},
};

struct frame {
    char dir; /* 'I' client -> server, 'O' server -> client */
    const char *what;
    struct tpdu t;
    uint8_t wire[MAX_FRAME_LEN];
    size_t len;
    /* Expected data.data: the user data, or for a DT with EOT the whole TSDU
     * reassembled from its segments. */
    uint8_t want_data[TSDU_MAX];
    size_t want_data_len;
};

struct session {
    const char *name;
    int client_port, server_port;
    struct frame frames[MAX_FRAMES];
    int n;
    /* Open TSDU per direction (for the DT reassembly expectation). */
    uint8_t tsdu[2][TSDU_MAX];
    size_t tsdu_len[2];
};

static int failures;

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    failures++;
}

static uint8_t data_pool[TSDU_MAX];

/* Encodes t with tpdu_encode and records it (and the data tshark should show). */
static void add(struct session *s, char dir, const char *what, struct tpdu t)
{
    if (s->n == MAX_FRAMES) {
        fail("%s: too many frames", s->name);
        return;
    }
    struct frame *f = &s->frames[s->n];
    f->dir = dir;
    f->what = what;
    f->t = t;
    f->len = tpdu_encode(&t, f->wire, sizeof f->wire);
    if (f->len == 0) {
        fail("%s: %s did not encode", s->name, what);
        return;
    }
    if (t.code == TPDU_DT) {
        int d = dir == 'I' ? 0 : 1;
        if (s->tsdu_len[d] + t.data_len > TSDU_MAX) {
            fail("%s: TSDU too long for the test", what);
            return;
        }
        if (t.data_len > 0)
            memcpy(s->tsdu[d] + s->tsdu_len[d], t.data, t.data_len);
        s->tsdu_len[d] += t.data_len;
        if (t.eot) {
            memcpy(f->want_data, s->tsdu[d], s->tsdu_len[d]);
            f->want_data_len = s->tsdu_len[d];
            s->tsdu_len[d] = 0;
        }
    } else if (t.data_len > 0) {
        memcpy(f->want_data, t.data, t.data_len);
        f->want_data_len = t.data_len;
    }
    /* The TPDU's own data now lives in the frame, not in caller memory. */
    f->t.data = NULL;
    s->n++;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

/* ---- the frames -------------------------------------------------------- */

#define DATA(str) .data = (const uint8_t *)(str), .data_len = sizeof(str) - 1
#define POOL(off, n) .data = data_pool + (off), .data_len = (n)

static void build_class2(struct session *s)
{
    /* References: client 0x0001, server 0x0002; TSELs 01 00 / 01 02 (spec 11). */
    add(s, 'I', "11.1 CR class 2 alt 0",
        (struct tpdu){.code = TPDU_CR,
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
                      DATA("CONNDATA")});
    add(s, 'O', "11.2 CC class 2",
        (struct tpdu){.code = TPDU_CC,
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
                      .add_options = 1});
    add(s, 'I', "11.3 DT class 2 HELLO",
        (struct tpdu){
            .code = TPDU_DT, .dst_ref_present = true, .dst_ref = 2, .eot = true, DATA("HELLO")});
    add(s, 'I', "11.7 DT segment ABCDE",
        (struct tpdu){.code = TPDU_DT, .dst_ref_present = true, .dst_ref = 2, DATA("ABCDE")});
    add(s, 'I', "11.7 DT last segment FGH",
        (struct tpdu){
            .code = TPDU_DT, .dst_ref_present = true, .dst_ref = 2, .eot = true, DATA("FGH")});
    /* A longer TSDU cut as a 128-octet TPDU size would cut it: 123 + 123 + 54. */
    add(s, 'O', "DT class 2 segment 1/3",
        (struct tpdu){.code = TPDU_DT, .dst_ref_present = true, .dst_ref = 1, POOL(0, 123)});
    add(s, 'O', "DT class 2 segment 2/3",
        (struct tpdu){.code = TPDU_DT, .dst_ref_present = true, .dst_ref = 1, POOL(123, 123)});
    add(s, 'O', "DT class 2 segment 3/3",
        (struct tpdu){
            .code = TPDU_DT, .dst_ref_present = true, .dst_ref = 1, .eot = true, POOL(246, 54)});
    add(s, 'I', "11.8 ED URG",
        (struct tpdu){
            .code = TPDU_ED, .dst_ref_present = true, .dst_ref = 2, .eot = true, DATA("URG")});
    add(s, 'O', "11.8 EA", (struct tpdu){.code = TPDU_EA, .dst_ref = 1});
    add(s, 'I', "ED 16 octets",
        (struct tpdu){
            .code = TPDU_ED, .dst_ref_present = true, .dst_ref = 2, .eot = true, POOL(300, 16)});
    add(s, 'I', "11.4 DR 128 DISCONNECT",
        (struct tpdu){
            .code = TPDU_DR, .dst_ref = 2, .src_ref = 1, .reason = 128, DATA("DISCONNECT")});
    add(s, 'O', "11.5 DC", (struct tpdu){.code = TPDU_DC, .dst_ref = 1, .src_ref = 2});
    add(s, 'I', "11.9 DR non-disruptive",
        (struct tpdu){.code = TPDU_DR,
                      .dst_ref = 2,
                      .src_ref = 1,
                      .reason = 128,
                      .has_add_clearing = true,
                      .add_clearing = 0x80,
                      DATA("DISCONNECT")});
    add(s, 'I', "DR 64 octets",
        (struct tpdu){.code = TPDU_DR,
                      .dst_ref = 2,
                      .src_ref = 1,
                      .reason = 128,
                      POOL(400, TPDU_MAX_DISC_DATA)});
    add(s, 'O', "DC", (struct tpdu){.code = TPDU_DC, .dst_ref = 1, .src_ref = 2});
    add(s, 'I', "CR 32 octets of connect data, F0",
        (struct tpdu){.code = TPDU_CR,
                      .src_ref = 3,
                      .class_opt = 0x21,
                      .has_calling = true,
                      .calling_len = 2,
                      .calling = {1, 0},
                      .has_called = true,
                      .called_len = 2,
                      .called = {1, 2},
                      .has_tpdu_size = true,
                      .tpdu_size_code = 0x0D,
                      .has_pref_size = true,
                      .pref_size_units = 0x01FF,
                      .has_add_options = true,
                      .add_options = 0,
                      .n_alt_classes = 1,
                      POOL(500, TPDU_MAX_CONN_DATA)});
    add(s, 'O', "CC 32 octets of accept data",
        (struct tpdu){.code = TPDU_CC,
                      .dst_ref = 3,
                      .src_ref = 4,
                      .class_opt = 0x21,
                      .has_tpdu_size = true,
                      .tpdu_size_code = 0x0B,
                      .has_add_options = true,
                      .add_options = 0,
                      POOL(600, TPDU_MAX_CONN_DATA)});
    add(s, 'I', "11.10 CR class 2 without alternative",
        (struct tpdu){.code = TPDU_CR,
                      .src_ref = 1,
                      .class_opt = 0x21,
                      .has_calling = true,
                      .calling_len = 2,
                      .calling = {1, 0},
                      .has_called = true,
                      .called_len = 2,
                      .called = {1, 2}});
    add(s, 'O', "11.10 DR 130", (struct tpdu){.code = TPDU_DR, .dst_ref = 1, .reason = 130});
    add(s, 'I', "11.10 DC", (struct tpdu){.code = TPDU_DC, .src_ref = 1});
    /* Every listed reason once (spec 3: Wireshark decodes exactly these). */
    static const char *reason_what[] = {
        "DR reason 0",   "DR reason 1",   "DR reason 2",   "DR reason 3",   "DR reason 128",
        "DR reason 129", "DR reason 130", "DR reason 131", "DR reason 132", "DR reason 133",
        "DR reason 135", "DR reason 136", "DR reason 138"};
    for (size_t i = 0; i < sizeof ws_reason_names / sizeof ws_reason_names[0]; i++)
        add(s, 'O', reason_what[i],
            (struct tpdu){.code = TPDU_DR,
                          .dst_ref = 1,
                          .src_ref = 2,
                          .reason = ws_reason_names[i].reason,
                          POOL(i, 1 + i)});
    add(s, 'O', "ER cause 3 (LI 4, no C1)",
        (struct tpdu){.code = TPDU_ER, .dst_ref = 1, .cause = 3});
}

static const uint8_t rejected_hdr[] = {0x02, 0x30};

static void build_class0(struct session *s)
{
    add(s, 'I', "11.11 CR class 0",
        (struct tpdu){.code = TPDU_CR,
                      .src_ref = 1,
                      .has_calling = true,
                      .calling_len = 2,
                      .calling = {1, 0},
                      .has_called = true,
                      .called_len = 2,
                      .called = {1, 2},
                      .has_tpdu_size = true,
                      .tpdu_size_code = 0x0B});
    add(s, 'O', "11.11 CC class 0",
        (struct tpdu){.code = TPDU_CC,
                      .dst_ref = 1,
                      .src_ref = 2,
                      .has_calling = true,
                      .calling_len = 2,
                      .calling = {1, 0},
                      .has_called = true,
                      .called_len = 2,
                      .called = {1, 2},
                      .has_tpdu_size = true,
                      .tpdu_size_code = 0x0B});
    add(s, 'I', "11.6 DT class 0 HELLO",
        (struct tpdu){.code = TPDU_DT, .eot = true, DATA("HELLO")});
    add(s, 'O', "DT class 0 segment 1/3", (struct tpdu){.code = TPDU_DT, POOL(700, 125)});
    add(s, 'O', "DT class 0 segment 2/3", (struct tpdu){.code = TPDU_DT, POOL(825, 125)});
    add(s, 'O', "DT class 0 segment 3/3",
        (struct tpdu){.code = TPDU_DT, .eot = true, POOL(950, 50)});
    add(s, 'I', "11.12 ER invalid TPDU type (LI 8)",
        (struct tpdu){.code = TPDU_ER,
                      .dst_ref = 2,
                      .cause = 2,
                      .rejected = rejected_hdr,
                      .rejected_len = 2});
    add(s, 'I', "DR class 0 with 64 octets (SendDisconnect on class 0, spec 9.1)",
        (struct tpdu){.code = TPDU_DR,
                      .dst_ref = 2,
                      .src_ref = 1,
                      .reason = 128,
                      POOL(1100, TPDU_MAX_DISC_DATA)});
}

/* ---- frames the state machine itself produces (issue 12) ---------------- *
 * What `wsp connect/listen` options make the provider send: the default CR,
 * the plain class 0 CR of the fall-back, a class 0 CR with TSAPs and a small
 * size, one with a size the user set above 8192 (F0), and the CCs that answer
 * them.  Each frame is the state machine's own output queue, decoded and
 * re-encoded only to describe it to the checks (the bytes must not change). */

/* Moves the first TPKT queued by c into the session as a frame. */
static void take_frame(struct session *s, struct conn *c, char dir, const char *what, uint8_t *raw,
                       size_t *raw_len)
{
    const uint8_t *span[2];
    size_t len[2], n = 0, tl = 0;
    int k = conn_outq_peek(c, span, len);
    for (int i = 0; i < k && n < MAX_FRAME_LEN; i++) {
        size_t take = len[i] < MAX_FRAME_LEN - n ? len[i] : MAX_FRAME_LEN - n;
        memcpy(raw + n, span[i], take);
        n += take;
    }
    size_t used = 0;
    struct tpdu t;
    if (tpkt_peek(raw, n, &tl) != TPKT_OK ||
        tpdu_decode(raw + TPKT_HDR_LEN, tl - TPKT_HDR_LEN, &t, &used, NULL) != TPDU_OK) {
        fail("%s: %s: the state machine queued no decodable TPDU", s->name, what);
        return;
    }
    conn_outq_consume(c, tl);
    *raw_len = tl;
    add(s, dir, what, t);
    const struct frame *f = &s->frames[s->n - 1];
    if (f->len != tl || memcmp(f->wire, raw, tl) != 0)
        fail("%s: %s: re-encoding changed the bytes", s->name, what);
}

/* One connection set up by two state machines: CR, then CC. */
static void build_conn(struct session *s, const struct conn_cfg *ci, const struct conn_cfg *cr,
                       const char *cr_what, const char *cc_what)
{
    struct conn a, b;
    if (conn_init(&a, CONN_INITIATOR, ci, 1) != 0 || conn_init(&b, CONN_RESPONDER, cr, 2) != 0) {
        fail("%s: conn_init", s->name);
        return;
    }
    uint8_t raw[MAX_FRAME_LEN];
    size_t n = 0;
    if (conn_connect(&a, NULL, 0, 0) != 0)
        fail("%s: conn_connect", s->name);
    take_frame(s, &a, 'I', cr_what, raw, &n);
    conn_input(&b, raw, n, 0);
    if (b.state != CONN_S_CR_RCVD || conn_accept(&b, NULL, 0) != 0)
        fail("%s: %s was not accepted", s->name, cr_what);
    else
        take_frame(s, &b, 'O', cc_what, raw, &n);
    conn_free(&a);
    conn_free(&b);
}

static void build_field(struct session *s)
{
    struct conn_cfg dflt, c0, c0_tsap, c0_big, l_tsap;
    conn_cfg_default(&dflt);
    c0 = dflt;
    c0.class_pref = 0; /* --class 0, and the fall-back's plain CR */
    c0_tsap = c0;      /* --class 0 --calling-tsap CLIENT --called-tsap 0x0102 --tpdu-size 1024 */
    c0_tsap.tpdu_size = 1024;
    c0_tsap.tpdu_size_set = true;
    c0_tsap.calling_len = 6;
    memcpy(c0_tsap.calling, "CLIENT", 6);
    c0_tsap.called_len = 2;
    c0_tsap.called[0] = 0x01, c0_tsap.called[1] = 0x02;
    l_tsap = dflt; /* listen --calling-tsap 0x0102 */
    l_tsap.calling_len = 2;
    l_tsap.calling[0] = 0x01, l_tsap.calling[1] = 0x02;
    c0_big = c0; /* --class 0 --tpdu-size 16384: F0 */
    c0_big.tpdu_size = 16384;
    c0_big.tpdu_size_set = true;
    build_conn(s, &dflt, &dflt, "default CR (class 2, alt 0, C0, F0, C6, C7)", "CC class 2");
    build_conn(s, &c0, &dflt, "plain class 0 CR (fall-back, --class 0): C0 8192 only",
               "CC class 0 in kind: C0 only");
    build_conn(s, &c0_tsap, &l_tsap, "class 0 CR with TSAPs and --tpdu-size 1024",
               "CC class 0 echoing the TSAPs, C0 1024");
    build_conn(s, &c0_big, &dflt, "class 0 CR with --tpdu-size 16384: C0 and F0",
               "CC class 0 answering F0 with F0");
}

/* ---- running the tools -------------------------------------------------- */

static bool have_tool(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* text2pcap input: each frame's first line starts with its direction. */
static bool write_hexdump(const struct session *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    for (int i = 0; i < s->n; i++) {
        const struct frame *fr = &s->frames[i];
        for (size_t off = 0; off < fr->len; off += 16) {
            if (off == 0)
                fprintf(f, "%c ", fr->dir);
            fprintf(f, "%06zx", off);
            for (size_t j = off; j < fr->len && j < off + 16; j++)
                fprintf(f, " %02x", fr->wire[j]);
            fputc('\n', f);
        }
    }
    return fclose(f) == 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

static int run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fail("command failed (%d): %s", rc, cmd);
    return rc;
}

/* ---- checks ------------------------------------------------------------- */

static const char *ws_reason_name(uint8_t reason)
{
    for (size_t i = 0; i < sizeof ws_reason_names / sizeof ws_reason_names[0]; i++)
        if (ws_reason_names[i].reason == reason)
            return ws_reason_names[i].name;
    return NULL;
}

static const char *ws_type_name(uint8_t code)
{
    for (size_t i = 0; i < sizeof ws_type_names / sizeof ws_type_names[0]; i++)
        if (ws_type_names[i].code == code)
            return ws_type_names[i].name;
    return "?";
}

/* The -V text of frame number k (1-based): from "Frame k:" to the next "Frame ". */
static char *frame_text(char *all, int k, char **end)
{
    char key[32];
    snprintf(key, sizeof key, "Frame %d:", k);
    char *p = all;
    while ((p = strstr(p, key)) != NULL && p != all && p[-1] != '\n')
        p++;
    if (p == NULL)
        return NULL;
    char *q = strstr(p + 1, "\nFrame ");
    *end = q != NULL ? q : p + strlen(p);
    return p;
}

static bool contains(const char *from, const char *to, const char *needle)
{
    const char *p = strstr(from, needle);
    return p != NULL && p < to;
}

static void check_verbose(const struct session *s, char *v)
{
    static const char *forbidden[] = {"Malformed", "Severity level: Warn", "Severity level: Error",
                                      "[Expert Info (Warn", "[Expert Info (Error"};
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        const char *p = strstr(v, forbidden[i]);
        if (p != NULL)
            fail("%s: tshark says \"%s\" near: %.200s", s->name, forbidden[i], p);
    }
    for (int i = 0; i < s->n; i++) {
        const struct frame *f = &s->frames[i];
        char *end;
        char *ft = frame_text(v, i + 1, &end);
        char want[160];
        if (ft == NULL) {
            fail("%s: frame %d (%s) missing from tshark output", s->name, i + 1, f->what);
            continue;
        }
        if (!contains(ft, end, "ISO 8073/X.224 COTP"))
            fail("%s: frame %d (%s) not decoded as COTP", s->name, i + 1, f->what);
        snprintf(want, sizeof want, "PDU Type: %s (0x%02x)", ws_type_name(f->t.code),
                 f->t.code >> 4);
        if (!contains(ft, end, want))
            fail("%s: frame %d (%s): no \"%s\"", s->name, i + 1, f->what, want);
        if (f->t.code == TPDU_DR) {
            const char *name = ws_reason_name(f->t.reason);
            snprintf(want, sizeof want, "Cause: %s (%u)", name ? name : "?", f->t.reason);
            if (name == NULL || !contains(ft, end, want))
                fail("%s: frame %d (%s): no \"%s\"", s->name, i + 1, f->what, want);
            /* Our own reason table knows every reason Wireshark knows. */
            if (tpdu_dr_reason_name(f->t.reason) == NULL)
                fail("%s: tpdu_dr_reason_name(%u) is NULL", s->name, f->t.reason);
        }
    }
}

enum {
    F_FRAME,
    F_TYPE,
    F_DST,
    F_SRC,
    F_CLASS,
    F_CAUSE,
    F_REJECT,
    F_EOT,
    F_DATA,
    F_CALLING,
    F_CALLED,
    F_SIZE,
    F_EXPEDITED,
    F_PREF,
    F_COUNT
};
static const char *field_names[F_COUNT] = {"frame.number",
                                           "cotp.type",
                                           "cotp.destref",
                                           "cotp.srcref",
                                           "cotp.class",
                                           "cotp.cause",
                                           "cotp.reject_cause",
                                           "cotp.eot",
                                           "data.data",
                                           "cotp.src-tsap-bytes",
                                           "cotp.dst-tsap-bytes",
                                           "cotp.tpdu_size",
                                           "cotp.transport_expedited_data_transfer",
                                           "cotp.preferred_maximum_tpdu_size"};

static void expect_field(const struct session *s, int k, const struct frame *f, int field,
                         const char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        fail("%s: frame %d (%s): %s is \"%s\", we encoded \"%s\"", s->name, k, f->what,
             field_names[field], got, want);
}

/* want = the number in fmt if the field applies to this TPDU, else "" (absent). */
static void num_if(char *want, size_t cap, bool applies, const char *fmt, unsigned v)
{
    if (applies)
        snprintf(want, cap, fmt, v);
    else
        want[0] = '\0';
}

/* Splits one line of -T fields output (separator '|') in place. */
static int split(char *line, char *fields[F_COUNT])
{
    int n = 0;
    fields[n++] = line;
    for (char *p = line; *p != '\0' && n < F_COUNT; p++)
        if (*p == '|') {
            *p = '\0';
            fields[n++] = p + 1;
        }
    return n;
}

static void check_fields(const struct session *s, char *text)
{
    char *save = NULL;
    int k = 0;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *fv[F_COUNT];
        char want[2 * TSDU_MAX + 1];
        if (split(line, fv) != F_COUNT) {
            fail("%s: bad tshark fields line %s", s->name, line);
            continue;
        }
        k = atoi(fv[F_FRAME]);
        if (k < 1 || k > s->n) {
            fail("%s: unexpected frame number %s", s->name, fv[F_FRAME]);
            continue;
        }
        const struct frame *f = &s->frames[k - 1];
        const struct tpdu *t = &f->t;
        bool class0_data = (t->code == TPDU_DT || t->code == TPDU_ED) && !t->dst_ref_present;
        bool has_src =
            t->code == TPDU_CR || t->code == TPDU_CC || t->code == TPDU_DR || t->code == TPDU_DC;

        snprintf(want, sizeof want, "0x%02x", t->code >> 4);
        expect_field(s, k, f, F_TYPE, fv[F_TYPE], want);
        /* Wireshark shows a class 0 DT's missing DST-REF as 0x0000. */
        snprintf(want, sizeof want, "0x%04x", class0_data ? 0 : t->dst_ref);
        expect_field(s, k, f, F_DST, fv[F_DST], want);
        num_if(want, sizeof want, has_src, "0x%04x", t->src_ref);
        expect_field(s, k, f, F_SRC, fv[F_SRC], want);
        num_if(want, sizeof want, t->code == TPDU_CR || t->code == TPDU_CC, "%u",
               t->class_opt >> 4u);
        expect_field(s, k, f, F_CLASS, fv[F_CLASS], want);
        num_if(want, sizeof want, t->code == TPDU_DR, "%u", t->reason);
        expect_field(s, k, f, F_CAUSE, fv[F_CAUSE], want);
        num_if(want, sizeof want, t->code == TPDU_ER, "%u", t->cause);
        expect_field(s, k, f, F_REJECT, fv[F_REJECT], want);
        num_if(want, sizeof want, t->code == TPDU_DT, "%u", t->eot ? 1u : 0u);
        expect_field(s, k, f, F_EOT, fv[F_EOT], want);
        hex(want, f->want_data, f->want_data_len);
        expect_field(s, k, f, F_DATA, fv[F_DATA], want);
        /* Wireshark shows an ER's C1 (rejected header) under the calling TSAP's name. */
        if (t->code == TPDU_ER && t->rejected != NULL)
            hex(want, t->rejected, t->rejected_len);
        else if (t->has_calling)
            hex(want, t->calling, t->calling_len);
        else
            want[0] = '\0';
        expect_field(s, k, f, F_CALLING, fv[F_CALLING], want);
        if (t->has_called)
            hex(want, t->called, t->called_len);
        else
            want[0] = '\0';
        expect_field(s, k, f, F_CALLED, fv[F_CALLED], want);
        if (t->has_tpdu_size)
            snprintf(want, sizeof want, "%u", tpdu_size_from_code(t->tpdu_size_code));
        else
            want[0] = '\0';
        expect_field(s, k, f, F_SIZE, fv[F_SIZE], want);
        if (t->has_add_options)
            snprintf(want, sizeof want, "%u", t->add_options & 1);
        else
            want[0] = '\0';
        expect_field(s, k, f, F_EXPEDITED, fv[F_EXPEDITED], want);
        if (t->has_pref_size)
            snprintf(want, sizeof want, "%u", t->pref_size_units * 128);
        else
            want[0] = '\0';
        expect_field(s, k, f, F_PREF, fv[F_PREF], want);
    }
    if (k != s->n)
        fail("%s: tshark listed %d frames, we wrote %d", s->name, k, s->n);
}

static void run_session(const struct session *s, const char *dir)
{
    char txt[1024], pcap[1024], verbose[1024], fields[1024], decode[128];
    snprintf(txt, sizeof txt, "%s/%s.txt", dir, s->name);
    snprintf(pcap, sizeof pcap, "%s/%s.pcap", dir, s->name);
    snprintf(verbose, sizeof verbose, "%s/%s.verbose.txt", dir, s->name);
    snprintf(fields, sizeof fields, "%s/%s.fields.txt", dir, s->name);
    snprintf(decode, sizeof decode, "-d tcp.port==%d,tpkt --disable-heuristic t125_cotp",
             s->server_port);
    if (!write_hexdump(s, txt)) {
        fail("cannot write %s", txt);
        return;
    }
    if (run("text2pcap -q -D -T %d,%d '%s' '%s' >/dev/null 2>&1", s->client_port, s->server_port,
            txt, pcap))
        return;
    if (run("tshark -r '%s' %s -V >'%s' 2>/dev/null", pcap, decode, verbose))
        return;
    char fargs[1024];
    size_t fl_len = 0;
    for (int i = 0; i < F_COUNT && fl_len < sizeof fargs; i++)
        fl_len += (size_t)snprintf(fargs + fl_len, sizeof fargs - fl_len, " -e %s", field_names[i]);
    if (run("tshark -r '%s' %s -T fields -E separator='|' -E occurrence=f %s >'%s' 2>/dev/null",
            pcap, decode, fargs, fields))
        return;

    size_t len;
    char *v = slurp(verbose, &len);
    char *fl = slurp(fields, &len);
    if (v == NULL || fl == NULL)
        fail("cannot read tshark output of %s", s->name);
    else {
        check_verbose(s, v);
        check_fields(s, fl);
    }
    free(v);
    free(fl);
    printf("%s: %d frames checked (%s)\n", s->name, s->n, pcap);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s WORKDIR\n", argv[0]);
        return 2;
    }
    if (!have_tool("tshark") || !have_tool("text2pcap")) {
        printf("SKIP: tshark or text2pcap not installed\n");
        return 77;
    }
    if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
        perror(argv[1]);
        return 2;
    }
    for (size_t i = 0; i < sizeof data_pool; i++)
        data_pool[i] = (uint8_t)(0x20 + (i * 37) % 95); /* printable, varied */

    static struct session class2 = {.name = "class2", .client_port = 40000, .server_port = 10200};
    static struct session class0 = {.name = "class0", .client_port = 40001, .server_port = 10201};
    static struct session field = {.name = "field", .client_port = 40002, .server_port = 10202};
    build_class2(&class2);
    build_class0(&class0);
    build_field(&field);
    if (failures == 0) {
        run_session(&class2, argv[1]);
        run_session(&class0, argv[1]);
        run_session(&field, argv[1]);
    }
    if (failures > 0) {
        printf("%d failure(s); captures and tshark output kept in %s\n", failures, argv[1]);
        return 1;
    }
    printf("OK: every frame decoded by tshark as encoded\n");
    return 0;
}
