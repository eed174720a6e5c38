/* SPDX-License-Identifier: MIT */
/* WSAPoll's error reporting, as the WSAPoll and WSAPOLLFD pages give it:
 * POLLERR and POLLHUP are reported whenever they hold, asked for or not; a
 * handle that is not a socket gets POLLNVAL. (Linux poll() also sets them
 * unasked; wsp's WSAPoll is built on WSPSelect and had to learn it.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

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

static struct sockaddr_in lo4(u_short port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static long long ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A port on 127.0.0.1 where nobody listens: bound once, then closed. */
static u_short dead_port(void)
{
    SOCKET s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a = lo4(0);
    int len = sizeof a;
    assert_int_equal(wsp_bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(wsp_getsockname(s, (struct sockaddr *)&a, &len), 0);
    closesocket(s);
    return ntohs(a.sin_port);
}

/* A non-blocking connect to a closed port, started. */
static SOCKET refused_connect(void)
{
    SOCKET s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    u_long on = 1;
    assert_int_equal(ioctlsocket(s, WSP_FIONBIO, &on), 0);
    struct sockaddr_in to = lo4(dead_port());
    assert_int_equal(wsp_connect(s, (struct sockaddr *)&to, sizeof to), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    return s;
}

/* WSAPoll page (and the connect-failure note fixed in Windows 10 2004): a
 * failed non-blocking connect reports POLLERR and POLLHUP to a caller that
 * asked for POLLOUT only, at once rather than at the timeout, and leaves
 * SO_ERROR for the application to read. */
static void poll_failed_connect_reports_err_hup(void **state)
{
    (void)state;
    SOCKET s = refused_connect();
    WSAPOLLFD p = {.fd = s, .events = POLLOUT};
    long long t0 = ms_now();
    assert_int_equal(WSAPoll(&p, 1, 10000), 1);
    assert_true(ms_now() - t0 < 9000);
    assert_true(p.revents & POLLERR);
    assert_true(p.revents & POLLHUP);
    int err = 0, len = sizeof err;
    assert_int_equal(wsp_getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &len), 0);
    assert_int_equal(err, WSAECONNREFUSED);
    closesocket(s);
}

/* WSAPOLLFD page: POLLERR/POLLHUP are output-only and reported with events
 * 0 as well. */
static void poll_no_events_still_reports_err(void **state)
{
    (void)state;
    SOCKET s = refused_connect();
    WSAPOLLFD p = {.fd = s, .events = 0};
    assert_int_equal(WSAPoll(&p, 1, 10000), 1);
    assert_true(p.revents & POLLERR);
    closesocket(s);
}

/* A connection reset by the peer (SO_LINGER 0 close): POLLHUP to a caller
 * that asked for POLLOUT only ("a stream-oriented connection was either
 * disconnected or aborted", WSAPOLLFD page). */
static void poll_reset_reports_hup(void **state)
{
    (void)state;
    SOCKET l = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a = lo4(0);
    int len = sizeof a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&a, &len), 0);
    SOCKET c = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&a, sizeof a), 0);
    SOCKET s = wsp_accept(l, NULL, NULL);
    assert_true(s != INVALID_SOCKET);
    struct linger lg = {1, 0};
    assert_int_equal(wsp_setsockopt(s, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof lg), 0);
    closesocket(s); /* RST */
    WSAPOLLFD p = {.fd = c, .events = POLLOUT};
    assert_int_equal(WSAPoll(&p, 1, 10000), 1);
    assert_true(p.revents & POLLHUP);
    closesocket(c);
    closesocket(l);
}

/* A healthy connected socket: nothing unasked is reported. */
static void poll_healthy_reports_only_asked(void **state)
{
    (void)state;
    SOCKET l = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a = lo4(0);
    int len = sizeof a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&a, &len), 0);
    SOCKET c = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&a, sizeof a), 0);
    WSAPOLLFD p[2] = {{.fd = c, .events = POLLOUT}, {.fd = l, .events = 0}};
    assert_int_equal(WSAPoll(p, 2, 0), 1);
    assert_int_equal(p[0].revents, POLLOUT);
    assert_int_equal(p[1].revents, 0);
    closesocket(c);
    closesocket(l);
}

/* WSAPOLLFD page: POLLNVAL, "the socket used is invalid". */
static void poll_bad_handle_is_nval(void **state)
{
    (void)state;
    SOCKET s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    closesocket(s);
    WSAPOLLFD p = {.fd = s, .events = POLLIN};
    assert_int_equal(WSAPoll(&p, 1, 1000), 1);
    assert_int_equal(p.revents, POLLNVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(poll_failed_connect_reports_err_hup),
        cmocka_unit_test(poll_no_events_still_reports_err),
        cmocka_unit_test(poll_reset_reports_hup),
        cmocka_unit_test(poll_healthy_reports_only_asked),
        cmocka_unit_test(poll_bad_handle_is_nval),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
