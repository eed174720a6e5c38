/* SPDX-License-Identifier: MIT */
/* Creating, accepting and closing sockets. */
#include "api.h"
#include "catalog_enum.h"
#include "common/umem.h"
#include "loader.h"

static SOCKET api_socket_fail(int err)
{
    le_set(err);
    return INVALID_SOCKET;
}

/* Resolve the wildcards (0, FROM_PROTOCOL_INFO) to the entry's own values, so
 * that a provider always sees the concrete triple it is asked for. */
static int api_concrete(int v, int entry_value)
{
    return v == 0 || v == FROM_PROTOCOL_INFO ? entry_value : v;
}

static SOCKET api_socket_w(int af, int type, int protocol, const WSAPROTOCOL_INFOW *info, GROUP g,
                           DWORD dwFlags)
{
    if (!su_running())
        return api_socket_fail(WSANOTINITIALISED);
    struct cat_entry *e;
    int err = cat_match(af, type, protocol, info, &e);
    if (err == 0)
        err = ldr_ensure(e);
    if (err != 0)
        return api_socket_fail(err);
    WSAPROTOCOL_INFOW pi = e->info; /* a copy: the provider cannot alter the catalog */
    err = 0;
    SOCKET s = ldr_procs(e)->lpWSPSocket(
        api_concrete(af, pi.iAddressFamily), api_concrete(type, pi.iSocketType),
        api_concrete(protocol, pi.iProtocol), &pi, g, dwFlags, &err);
    if (s == INVALID_SOCKET)
        return api_socket_fail(err != 0 ? err : WSASYSCALLFAILURE);
    return s;
}

WSP_EXPORT SOCKET WSAAPI WSASocketW(int af, int type, int protocol,
                                    LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g, DWORD dwFlags)
{
    WSAPROTOCOL_INFOW info;
    if (lpProtocolInfo != NULL && umem_read(&info, lpProtocolInfo, sizeof info) != 0)
        return api_socket_fail(WSAEFAULT);
    return api_socket_w(af, type, protocol, lpProtocolInfo ? &info : NULL, g, dwFlags);
}

WSP_EXPORT SOCKET WSAAPI WSASocketA(int af, int type, int protocol,
                                    LPWSAPROTOCOL_INFOA lpProtocolInfo, GROUP g, DWORD dwFlags)
{
    WSAPROTOCOL_INFOA a;
    WSAPROTOCOL_INFOW w;
    if (lpProtocolInfo != NULL) {
        if (umem_read(&a, lpProtocolInfo, sizeof a) != 0)
            return api_socket_fail(WSAEFAULT);
        cat_info_a_to_w(&w, &a);
    }
    return api_socket_w(af, type, protocol, lpProtocolInfo ? &w : NULL, g, dwFlags);
}

WSP_EXPORT SOCKET WSAAPI wsp_socket(int af, int type, int protocol)
{
    return api_socket_w(af, type, protocol, NULL, 0, WSA_FLAG_OVERLAPPED);
}

WSP_EXPORT SOCKET WSAAPI WSAAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                                   LPCONDITIONPROC lpfnCondition, DWORD_PTR dwCallbackData)
{
    API_ENTER(s, INVALID_SOCKET);
    SOCKET ns = api_procs(&a)->lpWSPAccept(s, addr, addrlen, lpfnCondition, dwCallbackData, &err);
    hdl_unpin(s);
    if (ns == INVALID_SOCKET)
        return api_socket_fail(err != 0 ? err : WSASYSCALLFAILURE);
    return ns;
}

WSP_EXPORT SOCKET WSAAPI wsp_accept(SOCKET s, struct sockaddr *addr, int *addrlen)
{
    return WSAAccept(s, addr, addrlen, NULL, 0);
}

int api_close_handle(SOCKET s)
{
    void *owner;
    /* no pin is held across WSPCloseSocket: the provider's WPUCloseSocketHandle
     * waits for the pins of the other calls on s to drain */
    int err = hdl_close_begin(s, &owner);
    if (err != 0)
        return err;
    struct cat_entry *e = owner;
    err = 0;
    if (ldr_procs(e)->lpWSPCloseSocket(s, &err) != 0) {
        hdl_close_abort(s);
        return err != 0 ? err : WSASYSCALLFAILURE;
    }
    /* a provider that forgot WPUCloseSocketHandle must not leak the slot; when
     * it did call it, this is a no-op (the generation has moved on) */
    (void)hdl_close(s);
    return 0;
}

WSP_EXPORT int WSAAPI closesocket(SOCKET s)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    int err = api_close_handle(s);
    if (err != 0 && dbg_on() && err == WSAENOTSOCK)
        dbg_fail("closesocket", s, err); /* the provider's failures trace themselves */
    return err != 0 ? le_fail(err) : 0;
}
