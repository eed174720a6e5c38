/* SPDX-License-Identifier: MIT */
/* tpdu — TPKT and ISO 8073 TPDU codec (RFC 1006 TPKT; ISO 8073 / X.224 TPDUs).
 *
 * Every read goes through a bounded reader (struct rd) and every write through a
 * bounded writer (struct wr), in the spirit of s2n's stuffers: a read past the end
 * fails instead of touching memory, so the parsers below never do raw pointer
 * arithmetic on peer-controlled lengths.  Per-type knowledge lives in two tables:
 * tpdu_kinds (fixed part, minimum LI, user data limits) and tpdu_params (which
 * parameter codes mean something in which TPDU type). */
#include "tpdu.h"

#include <string.h>

/* ---- bounded reader ---------------------------------------------------- */

struct rd {
    const uint8_t *p;
    size_t len;
    size_t off;
};

static size_t rd_left(const struct rd *r)
{
    return r->len - r->off;
}

static bool rd_u8(struct rd *r, uint8_t *v)
{
    if (rd_left(r) < 1)
        return false;
    *v = r->p[r->off++];
    return true;
}

static bool rd_u16(struct rd *r, uint16_t *v)
{
    if (rd_left(r) < 2)
        return false;
    *v = (uint16_t)((r->p[r->off] << 8) | r->p[r->off + 1]);
    r->off += 2;
    return true;
}

/* Hands out a view of the next n octets (no copy) and skips them. */
static bool rd_bytes(struct rd *r, size_t n, const uint8_t **v)
{
    if (rd_left(r) < n)
        return false;
    *v = r->p + r->off;
    r->off += n;
    return true;
}

/* ---- bounded writer (sticky failure: one check at the end suffices) ---- */

struct wr {
    uint8_t *p;
    size_t cap;
    size_t off;
    bool ok;
};

static void wr_u8(struct wr *w, uint8_t v)
{
    if (!w->ok || w->cap - w->off < 1) {
        w->ok = false;
        return;
    }
    w->p[w->off++] = v;
}

static void wr_u16(struct wr *w, uint16_t v)
{
    wr_u8(w, (uint8_t)(v >> 8));
    wr_u8(w, (uint8_t)v);
}

static void wr_bytes(struct wr *w, const uint8_t *v, size_t n)
{
    if (!w->ok || w->cap - w->off < n || (n > 0 && v == NULL)) {
        w->ok = false;
        return;
    }
    if (n > 0)
        memcpy(w->p + w->off, v, n);
    w->off += n;
}

/* A parameter: code, one length octet, value. */
static void wr_param(struct wr *w, uint8_t code, const uint8_t *v, size_t n)
{
    if (n > 255) {
        w->ok = false;
        return;
    }
    wr_u8(w, code);
    wr_u8(w, (uint8_t)n);
    wr_bytes(w, v, n);
}

/* Fills in an octet reserved earlier (LI, TPKT length) once the size is known. */
static void wr_patch_u8(struct wr *w, size_t at, uint8_t v)
{
    if (w->ok && at < w->off)
        w->p[at] = v;
}

static void wr_patch_u16(struct wr *w, size_t at, uint16_t v)
{
    wr_patch_u8(w, at, (uint8_t)(v >> 8));
    wr_patch_u8(w, at + 1, (uint8_t)v);
}

/* ---- TPDU kinds -------------------------------------------------------- */

#define TPDU_BIT(code) (1u << ((code) >> 4))

/* Fixed-part decoders: the reader starts at octet 3 (after LI and code) and is
 * bounded by the header (LI+1), so a fixed part that does not fit fails. */
typedef bool (*tpdu_fixed_fn)(struct rd *r, struct tpdu *t);

static bool fixed_refs(struct rd *r, struct tpdu *t)
{
    return rd_u16(r, &t->dst_ref) && rd_u16(r, &t->src_ref);
}

static bool fixed_conn(struct rd *r, struct tpdu *t)
{
    return fixed_refs(r, t) && rd_u8(r, &t->class_opt);
}

