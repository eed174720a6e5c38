/* SPDX-License-Identifier: MIT */
/* wsp-bench: the whole life of a connection, raw TCP against wsp.
 *
 * One lifecycle: the client creates a socket and connects; the server
 * (a thread with a listening socket made before the timing) accepts; 1 KiB
 * goes each way; the client ends its sending (shutdown(SHUT_WR) raw, a
 * WSASendDisconnect through wsp: NULL on tcp, 64 octets of disconnect data on
 * itot, which the server reads back with WSARecvDisconnect); the server reads
 * to the end and closes; the client reads to the end and closes.  itot
 * connects with 16 octets of connect data (WSAConnect) and the listener
 * answers with its own 16 (SO_CONNDATA), so the CR and CC carry data.
 * The figure is the wall time per lifecycle on the client, until the server
 * thread has closed the last one. */
#include "bench.h"

#include <wsp/itot.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LC_MSG 1024
#define LC_CONNDATA 16
#define LC_DISCDATA 64

struct lc_ctx {
    struct pair_opts po;
    int rawl;    /* raw listener */
    SOCKET wspl; /* wsp listener */
    struct sockaddr_in raw_sa, wsp_sa;
    int count;
};

struct lc_server {
    struct lc_ctx *c;
    enum bench_variant v;
    pthread_barrier_t *start;
    char err[96];
};

static int raw_read_to_end(int fd)
{
    char buf[256];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r == 0)
            return 0;
        if (r < 0)
            return -1;
    }
}

/* recv until the end (0, or WSAEDISCON for itot); 0 or -1 */
static int wsp_read_to_end(SOCKET s)
{
    char buf[256];
    for (;;) {
        int r = wsp_recv(s, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && WSAGetLastError() == WSAEDISCON))
            return 0;
        if (r < 0)
            return -1;
    }
}

static int lc_serve_raw(struct lc_ctx *c, char *buf)
{
    int fd = accept(c->rawl, NULL, NULL);
    if (fd < 0)
        return -1;
    int rc = raw_recv_all(fd, buf, LC_MSG) != 0 || send(fd, buf, LC_MSG, 0) != LC_MSG ||
                     raw_read_to_end(fd) != 0
                 ? -1
                 : 0;
    close(fd);
    return rc;
}

static int lc_serve_wsp(struct lc_ctx *c, char *buf)
{
    SOCKET s = wsp_accept(c->wspl, NULL, NULL);
    if (s == INVALID_SOCKET)
        return -1;
    int rc = wsp_recv_all(s, buf, LC_MSG) != 0 || wsp_send(s, buf, LC_MSG, 0) != LC_MSG ||
                     wsp_read_to_end(s) != 0
                 ? -1
                 : 0;
    if (rc == 0 && c->po.protocol == WSP_PROTO_ITOT) {
        char dd[LC_DISCDATA];
        WSABUF wb = {sizeof dd, dd};
        /* every peer receives its disconnect data */
        if (WSARecvDisconnect(s, &wb) != 0 || wb.len != LC_DISCDATA)
            rc = -1;
    }
    closesocket(s);
    return rc;
}

static void *lc_server_main(void *arg)
{
    struct lc_server *sv = arg;
    char buf[LC_MSG];
    pthread_barrier_wait(sv->start);
    for (int i = 0; i < sv->c->count; i++) {
        int rc = sv->v == BENCH_RAW ? lc_serve_raw(sv->c, buf) : lc_serve_wsp(sv->c, buf);
        if (rc != 0) {
            snprintf(sv->err, sizeof sv->err, "server %d: %s", i,
                     sv->v == BENCH_RAW ? "raw" : bench_wsa_err());
            break;
        }
    }
    return NULL;
}

static int lc_client_raw(struct lc_ctx *c, char *buf)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(fd, (struct sockaddr *)&c->raw_sa, sizeof c->raw_sa) != 0 ||
                     send(fd, buf, LC_MSG, 0) != LC_MSG || raw_recv_all(fd, buf, LC_MSG) != 0 ||
                     shutdown(fd, SHUT_WR) != 0 || raw_read_to_end(fd) != 0
                 ? -1
                 : 0;
    close(fd);
    return rc;
}

static int lc_client_wsp(struct lc_ctx *c, char *buf)
{
    int itot = c->po.protocol == WSP_PROTO_ITOT;
    SOCKET s = wsp_socket(AF_INET, c->po.type, c->po.protocol);
    if (s == INVALID_SOCKET)
        return -1;
    int rc = -1;
    if (itot) {
        int cls = c->po.itot_class;
        char cd[LC_CONNDATA], dd[LC_DISCDATA];
        WSABUF cwb = {sizeof cd, cd}, dwb = {sizeof dd, dd};
        memset(cd, 'c', sizeof cd);
        memset(dd, 'd', sizeof dd);
        if (wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&cls, sizeof cls) == 0 &&
            WSAConnect(s, (struct sockaddr *)&c->wsp_sa, sizeof c->wsp_sa, &cwb, NULL, NULL,
                       NULL) == 0 &&
            wsp_send(s, buf, LC_MSG, 0) == LC_MSG && wsp_recv_all(s, buf, LC_MSG) == 0 &&
            WSASendDisconnect(s, &dwb) == 0 && wsp_read_to_end(s) == 0)
            rc = 0;
    } else {
        int one = 1;
        if (wsp_setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one) == 0 &&
            wsp_connect(s, (struct sockaddr *)&c->wsp_sa, sizeof c->wsp_sa) == 0 &&
            wsp_send(s, buf, LC_MSG, 0) == LC_MSG && wsp_recv_all(s, buf, LC_MSG) == 0 &&
            WSASendDisconnect(s, NULL) == 0 && wsp_read_to_end(s) == 0)
            rc = 0;
    }
    closesocket(s);
    return rc;
}

