/* SPDX-License-Identifier: MIT */
/* soak_pool_priv — the state a soak run shares between its threads, for
 * soak_pool.c (the connections) and soak_watch.c (the stall watchdog). */
#ifndef WSP_TEST_SOAK_POOL_PRIV_H
#define WSP_TEST_SOAK_POOL_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "soak_conn.h"
#include "soak_pool.h"

enum { SOAK_CLIENT, SOAK_SERVER };

struct soak_conn {
    struct soak_side side[2];
    atomic_int ends;    /* ends closed: the second one frees the slot */
    atomic_bool seen;   /* the server has identified it */
    atomic_bool failed; /* counted once */
};

struct soak_pool {
    const struct soak_cfg *cfg;
    struct soak_stats *st;
    struct soak_conn *conns;
    _Atomic(SOCKET) listener;
    uint16_t port;
    atomic_uint next_index, accept_claims;
    atomic_bool stop;
    atomic_uint_fast64_t progress;
    atomic_uint completed, server_sends;
    atomic_uint_fast64_t payload, disc, largest;

    pthread_mutex_t mu; /* slots, failure reports, watchdog */
    pthread_cond_t cv;
    unsigned in_flight;
    bool finished;
};

/* "tcp conn #7 (connecting side sends, 123 payload octets, ...)" */
void soak_plan_desc(const struct soak_pool *pl, const struct soak_plan *p, char *buf, size_t len);

double soak_now(void);

/* The watchdog thread: see soak_pool.h. */
void *soak_watchdog(void *arg);

#endif