static bool fixed_dr(struct rd *r, struct tpdu *t)
{
    return fixed_refs(r, t) && rd_u8(r, &t->reason);
}

static bool fixed_er(struct rd *r, struct tpdu *t)
{
    return rd_u16(r, &t->dst_ref) && rd_u8(r, &t->cause);
}

/* DT and ED: LI 2 is the class 0 format; anything longer is the class 2 normal
 * format with DST-REF (so LI 3 cannot hold its fixed part). */
static bool fixed_data(struct rd *r, struct tpdu *t)
{
    uint8_t v;
    size_t left = rd_left(r); /* LI - 1 */
    if (left >= 3) {
        t->dst_ref_present = true;
        if (!rd_u16(r, &t->dst_ref))
            return false;
    } else if (left != 1) {
        return false;
    }
    if (!rd_u8(r, &v))
        return false;
    t->eot = (v & 0x80) != 0;
    t->nr = v & 0x7F;
    return true;
}

/* EA and AK: the acknowledged number has no EOT bit (bit 8 is not used). */
static bool fixed_ack(struct rd *r, struct tpdu *t)
{
    uint8_t v;
    if (!rd_u16(r, &t->dst_ref) || !rd_u8(r, &v))
        return false;
    t->nr = v & 0x7F;
    return true;
}

struct tpdu_kind {
    uint8_t code;
    uint8_t min_li;
    bool has_cdt;      /* low nibble of octet 2 is a credit, not part of the code */
    bool carries_data; /* the rest of the TPDU after the header is user data */
    uint16_t min_data;
    uint16_t max_data; /* 0xFFFF: bounded only by the TPKT */
    tpdu_fixed_fn fixed;
    const char *name;
};

static const struct tpdu_kind tpdu_kinds[] = {
    {TPDU_CR, 6, true, true, 0, TPDU_MAX_CONN_DATA, fixed_conn, "CR"},
    {TPDU_CC, 6, true, true, 0, TPDU_MAX_CONN_DATA, fixed_conn, "CC"},
    {TPDU_DR, 6, false, true, 0, TPDU_MAX_DISC_DATA, fixed_dr, "DR"},
    {TPDU_DC, 5, false, false, 0, 0, fixed_refs, "DC"},
    {TPDU_DT, 2, false, true, 0, 0xFFFF, fixed_data, "DT"},
    {TPDU_ED, 2, false, true, 1, TPDU_MAX_ED_DATA, fixed_data, "ED"},
    {TPDU_EA, 4, false, false, 0, 0, fixed_ack, "EA"},
    {TPDU_AK, 4, true, false, 0, 0, fixed_ack, "AK"},
    {TPDU_ER, 4, false, false, 0, 0, fixed_er, "ER"},
};

static const struct tpdu_kind *tpdu_kind_of(uint8_t octet2)
{
    for (size_t i = 0; i < sizeof tpdu_kinds / sizeof tpdu_kinds[0]; i++) {
        const struct tpdu_kind *k = &tpdu_kinds[i];
        uint8_t mask = k->has_cdt ? 0xF0 : 0xFF;
        if ((octet2 & mask) == k->code)
            return k;
    }
    return NULL;
}

const char *tpdu_code_name(uint8_t code)
{
    /* RJ is named for logs though it is never decoded (classes 1 and 3 only). */
    if ((code & 0xF0) == TPDU_RJ)
        return "RJ";
    for (size_t i = 0; i < sizeof tpdu_kinds / sizeof tpdu_kinds[0]; i++)
        if ((code & 0xF0) == tpdu_kinds[i].code)
            return tpdu_kinds[i].name;
    return "?";
}

/* ---- parameters -------------------------------------------------------- */

typedef enum tpdu_status (*tpdu_param_fn)(struct tpdu *t, const uint8_t *v, uint8_t n);

static enum tpdu_status param_tpdu_size(struct tpdu *t, const uint8_t *v, uint8_t n)
{
    if (n != 1 || tpdu_size_from_code(v[0]) == 0)
        return TPDU_E_PARAM_VALUE;
    t->has_tpdu_size = true;
    t->tpdu_size_code = v[0];
    return TPDU_OK;
}

