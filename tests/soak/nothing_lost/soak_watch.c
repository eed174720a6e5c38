/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "soak_pool_priv.h"

/* ---- watchdog ----------------------------------------------------------------- */

/* Called with pl->mu held. */
static void soak_dump_stalled(struct soak_pool *pl)
{
    const struct soak_cfg *cfg = pl->cfg;
    fprintf(stderr,
            "soak: STALL: %s, seed %#" PRIx64 ": nothing moved for %u s; %u connection(s) in "
            "flight:\n",
            soak_prov_name(cfg->prov), cfg->seed, cfg->stall_seconds, pl->in_flight);
    uint32_t issued = atomic_load(&pl->next_index);
    for (uint32_t i = 0; i < issued && i < cfg->connections; i++) {
        struct soak_conn *c = &pl->conns[i];
        if (atomic_load(&c->ends) == 2)
            continue;
        struct soak_plan p;
        char desc[256];
        soak_plan_make(cfg->seed, cfg->prov, i, cfg->max_size, &p);
        soak_plan_desc(pl, &p, desc, sizeof desc);
        fprintf(stderr,
                "  %s\n    connecting side: %s, %" PRIuFAST64
                " octets moved; accepted side: %s, %" PRIuFAST64 " octets moved\n",
                desc, soak_phase_name(atomic_load(&c->side[SOAK_CLIENT].phase)),
                atomic_load(&c->side[SOAK_CLIENT].moved),
                soak_phase_name(atomic_load(&c->side[SOAK_SERVER].phase)),
                atomic_load(&c->side[SOAK_SERVER].moved));
    }
}

double soak_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A stalled run is a hang in the library (or in this test): say where, then
 * abort rather than wait for the ctest timeout. */
void *soak_watchdog(void *arg)
{
    struct soak_pool *pl = arg;
    uint_fast64_t last = atomic_load(&pl->progress);
    double quiet_since = soak_now();
    pthread_mutex_lock(&pl->mu);
    while (!pl->finished) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&pl->cv, &pl->mu, &ts);
        uint_fast64_t now_progress = atomic_load(&pl->progress);
        if (now_progress != last) {
            last = now_progress;
            quiet_since = soak_now();
        } else if (!pl->finished && soak_now() - quiet_since >= pl->cfg->stall_seconds) {
            soak_dump_stalled(pl);
            fflush(stderr);
            abort();
        }
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}
