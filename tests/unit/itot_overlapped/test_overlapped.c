/* SPDX-License-Identifier: MIT */
/* Overlapped I/O on itot sockets through the real API (libwsp + wsp_itot.so
 * over loopback): WSASend/WSARecv/WSAIoctl with an lpOverlapped, completion
 * by event, WSAGetOverlappedResult, the peer's DR, closesocket, cancel
 * (docs/providers-itot.md "Overlapped I/O").
 *
 * Windows' rules the asserts follow (WSASend, WSARecv, WSAIoctl,
 * WSAGetOverlappedResult, closesocket pages): an operation that completes at
 * once returns 0 and is still reported through its event; one that cannot
 * fails with WSA_IO_PENDING and completes later; WSAGetOverlappedResult
 * without fWait on a pending one fails with WSA_IO_INCOMPLETE; closesocket
 * completes every pending operation with WSA_OPERATION_ABORTED; on a socket
 * made without WSA_FLAG_OVERLAPPED lpOverlapped is ignored. itot's own rule:
 * after the TSDUs sent before it, the peer's DR completes a receive with
 * WSAEDISCON, and WSARecvDisconnect then gives its data. */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>
#include <wsp/ws2spi.h>

#include "raw_peer.h"

#define WAIT_MS 20000 /* bound on every wait: a broken provider fails, never hangs */

/* ---- connections ----------------------------------------------------------- */

struct pair {
    SOCKET l, cl, sv; /* listener, connecting side, accepted side */
};

struct connector {
    SOCKET s;
    struct sockaddr_in to;
    int rc;
};

static void *connect_main(void *arg)
{
    struct connector *k = arg;
    k->rc = wsp_connect(k->s, (struct sockaddr *)&k->to, sizeof k->to);
    return NULL;
}

static void set_int(SOCKET s, int level, int name, int v)
{
    assert_int_equal(wsp_setsockopt(s, level, name, (const char *)&v, sizeof v), 0);
}

/* cl (made with cl_flags) connected to sv (accepted: overlapped, as on
 * Windows). rx_limit > 0: the accepted side reassembles TSDUs of at most that
 * size and TCP buffers are small on both sides, so the accepted side stops
 * reading soon and cl's output queue fills while sv does not read. */
static void pair_open(struct pair *p, DWORD cl_flags, int rx_limit)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof a;
    p->l = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(p->l != INVALID_SOCKET);
    if (rx_limit > 0) {
        set_int(p->l, WSP_SOL_ITOT, WSP_ITOT_MAX_TSDU, rx_limit);
        set_int(p->l, SOL_SOCKET, SO_RCVBUF, 4096); /* accepted sockets inherit it */
    }
    assert_int_equal(wsp_bind(p->l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(p->l, 4), 0);
    assert_int_equal(wsp_getsockname(p->l, (struct sockaddr *)&a, &len), 0);
    struct connector k = {
        .s = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, cl_flags), .to = a};
    assert_true(k.s != INVALID_SOCKET);
    if (rx_limit > 0)
        set_int(k.s, SOL_SOCKET, SO_SNDBUF, 4096);
    pthread_t t;
    /* A blocking itot connect completes only when the accept takes it. */
    assert_int_equal(pthread_create(&t, NULL, connect_main, &k), 0);
    p->sv = WSAAccept(p->l, NULL, NULL, NULL, 0);
    pthread_join(t, NULL);
    assert_true(p->sv != INVALID_SOCKET);
    assert_int_equal(k.rc, 0);
    p->cl = k.s;
}

static void pair_close(struct pair *p)
{
    if (p->cl != INVALID_SOCKET)
        closesocket(p->cl);
    if (p->sv != INVALID_SOCKET)
        closesocket(p->sv);
    closesocket(p->l);
}

static int setup(void **state)
{
    (void)state;
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d);
}

static int teardown(void **state)
{
    (void)state;
    return WSACleanup();
}

/* ---- one overlapped operation ---------------------------------------------- */

struct xop {
    WSAOVERLAPPED ov;
    WSABUF wb;
    DWORD n, flags;
    char *buf;
};

static void xop_init(struct xop *x, char *buf, ULONG len)
{
    memset(x, 0, sizeof *x);
    x->ov.hEvent = WSACreateEvent();
    assert_true(x->ov.hEvent != NULL);
    x->buf = buf;
    x->wb = (WSABUF){.len = len, .buf = buf};
}

static void xop_fini(struct xop *x)
{
    WSACloseEvent(x->ov.hEvent);
}

/* WSARecv with x: 0 (completed at once) or the error. */
static int xrecv(SOCKET s, struct xop *x)
{
    x->flags = 0;
    x->n = 0xDEAD;
    if (WSARecv(s, &x->wb, 1, &x->n, &x->flags, &x->ov, NULL) == 0)
        return 0;
    return WSAGetLastError();
}

static int xsend(SOCKET s, struct xop *x)
{
    x->n = 0xDEAD;
    if (WSASend(s, &x->wb, 1, &x->n, 0, &x->ov, NULL) == 0)
        return 0;
    return WSAGetLastError();
}

