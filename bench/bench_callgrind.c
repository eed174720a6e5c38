/* SPDX-License-Identifier: MIT */
/* wsp-bench: the callgrind mode, for repeatable instruction counts.
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_cg_send_wsp wsp-bench --callgrind-send wsp N
 *
 * counts the user-space instructions of N 64-byte sends through wsp_send (the
 * kernel's work is invisible to callgrind, so it is the same for both and
 * drops out); bench_cg_send_raw does the same with send().  Setup and the
 * draining reads happen outside the collected functions. */
#include "bench.h"

#include <stdio.h>
#include <string.h>

#define CG_MSG 64
#define CG_BATCH 256 /* messages between drains: 16 KiB, always fits the buffers */

__attribute__((noinline)) int bench_cg_send_raw(int fd, const char *buf, int n)
{
    for (int i = 0; i < n; i++)
        if (send(fd, buf, CG_MSG, 0) != CG_MSG)
            return -1;
    return 0;
}

__attribute__((noinline)) int bench_cg_send_wsp(SOCKET s, const char *buf, int n)
{
    for (int i = 0; i < n; i++)
        if (wsp_send(s, buf, CG_MSG, 0) != CG_MSG)
            return -1;
    return 0;
}

int bench_callgrind_send(const char *which, int n)
{
    static char buf[CG_MSG * CG_BATCH];
    struct raw_pair rp;
    struct wsp_pair wp;
    struct pair_opts po = {SOCK_STREAM, IPPROTO_TCP, 0, 0};
    char err[BENCH_ERRLEN];
    int use_wsp = strcmp(which, "wsp") == 0;
    int rc = 0;

    if (!use_wsp && strcmp(which, "raw") != 0) {
        fprintf(stderr, "--callgrind-send: raw or wsp\n");
        return -1;
    }
    /* Both pairs exist in both runs, so the two processes differ only in
     * the collected loop. */
    if (raw_pairs_open(&rp, 1, 0, err, sizeof err) != 0 ||
        wsp_pairs_open(&wp, 1, &po, err, sizeof err) != 0) {
        fprintf(stderr, "callgrind: %s\n", err);
        return -1;
    }
    memset(buf, 'c', sizeof buf);
    for (int done = 0; done < n && rc == 0;) {
        int k = n - done < CG_BATCH ? n - done : CG_BATCH;
        rc = use_wsp ? bench_cg_send_wsp(wp.a, buf, k) : bench_cg_send_raw(rp.a, buf, k);
        if (rc == 0)
            rc = use_wsp ? wsp_recv_all(wp.b, buf, k * CG_MSG)
                         : raw_recv_all(rp.b, buf, (size_t)k * CG_MSG);
        done += k;
    }
    wsp_pairs_close(&wp, 1);
    raw_pairs_close(&rp, 1);
    if (rc != 0)
        fprintf(stderr, "callgrind: send failed: %s\n", bench_wsa_err());
    else
        printf("callgrind: %d sends of %d B through %s\n", n, CG_MSG, which);
    return rc;
}
