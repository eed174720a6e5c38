/* SPDX-License-Identifier: MIT */
/* The extension functions' pointers of a socket, and a loopback address:
 * what ext_cases.c and the tests that run extension functions through a
 * layer (trace_ext) share. */
#include <string.h>

#include "ext_fns.h"

struct sockaddr_in loopback(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

void *get_fn(SOCKET s, GUID g)
{
    void *fn = NULL;
    DWORD n = 0;
    assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof g, &fn, sizeof fn,
                              &n, NULL, NULL),
                     0);
    assert_int_equal(n, sizeof fn);
    assert_non_null(fn);
    return fn;
}

struct fns load(SOCKET s)
{
    struct fns f;
    void *p;
    p = get_fn(s, (GUID)WSAID_ACCEPTEX);
    memcpy(&f.accept_ex, &p, sizeof p);
    p = get_fn(s, (GUID)WSAID_GETACCEPTEXSOCKADDRS);
    memcpy(&f.sockaddrs, &p, sizeof p);
    p = get_fn(s, (GUID)WSAID_CONNECTEX);
    memcpy(&f.connect_ex, &p, sizeof p);
    p = get_fn(s, (GUID)WSAID_DISCONNECTEX);
    memcpy(&f.disconnect_ex, &p, sizeof p);
    p = get_fn(s, (GUID)WSAID_WSARECVMSG);
    memcpy(&f.recv_msg, &p, sizeof p);
    p = get_fn(s, (GUID)WSAID_WSASENDMSG);
    memcpy(&f.send_msg, &p, sizeof p);
    return f;
}
