/* SPDX-License-Identifier: MIT */
/* The tcp provider as the conformance suite sees it: TCP and UDP over IPv4
 * and IPv6, catalog entries 1001-1004, no disconnect data. */
#include <arpa/inet.h>
#include <string.h>

#include "fixtures.h"

static const GUID tcp_guid = {
    0x7A5C0E10, 0x3B5D, 0x4C8E, {0x9F, 0x21, 0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x01}};

static void tcp_info(WSAPROTOCOL_INFOW *p, DWORD id, int af, int type, const char *name)
{
    memset(p, 0, sizeof *p);
    p->dwServiceFlags1 = type == SOCK_STREAM
                             ? XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE |
                                   XP1_EXPEDITED_DATA
                             : XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED | XP1_SUPPORT_BROADCAST;
    p->ProviderId = tcp_guid;
    p->dwCatalogEntryId = id;
    p->ProtocolChain.ChainLen = BASE_PROTOCOL;
    p->iVersion = 2;
    p->iAddressFamily = af;
    p->iMaxSockAddr = p->iMinSockAddr =
        af == AF_INET ? (int)sizeof(struct sockaddr_in) : (int)sizeof(struct sockaddr_in6);
    p->iSocketType = type;
    p->iProtocol = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    p->iNetworkByteOrder = BIGENDIAN;
    p->dwMessageSize = type == SOCK_STREAM ? 0 : 65467;
    for (size_t i = 0; name[i] != '\0' && i < WSAPROTOCOL_LEN; i++)
        p->szProtocol[i] = (WCHAR)name[i];
}

static void info_tcp4(WSAPROTOCOL_INFOW *p)
{
    tcp_info(p, 1001, AF_INET, SOCK_STREAM, "wsp TCP/IPv4");
}
static void info_udp4(WSAPROTOCOL_INFOW *p)
{
    tcp_info(p, 1002, AF_INET, SOCK_DGRAM, "wsp UDP/IPv4");
}
static void info_tcp6(WSAPROTOCOL_INFOW *p)
{
    tcp_info(p, 1003, AF_INET6, SOCK_STREAM, "wsp TCP/IPv6");
}
static void info_udp6(WSAPROTOCOL_INFOW *p)
{
    tcp_info(p, 1004, AF_INET6, SOCK_DGRAM, "wsp UDP/IPv6");
}

static void loop4(struct sockaddr_storage *ss, int *len)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof *ss);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof *in;
}

static void loop6(struct sockaddr_storage *ss, int *len)
{
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    *len = sizeof *in6;
}

#define TCP_FIXTURE(n, af_, type_, proto_, info, loop)                                             \
    {                                                                                              \
        .name = (n), .module = "wsp_tcp.so", .af = (af_), .type = (type_), .protocol = (proto_),   \
        .stream = (type_) == SOCK_STREAM, .connectionless = (type_) == SOCK_DGRAM,                 \
        .disc_data = false, .io_thread = false, .max_disc_data = 0, .protocol_info = (info),       \
        .loopback = (loop), .make_pair = NULL,                                                     \
    }

const struct conf_fixture tcp_fixtures[TCP_FIXTURES] = {
    TCP_FIXTURE("tcp4", AF_INET, SOCK_STREAM, IPPROTO_TCP, info_tcp4, loop4),
    TCP_FIXTURE("tcp6", AF_INET6, SOCK_STREAM, IPPROTO_TCP, info_tcp6, loop6),
    TCP_FIXTURE("udp4", AF_INET, SOCK_DGRAM, IPPROTO_UDP, info_udp4, loop4),
    TCP_FIXTURE("udp6", AF_INET6, SOCK_DGRAM, IPPROTO_UDP, info_udp6, loop6),
};
