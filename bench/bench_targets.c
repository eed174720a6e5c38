/* SPDX-License-Identifier: MIT */
/* wsp-bench: the targets of issues 11 and 9, and the table that holds every figure
 * against its target.
 *
 * A row of the main table has a target when its group starts with
 * group_prefix and its wsp and raw paths match exactly.  Time ratios are
 * wsp/raw (lower is better); rate targets (itot throughput, lifecycles per
 * second) are the inverse, raw/wsp time = wsp rate / raw rate (higher is
 * better).  Each repetition runs both variants back to back, so its ratio is
 * a same-run, paired figure: the table gives the median of those ratios and
 * their 25th to 75th percentile as the spread (the main table's "wsp/raw" is
 * the ratio of the two medians; on a quiet row the two agree). */
#include "bench.h"

#include <stdio.h>
#include <string.h>

static const struct bench_target targets[] = {
    {"tcp send/recv", "wsp_send 64 B", "send()", BENCH_TGT_MAX_RATIO, 1.05},
    {"tcp send/recv", "wsp_recv 64 B", "recv()", BENCH_TGT_MAX_RATIO, 1.05},
    {"tcp send/recv", "wsp_send 64 KiB", "send()", BENCH_TGT_MAX_RATIO, 1.05},
    {"tcp send/recv", "wsp_recv 64 KiB", "recv()", BENCH_TGT_MAX_RATIO, 1.05},
    {"tcp send/recv", "WSASend 64 B", "send()", BENCH_TGT_MAX_RATIO, 1.05},
    {"tcp send/recv", "WSARecv 64 B", "recv()", BENCH_TGT_MAX_RATIO, 1.05},
    {"tcp send/recv", "WSASend 64 KiB", "send()", BENCH_TGT_MAX_RATIO, 1.05},
    {"tcp send/recv", "WSARecv 64 KiB", "recv()", BENCH_TGT_MAX_RATIO, 1.05},
    {"handle lookup", "wsp_getsockopt(SO_TYPE)", "getsockopt(SO_TYPE)", BENCH_TGT_MAX_RATIO, 1.3},
    {"handle lookup", "ioctlsocket(FIONREAD)", "ioctl(FIONREAD)", BENCH_TGT_MAX_RATIO, 1.3},
    {"tcp ping-pong", "1 B round trip", "send()/recv() 1 B", BENCH_TGT_MAX_RATIO, 1.03},
    {"tcp ping-pong", "1 B round trip, one thread", "send()/recv() 1 B, one thread",
     BENCH_TGT_MAX_RATIO, 1.03},
    {"tcp lifecycle", "wsp lifecycle", "raw TCP lifecycle", BENCH_TGT_MAX_RATIO, 1.05},
    {"itot class", "TSDU 64 KiB send -> recv", "TCP send/recv 64 KiB", BENCH_TGT_MIN_RATE, 0.9},
    {"itot class", "TSDU 1 KiB round trip", "TCP 1 KiB round trip", BENCH_TGT_MAX_RATIO, 1.3},
    {"itot class", "TSDU 1 KiB round trip, one thread", "TCP 1 KiB round trip, one thread",
     BENCH_TGT_MAX_RATIO, 1.3},
    {"itot class", "WSASendDisconnect(s, 64 octets)", "shutdown(SHUT_WR)", BENCH_TGT_MAX_RATIO,
     1.5},
    {"itot class", "itot lifecycle", "raw TCP lifecycle", BENCH_TGT_MIN_RATE, 0.8},
    /* issue 9: overlapped I/O on tcp */
    {"iocp echo, 64 clients", "64 B echo, GetQueuedCompletionStatusEx", "epoll echo 64 B",
     BENCH_TGT_MIN_RATE, 0.9},
    {"iocp echo, 64 clients", "4 KiB echo, GetQueuedCompletionStatusEx", "epoll echo 4 KiB",
     BENCH_TGT_MIN_RATE, 0.9},
    {"iocp echo, 64 clients", "64 B echo, GetQueuedCompletionStatus", "epoll echo 64 B",
     BENCH_TGT_MIN_RATE, 0.9},
    {"tcp overlapped stream", "4 x 64 KiB WSASend/WSARecv in flight (ports)",
     "blocking send()/recv() 64 KiB", BENCH_TGT_MIN_RATE, 0.95},
};

