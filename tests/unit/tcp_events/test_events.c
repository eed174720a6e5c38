/* SPDX-License-Identifier: MIT */
/* tcp provider: WSPEventSelect / WSPEnumNetworkEvents through the watcher
 * thread and the WPUSetEvent upcall.  Every wait is on the event itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"

static struct conf_ctx ctx4 = {&tcp_fixtures[0], &conf_level_spi};
static struct conf_ctx ctxu = {&tcp_fixtures[2], &conf_level_spi};
#define P (conf_spi_procs())

/* Wait and enumerate until all of `want` have been reported; returns the
 * union seen, errors in err[]. */
static LONG wait_for(SOCKET s, WSAEVENT ev, LONG want, int err[FD_MAX_EVENTS])
{
    LONG seen = 0;
    memset(err, 0, sizeof(int) * FD_MAX_EVENTS);
    while ((seen & want) != want) {
        conf_spi_event_wait(ev);
        WSANETWORKEVENTS ne;
        int e = 0;
        assert_int_equal(P->lpWSPEnumNetworkEvents(s, ev, &ne, &e), 0);
        for (int i = 0; i < FD_MAX_EVENTS; i++)
            if (ne.lNetworkEvents & (1 << i))
                err[i] = ne.iErrorCode[i];
        seen |= ne.lNetworkEvents;
    }
    return seen;
}

static void tcp_events_accept(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0, codes[FD_MAX_EVENTS];
    SOCKET l = conf_listener(&ctx4, 4, &ss, &len);
    WSAEVENT ev = conf_spi_event_new();
    assert_int_equal(P->lpWSPEventSelect(l, ev, FD_ACCEPT, &err), 0);
    SOCKET c = conf_socket(&ctx4);
    assert_int_equal(ctx4.lv->connect(c, (struct sockaddr *)&ss, len, &err), 0);
    assert_true(wait_for(l, ev, FD_ACCEPT, codes) & FD_ACCEPT);
    assert_int_equal(codes[FD_ACCEPT_BIT], 0);
    assert_false(conf_spi_event_is_set(ev));      /* enumeration reset it */
    SOCKET s = ctx4.lv->accept(l, NULL, 0, &err); /* the listener is non-blocking now */
    assert_true(s != INVALID_SOCKET);
    conf_close(&ctx4, s);
    conf_close(&ctx4, c);
    conf_close(&ctx4, l);
    conf_spi_event_free(ev);
}

static void tcp_events_connect_and_write(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0, codes[FD_MAX_EVENTS];
    SOCKET l = conf_listener(&ctx4, 4, &ss, &len);
    SOCKET c = conf_socket(&ctx4);
    WSAEVENT ev = conf_spi_event_new();
    assert_int_equal(P->lpWSPEventSelect(c, ev, FD_CONNECT | FD_WRITE, &err), 0);
    int rc = ctx4.lv->connect(c, (struct sockaddr *)&ss, len, &err);
    assert_true(rc == 0 || err == WSAEWOULDBLOCK);
    LONG seen = wait_for(c, ev, FD_CONNECT | FD_WRITE, codes);
    assert_true(seen & FD_CONNECT);
    assert_int_equal(codes[FD_CONNECT_BIT], 0);
    conf_send_all(&ctx4, c, "w", 1); /* connected now */
    conf_close(&ctx4, c);
    conf_close(&ctx4, l);
    conf_spi_event_free(ev);
}

static void tcp_events_connect_refused(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0, codes[FD_MAX_EVENTS];
    SOCKET l = conf_listener(&ctx4, 4, &ss, &len);
    conf_close(&ctx4, l); /* nobody listens on that port any more */
    SOCKET c = conf_socket(&ctx4);
    WSAEVENT ev = conf_spi_event_new();
    assert_int_equal(P->lpWSPEventSelect(c, ev, FD_CONNECT, &err), 0);
    int rc = ctx4.lv->connect(c, (struct sockaddr *)&ss, len, &err);
    if (rc != 0 && err == WSAEWOULDBLOCK) {
        wait_for(c, ev, FD_CONNECT, codes);
        assert_int_equal(codes[FD_CONNECT_BIT], WSAECONNREFUSED);
    } else {
        assert_int_equal(err, WSAECONNREFUSED); /* refused synchronously */
    }
    conf_close(&ctx4, c);
    conf_spi_event_free(ev);
}

