/* SPDX-License-Identifier: MIT */
/* Steady-state overlapped I/O through the trace layer allocates nothing
 * (src/providers/trace/overlapped.c): the kit's records come from its pool,
 * the layer's own records from the socket's spare list, and the packets of
 * both completion ports (the layer's private one and the application's)
 * fit in rings that warm-up has grown. Counted in every thread: the layer's
 * worker and the tcp provider's watcher complete the pending operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wsp/winsock2.h>

#include "../trace_layer/chain.h"
#include "alloc_count.h"

#define WAIT_MS 10000u

static struct chains ch;

/* the layered socket *c (client, through trace over tcp), the base *a */
static void pair(SOCKET *c, SOCKET *a)
{
    SOCKET l = WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = wsp_htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&sa, &len), 0);
    WSAPROTOCOL_INFOW pi = ch.tcp_info;
    *c = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &pi, 0,
                    WSA_FLAG_OVERLAPPED);
    assert_true(*c != INVALID_SOCKET);
    assert_int_equal(wsp_connect(*c, (struct sockaddr *)&sa, sizeof sa), 0);
    *a = wsp_accept(l, NULL, NULL);
    assert_true(*a != INVALID_SOCKET);
    assert_int_equal(closesocket(l), 0);
}

static void take(HANDLE port, LPWSAOVERLAPPED want, DWORD bytes)
{
    DWORD n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, want);
    assert_int_equal(n, bytes);
}

/* One round on the layered socket: a receive that goes pending (completed
 * by the layer's worker), a send (at once, reported by the call itself),
 * each taken from the application's port. */
static void round_trip(SOCKET c, SOCKET a, HANDLE port)
{
    WSAOVERLAPPED ro, so;
    memset(&ro, 0, sizeof ro);
    memset(&so, 0, sizeof so);
    char in[16], msg[16] = "0123456789abcde";
    WSABUF ib = {sizeof in, in}, sb = {sizeof msg, msg};
    DWORD fl = 0;
    int rc = WSARecv(c, &ib, 1, NULL, &fl, &ro, NULL);
    assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
    assert_int_equal(wsp_send(a, msg, sizeof msg, 0), (int)sizeof msg);
    take(port, &ro, sizeof msg);
    rc = WSASend(c, &sb, 1, NULL, 0, &so, NULL);
    assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
    take(port, &so, sizeof msg);
    for (int got = 0; got < (int)sizeof in;) {
        int n = wsp_recv(a, in + got, (int)sizeof in - got, 0);
        assert_true(n > 0);
        got += n;
    }
}

static void layered_ovl_allocates_nothing(void **state)
{
    (void)state;
    if (!alloc_count_enabled() || !alloc_count_interposed()) {
        print_message("skipped: malloc is not counted here (sanitizers own it)\n");
        skip();
    }
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    SOCKET c, a;
    pair(&c, &a);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_non_null(port);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)(uintptr_t)c, port, 1, 0), port);
    for (int i = 0; i < 50; i++) /* warm up: pools, rings, watcher, epoll entry */
        round_trip(c, a, port);
    struct alloc_snapshot before, after;
    alloc_snapshot(&before);
    alloc_window_open();
    for (int i = 0; i < 500; i++)
        round_trip(c, a, port);
    alloc_window_close();
    alloc_snapshot(&after);
    if (after.all_allocs != before.all_allocs)
        print_message("allocations: %lu, first by %s\n", after.all_allocs - before.all_allocs,
                      alloc_first_caller());
    assert_int_equal(after.all_allocs, before.all_allocs);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
    assert_true(CloseHandle(port));
    assert_int_equal(WSACleanup(), 0);
}

static int group_setup(void **state)
{
    (void)state;
    return chains_install(&ch);
}

static int group_teardown(void **state)
{
    (void)state;
    chains_remove(&ch);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layered_ovl_allocates_nothing),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
