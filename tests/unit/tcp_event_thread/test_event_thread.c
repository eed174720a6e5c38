/* SPDX-License-Identifier: MIT */
/* tcp watches its sockets for WSAEventSelect in libwsp's process poll set
 * (ws2spi.h, WPUGetProcessPollSet): the only thread the first
 * WSAEventSelect adds to the process is libwsp's "wsp-poll", it signals the
 * event, and after WSACleanup and WSAStartup the provider watches again in
 * the same set without a new thread.  Without a poll procedure slot left,
 * it still watches (with a thread of its own). */
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
#include <wsp/ws2spi.h>

#include "threads.h"

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

/* A connected pair; the server side has FD_READ selected on ev; one byte
 * sent to it; the event must come. */
static void event_select_sees_a_byte(void)
{
    SOCKET l = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&sa, &len), 0);
    SOCKET c = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    SOCKET s = wsp_accept(l, NULL, NULL);
    assert_true(s != INVALID_SOCKET);
    WSAEVENT ev = WSACreateEvent();
    assert_int_equal(WSAEventSelect(s, ev, FD_READ | FD_CLOSE), 0);
    assert_int_equal(wsp_send(c, "x", 1, 0), 1);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENTS ne;
    assert_int_equal(WSAEnumNetworkEvents(s, ev, &ne), 0);
    assert_true(ne.lNetworkEvents & FD_READ);
    WSACloseEvent(ev);
    closesocket(s);
    closesocket(c);
    closesocket(l);
}

static void watched_by_libwsps_thread_only(void **state)
{
    (void)state;
    struct threads before, after;
    threads_now(&before);
    event_select_sees_a_byte();
    threads_now(&after);
    char name[32] = "";
    assert_int_equal(threads_new(&before, &after, name), 1);
    assert_string_equal(name, "wsp-poll");

    /* a new start of the provider takes the same set: no new thread */
    assert_int_equal(WSACleanup(), 0);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    threads_now(&before);
    event_select_sees_a_byte();
    threads_now(&after);
    assert_int_equal(threads_new(&before, &after, name), 0);
}

/* With every poll procedure slot of libwsp taken (16), tcp cannot register
 * its own: it watches with a thread of its own instead (the provider kit's
 * poll_local), and WSAEventSelect still works. */
static void watched_when_no_procedure_slot_is_left(void **state)
{
    (void)state;
    DWORD ids[16];
    int n = poll_slots_take_all(ids);
    event_select_sees_a_byte();
    poll_slots_give_back(ids, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(watched_by_libwsps_thread_only, setup, teardown),
        cmocka_unit_test_setup_teardown(watched_when_no_procedure_slot_is_left, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
