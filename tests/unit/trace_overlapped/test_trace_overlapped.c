/* SPDX-License-Identifier: MIT */
/* Overlapped I/O through the trace layer (src/providers/trace/overlapped.c),
 * through the real API, on the chains [trace, tcp] and [trace, itot]: the
 * layer keeps the application's operation and completes it on the LAYERED
 * socket, so an event, a completion port associated with the layered socket
 * and a completion routine all work; closesocket and CancelIoEx abort the
 * application's operations through the layer.
 *
 * Windows' rules the asserts follow (WSASend, WSARecv, WSAGetOverlappedResult,
 * GetQueuedCompletionStatus, CancelIoEx, closesocket, WSASendDisconnect
 * pages): an operation that completes at once returns 0 and is still
 * reported (event, port or routine), exactly once; a pending one fails with
 * WSA_IO_PENDING; a socket associated with a port gets one packet (key,
 * lpOverlapped, bytes) per operation; a failed operation dequeues FALSE with
 * its code as last error; closesocket and CancelIoEx complete pending
 * operations with WSA_OPERATION_ABORTED (CancelIoEx: ERROR_NOT_FOUND when
 * nothing matches); a completion routine runs in the issuing thread's
 * alertable wait; a SendDisconnect after queued sends goes after them.
 *
 * Each case runs on both chains (cmocka prestate) in its own
 * WSAStartup/WSACleanup cycle. Waits are bounded (WAIT_MS), never sleeps. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsp/winsock2.h>

#include "../trace_layer/chain.h"

#define WAIT_MS 10000u
#define CHUNK (64 * 1024)
#define CHUNKS 16

/* which chain a case runs on: the prestate */
struct chain_case {
    const WSAPROTOCOL_INFOW *layered; /* the chain's entry */
    DWORD base;                       /* the base entry under it */
    bool itot;                        /* disconnect data, WSAEDISCON */
};
static struct chain_case over_tcp = {&chains.tcp_info, 1001, false};
static struct chain_case over_itot = {&chains.itot_info, 1005, true};

static DWORD layered_flags = WSA_FLAG_OVERLAPPED; /* of the next layered client */

static SOCKET sock_with(const WSAPROTOCOL_INFOW *pi, DWORD flags)
{
    WSAPROTOCOL_INFOW copy = *pi;
    return WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &copy, 0, flags);
}

static SOCKET sock_on(const WSAPROTOCOL_INFOW *pi)
{
    return sock_with(pi, WSA_FLAG_OVERLAPPED);
}

static bool ready(SOCKET s, bool write, unsigned ms)
{
    wsp_fd_set set;
    WSP_FD_ZERO(&set);
    WSP_FD_SET(s, &set);
    struct timeval tv = {(long)(ms / 1000), (long)(ms % 1000) * 1000};
    return wsp_select(0, write ? NULL : &set, write ? &set : NULL, NULL, &tv) == 1;
}

/* *c: the layered socket (client, through trace); *a: the base provider's
 * accepted end. The connect is non-blocking: an itot connect completes only
 * when the listener accepts, and this thread does both. */
static void pair(const struct chain_case *cc, SOCKET *c, SOCKET *a)
{
    WSAPROTOCOL_INFOW base;
    assert_int_equal(chains_find_entry(cc->base, &base), 0);
    SOCKET l = sock_on(&base);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = wsp_htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&sa, &len), 0);
    *c = sock_with(cc->layered, layered_flags);
    layered_flags = WSA_FLAG_OVERLAPPED;
    assert_true(*c != INVALID_SOCKET);
    wsp_u_long on = 1, off = 0;
    assert_int_equal(ioctlsocket(*c, WSP_FIONBIO, &on), 0);
    if (wsp_connect(*c, (struct sockaddr *)&sa, sizeof sa) != 0)
        assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    assert_true(ready(l, false, WAIT_MS));
    *a = wsp_accept(l, NULL, NULL);
    assert_true(*a != INVALID_SOCKET);
    assert_true(ready(*c, true, WAIT_MS));
    assert_int_equal(ioctlsocket(*c, WSP_FIONBIO, &off), 0);
    assert_int_equal(closesocket(l), 0);
}

