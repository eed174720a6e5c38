/* SPDX-License-Identifier: MIT */
/* Sockets through a protocol chain [trace, base] (issue 10): WSASocket with
 * the chain's WSAPROTOCOL_INFOW reaches the trace layer, which passes every
 * call to the base provider and writes one line per call to $WSP_TRACE.
 *
 * Each case opens its own WSAStartup/WSACleanup cycle: trace is started at
 * the first socket on a chain and cleaned up by the last WSACleanup. Waits
 * are select() with a guard timeout on loopback, never sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsp/winsock2.h>

#include "chain.h"

#define GUARD_MS 5000

static SOCKET sock_on(const WSAPROTOCOL_INFOW *pi)
{
    WSAPROTOCOL_INFOW copy = *pi;
    return WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &copy, 0, 0);
}

static int readable(SOCKET s, int ms)
{
    wsp_fd_set r;
    WSP_FD_ZERO(&r);
    WSP_FD_SET(s, &r);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return wsp_select(0, &r, NULL, NULL, &tv) == 1;
}

static int writable(SOCKET s, int ms)
{
    wsp_fd_set w;
    WSP_FD_ZERO(&w);
    WSP_FD_SET(s, &w);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return wsp_select(0, NULL, &w, NULL, &tv) == 1;
}

/* A connected pair: client on cli's entry, the accepted end on srv's. The
 * connect is non-blocking: an itot connect completes only when the listener
 * accepts (its CC answers the CR), and this thread does both. */
static void pair(const WSAPROTOCOL_INFOW *cli, const WSAPROTOCOL_INFOW *srv, SOCKET *c, SOCKET *a)
{
    SOCKET l = sock_on(srv);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = wsp_htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&sa, &len), 0);
    *c = sock_on(cli);
    assert_true(*c != INVALID_SOCKET);
    wsp_u_long on = 1, off = 0;
    assert_int_equal(ioctlsocket(*c, WSP_FIONBIO, &on), 0);
    if (wsp_connect(*c, (struct sockaddr *)&sa, sizeof sa) != 0)
        assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    assert_true(readable(l, GUARD_MS));
    *a = wsp_accept(l, NULL, NULL);
    assert_true(*a != INVALID_SOCKET);
    assert_true(writable(*c, GUARD_MS));
    assert_int_equal(ioctlsocket(*c, WSP_FIONBIO, &off), 0);
    assert_int_equal(closesocket(l), 0);
}

static char *line_for(char *buf, size_t cap, const char *call, SOCKET s, const char *rest)
{
    snprintf(buf, cap, "%s s=%llu %s", call, (unsigned long long)s, rest);
    return buf;
}

/* 64 octets, ISO 8073's DR limit, sent through trace over itot: the peer gets
 * every one of them, and the trace records the call with 64 octets. */
static void expect_64_octets(SOCKET from, SOCKET to)
{
    char data[64], got[64 + 8];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7 + 1);
    WSABUF out = {sizeof data, data};
    assert_int_equal(WSASendDisconnect(from, &out), 0);

    assert_true(readable(to, GUARD_MS));
    WSABUF wb = {sizeof got, got};
    DWORD n = 0, flags = 0;
    /* the DR ends the stream: WSARecv says WSAEDISCON (graceful, with data) */
    assert_int_equal(WSARecv(to, &wb, 1, &n, &flags, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEDISCON);
    WSABUF in = {sizeof got, got};
    assert_int_equal(WSARecvDisconnect(to, &in), 0);
    assert_int_equal(in.len, sizeof data);
    assert_memory_equal(got, data, sizeof data);
}

static void itot_64_octets_through_trace(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW itot;
    assert_int_equal(chains_find_entry(1005, &itot), 0);
    SOCKET c, a;
    pair(&chains.itot_info, &itot, &c, &a); /* the client through trace */
    expect_64_octets(c, a);

    char *text = chains_trace_read(), line[128];
    assert_int_equal(chains_count_lines(text, line_for(line, sizeof line, "WSPSendDisconnect", c,
                                                       "result=0 error=0 disconnect=64\n")),
                     1);
    free(text);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
}

/* The same from the accepting side: WSPAccept through trace gives a layered
 * socket of the chain, whose disconnect data arrives too. */
