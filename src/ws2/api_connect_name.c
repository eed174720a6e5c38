/* SPDX-License-Identifier: MIT */
/* WSAConnectByNameA/W and WSAConnectByList: try each address in turn with
 * the ordinary calls (connect, select, getsockname...), so every provider
 * serves them without an SPI entry of its own. */
#include <string.h>
#include <time.h>

#include <wsp/ws2tcpip.h>

#include "common/umem.h"
#include "lasterror.h"
#include "startup.h"
#include "ustr.h"

#define CBN_NAME_MAX 3300 /* NI_MAXHOST UTF-16 units as UTF-8 */

struct cbn_out {
    LPDWORD local_len, remote_len;
    LPSOCKADDR local, remote;
};

static long long cbn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SO_ERROR of s after its non-blocking connect signalled. */
static int cbn_so_error(SOCKET s)
{
    int v = 0, n = sizeof v;
    if (wsp_getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&v, &n) != 0)
        return WSAGetLastError();
    return v;
}

/* Wait until the pending connect of s completes or deadline_ms (-1: never).
 * 0 or a WSA code. */
static int cbn_wait(SOCKET s, long long deadline_ms)
{
    for (;;) {
        struct timeval tv, *tvp = NULL;
        if (deadline_ms >= 0) {
            long long left = deadline_ms - cbn_now_ms();
            if (left <= 0)
                return WSAETIMEDOUT;
            tv.tv_sec = (time_t)(left / 1000);
            tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
            tvp = &tv;
        }
        wsp_fd_set w, x;
        WSP_FD_ZERO(&w);
        WSP_FD_SET(s, &w);
        WSP_FD_ZERO(&x);
        WSP_FD_SET(s, &x);
        int n = wsp_select(0, NULL, &w, &x, tvp);
        if (n == SOCKET_ERROR)
            return WSAGetLastError();
        if (n > 0) {
            int err = cbn_so_error(s);
            /* SO_ERROR is consumed by some providers once reported; the
             * peer name then tells whether the connection stands */
            if (err == 0) {
                struct sockaddr_storage ss;
                int len = sizeof ss;
                if (wsp_getpeername(s, (struct sockaddr *)&ss, &len) != 0)
                    return WSAECONNREFUSED;
            }
            return err;
        }
    }
}

/* One address: 0 connected, else the WSA code of the failure. */
static int cbn_try(SOCKET s, const struct sockaddr *sa, int len, long long deadline_ms,
                   int nonblocking)
{
    if (wsp_connect(s, sa, len) == 0)
        return 0;
    int err = WSAGetLastError();
    if (!nonblocking || (err != WSAEWOULDBLOCK && err != WSAEINPROGRESS))
        return err;
    return cbn_wait(s, deadline_ms);
}

/* An address of s (getsockname or getpeername) into the caller's buffer. */
static int cbn_copy_name(SOCKET s, int peer, LPDWORD lenp, LPSOCKADDR out)
{
    if (lenp == NULL && out == NULL)
        return 0;
    DWORD cap;
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (umem_read(&cap, lenp, sizeof cap) != 0)
        return WSAEFAULT;
    int rc = peer ? wsp_getpeername(s, (struct sockaddr *)&ss, &len)
                  : wsp_getsockname(s, (struct sockaddr *)&ss, &len);
    if (rc != 0)
        return WSAGetLastError();
    DWORD need = (DWORD)len;
    if (cap < need || umem_write(out, &ss, need) != 0 || umem_write(lenp, &need, sizeof need) != 0)
        return WSAEFAULT;
    return 0;
}

