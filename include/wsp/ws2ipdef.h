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

/* The control messages of IP_PKTINFO / IPV6_PKTINFO (WSARecvMsg) in
 * Windows' layouts: the datagram's destination address and the index of the
 * interface it came in on. Linux's struct in_pktinfo differs (the index
 * first, and a third member); struct in6_pktinfo has the same layout. The
 * options and the messages' cmsg_level/cmsg_type are the platform's
 * numbers, as every option here. */
typedef struct wsp_in_pktinfo {
    IN_ADDR ipi_addr;
    ULONG ipi_ifindex;
} IN_PKTINFO, *PIN_PKTINFO;
typedef struct wsp_in6_pktinfo {
    IN6_ADDR ipi6_addr;
    ULONG ipi6_ifindex;
} IN6_PKTINFO, *PIN6_PKTINFO;

/* TCP keep-alive options at IPPROTO_TCP: Windows' TCP_KEEPALIVE is its
 * TCP_KEEPIDLE (seconds of idle before the first probe), so it is the
 * platform's TCP_KEEPIDLE here; TCP_KEEPINTVL and TCP_KEEPCNT are the
 * platform's, with Windows' value layout (a DWORD). */
#ifndef TCP_KEEPALIVE
#define TCP_KEEPALIVE TCP_KEEPIDLE
#endif

/* SIO_GET_INTERFACE_LIST: Windows' _IOR('t', 127, ULONG), an array of
 * INTERFACE_INFO (IPv4 interfaces). The IFF_ flags are Windows' values, which
 * differ from <net/if.h>'s: WSP_IFF_* always, the plain names under
 * WSP_WINSOCK_NAMES when <net/if.h> has not defined them already. */
#define SIO_GET_INTERFACE_LIST ((long)WSP_IOR('t', 127, ULONG)) /* 0x4004747F */
#define WSP_IFF_UP 0x00000001
#define WSP_IFF_BROADCAST 0x00000002
#define WSP_IFF_LOOPBACK 0x00000004
#define WSP_IFF_POINTTOPOINT 0x00000008
#define WSP_IFF_MULTICAST 0x00000010
#if defined(WSP_WINSOCK_NAMES) && !defined(IFF_UP)
#define IFF_UP WSP_IFF_UP
#define IFF_BROADCAST WSP_IFF_BROADCAST
#define IFF_LOOPBACK WSP_IFF_LOOPBACK
#define IFF_POINTTOPOINT WSP_IFF_POINTTOPOINT
#define IFF_MULTICAST WSP_IFF_MULTICAST
#endif

/* Windows' 24-byte sockaddr_in6 without the scope id, kept in sockaddr_gen */
struct sockaddr_in6_old {
    SHORT sin6_family;
    USHORT sin6_port;
    ULONG sin6_flowinfo;
    IN6_ADDR sin6_addr;
};

typedef union sockaddr_gen {
    struct sockaddr Address;
    struct sockaddr_in AddressIn;
    struct sockaddr_in6_old AddressIn6;
} sockaddr_gen;

typedef struct _INTERFACE_INFO {
    ULONG iiFlags;
    sockaddr_gen iiAddress;
    sockaddr_gen iiBroadcastAddress;
    sockaddr_gen iiNetmask;
} INTERFACE_INFO, *LPINTERFACE_INFO;

typedef struct ipv6_mreq IPV6_MREQ, *PIPV6_MREQ;
typedef struct ip_mreq IP_MREQ, *PIP_MREQ;

#ifdef __cplusplus
}
#endif
#endif
