/* SPDX-License-Identifier: MIT */
/* What the tcp overlapped tests share: a WSAStartup/WSACleanup fixture, a
 * connected loopback pair (the client WSA_FLAG_OVERLAPPED, the accepted end
 * overlapped as on Windows), and a completion port associated with a
 * socket. Each asserts its steps (cmocka). */
#ifndef WSP_TEST_OVL_PAIR_H
#define WSP_TEST_OVL_PAIR_H

#include <wsp/winsock2.h>

int ovl_pair_setup(void **state);
int ovl_pair_teardown(void **state);
void ovl_pair(SOCKET *c, SOCKET *a);
HANDLE ovl_port_for(SOCKET s, ULONG_PTR key);

#endif
