/* SPDX-License-Identifier: MIT */
/* spi_unsupported — the SPI entries a provider module implements only to
 * refuse them (part of the provider kit: docs/writing-a-provider.md).
 *
 * The rule it enforces: WSPStartup hands back a complete table (ws2 refuses
 * a NULL entry), and a refused entry still runs the module's guard, so C8
 * and C9 hold for it too (WSAEINPROGRESS, WSAENETDOWN before anything
 * else); otherwise it fails with WSAEOPNOTSUPP through spi_fail*:
 *   WSPAsyncSelect       window messages do not exist on POSIX; WSPEventSelect
 *                        is the notification model
 *   WSPCancelBlockingCall  Winsock 1 blocking hooks are gone from 2.x
 *   WSPDuplicateSocket   handing a socket to another process needs descriptor
 *                        passing ws2 does not provide
 *   WSPGetQOSByName      no QoS templates (no XP1_QOS_SUPPORTED)
 *   WSPJoinLeaf          no multipoint sessions (no XP1_SUPPORT_MULTIPOINT)
 *
 * SPI_UNSUPPORTED_DEFINE(prefix) writes the five functions in one source
 * file of the module; prefix_guard() comes from SPI_CALL_DECLARE. */
#ifndef WSP_COMMON_SPI_UNSUPPORTED_H
#define WSP_COMMON_SPI_UNSUPPORTED_H

#include <wsp/ws2spi.h>

#include "common/spi_call.h"

/* The guard's code if it refuses, else WSAEOPNOTSUPP. */
static inline int spi_unsupported(int guard_err)
{
    return guard_err != 0 ? guard_err : WSAEOPNOTSUPP;
}

#define SPI_UNSUPPORTED_DEFINE(prefix)                                                             \
    int WSPAPI prefix##_WSPAsyncSelect(SOCKET s, HWND hWnd, unsigned int wMsg, LONG lEvent,        \
                                       LPINT lpErrno)                                              \
    {                                                                                              \
        (void)s, (void)hWnd, (void)wMsg, (void)lEvent;                                             \
        return spi_fail(lpErrno, spi_unsupported(prefix##_guard()));                               \
    }                                                                                              \
    int WSPAPI prefix##_WSPCancelBlockingCall(LPINT lpErrno)                                       \
    {                                                                                              \
        return spi_fail(lpErrno, spi_unsupported(prefix##_guard()));                               \
    }                                                                                              \
    int WSPAPI prefix##_WSPDuplicateSocket(SOCKET s, DWORD dwProcessId,                            \
                                           LPWSAPROTOCOL_INFOW lpProtocolInfo, LPINT lpErrno)      \
    {                                                                                              \
        (void)s, (void)dwProcessId, (void)lpProtocolInfo;                                          \
        return spi_fail(lpErrno, spi_unsupported(prefix##_guard()));                               \
    }                                                                                              \
    BOOL WSPAPI prefix##_WSPGetQOSByName(SOCKET s, LPWSABUF lpQOSName, LPQOS lpQOS, LPINT lpErrno) \
    {                                                                                              \
        (void)s, (void)lpQOSName, (void)lpQOS;                                                     \
        return spi_fail_bool(lpErrno, spi_unsupported(prefix##_guard()));                          \
    }                                                                                              \
    SOCKET WSPAPI prefix##_WSPJoinLeaf(SOCKET s, const struct sockaddr *name, int namelen,         \
                                       LPWSABUF lpCallerData, LPWSABUF lpCalleeData, LPQOS lpSQOS, \
                                       LPQOS lpGQOS, DWORD dwFlags, LPINT lpErrno)                 \
    {                                                                                              \
        (void)s, (void)name, (void)namelen, (void)lpCallerData, (void)lpCalleeData, (void)lpSQOS,  \
            (void)lpGQOS, (void)dwFlags;                                                           \
        return spi_fail_socket(lpErrno, spi_unsupported(prefix##_guard()));                        \
    }

#endif
