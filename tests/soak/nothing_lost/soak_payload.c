/* SPDX-License-Identifier: MIT */
#include "soak_payload.h"

#include <string.h>

#define SOAK_GOLDEN 0x9E3779B97F4A7C15ull
#define SOAK_MAGIC_HDR 0x4B414F53u /* "SOAK" */
#define SOAK_MAGIC_TRL 0x21444E45u /* "END!" */

static uint64_t soak_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void soak_rng_seed(struct soak_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t soak_rng_next(struct soak_rng *r)
{
    return soak_mix(r->state += SOAK_GOLDEN);
}

uint64_t soak_rng_below(struct soak_rng *r, uint64_t n)
{
    return soak_rng_next(r) % n;
}

/* Sizes: a plain uniform draw would leave the empty and the tiny connections
 * (one segment, one TPDU) almost untested, so some draws pick the extremes or
 * an order of magnitude first; all stay in [0, max_size]. */
static uint64_t soak_size(struct soak_rng *r, uint64_t max_size)
{
    uint64_t pick = soak_rng_below(r, 16);
    if (pick == 0 || max_size == 0)
        return 0;
    if (pick == 1)
        return max_size;
    if (pick < 6) {
        unsigned bits = 0;
        while (bits < 63 && (1ull << (bits + 1)) <= max_size)
            bits++;
        uint64_t top = 1ull << soak_rng_below(r, bits + 1);
        return soak_rng_below(r, top + 1);
    }
    return soak_rng_below(r, max_size + 1);
}

void soak_plan_make(uint64_t seed, enum soak_prov prov, uint32_t index, uint64_t max_size,
                    struct soak_plan *p)
{
    static const size_t chunk_max[] = {4096, 65536, 262144, 1048576};
    static const int classes[] = {-1, 0, 2};
    struct soak_rng r;
    soak_rng_seed(&r, soak_mix(seed ^ ((uint64_t)prov << 40) ^ index));
    memset(p, 0, sizeof *p);
    p->index = index;
    p->data_seed = soak_rng_next(&r);
    p->chunk_seed = soak_rng_next(&r);
    p->size = soak_size(&r, max_size);
    p->max_chunk = chunk_max[soak_rng_below(&r, sizeof chunk_max / sizeof chunk_max[0])];
    p->server_sends = soak_rng_below(&r, 2) != 0;
    p->itot_class = classes[soak_rng_below(&r, sizeof classes / sizeof classes[0])];
    p->disc_len = (unsigned)soak_rng_below(&r, SOAK_DISC_MAX + 1);
    for (unsigned i = 0; i < p->disc_len; i++)
        p->disc[i] = (uint8_t)soak_rng_next(&r);
    p->disc_by_option = p->disc_len > 0 && soak_rng_below(&r, 2) != 0;
    p->read_by_option = soak_rng_below(&r, 2) != 0;
}

void soak_chunks_init(struct soak_chunks *c, const struct soak_plan *p, bool message_oriented)
{
    soak_rng_seed(&c->rng, p->chunk_seed);
    c->left = p->size;
    c->max = p->max_chunk;
    c->empty_ok = message_oriented;
}

bool soak_chunks_next(struct soak_chunks *c, size_t *len)
{
    if (c->left == 0)
        return false;
    /* An empty TSDU is a message of its own on itot: it must arrive as one. */
    if (c->empty_ok && soak_rng_below(&c->rng, 32) == 0) {
        *len = 0;
        return true;
    }
    uint64_t cap = c->left < c->max ? c->left : c->max;
    *len = (size_t)(1 + soak_rng_below(&c->rng, cap));
    c->left -= *len;
    return true;
}

static uint64_t soak_word(uint64_t data_seed, uint64_t w)
{
    return soak_mix(data_seed + (w + 1) * SOAK_GOLDEN);
}

static uint8_t soak_byte(uint64_t data_seed, uint64_t off)
{
    return (uint8_t)(soak_word(data_seed, off / 8) >> (8 * (off % 8)));
}

static void soak_put64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t soak_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void soak_put32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t soak_get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

void soak_fill(uint64_t data_seed, uint64_t off, uint8_t *buf, size_t n)
{
    size_t i = 0;
    for (; i < n && (off + i) % 8; i++)
        buf[i] = soak_byte(data_seed, off + i);
    for (; i + 8 <= n; i += 8)
        soak_put64(buf + i, soak_word(data_seed, (off + i) / 8));
    for (; i < n; i++)
        buf[i] = soak_byte(data_seed, off + i);
}

size_t soak_verify(uint64_t data_seed, uint64_t off, const uint8_t *buf, size_t n)
{
    size_t i = 0;
    for (; i < n && (off + i) % 8; i++)
        if (buf[i] != soak_byte(data_seed, off + i))
            return i;
    for (; i + 8 <= n; i += 8)
        if (soak_get64(buf + i) != soak_word(data_seed, (off + i) / 8))
            break; /* the byte loop below finds the exact octet */
    for (; i < n; i++)
        if (buf[i] != soak_byte(data_seed, off + i))
            return i;
    return n;
}

/* ---- checksum: FNV-1a over 64-bit words, with a rotation for diffusion ---- */

#define SOAK_FNV_BASIS 0xCBF29CE484222325ull
#define SOAK_FNV_PRIME 0x100000001B3ull

static uint64_t soak_absorb(uint64_t h, uint64_t w)
{
    h = (h ^ w) * SOAK_FNV_PRIME;
    return (h << 31) | (h >> 33);
}

void soak_sum_init(struct soak_sum *s)
{
    memset(s, 0, sizeof *s);
    s->h = SOAK_FNV_BASIS;
}

void soak_sum_update(struct soak_sum *s, const uint8_t *p, size_t n)
{
    s->total += n;
    while (n && s->npend) {
        s->pend |= (uint64_t)*p++ << (8 * s->npend);
        n--;
        if (++s->npend == 8) {
            s->h = soak_absorb(s->h, s->pend);
            s->pend = 0;
            s->npend = 0;
        }
    }
    for (; n >= 8; p += 8, n -= 8)
        s->h = soak_absorb(s->h, soak_get64(p));
    for (; n; n--) {
        s->pend |= (uint64_t)*p++ << (8 * s->npend);
        s->npend++;
    }
}

uint64_t soak_sum_final(const struct soak_sum *s)
{
    uint64_t h = soak_absorb(s->h, s->pend);
    h = soak_absorb(h, s->total);
    return soak_mix(h);
}

/* ---- header and trailer ---------------------------------------------------- */

void soak_hdr_encode(const struct soak_hdr *h, uint8_t out[SOAK_HDR_LEN])
{
    soak_put32(out, SOAK_MAGIC_HDR);
    soak_put32(out + 4, h->flags);
    soak_put32(out + 8, h->index);
    soak_put32(out + 12, 0);
    soak_put64(out + 16, h->length);
}

int soak_hdr_decode(const uint8_t in[SOAK_HDR_LEN], struct soak_hdr *h)
{
    if (soak_get32(in) != SOAK_MAGIC_HDR)
        return -1;
    h->flags = soak_get32(in + 4);
    h->index = soak_get32(in + 8);
    h->length = soak_get64(in + 16);
    return 0;
}

void soak_trl_encode(uint64_t sum, uint8_t out[SOAK_TRL_LEN])
{
    soak_put32(out, SOAK_MAGIC_TRL);
    soak_put32(out + 4, 0);
    soak_put64(out + 8, sum);
}

int soak_trl_decode(const uint8_t in[SOAK_TRL_LEN], uint64_t *sum)
{
    if (soak_get32(in) != SOAK_MAGIC_TRL)
        return -1;
    *sum = soak_get64(in + 8);
    return 0;
}
