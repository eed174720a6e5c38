/* SPDX-License-Identifier: MIT */
/* Microsoft's extension functions through the trace layer, on the chains
 * [trace, tcp] and [trace, itot], through the real API: the pointers come
 * from WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) on a LAYERED socket and
 * are called with layered sockets, so the layer must answer with functions
 * of its own that find the sockets under its handles (a layer that passed
 * the next provider's pointers up would hand that provider handles it does
 * not know: WSAENOTSOCK). Completions go to the port associated with the
 * layered sockets, as for the layer's other overlapped calls.
 *
 * Windows' rules the asserts follow: WSAIoctl (WSAEINVAL for a GUID the
 * provider does not know; WSAEFAULT for an output buffer too small);
 * AcceptEx (completes with the first data when dwReceiveDataLength > 0, on
 * the listening socket's port); ConnectEx (bound socket; its send buffer goes
 * after the connection is made); GetAcceptExSockaddrs; SO_UPDATE_ACCEPT_CONTEXT
 * with the listener's handle; DisconnectEx (graceful: the peer reads the end
 * after the data); WSASendMsg / WSARecvMsg; a function called with a socket
 * the provider does not own fails with WSAENOTSOCK. Waits are bounded
 * (WAIT_MS), never sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsp/mswsock.h>
#include <wsp/winsock2.h>

#include "../ext_cases/ext_fns.h"
#include "../trace_layer/chain.h"

#define WAIT_MS 10000u
#define BLK (sizeof(struct sockaddr_in) + 16)

struct chain_case {
    const WSAPROTOCOL_INFOW *layered; /* the chain's entry */
    DWORD base;                       /* the base entry under it */
    bool itot;                        /* the end of a stream is WSAEDISCON */
};
static struct chain_case over_tcp = {&chains.tcp_info, 1001, false};
static struct chain_case over_itot = {&chains.itot_info, 1005, true};

static SOCKET sock_on(const WSAPROTOCOL_INFOW *pi)
{
    WSAPROTOCOL_INFOW copy = *pi;
    SOCKET s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &copy, 0,
                          WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    return s;
}

static struct sockaddr_in bound(SOCKET s)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = wsp_htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    assert_int_equal(wsp_bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(wsp_getsockname(s, (struct sockaddr *)&sa, &len), 0);
    return sa;
}

/* An operation either completed at once (TRUE / 0) or is pending. */
static void started(bool ok)
{
    if (!ok)
        assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
}

/* The next packet of port: key, overlapped and bytes as expected. */
static void packet(HANDLE port, ULONG_PTR key, LPOVERLAPPED ov, DWORD bytes)
{
    DWORD n = 0;
    ULONG_PTR k = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(port, &n, &k, &got, WAIT_MS));
    assert_ptr_equal(got, ov);
    assert_int_equal(k, key);
    assert_int_equal(n, bytes);
}

/* The two packets of port, in whichever order they come. */
static void two_packets(HANDLE port, LPOVERLAPPED a, DWORD abytes, LPOVERLAPPED b, DWORD bbytes)
{
    bool seen_a = false, seen_b = false;
    for (int i = 0; i < 2; i++) {
        DWORD n = 0;
        ULONG_PTR k = 0;
        LPOVERLAPPED got = NULL;
        assert_true(GetQueuedCompletionStatus(port, &n, &k, &got, WAIT_MS));
        assert_true((got == a && !seen_a) || (got == b && !seen_b));
        assert_int_equal(n, got == a ? abytes : bbytes);
        assert_int_equal(k, (ULONG_PTR)got); /* each socket's key is its overlapped */
        seen_a |= got == a;
        seen_b |= got == b;
    }
}

static int trace_lines(const char *call, SOCKET s)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s s=%llu ", call, (unsigned long long)s);
    char *text = chains_trace_read();
    int n = chains_count_lines(text, prefix);
    free(text);
    return n;
}

/* AcceptEx on a layered listener and a layered accept socket, ConnectEx
 * with data from a layered client, both on one port associated with the
 * layered sockets; then WSASendMsg/WSARecvMsg and DisconnectEx. Everything
 * goes through the layer (the trace shows each call on our handles). */
