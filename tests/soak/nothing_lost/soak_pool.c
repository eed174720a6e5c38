/* SPDX-License-Identifier: MIT */
#include "soak_pool.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soak_pool_priv.h"

#define SOAK_RECV_BUF (256u * 1024u)
#define SOAK_PRINT_MAX 20 /* failure lines printed; the rest are only counted */

void soak_plan_desc(const struct soak_pool *pl, const struct soak_plan *p, char *buf, size_t len)
{
    int n = snprintf(
        buf, len, "%s conn #%" PRIu32 " (%s, %" PRIu64 " payload octets, sends of up to %zu",
        soak_prov_name(pl->cfg->prov), p->index,
        p->server_sends ? "accepted side sends" : "connecting side sends", p->size, p->max_chunk);
    if (n > 0 && (size_t)n < len && pl->cfg->prov == SOAK_ITOT)
        snprintf(buf + n, len - (size_t)n,
                 ", class %d, %u octets of disconnect data%s, read with %s)", p->itot_class,
                 p->disc_len, p->disc_by_option ? " via SO_DISCDATA" : "",
                 p->read_by_option ? "SO_DISCDATA" : "WSARecvDisconnect");
    else if (n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ")");
}

static void soak_report(struct soak_pool *pl, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&pl->mu);
    if (!pl->st->first_failure[0])
        snprintf(pl->st->first_failure, sizeof pl->st->first_failure, "%s", line);
    unsigned shown = pl->st->failed + pl->st->stray;
    if (shown <= SOAK_PRINT_MAX)
        fprintf(stderr, "soak: FAIL (seed %#" PRIx64 "): %s\n", pl->cfg->seed, line);
    pthread_mutex_unlock(&pl->mu);
}

/* A connection's failure, from either end; counted once per connection. */
static void soak_conn_failed(struct soak_pool *pl, const struct soak_plan *p, int end,
                             const char *why)
{
    struct soak_conn *c = &pl->conns[p->index];
    atomic_store(&c->side[end].phase, SOAK_PH_FAILED);
    if (!atomic_exchange(&c->failed, true)) {
        pthread_mutex_lock(&pl->mu);
        pl->st->failed++;
        pthread_mutex_unlock(&pl->mu);
    }
    char desc[256];
    soak_plan_desc(pl, p, desc, sizeof desc);
    soak_report(pl, "%s: %s: %s", desc, end == SOAK_CLIENT ? "connecting side" : "accepted side",
                why);
}

/* A failure that leaves a connection unaccounted for: stop starting new ones
 * and wake everybody who waits for one (closing the listener fails the
 * accepts; connects still queued on it are refused). */
static void soak_stop(struct soak_pool *pl, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&pl->mu);
    pl->st->stray++;
    pthread_mutex_unlock(&pl->mu);
    soak_report(pl, "%s run stopped: %s", soak_prov_name(pl->cfg->prov), line);
    atomic_store(&pl->stop, true);
    SOCKET l = atomic_exchange(&pl->listener, INVALID_SOCKET);
    if (l != INVALID_SOCKET)
        closesocket(l);
    pthread_mutex_lock(&pl->mu);
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
}

/* ---- slots: at most `concurrency` connections in flight -------------------- */

static bool soak_slot_take(struct soak_pool *pl)
{
    pthread_mutex_lock(&pl->mu);
    while (pl->in_flight >= pl->cfg->concurrency && !atomic_load(&pl->stop))
        pthread_cond_wait(&pl->cv, &pl->mu);
    bool ok = !atomic_load(&pl->stop);
    if (ok && ++pl->in_flight > pl->st->max_in_flight)
        pl->st->max_in_flight = pl->in_flight;
    pthread_mutex_unlock(&pl->mu);
    return ok;
}

static void soak_slot_give(struct soak_pool *pl)
{
    pthread_mutex_lock(&pl->mu);
    pl->in_flight--;
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
}

/* One end of connection index is closed; the second end frees the slot. */
static void soak_end_closed(struct soak_pool *pl, const struct soak_plan *p, int end)
{
    struct soak_conn *c = &pl->conns[p->index];
    if (atomic_load(&c->side[end].phase) != SOAK_PH_FAILED)
        atomic_store(&c->side[end].phase, SOAK_PH_CLOSED);
    atomic_fetch_add(&pl->progress, 1);
    if (atomic_fetch_add(&c->ends, 1) == 1)
        soak_slot_give(pl);
}

/* The receiving end verified everything. */
static void soak_verified(struct soak_pool *pl, const struct soak_plan *p)
{
    atomic_fetch_add(&pl->completed, 1);
    atomic_fetch_add(&pl->payload, p->size);
    atomic_fetch_add(&pl->disc, pl->cfg->prov == SOAK_ITOT ? p->disc_len : 0);
    if (p->server_sends)
        atomic_fetch_add(&pl->server_sends, 1);
    uint_fast64_t big = atomic_load(&pl->largest);
    while (p->size > big && !atomic_compare_exchange_weak(&pl->largest, &big, p->size))
        ;
}

