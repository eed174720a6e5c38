/* SPDX-License-Identifier: MIT */
/* tcp provider: the data path, receive-side shutdown, connect refusals and
 * WSPSelect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"

static struct conf_ctx ctx4 = {&tcp_fixtures[0], &conf_level_spi};
static struct conf_ctx ctxu = {&tcp_fixtures[2], &conf_level_spi};
static struct conf_ctx ctxu6 = {&tcp_fixtures[3], &conf_level_spi};
#define P (conf_spi_procs())

static void tcp_data_gather_send_and_peek(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    char p1[] = "abc", p2[] = "defg";
    WSABUF out[2] = {{3, p1}, {4, p2}};
    DWORD n = 0, flags;
    int err = 0;
    assert_int_equal(P->lpWSPSend(a, out, 2, &n, 0, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, 7);
    char got[8] = {0};
    WSABUF in = {7, got};
    size_t have = 0;
    flags = 0x2; /* MSG_PEEK: wait until all 7 are there, without consuming */
    while (have < 7) {
        assert_int_equal(P->lpWSPRecv(b, &in, 1, &n, &flags, NULL, NULL, NULL, &err), 0);
        have = n;
        flags = 0x2;
    }
    assert_memory_equal(got, "abcdefg", 7);
    memset(got, 0, sizeof got);
    flags = 0;
    assert_int_equal(P->lpWSPRecv(b, &in, 1, &n, &flags, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, 7); /* the peeked bytes are still there */
    assert_memory_equal(got, "abcdefg", 7);
    flags = 0x8000; /* MSG_PARTIAL */
    assert_int_equal(P->lpWSPRecv(b, &in, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEOPNOTSUPP);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

static void tcp_data_not_connected(void **state)
{
    (void)state;
    SOCKET s = conf_socket(&ctx4);
    int err = 0;
    char c = 0;
    assert_int_equal(ctx4.lv->send(s, &c, 1, &err), -1);
    assert_int_equal(err, WSAENOTCONN);
    assert_int_equal(ctx4.lv->recv(s, &c, 1, &err), -1);
    assert_int_equal(err, WSAENOTCONN);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    assert_int_equal(ctx4.lv->getsockname(s, (struct sockaddr *)&ss, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL); /* Winsock: not bound yet */
    conf_close(&ctx4, s);
}

static void tcp_data_shutdown_receive(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    int err = 0;
    assert_int_equal(P->lpWSPShutdown(a, SD_RECEIVE, &err), 0);
    char c;
    assert_int_equal(ctx4.lv->recv(a, &c, 1, &err), -1);
    assert_int_equal(err, WSAESHUTDOWN);
    conf_send_all(&ctx4, a, "s", 1); /* sending is untouched */
    assert_int_equal(ctx4.lv->recv(b, &c, 1, &err), 1);
    assert_int_equal(P->lpWSPShutdown(a, 7, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    assert_int_equal(P->lpWSPShutdown(a, SD_BOTH, &err), 0);
    assert_int_equal(ctx4.lv->send(a, "s", 1, &err), -1);
    assert_int_equal(err, WSAESHUTDOWN);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

static void tcp_data_recv_disconnect(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    int err = 0;
    char buf[16];
    WSABUF in = {sizeof buf, buf};
    assert_int_equal(P->lpWSPRecvDisconnect(a, &in, &err), 0);
    assert_int_equal(in.len, 0); /* never any inbound disconnect data on TCP */
    char c;
    assert_int_equal(ctx4.lv->recv(a, &c, 1, &err), -1);
    assert_int_equal(err, WSAESHUTDOWN);
    SOCKET n = conf_socket(&ctx4);
    assert_int_equal(P->lpWSPRecvDisconnect(n, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOTCONN);
    conf_close(&ctx4, n);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

/* C12 as this provider resolves it: WSAEISCONN while releasing, WSAEINVAL
 * once released. */
static void tcp_data_connect_after_disconnect(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = conf_listener(&ctx4, 4, &ss, &len);
    conf_disconnect_ok(&ctx4, a);
    assert_int_equal(ctx4.lv->connect(a, (struct sockaddr *)&ss, len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEISCONN);
    conf_close(&ctx4, b);
    char c;
    assert_int_equal(ctx4.lv->recv(a, &c, 1, &err), 0);
    assert_int_equal(ctx4.lv->connect(a, (struct sockaddr *)&ss, len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    conf_close(&ctx4, a);
    conf_close(&ctx4, l);
}

static void tcp_data_udp_sendto_recvfrom(void **state)
{
    const struct conf_ctx *c = *state;
    struct sockaddr_storage sa, sb, from;
    int alen, blen, err = 0;
    SOCKET a = conf_socket(c), b = conf_socket(c);
    c->fx->loopback(&sa, &alen);
    c->fx->loopback(&sb, &blen);
    assert_int_equal(c->lv->bind(a, (struct sockaddr *)&sa, alen, &err), 0);
    assert_int_equal(c->lv->bind(b, (struct sockaddr *)&sb, blen, &err), 0);
    alen = blen = sizeof sa;
    assert_int_equal(c->lv->getsockname(a, (struct sockaddr *)&sa, &alen, &err), 0);
    assert_int_equal(c->lv->getsockname(b, (struct sockaddr *)&sb, &blen, &err), 0);

    char msg[] = "datagram";
    WSABUF out = {sizeof msg, msg};
    DWORD n = 0, flags = 0;
    assert_int_equal(
        P->lpWSPSendTo(a, &out, 1, &n, 0, (struct sockaddr *)&sb, blen, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, sizeof msg);
    char got[32];
    WSABUF in = {sizeof got, got};
    int flen = sizeof from;
    assert_int_equal(P->lpWSPRecvFrom(b, &in, 1, &n, &flags, (struct sockaddr *)&from, &flen, NULL,
                                      NULL, NULL, &err),
                     0);
    assert_int_equal(n, sizeof msg);
    assert_memory_equal(got, msg, sizeof msg);
    assert_int_equal(flen, alen);
    assert_memory_equal(&from, &sa, (size_t)alen);

    /* A datagram larger than the buffer: Winsock's WSAEMSGSIZE. */
    assert_int_equal(
        P->lpWSPSendTo(a, &out, 1, &n, 0, (struct sockaddr *)&sb, blen, NULL, NULL, NULL, &err), 0);
    WSABUF tiny = {3, got};
    flags = 0;
    assert_int_equal(P->lpWSPRecv(b, &tiny, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEMSGSIZE);
    conf_close(c, a);
    conf_close(c, b);
}

static void tcp_data_select(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    int err = 0;
    struct timeval zero = {0, 0};
    wsp_fd_set rs = {1, {a}}, ws = {1, {a}};
    assert_int_equal(P->lpWSPSelect(0, &rs, &ws, NULL, &zero, &err), 1);
    assert_int_equal(rs.fd_count, 0); /* nothing to read yet */
    assert_int_equal(ws.fd_count, 1);
    assert_true(ws.fd_array[0] == a);
    conf_send_all(&ctx4, b, "x", 1);
    rs = (wsp_fd_set){1, {a}};
    assert_int_equal(P->lpWSPSelect(0, &rs, NULL, NULL, NULL, &err), 1);
    assert_true(rs.fd_array[0] == a);
    rs = (wsp_fd_set){1, {(SOCKET)0x7ffff3a2}};
    assert_int_equal(P->lpWSPSelect(0, &rs, NULL, NULL, &zero, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

/* A refused non-blocking connect does not leave the socket stuck "pending":
 * it may connect again. */
static void tcp_data_connect_after_refused(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = conf_listener(&ctx4, 4, &ss, &len);
    conf_close(&ctx4, l); /* nobody listens there now */
    SOCKET s = conf_socket(&ctx4);
    assert_int_equal(ctx4.lv->fionbio(s, 1, &err), 0);
    int rc = ctx4.lv->connect(s, (struct sockaddr *)&ss, len, &err);
    assert_true(rc == SOCKET_ERROR && (err == WSAEWOULDBLOCK || err == WSAECONNREFUSED));
    /* Wait for the outcome: the exception set reports a failed connect. */
    wsp_fd_set es = {1, {s}};
    assert_int_equal(P->lpWSPSelect(0, NULL, NULL, &es, NULL, &err), 1);
    int so = -1, olen = sizeof so;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, (char *)&so, &olen, &err), 0);
    assert_int_equal(so, rc == SOCKET_ERROR && err == WSAECONNREFUSED ? 0 : WSAECONNREFUSED);
    l = conf_listener(&ctx4, 4, &ss, &len);
    assert_int_equal(ctx4.lv->fionbio(s, 0, &err), 0);
    assert_int_equal(ctx4.lv->connect(s, (struct sockaddr *)&ss, len, &err), 0);
    conf_close(&ctx4, s);
    conf_close(&ctx4, l);
}

#define T(fn, c) cmocka_unit_test_prestate_setup_teardown(fn, conf_setup, conf_teardown, c)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(tcp_data_gather_send_and_peek, &ctx4),     T(tcp_data_not_connected, &ctx4),
        T(tcp_data_shutdown_receive, &ctx4),         T(tcp_data_recv_disconnect, &ctx4),
        T(tcp_data_connect_after_disconnect, &ctx4), T(tcp_data_udp_sendto_recvfrom, &ctxu),
        T(tcp_data_udp_sendto_recvfrom, &ctxu6),     T(tcp_data_select, &ctx4),
        T(tcp_data_connect_after_refused, &ctx4),
    };
    return cmocka_run_group_tests_name("tcp_data", tests, NULL, NULL);
}