/* The other way round: *a is the layered socket WSPAccept made (through
 * trace), *c the base provider's client. */
static void pair_accepted(const struct chain_case *cc, SOCKET *a, SOCKET *c)
{
    WSAPROTOCOL_INFOW base;
    assert_int_equal(chains_find_entry(cc->base, &base), 0);
    SOCKET l = sock_on(cc->layered);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = wsp_htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&sa, &len), 0);
    *c = sock_on(&base);
    assert_true(*c != INVALID_SOCKET);
    wsp_u_long on = 1, off = 0;
    assert_int_equal(ioctlsocket(*c, WSP_FIONBIO, &on), 0);
    if (wsp_connect(*c, (struct sockaddr *)&sa, sizeof sa) != 0)
        assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    assert_true(ready(l, false, WAIT_MS));
    *a = wsp_accept(l, NULL, NULL);
    assert_true(*a != INVALID_SOCKET);
    assert_true(ready(*c, true, WAIT_MS));
    assert_int_equal(ioctlsocket(*c, WSP_FIONBIO, &off), 0);
    assert_int_equal(closesocket(l), 0);
}

static HANDLE port_for(SOCKET s, ULONG_PTR key)
{
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_non_null(port);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)(uintptr_t)s, port, key, 0), port);
    return port;
}

/* No packet is waiting on port (nothing was reported twice). */
static void port_empty(HANDLE port)
{
    DWORD n;
    ULONG_PTR key;
    LPOVERLAPPED got = NULL;
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, 0));
    assert_null(got);
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
}

static void pending(int rc)
{
    assert_int_equal(rc, SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
}

/* Lines of the trace file that start with "CALL s=S ". */
static int trace_lines(const char *call, SOCKET s, const char *rest)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s s=%llu %s", call, (unsigned long long)s, rest);
    char *text = chains_trace_read();
    int n = chains_count_lines(text, prefix);
    free(text);
    return n;
}

/* ---- event ------------------------------------------------------------------ */

/* A pending receive and a send, each with an event: signalled, and
 * WSAGetOverlappedResult (on the layered socket) gives the counts. The trace
 * shows that the layer completed both itself. */
static void event_send_recv(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c, a;
    pair(cc, &c, &a);
    WSAOVERLAPPED ro, so;
    memset(&ro, 0, sizeof ro);
    memset(&so, 0, sizeof so);
    ro.hEvent = WSACreateEvent();
    so.hEvent = WSACreateEvent();
    char in[16];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0, n = 0;
    pending(WSARecv(c, &ib, 1, NULL, &fl, &ro, NULL));
    assert_false(WSAGetOverlappedResult(c, &ro, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
    assert_int_equal(wsp_send(a, "hello", 5, 0), 5);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ro.hEvent, TRUE, WAIT_MS, FALSE),
                     WSA_WAIT_EVENT_0);
    assert_true(WSAGetOverlappedResult(c, &ro, &n, TRUE, &fl));
    assert_int_equal(n, 5);
    assert_memory_equal(in, "hello", 5);

    char out[] = "world!";
    WSABUF ob = {6, out};
    n = 0;
    int rc = WSASend(c, &ob, 1, &n, 0, &so, NULL);
    if (rc != 0)
        pending(rc);
    else
        assert_int_equal(n, 6); /* at once: counted, and still reported below */
    assert_int_equal(WSAWaitForMultipleEvents(1, &so.hEvent, TRUE, WAIT_MS, FALSE),
                     WSA_WAIT_EVENT_0);
    assert_true(WSAGetOverlappedResult(c, &so, &n, FALSE, &fl));
    assert_int_equal(n, 6);
    assert_true(ready(a, false, WAIT_MS));
    assert_int_equal(wsp_recv(a, in, sizeof in, 0), 6);
    assert_memory_equal(in, "world!", 6);

    /* the layer reported them (on main the next provider did, unseen) */
    assert_int_equal(trace_lines("WSPRecv(completed)", c, "result=0 error=0 bytes=5\n"), 1);
    assert_int_equal(trace_lines("WSPSend(completed)", c, "result=0 error=0 bytes=6\n"), 1);
    WSACloseEvent(ro.hEvent);
    WSACloseEvent(so.hEvent);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
}

