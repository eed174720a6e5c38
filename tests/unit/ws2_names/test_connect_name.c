/* SPDX-License-Identifier: MIT */
/* WSAConnectByNameA/W and WSAConnectByList on loopback (numeric hosts and
 * "localhost" from /etc/hosts: no DNS). Error codes follow Microsoft's pages
 * for WSAConnectByNameA and WSAConnectByList ("Return value"). */
#define WSP_WINSOCK_NAMES
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wsp/mstcpip.h>
#include <wsp/winsock2.h>
#include <wsp/ws2tcpip.h>

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

/* A listener on the loopback of the family; its port (host order) in *port. */
static SOCKET listener(int family, u_short *port)
{
    SOCKET l = socket(family, SOCK_STREAM, IPPROTO_TCP);
    assert_true(l != INVALID_SOCKET);
    SOCKADDR_STORAGE ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_family = (ADDRESS_FAMILY)family;
    INETADDR_SETLOOPBACK((PSOCKADDR)&ss);
    int len = family == AF_INET6 ? (int)sizeof(SOCKADDR_IN6) : (int)sizeof(SOCKADDR_IN);
    assert_int_equal(bind(l, (SOCKADDR *)&ss, len), 0);
    assert_int_equal(listen(l, 4), 0);
    assert_int_equal(getsockname(l, (SOCKADDR *)&ss, &len), 0);
    *port = ntohs(INETADDR_PORT((PSOCKADDR)&ss));
    return l;
}

/* A loopback port with nobody listening: bound, then closed. */
static u_short closed_port(void)
{
    u_short port;
    SOCKET l = listener(AF_INET, &port);
    closesocket(l);
    return port;
}

static void cbn_by_name_v4(void **state)
{
    (void)state;
    u_short port;
    SOCKET l = listener(AF_INET, &port);
    char serv[8];
    snprintf(serv, sizeof serv, "%u", port);
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKADDR_STORAGE local, remote;
    DWORD llen = sizeof local, rlen = sizeof remote;
    assert_true(WSAConnectByNameA(s, "127.0.0.1", serv, &llen, (SOCKADDR *)&local, &rlen,
                                  (SOCKADDR *)&remote, NULL, NULL));
    assert_int_equal(rlen, sizeof(SOCKADDR_IN));
    assert_int_equal(ntohs(SS_PORT(&remote)), port);
    assert_true(INETADDR_ISLOOPBACK((PSOCKADDR)&remote));
    assert_int_equal(llen, sizeof(SOCKADDR_IN));
    assert_true(SS_PORT(&local) != 0);
    SOCKET a = accept(l, NULL, NULL);
    assert_true(a != INVALID_SOCKET);
    assert_int_equal(send(s, "x", 1, 0), 1);
    char c;
    assert_int_equal(recv(a, &c, 1, 0), 1);
    closesocket(a);
    closesocket(s);
    closesocket(l);
}

static void cbn_by_name_wide_timeout(void **state)
{
    (void)state;
    u_short port;
    SOCKET l = listener(AF_INET, &port);
    char serv[8];
    snprintf(serv, sizeof serv, "%u", port);
    WCHAR wserv[8];
    for (size_t i = 0; i < sizeof serv; i++)
        wserv[i] = (WCHAR)(unsigned char)serv[i];
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct timeval tv = {10, 0};
    assert_true(
        WSAConnectByNameW(s, (LPWSTR)u"localhost", wserv, NULL, NULL, NULL, NULL, &tv, NULL));
    SOCKET a = accept(l, NULL, NULL);
    assert_true(a != INVALID_SOCKET);
    /* left in blocking mode: a recv with nothing sent would wait, so send first */
    assert_int_equal(send(a, "y", 1, 0), 1);
    char c;
    assert_int_equal(recv(s, &c, 1, 0), 1);
    closesocket(a);
    closesocket(s);
    closesocket(l);
}

static void cbn_errors(void **state)
{
    (void)state;
    char serv[8];
    snprintf(serv, sizeof serv, "%u", closed_port());
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    /* Reserved must be NULL */
    assert_false(WSAConnectByNameA(s, "127.0.0.1", serv, NULL, NULL, NULL, NULL, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    /* nobody listening: the connect's own error */
    assert_false(WSAConnectByNameA(s, "127.0.0.1", serv, NULL, NULL, NULL, NULL, NULL, NULL));
    assert_int_equal(WSAGetLastError(), WSAECONNREFUSED);
    closesocket(s);
    assert_false(WSAConnectByNameA(s, "127.0.0.1", serv, NULL, NULL, NULL, NULL, NULL, NULL));
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
}

/* The list is tried in order: a refused address first, then the listener. */
static void cbn_by_list(void **state)
{
    (void)state;
    u_short port;
    SOCKET l = listener(AF_INET6, &port);
    SOCKADDR_IN6 refused, good;
    memset(&refused, 0, sizeof refused);
    refused.sin6_family = AF_INET6;
    INETADDR_SETLOOPBACK((PSOCKADDR)&refused);
    refused.sin6_port = htons(closed_port());
    good = refused;
    good.sin6_port = htons(port);
    struct {
        INT count;
        SOCKET_ADDRESS a[2];
    } list = {2, {{(LPSOCKADDR)&refused, sizeof refused}, {(LPSOCKADDR)&good, sizeof good}}};
    SOCKET s = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    SOCKADDR_IN6 remote;
    DWORD rlen = sizeof remote;
    assert_true(WSAConnectByList(s, (PSOCKET_ADDRESS_LIST)&list, NULL, NULL, &rlen,
                                 (SOCKADDR *)&remote, NULL, NULL));
    assert_int_equal(ntohs(remote.sin6_port), port);
    closesocket(s);
    closesocket(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cbn_by_name_v4),
        cmocka_unit_test(cbn_by_name_wide_timeout),
        cmocka_unit_test(cbn_errors),
        cmocka_unit_test(cbn_by_list),
    };
    return cmocka_run_group_tests_name("ws2_names_connect", tests, setup, teardown);
}
