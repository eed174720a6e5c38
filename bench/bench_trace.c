/* SPDX-License-Identifier: MIT */
/* wsp-bench: what the trace hook costs on the send path.  Two rows against
 * the same raw send(): wsp_send with tracing compiled in but off (nobody
 * listening: the price is one relaxed atomic load), and wsp_send with a
 * callback set that discards each line (the price of formatting the line and
 * handing it over).  The first row is also the one to compare with the
 * "tcp send/recv" wsp_send 64 B row of a build before the hook. */
#include "bench.h"

#include <string.h>

#include <wsp/wspext.h>

#define TRACE_MSG 64
#define TRACE_BATCH 256 /* messages between drains: 16 KiB, fits the buffers */
#define TRACE_SOCKBUF (1 << 20)

struct trace_ctx {
    struct raw_pair raw;
    struct wsp_pair wsp;
    int batches;
};

static char trace_buf[TRACE_MSG * TRACE_BATCH];

static void trace_discard(const char *line, void *ctx)
{
    (void)line;
    ++*(unsigned long *)ctx;
}

/* ns per send of one variant; the drain after each batch is not timed. */
static int trace_sends(struct trace_ctx *c, enum bench_variant v, double *ns)
{
    uint64_t total = 0;
    for (int k = 0; k < c->batches; k++) {
        uint64_t t0 = bench_now_ns();
        for (int i = 0; i < TRACE_BATCH; i++) {
            int n = v == BENCH_RAW ? (int)send(c->raw.a, trace_buf, TRACE_MSG, 0)
                                   : wsp_send(c->wsp.a, trace_buf, TRACE_MSG, 0);
            if (n != TRACE_MSG)
                return -1;
        }
        total += bench_now_ns() - t0;
        int rc = v == BENCH_RAW ? raw_recv_all(c->raw.b, trace_buf, sizeof trace_buf)
                                : wsp_recv_all(c->wsp.b, trace_buf, (int)sizeof trace_buf);
        if (rc != 0)
            return -1;
    }
    *ns = (double)total / ((double)TRACE_BATCH * c->batches);
    return 0;
}

/* metric 0: tracing off; metric 1: a callback set.  The raw variant runs
 * send() for both rows. */
static int trace_run(struct bench_case *bc, enum bench_variant v, double *out)
{
    struct trace_ctx *c = bc->ctx;
    unsigned long lines = 0;
    for (int m = 0; m < 2; m++) {
        if (v == BENCH_WSP && m == 1)
            wsp_set_debug_callback(trace_discard, &lines);
        int rc = trace_sends(c, v, &out[m]);
        if (v == BENCH_WSP && m == 1)
            wsp_set_debug_callback(NULL, NULL);
        if (rc != 0) {
            bench_fail(bc, "%s: %s", v == BENCH_RAW ? "send()" : "wsp_send",
                       v == BENCH_RAW ? "failed" : bench_wsa_err());
            return -1;
        }
    }
    return 0;
}

int bench_trace(const struct bench_opts *o)
{
    static struct trace_ctx c;
    struct pair_opts po = {SOCK_STREAM, IPPROTO_TCP, 0, TRACE_SOCKBUF};
    struct bench_case bc = {
        .group = "tracing (tcp send)",
        .metric = {"wsp_send 64 B, trace off", "wsp_send 64 B, trace callback"},
        .raw_name = {"send()", "send()"},
        .nmetrics = 2,
        .reps = o->reps * (o->quick ? 2 : 20),
        .run = trace_run,
        .ctx = &c,
        .bytes_per_op = {TRACE_MSG, TRACE_MSG},
    };
    memset(trace_buf, 't', sizeof trace_buf);
    c.batches = 2;
    if (raw_pairs_open(&c.raw, 1, TRACE_SOCKBUF, bc.err, sizeof bc.err) != 0) {
        bench_report_case(&bc);
        return -1;
    }
    if (wsp_pairs_open(&c.wsp, 1, &po, bc.err, sizeof bc.err) != 0) {
        raw_pairs_close(&c.raw, 1);
        bench_report_case(&bc);
        return -1;
    }
    bench_run_case(&bc);
    bench_report_case(&bc);
    wsp_pairs_close(&c.wsp, 1);
    raw_pairs_close(&c.raw, 1);
    return bc.err[0] ? -1 : 0;
}