/* ---- completion port ---------------------------------------------------- */

/* A port associated with the LAYERED socket: a pending receive and a send
 * that may complete at once each give exactly one packet, with the key, the
 * application's WSAOVERLAPPED and the byte count. */
static void port_on_layered_socket(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c, a;
    pair(cc, &c, &a);
    HANDLE port = port_for(c, 0x7ace);
    WSAOVERLAPPED ro, so;
    memset(&ro, 0, sizeof ro);
    memset(&so, 0, sizeof so);
    char in[16];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0, n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    pending(WSARecv(c, &ib, 1, NULL, &fl, &ro, NULL));
    port_empty(port);
    assert_int_equal(wsp_send(a, "port", 4, 0), 4);
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &ro);
    assert_int_equal(key, 0x7ace);
    assert_int_equal(n, 4);
    assert_memory_equal(in, "port", 4);

    char out[] = "through the layer";
    WSABUF ob = {sizeof out - 1, out};
    int rc = WSASend(c, &ob, 1, NULL, 0, &so, NULL);
    if (rc != 0)
        pending(rc);
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &so);
    assert_int_equal(key, 0x7ace);
    assert_int_equal(n, sizeof out - 1);
    port_empty(port); /* one packet each: the at-once send was not reported twice */
    assert_int_equal(closesocket(c), 0);
    port_empty(port);
    assert_int_equal(closesocket(a), 0);
    assert_true(CloseHandle(port));
}

/* An accepted layered socket (overlapped, as accept()'s are on Windows):
 * its operations reach the port associated with it too. */
static void port_on_accepted_layered_socket(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET a, c;
    pair_accepted(cc, &a, &c);
    HANDLE port = port_for(a, 0xacc);
    WSAOVERLAPPED ro;
    memset(&ro, 0, sizeof ro);
    char in[16];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0, n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    pending(WSARecv(a, &ib, 1, NULL, &fl, &ro, NULL));
    assert_int_equal(wsp_send(c, "accepted", 8, 0), 8);
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &ro);
    assert_int_equal(key, 0xacc);
    assert_int_equal(n, 8);
    assert_memory_equal(in, "accepted", 8);
    port_empty(port);
    assert_int_equal(closesocket(a), 0);
    assert_int_equal(closesocket(c), 0);
    assert_true(CloseHandle(port));
}

/* Many overlapped round trips, a thread taking the packets from the port
 * while this one issues: every operation gives exactly one packet. */
struct reaper {
    HANDLE port;
    unsigned want;
    unsigned got, bad;
    unsigned long long bytes;
};

static void *reaper_main(void *arg)
{
    struct reaper *r = arg;
    while (r->got < r->want) {
        DWORD n = 0;
        ULONG_PTR key = 0;
        LPOVERLAPPED ov = NULL;
        if (!GetQueuedCompletionStatus(r->port, &n, &key, &ov, WAIT_MS)) {
            r->bad++;
            if (ov == NULL)
                return NULL; /* nothing came: the main thread's asserts say so */
            continue;
        }
        r->bytes += n;
        r->got++;
    }
    return NULL;
}

static void recv_all(SOCKET s, char *buf, int len)
{
    for (int got = 0; got < len;) {
        int n = wsp_recv(s, buf + got, len - got, 0);
        assert_true(n > 0);
        got += n;
    }
}

