/* SPDX-License-Identifier: MIT */
/* Steady-state overlapped I/O on the tcp provider allocates nothing: the
 * kit's records come from its pool, the WSABUF copy is inline, the socket is
 * in the watcher's epoll set (or has its io_uring slots) from its first
 * pending operation on. Counted in every thread (the watcher or the io_uring
 * engine's thread completes the pending receives); ctest runs it with each
 * engine (tcp_overlapped_noalloc, tcp_overlapped_noalloc_epoll). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define WSP_WINSOCK_NAMES
#include <wsp/winsock2.h>

#include "../tcp_overlapped/ovl_pair.h"

#include "alloc_count.h"

/* One round: a receive that goes pending, a send that completes at once,
 * the receive completed by the watcher, then a receive that completes at
 * once (the data already there). */
static void round_trip(SOCKET c, SOCKET a)
{
    WSAOVERLAPPED ro, so;
    memset(&ro, 0, sizeof ro);
    memset(&so, 0, sizeof so);
    char in[32], msg[16] = "0123456789abcdef";
    WSABUF ib[2] = {{8, in}, {8, in + 8}}, sb = {16, msg};
    DWORD fl = 0, n = 0;
    int rc = WSARecv(a, ib, 2, NULL, &fl, &ro, NULL);
    assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
    assert_int_equal(WSASend(c, &sb, 1, NULL, 0, &so, NULL), 0);
    assert_true(WSAGetOverlappedResult(c, &so, &n, FALSE, &fl));
    assert_true(WSAGetOverlappedResult(a, &ro, &n, TRUE, &fl));
    assert_int_equal(n, 16);
    assert_int_equal(WSASend(c, &sb, 1, NULL, 0, &so, NULL), 0);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(a, &rs);
    assert_int_equal(select(0, &rs, NULL, NULL, NULL), 1);
    size_t have = 0;
    while (have < 16) {
        fl = 0;
        assert_int_equal(WSARecv(a, ib, 2, &n, &fl, &ro, NULL), 0); /* readable: at once */
        have += n;
    }
}

static void ovl_send_recv_allocate_nothing(void **state)
{
    (void)state;
    if (!alloc_count_enabled() || !alloc_count_interposed()) {
        print_message("skipped: malloc is not counted here (sanitizers own it)\n");
        skip();
    }
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    SOCKET c, a;
    ovl_pair(&c, &a);
    for (int i = 0; i < 50; i++) /* warm up: pool, watcher, epoll entry */
        round_trip(c, a);
    struct alloc_snapshot before, after;
    alloc_snapshot(&before);
    alloc_window_open();
    for (int i = 0; i < 500; i++)
        round_trip(c, a);
    alloc_window_close();
    alloc_snapshot(&after);
    if (after.all_allocs != before.all_allocs)
        print_message("allocations: %lu, first by %s\n", after.all_allocs - before.all_allocs,
                      alloc_first_caller());
    assert_int_equal(after.all_allocs, before.all_allocs);
    closesocket(c);
    closesocket(a);
    assert_int_equal(WSACleanup(), 0);
}

/* One datagram round: a WSARecvFrom with lpFrom that goes pending (its
 * sender's address is kept with the operation until the datagram comes),
 * then a WSASendTo with a destination. */
static void datagram_round(SOCKET u, SOCKET v, const struct sockaddr_in *to)
{
    WSAOVERLAPPED ro, so;
    memset(&ro, 0, sizeof ro);
    memset(&so, 0, sizeof so);
    char in[32], msg[16] = "0123456789abcdef";
    WSABUF ib = {sizeof in, in}, sb = {16, msg};
    struct sockaddr_in from;
    int fromlen = sizeof from;
    DWORD fl = 0, n = 0;
    int rc = WSARecvFrom(u, &ib, 1, NULL, &fl, (struct sockaddr *)&from, &fromlen, &ro, NULL);
    assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
    assert_int_equal(
        WSASendTo(v, &sb, 1, NULL, 0, (const struct sockaddr *)to, sizeof *to, &so, NULL), 0);
    assert_true(WSAGetOverlappedResult(v, &so, &n, TRUE, &fl));
    assert_true(WSAGetOverlappedResult(u, &ro, &n, TRUE, &fl));
    assert_int_equal(n, 16);
    assert_int_equal(fromlen, sizeof from);
}

static void ovl_datagrams_with_addresses_allocate_nothing(void **state)
{
    (void)state;
    if (!alloc_count_enabled() || !alloc_count_interposed()) {
        print_message("skipped: malloc is not counted here (sanitizers own it)\n");
        skip();
    }
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    SOCKET u = WSASocketW(AF_INET, SOCK_DGRAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKET v = WSASocketW(AF_INET, SOCK_DGRAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(u != INVALID_SOCKET && v != INVALID_SOCKET);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof to;
    assert_int_equal(bind(u, (struct sockaddr *)&to, sizeof to), 0);
    assert_int_equal(getsockname(u, (struct sockaddr *)&to, &len), 0);
    for (int i = 0; i < 50; i++) /* warm up: pool, engine */
        datagram_round(u, v, &to);
    struct alloc_snapshot before, after;
    alloc_snapshot(&before);
    alloc_window_open();
    for (int i = 0; i < 500; i++)
        datagram_round(u, v, &to);
    alloc_window_close();
    alloc_snapshot(&after);
    if (after.all_allocs != before.all_allocs)
        print_message("allocations: %lu, first by %s\n", after.all_allocs - before.all_allocs,
                      alloc_first_caller());
    assert_int_equal(after.all_allocs, before.all_allocs);
    closesocket(u);
    closesocket(v);
    assert_int_equal(WSACleanup(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ovl_send_recv_allocate_nothing),
        cmocka_unit_test(ovl_datagrams_with_addresses_allocate_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