static bool signalled(struct xop *x, DWORD ms)
{
    return WSAWaitForMultipleEvents(1, &x->ov.hEvent, FALSE, ms, FALSE) == WSA_WAIT_EVENT_0;
}

/* WSAGetOverlappedResult: 0 and *n, *flags on success, else the error. */
static int result(SOCKET s, struct xop *x, BOOL wait, DWORD *n, DWORD *flags)
{
    DWORD nn = 0xDEAD, ff = 0xDEAD;
    if (WSAGetOverlappedResult(s, &x->ov, &nn, wait, &ff)) {
        if (n != NULL)
            *n = nn;
        if (flags != NULL)
            *flags = ff;
        return 0;
    }
    return WSAGetLastError();
}

static void plain_send(SOCKET s, const char *m, int n)
{
    assert_int_equal(wsp_send(s, m, n, 0), n);
}

/* ---- receives ---------------------------------------------------------------- */

/* Wait until s is readable (a whole TSDU in the receive store). */
static bool readable(SOCKET s)
{
    wsp_fd_set r;
    WSP_FD_ZERO(&r);
    WSP_FD_SET(s, &r);
    struct timeval tv = {.tv_sec = WAIT_MS / 1000};
    return wsp_select(0, &r, NULL, NULL, &tv) == 1;
}

/* A TSDU that is there already: the call completes at once (0, the count,
 * the flags) and the completion is still reported: the event is set, the
 * result is there. A buffer too small: MSG_PARTIAL, the rest next. */
static void recv_immediate_signals_event(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, 0);
    plain_send(p.cl, "hello, world", 12);
    assert_true(readable(p.sv));
    char buf[64];
    struct xop x;
    xop_init(&x, buf, 5);
    assert_int_equal(xrecv(p.sv, &x), 0);
    assert_int_equal(x.n, 5);
    assert_int_equal(x.flags, MSG_PARTIAL);
    assert_memory_equal(buf, "hello", 5);
    assert_true(signalled(&x, 0)); /* reported although it completed at once */
    DWORD n = 0, f = 0;
    assert_int_equal(result(p.sv, &x, FALSE, &n, &f), 0);
    assert_int_equal(n, 5);
    assert_int_equal(f, MSG_PARTIAL);
    /* The rest of the TSDU: complete, no MSG_PARTIAL. */
    WSAResetEvent(x.ov.hEvent);
    x.wb.len = sizeof buf;
    assert_int_equal(xrecv(p.sv, &x), 0);
    assert_int_equal(x.n, 7);
    assert_int_equal(x.flags, 0);
    assert_memory_equal(buf, ", world", 7);
    assert_true(signalled(&x, 0));
    assert_int_equal(result(p.sv, &x, FALSE, &n, &f), 0);
    assert_int_equal(n, 7);
    assert_int_equal(f, 0);
    xop_fini(&x);
    pair_close(&p);
}

/* No TSDU yet: WSA_IO_PENDING, nothing signalled, WSA_IO_INCOMPLETE; the
 * next TSDUs complete the waiting receives in issue order, each exactly. */
static void recv_pending_completed_by_later_tsdus(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, 0);
    char b1[64], b2[64];
    struct xop x1, x2;
    xop_init(&x1, b1, sizeof b1);
    xop_init(&x2, b2, sizeof b2);
    assert_int_equal(xrecv(p.sv, &x1), WSA_IO_PENDING);
    assert_int_equal(xrecv(p.sv, &x2), WSA_IO_PENDING);
    assert_false(signalled(&x1, 0));
    assert_int_equal(result(p.sv, &x1, FALSE, NULL, NULL), WSA_IO_INCOMPLETE);
    assert_int_equal(result(p.sv, &x2, FALSE, NULL, NULL), WSA_IO_INCOMPLETE);
    plain_send(p.cl, "first TSDU", 10);
    plain_send(p.cl, "2nd", 3);
    assert_true(signalled(&x1, WAIT_MS));
    assert_true(signalled(&x2, WAIT_MS));
    DWORD n = 0, f = 0xFF;
    assert_int_equal(result(p.sv, &x1, TRUE, &n, &f), 0);
    assert_int_equal(n, 10);
    assert_int_equal(f, 0);
    assert_memory_equal(b1, "first TSDU", 10);
    assert_int_equal(result(p.sv, &x2, TRUE, &n, &f), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(b2, "2nd", 3);
    xop_fini(&x1);
    xop_fini(&x2);
    pair_close(&p);
}

/* WSAGetOverlappedResult with fWait sleeps until the TSDU comes. */
struct late_sender {
    SOCKET s;
    int waiter_tid;
};