static void itot_64_octets_from_accepted_layered_socket(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW itot;
    assert_int_equal(chains_find_entry(1005, &itot), 0);
    SOCKET c, a;
    pair(&itot, &chains.itot_info, &c, &a); /* the accepted end through trace */
    expect_64_octets(a, c);

    char *text = chains_trace_read(), line[128];
    assert_int_equal(
        chains_count_lines(text, line_for(line, sizeof line, "WSPAccept", a, "result=0 error=0\n")),
        1);
    assert_int_equal(chains_count_lines(text, line_for(line, sizeof line, "WSPSendDisconnect", a,
                                                       "result=0 error=0 disconnect=64\n")),
                     1);
    free(text);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
}

/* TCP has no disconnect data: through trace the answer is still
 * WSAENOPROTOOPT (WSASendDisconnect, Windows documentation: "The parameter
 * lpOutboundDisconnectData is not NULL, and the disconnect data is not
 * supported by the service provider"), and nothing happened: data still
 * flows both ways, no FIN reached the peer, and a plain WSASendDisconnect
 * afterwards half-closes as usual. */
static void tcp_data_noprotoopt_no_side_effect(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW tcp;
    assert_int_equal(chains_find_entry(1001, &tcp), 0);
    SOCKET c, a;
    pair(&chains.tcp_info, &tcp, &c, &a);
    char data[16] = "sixteen octets!";
    WSABUF out = {sizeof data, data};
    assert_int_equal(WSASendDisconnect(c, &out), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOPROTOOPT);

    assert_false(readable(a, 0)); /* no FIN, no data */
    char buf[8];
    assert_int_equal(wsp_send(c, "there", 5, 0), 5);
    assert_true(readable(a, GUARD_MS));
    assert_int_equal(wsp_recv(a, buf, sizeof buf, 0), 5);
    assert_memory_equal(buf, "there", 5);
    assert_int_equal(wsp_send(a, "back", 4, 0), 4);
    assert_true(readable(c, GUARD_MS));
    assert_int_equal(wsp_recv(c, buf, sizeof buf, 0), 4);

    assert_int_equal(WSASendDisconnect(c, NULL), 0);
    assert_true(readable(a, GUARD_MS));
    assert_int_equal(wsp_recv(a, buf, sizeof buf, 0), 0); /* now the FIN */

    char *text = chains_trace_read(), line[128];
    assert_int_equal(chains_count_lines(text, line_for(line, sizeof line, "WSPSendDisconnect", c,
                                                       "result=-1 error=10042\n")),
                     1);
    assert_int_equal(chains_count_lines(text, line_for(line, sizeof line, "WSPSendDisconnect", c,
                                                       "result=0 error=0 disconnect=0\n")),
                     1);
    assert_int_equal(chains_count_lines(text, line_for(line, sizeof line, "WSPSend", c,
                                                       "result=0 error=0 bytes=5\n")),
                     1);
    free(text);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
}

/* closesocket on a layered socket closes the socket under it, once: the peer
 * sees the end of the stream, the trace shows one WSPCloseSocket, and it
 * succeeded (a lower socket closed before, by anyone, would make it fail). A
 * second closesocket never reaches the layer (WSAENOTSOCK). */
static void close_closes_lower_once(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW tcp;
    assert_int_equal(chains_find_entry(1001, &tcp), 0);
    SOCKET c, a;
    pair(&chains.tcp_info, &tcp, &c, &a);
    assert_int_equal(closesocket(c), 0);
    char buf[4];
    assert_true(readable(a, GUARD_MS));
    assert_int_equal(wsp_recv(a, buf, sizeof buf, 0), 0);
    assert_int_equal(closesocket(c), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);

    char *text = chains_trace_read(), line[64];
    snprintf(line, sizeof line, "WSPCloseSocket s=%llu ", (unsigned long long)c);
    assert_int_equal(chains_count_lines(text, line), 1);
    assert_int_equal(chains_count_lines(text, line_for(line, sizeof line, "WSPCloseSocket", c,
                                                       "result=0 error=0\n")),
                     1);
    free(text);
    assert_int_equal(closesocket(a), 0);
}

