/* SPDX-License-Identifier: MIT */
/* A base provider's extension functions called with a layered handle: the
 * base must see that the handle is not one of its own sockets (its context
 * is the layer's) and fail with WSAENOTSOCK, as for any handle that is not a
 * socket of the provider (docs/porting.md, "Extension functions"); taking the
 * layer's context for its own would corrupt memory. The trace layer answers
 * SIO_GET_EXTENSION_FUNCTION_POINTER with functions of its own (test
 * trace_ext), so the base's functions come from a socket of the base here and
 * are handed the layered socket, as a program that mixes the two would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wsp/mswsock.h>
#include <wsp/winsock2.h>

#include "../trace_layer/chain.h"

static struct chains ch;

static int group_setup(void **state)
{
    (void)state;
    if (chains_install(&ch) != 0)
        return -1;
    WSADATA wd;
    return WSAStartup(MAKEWORD(2, 2), &wd);
}

static int group_teardown(void **state)
{
    (void)state;
    WSACleanup();
    chains_remove(&ch);
    return 0;
}

static void *get_fn(SOCKET s, GUID g)
{
    void *fn = NULL;
    DWORD n = 0;
    assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof g, &fn, sizeof fn,
                              &n, NULL, NULL),
                     0);
    assert_non_null(fn);
    return fn;
}

static SOCKET sock_on(const WSAPROTOCOL_INFOW *pi)
{
    WSAPROTOCOL_INFOW copy = *pi;
    SOCKET s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &copy, 0,
                          WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    return s;
}

static void refused_on(const WSAPROTOCOL_INFOW *layered, DWORD base_id)
{
    WSAPROTOCOL_INFOW base;
    assert_int_equal(chains_find_entry(base_id, &base), 0);
    SOCKET bs = sock_on(&base), s = sock_on(layered);
    LPFN_DISCONNECTEX disc;
    LPFN_WSASENDMSG send_msg;
    LPFN_CONNECTEX conn;
    void *p = get_fn(bs, (GUID)WSAID_DISCONNECTEX);
    memcpy(&disc, &p, sizeof p);
    p = get_fn(bs, (GUID)WSAID_WSASENDMSG);
    memcpy(&send_msg, &p, sizeof p);
    p = get_fn(bs, (GUID)WSAID_CONNECTEX);
    memcpy(&conn, &p, sizeof p);
    assert_false(disc(s, NULL, 0, 0));
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    char d[1] = "x";
    WSABUF b = {1, d};
    WSAMSG m = {.lpBuffers = &b, .dwBufferCount = 1};
    DWORD n = 0;
    assert_int_equal(send_msg(s, &m, 0, &n, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    struct sockaddr_in to = {.sin_family = AF_INET};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    assert_false(conn(s, (struct sockaddr *)&to, sizeof to, NULL, 0, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    closesocket(s);
    closesocket(bs);
}

static void layered_tcp(void **state)
{
    (void)state;
    refused_on(&ch.tcp_info, 1001);
}

static void layered_itot(void **state)
{
    (void)state;
    refused_on(&ch.itot_info, 1005);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layered_tcp),
        cmocka_unit_test(layered_itot),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