static void accept_connect_msg_disconnect(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET l = sock_on(cc->layered), as = sock_on(cc->layered), c = sock_on(cc->layered);
    struct sockaddr_in la = bound(l);
    assert_int_equal(wsp_listen(l, 4), 0);
    struct sockaddr_in ca = bound(c);
    struct fns f = load(l);
    struct fns fc = load(c);
    assert_ptr_equal(f.connect_ex, fc.connect_ex); /* the layer's own, one per function */

    WSAOVERLAPPED ao, co, so, ro, dov;
    memset(&ao, 0, sizeof ao);
    memset(&co, 0, sizeof co);
    memset(&so, 0, sizeof so);
    memset(&ro, 0, sizeof ro);
    memset(&dov, 0, sizeof dov);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_non_null(port);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)(uintptr_t)l, port, (ULONG_PTR)&ao, 0), port);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)(uintptr_t)c, port, (ULONG_PTR)&co, 0), port);

    char out[5 + 2 * BLK];
    DWORD n = 0;
    started(f.accept_ex(l, as, out, 5, BLK, BLK, &n, &ao));
    started(fc.connect_ex(c, (struct sockaddr *)&la, sizeof la, "hello", 5, &n, &co));
    two_packets(port, &ao, 5, &co, 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(
        wsp_setsockopt(as, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (const char *)&l, sizeof l), 0);
    assert_int_equal(wsp_setsockopt(c, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0), 0);
    struct sockaddr *loc = NULL, *rem = NULL;
    int ll = 0, rl = 0;
    f.sockaddrs(out, 5, BLK, BLK, &loc, &ll, &rem, &rl);
    assert_int_equal(rl, sizeof ca);
    assert_int_equal(((struct sockaddr_in *)rem)->sin_port, ca.sin_port);
    assert_int_equal(((struct sockaddr_in *)loc)->sin_port, la.sin_port);

    /* WSASendMsg on the accepted socket, WSARecvMsg on the client: the
     * client's socket is on the port (key &co) */
    char in[16];
    WSABUF ib = {sizeof in, in}, ob = {6, "world!"};
    WSAMSG rm = {.lpBuffers = &ib, .dwBufferCount = 1};
    WSAMSG sm = {.lpBuffers = &ob, .dwBufferCount = 1};
    DWORD got = 0, sent = 0;
    int rc = fc.recv_msg(c, &rm, &got, &ro, NULL);
    started(rc == 0);
    assert_int_equal(f.send_msg(as, &sm, 0, &sent, NULL, NULL), 0);
    assert_int_equal(sent, 6);
    packet(port, (ULONG_PTR)&co, &ro, 6);
    assert_memory_equal(in, "world!", 6);

    /* DisconnectEx on the client: its completion on the port, and the
     * accepted end reads the end of the stream */
    started(fc.disconnect_ex(c, &dov, 0, 0));
    packet(port, (ULONG_PTR)&co, &dov, 0);
    DWORD fl = 0;
    got = 99;
    int r = WSARecv(as, &ib, 1, &got, &fl, NULL, NULL);
    if (cc->itot) { /* WSARecv: WSAEDISCON (recv would return 0) */
        assert_int_equal(r, SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSAEDISCON);
    } else {
        assert_int_equal(r, 0);
        assert_int_equal(got, 0);
    }

    /* the layer saw each call on its own handles */
    assert_int_equal(trace_lines("AcceptEx", l), 1);
    assert_int_equal(trace_lines("ConnectEx", c), 1);
    assert_int_equal(trace_lines("WSARecvMsg", c), 1);
    assert_int_equal(trace_lines("WSASendMsg", as), 1);
    assert_int_equal(trace_lines("DisconnectEx", c), 1);
    assert_true(CloseHandle(port));
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(as), 0);
    assert_int_equal(closesocket(l), 0);
}

/* What the layer refuses, as a provider would: a GUID nobody knows
 * (WSAEINVAL), an output buffer smaller than a pointer (WSAEFAULT), a socket
 * of the base provider handed to the layer's function (WSAENOTSOCK). */
static void refusals(void **state)
{
    const struct chain_case *cc = *state;
    SOCKET c = sock_on(cc->layered);
    GUID unknown = {0x12345678, 0x1234, 0x5678, {1, 2, 3, 4, 5, 6, 7, 8}};
    void *fn = NULL;
    DWORD n = 0;
    assert_int_equal(WSAIoctl(c, SIO_GET_EXTENSION_FUNCTION_POINTER, &unknown, sizeof unknown, &fn,
                              sizeof fn, &n, NULL, NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    GUID g = WSAID_CONNECTEX;
    char small[2];
    assert_int_equal(WSAIoctl(c, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof g, small,
                              sizeof small, &n, NULL, NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);

    struct fns f = load(c);
    WSAPROTOCOL_INFOW base;
    assert_int_equal(chains_find_entry(cc->base, &base), 0);
    SOCKET b = sock_on(&base);
    bound(b);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    assert_false(f.disconnect_ex(b, &ov, 0, 0));
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    assert_int_equal(closesocket(b), 0);
    assert_int_equal(closesocket(c), 0);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_prestate_setup_teardown(fn, chains_case_setup, chains_case_teardown,          \
                                             &over_tcp),                                           \
        cmocka_unit_test_prestate_setup_teardown(fn, chains_case_setup, chains_case_teardown,      \
                                                 &over_itot)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(accept_connect_msg_disconnect),
        BOTH(refusals),
    };
    return cmocka_run_group_tests(tests, chains_group_setup, chains_group_teardown);
}