static bool thread_sleeping(int tid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return false;
    bool s = false;
    if (fgets(line, sizeof line, fp) != NULL) {
        const char *q = strrchr(line, ')');
        s = q != NULL && q[1] == ' ' && q[2] == 'S';
    }
    fclose(fp);
    return s;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *late_sender_main(void *arg)
{
    struct late_sender *ls = arg;
    /* Really asynchronous: the waiter asleep in WSAGetOverlappedResult
     * (its only sleep now), else after a bound, which is also correct. */
    uint64_t deadline = now_ms() + 2000;
    while (!thread_sleeping(ls->waiter_tid) && now_ms() < deadline)
        sched_yield();
    wsp_send(ls->s, "late", 4, 0);
    return NULL;
}

static void get_result_waits(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, 0);
    char b[16];
    struct xop x;
    xop_init(&x, b, sizeof b);
    assert_int_equal(xrecv(p.sv, &x), WSA_IO_PENDING);
    assert_int_equal(result(p.sv, &x, FALSE, NULL, NULL), WSA_IO_INCOMPLETE);
    struct late_sender ls = {.s = p.cl, .waiter_tid = (int)syscall(SYS_gettid)};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, late_sender_main, &ls), 0);
    DWORD n = 0, f = 0xFF;
    assert_int_equal(result(p.sv, &x, TRUE, &n, &f), 0);
    pthread_join(t, NULL);
    assert_int_equal(n, 4);
    assert_int_equal(f, 0);
    assert_memory_equal(b, "late", 4);
    xop_fini(&x);
    pair_close(&p);
}

/* The peer's DR: the TSDU sent before it first, then WSAEDISCON for every
 * receive still waiting; its data from WSARecvDisconnect. */
static void pending_recv_completes_with_discon(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, 0);
    char b1[16], b2[16], b3[16];
    struct xop x1, x2, x3;
    xop_init(&x1, b1, sizeof b1);
    xop_init(&x2, b2, sizeof b2);
    xop_init(&x3, b3, sizeof b3);
    assert_int_equal(xrecv(p.sv, &x1), WSA_IO_PENDING);
    assert_int_equal(xrecv(p.sv, &x2), WSA_IO_PENDING);
    assert_int_equal(xrecv(p.sv, &x3), WSA_IO_PENDING);
    plain_send(p.cl, "last words", 10);
    WSABUF bye = {.len = 3, .buf = (CHAR *)"bye"};
    assert_int_equal(WSASendDisconnect(p.cl, &bye), 0);
    assert_true(signalled(&x1, WAIT_MS));
    assert_true(signalled(&x2, WAIT_MS));
    assert_true(signalled(&x3, WAIT_MS));
    DWORD n = 0, f = 0;
    assert_int_equal(result(p.sv, &x1, TRUE, &n, &f), 0);
    assert_int_equal(n, 10);
    assert_memory_equal(b1, "last words", 10);
    assert_int_equal(result(p.sv, &x2, TRUE, &n, &f), WSAEDISCON);
    assert_int_equal(result(p.sv, &x3, TRUE, &n, &f), WSAEDISCON);
    /* After the end, a new receive fails at once (no completion). */
    WSAResetEvent(x1.ov.hEvent);
    assert_int_equal(xrecv(p.sv, &x1), WSAEDISCON);
    assert_false(signalled(&x1, 0));
    char d[64];
    WSABUF db = {.len = sizeof d, .buf = d};
    assert_int_equal(WSARecvDisconnect(p.sv, &db), 0);
    assert_int_equal(db.len, 3);
    assert_memory_equal(d, "bye", 3);
    xop_fini(&x1);
    xop_fini(&x2);
    xop_fini(&x3);
    pair_close(&p);
}

/* ---- sends ------------------------------------------------------------------- */

#define TSDU_LEN 16000
#define N_SENDS 96 /* 1.5 MB: far more than the queue (256 KiB) and the buffers hold */
#define RX_LIMIT 16384

struct sends {
    char (*data)[TSDU_LEN];
    struct xop x[N_SENDS];
    int pending, at_once;
};

static void fill(char *b, int i)
{
    for (int k = 0; k < TSDU_LEN; k++)
        b[k] = (char)(i * 7 + k);
}

/* N_SENDS overlapped sends on p->cl, which p->sv does not read yet: the
 * first complete at once (still reported), the rest wait. */
static void sends_issue(struct pair *p, struct sends *sd)
{
    sd->data = malloc(sizeof(*sd->data) * N_SENDS);
    assert_non_null(sd->data);
    sd->pending = sd->at_once = 0;
    for (int i = 0; i < N_SENDS; i++) {
        fill(sd->data[i], i);
        xop_init(&sd->x[i], sd->data[i], TSDU_LEN);
        int rc = xsend(p->cl, &sd->x[i]);
        if (rc == 0) {
            assert_int_equal(sd->x[i].n, TSDU_LEN);
            assert_true(signalled(&sd->x[i], 0)); /* reported although at once */
            sd->at_once++;
        } else {
            assert_int_equal(rc, WSA_IO_PENDING);
            sd->pending++;
        }
    }
    print_message("%d sends done at once, %d waiting\n", sd->at_once, sd->pending);
    assert_true(sd->at_once > 0);
    assert_true(sd->pending > 0); /* else this test tests nothing */
}