static void port_many_operations_once_each(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c, a;
    pair(cc, &c, &a);
    enum { ROUNDS = 500 };
    HANDLE port = port_for(c, 1);
    struct reaper r = {.port = port, .want = 2 * ROUNDS};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reaper_main, &r), 0);
    static WSAOVERLAPPED ov[2 * ROUNDS];
    memset(ov, 0, sizeof ov);
    char out[8] = "1234567", in[8];
    for (int i = 0; i < ROUNDS; i++) {
        WSABUF ob = {sizeof out, out};
        int rc = WSASend(c, &ob, 1, NULL, 0, &ov[2 * i], NULL);
        if (rc != 0)
            pending(rc);
        recv_all(a, in, sizeof in);
        WSABUF ib = {sizeof in, in};
        DWORD fl = 0;
        rc = WSARecv(c, &ib, 1, NULL, &fl, &ov[2 * i + 1], NULL);
        if (rc != 0)
            pending(rc);
        assert_int_equal(wsp_send(a, out, sizeof out, 0), (int)sizeof out);
        /* the receive has its data once its packet is out: wait on the field */
        DWORD n = 0;
        assert_true(WSAGetOverlappedResult(c, &ov[2 * i + 1], &n, TRUE, &fl));
        assert_int_equal(n, sizeof out);
    }
    pthread_join(th, NULL);
    assert_int_equal(r.bad, 0);
    assert_int_equal(r.got, 2 * ROUNDS);
    assert_int_equal(r.bytes, 2ull * ROUNDS * sizeof out);
    port_empty(port);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
    assert_true(CloseHandle(port));
}

/* A layered socket made without WSA_FLAG_OVERLAPPED ignores lpOverlapped
 * (WSASend, WSARecv pages): the calls are plain ones, nothing is reported
 * (the WSAOVERLAPPED is left alone, no packet), and closesocket does not
 * wait for a completion that will never come. */
static void non_overlapped_socket_ignores_ov(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c, a;
    layered_flags = 0;
    pair(cc, &c, &a);
    HANDLE port = port_for(c, 5);
    WSAOVERLAPPED so;
    memset(&so, 0, sizeof so);
    so.Internal = 0x5a5a;
    char out[] = "plain";
    WSABUF ob = {5, out};
    DWORD n = 0;
    assert_int_equal(WSASend(c, &ob, 1, &n, 0, &so, NULL), 0);
    assert_int_equal(n, 5);
    char in[8];
    assert_true(ready(a, false, WAIT_MS));
    assert_int_equal(wsp_recv(a, in, sizeof in, 0), 5);
    assert_int_equal(wsp_send(a, "back", 4, 0), 4);
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0;
    assert_int_equal(WSARecv(c, &ib, 1, &n, &fl, &so, NULL), 0); /* blocks: a plain call */
    assert_int_equal(n, 4);
    assert_int_equal(so.Internal, 0x5a5a);
    port_empty(port);
    assert_int_equal(closesocket(c), 0);
    port_empty(port);
    assert_int_equal(closesocket(a), 0);
    assert_true(CloseHandle(port));
}

/* ---- completion routine -------------------------------------------------- */

static unsigned routine_calls;
static DWORD routine_err, routine_bytes;
static LPWSAOVERLAPPED routine_ov;
static pthread_t routine_thread;

static void CALLBACK on_done(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)flags;
    routine_calls++;
    routine_err = err;
    routine_bytes = bytes;
    routine_ov = ov;
    routine_thread = pthread_self();
}

/* The routine of a receive on the layered socket runs once, in this thread,
 * in its alertable wait, with the byte count; the peer's data arrived
 * before that wait began, and nothing ran it outside one. */
