/* SPDX-License-Identifier: MIT */
#include "tsdu.h"

#include <stdio.h>
#include <string.h>

void tsdu_rng_seed(struct tsdu_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t tsdu_rng_next(struct tsdu_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t tsdu_rng_range(struct tsdu_rng *r, uint32_t lo, uint32_t hi)
{
    uint64_t span = (uint64_t)hi - lo + 1;
    return lo + (uint32_t)(tsdu_rng_next(r) % span);
}

void tsdu_rng_fill(struct tsdu_rng *r, uint8_t *buf, size_t len)
{
    while (len >= 8) {
        uint64_t v = tsdu_rng_next(r);
        memcpy(buf, &v, 8);
        buf += 8;
        len -= 8;
    }
    if (len) {
        uint64_t v = tsdu_rng_next(r);
        memcpy(buf, &v, len);
    }
}

static uint64_t tsdu_mix(uint64_t seed, uint32_t dir, uint32_t index, uint32_t what)
{
    struct tsdu_rng r;
    tsdu_rng_seed(&r, seed ^ ((uint64_t)dir << 56) ^ ((uint64_t)what << 48) ^ index);
    return tsdu_rng_next(&r);
}

size_t tsdu_size(uint64_t seed, uint32_t dir, uint32_t index, size_t max_len)
{
    if (index == 0)
        return max_len;
    if (index == 1)
        return TSDU_HDR_LEN;
    struct tsdu_rng r;
    tsdu_rng_seed(&r, tsdu_mix(seed, dir, index, 1));
    /* Pick an order of magnitude first: a plain uniform size would make almost
     * every message huge and leave the small and the one-segment cases untested. */
    unsigned maxbits = 0;
    while (((size_t)1 << (maxbits + 1)) <= max_len)
        maxbits++;
    unsigned bits = tsdu_rng_range(&r, 5, maxbits);
    size_t hi = (size_t)1 << bits;
    if (hi > max_len)
        hi = max_len;
    size_t lo = hi / 2 < TSDU_HDR_LEN ? TSDU_HDR_LEN : hi / 2;
    return tsdu_rng_range(&r, (uint32_t)lo, (uint32_t)hi);
}

static uint64_t tsdu_fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

static void tsdu_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t tsdu_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void tsdu_build(uint64_t seed, uint32_t dir, uint32_t index, uint8_t *buf, size_t len)
{
    struct tsdu_rng r;
    tsdu_rng_seed(&r, tsdu_mix(seed, dir, index, 2));
    tsdu_rng_fill(&r, buf + TSDU_HDR_LEN, len - TSDU_HDR_LEN);
    uint64_t sum = tsdu_fnv1a(buf + TSDU_HDR_LEN, len - TSDU_HDR_LEN);
    tsdu_put32(buf, TSDU_MAGIC);
    tsdu_put32(buf + 4, index);
    tsdu_put32(buf + 8, (uint32_t)len);
    tsdu_put32(buf + 12, dir);
    tsdu_put32(buf + 16, (uint32_t)(sum >> 32));
    tsdu_put32(buf + 20, (uint32_t)sum);
}

int tsdu_check(uint64_t seed, uint32_t dir, uint32_t index, size_t max_len, const uint8_t *got,
               size_t got_len, uint8_t *scratch, char *why, size_t why_len)
{
    size_t want_len = tsdu_size(seed, dir, index, max_len);
    if (got_len >= TSDU_HDR_LEN) {
        uint32_t magic = tsdu_get32(got), idx = tsdu_get32(got + 4), len = tsdu_get32(got + 8);
        if (magic != TSDU_MAGIC || idx != index || len != want_len) {
            snprintf(why, why_len,
                     "dir %u TSDU #%u: header says magic %08x index %u length %u, "
                     "expected index %u length %zu (received %zu octets)",
                     dir, index, magic, idx, len, index, want_len, got_len);
            return -1;
        }
    }
    if (got_len != want_len) {
        snprintf(why, why_len, "dir %u TSDU #%u: received %zu octets, sent %zu", dir, index,
                 got_len, want_len);
        return -1;
    }
    uint64_t sum = tsdu_fnv1a(got + TSDU_HDR_LEN, got_len - TSDU_HDR_LEN);
    uint64_t carried = (uint64_t)tsdu_get32(got + 16) << 32 | tsdu_get32(got + 20);
    tsdu_build(seed, dir, index, scratch, want_len);
    if (sum != carried || memcmp(scratch, got, want_len) != 0) {
        size_t at = 0;
        while (at < want_len && scratch[at] == got[at])
            at++;
        snprintf(why, why_len, "dir %u TSDU #%u (%zu octets): content differs from offset %zu%s",
                 dir, index, want_len, at, sum != carried ? " (checksum mismatch)" : "");
        return -1;
    }
    return 0;
}

void tsdu_pattern(uint64_t seed, uint32_t tag, uint8_t *buf, size_t len)
{
    struct tsdu_rng r;
    tsdu_rng_seed(&r, tsdu_mix(seed, 0xFF, tag, 3));
    tsdu_rng_fill(&r, buf, len);
}
