/* SPDX-License-Identifier: MIT */
/* wsp-bench: WSASendDisconnect vs shutdown(SHUT_WR).
 *
 * A disconnect can be done once per connection, so each repetition opens a
 * pool of connected pairs first (untimed), times only the loop of calls over
 * the pool, then closes the pool (untimed). */
#include "bench.h"

#include <stdio.h>
#include <string.h>

#define DISC_POOL 64

struct disc_ctx {
    struct pair_opts po;
    int pool;
    int datalen; /* octets of disconnect data; 0: NULL */
    struct raw_pair raw[DISC_POOL];
    struct wsp_pair wsp[DISC_POOL];
};

static int disc_run(struct bench_case *bc, enum bench_variant v, double *out)
{
    struct disc_ctx *c = bc->ctx;
    static char data[64];
    WSABUF wb = {(ULONG)c->datalen, data};
    uint64_t t0, t1;

    memset(data, 'd', sizeof data);
    if (v == BENCH_RAW) {
        if (raw_pairs_open(c->raw, c->pool, 0, bc->err, sizeof bc->err) != 0)
            return -1;
        t0 = bench_now_ns();
        for (int i = 0; i < c->pool; i++)
            if (shutdown(c->raw[i].a, SHUT_WR) != 0) {
                bench_fail(bc, "shutdown failed");
                break;
            }
        t1 = bench_now_ns();
        raw_pairs_close(c->raw, c->pool);
    } else {
        if (wsp_pairs_open(c->wsp, c->pool, &c->po, bc->err, sizeof bc->err) != 0)
            return -1;
        t0 = bench_now_ns();
        for (int i = 0; i < c->pool; i++)
            if (WSASendDisconnect(c->wsp[i].a, c->datalen ? &wb : NULL) != 0) {
                bench_fail(bc, "WSASendDisconnect: %s", bench_wsa_err());
                break;
            }
        t1 = bench_now_ns();
        wsp_pairs_close(c->wsp, c->pool);
    }
    if (bc->err[0] != '\0')
        return -1;
    out[0] = (double)(t1 - t0) / c->pool;
    return 0;
}

int bench_disconnect_case(const struct bench_opts *o, const char *group, const struct pair_opts *po,
                          int datalen, const char *label)
{
    static struct disc_ctx c;
    struct bench_case bc = {
        .group = group,
        .metric = {label},
        .raw_name = {"shutdown(SHUT_WR)"},
        .nmetrics = 1,
        .reps = o->reps,
        .run = disc_run,
        .ctx = &c,
    };
    c.po = *po;
    c.pool = o->quick ? 16 : DISC_POOL;
    c.datalen = datalen;
    bench_run_case(&bc);
    bench_report_case(&bc);
    return bc.err[0] ? -1 : 0;
}

int bench_disconnect(const struct bench_opts *o)
{
    struct pair_opts po = {SOCK_STREAM, IPPROTO_TCP, 0, 0};
    return bench_disconnect_case(o, "tcp disconnect", &po, 0, "WSASendDisconnect(s, NULL)");
}