static void routine_runs_in_alertable_wait(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c, a;
    pair(cc, &c, &a);
    routine_calls = 0;
    WSAOVERLAPPED ro;
    memset(&ro, 0, sizeof ro);
    char in[16];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0, n = 0;
    pending(WSARecv(c, &ib, 1, NULL, &fl, &ro, on_done));
    assert_int_equal(wsp_send(a, "routine", 7, 0), 7);
    /* complete (the fields are stored before the routine is queued) */
    assert_true(WSAGetOverlappedResult(c, &ro, &n, TRUE, &fl));
    assert_int_equal(n, 7);
    assert_int_equal(routine_calls, 0); /* no alertable wait yet */
    assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(routine_calls, 1);
    assert_int_equal(routine_err, 0);
    assert_int_equal(routine_bytes, 7);
    assert_ptr_equal(routine_ov, &ro);
    assert_true(pthread_equal(routine_thread, pthread_self()));
    assert_memory_equal(in, "routine", 7);
    assert_int_equal(SleepEx(0, TRUE), 0); /* once */
    assert_int_equal(routine_calls, 1);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
}

/* ---- SendDisconnect after queued sends ------------------------------------ */

/* Everything the peer can read, checked against the pattern: the count, and
 * the error that ended it (0 for tcp's end, WSAEDISCON for itot's DR). */
static size_t drain(SOCKET s, int *end)
{
    static char buf[CHUNK];
    size_t total = 0;
    for (;;) {
        WSABUF b = {sizeof buf, buf};
        DWORD n = 0, fl = 0;
        if (WSARecv(s, &b, 1, &n, &fl, NULL, NULL) != 0) {
            *end = WSAGetLastError();
            return total;
        }
        if (n == 0) {
            *end = 0;
            return total;
        }
        for (DWORD i = 0; i < n; i++)
            assert_int_equal((unsigned char)buf[i], (unsigned char)((total + i) % 251));
        total += n;
    }
}

/* Sixteen 64 KiB overlapped sends queued on the layered socket (more than
 * the buffers hold), then WSASendDisconnect: it returns without waiting for
 * them, the peer reads every byte in order and then the end (itot: the DR's
 * data too), and every send completes whole. */
static void senddisconnect_after_queued_sends(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c, a;
    pair(cc, &c, &a);
    /* small buffers, where the provider has them: the sends must queue */
    int small = 16 * 1024;
    (void)wsp_setsockopt(c, SOL_SOCKET, SO_SNDBUF, (char *)&small, sizeof small);
    (void)wsp_setsockopt(a, SOL_SOCKET, SO_RCVBUF, (char *)&small, sizeof small);
    unsigned char *data = malloc((size_t)CHUNK * CHUNKS);
    assert_non_null(data);
    for (size_t i = 0; i < (size_t)CHUNK * CHUNKS; i++)
        data[i] = (unsigned char)(i % 251);
    WSAOVERLAPPED ov[CHUNKS];
    for (int k = 0; k < CHUNKS; k++) {
        memset(&ov[k], 0, sizeof ov[k]);
        ov[k].hEvent = WSACreateEvent();
        WSABUF b = {CHUNK, (char *)data + (size_t)k * CHUNK};
        int rc = WSASend(c, &b, 1, NULL, 0, &ov[k], NULL);
        if (rc != 0)
            pending(rc);
    }
    char bye[] = "layered-bye";
    WSABUF disc = {sizeof bye - 1, bye};
    assert_int_equal(WSASendDisconnect(c, cc->itot ? &disc : NULL), 0);

    int end = -1;
    assert_int_equal(drain(a, &end), (size_t)CHUNK * CHUNKS);
    if (cc->itot) {
        assert_int_equal(end, WSAEDISCON);
        char got[64];
        WSABUF in = {sizeof got, got};
        assert_int_equal(WSARecvDisconnect(a, &in), 0);
        assert_int_equal(in.len, sizeof bye - 1);
        assert_memory_equal(got, bye, sizeof bye - 1);
    } else {
        assert_int_equal(end, 0);
    }
    for (int k = 0; k < CHUNKS; k++) {
        DWORD n = 0, fl = 0;
        assert_int_equal(WSAWaitForMultipleEvents(1, &ov[k].hEvent, TRUE, WAIT_MS, FALSE),
                         WSA_WAIT_EVENT_0);
        assert_true(WSAGetOverlappedResult(c, &ov[k], &n, FALSE, &fl));
        assert_int_equal(n, CHUNK);
        WSACloseEvent(ov[k].hEvent);
    }
    free(data);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
}

