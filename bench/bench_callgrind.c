/* SPDX-License-Identifier: MIT */
/* wsp-bench: the callgrind mode, for repeatable instruction counts.
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_cg_send_wsp wsp-bench --callgrind-send wsp N
 *
 * counts the user-space instructions of N 64-byte sends through wsp_send (the
 * kernel's work is invisible to callgrind, so it is the same for both and
 * drops out); bench_cg_send_raw does the same with send(), bench_cg_send_WSASend
 * with WSASend (one WSABUF, no overlapped).  --callgrind-recv raw|wsp|WSARecv N
 * counts N 64-byte receives (bench_cg_recv_*) the same way: each batch is sent
 * outside the collected function, then received inside it, 64 B per call
 * from a socket that holds the whole batch, so no receive waits.  Setup,
 * the sends of the receive mode and the draining reads of the send mode
 * happen outside the collected functions. */
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

__attribute__((noinline)) int bench_cg_send_WSASend(SOCKET s, const char *buf, int n)
{
    for (int i = 0; i < n; i++) {
        WSABUF b = {.len = CG_MSG, .buf = (char *)buf};
        DWORD sent = 0;
        if (WSASend(s, &b, 1, &sent, 0, NULL, NULL) != 0 || sent != CG_MSG)
            return -1;
    }
    return 0;
}

__attribute__((noinline)) int bench_cg_recv_raw(int fd, char *buf, int n)
{
    for (int i = 0; i < n; i++)
        if (recv(fd, buf, CG_MSG, 0) != CG_MSG)
            return -1;
    return 0;
}

__attribute__((noinline)) int bench_cg_recv_wsp(SOCKET s, char *buf, int n)
{
    for (int i = 0; i < n; i++)
        if (wsp_recv(s, buf, CG_MSG, 0) != CG_MSG)
            return -1;
    return 0;
}

__attribute__((noinline)) int bench_cg_recv_WSARecv(SOCKET s, char *buf, int n)
{
    for (int i = 0; i < n; i++) {
        WSABUF b = {.len = CG_MSG, .buf = buf};
        DWORD got = 0, flags = 0;
        if (WSARecv(s, &b, 1, &got, &flags, NULL, NULL) != 0 || got != CG_MSG)
            return -1;
    }
    return 0;
}

enum cg_variant { CG_RAW, CG_WSP, CG_WSA };

static int cg_variant(const char *which, const char *wsa, enum cg_variant *v)
{
    if (strcmp(which, "raw") == 0)
        *v = CG_RAW;
    else if (strcmp(which, "wsp") == 0)
        *v = CG_WSP;
    else if (strcmp(which, wsa) == 0)
        *v = CG_WSA;
    else
        return -1;
    return 0;
}

/* One batch of k messages through variant v: the send mode sends them
 * (collected) and drains them; the receive mode sends them and receives them
 * (collected). */
static int cg_batch(int recv_mode, enum cg_variant v, const struct raw_pair *rp,
                    const struct wsp_pair *wp, char *buf, int k)
{
    int rc;
    if (!recv_mode) {
        rc = v == CG_RAW   ? bench_cg_send_raw(rp->a, buf, k)
             : v == CG_WSP ? bench_cg_send_wsp(wp->a, buf, k)
                           : bench_cg_send_WSASend(wp->a, buf, k);
        if (rc == 0)
            rc = v == CG_RAW ? raw_recv_all(rp->b, buf, (size_t)k * CG_MSG)
                             : wsp_recv_all(wp->b, buf, k * CG_MSG);
        return rc;
    }
    for (int i = 0; i < k; i++) {
        rc = v == CG_RAW ? (send(rp->a, buf, CG_MSG, 0) == CG_MSG ? 0 : -1)
                         : (wsp_send(wp->a, buf, CG_MSG, 0) == CG_MSG ? 0 : -1);
        if (rc != 0)
            return rc;
    }
    return v == CG_RAW   ? bench_cg_recv_raw(rp->b, buf, k)
           : v == CG_WSP ? bench_cg_recv_wsp(wp->b, buf, k)
                         : bench_cg_recv_WSARecv(wp->b, buf, k);
}

static int cg_run(int recv_mode, const char *which, int n)
{
    static char buf[CG_MSG * CG_BATCH];
    struct raw_pair rp;
    struct wsp_pair wp;
    struct pair_opts po = {SOCK_STREAM, IPPROTO_TCP, 0, 0};
    char err[BENCH_ERRLEN];
    enum cg_variant v;
    int rc = 0;

    if (cg_variant(which, recv_mode ? "WSARecv" : "WSASend", &v) != 0) {
        fprintf(stderr, "--callgrind-%s: raw, wsp or %s\n", recv_mode ? "recv" : "send",
                recv_mode ? "WSARecv" : "WSASend");
        return -1;
    }
    /* Both pairs exist in every run, so the processes differ only in the
     * collected loop (and libc's calls take their multi-threaded path in
     * all: the tcp provider has a thread of its own). */
    if (raw_pairs_open(&rp, 1, 0, err, sizeof err) != 0 ||
        wsp_pairs_open(&wp, 1, &po, err, sizeof err) != 0) {
        fprintf(stderr, "callgrind: %s\n", err);
        return -1;
    }
    memset(buf, 'c', sizeof buf);
    for (int done = 0; done < n && rc == 0;) {
        int k = n - done < CG_BATCH ? n - done : CG_BATCH;
        rc = cg_batch(recv_mode, v, &rp, &wp, buf, k);
        done += k;
    }
    wsp_pairs_close(&wp, 1);
    raw_pairs_close(&rp, 1);
    if (rc != 0)
        fprintf(stderr, "callgrind: %s failed: %s\n", recv_mode ? "receive" : "send",
                bench_wsa_err());
    else
        printf("callgrind: %d %s of %d B through %s\n", n, recv_mode ? "receives" : "sends", CG_MSG,
               which);
    return rc;
}

int bench_callgrind_send(const char *which, int n)
{
    return cg_run(0, which, n);
}

int bench_callgrind_recv(const char *which, int n)
{
    return cg_run(1, which, n);
}
