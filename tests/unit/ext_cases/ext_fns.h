/* SPDX-License-Identifier: MIT */
/* The extension functions of a socket's provider (WSAIoctl with
 * SIO_GET_EXTENSION_FUNCTION_POINTER, each asserted to succeed), and
 * 127.0.0.1 with port 0. */
#ifndef WSP_TEST_EXT_FNS_H
#define WSP_TEST_EXT_FNS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <netinet/in.h>

#include <wsp/mswsock.h>
#include <wsp/winsock2.h>

struct fns {
    LPFN_ACCEPTEX accept_ex;
    LPFN_GETACCEPTEXSOCKADDRS sockaddrs;
    LPFN_CONNECTEX connect_ex;
    LPFN_DISCONNECTEX disconnect_ex;
    LPFN_WSARECVMSG recv_msg;
    LPFN_WSASENDMSG send_msg;
};
struct fns load(SOCKET s);
struct sockaddr_in loopback(void);
/* One function's pointer (asserted non-NULL, of a pointer's size). */
void *get_fn(SOCKET s, GUID g);

#endif
