/* SPDX-License-Identifier: MIT */
/* wsp-bench: n concurrent itot connections in one process.
 *
 * For n = 100, 1,000, 10,000 (up to --scale-max): opens n raw TCP pairs and n
 * itot pairs (class 0 and class 2) over loopback, both ends in this process,
 * and measures
 *  - memory: the growth of this process's resident set (user space: the
 *    kernel's socket buffers are not in RSS) from before opening to after,
 *    per connection (both ends) and per endpoint; one pair is opened first
 *    and kept open, and what it cost is reported on its own (the fixed cost
 *    of the process: the module's pages, the engine thread, the first
 *    chunk of handle slots), so that it is not spread over n; next to it the
 *    provider's own count (getsockopt WSP_ITOT_MEMORY: its socket contexts
 *    and buffers, the pool's cache included), per endpoint;
 *  - release: one end of every connection sends its disconnect (64 octets of
 *    disconnect data through WSASendDisconnect; shutdown(SHUT_WR) raw), every
 *    other end reads to the end (itot: and its 64 octets, checked, with
 *    WSARecvDisconnect), then both ends are closed.  The figure is the wall
 *    time of all of it, per connection, against the same job on raw TCP.
 * The pools are opened untimed.  A connection takes 2 descriptors (both ends)
 * plus whatever the provider uses, so RLIMIT_NOFILE is raised first (root may
 * raise the hard limit too); if it cannot be raised far enough the largest n
 * that fits is measured and the row says so. */
#include "bench.h"

#include <wsp/itot.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define SCALE_DISCDATA 64
/* The watchdog per n: opening 10,000 itot pairs takes minutes while the
 * provider's engine scans every socket on each wake-up (docs/performance.md). */
#define SCALE_WATCHDOG_S 400
#define SCALE_FDS_PER_CONN 2 /* both ends; an itot socket is one TCP descriptor */
#define SCALE_FDS_SPARE 64   /* stdio, the listener, the provider's epoll and eventfd */

static FILE *scsv;

int bench_scale_csv_open(const char *path)
{
    scsv = fopen(path, "w");
    if (scsv == NULL)
        return -1;
    fprintf(scsv, "variant,n,rss_bytes_per_conn,rss_bytes_per_endpoint,release_ns_per_conn,"
                  "raw_release_ns_per_conn,ratio,open_ns_per_conn,provider_bytes_per_endpoint,"
                  "provider_buffer_bytes_per_endpoint,fixed_rss_bytes\n");
    return 0;
}

/* Resident set in bytes.  malloc_trim first: memory freed by an earlier
 * pool and kept by malloc would otherwise be reused and hide the growth. */
static long scale_rss_bytes(void)
{
    malloc_trim(0);
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = -1;
    fclose(f);
    return rss < 0 ? -1 : rss * sysconf(_SC_PAGESIZE);
}

/* Raises RLIMIT_NOFILE to fit n connections; returns the n that fits. */
static int scale_fit(int n, char *note, size_t notelen)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)n * SCALE_FDS_PER_CONN + SCALE_FDS_SPARE;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return n;
    if (rl.rlim_cur >= want)
        return n;
    struct rlimit nr = {want, rl.rlim_max > want ? rl.rlim_max : want};
    if (setrlimit(RLIMIT_NOFILE, &nr) == 0)
        return n;
    nr.rlim_cur = rl.rlim_max;
    nr.rlim_max = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nr);
    int fit = (int)((rl.rlim_max - SCALE_FDS_SPARE) / SCALE_FDS_PER_CONN);
    snprintf(note, notelen, "RLIMIT_NOFILE hard limit %llu (%s): measured n = %d",
             (unsigned long long)rl.rlim_max, strerror(errno), fit);
    return fit < n ? fit : n;
}

static int scale_raw(int n, double *rss, double *fixed, double *ns, double *open_ns, char *err,
                     size_t errlen)
{
    struct raw_pair *p = calloc((size_t)n, sizeof *p);
    struct raw_pair warm;
    if (p == NULL)
        return -1;
    long rw = scale_rss_bytes();
    if (raw_pairs_open(&warm, 1, 0, err, errlen) != 0) {
        free(p);
        return -1;
    }
    long r0 = scale_rss_bytes();
    *fixed = (double)(r0 - rw);
    uint64_t o0 = bench_now_ns();
    if (raw_pairs_open(p, n, 0, err, errlen) != 0) {
        free(p);
        return -1;
    }
    *open_ns = (double)(bench_now_ns() - o0) / n;
    long r1 = scale_rss_bytes();
    uint64_t t0 = bench_now_ns();
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = shutdown(p[i].a, SHUT_WR);
    for (int i = 0; i < n && rc == 0; i++) {
        char b;
        rc = recv(p[i].b, &b, 1, 0) == 0 ? 0 : -1;
    }
    raw_pairs_close(p, n);
    uint64_t t1 = bench_now_ns();
    raw_pairs_close(&warm, 1);
    free(p);
    if (rc != 0) {
        snprintf(err, errlen, "raw release failed");
        return -1;
    }
    *rss = (double)(r1 - r0) / n;
    *ns = (double)(t1 - t0) / n;
    return 0;
}

