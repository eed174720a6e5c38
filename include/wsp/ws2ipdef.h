/* SPDX-License-Identifier: MIT */
/* wsp — IPv6 names of Windows' ws2ipdef.h over the system's structures.
 *
 * SOCKADDR_IN6 is the system's struct sockaddr_in6 (same members as Windows',
 * sin6_scope_id included); SOCKADDR_INET is Windows' union of both families. */
#ifndef WSP_WS2IPDEF_H
#define WSP_WS2IPDEF_H

#include "winsock2.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct in6_addr IN6_ADDR, *PIN6_ADDR, *LPIN6_ADDR;
typedef struct sockaddr_in6 SOCKADDR_IN6, *PSOCKADDR_IN6, *LPSOCKADDR_IN6;
typedef struct sockaddr_in6 SOCKADDR_IN6_LH, *PSOCKADDR_IN6_LH;

typedef union _SOCKADDR_INET {
    SOCKADDR_IN Ipv4;
    SOCKADDR_IN6 Ipv6;
    ADDRESS_FAMILY si_family;
} SOCKADDR_INET, *PSOCKADDR_INET;

/* TCP keep-alive options at IPPROTO_TCP: Windows' TCP_KEEPALIVE is its
 * TCP_KEEPIDLE (seconds of idle before the first probe), so it is the
 * platform's TCP_KEEPIDLE here; TCP_KEEPINTVL and TCP_KEEPCNT are the
 * platform's, with Windows' value layout (a DWORD). */
#ifndef TCP_KEEPALIVE
#define TCP_KEEPALIVE TCP_KEEPIDLE
#endif

typedef struct ipv6_mreq IPV6_MREQ, *PIPV6_MREQ;
typedef struct ip_mreq IP_MREQ, *PIP_MREQ;

#ifdef __cplusplus
}
#endif
#endif