static void tcp_events_read_and_close(void **state)
{
    (void)state;
    SOCKET a, b;
    int err = 0, codes[FD_MAX_EVENTS];
    conf_pair(&ctx4, &a, &b);
    WSAEVENT ev = conf_spi_event_new();
    assert_int_equal(P->lpWSPEventSelect(a, ev, FD_READ | FD_CLOSE, &err), 0);
    conf_send_all(&ctx4, b, "r", 1);
    assert_true(wait_for(a, ev, FD_READ, codes) & FD_READ);
    char c;
    assert_int_equal(ctx4.lv->recv(a, &c, 1, &err), 1);
    conf_disconnect_ok(&ctx4, b);
    assert_true(wait_for(a, ev, FD_CLOSE, codes) & FD_CLOSE);
    assert_int_equal(codes[FD_CLOSE_BIT], 0);
    /* Cancelling: the socket stays non-blocking (Winsock), no more events. */
    assert_int_equal(P->lpWSPEventSelect(a, NULL, 0, &err), 0);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
    conf_spi_event_free(ev);
}

static void tcp_events_force_nonblocking(void **state)
{
    (void)state;
    SOCKET a, b;
    int err = 0;
    conf_pair(&ctx4, &a, &b);
    WSAEVENT ev = conf_spi_event_new();
    assert_int_equal(P->lpWSPEventSelect(a, ev, FD_READ, &err), 0);
    char c;
    assert_int_equal(ctx4.lv->recv(a, &c, 1, &err), -1);
    assert_int_equal(err, WSAEWOULDBLOCK);
    /* Winsock: no way back to blocking while events are selected. */
    assert_int_equal(ctx4.lv->fionbio(a, 0, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
    conf_spi_event_free(ev);
}

/* Winsock re-enables FD_ACCEPT/FD_READ on accept/recv: input that was
 * already queued is reported again, not only new arrivals. */
static void tcp_events_reenabled_after_accept(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0, codes[FD_MAX_EVENTS];
    SOCKET l = conf_listener(&ctx4, 4, &ss, &len);
    SOCKET c1 = conf_socket(&ctx4), c2 = conf_socket(&ctx4);
    assert_int_equal(ctx4.lv->connect(c1, (struct sockaddr *)&ss, len, &err), 0);
    assert_int_equal(ctx4.lv->connect(c2, (struct sockaddr *)&ss, len, &err), 0);
    WSAEVENT ev = conf_spi_event_new();
    assert_int_equal(P->lpWSPEventSelect(l, ev, FD_ACCEPT, &err), 0);
    wait_for(l, ev, FD_ACCEPT, codes);
    SOCKET s1 = ctx4.lv->accept(l, NULL, 0, &err);
    assert_true(s1 != INVALID_SOCKET);
    wait_for(l, ev, FD_ACCEPT, codes); /* the second one is still queued */
    SOCKET s2 = ctx4.lv->accept(l, NULL, 0, &err);
    assert_true(s2 != INVALID_SOCKET);
    SOCKET all[] = {s1, s2, c1, c2, l};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        conf_close(&ctx4, all[i]);
    conf_spi_event_free(ev);
}

static void tcp_events_udp_read_reenabled(void **state)
{
    (void)state;
    const struct conf_ctx cu = ctxu;
    SOCKET a, b;
    int err = 0, codes[FD_MAX_EVENTS];
    conf_pair(&cu, &a, &b);
    conf_send_all(&cu, a, "1", 1);
    conf_send_all(&cu, a, "2", 1);
    WSAEVENT ev = conf_spi_event_new();
    /* Both datagrams are queued before the selection: one edge at most. */
    wsp_fd_set rs = {1, {b}};
    assert_int_equal(P->lpWSPSelect(0, &rs, NULL, NULL, NULL, &err), 1);
    assert_int_equal(P->lpWSPEventSelect(b, ev, FD_READ, &err), 0);
    char c[8]; /* larger than the datagrams: each recv leaves the buffer part empty */
    for (char want = '1'; want <= '2'; want++) {
        wait_for(b, ev, FD_READ, codes);
        int n = cu.lv->recv(b, c, sizeof c, &err);
        if (n < 0) { /* the second datagram may still be on its way */
            assert_int_equal(err, WSAEWOULDBLOCK);
            want--;
            continue;
        }
        assert_int_equal(n, 1);
        assert_int_equal(c[0], want);
    }
    conf_close(&cu, a);
    conf_close(&cu, b);
    conf_spi_event_free(ev);
}

#define T(fn) cmocka_unit_test_prestate_setup_teardown(fn, conf_setup, conf_teardown, &ctx4)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(tcp_events_accept),
        T(tcp_events_connect_and_write),
        T(tcp_events_connect_refused),
        T(tcp_events_read_and_close),
        T(tcp_events_force_nonblocking),
        T(tcp_events_reenabled_after_accept),
        cmocka_unit_test_prestate_setup_teardown(tcp_events_udp_read_reenabled, conf_setup,
                                                 conf_teardown, &ctxu),
    };
    return cmocka_run_group_tests_name("tcp_events", tests, NULL, NULL);
}
