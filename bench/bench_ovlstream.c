/* SPDX-License-Identifier: MIT */
/* wsp-bench: a bulk transfer with overlapped I/O against raw blocking
 * send/recv, over one loopback connection.
 *
 * wsp: the sender keeps K overlapped WSASend of 64 KiB in flight, the
 * receiver K overlapped WSARecv of 64 KiB; each side has its own completion
 * port and thread, and reissues an operation (same WSAOVERLAPPED) as soon as
 * GetQueuedCompletionStatusEx returns its completion.  Raw: one thread
 * send()s 64 KiB chunks, another recv()s into a 64 KiB buffer, both
 * blocking.  A sample moves the whole size (1 GiB; --quick: 64 MiB) and is
 * timed from the start barrier until the receiver has the last byte; the
 * figure is ns per 64 KiB, and the target compares rates (raw time / wsp
 * time).  The receiver counts bytes (a stream receive completes with what is
 * there); the receives still pending when all has arrived are cancelled,
 * untimed. */
#include "bench.h"

#include <wsp/itot.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define OS_CHUNK 65536
#define OS_MAX_K 16
#define OS_BATCH 16

struct os_ctx {
    struct raw_pair raw;
    struct wsp_pair wsp;
    HANDLE sport, rport; /* completion ports of wsp.a (sender) and wsp.b */
    int k;               /* operations in flight per side */
    long long total;     /* bytes per sample, a multiple of OS_CHUNK */
    int rpending;        /* receives still pending after a sample */
};

struct os_side {
    struct os_ctx *c;
    pthread_barrier_t *start;
    enum bench_variant v;
    int err; /* WSAE* code or errno, 0 */
    const char *what;
    uint64_t t0, t1;
};

static char os_sbuf[OS_CHUNK];
static char os_rbuf[OS_MAX_K][OS_CHUNK];
static WSAOVERLAPPED os_sov[OS_MAX_K], os_rov[OS_MAX_K];

static int os_wsp_send(struct os_ctx *c, int i)
{
    WSABUF b = {OS_CHUNK, os_sbuf};
    memset(&os_sov[i], 0, sizeof os_sov[i]);
    if (WSASend(c->wsp.a, &b, 1, NULL, 0, &os_sov[i], NULL) != 0 &&
        WSAGetLastError() != WSA_IO_PENDING)
        return WSAGetLastError();
    return 0;
}

static int os_wsp_recv(struct os_ctx *c, int i)
{
    WSABUF b = {OS_CHUNK, os_rbuf[i]};
    DWORD flags = 0;
    memset(&os_rov[i], 0, sizeof os_rov[i]);
    if (WSARecv(c->wsp.b, &b, 1, NULL, &flags, &os_rov[i], NULL) != 0 &&
        WSAGetLastError() != WSA_IO_PENDING)
        return WSAGetLastError();
    return 0;
}

/* The two wsp sides: issue K, then reissue each completed operation on its
 * own WSAOVERLAPPED (its index in os_sov / os_rov) until the size is
 * reached.  0, or -1 with s->err and s->what set. */
static int os_wsp_sender(struct os_side *s)
{
    struct os_ctx *c = s->c;
    long long chunks = c->total / OS_CHUNK, issued = 0, done = 0;
    OVERLAPPED_ENTRY ent[OS_BATCH];
    s->what = "WSASend";
    for (int i = 0; i < c->k && issued < chunks; i++, issued++)
        if ((s->err = os_wsp_send(c, i)) != 0)
            return -1;
    while (done < chunks) {
        ULONG n = 0;
        s->what = "GetQueuedCompletionStatusEx (sender)";
        if (!GetQueuedCompletionStatusEx(c->sport, ent, OS_BATCH, &n, 10000, FALSE)) {
            s->err = (int)GetLastError();
            return -1;
        }
        for (ULONG e = 0; e < n; e++) {
            s->what = "WSASend completion";
            if (ent[e].Internal != 0 || ent[e].dwNumberOfBytesTransferred != OS_CHUNK) {
                s->err = ent[e].Internal != 0 ? (int)ent[e].Internal : WSAEMSGSIZE;
                return -1;
            }
            done++;
            if (issued < chunks) {
                s->what = "WSASend";
                if ((s->err =
                         os_wsp_send(c, (int)((WSAOVERLAPPED *)ent[e].lpOverlapped - os_sov))) != 0)
                    return -1;
                issued++;
            }
        }
    }
    return 0;
}

