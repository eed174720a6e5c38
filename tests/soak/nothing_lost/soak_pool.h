/* SPDX-License-Identifier: MIT */
/* soak_pool — one soak run over one provider: a listener on 127.0.0.1,
 * `concurrency` client threads that connect and `concurrency` server threads
 * that accept, and at most `concurrency` connections in flight (a connection
 * takes its slot before its connect and gives it back when both of its ends
 * have closed).  Per connection, the plan (soak_payload) says who sends, how
 * much, in which pieces and with which disconnect data.
 *
 * Threads never call cmocka.  A broken connection is counted and reported
 * (provider, index, sizes, what went wrong) and the run goes on; a failure
 * that leaves a connection unaccounted for (connect, accept, unreadable
 * client header) stops the run.  A watchdog reports a stall: no octet moved
 * anywhere for stall_seconds; it prints every connection in flight and
 * aborts, so a hang is a failure with a diagnosis, not a timeout. */
#ifndef WSP_TEST_SOAK_POOL_H
#define WSP_TEST_SOAK_POOL_H

#include <stdint.h>

#include "soak_payload.h"

struct soak_cfg {
    enum soak_prov prov;
    uint32_t connections;
    unsigned concurrency;
    uint64_t max_size;
    uint64_t seed;
    unsigned stall_seconds;
};

struct soak_stats {
    uint32_t completed;      /* connections verified end to end */
    uint32_t failed;         /* connections with at least one failure */
    uint32_t stray;          /* failures not tied to a connection (stop the run) */
    uint32_t server_sends;   /* completed connections where the accepted side sent */
    uint64_t payload_octets; /* payload octets verified */
    uint64_t disc_octets;    /* disconnect data octets verified (itot) */
    uint64_t largest;        /* largest payload verified */
    unsigned max_in_flight;  /* connections open at the same time, at most */
    double seconds;
    char first_failure[1024]; /* "" when none */
};

/* Returns 0 when every connection was verified, -1 otherwise. */
int soak_run(const struct soak_cfg *cfg, struct soak_stats *st);

#endif
