/* SPDX-License-Identifier: MIT */
/* soak_payload — what one soak connection carries, derived from (seed,
 * provider, index) alone, so that the receiver knows what the sender sent and
 * a failure is reproduced by rerunning with the same seed.
 *
 * On the wire a connection is: a header (index, flags, payload length), the
 * payload in sends of random sizes, a trailer (the sender's checksum of the
 * payload it sent), then the sender's WSASendDisconnect.  The receiver checks
 * the length, every byte (against the regenerated payload: the first wrong
 * offset says where data went missing), the checksum, and on itot the
 * boundaries of every message and the exact disconnect data. */
#ifndef WSP_TEST_SOAK_PAYLOAD_H
#define WSP_TEST_SOAK_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SOAK_DISC_MAX 64 /* DR user data: the ISO maximum */
#define SOAK_HDR_LEN 24u
#define SOAK_TRL_LEN 16u
#define SOAK_FLAG_SERVER_SENDS 1u /* in the client's header: "you send, I read" */

enum soak_prov { SOAK_TCP = 0, SOAK_ITOT = 1 };

/* splitmix64: small and fast; good enough for test data and choices. */
struct soak_rng {
    uint64_t state;
};

void soak_rng_seed(struct soak_rng *r, uint64_t seed);
uint64_t soak_rng_next(struct soak_rng *r);
/* Uniform in [0, n) for n > 0. */
uint64_t soak_rng_below(struct soak_rng *r, uint64_t n);

struct soak_plan {
    uint32_t index;
    uint64_t data_seed;  /* the payload bytes */
    uint64_t chunk_seed; /* the sizes of the sends */
    uint64_t size;       /* payload octets, in [0, max_size] */
    size_t max_chunk;    /* largest single send */
    bool server_sends;   /* the accepted side sends, the connecting side reads */
    int itot_class;      /* itot: -1 (negotiate), 0 or 2, set on the connecting side */
    uint8_t disc[SOAK_DISC_MAX];
    unsigned disc_len;   /* itot: 0..64 octets of disconnect data */
    bool disc_by_option; /* itot: setsockopt(SO_DISCDATA) + WSASendDisconnect(NULL) (D9) */
    bool read_by_option; /* itot: getsockopt(SO_DISCDATA) instead of WSARecvDisconnect */
};

void soak_plan_make(uint64_t seed, enum soak_prov prov, uint32_t index, uint64_t max_size,
                    struct soak_plan *p);

/* The sizes of the payload sends, the same sequence on both sides. */
struct soak_chunks {
    struct soak_rng rng;
    uint64_t left;
    size_t max;
    bool empty_ok; /* message oriented: an empty TSDU now and then */
};

void soak_chunks_init(struct soak_chunks *c, const struct soak_plan *p, bool message_oriented);
/* The next send's size (0 only when message oriented); false when the
 * payload is complete. */
bool soak_chunks_next(struct soak_chunks *c, size_t *len);

/* Payload octets [off, off + n) of the stream data_seed. */
void soak_fill(uint64_t data_seed, uint64_t off, uint8_t *buf, size_t n);
/* Offset in buf of the first octet that differs from soak_fill, or n. */
size_t soak_verify(uint64_t data_seed, uint64_t off, const uint8_t *buf, size_t n);

/* Streaming 64-bit checksum: the result does not depend on how the octets
 * were split between updates. */
struct soak_sum {
    uint64_t h, pend, total;
    unsigned npend;
};

void soak_sum_init(struct soak_sum *s);
void soak_sum_update(struct soak_sum *s, const uint8_t *p, size_t n);
uint64_t soak_sum_final(const struct soak_sum *s);

struct soak_hdr {
    uint32_t index, flags;
    uint64_t length;
};

void soak_hdr_encode(const struct soak_hdr *h, uint8_t out[SOAK_HDR_LEN]);
/* -1 when the magic is wrong. */
int soak_hdr_decode(const uint8_t in[SOAK_HDR_LEN], struct soak_hdr *h);
void soak_trl_encode(uint64_t sum, uint8_t out[SOAK_TRL_LEN]);
int soak_trl_decode(const uint8_t in[SOAK_TRL_LEN], uint64_t *sum);

#endif