/* ---- closing and cancelling ------------------------------------------------ */

/* closesocket on the layered socket with two receives pending: each comes
 * out of the layered socket's port, FALSE with WSA_OPERATION_ABORTED, in
 * issue order, before closesocket returns. */
static void close_aborts_through_port(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c, a;
    pair(cc, &c, &a);
    HANDLE port = port_for(c, 42);
    WSAOVERLAPPED ro[2];
    memset(ro, 0, sizeof ro);
    char in[2][8];
    for (int i = 0; i < 2; i++) {
        WSABUF ib = {sizeof in[i], in[i]};
        DWORD fl = 0;
        pending(WSARecv(c, &ib, 1, NULL, &fl, &ro[i], NULL));
    }
    assert_int_equal(closesocket(c), 0);
    for (int i = 0; i < 2; i++) {
        DWORD n = 99;
        ULONG_PTR key = 0;
        LPOVERLAPPED got = NULL;
        /* timeout 0: reported before closesocket returned */
        assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, 0));
        assert_ptr_equal(got, &ro[i]);
        assert_int_equal(key, 42);
        assert_int_equal(GetLastError(), WSA_OPERATION_ABORTED);
    }
    port_empty(port);
    assert_int_equal(trace_lines("WSPRecv(completed)", c, "result=-1 error=995 bytes=0\n"), 2);
    assert_int_equal(trace_lines("WSPCloseSocket", c, "result=0 error=0\n"), 1);
    assert_int_equal(closesocket(a), 0);
    assert_true(CloseHandle(port));
}

/* CancelIoEx with the application's WSAOVERLAPPED: that receive completes
 * with WSA_OPERATION_ABORTED, the other one is untouched and still gets the
 * data; then nothing is left to cancel (ERROR_NOT_FOUND). */