/* ---- the two ends ----------------------------------------------------------- */

static void soak_client_one(struct soak_pool *pl, uint32_t index, uint8_t *buf)
{
    const struct soak_cfg *cfg = pl->cfg;
    struct soak_plan p;
    soak_plan_make(cfg->seed, cfg->prov, index, cfg->max_size, &p);
    struct soak_conn *c = &pl->conns[index];
    struct soak_io io = {&c->side[SOAK_CLIENT], &pl->progress};
    char why[512];
    atomic_store(&c->side[SOAK_CLIENT].phase, SOAK_PH_CONNECT);

    int err;
    SOCKET s = soak_socket(cfg->prov, &err);
    if (s == INVALID_SOCKET) {
        soak_stop(pl, "conn #%" PRIu32 ": socket: %s", index, soak_ename(err));
        return;
    }
    if (cfg->prov == SOAK_ITOT && p.itot_class >= 0 &&
        wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&p.itot_class,
                       (int)sizeof p.itot_class) != 0) {
        soak_stop(pl, "conn #%" PRIu32 ": setsockopt(WSP_ITOT_CLASS, %d): %s", index, p.itot_class,
                  soak_ename(WSAGetLastError()));
        closesocket(s);
        return;
    }
    err = soak_connect(s, pl->port);
    if (err) {
        soak_stop(pl, "conn #%" PRIu32 ": connect: %s", index, soak_ename(err));
        closesocket(s);
        return;
    }
    int rc;
    if (p.server_sends) {
        atomic_store(&c->side[SOAK_CLIENT].phase, SOAK_PH_REQUEST);
        rc = soak_conn_request(s, cfg->prov, &p, why, sizeof why);
        if (rc == 0)
            rc = soak_conn_recv(s, cfg->prov, &p, false, buf, SOAK_RECV_BUF, &io, why, sizeof why);
        if (rc == 0)
            soak_verified(pl, &p);
    } else {
        rc = soak_conn_send(s, cfg->prov, &p, &io, why, sizeof why);
    }
    if (rc != 0)
        soak_conn_failed(pl, &p, SOAK_CLIENT, why);
    closesocket(s); /* the sender: right after its SendDisconnect */
    soak_end_closed(pl, &p, SOAK_CLIENT);
}

static void *soak_client(void *arg)
{
    struct soak_pool *pl = arg;
    uint8_t *buf = malloc(SOAK_RECV_BUF);
    if (!buf) {
        soak_stop(pl, "out of memory");
        return NULL;
    }
    while (soak_slot_take(pl)) {
        uint32_t index = atomic_fetch_add(&pl->next_index, 1);
        if (index >= pl->cfg->connections) {
            soak_slot_give(pl);
            break;
        }
        soak_client_one(pl, index, buf);
    }
    free(buf);
    return NULL;
}

/* Checks the client's header against the plan of the index it names. */
static int soak_server_claim(struct soak_pool *pl, const struct soak_hdr *h, struct soak_plan *p)
{
    const struct soak_cfg *cfg = pl->cfg;
    if (h->index >= cfg->connections) {
        soak_stop(pl, "a client header names conn #%" PRIu32 " of %" PRIu32, h->index,
                  cfg->connections);
        return -1;
    }
    if (atomic_exchange(&pl->conns[h->index].seen, true)) {
        soak_stop(pl, "conn #%" PRIu32 " was accepted twice", h->index);
        return -1;
    }
    soak_plan_make(cfg->seed, cfg->prov, h->index, cfg->max_size, p);
    uint32_t want_flags = p->server_sends ? SOAK_FLAG_SERVER_SENDS : 0;
    if (h->flags != want_flags || h->length != (p->server_sends ? 0 : p->size)) {
        char why[160];
        snprintf(why, sizeof why, "the client's header says flags %#" PRIx32 ", %" PRIu64 " octets",
                 h->flags, h->length);
        soak_conn_failed(pl, p, SOAK_SERVER, why);
        return 1;
    }
    return 0;
}

