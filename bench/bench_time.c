/* SPDX-License-Identifier: MIT */
/* wsp-bench: clock, medians and the interleaving driver. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_REPS 1001

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double bench_quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double pos = q * (n - 1);
    int i = (int)pos;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

void bench_fail(struct bench_case *bc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(bc->err, sizeof bc->err, fmt, ap);
    va_end(ap);
}

const char *bench_wsa_err(void)
{
    static __thread char buf[64];
    int e = WSAGetLastError();
    const char *name = wsp_strerror_name(e);
    snprintf(buf, sizeof buf, "%s (%d)", name ? name : "?", e);
    return buf;
}

int bench_run_case(struct bench_case *bc)
{
    static double raw[BENCH_MAX_METRICS][BENCH_MAX_REPS];
    static double wsp[BENCH_MAX_METRICS][BENCH_MAX_REPS];
    int reps = bc->reps < BENCH_MAX_REPS ? bc->reps : BENCH_MAX_REPS;

    for (int r = 0; r < reps; r++) {
        /* Alternate which variant goes first, so neither always runs warm. */
        enum bench_variant order[2] = {r % 2 ? BENCH_WSP : BENCH_RAW,
                                       r % 2 ? BENCH_RAW : BENCH_WSP};
        for (int k = 0; k < 2; k++) {
            double out[BENCH_MAX_METRICS] = {0};
            if (bc->run(bc, order[k], out) != 0)
                return -1;
            for (int m = 0; m < bc->nmetrics; m++)
                (order[k] == BENCH_RAW ? raw : wsp)[m][r] = out[m];
        }
    }
    for (int m = 0; m < bc->nmetrics; m++) {
        /* The spread of the ratio: each repetition ran both variants back to
         * back, so its own ratio is a paired sample. */
        static double ratio[BENCH_MAX_REPS];
        for (int r = 0; r < reps; r++)
            ratio[r] = raw[m][r] > 0 ? wsp[m][r] / raw[m][r] : 0;
        bc->ratio_p25[m] = bench_quantile(ratio, reps, 0.25);
        bc->ratio_p75[m] = bench_quantile(ratio, reps, 0.75);
        bc->ratio_p50[m] = bench_quantile(ratio, reps, 0.5);
        bc->raw_med[m] = bench_median(raw[m], reps);
        bc->wsp_med[m] = bench_median(wsp[m], reps);
        if (bc->bytes_per_op[m] > 0 && bc->wsp_med[m] > 0)
            bc->mbps[m] = bc->bytes_per_op[m] * 1e3 / bc->wsp_med[m]; /* B/ns*1e3 = MB/s */
    }
    return 0;
}
