/* SPDX-License-Identifier: MIT */
/* tcp provider with ws2's completion ports and CancelIoEx (real API,
 * loopback). GetQueuedCompletionStatus page: a socket associated with a
 * port gets one packet (key, lpOverlapped, bytes) per overlapped operation,
 * also one that completed at once, unless the low bit of hEvent is set; a
 * failed operation is FALSE with lpOverlapped set and its code as last
 * error. CancelIoEx page: the operation completes with
 * ERROR_OPERATION_ABORTED (WSA_OPERATION_ABORTED); ERROR_NOT_FOUND when
 * nothing matches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define WSP_WINSOCK_NAMES
#include <wsp/winsock2.h>

#include "ovl_pair.h"

#define WAIT_MS 10000u

/* A pending receive and a send that completes at once: each one packet with
 * the key. */
static void port_gets_pending_and_immediate(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(a, 0xabc);
    WSAOVERLAPPED ro, so;
    memset(&ro, 0, sizeof ro);
    memset(&so, 0, sizeof so);
    char in[8];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0, n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_int_equal(WSARecv(a, &ib, 1, NULL, &fl, &ro, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, 0));
    assert_null(got);
    assert_int_equal(send(c, "port", 4, 0), 4);
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &ro);
    assert_int_equal(key, 0xabc);
    assert_int_equal(n, 4);
    assert_memory_equal(in, "port", 4);

    char msg[] = "back";
    WSABUF sb = {4, msg};
    assert_int_equal(WSASend(a, &sb, 1, &n, 0, &so, NULL), 0); /* at once: still a packet */
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &so);
    assert_int_equal(key, 0xabc);
    assert_int_equal(n, 4);
    closesocket(c);
    closesocket(a);
    CloseHandle(port);
}

/* hEvent with its low bit set: the event is signalled, no packet. */
static void low_bit_of_event_keeps_it_off_the_port(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(c, 7);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED so;
    memset(&so, 0, sizeof so);
    so.hEvent = (WSAEVENT)((uintptr_t)ev | 1);
    char msg[] = "x";
    WSABUF sb = {1, msg};
    DWORD n = 0;
    ULONG_PTR key;
    LPOVERLAPPED got = NULL;
    assert_int_equal(WSASend(c, &sb, 1, &n, 0, &so, NULL), 0);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, 0));
    assert_null(got);
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    WSACloseEvent(ev);
    closesocket(c);
    closesocket(a);
    CloseHandle(port);
}

/* closesocket: the pending operation's packet comes, FALSE with the
 * operation and WSA_OPERATION_ABORTED. */
static void close_posts_aborted_packet(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(a, 9);
    WSAOVERLAPPED ro;
    memset(&ro, 0, sizeof ro);
    char in[4];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0, n = 99;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_int_equal(WSARecv(a, &ib, 1, NULL, &fl, &ro, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_int_equal(closesocket(a), 0);
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &ro);
    assert_int_equal(key, 9);
    assert_int_equal(GetLastError(), WSA_OPERATION_ABORTED);
    closesocket(c);
    CloseHandle(port);
}

/* CancelIoEx on a tcp socket: one operation, then nothing left. */
static void cancelioex_aborts_the_operation(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    WSAOVERLAPPED ro;
    memset(&ro, 0, sizeof ro);
    ro.hEvent = WSACreateEvent();
    char in[4];
    WSABUF ib = {sizeof in, in};
    DWORD fl = 0, n;
    assert_int_equal(WSARecv(a, &ib, 1, NULL, &fl, &ro, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_true(CancelIoEx((HANDLE)(uintptr_t)a, &ro));
    assert_int_equal(WSAWaitForMultipleEvents(1, &ro.hEvent, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
    assert_false(WSAGetOverlappedResult(a, &ro, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);
    assert_false(CancelIoEx((HANDLE)(uintptr_t)a, NULL));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);
    WSACloseEvent(ro.hEvent);
    closesocket(c);
    closesocket(a);
}

/* A datagram larger than an overlapped receive's buffer: the buffer is
 * filled and the rest lost (WSARecv page: WSAEMSGSIZE). Through the port,
 * GetQueuedCompletionStatus returns FALSE with the packet and
 * ERROR_MORE_DATA (234: its translation of the status, STATUS_BUFFER_OVERFLOW
 * on Windows; Wine gives the same); WSAGetOverlappedResult gives WSAEMSGSIZE.
 * A receive that finds such a datagram already there is still reported
 * through the port (wsp: the call returns WSA_IO_PENDING; docs/porting.md). */
static void truncated_datagram_through_port(void **state)
{
    (void)state;
    SOCKET rx = WSASocketA(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKET tx = WSASocketA(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(rx != INVALID_SOCKET && tx != INVALID_SOCKET);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof sa;
    assert_int_equal(bind(rx, (struct sockaddr *)&sa, len), 0);
    assert_int_equal(getsockname(rx, (struct sockaddr *)&sa, &len), 0);
    assert_int_equal(connect(tx, (struct sockaddr *)&sa, len), 0);
    HANDLE port = ovl_port_for(rx, 5);
    for (int round = 0; round < 2; round++) {
        const char *dgram = round == 0 ? "0123456789" : "ABCDEFGHIJ";
        if (round == 1) { /* the datagram is there before the receive */
            assert_int_equal(send(tx, dgram, 10, 0), 10);
            WSAPOLLFD pf = {.fd = rx, .events = POLLRDNORM};
            assert_int_equal(WSAPoll(&pf, 1, (INT)WAIT_MS), 1);
        }
        WSAOVERLAPPED ro;
        memset(&ro, 0, sizeof ro);
        char in[4];
        WSABUF ib = {sizeof in, in};
        DWORD fl = 0, n = 99;
        assert_int_equal(WSARecv(rx, &ib, 1, NULL, &fl, &ro, NULL), SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
        if (round == 0)
            assert_int_equal(send(tx, dgram, 10, 0), 10);
        ULONG_PTR key = 0;
        LPOVERLAPPED got = NULL;
        assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
        assert_int_equal(GetLastError(), ERROR_MORE_DATA);
        assert_ptr_equal(got, &ro);
        assert_int_equal(key, 5);
        assert_int_equal(n, sizeof in); /* the buffer filled */
        assert_memory_equal(in, dgram, sizeof in);
        n = 99;
        assert_false(WSAGetOverlappedResult(rx, &ro, &n, FALSE, &fl));
        assert_int_equal(WSAGetLastError(), WSAEMSGSIZE);
        assert_int_equal(n, sizeof in);
    }
    closesocket(rx);
    closesocket(tx);
    CloseHandle(port);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(port_gets_pending_and_immediate),
        cmocka_unit_test(low_bit_of_event_keeps_it_off_the_port),
        cmocka_unit_test(close_posts_aborted_packet),
        cmocka_unit_test(cancelioex_aborts_the_operation),
        cmocka_unit_test(truncated_datagram_through_port),
    };
    return cmocka_run_group_tests(tests, ovl_pair_setup, ovl_pair_teardown);
}
