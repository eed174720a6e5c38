/* SPDX-License-Identifier: MIT */
/* ovl_pair.h's fixture, pair and port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "ovl_pair.h"

int ovl_pair_setup(void **state)
{
    (void)state;
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    return 0;
}

int ovl_pair_teardown(void **state)
{
    (void)state;
    assert_int_equal(WSACleanup(), 0);
    return 0;
}

void ovl_pair(SOCKET *c, SOCKET *a)
{
    SOCKET l = WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&sa, &len), 0);
    *c = WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(*c != INVALID_SOCKET);
    assert_int_equal(wsp_connect(*c, (struct sockaddr *)&sa, sizeof sa), 0);
    *a = wsp_accept(l, NULL, NULL); /* overlapped, as an accepted socket on Windows */
    assert_true(*a != INVALID_SOCKET);
    assert_int_equal(closesocket(l), 0);
}

HANDLE ovl_port_for(SOCKET s, ULONG_PTR key)
{
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_non_null(port);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)(uintptr_t)s, port, key, 0), port);
    return port;
}
