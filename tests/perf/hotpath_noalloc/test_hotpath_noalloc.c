/* SPDX-License-Identifier: MIT */
/* The hot-path budget, part one: "hot paths allocate nothing".
 *
 * After a warm-up, N iterations of each hot path run inside a window; the
 * window counts every malloc/calloc/realloc/aligned allocation made by the
 * calling thread and by all threads of the process (the itot progress engine
 * included).  Both counts must be zero.  Each window includes the receiving
 * side of what it sends (the peer's recv of the data, of the FIN or of the
 * DR), so the provider's work on the way through happens inside the window.
 * Nothing is timed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "alloc_count.h"
#include "pairs.h"

#define NA_ITERS 1000
#define NA_WARMUP 32
#define NA_POOL 32     /* pairs measured by the disconnect tests */
#define NA_POOL_WARM 4 /* pairs used for their warm-up */
#define NA_SMALL 64
#define NA_LARGE 8192

struct na_window {
    struct alloc_snapshot before;
};

static void na_begin(struct na_window *w)
{
    alloc_snapshot(&w->before);
    alloc_window_open();
}

/* Closes the window and asserts zero allocations on this thread and overall. */
static void na_end(struct na_window *w, const char *what)
{
    struct alloc_snapshot after;
    alloc_window_close();
    alloc_snapshot(&after);
    unsigned long self = after.self_allocs - w->before.self_allocs;
    unsigned long all = after.all_allocs - w->before.all_allocs;
    unsigned long frees = after.all_frees - w->before.all_frees;
    if (self != 0 || all != 0)
        print_message("%s: %lu allocations on the calling thread, %lu in all threads, %lu frees; "
                      "first allocation called from %s\n",
                      what, self, all, frees, alloc_first_caller());
    assert_int_equal(self, 0);
    assert_int_equal(all, 0);
}

static void na_skip_if_uncounted(void)
{
    if (!alloc_count_enabled()) {
        print_message("skipped: built with sanitizers (WSP_SANITIZE), which own malloc; the "
                      "allocation counts need the plain build\n");
        skip();
    }
}

static int na_group_setup(void **state)
{
    WSADATA wd;
    (void)state;
    return WSAStartup(MAKEWORD(2, 2), &wd) == 0 ? 0 : -1;
}

static int na_group_teardown(void **state)
{
    (void)state;
    WSACleanup();
    return 0;
}

/* ---- one iteration of each hot path; 0 or the WSAE* code ---- */

static char na_buf[NA_LARGE];
static char na_rbuf[NA_LARGE];

static int na_plain(SOCKET a, SOCKET b, int len)
{
    if (wsp_send(a, na_buf, len, 0) != len)
        return WSAGetLastError();
    for (int got = 0; got < len;) {
        int r = wsp_recv(b, na_rbuf + got, len - got, 0);
        if (r <= 0)
            return r == 0 ? WSAECONNRESET : WSAGetLastError();
        got += r;
    }
    return 0;
}

static int na_wsa(SOCKET a, SOCKET b, int len)
{
    WSABUF sb = {(ULONG)len, na_buf};
    DWORD n = 0;
    if (WSASend(a, &sb, 1, &n, 0, NULL, NULL) != 0)
        return WSAGetLastError();
    if (n != (DWORD)len)
        return WSAEMSGSIZE;
    for (int got = 0; got < len;) {
        WSABUF rb = {(ULONG)(len - got), na_rbuf + got};
        DWORD flags = 0;
        n = 0;
        if (WSARecv(b, &rb, 1, &n, &flags, NULL, NULL) != 0)
            return WSAGetLastError();
        if (n == 0)
            return WSAECONNRESET;
        got += (int)n;
    }
    return 0;
}

