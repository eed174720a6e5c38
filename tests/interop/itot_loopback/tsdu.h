/* SPDX-License-Identifier: MIT */
/* tsdu — self-checking test messages for the itot interop tests.
 *
 * Every TSDU is reproducible from (seed, direction, index): its size and its
 * payload come from a PRNG, so the receiver rebuilds what the sender sent and
 * compares byte for byte.  The header also carries the index and a checksum,
 * so a failure says which message went wrong and how (lost, reordered,
 * truncated, corrupted). */
#ifndef WSP_TEST_TSDU_H
#define WSP_TEST_TSDU_H

#include <stddef.h>
#include <stdint.h>

#define TSDU_HDR_LEN 24u
#define TSDU_MAGIC 0x57535054u /* "WSPT" */

/* splitmix64: small, fast, good enough to make test data and choices. */
struct tsdu_rng {
    uint64_t state;
};

void tsdu_rng_seed(struct tsdu_rng *r, uint64_t seed);
uint64_t tsdu_rng_next(struct tsdu_rng *r);
/* Uniform in [lo, hi] (hi - lo < 2^32). */
uint32_t tsdu_rng_range(struct tsdu_rng *r, uint32_t lo, uint32_t hi);
void tsdu_rng_fill(struct tsdu_rng *r, uint8_t *buf, size_t len);

/* Size of message `index` in direction `dir`: mostly log-uniform between
 * TSDU_HDR_LEN and max_len, so both tiny and multi-segment messages occur;
 * the first two are max_len and TSDU_HDR_LEN exactly. */
size_t tsdu_size(uint64_t seed, uint32_t dir, uint32_t index, size_t max_len);

/* Writes message (dir, index) of length len (>= TSDU_HDR_LEN) into buf. */
void tsdu_build(uint64_t seed, uint32_t dir, uint32_t index, uint8_t *buf, size_t len);

/* Checks a received message against the expected one.  scratch must hold
 * max_len octets.  Returns 0, or -1 with a reason written to why. */
int tsdu_check(uint64_t seed, uint32_t dir, uint32_t index, size_t max_len, const uint8_t *got,
               size_t got_len, uint8_t *scratch, char *why, size_t why_len);

/* Deterministic filler for connect / disconnect data. */
void tsdu_pattern(uint64_t seed, uint32_t tag, uint8_t *buf, size_t len);

#endif