/* p->sv reads every TSDU: separate, whole, in issue order. */
static void sends_read_all(struct pair *p)
{
    static char want[TSDU_LEN], got[TSDU_LEN + 1];
    for (int i = 0; i < N_SENDS; i++) {
        WSABUF b = {.len = sizeof got, .buf = got};
        DWORD n = 0, flags = 0;
        assert_int_equal(WSARecv(p->sv, &b, 1, &n, &flags, NULL, NULL), 0);
        assert_int_equal(n, TSDU_LEN);
        assert_int_equal(flags, 0);
        fill(want, i);
        assert_memory_equal(got, want, TSDU_LEN);
    }
}

static void sends_check_done(struct pair *p, struct sends *sd)
{
    for (int i = 0; i < N_SENDS; i++) {
        assert_true(signalled(&sd->x[i], WAIT_MS));
        DWORD n = 0, f = 0;
        assert_int_equal(result(p->cl, &sd->x[i], TRUE, &n, &f), 0);
        assert_int_equal(n, TSDU_LEN);
        xop_fini(&sd->x[i]);
    }
    free(sd->data);
}

static void queued_sends_arrive_in_order(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, RX_LIMIT);
    struct sends sd;
    sends_issue(&p, &sd);
    assert_int_equal(result(p.cl, &sd.x[N_SENDS - 1], FALSE, NULL, NULL), WSA_IO_INCOMPLETE);
    sends_read_all(&p);
    sends_check_done(&p, &sd);
    pair_close(&p);
}

/* WSASendDisconnect after queued overlapped sends returns at once; its DR
 * goes after all of them (D5): the peer reads every TSDU, then WSAEDISCON,
 * then the 64 octets of disconnect data. A send after it: WSAESHUTDOWN. */
static void send_disconnect_after_queued_sends(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, RX_LIMIT);
    struct sends sd;
    sends_issue(&p, &sd);
    char dd[64];
    for (int i = 0; i < 64; i++)
        dd[i] = (char)(0xA0 + i);
    WSABUF db = {.len = sizeof dd, .buf = dd};
    assert_int_equal(WSASendDisconnect(p.cl, &db), 0); /* does not wait for the sends (C11) */
    char extra[4] = "more";
    struct xop xe;
    xop_init(&xe, extra, sizeof extra);
    assert_int_equal(xsend(p.cl, &xe), WSAESHUTDOWN); /* C2 */
    xop_fini(&xe);
    sends_read_all(&p);
    char b[8];
    WSABUF rb = {.len = sizeof b, .buf = b};
    DWORD n = 0, flags = 0;
    assert_int_equal(WSARecv(p.sv, &rb, 1, &n, &flags, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEDISCON);
    char got[64];
    WSABUF gb = {.len = sizeof got, .buf = got};
    assert_int_equal(WSARecvDisconnect(p.sv, &gb), 0);
    assert_int_equal(gb.len, 64);
    assert_memory_equal(got, dd, 64);
    sends_check_done(&p, &sd);
    pair_close(&p);
}

/* The peer goes away (closesocket: DR, then TCP) while sends wait: they
 * complete with the connection's end, WSAECONNRESET (the peer reset the
 * connection, as a plain send then fails), none left pending. */
static void peer_close_fails_waiting_sends(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, RX_LIMIT);
    struct sends sd;
    sends_issue(&p, &sd);
    assert_int_equal(closesocket(p.sv), 0);
    p.sv = INVALID_SOCKET;
    int failed = 0;
    for (int i = 0; i < N_SENDS; i++) {
        assert_true(signalled(&sd.x[i], WAIT_MS));
        DWORD n = 0, f = 0;
        int rc = result(p.cl, &sd.x[i], FALSE, &n, &f);
        if (rc != 0) {
            assert_int_equal(rc, WSAECONNRESET);
            failed++;
        } else {
            assert_int_equal(failed, 0); /* the successes are a prefix */
        }
        xop_fini(&sd.x[i]);
    }
    assert_true(failed > 0);
    free(sd.data);
    pair_close(&p);
}

/* ---- close and cancel ---------------------------------------------------------- */

/* Completed with WSA_OPERATION_ABORTED: the event set and the status in
 * Internal (the handle is gone, so no WSAGetOverlappedResult on it). */
static void assert_aborted(struct xop *x)
{
    assert_true(signalled(x, 0));
    assert_int_equal(x->ov.Internal, WSA_OPERATION_ABORTED);
}