/* The provider's own count of its memory, per endpoint (n connections, 2n
 * endpoints): everything, and the buffers alone. */
static int scale_provider_bytes(SOCKET s, int n, double *all, double *bufs)
{
    WSP_ITOT_MEMORY_INFO m;
    int len = sizeof m;
    if (wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_MEMORY, (char *)&m, &len) != 0)
        return -1;
    *all = (double)(m.socket_bytes + m.buffer_bytes) / (2.0 * n);
    *bufs = (double)m.buffer_bytes / (2.0 * n);
    return 0;
}

static int scale_wsp(int n, int cls, double *rss, double *fixed, double *ns, double *open_ns,
                     double *prov, double *prov_bufs, char *err, size_t errlen)
{
    struct pair_opts po = {SOCK_SEQPACKET, WSP_PROTO_ITOT, cls, 0};
    struct wsp_pair *p = calloc((size_t)n, sizeof *p);
    struct wsp_pair warm;
    char dd[SCALE_DISCDATA];
    if (p == NULL)
        return -1;
    memset(dd, 'd', sizeof dd);
    /* the first pair starts what every later one shares; it stays open, so
     * nothing it freed is reused by the n below */
    long rw = scale_rss_bytes();
    if (wsp_pairs_open(&warm, 1, &po, err, errlen) != 0) {
        free(p);
        return -1;
    }
    long r0 = scale_rss_bytes();
    *fixed = (double)(r0 - rw);
    uint64_t o0 = bench_now_ns();
    if (wsp_pairs_open(p, n, &po, err, errlen) != 0) {
        wsp_pairs_close(&warm, 1);
        free(p);
        return -1;
    }
    *open_ns = (double)(bench_now_ns() - o0) / n;
    long r1 = scale_rss_bytes();
    /* the provider's count includes the first pair: n + 1 connections */
    if (scale_provider_bytes(p[0].a, n + 1, prov, prov_bufs) != 0)
        *prov = *prov_bufs = -1;
    uint64_t t0 = bench_now_ns();
    int i = 0, fail = 0;
    for (i = 0; i < n && !fail; i++) {
        WSABUF wb = {sizeof dd, dd};
        if (WSASendDisconnect(p[i].a, &wb) != 0)
            fail = 1;
    }
    for (i = 0; i < n && !fail; i++) {
        char b[8], got[SCALE_DISCDATA];
        WSABUF wb = {sizeof got, got};
        int r = wsp_recv(p[i].b, b, sizeof b, 0);
        if (!(r == 0 || (r < 0 && WSAGetLastError() == WSAEDISCON)) ||
            WSARecvDisconnect(p[i].b, &wb) != 0 || wb.len != SCALE_DISCDATA ||
            memcmp(got, dd, sizeof dd) != 0)
            fail = 2;
    }
    if (fail)
        snprintf(err, errlen, "class %d: %s at %d: %s", cls,
                 fail == 1 ? "WSASendDisconnect" : "receiving the DR", i - 1, bench_wsa_err());
    wsp_pairs_close(p, n);
    uint64_t t1 = bench_now_ns();
    wsp_pairs_close(&warm, 1);
    free(p);
    if (fail)
        return -1;
    *rss = (double)(r1 - r0) / n;
    *ns = (double)(t1 - t0) / n;
    return 0;
}

/* Child mode (wsp-bench --scale-point N raw|0|2): one measurement in a
 * fresh process, so that memory freed by an earlier pool and kept by malloc
 * cannot hide the growth of the next one.  Prints "rss ns open_ns prov
 * prov_bufs fixed" (the provider's count per endpoint, 0 for raw TCP; the
 * first pair's growth). */
int bench_scale_point(int n, const char *variant)
{
    char note[160] = "", err[BENCH_ERRLEN] = "";
    double rss = 0, ns = 0, open_ns = 0, prov = 0, prov_bufs = 0, fixed = 0;
    int rc;
    /* the child's own watchdog: main's (120 s) is shorter than opening 10,000
     * itot pairs on a loaded machine, which ended the point with SIGALRM */
    alarm(SCALE_WATCHDOG_S);
    if (scale_fit(n, note, sizeof note) < n) {
        fprintf(stderr, "%s\n", note);
        return -1;
    }
    if (strcmp(variant, "raw") == 0)
        rc = scale_raw(n, &rss, &fixed, &ns, &open_ns, err, sizeof err);
    else
        rc = scale_wsp(n, atoi(variant), &rss, &fixed, &ns, &open_ns, &prov, &prov_bufs, err,
                       sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    printf("%.1f %.1f %.1f %.1f %.1f %.1f\n", rss, ns, open_ns, prov, prov_bufs, fixed);
    return 0;
}

/* Runs one point in a child process; 0 or -1 with err set. */
struct scale_pt {
    double rss, ns, open_ns, prov, prov_bufs, fixed;
};

static int scale_spawn(int n, const char *variant, struct scale_pt *pt, char *err, size_t errlen)
{
    char cmd[256], self[200];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        snprintf(err, errlen, "readlink /proc/self/exe: %s", strerror(errno));
        return -1;
    }
    self[len] = '\0';
    snprintf(cmd, sizeof cmd, "'%s' --scale-point %d %s 2>&1", self, n, variant);
    FILE *f = popen(cmd, "r");
    if (f == NULL) {
        snprintf(err, errlen, "popen: %s", strerror(errno));
        return -1;
    }
    char line[BENCH_ERRLEN] = "";
    int ok = fgets(line, sizeof line, f) != NULL &&
             sscanf(line, "%lf %lf %lf %lf %lf %lf", &pt->rss, &pt->ns, &pt->open_ns, &pt->prov,
                    &pt->prov_bufs, &pt->fixed) == 6;
    int st = pclose(f);
    if (!ok || st != 0) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(err, errlen, "%s", line[0] ? line : "child failed");
        return -1;
    }
    return 0;
}