static int os_wsp_receiver(struct os_side *s)
{
    struct os_ctx *c = s->c;
    long long got = 0;
    OVERLAPPED_ENTRY ent[OS_BATCH];
    s->what = "WSARecv";
    c->rpending = 0;
    for (int i = 0; i < c->k; i++, c->rpending++)
        if ((s->err = os_wsp_recv(c, i)) != 0)
            return -1;
    while (got < c->total) {
        ULONG n = 0;
        s->what = "GetQueuedCompletionStatusEx (receiver)";
        if (!GetQueuedCompletionStatusEx(c->rport, ent, OS_BATCH, &n, 10000, FALSE)) {
            s->err = (int)GetLastError();
            return -1;
        }
        for (ULONG e = 0; e < n; e++) {
            s->what = "WSARecv completion";
            if (ent[e].Internal != 0 || ent[e].dwNumberOfBytesTransferred == 0) {
                s->err = ent[e].Internal != 0 ? (int)ent[e].Internal : WSAECONNRESET;
                return -1;
            }
            got += ent[e].dwNumberOfBytesTransferred;
            c->rpending--;
            if (got < c->total) {
                s->what = "WSARecv";
                if ((s->err =
                         os_wsp_recv(c, (int)((WSAOVERLAPPED *)ent[e].lpOverlapped - os_rov))) != 0)
                    return -1;
                c->rpending++;
            }
        }
    }
    s->t1 = bench_now_ns();
    if (got != c->total) {
        s->what = "byte count";
        s->err = WSAEMSGSIZE;
        return -1;
    }
    return 0;
}

/* After a sample: the receives still pending (K - 1 at most) are cancelled
 * and their completions taken, so the next sample starts with none. */
static int os_wsp_drain(struct os_ctx *c)
{
    int pending = c->rpending;
    if (pending == 0)
        return 0;
    if (!CancelIoEx((HANDLE)(uintptr_t)c->wsp.b, NULL))
        return (int)GetLastError();
    while (pending > 0) {
        OVERLAPPED_ENTRY ent[OS_BATCH];
        ULONG n = 0;
        if (!GetQueuedCompletionStatusEx(c->rport, ent, OS_BATCH, &n, 10000, FALSE))
            return (int)GetLastError();
        pending -= (int)n;
    }
    return 0;
}

static void *os_sender(void *p)
{
    struct os_side *s = p;
    struct os_ctx *c = s->c;
    /* names for perf report --sort comm */
    pthread_setname_np(pthread_self(), s->v == BENCH_WSP ? "ovl-send-wsp" : "ovl-send-raw");
    pthread_barrier_wait(s->start);
    s->t0 = bench_now_ns();
    if (s->v == BENCH_WSP) {
        os_wsp_sender(s);
        return NULL;
    }
    for (long long left = c->total; left > 0; left -= OS_CHUNK)
        if (send(c->raw.a, os_sbuf, OS_CHUNK, 0) != OS_CHUNK) {
            s->what = "send()";
            s->err = -1;
            break;
        }
    return NULL;
}

static void *os_receiver(void *p)
{
    struct os_side *s = p;
    struct os_ctx *c = s->c;
    pthread_setname_np(pthread_self(), s->v == BENCH_WSP ? "ovl-recv-wsp" : "ovl-recv-raw");
    pthread_barrier_wait(s->start);
    s->t0 = bench_now_ns();
    if (s->v == BENCH_WSP) {
        os_wsp_receiver(s);
        return NULL;
    }
    long long got = 0;
    while (got < c->total) {
        ssize_t r = recv(c->raw.b, os_rbuf[0], OS_CHUNK, 0);
        if (r <= 0) {
            s->what = "recv()";
            s->err = -1;
            break;
        }
        got += r;
    }
    s->t1 = bench_now_ns();
    return NULL;
}

static int os_run(struct bench_case *bc, enum bench_variant v, double *out)
{
    struct os_ctx *c = bc->ctx;
    pthread_barrier_t start;
    pthread_t ts, tr;
    struct os_side snd = {.c = c, .start = &start, .v = v};
    struct os_side rcv = {.c = c, .start = &start, .v = v};

    pthread_barrier_init(&start, NULL, 3);
    pthread_create(&tr, NULL, os_receiver, &rcv);
    pthread_create(&ts, NULL, os_sender, &snd);
    pthread_barrier_wait(&start);
    pthread_join(tr, NULL);
    pthread_join(ts, NULL);
    pthread_barrier_destroy(&start);
    /* own clocks: on 2 CPUs main may not run right after the barrier */
    uint64_t t0 = snd.t0 < rcv.t0 ? snd.t0 : rcv.t0, t1 = rcv.t1;
    int derr = v == BENCH_WSP && snd.err == 0 && rcv.err == 0 ? os_wsp_drain(c) : 0;
    if (snd.err != 0 || rcv.err != 0 || derr != 0) {
        /* a failed side may leave the other blocked; the error is reported
         * and the watchdog ends the process if it must */
        const struct os_side *f = snd.err != 0 ? &snd : &rcv;
        WSASetLastError(f->err != 0 ? f->err : derr);
        bench_fail(bc, "%s: %s: %s", v == BENCH_RAW ? "raw" : "wsp",
                   f->err != 0 ? f->what : "CancelIoEx", bench_wsa_err());
        return -1;
    }
    out[0] = (double)(t1 - t0) / ((double)c->total / OS_CHUNK);
    return 0;
}