#define TGT_MAX_ROWS 64

struct tgt_row {
    char scenario[160];
    const struct bench_target *t;
    double fig, lo, hi;
};

static struct tgt_row rows[TGT_MAX_ROWS];
static int nrows;
static FILE *tcsv;

const struct bench_target *bench_target_find(const char *group, const char *metric,
                                             const char *raw_name)
{
    for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
        const struct bench_target *t = &targets[k];
        if (strncmp(group, t->group_prefix, strlen(t->group_prefix)) == 0 &&
            strcmp(metric, t->metric) == 0 && strcmp(raw_name, t->raw_name) == 0)
            return t;
    }
    return NULL;
}

int bench_targets_csv_open(const char *path)
{
    tcsv = fopen(path, "w");
    if (tcsv == NULL)
        return -1;
    fprintf(tcsv, "scenario,kind,figure,spread_lo,spread_hi,target,met,by_percent\n");
    return 0;
}

/* The figure in the target's own unit (a rate ratio is the inverse of the time ratio). */
static double tgt_figure(const struct bench_target *t, double ratio)
{
    return t->kind == BENCH_TGT_MIN_RATE && ratio > 0 ? 1.0 / ratio : ratio;
}

void bench_target_record(const char *scenario, const struct bench_target *t, double ratio,
                         double lo, double hi)
{
    if (nrows == TGT_MAX_ROWS)
        return;
    struct tgt_row *r = &rows[nrows++];
    snprintf(r->scenario, sizeof r->scenario, "%s", scenario);
    r->t = t;
    r->fig = tgt_figure(t, ratio);
    /* inverting swaps the ends of the spread */
    double a = tgt_figure(t, lo), b = tgt_figure(t, hi);
    r->lo = a < b ? a : b;
    r->hi = a < b ? b : a;
}

static const char *tgt_unit(const struct bench_target *t)
{
    static const char *const units[] = {
        [BENCH_TGT_MAX_RATIO] = "time wsp/raw",
        [BENCH_TGT_MIN_RATE] = "rate wsp/raw",
        [BENCH_TGT_MAX_BYTES] = "bytes",
    };
    return units[t->kind];
}

void bench_report_targets(void)
{
    printf("\n### Every figure against its target\n\n"
           "Figure = median of the per-repetition ratios (raw and wsp back to back in each "
           "repetition); spread = their 25th..75th percentile. A rate ratio is raw time / wsp "
           "time. Missed by = distance from the target in %% of the target.\n\n");
    printf("| scenario | measure | figure | spread | target | verdict |\n");
    printf("|---|---|---:|---:|---:|---|\n");
    for (int i = 0; i < nrows; i++) {
        const struct tgt_row *r = &rows[i];
        int min = r->t->kind == BENCH_TGT_MIN_RATE;
        int met = min ? r->fig >= r->t->target : r->fig <= r->t->target;
        double by = (r->fig - r->t->target) / r->t->target * 100.0;
        const char *fmt = r->t->kind == BENCH_TGT_MAX_BYTES ? "%.0f" : "%.2f";
        char fig[32], lo[32], hi[32], tg[32];
        snprintf(fig, sizeof fig, fmt, r->fig);
        snprintf(lo, sizeof lo, fmt, r->lo);
        snprintf(hi, sizeof hi, fmt, r->hi);
        snprintf(tg, sizeof tg, fmt, r->t->target);
        printf("| %s | %s | %s | %s..%s | %s %s | %s", r->scenario, tgt_unit(r->t), fig, lo, hi,
               min ? ">=" : "<=", tg, met ? "met" : "**missed**");
        if (!met) {
            double aby = by < 0 ? -by : by;
            /* a near miss keeps a decimal: "by 0 %" would read as met */
            printf(aby < 10 ? " by %.1f %%" : " by %.0f %%", aby);
        }
        printf(" |\n");
        if (tcsv != NULL)
            fprintf(tcsv, "\"%s\",%s,%.4f,%.4f,%.4f,%.4f,%d,%.1f\n", r->scenario,
                    min ? "min" : "max", r->fig, r->lo, r->hi, r->t->target, met, by);
    }
    if (tcsv != NULL)
        fclose(tcsv);
    tcsv = NULL;
    fflush(stdout);
}
