/* SPDX-License-Identifier: MIT */
/* wsp-bench: the itot provider (ISO transport over TCP).
 *
 * Throughput: one thread sends N TSDUs, another receives them; the figure is
 * the wall time per TSDU from the start barrier until the last byte arrived.
 * The raw column moves the same byte counts over a plain TCP pair the same
 * way, so the ratio is what TPKT/DT framing, segmentation into TPDUs,
 * reassembly and the provider's engine add on top of TCP.
 * Disconnect: WSASendDisconnect with 64 octets of data (a DR TPDU) vs
 * shutdown(SHUT_WR) (a FIN). */
#include "bench.h"

#include <wsp/itot.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define ITOT_SOCKBUF (1 << 20)

struct itot_ctx {
    struct raw_pair raw;
    struct wsp_pair wsp;
    int msg;
    int count;
};

struct itot_side {
    struct itot_ctx *c;
    pthread_barrier_t *start;
    enum bench_variant v;
    int rc;
    uint64_t t0, t1; /* own clock: on 2 CPUs main may not run right after the barrier */
};

static char itot_sbuf[65536];

static void *itot_sender(void *p)
{
    struct itot_side *s = p;
    struct itot_ctx *c = s->c;
    pthread_barrier_wait(s->start);
    s->t0 = bench_now_ns();
    for (int i = 0; i < c->count && s->rc == 0; i++) {
        if (s->v == BENCH_RAW) {
            if (send(c->raw.a, itot_sbuf, (size_t)c->msg, 0) != c->msg)
                s->rc = -1;
        } else if (wsp_send(c->wsp.a, itot_sbuf, c->msg, 0) != c->msg) {
            s->rc = WSAGetLastError();
        }
    }
    return NULL;
}

static void *itot_receiver(void *p)
{
    static char rbuf[65536];
    struct itot_side *s = p;
    struct itot_ctx *c = s->c;
    long long want = (long long)c->msg * c->count, got = 0;
    pthread_barrier_wait(s->start);
    s->t0 = bench_now_ns();
    while (got < want) {
        long long r = s->v == BENCH_RAW ? recv(c->raw.b, rbuf, (size_t)c->msg, 0)
                                        : wsp_recv(c->wsp.b, rbuf, c->msg, 0);
        if (r <= 0) {
            s->rc = s->v == BENCH_RAW ? -1 : WSAGetLastError();
            break;
        }
        got += r;
    }
    s->t1 = bench_now_ns();
    return NULL;
}

static int itot_run(struct bench_case *bc, enum bench_variant v, double *out)
{
    struct itot_ctx *c = bc->ctx;
    pthread_barrier_t start;
    pthread_t ts, tr;
    struct itot_side snd = {c, &start, v, 0, 0, 0}, rcv = {c, &start, v, 0, 0, 0};

    pthread_barrier_init(&start, NULL, 3);
    pthread_create(&tr, NULL, itot_receiver, &rcv);
    pthread_create(&ts, NULL, itot_sender, &snd);
    pthread_barrier_wait(&start);
    pthread_join(tr, NULL);
    pthread_join(ts, NULL);
    uint64_t t0 = snd.t0 < rcv.t0 ? snd.t0 : rcv.t0, t1 = rcv.t1;
    pthread_barrier_destroy(&start);
    if (snd.rc != 0 || rcv.rc != 0) {
        /* A failed receiver would leave the sender blocked on a full buffer;
         * the error is reported and the process ends before that matters. */
        bench_fail(bc, "%s: send %d, recv %d", v == BENCH_RAW ? "raw" : "wsp", snd.rc, rcv.rc);
        return -1;
    }
    out[0] = (double)(t1 - t0) / c->count;
    return 0;
}

static int itot_get_int(SOCKET s, int opt)
{
    int v = -1, len = sizeof v;
    if (wsp_getsockopt(s, WSP_SOL_ITOT, opt, (char *)&v, &len) != 0)
        return -1;
    return v;
}

static int itot_throughput(const struct bench_opts *o, int cls, int msg, const char *label)
{
    static struct itot_ctx c;
    static char group[64], metric[64], raw_name[64];
    struct pair_opts po = {SOCK_SEQPACKET, WSP_PROTO_ITOT, cls, ITOT_SOCKBUF};
    struct bench_case bc = {
        .group = group,
        .metric = {metric},
        .raw_name = {raw_name},
        .nmetrics = 1,
        .reps = o->reps,
        .run = itot_run,
        .ctx = &c,
        .bytes_per_op = {msg},
    };
    snprintf(group, sizeof group, "itot class %d", cls);
    snprintf(metric, sizeof metric, "TSDU %s send -> recv", label);
    snprintf(raw_name, sizeof raw_name, "TCP send/recv %s", label);
    c.msg = msg;
    c.count = (msg <= 1024 ? 1000 : 25) / (o->quick ? 4 : 1);
    bc.reps = o->reps * (o->quick ? 1 : 4);

    if (raw_pairs_open(&c.raw, 1, ITOT_SOCKBUF, bc.err, sizeof bc.err) != 0) {
        bench_report_case(&bc);
        return -1;
    }
    if (wsp_pairs_open(&c.wsp, 1, &po, bc.err, sizeof bc.err) != 0) {
        raw_pairs_close(&c.raw, 1);
        bench_report_case(&bc);
        return -1;
    }
    int got_class = itot_get_int(c.wsp.a, WSP_ITOT_CLASS);
    int tpdu = itot_get_int(c.wsp.a, WSP_ITOT_TPDU_SIZE);
    if (got_class != cls) {
        bench_fail(&bc, "negotiated class %d, wanted %d", got_class, cls);
    } else {
        snprintf(group, sizeof group, "itot class %d (TPDU %d)", cls, tpdu);
        bench_run_case(&bc);
    }
    bench_report_case(&bc);
    wsp_pairs_close(&c.wsp, 1);
    raw_pairs_close(&c.raw, 1);
    return bc.err[0] ? -1 : 0;
}

int bench_itot(const struct bench_opts *o)
{
    static const int classes[] = {0, 2};
    int rc = 0;
    memset(itot_sbuf, 't', sizeof itot_sbuf);
    /* A build without the itot module is not a failure of the bench. */
    SOCKET probe = wsp_socket(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT);
    if (probe == INVALID_SOCKET) {
        printf("| itot | (all itot rows) |  | 0 |  |  |  | skipped: no itot socket: %s |\n",
               bench_wsa_err());
        return 0;
    }
    closesocket(probe);
    for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++) {
        char group[32];
        struct pair_opts po = {SOCK_SEQPACKET, WSP_PROTO_ITOT, classes[k], 0};
        rc |= itot_throughput(o, classes[k], 1024, "1 KiB");
        rc |= itot_throughput(o, classes[k], 65536, "64 KiB");
        snprintf(group, sizeof group, "itot class %d", classes[k]);
        rc |= bench_disconnect_case(o, group, &po, 64, "WSASendDisconnect(s, 64 octets)");
    }
    return rc;
}