static enum tpdu_status param_pref_size(struct tpdu *t, const uint8_t *v, uint8_t n)
{
    uint32_t units = 0;
    if (n < 1 || n > 4)
        return TPDU_E_PARAM_VALUE;
    for (uint8_t i = 0; i < n; i++)
        units = (units << 8) | v[i];
    if (units == 0)
        return TPDU_E_PARAM_VALUE;
    t->has_pref_size = true;
    t->pref_size_units = units;
    return TPDU_OK;
}

static enum tpdu_status param_calling(struct tpdu *t, const uint8_t *v, uint8_t n)
{
    if (n > TPDU_MAX_TSAP)
        return TPDU_E_PARAM_VALUE;
    t->has_calling = true;
    t->calling_len = n;
    if (n > 0)
        memcpy(t->calling, v, n);
    return TPDU_OK;
}

static enum tpdu_status param_called(struct tpdu *t, const uint8_t *v, uint8_t n)
{
    if (n > TPDU_MAX_TSAP)
        return TPDU_E_PARAM_VALUE;
    t->has_called = true;
    t->called_len = n;
    if (n > 0)
        memcpy(t->called, v, n);
    return TPDU_OK;
}

static enum tpdu_status param_add_options(struct tpdu *t, const uint8_t *v, uint8_t n)
{
    if (n != 1)
        return TPDU_E_PARAM_VALUE;
    t->has_add_options = true;
    t->add_options = v[0];
    return TPDU_OK;
}

/* Each octet names a class in bits 8-5; ISO has classes 0-4 only. */
static enum tpdu_status param_alt_classes(struct tpdu *t, const uint8_t *v, uint8_t n)
{
    if (n > sizeof t->alt_classes)
        return TPDU_E_PARAM_VALUE;
    for (uint8_t i = 0; i < n; i++)
        if ((v[i] >> 4) > 4)
            return TPDU_E_PARAM_VALUE;
    t->n_alt_classes = n;
    if (n > 0)
        memcpy(t->alt_classes, v, n);
    return TPDU_OK;
}

/* ISO leaves the content user defined; RFC 2126 uses one octet.  Other lengths
 * carry nothing we act on, so they are skipped rather than refused. */
static enum tpdu_status param_add_clearing(struct tpdu *t, const uint8_t *v, uint8_t n)
{
    if (n == 1) {
        t->has_add_clearing = true;
        t->add_clearing = v[0];
    }
    return TPDU_OK;
}

static enum tpdu_status param_invalid_tpdu(struct tpdu *t, const uint8_t *v, uint8_t n)
{
    t->rejected = v;
    t->rejected_len = n;
    return TPDU_OK;
}

struct tpdu_param_rule {
    uint8_t code;
    uint16_t types; /* TPDU_BIT() of each TPDU type where the code means this */
    tpdu_param_fn fn;
};

/* Codes absent here (checksum, version, protection, class 4 timers, anything
 * unknown) are skipped after their length is checked: ISO 8073 says
 * to ignore unknown parameters in a CR, and they carry nothing we use elsewhere. */
static const struct tpdu_param_rule tpdu_params[] = {
    {TPDU_P_TPDU_SIZE, TPDU_BIT(TPDU_CR) | TPDU_BIT(TPDU_CC), param_tpdu_size},
    {TPDU_P_PREF_TPDU_SIZE, TPDU_BIT(TPDU_CR) | TPDU_BIT(TPDU_CC), param_pref_size},
    {TPDU_P_CALLING_TSAP, TPDU_BIT(TPDU_CR) | TPDU_BIT(TPDU_CC), param_calling},
    {TPDU_P_CALLING_TSAP, TPDU_BIT(TPDU_ER), param_invalid_tpdu},
    {TPDU_P_CALLED_TSAP, TPDU_BIT(TPDU_CR) | TPDU_BIT(TPDU_CC), param_called},
    {TPDU_P_ADD_OPTIONS, TPDU_BIT(TPDU_CR) | TPDU_BIT(TPDU_CC), param_add_options},
    {TPDU_P_ALT_CLASSES, TPDU_BIT(TPDU_CR), param_alt_classes},
    {TPDU_P_ADD_CLEARING, TPDU_BIT(TPDU_DR), param_add_clearing},
};

