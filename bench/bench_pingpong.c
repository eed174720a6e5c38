/* SPDX-License-Identifier: MIT */
/* wsp-bench: round trips ("ping-pong") between two threads.
 *
 * The main thread sends a message on one end of a pair and waits for it to
 * come back; an echo thread on the other end receives it and sends it back.
 * The figure is the wall time per round trip on the main thread: two sends,
 * two receives and two wake-ups of a blocked reader, the latency a
 * request/response protocol sees.  tcp: 1 byte through wsp's tcp provider
 * against send()/recv().  itot: a 1 KiB TSDU against a 1 KiB TCP message
 * (raw TCP doing the same job).
 * A second row does the same round trip on one thread (send a, receive b,
 * send b, receive a): the calls' own cost, without the scheduler's wake-ups,
 * which on a small loaded machine dominate and scatter the two-thread row.
 * It has a pair of its own, on which no receive ever waits (the data is
 * always there): what a server that never blocks in a receive sees, with
 * the sockets as connect and accept made them. */
#include "bench.h"

#include <wsp/itot.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define PP_MAX_MSG 1024

/* [0] the two-thread row's pair, [1] the one-thread row's */
struct pp_ctx {
    struct raw_pair raw[2];
    struct wsp_pair wsp[2];
    int msg;
    int count;
};

struct pp_echo {
    struct pp_ctx *c;
    enum bench_variant v;
    pthread_barrier_t *start;
    int rc;
};

static int pp_recv(struct pp_ctx *c, enum bench_variant v, int k, int side_b, char *buf)
{
    if (v == BENCH_RAW)
        return raw_recv_all(side_b ? c->raw[k].b : c->raw[k].a, buf, (size_t)c->msg);
    return wsp_recv_all(side_b ? c->wsp[k].b : c->wsp[k].a, buf, c->msg);
}

static int pp_send(struct pp_ctx *c, enum bench_variant v, int k, int side_b, const char *buf)
{
    if (v == BENCH_RAW)
        return send(side_b ? c->raw[k].b : c->raw[k].a, buf, (size_t)c->msg, 0) == c->msg ? 0 : -1;
    return wsp_send(side_b ? c->wsp[k].b : c->wsp[k].a, buf, c->msg, 0) == c->msg ? 0 : -1;
}

static void *pp_echo_main(void *arg)
{
    struct pp_echo *e = arg;
    char buf[PP_MAX_MSG];
    pthread_barrier_wait(e->start);
    for (int i = 0; i < e->c->count; i++) {
        if (pp_recv(e->c, e->v, 0, 1, buf) != 0 || pp_send(e->c, e->v, 0, 1, buf) != 0) {
            e->rc = -1;
            break;
        }
    }
    return NULL;
}

static int pp_run(struct bench_case *bc, enum bench_variant v, double *out)
{
    struct pp_ctx *c = bc->ctx;
    pthread_barrier_t start;
    pthread_t th;
    struct pp_echo e = {c, v, &start, 0};
    char buf[PP_MAX_MSG];
    int rc = 0;

    memset(buf, 'p', sizeof buf);
    pthread_barrier_init(&start, NULL, 2);
    pthread_create(&th, NULL, pp_echo_main, &e);
    pthread_barrier_wait(&start);
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < c->count && rc == 0; i++)
        rc = pp_send(c, v, 0, 0, buf) != 0 || pp_recv(c, v, 0, 0, buf) != 0 ? -1 : 0;
    uint64_t t1 = bench_now_ns();
    /* A failed main side would leave the echo thread waiting: closing is the
     * caller's business, the error ends the process's use of this pair. */
    if (rc == 0)
        pthread_join(th, NULL);
    else
        pthread_detach(th);
    pthread_barrier_destroy(&start);
    if (rc != 0 || e.rc != 0) {
        bench_fail(bc, "%s round trip failed: %s", v == BENCH_RAW ? "raw" : "wsp",
                   v == BENCH_RAW ? "" : bench_wsa_err());
        return -1;
    }
    out[0] = (double)(t1 - t0) / c->count;

    t0 = bench_now_ns();
    for (int i = 0; i < c->count && rc == 0; i++)
        rc = pp_send(c, v, 1, 0, buf) != 0 || pp_recv(c, v, 1, 1, buf) != 0 ||
                     pp_send(c, v, 1, 1, buf) != 0 || pp_recv(c, v, 1, 0, buf) != 0
                 ? -1
                 : 0;
    t1 = bench_now_ns();
    if (rc != 0) {
        bench_fail(bc, "%s one-thread round trip failed: %s", v == BENCH_RAW ? "raw" : "wsp",
                   v == BENCH_RAW ? "" : bench_wsa_err());
        return -1;
    }
    out[1] = (double)(t1 - t0) / c->count;
    return 0;
}

static int pp_case(const struct bench_opts *o, const char *group, const char *metric,
                   const char *raw_name, const struct pair_opts *po, int msg)
{
    static struct pp_ctx c;
    static char metric1[64], raw1[64];
    snprintf(metric1, sizeof metric1, "%s, one thread", metric);
    snprintf(raw1, sizeof raw1, "%s, one thread", raw_name);
    struct bench_case bc = {
        .group = group,
        .metric = {metric, metric1},
        .raw_name = {raw_name, raw1},
        .nmetrics = 2,
        .reps = o->reps * (o->quick ? 2 : 10),
        .run = pp_run,
        .ctx = &c,
    };
    c.msg = msg;
    c.count = o->quick ? 100 : 200;
    if (raw_pairs_open(c.raw, 2, 0, bc.err, sizeof bc.err) != 0) {
        bench_report_case(&bc);
        return -1;
    }
    if (wsp_pairs_open(c.wsp, 2, po, bc.err, sizeof bc.err) != 0) {
        raw_pairs_close(c.raw, 2);
        bench_report_case(&bc);
        return -1;
    }
    bench_run_case(&bc);
    bench_report_case(&bc);
    wsp_pairs_close(c.wsp, 2);
    raw_pairs_close(c.raw, 2);
    return bc.err[0] ? -1 : 0;
}

int bench_pingpong(const struct bench_opts *o)
{
    struct pair_opts tcp = {SOCK_STREAM, IPPROTO_TCP, 0, 0};
    int rc = pp_case(o, "tcp ping-pong", "1 B round trip", "send()/recv() 1 B", &tcp, 1);
    if (!o->itot)
        return rc;
    static const int classes[] = {0, 2};
    for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++) {
        static char group[32];
        struct pair_opts po = {SOCK_SEQPACKET, WSP_PROTO_ITOT, classes[k], 0};
        snprintf(group, sizeof group, "itot class %d", classes[k]);
        rc |= pp_case(o, group, "TSDU 1 KiB round trip", "TCP 1 KiB round trip", &po, 1024);
    }
    return rc;
}
