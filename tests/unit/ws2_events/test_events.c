/* SPDX-License-Identifier: MIT */
/* Manual-reset events and WSAWaitForMultipleEvents. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <wsp/winsock2.h>

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

static void ws2_evt_manual_reset(void **state)
{
    (void)state;
    WSAEVENT e = WSACreateEvent();
    assert_true(e != WSA_INVALID_EVENT);
    assert_int_equal(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    assert_true(WSASetEvent(e));
    assert_true(WSASetEvent(e)); /* setting twice is still one signalled state */
    /* manual reset: waiting does not consume the signal */
    assert_int_equal(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    assert_int_equal(WSAWaitForMultipleEvents(1, &e, TRUE, 10, FALSE), WSA_WAIT_EVENT_0);
    assert_true(WSAResetEvent(e));
    assert_int_equal(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    assert_true(WSAResetEvent(e)); /* resetting a reset event is fine */
    assert_true(WSACloseEvent(e));
}

static void ws2_evt_wait_any_lowest_index(void **state)
{
    (void)state;
    WSAEVENT e[3] = {WSACreateEvent(), WSACreateEvent(), WSACreateEvent()};
    assert_true(WSASetEvent(e[2]));
    assert_int_equal(WSAWaitForMultipleEvents(3, e, FALSE, WSA_INFINITE, FALSE),
                     WSA_WAIT_EVENT_0 + 2);
    assert_true(WSASetEvent(e[1]));
    assert_int_equal(WSAWaitForMultipleEvents(3, e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 1);
    for (int i = 0; i < 3; i++)
        assert_true(WSACloseEvent(e[i]));
}

static void ws2_evt_wait_all(void **state)
{
    (void)state;
    WSAEVENT e[2] = {WSACreateEvent(), WSACreateEvent()};
    assert_true(WSASetEvent(e[0]));
    assert_int_equal(WSAWaitForMultipleEvents(2, e, TRUE, 0, FALSE), WSA_WAIT_TIMEOUT);
    assert_int_equal(WSAWaitForMultipleEvents(2, e, TRUE, 20, FALSE), WSA_WAIT_TIMEOUT);
    assert_true(WSASetEvent(e[1]));
    assert_int_equal(WSAWaitForMultipleEvents(2, e, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
    for (int i = 0; i < 2; i++)
        assert_true(WSACloseEvent(e[i]));
}

struct waiter {
    WSAEVENT ev[2];
    BOOL all;
    DWORD result;
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    w->result = WSAWaitForMultipleEvents(2, w->ev, w->all, WSA_INFINITE, FALSE);
    return NULL;
}

/* An infinite wait wakes up when another thread sets the event. */
static void ws2_evt_wakes_other_thread(void **state)
{
    (void)state;
    for (int all = 0; all <= 1; all++) {
        struct waiter w = {{WSACreateEvent(), WSACreateEvent()}, all, 0};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
        assert_true(WSASetEvent(w.ev[1]));
        if (all)
            assert_true(WSASetEvent(w.ev[0]));
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_int_equal(w.result, all ? WSA_WAIT_EVENT_0 : WSA_WAIT_EVENT_0 + 1);
        assert_true(WSACloseEvent(w.ev[0]));
        assert_true(WSACloseEvent(w.ev[1]));
    }
}

static void ws2_evt_invalid_handles(void **state)
{
    (void)state;
    WSAEVENT bogus[] = {(WSAEVENT)(uintptr_t)0x1234, (WSAEVENT)(uintptr_t)8, WSA_INVALID_EVENT};
    for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
        assert_false(WSASetEvent(bogus[i]));
        assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
        assert_false(WSAResetEvent(bogus[i]));
        assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
        assert_false(WSACloseEvent(bogus[i]));
        assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
    }
    WSAEVENT e = WSACreateEvent();
    assert_true(WSACloseEvent(e));
    /* closed: refused, even after its slot is reused */
    WSAEVENT f = WSACreateEvent();
    assert_true(e != f);
    assert_false(WSASetEvent(e));
    assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
    assert_int_equal(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
    WSAEVENT pair[2] = {f, e};
    assert_int_equal(WSAWaitForMultipleEvents(2, pair, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
    assert_true(WSACloseEvent(f));
}

/* WSAEventSelect / WSAEnumNetworkEvents refuse an event handle that was never
 * issued or is closed, with WSAEINVAL: their Windows documentation lists
 * WSAEINVAL for an invalid parameter and no WSA_INVALID_HANDLE. (Accepted,
 * the provider would signal nothing and a waiter would wait forever.) */
static void ws2_evt_select_refuses_bad_events(void **state)
{
    (void)state;
    SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    WSAEVENT closed = WSACreateEvent();
    assert_true(WSACloseEvent(closed));
    WSAEVENT bogus[] = {(WSAEVENT)(uintptr_t)0x1234, (WSAEVENT)(uintptr_t)8, WSA_INVALID_EVENT,
                        closed};
    WSANETWORKEVENTS ne;
    for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
        WSASetLastError(0);
        assert_int_equal(WSAEventSelect(s, bogus[i], FD_READ), SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSAEINVAL);
        if (bogus[i] == WSA_INVALID_EVENT)
            continue; /* NULL is allowed for WSAEnumNetworkEvents */
        WSASetLastError(0);
        assert_int_equal(WSAEnumNetworkEvents(s, bogus[i], &ne), SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSAEINVAL);
    }
    /* a bad socket is reported first */
    assert_int_equal(WSAEventSelect((SOCKET)0x1234, bogus[0], FD_READ), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    /* a real event works; lNetworkEvents == 0 cancels and ignores the handle */
    WSAEVENT e = WSACreateEvent();
    assert_int_equal(WSAEventSelect(s, e, FD_READ), 0);
    assert_int_equal(WSAEnumNetworkEvents(s, e, &ne), 0);
    assert_int_equal(WSAEnumNetworkEvents(s, NULL, &ne), 0);
    assert_int_equal(WSAEventSelect(s, bogus[0], 0), 0);
    assert_int_equal(WSAEventSelect(s, NULL, 0), 0);
    assert_true(WSACloseEvent(e));
    assert_int_equal(closesocket(s), 0);
}

static void ws2_evt_invalid_parameters(void **state)
{
    (void)state;
    WSAEVENT e[WSA_MAXIMUM_WAIT_EVENTS + 1];
    for (int i = 0; i <= WSA_MAXIMUM_WAIT_EVENTS; i++)
        e[i] = WSACreateEvent();
    assert_int_equal(WSAWaitForMultipleEvents(0, e, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    assert_int_equal(WSAGetLastError(), WSA_INVALID_PARAMETER);
    assert_int_equal(WSAWaitForMultipleEvents(WSA_MAXIMUM_WAIT_EVENTS + 1, e, FALSE, 0, FALSE),
                     WSA_WAIT_FAILED);
    assert_int_equal(WSAGetLastError(), WSA_INVALID_PARAMETER);
    assert_int_equal(WSAWaitForMultipleEvents(1, NULL, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    assert_int_equal(WSAGetLastError(), WSA_INVALID_PARAMETER);
    /* the maximum is allowed */
    assert_true(WSASetEvent(e[WSA_MAXIMUM_WAIT_EVENTS - 1]));
    assert_int_equal(WSAWaitForMultipleEvents(WSA_MAXIMUM_WAIT_EVENTS, e, FALSE, 0, FALSE),
                     WSA_WAIT_EVENT_0 + WSA_MAXIMUM_WAIT_EVENTS - 1);
    for (int i = 0; i <= WSA_MAXIMUM_WAIT_EVENTS; i++)
        assert_true(WSACloseEvent(e[i]));
}

static void ws2_evt_notinitialised(void **state)
{
    (void)state;
    WSAEVENT e = WSACreateEvent();
    assert_int_equal(WSACleanup(), 0);
    assert_true(WSACreateEvent() == WSA_INVALID_EVENT);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    assert_false(WSASetEvent(e));
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    assert_int_equal(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    /* the last WSACleanup released every event */
    assert_false(WSASetEvent(e));
    assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ws2_evt_manual_reset),
        cmocka_unit_test(ws2_evt_wait_any_lowest_index),
        cmocka_unit_test(ws2_evt_wait_all),
        cmocka_unit_test(ws2_evt_wakes_other_thread),
        cmocka_unit_test(ws2_evt_invalid_handles),
        cmocka_unit_test(ws2_evt_select_refuses_bad_events),
        cmocka_unit_test(ws2_evt_invalid_parameters),
        cmocka_unit_test(ws2_evt_notinitialised),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
