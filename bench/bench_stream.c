/* SPDX-License-Identifier: MIT */
/* wsp-bench: send and recv over loopback TCP, raw vs wsp.
 *
 * One batch = B sends on one end (timed as a block), then B receives of the
 * same messages on the other end (timed as a block), all on one thread, so the
 * figure is the cost of the call and its copy, without a second thread's
 * scheduling in it.  B is small enough that a batch always fits in the socket
 * buffers: no send ever waits for the reader. */
#include "bench.h"

#include <stdio.h>
#include <string.h>

#define STREAM_SOCKBUF (1 << 20)

struct stream_ctx {
    struct raw_pair raw;
    struct wsp_pair wsp;
    int msg;     /* bytes per message */
    int batch;   /* messages per batch */
    int batches; /* batches per repetition */
    int raw_msg; /* raw side uses sendmsg/recvmsg (what the provider wraps), WSA rows only */
};

static char stream_buf[65536];
static char stream_rbuf[65536];

/* One batch through raw send/recv: adds the elapsed ns to *ts and *tr. */
static int raw_msg_send(int fd, int len)
{
    struct iovec iov = {stream_buf, (size_t)len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    return sendmsg(fd, &mh, 0) == len ? 0 : -1;
}

static int raw_msg_recv_all(int fd, int len)
{
    for (int got = 0; got < len;) {
        struct iovec iov = {stream_rbuf + got, (size_t)(len - got)};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        ssize_t r = recvmsg(fd, &mh, 0);
        if (r <= 0)
            return -1;
        got += (int)r;
    }
    return 0;
}

static int raw_batch(struct stream_ctx *c, uint64_t *ts, uint64_t *tr)
{
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < c->batch; i++)
        if (c->raw_msg ? raw_msg_send(c->raw.a, c->msg) != 0
                       : send(c->raw.a, stream_buf, (size_t)c->msg, 0) != c->msg)
            return -1;
    uint64_t t1 = bench_now_ns();
    for (int i = 0; i < c->batch; i++)
        if (c->raw_msg ? raw_msg_recv_all(c->raw.b, c->msg) != 0
                       : raw_recv_all(c->raw.b, stream_rbuf, (size_t)c->msg) != 0)
            return -1;
    uint64_t t2 = bench_now_ns();
    *ts += t1 - t0;
    *tr += t2 - t1;
    return 0;
}

static int wsp_plain_batch(struct stream_ctx *c, uint64_t *ts, uint64_t *tr)
{
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < c->batch; i++)
        if (wsp_send(c->wsp.a, stream_buf, c->msg, 0) != c->msg)
            return -1;
    uint64_t t1 = bench_now_ns();
    for (int i = 0; i < c->batch; i++)
        if (wsp_recv_all(c->wsp.b, stream_rbuf, c->msg) != 0)
            return -1;
    uint64_t t2 = bench_now_ns();
    *ts += t1 - t0;
    *tr += t2 - t1;
    return 0;
}

static int wsp_wsa_recv_all(SOCKET s, char *buf, int len)
{
    int got = 0;
    while (got < len) {
        WSABUF wb = {(ULONG)(len - got), buf + got};
        DWORD n = 0, flags = 0;
        if (WSARecv(s, &wb, 1, &n, &flags, NULL, NULL) != 0 || n == 0)
            return -1;
        got += (int)n;
    }
    return 0;
}

static int wsp_wsa_batch(struct stream_ctx *c, uint64_t *ts, uint64_t *tr)
{
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < c->batch; i++) {
        WSABUF wb = {(ULONG)c->msg, stream_buf};
        DWORD n = 0;
        if (WSASend(c->wsp.a, &wb, 1, &n, 0, NULL, NULL) != 0 || n != (DWORD)c->msg)
            return -1;
    }
    uint64_t t1 = bench_now_ns();
    for (int i = 0; i < c->batch; i++)
        if (wsp_wsa_recv_all(c->wsp.b, stream_rbuf, c->msg) != 0)
            return -1;
    uint64_t t2 = bench_now_ns();
    *ts += t1 - t0;
    *tr += t2 - t1;
    return 0;
}

/* metrics: 0 wsp_send, 1 wsp_recv, 2 WSASend, 3 WSARecv; the raw variant runs
 * send()/recv() for both pairs of rows.  With raw_msg, only WSASend/WSARecv
 * (metrics 0 and 1) against sendmsg()/recvmsg(). */
static int stream_run(struct bench_case *bc, enum bench_variant v, double *out)
{
    struct stream_ctx *c = bc->ctx;
    for (int api = c->raw_msg; api < 2; api++) {
        uint64_t ts = 0, tr = 0;
        for (int k = 0; k < c->batches; k++) {
            int rc = v == BENCH_RAW ? raw_batch(c, &ts, &tr)
                     : api == 0     ? wsp_plain_batch(c, &ts, &tr)
                                    : wsp_wsa_batch(c, &ts, &tr);
            if (rc != 0) {
                bench_fail(bc, "%s: %s",
                           v == BENCH_RAW ? "raw send/recv"
                           : api          ? "WSASend"
                                          : "wsp_send",
                           v == BENCH_RAW ? "failed" : bench_wsa_err());
                return -1;
            }
        }
        double ops = (double)c->batch * c->batches;
        int m = c->raw_msg ? 0 : api * 2;
        out[m] = (double)ts / ops;
        out[m + 1] = (double)tr / ops;
    }
    return 0;
}

static int stream_one(const struct bench_opts *o, int msg, const char *label, int raw_msg)
{
    static struct stream_ctx c;
    static char names[4][48];
    struct pair_opts po = {SOCK_STREAM, IPPROTO_TCP, 0, STREAM_SOCKBUF};
    struct bench_case bc = {
        .group = "tcp send/recv",
        .metric = {names[0], names[1], names[2], names[3]},
        .raw_name = {"send()", "recv()", "send()", "recv()"},
        .nmetrics = 4,
        .reps = o->reps,
        .run = stream_run,
        .ctx = &c,
        .bytes_per_op = {msg, msg, msg, msg},
    };
    snprintf(names[0], sizeof names[0], "wsp_send %s", label);
    snprintf(names[1], sizeof names[1], "wsp_recv %s", label);
    snprintf(names[2], sizeof names[2], "WSASend %s", label);
    snprintf(names[3], sizeof names[3], "WSARecv %s", label);
    if (raw_msg) {
        /* The provider wraps sendmsg/recvmsg (WSABUF arrays are iovecs): these
         * rows hold WSASend/WSARecv against exactly that syscall. */
        bc.metric[0] = names[2];
        bc.metric[1] = names[3];
        bc.raw_name[0] = "sendmsg()";
        bc.raw_name[1] = "recvmsg()";
        bc.nmetrics = 2;
    }

    c.raw_msg = raw_msg;
    c.msg = msg;
    /* Many short samples, raw and wsp alternating, rather than a few long
     * ones: on a busy machine a burst of load then hits a few samples of both
     * variants, and the median drops them. */
    c.batch = msg <= 1024 ? 256 : 2;
    c.batches = msg <= 1024 ? 2 : 5;
    bc.reps = o->reps * (o->quick ? 2 : 20);
    if (raw_pairs_open(&c.raw, 1, STREAM_SOCKBUF, bc.err, sizeof bc.err) != 0) {
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

int bench_stream(const struct bench_opts *o)
{
    memset(stream_buf, 'x', sizeof stream_buf);
    int rc = stream_one(o, 64, "64 B", 0);
    rc |= stream_one(o, 65536, "64 KiB", 0);
    rc |= stream_one(o, 64, "64 B", 1);
    return rc;
}