/* closesocket while another thread is making calls on the same layered
 * socket: ws2 pins the handle for each call, and trace gives its handle back
 * (WPUCloseSocketHandle, which waits for the call in progress) before it
 * closes the socket under it. So the other thread's calls see the socket or
 * WSAENOTSOCK, never a half-closed one (ASan/TSan watch the memory), and the
 * lower socket is still closed once. */
struct sender {
    SOCKET s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned calls;
    int err; /* the error that ended the loop */
};

static void *sender_main(void *arg)
{
    struct sender *t = arg;
    char byte = 'x';
    for (;;) {
        WSABUF b = {1, &byte};
        DWORD n = 0;
        int rc = WSASend(t->s, &b, 1, &n, 0, NULL, NULL);
        int err = rc == 0 ? 0 : WSAGetLastError();
        pthread_mutex_lock(&t->mu);
        t->calls++;
        if (err != 0 && err != WSAEWOULDBLOCK)
            t->err = err;
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
        if (err != 0 && err != WSAEWOULDBLOCK)
            return NULL;
    }
}

static void close_while_another_thread_calls(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW tcp;
    assert_int_equal(chains_find_entry(1001, &tcp), 0);
    SOCKET c, a;
    pair(&chains.tcp_info, &tcp, &c, &a);
    wsp_u_long on = 1; /* the sender never blocks: a full buffer is WSAEWOULDBLOCK */
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &on), 0);
    struct sender t = {.s = c, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender_main, &t), 0);
    pthread_mutex_lock(&t.mu);
    while (t.calls < 200 && t.err == 0) /* the sender is well under way */
        pthread_cond_wait(&t.cv, &t.mu);
    pthread_mutex_unlock(&t.mu);
    assert_int_equal(closesocket(c), 0);
    pthread_join(th, NULL);
    /* Windows: a call on a closed socket is WSAENOTSOCK */
    assert_int_equal(t.err, WSAENOTSOCK);

    char *text = chains_trace_read(), line[64];
    snprintf(line, sizeof line, "WSPCloseSocket s=%llu ", (unsigned long long)c);
    assert_int_equal(chains_count_lines(text, line), 1);
    assert_int_equal(chains_count_lines(text, line_for(line, sizeof line, "WSPCloseSocket", c,
                                                       "result=0 error=0\n")),
                     1);
    free(text);
    assert_int_equal(closesocket(a), 0);
}

/* A layered socket left open at the last WSACleanup: ws2 closes it through
 * the layer (once, successfully: the socket under it was not closed first),
 * then WSPCleanup runs down the chain to the base provider. */
static void cleanup_closes_layered_then_runs_down(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW itot;
    assert_int_equal(chains_find_entry(1005, &itot), 0);
    SOCKET c, a;
    pair(&chains.itot_info, &itot, &c, &a);
    assert_int_equal(WSACleanup(), 0);

    char *text = chains_trace_read(), line[64];
    snprintf(line, sizeof line, "WSPCloseSocket s=%llu ", (unsigned long long)c);
    assert_int_equal(chains_count_lines(text, line), 1);
    assert_int_equal(chains_count_lines(text, line_for(line, sizeof line, "WSPCloseSocket", c,
                                                       "result=0 error=0\n")),
                     1);
    assert_int_equal(chains_count_lines(text, "WSPCleanup s=0 result=0"), 1);
    assert_int_equal(chains_count_lines(text, "WSPCleanup(next) s=0 result=0 error=0\n"), 1);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(itot_64_octets_through_trace, chains_case_setup,
                                        chains_case_teardown),
        cmocka_unit_test_setup_teardown(itot_64_octets_from_accepted_layered_socket,
                                        chains_case_setup, chains_case_teardown),
        cmocka_unit_test_setup_teardown(tcp_data_noprotoopt_no_side_effect, chains_case_setup,
                                        chains_case_teardown),
        cmocka_unit_test_setup_teardown(close_closes_lower_once, chains_case_setup,
                                        chains_case_teardown),
        cmocka_unit_test_setup_teardown(close_while_another_thread_calls, chains_case_setup,
                                        chains_case_teardown),
        cmocka_unit_test_setup_teardown(cleanup_closes_layered_then_runs_down, chains_case_setup,
                                        chains_case_teardown),
    };
    return cmocka_run_group_tests(tests, chains_group_setup, chains_group_teardown);
}