static const struct tpdu_param_rule *tpdu_param_rule(uint8_t code, uint8_t type)
{
    for (size_t i = 0; i < sizeof tpdu_params / sizeof tpdu_params[0]; i++)
        if (tpdu_params[i].code == code && (tpdu_params[i].types & TPDU_BIT(type)))
            return &tpdu_params[i];
    return NULL;
}

/* Walks the variable part r[off..len) (len = LI+1).  err_off gets the octet to
 * blame: the length octet of a parameter that overruns, the first value octet
 * of a bad value. */
static enum tpdu_status parse_params(struct rd *r, struct tpdu *t, size_t *err_off)
{
    while (rd_left(r) > 0) {
        uint8_t code, n;
        const uint8_t *v;
        size_t at = r->off;
        if (!rd_u8(r, &code) || !rd_u8(r, &n)) {
            *err_off = at; /* a code with no room for its length */
            return TPDU_E_PARAM_LEN;
        }
        if (!rd_bytes(r, n, &v)) {
            *err_off = at + 1;
            return TPDU_E_PARAM_LEN;
        }
        const struct tpdu_param_rule *rule = tpdu_param_rule(code, t->code);
        if (rule == NULL)
            continue;
        enum tpdu_status st = rule->fn(t, v, n);
        if (st != TPDU_OK) {
            /* The first value octet, or the length octet of an empty value. */
            *err_off = n > 0 ? at + 2 : at + 1;
            return st;
        }
    }
    return TPDU_OK;
}

/* ---- decode ------------------------------------------------------------ */

enum tpkt_status tpkt_peek(const uint8_t *p, size_t n, size_t *tpkt_len)
{
    struct rd r = {p, n, 0};
    uint8_t version, reserved;
    uint16_t len;
    /* The version is refused as soon as it is seen: waiting for more octets
     * of a stream that cannot be resynchronised only delays the close. */
    if (!rd_u8(&r, &version))
        return TPKT_NEED_MORE;
    if (version != TPKT_VERSION)
        return TPKT_BAD;
    if (!rd_u8(&r, &reserved) || !rd_u16(&r, &len))
        return TPKT_NEED_MORE;
    if (len < TPKT_MIN_LEN)
        return TPKT_BAD;
    if (tpkt_len != NULL)
        *tpkt_len = len;
    return n < len ? TPKT_NEED_MORE : TPKT_OK;
}

enum tpdu_status tpdu_decode(const uint8_t *p, size_t n, struct tpdu *t, size_t *used,
                             size_t *err_off)
{
    size_t off_sink;
    size_t *eo = err_off != NULL ? err_off : &off_sink;
    struct rd r = {p, n, 0};
    uint8_t li, octet2;

    memset(t, 0, sizeof *t);
    *eo = 0;
    if (!rd_u8(&r, &li) || !rd_u8(&r, &octet2))
        return TPDU_E_SHORT;
    t->li = li;
    if (li == 255 || (size_t)li + 1 > n)
        return TPDU_E_LI;
    const struct tpdu_kind *k = tpdu_kind_of(octet2);
    if (k == NULL) {
        *eo = 1;
        return TPDU_E_CODE;
    }
    t->code = k->code;
    if (k->has_cdt)
        t->cdt = octet2 & 0x0F;
    if (li < k->min_li)
        return TPDU_E_LI;

    /* The header is LI+1 octets; the fixed part and the parameters must fit in it. */
    struct rd hdr = {p, (size_t)li + 1, r.off};
    if (!k->fixed(&hdr, t))
        return TPDU_E_LI;
    if (t->code == TPDU_CR || t->code == TPDU_CC) {
        if ((t->class_opt >> 4) > 4) {
            *eo = 6;
            return TPDU_E_PARAM_VALUE;
        }
    }
    enum tpdu_status st = parse_params(&hdr, t, eo);
    if (st != TPDU_OK)
        return st;

    size_t hdr_len = (size_t)li + 1;
    if (!k->carries_data) {
        *used = hdr_len;
        return TPDU_OK;
    }
    t->data_len = n - hdr_len;
    /* Never NULL after a decode, even when empty: callers may memcpy(dst, data, 0). */
    t->data = p + hdr_len;
    if (t->data_len > k->max_data) {
        *eo = hdr_len + k->max_data;
        return TPDU_E_DATA_LEN;
    }
    if (t->data_len < k->min_data) {
        *eo = li;
        return TPDU_E_DATA_LEN;
    }
    *used = n;
    return TPDU_OK;
}