static int na_lookup(SOCKET a)
{
    int type = 0, len = sizeof type;
    u_long avail = 0;
    if (wsp_getsockopt(a, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
        return WSAGetLastError();
    if (ioctlsocket(a, WSP_FIONREAD, &avail) != 0)
        return WSAGetLastError();
    return 0;
}

/* SendDisconnect on a, then wait until b sees the disconnect: recv gives 0
 * (stream, FIN) or fails with WSAEDISCON (message-oriented, D10). */
static int na_disconnect(SOCKET a, SOCKET b, LPWSABUF data)
{
    if (WSASendDisconnect(a, data) != 0)
        return WSAGetLastError();
    for (;;) {
        int r = wsp_recv(b, na_rbuf, sizeof na_rbuf, 0);
        if (r == 0)
            return 0;
        if (r < 0)
            return WSAGetLastError() == WSAEDISCON ? 0 : WSAGetLastError();
        /* data sent before the disconnect: read on */
    }
}

/* One round of the completion-port path (overlapped sockets: wsp_socket
 * and wsp_accept make them so): a WSARecv that goes pending or completes at
 * once, a WSASend, and both completions taken from the port the two ends
 * are associated with, with GetQueuedCompletionStatus or, ex, with
 * GetQueuedCompletionStatusEx. A short receive is reissued for the rest. */
static int na_iocp_recv(SOCKET b, WSAOVERLAPPED *ro, int got, int len)
{
    WSABUF rb = {(ULONG)(len - got), na_rbuf + got};
    DWORD flags = 0;
    memset(ro, 0, sizeof *ro);
    if (WSARecv(b, &rb, 1, NULL, &flags, ro, NULL) != 0 && WSAGetLastError() != WSA_IO_PENDING)
        return WSAGetLastError();
    return 0;
}

static int na_iocp(HANDLE port, SOCKET a, SOCKET b, int len, int ex)
{
    WSAOVERLAPPED so, ro;
    WSABUF sb = {(ULONG)len, na_buf};
    int got = 0, sent = 0, err;
    if ((err = na_iocp_recv(b, &ro, 0, len)) != 0)
        return err;
    memset(&so, 0, sizeof so);
    if (WSASend(a, &sb, 1, NULL, 0, &so, NULL) != 0 && WSAGetLastError() != WSA_IO_PENDING)
        return WSAGetLastError();
    while (!sent || got < len) {
        OVERLAPPED_ENTRY e[4];
        ULONG n = 0;
        if (ex) {
            if (!GetQueuedCompletionStatusEx(port, e, 4, &n, 10000, FALSE))
                return (int)GetLastError();
        } else {
            LPOVERLAPPED ov = NULL;
            BOOL ok = GetQueuedCompletionStatus(port, &e[0].dwNumberOfBytesTransferred,
                                                &e[0].lpCompletionKey, &ov, 10000);
            if (!ok)
                return (int)GetLastError();
            e[0].lpOverlapped = ov;
            e[0].Internal = 0;
            n = 1;
        }
        for (ULONG i = 0; i < n; i++) {
            DWORD bytes = e[i].dwNumberOfBytesTransferred;
            if (e[i].Internal != 0)
                return (int)e[i].Internal;
            if (e[i].lpOverlapped == &so) {
                if (bytes != (DWORD)len) /* a stream send completes whole */
                    return WSAEMSGSIZE;
                sent = 1;
            } else if (e[i].lpOverlapped == &ro) {
                if (bytes == 0)
                    return WSAECONNRESET;
                got += (int)bytes;
                if (got < len && (err = na_iocp_recv(b, &ro, got, len)) != 0)
                    return err;
            } else {
                return WSAEINVAL; /* nothing else is pending on this port */
            }
        }
    }
    return 0;
}

/* ---- the data paths ---- */

static void na_data_paths(int type, int protocol, int itot_class, const char *label)
{
    struct np_pair p;
    struct na_window w;
    char what[96];
    int err = np_pairs_open(&p, 1, type, protocol, itot_class);
    assert_int_equal(err, 0);
    memset(na_buf, 'n', sizeof na_buf);

    static const int sizes[] = {NA_SMALL, NA_LARGE};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int len = sizes[k];
        for (int i = 0; i < NA_WARMUP && err == 0; i++) {
            err = na_plain(p.a, p.b, len);
            if (err == 0)
                err = na_wsa(p.a, p.b, len);
        }
        assert_int_equal(err, 0);

        na_begin(&w);
        for (int i = 0; i < NA_ITERS && err == 0; i++)
            err = na_plain(p.a, p.b, len);
        snprintf(what, sizeof what, "%s wsp_send/wsp_recv %d B", label, len);
        na_end(&w, what);
        assert_int_equal(err, 0);

        na_begin(&w);
        for (int i = 0; i < NA_ITERS && err == 0; i++)
            err = na_wsa(p.a, p.b, len);
        snprintf(what, sizeof what, "%s WSASend/WSARecv %d B", label, len);
        na_end(&w, what);
        assert_int_equal(err, 0);
    }
    np_pairs_close(&p, 1);
}

static void na_disconnect_path(int type, int protocol, int itot_class, LPWSABUF data,
                               const char *label)
{
    struct np_pair p[NA_POOL_WARM + NA_POOL];
    struct na_window w;
    int err = np_pairs_open(p, NA_POOL_WARM + NA_POOL, type, protocol, itot_class);
    assert_int_equal(err, 0);

    for (int i = 0; i < NA_POOL_WARM && err == 0; i++) {
        err = na_plain(p[i].a, p[i].b, NA_SMALL);
        if (err == 0)
            err = na_disconnect(p[i].a, p[i].b, data);
    }
    assert_int_equal(err, 0);
    /* Data first, so every measured connection has been used like a real one. */
    for (int i = NA_POOL_WARM; i < NA_POOL_WARM + NA_POOL && err == 0; i++)
        err = na_plain(p[i].a, p[i].b, NA_SMALL);
    assert_int_equal(err, 0);

    na_begin(&w);
    for (int i = NA_POOL_WARM; i < NA_POOL_WARM + NA_POOL && err == 0; i++)
        err = na_disconnect(p[i].a, p[i].b, data);
    na_end(&w, label);
    assert_int_equal(err, 0);
    np_pairs_close(p, NA_POOL_WARM + NA_POOL);
}

/* ---- the counters themselves: without this, a broken interposition would
 * make every other test pass for nothing ---- */

static void hotpath_counters_see_provider_allocations(void **state)
{
    struct alloc_snapshot before, after;
    SOCKET s;
    (void)state;
    na_skip_if_uncounted();
    assert_true(alloc_count_interposed());
    /* Creating a socket allocates the provider's per-socket context (tcp:
     * calloc in WSPSocket); the counter must see it. */
    alloc_snapshot(&before);
    alloc_window_open();
    s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    alloc_window_close();
    alloc_snapshot(&after);
    assert_true(s != INVALID_SOCKET);
    closesocket(s);
    print_message("socket creation: %lu allocations, first from %s\n",
                  after.all_allocs - before.all_allocs, alloc_first_caller());
    assert_true(after.all_allocs > before.all_allocs);
    assert_true(after.self_allocs > before.self_allocs);
}

/* ---- tcp ---- */

static void hotpath_tcp_send_recv_noalloc(void **state)
{
    (void)state;
    na_skip_if_uncounted();
    na_data_paths(SOCK_STREAM, IPPROTO_TCP, -1, "tcp");
}

static void hotpath_tcp_lookup_noalloc(void **state)
{
    struct np_pair p;
    struct na_window w;
    int err = 0;
    (void)state;
    na_skip_if_uncounted();
    assert_int_equal(np_pairs_open(&p, 1, SOCK_STREAM, IPPROTO_TCP, -1), 0);
    for (int i = 0; i < NA_WARMUP && err == 0; i++)
        err = na_lookup(p.a);
    assert_int_equal(err, 0);
    na_begin(&w);
    for (int i = 0; i < NA_ITERS && err == 0; i++)
        err = na_lookup(p.a);
    na_end(&w, "tcp getsockopt(SO_TYPE)+ioctlsocket(FIONREAD)");
    assert_int_equal(err, 0);
    np_pairs_close(&p, 1);
}

static void hotpath_tcp_senddisconnect_noalloc(void **state)
{
    (void)state;
    na_skip_if_uncounted();
    na_disconnect_path(SOCK_STREAM, IPPROTO_TCP, -1, NULL, "tcp WSASendDisconnect(s, NULL)");
}

/* Overlapped WSASend/WSARecv completed through a completion port: after the
 * warm-up (the kit's record pool and the port's ring have grown), nothing
 * on the way (submission, the watcher's completion of a pending receive,
 * the port's packet, GetQueuedCompletionStatus(Ex)) allocates. */
static void hotpath_tcp_overlapped_iocp_noalloc(void **state)
{
    static const int sizes[] = {NA_SMALL, NA_LARGE};
    struct np_pair p;
    struct na_window w;
    char what[96];
    int err = 0;
    (void)state;
    na_skip_if_uncounted();
    assert_int_equal(np_pairs_open(&p, 1, SOCK_STREAM, IPPROTO_TCP, -1), 0);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_non_null(port);
    assert_true(CreateIoCompletionPort((HANDLE)(uintptr_t)p.a, port, 1, 0) == port);
    assert_true(CreateIoCompletionPort((HANDLE)(uintptr_t)p.b, port, 2, 0) == port);
    memset(na_buf, 'o', sizeof na_buf);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        for (int ex = 0; ex < 2; ex++) {
            for (int i = 0; i < NA_WARMUP && err == 0; i++)
                err = na_iocp(port, p.a, p.b, sizes[k], ex);
            assert_int_equal(err, 0);
            na_begin(&w);
            for (int i = 0; i < NA_ITERS && err == 0; i++)
                err = na_iocp(port, p.a, p.b, sizes[k], ex);
            snprintf(what, sizeof what, "tcp overlapped WSASend/WSARecv %d B + %s", sizes[k],
                     ex ? "GetQueuedCompletionStatusEx" : "GetQueuedCompletionStatus");
            na_end(&w, what);
            assert_int_equal(err, 0);
            assert_memory_equal(na_rbuf, na_buf, (size_t)sizes[k]);
        }
    }
    np_pairs_close(&p, 1);
    assert_true(CloseHandle(port));
}