static void close_aborts_pending_ops(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, RX_LIMIT);
    char b1[16], b2[16];
    struct xop r1, r2;
    xop_init(&r1, b1, sizeof b1);
    xop_init(&r2, b2, sizeof b2);
    /* cl: two receives waiting (sv sends nothing) and sends waiting for room. */
    assert_int_equal(xrecv(p.cl, &r1), WSA_IO_PENDING);
    assert_int_equal(xrecv(p.cl, &r2), WSA_IO_PENDING);
    struct sends sd;
    sends_issue(&p, &sd);
    /* Returned: every operation is complete already, none lost. */
    assert_int_equal(closesocket(p.cl), 0);
    p.cl = INVALID_SOCKET;
    assert_aborted(&r1);
    assert_aborted(&r2);
    /* The sends that were still waiting are aborted; those the queue took
     * meanwhile succeeded: a prefix, since they complete in issue order. */
    int aborted = 0;
    for (int i = 0; i < N_SENDS; i++) {
        assert_true(signalled(&sd.x[i], 0));
        if (sd.x[i].ov.Internal == WSA_OPERATION_ABORTED) {
            aborted++;
        } else {
            assert_int_equal(aborted, 0);
            assert_int_equal(sd.x[i].ov.Internal, 0);
            assert_int_equal(sd.x[i].ov.InternalHigh, TSDU_LEN);
        }
        xop_fini(&sd.x[i]);
    }
    assert_true(aborted > 0 && aborted <= sd.pending);
    free(sd.data);
    xop_fini(&r1);
    xop_fini(&r2);
    pair_close(&p);
}

static int cancel(SOCKET s, LPWSAOVERLAPPED ov)
{
    DWORD ret = 0;
    if (WSAIoctl(s, SIO_WSP_CANCEL_OVERLAPPED, &ov, sizeof ov, NULL, 0, &ret, NULL, NULL) == 0)
        return 0;
    return WSAGetLastError();
}

/* Cancelling one receive leaves the others waiting; nothing to cancel:
 * WSP_ERROR_NOT_FOUND (ws2spi.h, Windows' ERROR_NOT_FOUND of CancelIoEx). */
static void cancel_one_receive(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, 0);
    char b1[16], b2[16];
    struct xop x1, x2;
    xop_init(&x1, b1, sizeof b1);
    xop_init(&x2, b2, sizeof b2);
    assert_int_equal(xrecv(p.sv, &x1), WSA_IO_PENDING);
    assert_int_equal(xrecv(p.sv, &x2), WSA_IO_PENDING);
    assert_int_equal(cancel(p.sv, &x1.ov), 0);
    assert_true(signalled(&x1, 0));
    assert_int_equal(result(p.sv, &x1, FALSE, NULL, NULL), WSA_OPERATION_ABORTED);
    assert_int_equal(result(p.sv, &x2, FALSE, NULL, NULL), WSA_IO_INCOMPLETE);
    assert_int_equal(cancel(p.sv, &x1.ov), WSP_ERROR_NOT_FOUND);
    plain_send(p.cl, "for x2", 6);
    DWORD n = 0, f = 0;
    assert_int_equal(result(p.sv, &x2, TRUE, &n, &f), 0);
    assert_int_equal(n, 6);
    assert_memory_equal(b2, "for x2", 6);
    assert_int_equal(cancel(p.sv, NULL), WSP_ERROR_NOT_FOUND);
    xop_fini(&x1);
    xop_fini(&x2);
    pair_close(&p);
}

/* A cancelled waiting send is withdrawn whole: the peer gets every other
 * TSDU, in order, and never a byte of it. */
static void cancel_waiting_send(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, RX_LIMIT);
    struct sends sd;
    sends_issue(&p, &sd);
    int victim = N_SENDS - 2; /* waiting: the queue is long full by then */
    assert_int_equal(result(p.cl, &sd.x[victim], FALSE, NULL, NULL), WSA_IO_INCOMPLETE);
    assert_int_equal(cancel(p.cl, &sd.x[victim].ov), 0);
    assert_int_equal(result(p.cl, &sd.x[victim], FALSE, NULL, NULL), WSA_OPERATION_ABORTED);
    static char want[TSDU_LEN], got[TSDU_LEN + 1];
    for (int i = 0; i < N_SENDS; i++) {
        if (i == victim)
            continue;
        WSABUF b = {.len = sizeof got, .buf = got};
        DWORD n = 0, flags = 0;
        assert_int_equal(WSARecv(p.sv, &b, 1, &n, &flags, NULL, NULL), 0);
        assert_int_equal(n, TSDU_LEN);
        fill(want, i);
        assert_memory_equal(got, want, TSDU_LEN);
    }
    for (int i = 0; i < N_SENDS; i++) {
        if (i != victim) {
            DWORD n = 0, f = 0;
            assert_int_equal(result(p.cl, &sd.x[i], TRUE, &n, &f), 0);
        }
        xop_fini(&sd.x[i]);
    }
    free(sd.data);
    /* Nothing more is on its way. */
    assert_int_equal(WSASendDisconnect(p.cl, NULL), 0);
    char b[8];
    WSABUF rb = {.len = sizeof b, .buf = b};
    DWORD n = 0, flags = 0;
    assert_int_equal(WSARecv(p.sv, &rb, 1, &n, &flags, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEDISCON);
    pair_close(&p);
}

/* CancelIo cancels the overlapped operations the calling thread issued on
 * the socket, not another thread's (CancelIo: "cancels all pending I/O
 * operations that are issued by the calling thread for the specified file");
 * with nothing of its own left it still succeeds. */
struct other_recv {
    SOCKET s;
    struct xop x;
    char buf[16];
    pthread_barrier_t step;
};

