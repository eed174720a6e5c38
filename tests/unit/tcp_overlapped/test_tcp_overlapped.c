/* SPDX-License-Identifier: MIT */
/* tcp provider: overlapped I/O through the real API (libwsp + the tcp
 * module, loopback only). Windows' rules (WSASend, WSARecv,
 * WSAGetOverlappedResult, closesocket, WSASendDisconnect pages): an
 * operation that completes at once returns 0 and is still reported (event,
 * routine); a pending one returns WSA_IO_PENDING; sends go on the wire and
 * complete in issue order, a stream send only when all its bytes are taken;
 * a receive completes with 0 at the peer's graceful close; the FIN of a
 * SendDisconnect goes after every queued byte and the call does not block;
 * closesocket and cancel complete pending operations with
 * WSA_OPERATION_ABORTED; a socket without WSA_FLAG_OVERLAPPED ignores
 * lpOverlapped. */
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define WSP_WINSOCK_NAMES /* select, fd_set, FIONREAD ... as on Windows */
#include <wsp/winsock2.h>
#include <wsp/ws2spi.h>

#define MIB (1024u * 1024u)
#define WAIT_MS 10000u /* generous: the machine may be loaded */

static int setup(void **state)
{
    (void)state;
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(WSACleanup(), 0);
    return 0;
}

/* A connected loopback pair: *c made with flags, *a accepted (overlapped,
 * as accept()'s sockets are on Windows). small: tiny socket buffers, so that
 * big sends must wait for the reader. */
static void pair(DWORD flags, bool small, SOCKET *c, SOCKET *a)
{
    SOCKET l = WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
    *c = WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, 0, flags);
    assert_true(*c != INVALID_SOCKET);
    if (small) {
        int v = 16 * 1024;
        assert_int_equal(setsockopt(*c, SOL_SOCKET, SO_SNDBUF, (char *)&v, sizeof v), 0);
    }
    assert_int_equal(connect(*c, (struct sockaddr *)&sa, sizeof sa), 0);
    *a = accept(l, NULL, NULL);
    assert_true(*a != INVALID_SOCKET);
    if (small) {
        int v = 16 * 1024;
        assert_int_equal(setsockopt(*a, SOL_SOCKET, SO_RCVBUF, (char *)&v, sizeof v), 0);
    }
    assert_int_equal(closesocket(l), 0);
}

static WSAOVERLAPPED ov_new(void)
{
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = WSACreateEvent();
    assert_true(ov.hEvent != WSA_INVALID_EVENT);
    return ov;
}

static bool signalled(WSAEVENT ev, DWORD ms)
{
    return WSAWaitForMultipleEvents(1, &ev, TRUE, ms, FALSE) == WSA_WAIT_EVENT_0;
}

static uint8_t pattern(unsigned chunk, size_t off)
{
    return (uint8_t)(off * 7u + off / 251u + chunk * 101u);
}

/* ---- a reader thread draining the peer --------------------------------- */

struct reader {
    SOCKET s;
    size_t expect; /* bytes before the EOF */
    size_t chunk;  /* bytes per pattern chunk */
    size_t got;    /* bytes read */
    bool eof;      /* then recv returned 0 */
    bool in_order; /* every byte matched its chunk's pattern */
};

static void *reader_main(void *p)
{
    struct reader *r = p;
    size_t bufsz = 256 * 1024;
    char *buf = malloc(bufsz);
    r->in_order = buf != NULL;
    for (;;) {
        int n = recv(r->s, buf, (int)bufsz, 0);
        if (n <= 0) {
            r->eof = n == 0;
            break;
        }
        for (int i = 0; i < n && r->in_order; i++) {
            size_t at = r->got + (size_t)i;
            if ((uint8_t)buf[i] != pattern((unsigned)(at / r->chunk), at % r->chunk))
                r->in_order = false;
        }
        r->got += (size_t)n;
        if (r->got >= r->expect && r->expect != (size_t)-1 && !r->eof) {
            /* keep reading: the EOF (or more, which would be wrong) follows */
        }
    }
    free(buf);
    return NULL;
}

