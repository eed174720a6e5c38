/* SPDX-License-Identifier: MIT */
/* wsp_event_fd: readable exactly while the event is signalled, the same
 * descriptor for the event's life, refused for anything that is not an event,
 * and usable to wait for a socket's network events from a plain poll(). */
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/wspext.h>

static int readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, 0);
    assert_true(n >= 0);
    return n == 1 && (p.revents & POLLIN);
}

static int setup(void **state)
{
    (void)state;
    WSADATA wd;
    return WSAStartup(MAKEWORD(2, 2), &wd);
}

static int teardown(void **state)
{
    (void)state;
    return WSACleanup();
}

static void event_fd_follows_signal_state(void **state)
{
    (void)state;
    WSAEVENT ev = WSACreateEvent();
    assert_true(ev != WSA_INVALID_EVENT);
    int fd = wsp_event_fd(ev);
    assert_true(fd >= 0);
    assert_false(readable(fd)); /* created non-signalled */
    assert_true(WSASetEvent(ev));
    assert_true(readable(fd));
    assert_true(WSASetEvent(ev)); /* manual reset: a second set changes nothing */
    assert_true(readable(fd));
    assert_int_equal(wsp_event_fd(ev), fd); /* stable for the event's life */
    assert_true(WSAResetEvent(ev));
    assert_false(readable(fd)); /* one reset clears it, however often it was set */
    assert_true(WSACloseEvent(ev));
}

static void event_fd_refuses_non_events(void **state)
{
    (void)state;
    WSAEVENT ev = WSACreateEvent();
    assert_true(WSACloseEvent(ev));
    WSASetLastError(0);
    assert_int_equal(wsp_event_fd(ev), -1); /* closed */
    assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
    WSASetLastError(0);
    assert_int_equal(wsp_event_fd(WSA_INVALID_EVENT), -1);
    assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
    WSASetLastError(0);
    assert_int_equal(wsp_event_fd((WSAEVENT)(uintptr_t)0x7777), -1); /* never issued */
    assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
}

/* The documented recipe: WSAEventSelect + poll(wsp_event_fd) +
 * WSAEnumNetworkEvents sees a connection arrive and data become readable. */
static void event_fd_drives_a_socket_from_poll(void **state)
{
    (void)state;
    SOCKET l = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&a, &len), 0);
    WSAEVENT ev = WSACreateEvent();
    assert_int_equal(WSAEventSelect(l, ev, FD_ACCEPT), 0);
    int fd = wsp_event_fd(ev);
    assert_false(readable(fd));

    SOCKET c = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&a, len), 0);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 10000), 1); /* the guard only bounds a failure */
    WSANETWORKEVENTS ne;
    assert_int_equal(WSAEnumNetworkEvents(l, ev, &ne), 0);
    assert_true(ne.lNetworkEvents & FD_ACCEPT);
    assert_false(readable(fd)); /* WSAEnumNetworkEvents reset the event */

    SOCKET s = wsp_accept(l, NULL, NULL);
    assert_true(s != INVALID_SOCKET);
    WSAEVENT ev2 = WSACreateEvent();
    assert_int_equal(WSAEventSelect(s, ev2, FD_READ), 0);
    assert_int_equal(wsp_send(c, "x", 1, 0), 1);
    p.fd = wsp_event_fd(ev2);
    assert_int_equal(poll(&p, 1, 10000), 1);
    assert_int_equal(WSAEnumNetworkEvents(s, ev2, &ne), 0);
    assert_true(ne.lNetworkEvents & FD_READ);
    char b;
    assert_int_equal(wsp_recv(s, &b, 1, 0), 1);
    closesocket(s);
    closesocket(c);
    closesocket(l);
    WSACloseEvent(ev);
    WSACloseEvent(ev2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(event_fd_follows_signal_state, setup, teardown),
        cmocka_unit_test_setup_teardown(event_fd_refuses_non_events, setup, teardown),
        cmocka_unit_test_setup_teardown(event_fd_drives_a_socket_from_poll, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