static void *other_recv_main(void *arg)
{
    struct other_recv *o = arg;
    xop_init(&o->x, o->buf, sizeof o->buf);
    int rc = xrecv(o->s, &o->x);
    pthread_barrier_wait(&o->step); /* issued (pending, checked by the main thread) */
    pthread_barrier_wait(&o->step); /* the main thread is done with it */
    return (void *)(intptr_t)rc;
}

static void cancelio_only_this_threads(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, 0);
    struct other_recv o = {.s = p.cl};
    pthread_barrier_init(&o.step, NULL, 2);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_recv_main, &o), 0);
    pthread_barrier_wait(&o.step);
    char b[16];
    struct xop mine;
    xop_init(&mine, b, sizeof b);
    assert_int_equal(xrecv(p.cl, &mine), WSA_IO_PENDING);
    assert_true(CancelIo((HANDLE)(uintptr_t)p.cl));
    assert_true(signalled(&mine, WAIT_MS));
    assert_int_equal(result(p.cl, &mine, FALSE, NULL, NULL), WSA_OPERATION_ABORTED);
    assert_int_equal(result(p.cl, &o.x, FALSE, NULL, NULL), WSA_IO_INCOMPLETE);
    assert_true(CancelIo((HANDLE)(uintptr_t)p.cl)); /* nothing of ours left: still TRUE */
    plain_send(p.sv, "other", 5);
    DWORD n = 0, f = 0;
    assert_int_equal(result(p.cl, &o.x, TRUE, &n, &f), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(o.buf, "other", 5);
    pthread_barrier_wait(&o.step);
    void *rc = NULL;
    assert_int_equal(pthread_join(t, &rc), 0);
    assert_int_equal((int)(intptr_t)rc, WSA_IO_PENDING);
    pthread_barrier_destroy(&o.step);
    xop_fini(&mine);
    xop_fini(&o.x);
    pair_close(&p);
}

/* A thread that exits with a receive pending has it aborted (Windows: "All
 * I/O initiated by a given thread is canceled when that thread exits", the
 * WSASend page); the other thread's receive goes on and gets the next TSDU. */
static void *leaver_main(void *arg)
{
    struct other_recv *o = arg;
    xop_init(&o->x, o->buf, sizeof o->buf);
    return (void *)(intptr_t)xrecv(o->s, &o->x);
}

static void thread_exit_cancels_its_operations(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, 0);
    char b[16];
    struct xop mine;
    xop_init(&mine, b, sizeof b);
    assert_int_equal(xrecv(p.cl, &mine), WSA_IO_PENDING);
    struct other_recv o = {.s = p.cl};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, leaver_main, &o), 0);
    void *rc = NULL;
    assert_int_equal(pthread_join(t, &rc), 0);
    assert_int_equal((int)(intptr_t)rc, WSA_IO_PENDING);
    assert_true(signalled(&o.x, WAIT_MS));
    assert_int_equal(result(p.cl, &o.x, FALSE, NULL, NULL), WSA_OPERATION_ABORTED);
    assert_int_equal(result(p.cl, &mine, FALSE, NULL, NULL), WSA_IO_INCOMPLETE);
    plain_send(p.sv, "mine", 4);
    DWORD n = 0, f = 0;
    assert_int_equal(result(p.cl, &mine, TRUE, &n, &f), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(b, "mine", 4);
    xop_fini(&mine);
    xop_fini(&o.x);
    pair_close(&p);
}

/* ---- the rest ---------------------------------------------------------------- */

/* A socket made without WSA_FLAG_OVERLAPPED: lpOverlapped is ignored, the
 * calls are plain (WSASend / WSARecv: "If the socket was not created with
 * the overlapped attribute, lpOverlapped is ignored"). */
static void non_overlapped_socket_ignores_overlapped(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0, 0);
    char b[16];
    struct xop x;
    xop_init(&x, b, sizeof b);
    x.ov.Internal = 0x5A5A;
    memcpy(b, "plain", 5);
    x.wb.len = 5;
    assert_int_equal(xsend(p.cl, &x), 0);
    assert_int_equal(x.n, 5);
    /* A plain blocking receive on the same socket gets the answer. */
    plain_send(p.sv, "answer", 6);
    x.wb.len = sizeof b;
    assert_int_equal(xrecv(p.cl, &x), 0);
    assert_int_equal(x.n, 6);
    assert_memory_equal(b, "answer", 6);
    assert_int_equal(x.ov.Internal, 0x5A5A); /* untouched */
    assert_false(signalled(&x, 0));
    char got[16];
    assert_int_equal(wsp_recv(p.sv, got, sizeof got, 0), 5);
    assert_memory_equal(got, "plain", 5);
    xop_fini(&x);
    pair_close(&p);
}

/* WSAIoctl with an lpOverlapped on an overlapped socket: done at once (0),
 * and reported like any completion. */
