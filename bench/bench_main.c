/* SPDX-License-Identifier: MIT */
/* wsp-bench: every hot path of wsp against the raw syscall it wraps, in the
 * same run, interleaved; prints a markdown table of medians (ns/op) and the
 * ratio wsp/raw.
 *
 *   wsp-bench [--reps N] [--quick] [--no-itot] [--only SECTION] [--csv FILE]
 *             [--targets-csv FILE] [--scale-csv FILE] [--scale-max N]
 *   wsp-bench --callgrind-send raw|wsp|WSASend [N]
 *   wsp-bench --callgrind-recv raw|wsp|WSARecv [N]
 */
#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A bug that makes a call block forever must end the run, not hang it. */
#define BENCH_WATCHDOG_S 120

struct bench_section {
    const char *name;
    int (*fn)(const struct bench_opts *o);
    int is_itot;
};

static const struct bench_section sections[] = {
    {"lookup", bench_lookup, 0},         /* handle table */
    {"stream", bench_stream, 0},         /* send/recv */
    {"disconnect", bench_disconnect, 0}, /* WSASendDisconnect */
    {"itot", bench_itot, 1},             /* the itot provider */
    {"pingpong", bench_pingpong, 0},     /* round trips between two threads */
    {"lifecycle", bench_lifecycle, 0},   /* connect .. close */
    {"trace", bench_trace, 0},           /* the trace hook, off and on */
    {"iocp", bench_iocp, 0},             /* completion-port echo server, 64 clients */
    {"ovlstream", bench_ovlstream, 0},   /* 1 GiB, K overlapped sends/receives in flight */
    {"scale", bench_scale, 1},           /* 100 .. 10,000 itot connections */
};

static void usage(void)
{
    fprintf(
        stderr,
        "usage: wsp-bench [--reps N] [--quick] [--no-itot] [--only SECTION] [--csv FILE]\n"
        "                 [--targets-csv FILE] [--scale-csv FILE] [--scale-max N]\n"
        "       wsp-bench --callgrind-send raw|wsp|WSASend [N]\n"
        "       wsp-bench --callgrind-recv raw|wsp|WSARecv [N]\n"
        "sections: lookup stream disconnect itot pingpong lifecycle trace iocp ovlstream scale\n");
}

int main(int argc, char **argv)
{
    struct bench_opts o = {.reps = 15, .itot = 1, .scale_max = 10000};
    const char *only = NULL, *csv = NULL, *tcsv = NULL, *scsv = NULL;
    WSADATA wd;
    int rc = 0;

    signal(SIGPIPE, SIG_IGN);
    alarm(BENCH_WATCHDOG_S);
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0) {
        fprintf(stderr, "WSAStartup failed\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            o.reps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--quick") == 0) {
            o.quick = 1;
            o.reps = 5;
            o.scale_max = 1000;
        } else if (strcmp(argv[i], "--no-itot") == 0) {
            o.itot = 0;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
            csv = argv[++i];
        } else if (strcmp(argv[i], "--targets-csv") == 0 && i + 1 < argc) {
            tcsv = argv[++i];
        } else if (strcmp(argv[i], "--scale-csv") == 0 && i + 1 < argc) {
            scsv = argv[++i];
        } else if (strcmp(argv[i], "--scale-max") == 0 && i + 1 < argc) {
            o.scale_max = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--scale-point") == 0 && i + 2 < argc) {
            rc = bench_scale_point(atoi(argv[i + 1]), argv[i + 2]);
            WSACleanup();
            return rc ? 1 : 0;
        } else if (strcmp(argv[i], "--callgrind-send") == 0 && i + 1 < argc) {
            int n = i + 2 < argc ? atoi(argv[i + 2]) : 10000;
            rc = bench_callgrind_send(argv[i + 1], n);
            WSACleanup();
            return rc ? 1 : 0;
        } else if (strcmp(argv[i], "--callgrind-recv") == 0 && i + 1 < argc) {
            int n = i + 2 < argc ? atoi(argv[i + 2]) : 10000;
            rc = bench_callgrind_recv(argv[i + 1], n);
            WSACleanup();
            return rc ? 1 : 0;
        } else {
            usage();
            return 2;
        }
    }
    if (o.reps < 1)
        o.reps = 1;
    if (csv != NULL && bench_report_csv_open(csv) != 0) {
        perror(csv);
        return 1;
    }
    if ((tcsv != NULL && bench_targets_csv_open(tcsv) != 0) ||
        (scsv != NULL && bench_scale_csv_open(scsv) != 0)) {
        perror(tcsv != NULL ? tcsv : scsv);
        return 1;
    }

    printf("wsp-bench (--reps %d): per path, 'samples' timed loops of each variant, raw and wsp "
           "alternating; medians in ns per operation; wsp/raw > 1 means wsp is slower\n\n",
           o.reps);
    bench_report_header();
    for (size_t k = 0; k < sizeof sections / sizeof sections[0]; k++) {
        if (only != NULL && strcmp(only, sections[k].name) != 0)
            continue;
        if (sections[k].is_itot && !o.itot)
            continue;
        alarm(BENCH_WATCHDOG_S); /* per section: the whole run is longer than one */
        if (sections[k].fn(&o) != 0)
            rc = 1;
    }
    bench_report_targets();
    bench_report_csv_close();
    WSACleanup();
    return rc;
}
