/* SPDX-License-Identifier: MIT */
/* unsupported — SPI entries itot leaves out on purpose (WSAEOPNOTSUPP): window
 * messages, Winsock 1 blocking hooks, socket duplication across processes,
 * QoS and multipoint. */
#include "provider.h"

int WSPAPI itot_WSPAsyncSelect(SOCKET s, HWND hWnd, unsigned int wMsg, LONG lEvent, LPINT lpErrno)
{
    (void)s, (void)hWnd, (void)wMsg, (void)lEvent;
    int err = itot_guard();
    return spi_fail(lpErrno, err ? err : WSAEOPNOTSUPP);
}

int WSPAPI itot_WSPCancelBlockingCall(LPINT lpErrno)
{
    int err = itot_guard();
    return spi_fail(lpErrno, err ? err : WSAEOPNOTSUPP);
}

int WSPAPI itot_WSPDuplicateSocket(SOCKET s, DWORD pid, LPWSAPROTOCOL_INFOW info, LPINT lpErrno)
{
    (void)s, (void)pid, (void)info;
    int err = itot_guard();
    return spi_fail(lpErrno, err ? err : WSAEOPNOTSUPP);
}

BOOL WSPAPI itot_WSPGetQOSByName(SOCKET s, LPWSABUF name, LPQOS qos, LPINT lpErrno)
{
    (void)s, (void)name, (void)qos;
    int err = itot_guard();
    return spi_fail_bool(lpErrno, err ? err : WSAEOPNOTSUPP);
}

SOCKET WSPAPI itot_WSPJoinLeaf(SOCKET s, const struct sockaddr *name, int namelen, LPWSABUF caller,
                               LPWSABUF callee, LPQOS sqos, LPQOS gqos, DWORD flags, LPINT lpErrno)
{
    (void)s, (void)name, (void)namelen, (void)caller, (void)callee, (void)sqos, (void)gqos,
        (void)flags;
    int err = itot_guard();
    return spi_fail_socket(lpErrno, err ? err : WSAEOPNOTSUPP);
}