static int lc_run(struct bench_case *bc, enum bench_variant v, double *out)
{
    struct lc_ctx *c = bc->ctx;
    pthread_barrier_t start;
    pthread_t th;
    struct lc_server sv = {.c = c, .v = v, .start = &start};
    char buf[LC_MSG];
    int rc = 0, i;

    memset(buf, 'l', sizeof buf);
    pthread_barrier_init(&start, NULL, 2);
    pthread_create(&th, NULL, lc_server_main, &sv);
    pthread_barrier_wait(&start);
    uint64_t t0 = bench_now_ns();
    for (i = 0; i < c->count && rc == 0; i++)
        rc = v == BENCH_RAW ? lc_client_raw(c, buf) : lc_client_wsp(c, buf);
    if (rc == 0) {
        pthread_join(th, NULL);
    } else {
        pthread_detach(th); /* it waits in accept; the error ends the case */
    }
    uint64_t t1 = bench_now_ns();
    pthread_barrier_destroy(&start);
    if (rc != 0 || sv.err[0] != '\0') {
        bench_fail(bc, "%s client %d: %s; %s", v == BENCH_RAW ? "raw" : "wsp", i,
                   v == BENCH_RAW ? "" : bench_wsa_err(), sv.err);
        return -1;
    }
    out[0] = (double)(t1 - t0) / c->count;
    return 0;
}

static int lc_listeners(struct lc_ctx *c, char *err, size_t errlen)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int wlen = sizeof sa;
    c->raw_sa = c->wsp_sa = sa;
    c->rawl = socket(AF_INET, SOCK_STREAM, 0);
    if (c->rawl < 0 || bind(c->rawl, (struct sockaddr *)&c->raw_sa, sizeof sa) != 0 ||
        listen(c->rawl, 64) != 0 ||
        getsockname(c->rawl, (struct sockaddr *)&c->raw_sa, &len) != 0) {
        snprintf(err, errlen, "raw listener failed");
        return -1;
    }
    c->wspl = wsp_socket(AF_INET, c->po.type, c->po.protocol);
    if (c->wspl == INVALID_SOCKET) {
        snprintf(err, errlen, "wsp listener: %s", bench_wsa_err());
        return -1;
    }
    if (c->po.protocol == WSP_PROTO_ITOT) {
        char cd[LC_CONNDATA];
        int cls = c->po.itot_class;
        memset(cd, 'a', sizeof cd);
        wsp_setsockopt(c->wspl, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&cls, sizeof cls);
        if (wsp_setsockopt(c->wspl, SOL_SOCKET, SO_CONNDATA, cd, sizeof cd) != 0) {
            snprintf(err, errlen, "SO_CONNDATA: %s", bench_wsa_err());
            return -1;
        }
    }
    if (wsp_bind(c->wspl, (struct sockaddr *)&c->wsp_sa, sizeof sa) != 0 ||
        wsp_listen(c->wspl, 64) != 0 ||
        wsp_getsockname(c->wspl, (struct sockaddr *)&c->wsp_sa, &wlen) != 0) {
        snprintf(err, errlen, "wsp listener: %s", bench_wsa_err());
        return -1;
    }
    return 0;
}

static int lc_case(const struct bench_opts *o, const char *group, const char *metric,
                   const struct pair_opts *po)
{
    static struct lc_ctx c;
    struct bench_case bc = {
        .group = group,
        .metric = {metric},
        .raw_name = {"raw TCP lifecycle"},
        .nmetrics = 1,
        .reps = o->reps * (o->quick ? 1 : 2),
        .run = lc_run,
        .ctx = &c,
    };
    memset(&c, 0, sizeof c);
    c.po = *po;
    c.rawl = -1;
    c.wspl = INVALID_SOCKET;
    c.count = o->quick ? 20 : 50;
    if (lc_listeners(&c, bc.err, sizeof bc.err) == 0)
        bench_run_case(&bc);
    bench_report_case(&bc);
    if (c.rawl >= 0)
        close(c.rawl);
    if (c.wspl != INVALID_SOCKET)
        closesocket(c.wspl);
    return bc.err[0] ? -1 : 0;
}

int bench_lifecycle(const struct bench_opts *o)
{
    struct pair_opts tcp = {SOCK_STREAM, IPPROTO_TCP, 0, 0};
    int rc = lc_case(o, "tcp lifecycle", "wsp lifecycle", &tcp);
    if (!o->itot)
        return rc;
    static const int classes[] = {0, 2};
    for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++) {
        static char group[32];
        struct pair_opts po = {SOCK_SEQPACKET, WSP_PROTO_ITOT, classes[k], 0};
        snprintf(group, sizeof group, "itot class %d", classes[k]);
        rc |= lc_case(o, group, "itot lifecycle", &po);
    }
    return rc;
}