static char *chunk_new(unsigned idx, size_t n)
{
    char *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)pattern(idx, i);
    return p;
}

/* ---- tests ------------------------------------------------------------ */

/* Completed at once: 0 and the count, and the event is still signalled. */
static void immediate_completion_signals_event(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, false, &c, &a);
    WSAOVERLAPPED ov = ov_new();
    char msg[] = "hello";
    WSABUF b = {5, msg};
    DWORD n = 0, fl = 0;
    assert_int_equal(WSASend(c, &b, 1, &n, 0, &ov, NULL), 0);
    assert_int_equal(n, 5);
    assert_true(signalled(ov.hEvent, 0));
    assert_true(WSAGetOverlappedResult(c, &ov, &n, FALSE, &fl));
    assert_int_equal(n, 5);

    /* a receive with the data already there, likewise */
    wsp_fd_set rs;
    WSP_FD_ZERO(&rs);
    WSP_FD_SET(a, &rs);
    assert_int_equal(select(0, &rs, NULL, NULL, NULL), 1);
    WSAResetEvent(ov.hEvent);
    char in[8] = {0};
    WSABUF ib = {sizeof in, in};
    n = 0;
    fl = 0;
    assert_int_equal(WSARecv(a, &ib, 1, &n, &fl, &ov, NULL), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(in, "hello", 5);
    assert_true(signalled(ov.hEvent, 0));
    assert_true(WSAGetOverlappedResult(a, &ov, &n, FALSE, &fl));
    assert_int_equal(n, 5);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(a);
}

/* Pending receive: WSA_IO_PENDING, WSA_IO_INCOMPLETE without waiting, then
 * completed by data sent later. */
