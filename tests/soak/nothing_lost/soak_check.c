/* SPDX-License-Identifier: MIT */
#include "soak_check.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const soak_part_names[] = {"header", "payload", "trailer", "end"};

void soak_check_init(struct soak_check *c, const struct soak_plan *p, bool message_oriented,
                     bool header_done, char *why, size_t why_len)
{
    memset(c, 0, sizeof *c);
    c->plan = p;
    c->msg = message_oriented;
    c->part = header_done ? (p->size ? SOAK_PART_PAYLOAD : SOAK_PART_TRL) : SOAK_PART_HDR;
    c->next_kind = header_done ? 1 : 0;
    soak_sum_init(&c->sum);
    soak_chunks_init(&c->chunks, p, message_oriented);
    c->why = why;
    c->why_len = why_len;
}

void soak_check_where(const struct soak_check *c, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s, payload %" PRIu64 "/%" PRIu64, soak_part_names[c->part],
                     c->payload, c->plan->size);
    if (c->msg && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ", message #%" PRIu64 " (%zu octets so far)",
                 c->messages, c->msg_len);
}

static int soak_check_fail(struct soak_check *c, const char *what)
{
    char where[128];
    soak_check_where(c, where, sizeof where);
    snprintf(c->why, c->why_len, "%s (at %s)", what, where);
    return -1;
}

static int soak_check_header(struct soak_check *c)
{
    struct soak_hdr h;
    char what[192];
    if (soak_hdr_decode(c->hold, &h) != 0)
        return soak_check_fail(c, "the header's magic is wrong");
    if (h.index != c->plan->index || h.flags != 0 || h.length != c->plan->size) {
        snprintf(what, sizeof what,
                 "header says index %" PRIu32 ", flags %#" PRIx32 ", %" PRIu64
                 " octets; expected index %" PRIu32 ", flags 0, %" PRIu64 " octets",
                 h.index, h.flags, h.length, c->plan->index, c->plan->size);
        return soak_check_fail(c, what);
    }
    c->part = c->plan->size ? SOAK_PART_PAYLOAD : SOAK_PART_TRL;
    c->have = 0;
    return 0;
}

static int soak_check_trailer(struct soak_check *c)
{
    uint64_t theirs, ours = soak_sum_final(&c->sum);
    char what[160];
    if (soak_trl_decode(c->hold, &theirs) != 0)
        return soak_check_fail(c, "the trailer's magic is wrong");
    if (theirs != ours) {
        snprintf(what, sizeof what,
                 "checksum: the sender's trailer says %016" PRIx64
                 ", received octets give %016" PRIx64,
                 theirs, ours);
        return soak_check_fail(c, what);
    }
    c->part = SOAK_PART_DONE;
    return 0;
}

/* Collects a header or trailer; returns the octets consumed. */
static size_t soak_check_hold(struct soak_check *c, const uint8_t *p, size_t n, size_t need)
{
    size_t take = need - c->have < n ? need - c->have : n;
    memcpy(c->hold + c->have, p, take);
    c->have += take;
    return take;
}

static int soak_check_payload(struct soak_check *c, const uint8_t *p, size_t n)
{
    size_t bad = soak_verify(c->plan->data_seed, c->payload, p, n);
    if (bad < n) {
        uint8_t want;
        soak_fill(c->plan->data_seed, c->payload + bad, &want, 1);
        char what[160];
        snprintf(what, sizeof what,
                 "payload octet %" PRIu64 " is %#04x, expected %#04x (data lost, reordered "
                 "or corrupted)",
                 c->payload + bad, p[bad], want);
        c->payload += bad;
        return soak_check_fail(c, what);
    }
    soak_sum_update(&c->sum, p, n);
    c->payload += n;
    if (c->payload == c->plan->size)
        c->part = SOAK_PART_TRL;
    return 0;
}

int soak_check_data(struct soak_check *c, const uint8_t *p, size_t n)
{
    c->msg_len += n;
    while (n) {
        size_t used;
        switch (c->part) {
        case SOAK_PART_HDR:
            used = soak_check_hold(c, p, n, SOAK_HDR_LEN);
            if (c->have == SOAK_HDR_LEN && soak_check_header(c) != 0)
                return -1;
            break;
        case SOAK_PART_PAYLOAD:
            used = c->plan->size - c->payload < n ? (size_t)(c->plan->size - c->payload) : n;
            if (soak_check_payload(c, p, used) != 0)
                return -1;
            break;
        case SOAK_PART_TRL:
            used = soak_check_hold(c, p, n, SOAK_TRL_LEN);
            if (c->have == SOAK_TRL_LEN && soak_check_trailer(c) != 0)
                return -1;
            break;
        default: {
            char what[96];
            snprintf(what, sizeof what, "%zu octets arrived after the trailer", n);
            return soak_check_fail(c, what);
        }
        }
        p += used;
        n -= used;
    }
    return 0;
}

/* The length the next message must have, or -1 when none may come. */
static long long soak_check_expected(struct soak_check *c)
{
    size_t len;
    switch (c->next_kind) {
    case 0:
        c->next_kind = 1;
        return SOAK_HDR_LEN;
    case 1:
        if (soak_chunks_next(&c->chunks, &len))
            return (long long)len;
        c->next_kind = 3;
        return SOAK_TRL_LEN;
    default:
        return -1;
    }
}

int soak_check_eom(struct soak_check *c)
{
    long long want = soak_check_expected(c);
    if (want < 0 || (size_t)want != c->msg_len) {
        char what[128];
        snprintf(what, sizeof what, "a message of %zu octets; expected %s%lld", c->msg_len,
                 want < 0 ? "no more messages " : "", want < 0 ? 0 : want);
        return soak_check_fail(c, what);
    }
    c->messages++;
    c->msg_len = 0;
    return 0;
}

int soak_check_end(struct soak_check *c)
{
    if (c->part != SOAK_PART_DONE)
        return soak_check_fail(c, "the connection ended before the sender's last octet");
    if (c->msg && (c->msg_len || c->next_kind != 3))
        return soak_check_fail(c, "the connection ended inside or before a message");
    return 0;
}