static void ioctl_overlapped_reports(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, 0);
    plain_send(p.sv, "seven!!", 7);
    u_long avail = 0;
    struct xop x;
    xop_init(&x, NULL, 0);
    DWORD ret = 0;
    /* until the TSDU is in: FIONREAD 0 */
    uint64_t deadline = now_ms() + WAIT_MS;
    do {
        WSAResetEvent(x.ov.hEvent);
        assert_int_equal(
            WSAIoctl(p.cl, (DWORD)WSP_FIONREAD, NULL, 0, &avail, sizeof avail, &ret, &x.ov, NULL),
            0);
        assert_true(signalled(&x, 0));
    } while (avail == 0 && now_ms() < deadline);
    assert_int_equal(avail, 7);
    assert_int_equal(ret, sizeof avail);
    DWORD n = 0, f = 0;
    assert_int_equal(result(p.cl, &x, FALSE, &n, &f), 0);
    assert_int_equal(n, sizeof avail);
    xop_fini(&x);
    pair_close(&p);
}

/* ---- completion routines ----------------------------------------------------- */

struct seen {
    int calls;
    pthread_t thread;
    DWORD err, bytes, flags;
    LPWSAOVERLAPPED ov;
};
static struct seen seen; /* written by the routine, in this test's own thread */

static void CALLBACK on_done(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    seen.calls++;
    seen.thread = pthread_self();
    seen.err = err;
    seen.bytes = bytes;
    seen.ov = ov;
    seen.flags = flags;
}

static void *other_alertable_wait(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)SleepEx(0, TRUE);
}

/* Complete (Internal stored) — really asynchronous: the engine thread does it. */
static void wait_complete(struct xop *x)
{
    uint64_t deadline = now_ms() + WAIT_MS;
    while (__atomic_load_n(&x->ov.Internal, __ATOMIC_ACQUIRE) == WSS_OPERATION_IN_PROGRESS) {
        assert_true(now_ms() < deadline);
        sched_yield();
    }
}

/* The routine runs in the thread that issued the call, only in its
 * alertable wait (WSARecv: "the completion routine will be invoked ... when
 * the calling thread is in an alertable wait state"); never in another
 * thread, never in a non-alertable wait. Also for a receive that completed
 * at once. */
static void routine_runs_only_in_alertable_wait(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, 0);
    char b[16];
    struct xop x;
    xop_init(&x, b, sizeof b);
    memset(&seen, 0, sizeof seen);
    DWORD flags = 0;
    assert_int_equal(WSARecv(p.sv, &x.wb, 1, NULL, &flags, &x.ov, on_done), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    plain_send(p.cl, "routine", 7);
    wait_complete(&x);
    pthread_t t;
    void *other_rc = NULL;
    assert_int_equal(pthread_create(&t, NULL, other_alertable_wait, NULL), 0);
    pthread_join(t, &other_rc);
    assert_int_equal((uintptr_t)other_rc, 0); /* nothing for that thread */
    assert_int_equal(SleepEx(0, FALSE), 0);
    WSAEVENT never = WSACreateEvent();
    assert_int_equal(WSAWaitForMultipleEvents(1, &never, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    assert_int_equal(seen.calls, 0);
    assert_int_equal(WSAWaitForMultipleEvents(1, &never, FALSE, WAIT_MS, TRUE),
                     WSA_WAIT_IO_COMPLETION);
    assert_int_equal(seen.calls, 1);
    assert_true(pthread_equal(seen.thread, pthread_self()));
    assert_int_equal(seen.err, 0);
    assert_int_equal(seen.bytes, 7);
    assert_ptr_equal(seen.ov, &x.ov);
    assert_int_equal(seen.flags, 0);
    assert_memory_equal(b, "routine", 7);

    /* Completed at once: 0, and the routine is queued all the same. */
    plain_send(p.cl, "again", 5);
    assert_true(readable(p.sv));
    DWORD n = 0;
    flags = 0;
    assert_int_equal(WSARecv(p.sv, &x.wb, 1, &n, &flags, &x.ov, on_done), 0);
    assert_int_equal(n, 5);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.bytes, 5);
    /* A send with a routine, no count (allowed with an lpOverlapped). */
    x.wb.len = 3;
    assert_int_equal(WSASend(p.cl, &x.wb, 1, NULL, 0, &x.ov, on_done), 0);
    assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(seen.calls, 3);
    assert_int_equal(seen.err, 0);
    assert_int_equal(seen.bytes, 3);
    WSACloseEvent(never);
    xop_fini(&x);
    pair_close(&p);
}

/* WSACleanup closes the sockets left open: their waiting operations
 * complete with WSA_OPERATION_ABORTED too (as closesocket). The peer is a raw
 * RFC 1006 peer that never reads nor ends the connection, so that nothing
 * but the cleanup can complete them (an itot peer in this process would be
 * closed by the same cleanup, and its DR could complete the receive first). */
static void cleanup_aborts_pending_ops(void **state)
{
    (void)state;
    struct raw_peer rp;
    raw_listen(&rp, 4096);
    struct connector k = {
        .s = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, WSA_FLAG_OVERLAPPED),
        .to = rp.addr};
    assert_true(k.s != INVALID_SOCKET);
    set_int(k.s, SOL_SOCKET, SO_SNDBUF, 4096);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, connect_main, &k), 0);
    raw_accept_cc(&rp, 0x0D); /* 8192-octet TPDUs */
    pthread_join(t, NULL);
    assert_int_equal(k.rc, 0);
    /* A receive waiting, and sends until one waits for room. */
    char b[16];
    WSAOVERLAPPED rov;
    memset(&rov, 0, sizeof rov);
    WSABUF wb = {.len = sizeof b, .buf = b};
    DWORD flags = 0;
    assert_int_equal(WSARecv(k.s, &wb, 1, NULL, &flags, &rov, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    static char big[65536];
    static WSAOVERLAPPED sov[64];
    WSABUF sb = {.len = sizeof big, .buf = big};
    int n = 0, rc = 0;
    while (rc == 0 && n < 64) {
        memset(&sov[n], 0, sizeof sov[n]);
        rc = WSASend(k.s, &sb, 1, NULL, 0, &sov[n++], NULL) == 0 ? 0 : WSAGetLastError();
    }
    assert_int_equal(rc, WSA_IO_PENDING);
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(__atomic_load_n(&rov.Internal, __ATOMIC_ACQUIRE), WSA_OPERATION_ABORTED);
    assert_int_equal(__atomic_load_n(&sov[n - 1].Internal, __ATOMIC_ACQUIRE),
                     WSA_OPERATION_ABORTED);
    raw_close(&rp);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0); /* for the teardown */
}