static void pending_recv_completed_by_later_data(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, false, &c, &a);
    WSAOVERLAPPED ov = ov_new();
    char in[16] = {0};
    WSABUF ib = {sizeof in, in};
    DWORD n = 99, fl = 0;
    assert_int_equal(WSARecv(a, &ib, 1, NULL, &fl, &ov, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_false(WSAGetOverlappedResult(a, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
    assert_false(signalled(ov.hEvent, 0));
    assert_int_equal(send(c, "xyz", 3, 0), 3);
    assert_true(signalled(ov.hEvent, WAIT_MS));
    assert_true(WSAGetOverlappedResult(a, &ov, &n, FALSE, &fl));
    assert_int_equal(n, 3);
    assert_int_equal(fl, 0);
    assert_memory_equal(in, "xyz", 3);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(a);
}

/* ---- three queued 4 MiB sends --------------------------------------- */

static int done_order[8];
static int done_count;
static DWORD done_bytes[8];
static DWORD done_err[8];
static WSAOVERLAPPED *order_ov[8];

/* Forget the operations of earlier tests (their WSAOVERLAPPEDs lived on
 * stacks whose addresses come back). */
static void notes_reset(void)
{
    memset(order_ov, 0, sizeof order_ov);
    done_count = 0;
}

static void CALLBACK note_done(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)flags;
    for (int i = 0; i < 8; i++)
        if (order_ov[i] == ov) {
            done_err[i] = err;
            done_bytes[i] = bytes;
            done_order[done_count++] = i;
        }
}

static void three_sends_arrive_and_complete_in_order(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, true, &c, &a);
    enum { K = 3 };
    const size_t sz = 4 * MIB;
    WSAOVERLAPPED ov[K];
    char *data[K];
    notes_reset();
    for (int i = 0; i < K; i++) {
        memset(&ov[i], 0, sizeof ov[i]);
        order_ov[i] = &ov[i];
        data[i] = chunk_new((unsigned)i, sz);
        WSABUF b = {(ULONG)sz, data[i]};
        /* the 16 KiB buffers cannot take 4 MiB: pending */
        assert_int_equal(WSASend(c, &b, 1, NULL, 0, &ov[i], note_done), SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    }
    struct reader r = {.s = a, .expect = K * sz, .chunk = sz};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
    /* the routines run here, in the issuing thread's alertable waits */
    while (done_count < K)
        assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
    for (int i = 0; i < K; i++) {
        assert_int_equal(done_order[i], i);
        assert_int_equal(done_err[i], 0);
        assert_int_equal(done_bytes[i], sz);
    }
    assert_int_equal(shutdown(c, SD_SEND), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(r.eof);
    assert_int_equal(r.got, K * sz);
    assert_true(r.in_order);
    for (int i = 0; i < K; i++)
        free(data[i]);
    closesocket(c);
    closesocket(a);
}

/* WSASendDisconnect with sends queued: returns at once, later sends are
 * WSAESHUTDOWN, the peer reads every byte and then the EOF. */
static void send_disconnect_after_queued_sends(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, true, &c, &a);
    enum { K = 2 };
    const size_t sz = 4 * MIB;
    WSAOVERLAPPED ov[K];
    char *data[K];
    for (int i = 0; i < K; i++) {
        ov[i] = ov_new();
        data[i] = chunk_new((unsigned)i, sz);
        WSABUF b = {(ULONG)sz, data[i]};
        assert_int_equal(WSASend(c, &b, 1, NULL, 0, &ov[i], NULL), SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    }
    assert_int_equal(WSASendDisconnect(c, NULL), 0);
    /* it did not wait for them: nobody reads yet, they cannot be done */
    DWORD n, fl;
    assert_false(WSAGetOverlappedResult(c, &ov[K - 1], &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
    /* WSASend after shutdown(SD_SEND): WSAESHUTDOWN */
    WSAOVERLAPPED late = ov_new();
    char x = 'x';
    WSABUF xb = {1, &x};
    assert_int_equal(WSASend(c, &xb, 1, NULL, 0, &late, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAESHUTDOWN);
    assert_false(signalled(late.hEvent, 0)); /* failed at once: no completion */

    struct reader r = {.s = a, .expect = K * sz, .chunk = sz};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
    for (int i = 0; i < K; i++) {
        assert_true(WSAGetOverlappedResult(c, &ov[i], &n, TRUE, &fl));
        assert_int_equal(n, sz);
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(r.eof);
    assert_int_equal(r.got, K * sz);
    assert_true(r.in_order);
    for (int i = 0; i < K; i++) {
        WSACloseEvent(ov[i].hEvent);
        free(data[i]);
    }
    WSACloseEvent(late.hEvent);
    closesocket(c);
    closesocket(a);
}

/* WSARecv: the peer's graceful close completes a pending receive with 0. */
static void pending_recv_completes_with_zero_at_fin(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, false, &c, &a);
    WSAOVERLAPPED ov = ov_new();
    char in[4];
    WSABUF ib = {sizeof in, in};
    DWORD n = 99, fl = 0;
    assert_int_equal(WSARecv(a, &ib, 1, &n, &fl, &ov, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_int_equal(shutdown(c, SD_SEND), 0);
    assert_true(signalled(ov.hEvent, WAIT_MS));
    assert_true(WSAGetOverlappedResult(a, &ov, &n, FALSE, &fl));
    assert_int_equal(n, 0);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(a);
}

/* closesocket: every pending operation completes with WSA_OPERATION_ABORTED
 * (event and routine), none lost. */
static void closesocket_aborts_pending(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, true, &c, &a);
    WSAOVERLAPPED r1 = ov_new(), r2, s1 = ov_new();
    memset(&r2, 0, sizeof r2);
    char in1[4], in2[4];
    WSABUF ib1 = {sizeof in1, in1}, ib2 = {sizeof in2, in2};
    DWORD fl = 0;
    assert_int_equal(WSARecv(c, &ib1, 1, NULL, &fl, &r1, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    fl = 0;
    notes_reset();
    order_ov[0] = &r2;
    assert_int_equal(WSARecv(c, &ib2, 1, NULL, &fl, &r2, note_done), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    char *big = chunk_new(0, 4 * MIB);
    WSABUF bb = {4 * MIB, big};
    assert_int_equal(WSASend(c, &bb, 1, NULL, 0, &s1, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);

    assert_int_equal(closesocket(c), 0);
    assert_true(signalled(r1.hEvent, 0)); /* before closesocket returned */
    assert_true(signalled(s1.hEvent, 0));
    assert_int_equal(r1.Internal, WSA_OPERATION_ABORTED);
    assert_int_equal(s1.Internal, WSA_OPERATION_ABORTED);
    assert_int_equal(r2.Internal, WSA_OPERATION_ABORTED);
    assert_int_equal(done_count, 0); /* queued, not run: no alertable wait yet */
    assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(done_count, 1);
    assert_int_equal(done_err[0], WSA_OPERATION_ABORTED);
    WSACloseEvent(r1.hEvent);
    WSACloseEvent(s1.hEvent);
    free(big);
    closesocket(a);
}

/* Cancelling (SIO_WSP_CANCEL_OVERLAPPED, ws2spi.h): the operation completes
 * with WSA_OPERATION_ABORTED; nothing left to cancel is ERROR_NOT_FOUND. */
static void cancel_aborts_one_operation(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, false, &c, &a);
    WSAOVERLAPPED ov1 = ov_new(), ov2 = ov_new();
    char in1[4], in2[4];
    WSABUF ib1 = {sizeof in1, in1}, ib2 = {sizeof in2, in2};
    DWORD fl = 0, n;
    assert_int_equal(WSARecv(a, &ib1, 1, NULL, &fl, &ov1, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    fl = 0;
    assert_int_equal(WSARecv(a, &ib2, 1, NULL, &fl, &ov2, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    LPWSAOVERLAPPED which = &ov1;
    DWORD ret;
    assert_int_equal(
        WSAIoctl(a, SIO_WSP_CANCEL_OVERLAPPED, &which, sizeof which, NULL, 0, &ret, NULL, NULL), 0);
    assert_true(signalled(ov1.hEvent, 0));
    assert_false(WSAGetOverlappedResult(a, &ov1, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);
    assert_int_equal(
        WSAIoctl(a, SIO_WSP_CANCEL_OVERLAPPED, &which, sizeof which, NULL, 0, &ret, NULL, NULL),
        SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSP_ERROR_NOT_FOUND);
    /* the other one is still there, and now first: it gets the data */
    assert_false(signalled(ov2.hEvent, 0));
    assert_int_equal(send(c, "ab", 2, 0), 2);
    assert_true(signalled(ov2.hEvent, WAIT_MS));
    assert_true(WSAGetOverlappedResult(a, &ov2, &n, FALSE, &fl));
    assert_int_equal(n, 2);
    assert_memory_equal(in2, "ab", 2);
    WSACloseEvent(ov1.hEvent);
    WSACloseEvent(ov2.hEvent);
    closesocket(c);
    closesocket(a);
}

struct late_sender {
    SOCKET s;
    int ready[2];
};

static void *late_send_main(void *p)
{
    struct late_sender *ls = p;
    char c;
    if (read(ls->ready[0], &c, 1) != 1)
        return NULL;
    send(ls->s, "late", 4, 0);
    return NULL;
}

/* WSAGetOverlappedResult with fWait: returns when the operation completes,
 * here by data another thread sends while we wait. */
static void get_result_waits_for_completion(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, false, &c, &a);
    WSAOVERLAPPED ov = ov_new();
    char in[8];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0, n = 0;
    assert_int_equal(WSARecv(a, &ib, 1, NULL, &fl, &ov, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    struct late_sender ls = {.s = c};
    assert_int_equal(pipe(ls.ready), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, late_send_main, &ls), 0);
    assert_int_equal(write(ls.ready[1], "g", 1), 1);
    assert_true(WSAGetOverlappedResult(a, &ov, &n, TRUE, &fl));
    assert_int_equal(n, 4);
    assert_memory_equal(in, "late", 4);
    assert_int_equal(pthread_join(t, NULL), 0);
    close(ls.ready[0]);
    close(ls.ready[1]);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(a);
}

/* A socket without WSA_FLAG_OVERLAPPED: lpOverlapped is ignored, the call
 * is the plain one (WSASend/WSARecv pages), the WSAOVERLAPPED untouched. */
static void non_overlapped_socket_ignores_ov(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(0, false, &c, &a);
    WSAOVERLAPPED ov = ov_new();
    ov.Internal = 0x1234;
    char msg[] = "plain";
    WSABUF b = {5, msg};
    DWORD n = 0, fl = 0;
    assert_int_equal(WSASend(c, &b, 1, &n, 0, &ov, NULL), 0);
    assert_int_equal(n, 5);
    assert_int_equal(ov.Internal, 0x1234);
    assert_false(signalled(ov.hEvent, 0));
    char in[8];
    for (int have = 0; have < 5;) {
        int r = recv(a, in + have, 5 - have, 0); /* plain: a has no lpOverlapped */
        assert_true(r > 0);
        have += r;
    }
    assert_memory_equal(in, "plain", 5);
    /* a blocking receive on c: it waits for the data, as the plain call does */
    WSABUF ib = {4, in};
    assert_int_equal(send(a, "back", 4, 0), 4);
    WSAResetEvent(ov.hEvent);
    ov.Internal = 0x1234;
    n = 0;
    fl = 0;
    assert_int_equal(WSARecv(c, &ib, 1, &n, &fl, &ov, NULL), 0); /* blocks for it */
    assert_int_equal(n, 4);
    assert_memory_equal(in, "back", 4);
    assert_int_equal(ov.Internal, 0x1234);
    assert_false(signalled(ov.hEvent, 0));
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(a);
}

/* Completion routine: runs only in an alertable wait of the issuing thread
 * (WSAWaitForMultipleEvents(..., TRUE) -> WSA_WAIT_IO_COMPLETION). */
static void routine_runs_in_alertable_wait(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, false, &c, &a);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    char in[8];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0;
    notes_reset();
    order_ov[0] = &ov;
    assert_int_equal(WSARecv(a, &ib, 1, NULL, &fl, &ov, note_done), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_int_equal(send(c, "rt", 2, 0), 2);
    /* completed (the fields are stored before the routine is queued) */
    DWORD n;
    assert_true(WSAGetOverlappedResult(a, &ov, &n, TRUE, &fl));
    assert_int_equal(n, 2);
    WSAEVENT other = WSACreateEvent();
    assert_int_equal(WSAWaitForMultipleEvents(1, &other, TRUE, 0, FALSE), WSA_WAIT_TIMEOUT);
    assert_int_equal(done_count, 0); /* not in a non-alertable wait */
    assert_int_equal(WSAWaitForMultipleEvents(1, &other, TRUE, WAIT_MS, TRUE),
                     WSA_WAIT_IO_COMPLETION);
    assert_int_equal(done_count, 1);
    assert_int_equal(done_err[0], 0);
    assert_int_equal(done_bytes[0], 2);
    WSACloseEvent(other);
    closesocket(c);
    closesocket(a);
}

/* WSAIoctl with an lpOverlapped on an overlapped socket: done at once, and
 * reported (the event). */
static void ioctl_overlapped_reports_completion(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, false, &c, &a);
    assert_int_equal(send(c, "abc", 3, 0), 3);
    wsp_fd_set rs;
    WSP_FD_ZERO(&rs);
    WSP_FD_SET(a, &rs);
    assert_int_equal(select(0, &rs, NULL, NULL, NULL), 1);
    WSAOVERLAPPED ov = ov_new();
    u_long avail = 0;
    DWORD ret = 0, n, fl;
    assert_int_equal(WSAIoctl(a, FIONREAD, NULL, 0, &avail, sizeof avail, &ret, &ov, NULL), 0);
    assert_int_equal(avail, 3);
    assert_true(signalled(ov.hEvent, 0));
    assert_true(WSAGetOverlappedResult(a, &ov, &n, FALSE, &fl));
    assert_int_equal(n, sizeof avail);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(a);
}

/* UDP: a pending WSARecvFrom completes with the datagram and fills lpFrom
 * and lpFromlen, which must stay valid until then (WSARecvFrom page); an
 * overlapped WSASendTo completes at once. */
static void udp_recvfrom_pending_fills_address(void **state)
{
    (void)state;
    SOCKET r = WSASocketW(AF_INET, SOCK_DGRAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKET w = WSASocketW(AF_INET, SOCK_DGRAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(r != INVALID_SOCKET && w != INVALID_SOCKET);
    struct sockaddr_in ra = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in wa = ra;
    int len = sizeof ra;
    assert_int_equal(bind(r, (struct sockaddr *)&ra, sizeof ra), 0);
    assert_int_equal(getsockname(r, (struct sockaddr *)&ra, &len), 0);
    assert_int_equal(bind(w, (struct sockaddr *)&wa, sizeof wa), 0);
    len = sizeof wa;
    assert_int_equal(getsockname(w, (struct sockaddr *)&wa, &len), 0);

    WSAOVERLAPPED ov = ov_new();
    char in[16];
    WSABUF ib = {sizeof in, in};
    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    int fromlen = sizeof from;
    DWORD fl = 0, n = 0;
    assert_int_equal(
        WSARecvFrom(r, &ib, 1, NULL, &fl, (struct sockaddr *)&from, &fromlen, &ov, NULL),
        SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);

    WSAOVERLAPPED sov = ov_new();
    char msg[] = "dgram";
    WSABUF sb = {5, msg};
    assert_int_equal(WSASendTo(w, &sb, 1, &n, 0, (struct sockaddr *)&ra, sizeof ra, &sov, NULL), 0);
    assert_int_equal(n, 5);
    assert_true(signalled(sov.hEvent, 0));

    assert_true(signalled(ov.hEvent, WAIT_MS));
    assert_true(WSAGetOverlappedResult(r, &ov, &n, FALSE, &fl));
    assert_int_equal(n, 5);
    assert_memory_equal(in, "dgram", 5);
    assert_int_equal(fromlen, sizeof from);
    assert_int_equal(from.sin_port, wa.sin_port);
    assert_int_equal(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    WSACloseEvent(ov.hEvent);
    WSACloseEvent(sov.hEvent);
    closesocket(r);
    closesocket(w);
}

/* WSACleanup closes the sockets left open: their pending operations
 * complete with WSA_OPERATION_ABORTED too, none is lost. */
static void cleanup_aborts_pending(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, false, &c, &a);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    char in[4];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0;
    assert_int_equal(WSARecv(a, &ib, 1, NULL, &fl, &ov, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_int_equal(WSACleanup(), 0); /* the group's start: this is the last cleanup */
    assert_int_equal(ov.Internal, WSA_OPERATION_ABORTED);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0); /* for the next tests */
}

/* closesocket racing with submissions from another thread: every
 * operation that was accepted (0 or WSA_IO_PENDING) is completed by the
 * time closesocket has returned and the submitter has left; none is left
 * pending for ever. */
enum { RACE_OPS = 64 };

struct racer {
    SOCKET s;
    int ready[2];
    WSAOVERLAPPED ov[RACE_OPS];
    char buf[RACE_OPS][4];
    bool accepted[RACE_OPS];
};

static void *racer_main(void *p)
{
    struct racer *r = p;
    for (int i = 0; i < RACE_OPS; i++) {
        WSABUF b = {sizeof r->buf[i], r->buf[i]};
        DWORD fl = 0;
        int rc = WSARecv(r->s, &b, 1, NULL, &fl, &r->ov[i], NULL);
        r->accepted[i] = rc == 0 || WSAGetLastError() == WSA_IO_PENDING;
        if (i == RACE_OPS / 4 && write(r->ready[1], "r", 1) != 1)
            return NULL;
    }
    return NULL;
}

static void close_racing_submissions_loses_nothing(void **state)
{
    (void)state;
    for (int round = 0; round < 30; round++) {
        SOCKET c, a;
        pair(WSA_FLAG_OVERLAPPED, false, &c, &a);
        struct racer *r = calloc(1, sizeof *r);
        assert_non_null(r);
        r->s = a;
        assert_int_equal(pipe(r->ready), 0);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, racer_main, r), 0);
        char ch;
        assert_int_equal(read(r->ready[0], &ch, 1), 1);
        assert_int_equal(closesocket(a), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        int accepted = 0;
        for (int i = 0; i < RACE_OPS; i++) {
            if (!r->accepted[i])
                continue;
            accepted++;
            assert_int_equal(__atomic_load_n(&r->ov[i].Internal, __ATOMIC_ACQUIRE),
                             WSA_OPERATION_ABORTED);
        }
        assert_true(accepted > RACE_OPS / 4);
        close(r->ready[0]);
        close(r->ready[1]);
        free(r);
        closesocket(c);
    }
}

/* Several threads issue overlapped sends on one stream socket at once: each
 * send's bytes go on the wire in one piece (a queued send is never
 * interleaved with another), and each thread's sends in its issue order. */
enum { MT_THREADS = 4, MT_SENDS = 40, MT_SIZE = 48 * 1024 };

struct mt_sender {
    SOCKET s;
    int id;
    bool ok;
};

static void *mt_send_main(void *p)
{
    struct mt_sender *m = p;
    static _Thread_local char buf[MT_SENDS][MT_SIZE];
    static _Thread_local WSAOVERLAPPED ov[MT_SENDS];
    m->ok = true;
    /* two sends outstanding per thread: new ones arrive all through the
     * transfer, while the reader drains and earlier sends are half done */
    for (int k = 0; k < MT_SENDS + 2; k++) {
        if (k >= 2) {
            DWORD n, fl;
            if (!WSAGetOverlappedResult(m->s, &ov[k - 2], &n, TRUE, &fl) || n != MT_SIZE)
                m->ok = false;
        }
        if (k >= MT_SENDS)
            continue;
        /* block k of thread id: every byte says who and which */
        memset(buf[k], (char)(m->id * MT_SENDS + k), MT_SIZE);
        memset(&ov[k], 0, sizeof ov[k]);
        WSABUF b = {MT_SIZE, buf[k]};
        if (WSASend(m->s, &b, 1, NULL, 0, &ov[k], NULL) != 0 && WSAGetLastError() != WSA_IO_PENDING)
            m->ok = false;
    }
    return NULL;
}

static void concurrent_senders_never_interleave(void **state)
{
    (void)state;
    SOCKET c, a;
    pair(WSA_FLAG_OVERLAPPED, true, &c, &a);
    pthread_t t[MT_THREADS];
    struct mt_sender m[MT_THREADS];
    for (int i = 0; i < MT_THREADS; i++) {
        m[i] = (struct mt_sender){.s = c, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, mt_send_main, &m[i]), 0);
    }
    int next[MT_THREADS] = {0}; /* the block each thread must send next */
    static char blk[MT_SIZE];
    for (int got = 0; got < MT_THREADS * MT_SENDS; got++) {
        for (int have = 0; have < MT_SIZE;) {
            int n = recv(a, blk + have, MT_SIZE - have, 0);
            assert_true(n > 0);
            have += n;
        }
        unsigned char tag = (unsigned char)blk[0];
        int id = tag / MT_SENDS, k = tag % MT_SENDS;
        assert_true(id < MT_THREADS);
        assert_int_equal(k, next[id]); /* that thread's issue order */
        next[id]++;
        for (int i = 1; i < MT_SIZE; i++)
            if ((unsigned char)blk[i] != tag)
                fail_msg("block %d of thread %d interleaved at byte %d", k, id, i);
    }
    for (int i = 0; i < MT_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_true(m[i].ok);
    }
    closesocket(c);
    closesocket(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(immediate_completion_signals_event),
        cmocka_unit_test(pending_recv_completed_by_later_data),
        cmocka_unit_test(three_sends_arrive_and_complete_in_order),
        cmocka_unit_test(send_disconnect_after_queued_sends),
        cmocka_unit_test(pending_recv_completes_with_zero_at_fin),
        cmocka_unit_test(closesocket_aborts_pending),
        cmocka_unit_test(cancel_aborts_one_operation),
        cmocka_unit_test(get_result_waits_for_completion),
        cmocka_unit_test(non_overlapped_socket_ignores_ov),
        cmocka_unit_test(routine_runs_in_alertable_wait),
        cmocka_unit_test(ioctl_overlapped_reports_completion),
        cmocka_unit_test(udp_recvfrom_pending_fills_address),
        cmocka_unit_test(cleanup_aborts_pending),
        cmocka_unit_test(close_racing_submissions_loses_nothing),
        cmocka_unit_test(concurrent_senders_never_interleave),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