static void soak_server_one(struct soak_pool *pl, SOCKET s, uint8_t *buf)
{
    const struct soak_cfg *cfg = pl->cfg;
    char why[512];
    struct soak_hdr h;
    if (soak_conn_identify(s, cfg->prov, &h, why, sizeof why) != 0) {
        soak_stop(pl, "%s", why);
        closesocket(s);
        return;
    }
    struct soak_plan p;
    int claim = soak_server_claim(pl, &h, &p);
    if (claim < 0) {
        closesocket(s);
        return;
    }
    struct soak_conn *c = &pl->conns[p.index];
    struct soak_io io = {&c->side[SOAK_SERVER], &pl->progress};
    int rc = 0;
    if (claim == 0 && p.server_sends) {
        rc = soak_conn_send(s, cfg->prov, &p, &io, why, sizeof why);
    } else if (claim == 0) {
        rc = soak_conn_recv(s, cfg->prov, &p, true, buf, SOAK_RECV_BUF, &io, why, sizeof why);
        if (rc == 0)
            soak_verified(pl, &p);
    }
    if (rc != 0)
        soak_conn_failed(pl, &p, SOAK_SERVER, why);
    closesocket(s);
    soak_end_closed(pl, &p, SOAK_SERVER);
}

static void *soak_server(void *arg)
{
    struct soak_pool *pl = arg;
    uint8_t *buf = malloc(SOAK_RECV_BUF);
    if (!buf) {
        soak_stop(pl, "out of memory");
        return NULL;
    }
    while (atomic_fetch_add(&pl->accept_claims, 1) < pl->cfg->connections) {
        SOCKET l = atomic_load(&pl->listener);
        SOCKET s = l == INVALID_SOCKET ? INVALID_SOCKET : WSAAccept(l, NULL, NULL, NULL, 0);
        if (s == INVALID_SOCKET) {
            if (!atomic_load(&pl->stop))
                soak_stop(pl, "WSAAccept: %s", soak_ename(WSAGetLastError()));
            break;
        }
        soak_server_one(pl, s, buf);
    }
    free(buf);
    return NULL;
}

/* ---- the run -------------------------------------------------------------------- */

static int soak_pool_init(struct soak_pool *pl, const struct soak_cfg *cfg, struct soak_stats *st)
{
    memset(pl, 0, sizeof *pl);
    pl->cfg = cfg;
    pl->st = st;
    pl->conns = calloc(cfg->connections ? cfg->connections : 1, sizeof *pl->conns);
    if (!pl->conns)
        return -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pl->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&pl->mu, NULL);
    atomic_init(&pl->listener, INVALID_SOCKET);
    return 0;
}

static void soak_pool_collect(struct soak_pool *pl)
{
    struct soak_stats *st = pl->st;
    st->completed = atomic_load(&pl->completed);
    st->server_sends = atomic_load(&pl->server_sends);
    st->payload_octets = atomic_load(&pl->payload);
    st->disc_octets = atomic_load(&pl->disc);
    st->largest = atomic_load(&pl->largest);
}

int soak_run(const struct soak_cfg *cfg, struct soak_stats *st)
{
    memset(st, 0, sizeof *st);
    struct soak_pool pl;
    if (soak_pool_init(&pl, cfg, st) != 0) {
        snprintf(st->first_failure, sizeof st->first_failure, "out of memory");
        st->stray = 1;
        return -1;
    }
    unsigned n = cfg->concurrency;
    pthread_t *th = calloc(2 * (size_t)n, sizeof *th), wd;
    SOCKET l;
    int err = th ? soak_listen(cfg->prov, (int)(2 * n < 16 ? 16 : 2 * n), &l, &pl.port) : -1;
    if (err) {
        snprintf(st->first_failure, sizeof st->first_failure, "%s listener: %s",
                 soak_prov_name(cfg->prov), err < 0 ? "out of memory" : soak_ename(err));
        st->stray = 1;
        goto out;
    }
    atomic_store(&pl.listener, l);
    double t0 = soak_now();
    bool watching = pthread_create(&wd, NULL, soak_watchdog, &pl) == 0;
    unsigned started = 0;
    for (; started < 2 * n; started++) {
        void *(*fn)(void *) = started < n ? soak_server : soak_client;
        if (pthread_create(&th[started], NULL, fn, &pl) != 0) {
            soak_stop(&pl, "pthread_create failed after %u threads", started);
            break;
        }
    }
    for (unsigned i = started; i-- > 0;) /* clients first, then servers */
        pthread_join(th[i], NULL);
    pthread_mutex_lock(&pl.mu);
    pl.finished = true;
    pthread_cond_broadcast(&pl.cv);
    pthread_mutex_unlock(&pl.mu);
    if (watching)
        pthread_join(wd, NULL);
    st->seconds = soak_now() - t0;
    l = atomic_exchange(&pl.listener, INVALID_SOCKET);
    if (l != INVALID_SOCKET)
        closesocket(l);
    soak_pool_collect(&pl);
out:
    free(th);
    free(pl.conns);
    pthread_cond_destroy(&pl.cv);
    pthread_mutex_destroy(&pl.mu);
    return st->completed == cfg->connections && !st->failed && !st->stray ? 0 : -1;
}