/* ---- threads ------------------------------------------------------------------- */

#define N_MSGS 400
#define WINDOW 8

static void *overlapped_sender(void *arg)
{
    SOCKET s = *(SOCKET *)arg;
    struct xop x[WINDOW];
    uint32_t v[WINDOW];
    for (int w = 0; w < WINDOW; w++)
        xop_init(&x[w], (char *)&v[w], sizeof v[w]);
    for (int i = 0; i < N_MSGS; i++) {
        struct xop *o = &x[i % WINDOW];
        DWORD n = 0, f = 0;
        if (i >= WINDOW && result(s, o, TRUE, &n, &f) != 0)
            return (void *)1;
        v[i % WINDOW] = (uint32_t)i;
        int rc = xsend(s, o);
        if (rc != 0 && rc != WSA_IO_PENDING)
            return (void *)2;
    }
    for (int w = 0; w < WINDOW; w++) {
        DWORD n = 0, f = 0;
        if (result(s, &x[w], TRUE, &n, &f) != 0)
            return (void *)3;
        xop_fini(&x[w]);
    }
    return NULL;
}

/* Two threads submit while the engine thread completes: every TSDU arrives
 * once and in order, every receive gets the next one (TSan checks the
 * locking). */
static void concurrent_submit_and_complete(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, WSA_FLAG_OVERLAPPED, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, overlapped_sender, &p.cl), 0);
    struct xop x[WINDOW];
    uint32_t v[WINDOW];
    for (int w = 0; w < WINDOW; w++) {
        xop_init(&x[w], (char *)&v[w], sizeof v[w]);
        int rc = xrecv(p.sv, &x[w]);
        assert_true(rc == 0 || rc == WSA_IO_PENDING);
    }
    for (int i = 0; i < N_MSGS; i++) {
        struct xop *o = &x[i % WINDOW];
        DWORD n = 0, f = 0;
        assert_int_equal(result(p.sv, o, TRUE, &n, &f), 0);
        assert_int_equal(n, sizeof(uint32_t));
        assert_int_equal(v[i % WINDOW], (uint32_t)i);
        if (i + WINDOW < N_MSGS) {
            int rc = xrecv(p.sv, o);
            assert_true(rc == 0 || rc == WSA_IO_PENDING);
        }
    }
    void *rc = NULL;
    pthread_join(t, &rc);
    assert_null(rc);
    for (int w = 0; w < WINDOW; w++)
        xop_fini(&x[w]);
    pair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(recv_immediate_signals_event, setup, teardown),
        cmocka_unit_test_setup_teardown(recv_pending_completed_by_later_tsdus, setup, teardown),
        cmocka_unit_test_setup_teardown(get_result_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(pending_recv_completes_with_discon, setup, teardown),
        cmocka_unit_test_setup_teardown(queued_sends_arrive_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(send_disconnect_after_queued_sends, setup, teardown),
        cmocka_unit_test_setup_teardown(peer_close_fails_waiting_sends, setup, teardown),
        cmocka_unit_test_setup_teardown(close_aborts_pending_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_one_receive, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_waiting_send, setup, teardown),
        cmocka_unit_test_setup_teardown(cancelio_only_this_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(thread_exit_cancels_its_operations, setup, teardown),
        cmocka_unit_test_setup_teardown(non_overlapped_socket_ignores_overlapped, setup, teardown),
        cmocka_unit_test_setup_teardown(ioctl_overlapped_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(routine_runs_only_in_alertable_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(cleanup_aborts_pending_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_submit_and_complete, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
