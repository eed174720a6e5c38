/* SPDX-License-Identifier: MIT */
/* wsp — the address helpers and keep-alive ioctl of Windows' mstcpip.h.
 *
 * The INETADDR_* helpers look at sa_family (AF_INET6 or else IPv4) and work
 * in place, as Windows' do; ports and addresses stay in network byte order. */
#ifndef WSP_MSTCPIP_H
#define WSP_MSTCPIP_H

#include <string.h>

#include "ws2ipdef.h"

#ifdef __cplusplus
extern "C" {
#endif

/* WSAIoctl codes: Windows' _WSAIOW(IOC_VENDOR, n) values. */
#define WSP_IOC_VENDOR 0x18000000u
#define SIO_KEEPALIVE_VALS (WSP_IOC_IN | WSP_IOC_VENDOR | 4u) /* 0x98000004 */

struct tcp_keepalive {
    ULONG onoff;
    ULONG keepalivetime;     /* milliseconds of idle before the first probe */
    ULONG keepaliveinterval; /* milliseconds between probes */
};

#define SS_PORT(ssp) (((PSOCKADDR_IN)(ssp))->sin_port)

static inline void IN4ADDR_SETANY(PSOCKADDR_IN a)
{
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_ANY);
}

static inline void IN4ADDR_SETLOOPBACK(PSOCKADDR_IN a)
{
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static inline void IN6ADDR_SETANY(PSOCKADDR_IN6 a)
{
    memset(a, 0, sizeof *a);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_any;
}

static inline void IN6ADDR_SETLOOPBACK(PSOCKADDR_IN6 a)
{
    memset(a, 0, sizeof *a);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
}

static inline void INETADDR_SETANY(PSOCKADDR a)
{
    if (a->sa_family == AF_INET6)
        IN6ADDR_SETANY((PSOCKADDR_IN6)(void *)a);
    else
        IN4ADDR_SETANY((PSOCKADDR_IN)(void *)a);
}

static inline void INETADDR_SETLOOPBACK(PSOCKADDR a)
{
    if (a->sa_family == AF_INET6)
        IN6ADDR_SETLOOPBACK((PSOCKADDR_IN6)(void *)a);
    else
        IN4ADDR_SETLOOPBACK((PSOCKADDR_IN)(void *)a);
}

static inline BOOL INETADDR_ISANY(const SOCKADDR *a)
{
    if (a->sa_family == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&((const SOCKADDR_IN6 *)(const void *)a)->sin6_addr);
    return ((const SOCKADDR_IN *)(const void *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
}

static inline BOOL INETADDR_ISLOOPBACK(const SOCKADDR *a)
{
    if (a->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const SOCKADDR_IN6 *)(const void *)a)->sin6_addr);
    /* the whole of 127.0.0.0/8, as Windows' IN4_IS_ADDR_LOOPBACK */
    return (((const SOCKADDR_IN *)(const void *)a)->sin_addr.s_addr & htonl(0xff000000u)) ==
           htonl(0x7f000000u);
}

/* Port in network byte order. */
static inline USHORT INETADDR_PORT(const SOCKADDR *a)
{
    if (a->sa_family == AF_INET6)
        return ((const SOCKADDR_IN6 *)(const void *)a)->sin6_port;
    return ((const SOCKADDR_IN *)(const void *)a)->sin_port;
}

static inline void INETADDR_SET_PORT(PSOCKADDR a, USHORT port)
{
    if (a->sa_family == AF_INET6)
        ((PSOCKADDR_IN6)(void *)a)->sin6_port = port;
    else
        ((PSOCKADDR_IN)(void *)a)->sin_port = port;
}

static inline const UCHAR *INETADDR_ADDRESS(const SOCKADDR *a)
{
    if (a->sa_family == AF_INET6)
        return (const UCHAR *)&((const SOCKADDR_IN6 *)(const void *)a)->sin6_addr;
    return (const UCHAR *)&((const SOCKADDR_IN *)(const void *)a)->sin_addr;
}

#ifdef __cplusplus
}
#endif
#endif