static void cancel_one_operation(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c, a;
    pair(cc, &c, &a);
    WSAOVERLAPPED ro[2];
    memset(ro, 0, sizeof ro);
    char in[2][8];
    for (int i = 0; i < 2; i++) {
        ro[i].hEvent = WSACreateEvent();
        WSABUF ib = {sizeof in[i], in[i]};
        DWORD fl = 0;
        pending(WSARecv(c, &ib, 1, NULL, &fl, &ro[i], NULL));
    }
    assert_true(CancelIoEx((HANDLE)(uintptr_t)c, &ro[1]));
    assert_int_equal(WSAWaitForMultipleEvents(1, &ro[1].hEvent, TRUE, WAIT_MS, FALSE),
                     WSA_WAIT_EVENT_0);
    DWORD n = 0, fl = 0;
    assert_false(WSAGetOverlappedResult(c, &ro[1], &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);
    assert_false(WSAGetOverlappedResult(c, &ro[0], &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
    assert_false(CancelIoEx((HANDLE)(uintptr_t)c, &ro[1])); /* done already */
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);

    assert_int_equal(wsp_send(a, "left", 4, 0), 4);
    assert_true(WSAGetOverlappedResult(c, &ro[0], &n, TRUE, &fl));
    assert_int_equal(n, 4);
    assert_memory_equal(in[0], "left", 4);
    assert_false(CancelIoEx((HANDLE)(uintptr_t)c, NULL));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);
    for (int i = 0; i < 2; i++)
        WSACloseEvent(ro[i].hEvent);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
}

/* A thread that issues a receive on a layered socket and stays until told. */
struct cancel_peer {
    SOCKET s;
    WSAOVERLAPPED ro;
    char in[8];
    pthread_barrier_t step;
};

static void *cancel_peer_main(void *arg)
{
    struct cancel_peer *p = arg;
    WSABUF ib = {sizeof p->in, p->in};
    DWORD fl = 0;
    pending(WSARecv(p->s, &ib, 1, NULL, &fl, &p->ro, NULL));
    pthread_barrier_wait(&p->step);
    pthread_barrier_wait(&p->step);
    return NULL;
}

/* CancelIo (CancelIo page: the calling thread's operations only) through the
 * layer: this thread's receive completes with WSA_OPERATION_ABORTED, the
 * other thread's is untouched and still gets the data. */
static void cancelio_this_threads_operations(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c, a;
    pair(cc, &c, &a);
    struct cancel_peer peer = {.s = c};
    peer.ro.hEvent = WSACreateEvent();
    pthread_barrier_init(&peer.step, NULL, 2);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cancel_peer_main, &peer), 0);
    pthread_barrier_wait(&peer.step); /* its receive is pending */
    WSAOVERLAPPED ro;
    memset(&ro, 0, sizeof ro);
    ro.hEvent = WSACreateEvent();
    char in[8];
    WSABUF ib = {sizeof in, in};
    DWORD n = 0, fl = 0;
    pending(WSARecv(c, &ib, 1, NULL, &fl, &ro, NULL));
    assert_true(CancelIo((HANDLE)(uintptr_t)c));
    assert_int_equal(WSAWaitForMultipleEvents(1, &ro.hEvent, TRUE, WAIT_MS, FALSE),
                     WSA_WAIT_EVENT_0);
    assert_false(WSAGetOverlappedResult(c, &ro, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);
    assert_false(WSAGetOverlappedResult(c, &peer.ro, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
    assert_true(CancelIo((HANDLE)(uintptr_t)c)); /* nothing of ours left: still TRUE */

    assert_int_equal(wsp_send(a, "peer", 4, 0), 4);
    assert_true(WSAGetOverlappedResult(c, &peer.ro, &n, TRUE, &fl));
    assert_int_equal(n, 4);
    assert_memory_equal(peer.in, "peer", 4);
    pthread_barrier_wait(&peer.step);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_barrier_destroy(&peer.step);
    WSACloseEvent(ro.hEvent);
    WSACloseEvent(peer.ro.hEvent);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
}

/* The last WSACleanup with a receive pending on a layered socket: it
 * completes with WSA_OPERATION_ABORTED (the fields say so), and the
 * cleanup returns (the layer's worker stops; ASan checks nothing leaks). */
static void cleanup_aborts_pending(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c, a;
    pair(cc, &c, &a);
    WSAOVERLAPPED ro;
    memset(&ro, 0, sizeof ro);
    char in[8];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0;
    pending(WSARecv(c, &ib, 1, NULL, &fl, &ro, NULL));
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(__atomic_load_n(&ro.Internal, __ATOMIC_ACQUIRE), WSA_OPERATION_ABORTED);
    assert_int_equal(trace_lines("WSPRecv(completed)", c, "result=-1 error=995 bytes=0\n"), 1);
}

#define BOTH(fn)                                                                                   \
    {"tcp:" #fn, fn, chains_case_setup, chains_case_teardown, &over_tcp},                          \
    {                                                                                              \
        "itot:" #fn, fn, chains_case_setup, chains_case_teardown, &over_itot                       \
    }

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(event_send_recv),
        BOTH(port_on_layered_socket),
        BOTH(port_on_accepted_layered_socket),
        BOTH(port_many_operations_once_each),
        BOTH(non_overlapped_socket_ignores_ov),
        BOTH(routine_runs_in_alertable_wait),
        BOTH(senddisconnect_after_queued_sends),
        BOTH(close_aborts_through_port),
        BOTH(cancel_one_operation),
        BOTH(cancelio_this_threads_operations),
        BOTH(cleanup_aborts_pending),
    };
    return cmocka_run_group_tests(tests, chains_group_setup, chains_group_teardown);
}