/* ---- encode ------------------------------------------------------------ */

static void enc_connect(struct wr *w, const struct tpdu *t, bool is_cr)
{
    wr_u16(w, t->dst_ref);
    wr_u16(w, t->src_ref);
    wr_u8(w, t->class_opt);
    /* Order C1, C2, C0, F0, C6, C7: the order of the verified frames in spec 11. */
    if (t->has_calling)
        wr_param(w, TPDU_P_CALLING_TSAP, t->calling, t->calling_len);
    if (t->has_called)
        wr_param(w, TPDU_P_CALLED_TSAP, t->called, t->called_len);
    if (t->has_tpdu_size)
        wr_param(w, TPDU_P_TPDU_SIZE, &t->tpdu_size_code, 1);
    if (t->has_pref_size) {
        uint8_t v[4];
        size_t n = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
            if (n > 0 || (t->pref_size_units >> shift) != 0 || shift == 0)
                v[n++] = (uint8_t)(t->pref_size_units >> shift);
        wr_param(w, TPDU_P_PREF_TPDU_SIZE, v, n);
    }
    if (t->has_add_options)
        wr_param(w, TPDU_P_ADD_OPTIONS, &t->add_options, 1);
    if (is_cr && t->n_alt_classes > 0)
        wr_param(w, TPDU_P_ALT_CLASSES, t->alt_classes, t->n_alt_classes);
}

/* Whether t is something the format can carry; see tpdu.h for the limits. */
static bool enc_valid(const struct tpdu *t, const struct tpdu_kind *k)
{
    bool is_conn = t->code == TPDU_CR || t->code == TPDU_CC;
    if (t->data_len > 0 && t->data == NULL)
        return false;
    if (k->carries_data && (t->data_len < k->min_data || t->data_len > k->max_data))
        return false;
    if (!k->carries_data && t->data_len > 0)
        return false;
    if (t->code == TPDU_DT &&
        t->data_len > (t->dst_ref_present ? TPDU_DT2_MAX_DATA : TPDU_DT0_MAX_DATA))
        return false;
    if (is_conn) {
        if ((t->has_calling && t->calling_len > TPDU_MAX_TSAP) ||
            (t->has_called && t->called_len > TPDU_MAX_TSAP) ||
            t->n_alt_classes > sizeof t->alt_classes)
            return false;
        if (t->has_pref_size && t->pref_size_units == 0)
            return false;
    }
    if (t->code == TPDU_ER && t->rejected_len > 0 && t->rejected == NULL)
        return false;
    return true;
}

