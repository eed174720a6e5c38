/* SPDX-License-Identifier: MIT */
/* wsp-bench: the handle lookup path.
 *
 * A lookup-only API call (getsockopt SO_TYPE, ioctlsocket FIONREAD) costs the
 * ws2 entry (startup check, handle -> provider/context, pin) plus the
 * provider's own work plus the syscall; the raw column is the syscall alone.
 * The two-thread variant runs the same call on two different sockets at once:
 * with no global lock, per-thread ns/op stays close to the one-thread figure,
 * as it does for the raw syscall. */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>

#define LOOKUP_THREADS 2

struct lookup_ctx {
    struct raw_pair raw[LOOKUP_THREADS];
    struct wsp_pair wsp[LOOKUP_THREADS];
    int iters;
};

static int raw_getsockopt_loop(int fd, int iters)
{
    for (int i = 0; i < iters; i++) {
        int type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
            return -1;
    }
    return 0;
}

static int wsp_getsockopt_loop(SOCKET s, int iters)
{
    for (int i = 0; i < iters; i++) {
        int type = 0;
        int len = sizeof type;
        if (wsp_getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0 || type != SOCK_STREAM)
            return -1;
    }
    return 0;
}

static int lookup_run(struct bench_case *bc, enum bench_variant v, double *out)
{
    struct lookup_ctx *c = bc->ctx;
    uint64_t t0 = bench_now_ns();
    int rc = v == BENCH_RAW ? raw_getsockopt_loop(c->raw[0].a, c->iters)
                            : wsp_getsockopt_loop(c->wsp[0].a, c->iters);
    uint64_t t1 = bench_now_ns();
    if (rc != 0) {
        bench_fail(bc, "getsockopt SO_TYPE: %s", v == BENCH_RAW ? "raw" : bench_wsa_err());
        return -1;
    }
    out[0] = (double)(t1 - t0) / c->iters;

    t0 = bench_now_ns();
    for (int i = 0; i < c->iters; i++) {
        if (v == BENCH_RAW) {
            int n = -1;
            rc = ioctl(c->raw[0].a, FIONREAD, &n);
        } else {
            u_long n = 1;
            rc = ioctlsocket(c->wsp[0].a, WSP_FIONREAD, &n);
        }
        if (rc != 0) {
            bench_fail(bc, "FIONREAD: %s", v == BENCH_RAW ? "raw" : bench_wsa_err());
            return -1;
        }
    }
    t1 = bench_now_ns();
    out[1] = (double)(t1 - t0) / c->iters;
    return 0;
}

struct mt_arg {
    pthread_barrier_t *start;
    enum bench_variant v;
    int fd;
    SOCKET s;
    int iters;
    int rc;
    uint64_t t0, t1; /* the thread's own clock: main may not run at once on 2 CPUs */
};

static void *mt_main(void *p)
{
    struct mt_arg *a = p;
    pthread_barrier_wait(a->start);
    a->t0 = bench_now_ns();
    a->rc = a->v == BENCH_RAW ? raw_getsockopt_loop(a->fd, a->iters)
                              : wsp_getsockopt_loop(a->s, a->iters);
    a->t1 = bench_now_ns();
    return NULL;
}

static int lookup_mt_run(struct bench_case *bc, enum bench_variant v, double *out)
{
    struct lookup_ctx *c = bc->ctx;
    pthread_barrier_t start;
    pthread_t th[LOOKUP_THREADS];
    struct mt_arg arg[LOOKUP_THREADS];
    int rc = 0;

    pthread_barrier_init(&start, NULL, LOOKUP_THREADS + 1);
    for (int t = 0; t < LOOKUP_THREADS; t++) {
        arg[t] = (struct mt_arg){&start, v, c->raw[t].a, c->wsp[t].a, c->iters, 0, 0, 0};
        pthread_create(&th[t], NULL, mt_main, &arg[t]);
    }
    pthread_barrier_wait(&start);
    uint64_t t0 = UINT64_MAX, t1 = 0;
    for (int t = 0; t < LOOKUP_THREADS; t++) {
        pthread_join(th[t], NULL);
        rc |= arg[t].rc;
        t0 = arg[t].t0 < t0 ? arg[t].t0 : t0;
        t1 = arg[t].t1 > t1 ? arg[t].t1 : t1;
    }
    pthread_barrier_destroy(&start);
    if (rc != 0) {
        bench_fail(bc, "getsockopt SO_TYPE in a thread failed");
        return -1;
    }
    /* Wall time from the first thread's start to the last one's end, per op
     * of one thread: equals the 1-thread figure when the two threads never
     * wait for each other. */
    out[0] = (double)(t1 - t0) / c->iters;
    return 0;
}

int bench_lookup(const struct bench_opts *o)
{
    static struct lookup_ctx c;
    struct pair_opts po = {SOCK_STREAM, IPPROTO_TCP, 0, 0};
    struct bench_case st = {
        .group = "handle lookup",
        .metric = {"wsp_getsockopt(SO_TYPE)", "ioctlsocket(FIONREAD)"},
        .raw_name = {"getsockopt(SO_TYPE)", "ioctl(FIONREAD)"},
        .nmetrics = 2,
        .reps = o->reps,
        .run = lookup_run,
        .ctx = &c,
    };
    struct bench_case mt = {
        .group = "handle lookup",
        .metric = {"wsp_getsockopt(SO_TYPE) x2 threads"},
        .raw_name = {"getsockopt(SO_TYPE) x2 threads"},
        .nmetrics = 1,
        .reps = o->reps,
        .run = lookup_mt_run,
        .ctx = &c,
    };

    /* Many short samples (see bench_stream.c) */
    c.iters = 2000;
    st.reps = mt.reps = o->reps * (o->quick ? 1 : 10);
    if (raw_pairs_open(c.raw, LOOKUP_THREADS, 0, st.err, sizeof st.err) != 0) {
        bench_report_case(&st);
        return -1;
    }
    if (wsp_pairs_open(c.wsp, LOOKUP_THREADS, &po, st.err, sizeof st.err) != 0) {
        raw_pairs_close(c.raw, LOOKUP_THREADS);
        bench_report_case(&st);
        snprintf(mt.err, sizeof mt.err, "%s", st.err);
        bench_report_case(&mt);
        return -1;
    }
    bench_run_case(&st);
    bench_report_case(&st);
    bench_run_case(&mt);
    bench_report_case(&mt);
    if (st.err[0] == '\0' && mt.err[0] == '\0')
        printf("| handle lookup | scaling: 2 threads / 1 thread (1.00 = no contention) |  |  | "
               "%.2f | %.2f |  |  |\n",
               mt.raw_med[0] / st.raw_med[0], mt.wsp_med[0] / st.wsp_med[0]);
    wsp_pairs_close(c.wsp, LOOKUP_THREADS);
    raw_pairs_close(c.raw, LOOKUP_THREADS);
    return 0;
}