int bench_scale(const struct bench_opts *o)
{
    static const int sizes[] = {100, 1000, 10000};
    static const struct bench_target mem_t = {"", "", "", BENCH_TGT_MAX_BYTES, 2048};
    static const struct bench_target rel_t = {"", "", "", BENCH_TGT_MAX_RATIO, 2.0};
    int rc = 0;

    printf("\n### Scale: n concurrent itot connections in one process\n\n"
           "Each point in a fresh process. Memory: growth of the resident set from before "
           "opening the n pairs to after (user space only; both ends are in the process, so "
           "per endpoint = per connection / 2); one pair is opened before them and kept open, "
           "and its growth is the fixed column (what the process pays once: the module's "
           "pages, the engine thread, the first handle chunk). Provider: the itot provider's own "
           "count "
           "(getsockopt WSP_ITOT_MEMORY) of its socket contexts and buffers (the pool's cache "
           "included), per endpoint. Release: one end of each sends its disconnect "
           "(itot: 64 octets), the other reads to the end (itot: and checks its data), both "
           "are closed; wall time per connection. One sample per point.\n\n");
    printf(
        "| n | variant | RSS per connection (B) | RSS per endpoint (B) | provider B per endpoint "
        "(of it buffers) | release ns/conn | raw TCP release ns/conn | wsp/raw | open ns/conn "
        "(untimed setup) | fixed: the first pair (B) |\n"
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    fflush(stdout);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        char note[160] = "", err[BENCH_ERRLEN] = "";
        int n = sizes[k];
        if (n > o->scale_max)
            break;
        alarm(SCALE_WATCHDOG_S);
        n = scale_fit(n, note, sizeof note);
        if (note[0] != '\0')
            printf("| %d | (limit) | %s | | | | | | |\n", sizes[k], note);
        struct scale_pt raw;
        if (scale_spawn(n, "raw", &raw, err, sizeof err) != 0) {
            printf("| %d | raw TCP | failed: %s | | | | | | | |\n", n, err);
            rc = -1;
            continue;
        }
        printf("| %d | raw TCP | %.0f | %.0f | | %.0f | | | %.0f | %.0f |\n", n, raw.rss,
               raw.rss / 2, raw.ns, raw.open_ns, raw.fixed);
        if (scsv != NULL)
            fprintf(scsv, "raw,%d,%.1f,%.1f,%.1f,%.1f,1,%.1f,,,%.1f\n", n, raw.rss, raw.rss / 2,
                    raw.ns, raw.ns, raw.open_ns, raw.fixed);
        for (int cls = 0; o->itot && cls <= 2; cls += 2) {
            struct scale_pt pt;
            char var[8];
            snprintf(var, sizeof var, "%d", cls);
            if (scale_spawn(n, var, &pt, err, sizeof err) != 0) {
                printf("| %d | itot class %d | failed: %s | | | | | | | |\n", n, cls, err);
                rc = -1;
                continue;
            }
            double rss = pt.rss, ns = pt.ns;
            double ratio = raw.ns > 0 ? ns / raw.ns : 0;
            printf("| %d | itot class %d | %.0f | %.0f | %.0f (%.0f) | %.0f | %.0f | %.2f | %.0f | "
                   "%.0f |\n",
                   n, cls, rss, rss / 2, pt.prov, pt.prov_bufs, ns, raw.ns, ratio, pt.open_ns,
                   pt.fixed);
            if (scsv != NULL)
                fprintf(scsv, "itot%d,%d,%.1f,%.1f,%.1f,%.1f,%.3f,%.1f,%.1f,%.1f,%.1f\n", cls, n,
                        rss, rss / 2, ns, raw.ns, ratio, pt.open_ns, pt.prov, pt.prov_bufs,
                        pt.fixed);
            char sc[160];
            snprintf(sc, sizeof sc, "scale n=%d itot class %d: RSS per idle endpoint", n, cls);
            bench_target_record(sc, &mem_t, rss / 2, rss / 2, rss / 2);
            snprintf(sc, sizeof sc,
                     "scale n=%d itot class %d: release with 64 octets vs raw TCP close", n, cls);
            bench_target_record(sc, &rel_t, ratio, ratio, ratio);
        }
        fflush(stdout);
    }
    if (scsv != NULL)
        fclose(scsv);
    scsv = NULL;
    return rc;
}