/* Try count addresses (sa[i], lens[i]) in order; TRUE once one connects. */
static BOOL cbn_connect(SOCKET s, struct sockaddr *const *sa, const int *lens, int count,
                        const struct cbn_out *o, const struct timeval *timeout)
{
    long long deadline_ms = -1;
    int nonblocking = timeout != NULL;
    if (timeout != NULL) {
        struct timeval tv;
        if (umem_read(&tv, timeout, sizeof tv) != 0)
            return le_fail(WSAEFAULT), FALSE;
        deadline_ms = cbn_now_ms() + (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
        wsp_u_long on = 1;
        if (ioctlsocket(s, (long)WSP_FIONBIO, &on) != 0)
            return FALSE;
    }
    int err = WSAHOST_NOT_FOUND; /* an empty list reaches nobody */
    for (int i = 0; i < count && err != 0; i++) {
        err = cbn_try(s, sa[i], lens[i], deadline_ms, nonblocking);
        if (err == WSAETIMEDOUT || err == WSAENOTSOCK || err == WSAEISCONN)
            break;
    }
    if (nonblocking) {
        wsp_u_long off = 0;
        (void)ioctlsocket(s, (long)WSP_FIONBIO, &off);
    }
    if (err == 0)
        err = cbn_copy_name(s, 0, o->local_len, o->local);
    if (err == 0)
        err = cbn_copy_name(s, 1, o->remote_len, o->remote);
    if (err != 0) {
        le_set(err);
        return FALSE;
    }
    return TRUE;
}

/* Resolve for the socket's family (IPv6 sockets also get IPv4-mapped
 * addresses, tried after the IPv6 ones), then connect. */
static BOOL cbn_by_name(SOCKET s, const char *node, const char *serv, const struct cbn_out *o,
                        const struct timeval *timeout)
{
    WSAPROTOCOL_INFOW info;
    int n = sizeof info;
    if (wsp_getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info, &n) != 0)
        return FALSE;
    ADDRINFOA hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = info.iAddressFamily;
    hints.ai_socktype = info.iSocketType;
    hints.ai_protocol = info.iProtocol;
    if (info.iAddressFamily == AF_INET6)
        hints.ai_flags = WSP_AI_V4MAPPED | WSP_AI_ALL;
    PADDRINFOA res = NULL;
    int err = wsp_getaddrinfo(node, serv, &hints, &res);
    if (err != 0)
        return FALSE; /* wsp_getaddrinfo stored err */
    struct sockaddr *sa[64];
    int lens[64], count = 0;
    for (PADDRINFOA ai = res; ai != NULL && count < 64; ai = ai->ai_next) {
        sa[count] = ai->ai_addr;
        lens[count++] = (int)ai->ai_addrlen;
    }
    BOOL ok = cbn_connect(s, sa, lens, count, o, timeout);
    int saved = WSAGetLastError();
    wsp_freeaddrinfo(res);
    WSASetLastError(saved);
    return ok;
}

WSP_EXPORT BOOL WSAAPI WSAConnectByNameA(SOCKET s, LPCSTR nodename, LPCSTR servicename,
                                         LPDWORD LocalAddressLength, LPSOCKADDR LocalAddress,
                                         LPDWORD RemoteAddressLength, LPSOCKADDR RemoteAddress,
                                         const struct timeval *timeout, LPWSAOVERLAPPED Reserved)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED), FALSE;
    if (Reserved != NULL || nodename == NULL || servicename == NULL)
        return le_fail(WSAEINVAL), FALSE;
    struct cbn_out o = {LocalAddressLength, RemoteAddressLength, LocalAddress, RemoteAddress};
    return cbn_by_name(s, nodename, servicename, &o, timeout);
}

WSP_EXPORT BOOL WSAAPI WSAConnectByNameW(SOCKET s, LPWSTR nodename, LPWSTR servicename,
                                         LPDWORD LocalAddressLength, LPSOCKADDR LocalAddress,
                                         LPDWORD RemoteAddressLength, LPSOCKADDR RemoteAddress,
                                         const struct timeval *timeout, LPWSAOVERLAPPED Reserved)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED), FALSE;
    if (Reserved != NULL || nodename == NULL || servicename == NULL)
        return le_fail(WSAEINVAL), FALSE;
    char node[CBN_NAME_MAX], serv[CBN_NAME_MAX];
    int err = ustr_in_w(node, sizeof node, nodename);
    if (err == 0)
        err = ustr_in_w(serv, sizeof serv, servicename);
    if (err != 0)
        return le_fail(err), FALSE;
    struct cbn_out o = {LocalAddressLength, RemoteAddressLength, LocalAddress, RemoteAddress};
    return cbn_by_name(s, node, serv, &o, timeout);
}

WSP_EXPORT BOOL WSAAPI WSAConnectByList(SOCKET s, PSOCKET_ADDRESS_LIST SocketAddress,
                                        LPDWORD LocalAddressLength, LPSOCKADDR LocalAddress,
                                        LPDWORD RemoteAddressLength, LPSOCKADDR RemoteAddress,
                                        const struct timeval *timeout, LPWSAOVERLAPPED Reserved)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED), FALSE;
    INT count;
    if (Reserved != NULL)
        return le_fail(WSAEINVAL), FALSE;
    if (SocketAddress == NULL ||
        umem_read(&count, &SocketAddress->iAddressCount, sizeof count) != 0)
        return le_fail(WSAEFAULT), FALSE;
    if (count < 0 || count > 64)
        return le_fail(WSAEINVAL), FALSE;
    SOCKET_ADDRESS list[64];
    if (umem_read(list, SocketAddress->Address, (size_t)count * sizeof list[0]) != 0)
        return le_fail(WSAEFAULT), FALSE;
    struct sockaddr *sa[64];
    int lens[64];
    for (int i = 0; i < count; i++) {
        sa[i] = list[i].lpSockaddr;
        lens[i] = list[i].iSockaddrLength;
    }
    struct cbn_out o = {LocalAddressLength, RemoteAddressLength, LocalAddress, RemoteAddress};
    return cbn_connect(s, sa, lens, count, &o, timeout);
}
