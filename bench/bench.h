/* SPDX-License-Identifier: MIT */
/* wsp-bench: shared declarations.
 *
 * Every benchmark is a "case": one operation done raw (POSIX syscalls) and
 * through wsp, in the same process, in interleaved repetitions.  A case's run
 * function performs one repetition of one variant and writes ns/op for each of
 * its metrics; the driver alternates the order (raw first on even
 * repetitions, wsp first on odd ones) so that drift (frequency scaling, cache
 * warmth, a neighbour on the machine) hits both variants alike. */
#ifndef WSP_BENCH_H
#define WSP_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <wsp/winsock2.h>

enum bench_variant { BENCH_RAW = 0, BENCH_WSP = 1 };

#define BENCH_MAX_METRICS 4
#define BENCH_ERRLEN 160

struct bench_case;
/* One repetition of one variant: fill out[0..nmetrics-1] with ns per op.
 * Returns 0, or -1 after bench_fail() (the case is then abandoned). */
typedef int (*bench_run_fn)(struct bench_case *bc, enum bench_variant v, double *out);

struct bench_case {
    const char *group;                       /* table section, e.g. "tcp send/recv" */
    const char *metric[BENCH_MAX_METRICS];   /* row names, e.g. "wsp_send 64 B" */
    const char *raw_name[BENCH_MAX_METRICS]; /* what the raw column ran, e.g. "send()" */
    int nmetrics;
    int reps;
    bench_run_fn run;
    void *ctx;
    char err[BENCH_ERRLEN]; /* set by bench_fail */
    /* results: medians (ns/op) per metric */
    double raw_med[BENCH_MAX_METRICS];
    double wsp_med[BENCH_MAX_METRICS];
    double mbps[BENCH_MAX_METRICS]; /* MB/s of the wsp variant when bytes_per_op is set */
    double bytes_per_op[BENCH_MAX_METRICS];
    /* spread: 25th and 75th percentile of the per-repetition ratios wsp/raw
     * (each repetition runs both variants back to back) */
    double ratio_p25[BENCH_MAX_METRICS];
    double ratio_p50[BENCH_MAX_METRICS];
    double ratio_p75[BENCH_MAX_METRICS];
};

/* ---- bench_time.c ---- */
uint64_t bench_now_ns(void);
double bench_median(double *v, int n);
/* q-quantile (0..1) of v[0..n-1], sorts v. */
double bench_quantile(double *v, int n, double q);
/* Runs bc->reps interleaved repetitions and fills the medians. */
int bench_run_case(struct bench_case *bc);
void bench_fail(struct bench_case *bc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "WSAECONNRESET (10054)" of the calling thread's last error. */
const char *bench_wsa_err(void);

/* ---- bench_report.c ---- */
void bench_report_header(void);
void bench_report_case(const struct bench_case *bc);
int bench_report_csv_open(const char *path);
void bench_report_csv_close(void);

/* ---- bench_targets.c: the targets of issue 11 ---- */
enum bench_target_kind {
    BENCH_TGT_MAX_RATIO, /* wsp/raw time ratio at most the target */
    BENCH_TGT_MIN_RATE,  /* raw/wsp time ratio (= wsp rate / raw rate) at least the target */
    BENCH_TGT_MAX_BYTES, /* an absolute figure in bytes, at most the target */
};
/* Looks up the target of one row (group prefix, metric, raw path); NULL if it has none. */
const struct bench_target *bench_target_find(const char *group, const char *metric,
                                             const char *raw_name);
struct bench_target {
    const char *group_prefix;
    const char *metric;
    const char *raw_name;
    enum bench_target_kind kind;
    double target;
};
/* Records one figure against its target (ratio = wsp/raw time, or bytes);
 * lo/hi the spread in the same unit.  bench_report_targets prints them all. */
void bench_target_record(const char *scenario, const struct bench_target *t, double ratio,
                         double lo, double hi);
void bench_report_targets(void);
int bench_targets_csv_open(const char *path);

/* ---- bench_pairs.c: connected pairs over loopback ---- */
struct raw_pair {
    int a, b; /* a connected to b */
};
struct wsp_pair {
    SOCKET a, b;
};
/* Options of a wsp pair: protocol (IPPROTO_TCP or WSP_PROTO_ITOT), itot class
 * (0 or 2, ignored for tcp) and the socket buffer size (0: leave default). */
struct pair_opts {
    int type;
    int protocol;
    int itot_class;
    int sockbuf;
};
int raw_pairs_open(struct raw_pair *p, int n, int sockbuf, char *err, size_t errlen);
void raw_pairs_close(struct raw_pair *p, int n);
int wsp_pairs_open(struct wsp_pair *p, int n, const struct pair_opts *o, char *err, size_t errlen);
void wsp_pairs_close(struct wsp_pair *p, int n);
/* Loops until len bytes are read (a stream may return fewer). 0 or -1. */
int raw_recv_all(int fd, char *buf, size_t len);
int wsp_recv_all(SOCKET s, char *buf, int len);

/* ---- the cases ---- */
struct bench_opts {
    int reps;
    int quick;     /* smaller loops, for a smoke run */
    int itot;      /* 1: run the itot cases if the provider loads */
    int scale_max; /* largest n of the scale section */
};
int bench_lookup(const struct bench_opts *o);
int bench_stream(const struct bench_opts *o);
int bench_disconnect(const struct bench_opts *o);
/* One disconnect case over a pool of pairs made with po; datalen octets of
 * disconnect data (0: NULL). */
int bench_disconnect_case(const struct bench_opts *o, const char *group, const struct pair_opts *po,
                          int datalen, const char *label);
int bench_itot(const struct bench_opts *o);
int bench_trace(const struct bench_opts *o);
/* bench_pingpong.c: tcp 1 B and itot 1 KiB round trips */
int bench_pingpong(const struct bench_opts *o);
/* bench_lifecycle.c: connect, 1 KiB each way, disconnect, read to end, close */
int bench_lifecycle(const struct bench_opts *o);
/* bench_iocp.c: completion-port echo server vs epoll echo server, 64 clients */
int bench_iocp(const struct bench_opts *o);
/* bench_ovlstream.c: 1 GiB with K overlapped WSASend/WSARecv vs blocking send/recv */
int bench_ovlstream(const struct bench_opts *o);
/* bench_scale.c: n concurrent itot connections: memory and release time */
int bench_scale(const struct bench_opts *o);
int bench_scale_csv_open(const char *path);
/* child mode of the scale section: one point; prints "rss ns open_ns" */
int bench_scale_point(int n, const char *variant);
/* callgrind mode: runs n sends of 64 B through one variant only. */
int bench_callgrind_send(const char *which, int n); /* raw, wsp or WSASend */
/* ... and n receives of 64 B: raw, wsp or WSARecv. */
int bench_callgrind_recv(const char *which, int n);

#endif