size_t tpdu_encode(const struct tpdu *t, uint8_t *out, size_t cap)
{
    const struct tpdu_kind *k = tpdu_kind_of(t->code);
    if (k == NULL || k->code != t->code || !enc_valid(t, k))
        return 0;

    struct wr w = {out, cap, 0, out != NULL};
    wr_u8(&w, TPKT_VERSION);
    wr_u8(&w, 0);
    wr_u16(&w, 0); /* TPKT length, patched below */
    size_t li_at = w.off;
    wr_u8(&w, 0); /* LI, patched below */
    wr_u8(&w, (uint8_t)(k->has_cdt ? t->code | (t->cdt & 0x0F) : t->code));

    switch (t->code) {
    case TPDU_CR:
    case TPDU_CC:
        enc_connect(&w, t, t->code == TPDU_CR);
        break;
    case TPDU_DR:
        wr_u16(&w, t->dst_ref);
        wr_u16(&w, t->src_ref);
        wr_u8(&w, t->reason);
        if (t->has_add_clearing)
            wr_param(&w, TPDU_P_ADD_CLEARING, &t->add_clearing, 1);
        break;
    case TPDU_DC:
        wr_u16(&w, t->dst_ref);
        wr_u16(&w, t->src_ref);
        break;
    case TPDU_DT:
    case TPDU_ED:
        if (t->dst_ref_present)
            wr_u16(&w, t->dst_ref);
        wr_u8(&w, (uint8_t)((t->eot ? 0x80 : 0) | (t->nr & 0x7F)));
        break;
    case TPDU_EA:
    case TPDU_AK:
        wr_u16(&w, t->dst_ref);
        wr_u8(&w, t->nr & 0x7F);
        break;
    case TPDU_ER:
        wr_u16(&w, t->dst_ref);
        wr_u8(&w, t->cause);
        if (t->rejected != NULL)
            wr_param(&w, TPDU_P_CALLING_TSAP, t->rejected, t->rejected_len);
        break;
    default:
        return 0;
    }
    size_t li = w.off - li_at - 1;
    wr_bytes(&w, t->data, t->data_len);
    if (!w.ok || li > TPDU_MAX_LI || w.off > TPKT_MAX_LEN)
        return 0;
    if (t->code == TPDU_CR && w.off - TPKT_HDR_LEN > TPDU_MAX_CR_LEN)
        return 0;
    wr_patch_u16(&w, 2, (uint16_t)w.off);
    wr_patch_u8(&w, li_at, (uint8_t)li);
    return w.off;
}

size_t tpdu_encode_dt_header(bool class_2, uint16_t dst_ref, bool eot, size_t data_len,
                             uint8_t hdr[TPDU_DT_HDR_MAX])
{
    size_t max = class_2 ? TPDU_DT2_MAX_DATA : TPDU_DT0_MAX_DATA;
    if (data_len > max)
        return 0;
    struct wr w = {hdr, TPDU_DT_HDR_MAX, 0, true};
    uint8_t li = class_2 ? 4 : 2;
    wr_u8(&w, TPKT_VERSION);
    wr_u8(&w, 0);
    wr_u16(&w, (uint16_t)(TPKT_HDR_LEN + 1 + li + data_len));
    wr_u8(&w, li);
    wr_u8(&w, TPDU_DT);
    if (class_2)
        wr_u16(&w, dst_ref);
    wr_u8(&w, eot ? 0x80 : 0x00);
    return w.ok ? w.off : 0;
}

/* ---- small lookups ----------------------------------------------------- */

uint32_t tpdu_size_from_code(uint8_t code)
{
    if (code < 0x07 || code > 0x10)
        return 0;
    /* 0x10 would be 65536, one TPKT cannot hold it: HP's stack reads it as
     * the largest TPDU, 65531. */
    return code == 0x10 ? TPDU_MAX_LEN : (uint32_t)1 << code;
}

struct tpdu_reason_name {
    uint8_t reason;
    const char *name;
};

static const struct tpdu_reason_name tpdu_reasons[] = {
    {0, "not specified"},
    {1, "congestion at TSAP"},
    {2, "session entity not attached to TSAP"},
    {3, "address unknown"},
    {128, "normal disconnect"},
    {129, "remote congestion at connect time"},
    {130, "negotiation failed"},
    {131, "duplicate source reference"},
    {132, "mismatched references"},
    {133, "protocol error"},
    {135, "reference overflow"},
    {136, "connection request refused"},
    {138, "header or parameter length invalid"},
};

const char *tpdu_dr_reason_name(uint8_t reason)
{
    for (size_t i = 0; i < sizeof tpdu_reasons / sizeof tpdu_reasons[0]; i++)
        if (tpdu_reasons[i].reason == reason)
            return tpdu_reasons[i].name;
    return NULL;
}
