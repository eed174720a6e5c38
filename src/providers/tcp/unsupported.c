/* SPDX-License-Identifier: MIT */
/* Entry points this provider deliberately does not implement.  Each one still
 * runs the common guard so C8/C9 hold for it too, then says why it refuses. */
#include "tcp.h"

/* Window messages do not exist on POSIX; WSPEventSelect is the notification
 * model here. */
int WSPAPI tcp_WSPAsyncSelect(SOCKET s, HWND hWnd, unsigned int wMsg, LONG lEvent, LPINT lpErrno)
{
    (void)s, (void)hWnd, (void)wMsg, (void)lEvent;
    int err = tcp_guard();
    return spi_fail(lpErrno, err ? err : WSAEOPNOTSUPP);
}

/* Winsock 1 blocking hooks are gone from 2.x; no call of ours is cancellable. */
int WSPAPI tcp_WSPCancelBlockingCall(LPINT lpErrno)
{
    int err = tcp_guard();
    return spi_fail(lpErrno, err ? err : WSAEOPNOTSUPP);
}

/* Handing a socket to another process needs descriptor passing the ws2 layer
 * does not provide yet. */
int WSPAPI tcp_WSPDuplicateSocket(SOCKET s, DWORD dwProcessId, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                  LPINT lpErrno)
{
    (void)s, (void)dwProcessId, (void)lpProtocolInfo;
    int err = tcp_guard();
    return spi_fail(lpErrno, err ? err : WSAEOPNOTSUPP);
}

/* No QoS templates: the catalog entries do not claim XP1_QOS_SUPPORTED. */
BOOL WSPAPI tcp_WSPGetQOSByName(SOCKET s, LPWSABUF lpQOSName, LPQOS lpQOS, LPINT lpErrno)
{
    (void)s, (void)lpQOSName, (void)lpQOS;
    int err = tcp_guard();
    return spi_fail_bool(lpErrno, err ? err : WSAEOPNOTSUPP);
}

/* Multipoint sessions: TCP/UDP entries do not claim XP1_SUPPORT_MULTIPOINT. */
SOCKET WSPAPI tcp_WSPJoinLeaf(SOCKET s, const struct sockaddr *name, int namelen,
                              LPWSABUF lpCallerData, LPWSABUF lpCalleeData, LPQOS lpSQOS,
                              LPQOS lpGQOS, DWORD dwFlags, LPINT lpErrno)
{
    (void)s, (void)name, (void)namelen, (void)lpCallerData, (void)lpCalleeData, (void)lpSQOS,
        (void)lpGQOS, (void)dwFlags;
    int err = tcp_guard();
    return spi_fail_socket(lpErrno, err ? err : WSAEOPNOTSUPP);
}
