/* SPDX-License-Identifier: MIT */
/* The built-in catalog: the two base providers that ship with wsp, described
 * here so that applications can use them without any installation step. */
#include "catalog.h"

#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include <wsp/itot.h>

#include "wstr.h"

#define CAT_TCP_FLAGS                                                                              \
    (XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE | XP1_EXPEDITED_DATA)
/* No XP1_SUPPORT_MULTIPOINT: the tcp provider refuses the WSA_FLAG_MULTIPOINT_*
 * flags and WSPJoinLeaf (multicast is plain IP_ADD_MEMBERSHIP). */
#define CAT_UDP_FLAGS (XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED | XP1_SUPPORT_BROADCAST)
#define CAT_ITOT_FLAGS                                                                             \
    (XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_MESSAGE_ORIENTED | XP1_CONNECT_DATA |    \
     XP1_DISCONNECT_DATA)

static struct cat_provider cat_tcp_provider = {
    .guid = {0x7A5C0E10, 0x3B5D, 0x4C8E, {0x9F, 0x21, 0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x01}},
    .module = "wsp_tcp.so",
    .builtin = 1,
};
static struct cat_provider cat_itot_provider = {
    .guid = {0x7A5C0E10, 0x3B5D, 0x4C8E, {0x9F, 0x21, 0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x02}},
    .module = "wsp_itot.so",
    .builtin = 1,
};

struct cat_builtin_row {
    DWORD id;
    int af;
    int type;
    int protocol;
    DWORD flags;
    DWORD msg_size;
    struct cat_provider *prov;
    const char *name;
};

static const struct cat_builtin_row cat_builtin_rows[] = {
    {1001, AF_INET, SOCK_STREAM, IPPROTO_TCP, CAT_TCP_FLAGS, 0, &cat_tcp_provider, "wsp TCP/IP"},
    {1002, AF_INET, SOCK_DGRAM, IPPROTO_UDP, CAT_UDP_FLAGS, 65507, &cat_tcp_provider, "wsp UDP/IP"},
    {1003, AF_INET6, SOCK_STREAM, IPPROTO_TCP, CAT_TCP_FLAGS, 0, &cat_tcp_provider, "wsp TCP/IPv6"},
    {1004, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, CAT_UDP_FLAGS, 65507, &cat_tcp_provider,
     "wsp UDP/IPv6"},
    {1005, AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, CAT_ITOT_FLAGS, 0x100000 * 4,
     &cat_itot_provider, "wsp ISO transport over TCP (RFC 1006/2126)"},
    {1006, AF_INET6, SOCK_SEQPACKET, WSP_PROTO_ITOT, CAT_ITOT_FLAGS, 0x100000 * 4,
     &cat_itot_provider, "wsp ISO transport over TCP/IPv6 (RFC 1006/2126)"},
};

#define CAT_NBUILTIN (sizeof cat_builtin_rows / sizeof cat_builtin_rows[0])
static struct cat_entry cat_builtin_entries[CAT_NBUILTIN];

static void cat_fill(WSAPROTOCOL_INFOW *pi, const struct cat_builtin_row *r)
{
    int v6 = r->af == AF_INET6;
    pi->dwServiceFlags1 = r->flags;
    pi->dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO | PFL_MULTIPLE_PROTO_ENTRIES;
    pi->ProviderId = r->prov->guid;
    pi->dwCatalogEntryId = r->id;
    pi->ProtocolChain.ChainLen = BASE_PROTOCOL;
    pi->ProtocolChain.ChainEntries[0] = r->id;
    pi->iVersion = 2;
    pi->iAddressFamily = r->af;
    pi->iMaxSockAddr = v6 ? (int)sizeof(struct sockaddr_in6) : (int)sizeof(struct sockaddr_in);
    pi->iMinSockAddr = pi->iMaxSockAddr;
    pi->iSocketType = r->type;
    pi->iProtocol = r->protocol;
    pi->iProtocolMaxOffset = 0;
    pi->iNetworkByteOrder = BIGENDIAN;
    pi->iSecurityScheme = SECURITY_PROTOCOL_NONE;
    pi->dwMessageSize = r->msg_size;
    wstr_from_utf8(pi->szProtocol, WSAPROTOCOL_LEN + 1, r->name);
}

static pthread_once_t cat_builtin_once = PTHREAD_ONCE_INIT;

static void cat_builtin_init(void)
{
    for (size_t i = 0; i < CAT_NBUILTIN; i++) {
        struct cat_entry *e = &cat_builtin_entries[i];
        *e = (struct cat_entry){.prov = cat_builtin_rows[i].prov};
        cat_fill(&e->info, &cat_builtin_rows[i]);
    }
}

void cat_builtin_add(void (*add_provider)(struct cat_provider *p),
                     void (*add_entry)(struct cat_entry *e))
{
    pthread_once(&cat_builtin_once, cat_builtin_init);
    add_provider(&cat_tcp_provider);
    add_provider(&cat_itot_provider);
    for (size_t i = 0; i < CAT_NBUILTIN; i++)
        add_entry(&cat_builtin_entries[i]);
}

size_t cat_builtin_count(void)
{
    return CAT_NBUILTIN;
}

struct cat_entry *cat_builtin_at(size_t i)
{
    pthread_once(&cat_builtin_once, cat_builtin_init);
    return i < CAT_NBUILTIN ? &cat_builtin_entries[i] : NULL;
}

struct cat_entry *cat_builtin_find(DWORD id)
{
    for (size_t i = 0; i < CAT_NBUILTIN; i++)
        if (cat_builtin_rows[i].id == id)
            return cat_builtin_at(i);
    return NULL;
}

int cat_builtin_provider(const GUID *id)
{
    return memcmp(id, &cat_tcp_provider.guid, sizeof *id) == 0 ||
           memcmp(id, &cat_itot_provider.guid, sizeof *id) == 0;
}