/* One row: K in flight on a pair made with po, total bytes per sample. */
static int os_one(const struct bench_opts *o, const struct pair_opts *po, const char *group, int k,
                  long long total)
{
    static struct os_ctx c;
    static char grp[96], metric[96], raw_name[64];
    struct bench_case bc = {
        .group = grp,
        .metric = {metric},
        .raw_name = {raw_name},
        .nmetrics = 1,
        .run = os_run,
        .ctx = &c,
        .bytes_per_op = {OS_CHUNK},
    };
    char size[16];
    if (total >= (1LL << 30))
        snprintf(size, sizeof size, "%lld GiB", total >> 30);
    else
        snprintf(size, sizeof size, "%lld MiB", total >> 20);
    /* the size goes in the group: the target rows match --quick runs too */
    snprintf(grp, sizeof grp, "%s, %s", group, size);
    snprintf(metric, sizeof metric, "%d x 64 KiB WSASend/WSARecv in flight (ports)", k);
    snprintf(raw_name, sizeof raw_name, "blocking send()/recv() 64 KiB");
    memset(&c, 0, sizeof c);
    c.k = k;
    c.total = total;
    /* long samples: a few of them (each moves the whole size twice) */
    bc.reps = o->quick ? 3 : (o->reps + 1) / 2;
    if (bc.reps < 3)
        bc.reps = 3;

    if (raw_pairs_open(&c.raw, 1, po->sockbuf, bc.err, sizeof bc.err) != 0) {
        bench_report_case(&bc);
        return -1;
    }
    if (wsp_pairs_open(&c.wsp, 1, po, bc.err, sizeof bc.err) != 0) {
        raw_pairs_close(&c.raw, 1);
        bench_report_case(&bc);
        return -1;
    }
    c.sport = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    c.rport = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    if (c.sport == NULL || c.rport == NULL ||
        CreateIoCompletionPort((HANDLE)(uintptr_t)c.wsp.a, c.sport, 1, 0) != c.sport ||
        CreateIoCompletionPort((HANDLE)(uintptr_t)c.wsp.b, c.rport, 2, 0) != c.rport) {
        WSASetLastError((int)GetLastError());
        bench_fail(&bc, "CreateIoCompletionPort: %s", bench_wsa_err());
    } else {
        /* one untimed pass of each: TCP's windows and the kit's pool grown */
        double warm[BENCH_MAX_METRICS];
        if (os_run(&bc, BENCH_RAW, warm) == 0 && os_run(&bc, BENCH_WSP, warm) == 0)
            bench_run_case(&bc);
    }
    bench_report_case(&bc);
    wsp_pairs_close(&c.wsp, 1);
    raw_pairs_close(&c.raw, 1);
    if (c.sport != NULL)
        CloseHandle(c.sport);
    if (c.rport != NULL)
        CloseHandle(c.rport);
    return bc.err[0] ? -1 : 0;
}

int bench_ovlstream(const struct bench_opts *o)
{
    static const struct pair_opts tcp = {SOCK_STREAM, IPPROTO_TCP, 0, 0};
    long long size = o->quick ? 64LL << 20 : 1LL << 30;
    memset(os_sbuf, 's', sizeof os_sbuf);
    int rc = os_one(o, &tcp, "tcp overlapped stream", 4, size);
    rc |= os_one(o, &tcp, "tcp overlapped stream", 1, size);
    if (o->itot) {
        /* itot is several times slower than TCP (see the itot rows): a
         * quarter of the size keeps the row short; no target */
        static const struct pair_opts itot = {SOCK_SEQPACKET, WSP_PROTO_ITOT, 2, 0};
        SOCKET probe = wsp_socket(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT);
        if (probe == INVALID_SOCKET) {
            printf("| itot overlapped stream | (skipped) | | 0 | | | | | no itot socket: %s |\n",
                   bench_wsa_err());
        } else {
            closesocket(probe);
            rc |= os_one(o, &itot, "itot class 2 overlapped stream", 4, size / 4);
        }
    }
    return rc;
}