/* ---- itot ---- */

static void na_skip_if_no_itot(void)
{
#ifndef WSP_TEST_HAVE_ITOT
    print_message("skipped: the itot provider is not part of this build\n");
    skip();
#endif
}

static void na_itot_data(int cls)
{
    char label[32];
    na_skip_if_uncounted();
    na_skip_if_no_itot();
    snprintf(label, sizeof label, "itot class %d", cls);
    na_data_paths(SOCK_SEQPACKET, WSP_PROTO_ITOT, cls, label);
}

static void na_itot_disconnect(int cls)
{
    static char disc[64];
    WSABUF data = {sizeof disc, disc};
    char label[64];
    na_skip_if_uncounted();
    na_skip_if_no_itot();
    memset(disc, 'D', sizeof disc);
    snprintf(label, sizeof label, "itot class %d WSASendDisconnect(s, 64 octets)", cls);
    na_disconnect_path(SOCK_SEQPACKET, WSP_PROTO_ITOT, cls, &data, label);
}

static void hotpath_itot_class0_send_recv_noalloc(void **state)
{
    (void)state;
    na_itot_data(0);
}

static void hotpath_itot_class2_send_recv_noalloc(void **state)
{
    (void)state;
    na_itot_data(2);
}

static void hotpath_itot_class0_senddisconnect_noalloc(void **state)
{
    (void)state;
    na_itot_disconnect(0);
}

static void hotpath_itot_class2_senddisconnect_noalloc(void **state)
{
    (void)state;
    na_itot_disconnect(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hotpath_counters_see_provider_allocations),
        cmocka_unit_test(hotpath_tcp_lookup_noalloc),
        cmocka_unit_test(hotpath_tcp_send_recv_noalloc),
        cmocka_unit_test(hotpath_tcp_senddisconnect_noalloc),
        cmocka_unit_test(hotpath_tcp_overlapped_iocp_noalloc),
        cmocka_unit_test(hotpath_itot_class0_send_recv_noalloc),
        cmocka_unit_test(hotpath_itot_class2_send_recv_noalloc),
        cmocka_unit_test(hotpath_itot_class0_senddisconnect_noalloc),
        cmocka_unit_test(hotpath_itot_class2_senddisconnect_noalloc),
    };
    return cmocka_run_group_tests(tests, na_group_setup, na_group_teardown);
}
