/* SPDX-License-Identifier: MIT */
/* Microsoft's extension functions on tcp sockets through the real API
 * (libwsp + wsp_tcp.so over loopback): the cases of ../ext_cases over tcp,
 * and tcp's own (UDP names).  docs/providers-tcp.md "Extension functions". */
#include <arpa/inet.h>
#include <string.h>

#include "unit/ext_cases/ext_cases.h"

const struct ext_fixture ext_fx = {
    .type = SOCK_STREAM,
    .protocol = IPPROTO_TCP,
    .other_type = SOCK_SEQPACKET,
    .other_protocol = WSP_PROTO_ITOT,
    .messages = false,
    .disc_data = false,
};

/* UDP: WSASendMsg to lpMsg->name, WSARecvMsg gives the sender in name. */
static void udp_msg_names(void **state)
{
    (void)state;
    SOCKET a = WSASocketA(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKET b = WSASocketA(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(a != INVALID_SOCKET && b != INVALID_SOCKET);
    struct sockaddr_in la = loopback(), lb = loopback();
    int len = sizeof la;
    assert_int_equal(wsp_bind(a, (struct sockaddr *)&la, len), 0);
    assert_int_equal(wsp_bind(b, (struct sockaddr *)&lb, len), 0);
    assert_int_equal(wsp_getsockname(a, (struct sockaddr *)&la, &len), 0);
    len = sizeof lb;
    assert_int_equal(wsp_getsockname(b, (struct sockaddr *)&lb, &len), 0);
    struct fns f = load(a);
    char d[] = "datagram";
    WSABUF sb = {8, d};
    WSAMSG sm = {
        .name = (LPSOCKADDR)&lb, .namelen = sizeof lb, .lpBuffers = &sb, .dwBufferCount = 1};
    DWORD n = 0;
    assert_int_equal(f.send_msg(a, &sm, 0, &n, NULL, NULL), 0);
    assert_int_equal(n, 8);
    char buf[32], ctl[64];
    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    WSABUF rb = {sizeof buf, buf};
    WSAMSG rm = {.name = (LPSOCKADDR)&from,
                 .namelen = sizeof from,
                 .lpBuffers = &rb,
                 .dwBufferCount = 1,
                 .Control = {sizeof ctl, ctl}};
    assert_int_equal(f.recv_msg(b, &rm, &n, NULL, NULL), 0);
    assert_int_equal(n, 8);
    assert_memory_equal(buf, "datagram", 8);
    assert_int_equal(rm.namelen, sizeof from);
    assert_int_equal(from.sin_port, la.sin_port);
    assert_int_equal(from.sin_addr.s_addr, la.sin_addr.s_addr);
    assert_int_equal(rm.Control.len, 0); /* IP_PKTINFO is not set: no control message */
    closesocket(a);
    closesocket(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        EXT_CASES,
        cmocka_unit_test(udp_msg_names),
    };
    return cmocka_run_group_tests(tests, ext_setup, ext_teardown);
}
