/* SPDX-License-Identifier: MIT */
/* The itot provider as the conformance suite sees it: ISO transport over TCP
 * (catalog entries 1005 IPv4 and 1006 IPv6), message-oriented, up to 64
 * octets of disconnect data; each family in class 2 (the default proposal)
 * and in class 0 (forced with WSP_ITOT_CLASS before connect). */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wsp/itot.h>

#include "fixtures.h"

static const GUID itot_guid = {
    0x7A5C0E10, 0x3B5D, 0x4C8E, {0x9F, 0x21, 0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x02}};

static void itot_info(WSAPROTOCOL_INFOW *p, DWORD id, int af, const char *name)
{
    memset(p, 0, sizeof *p);
    p->dwServiceFlags1 = XP1_CONNECT_DATA | XP1_DISCONNECT_DATA | XP1_MESSAGE_ORIENTED |
                         XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER;
    p->ProviderId = itot_guid;
    p->dwCatalogEntryId = id;
    p->ProtocolChain.ChainLen = BASE_PROTOCOL;
    p->iVersion = 2;
    p->iAddressFamily = af;
    p->iMaxSockAddr = p->iMinSockAddr =
        af == AF_INET ? (int)sizeof(struct sockaddr_in) : (int)sizeof(struct sockaddr_in6);
    p->iSocketType = SOCK_SEQPACKET;
    p->iProtocol = WSP_PROTO_ITOT;
    p->iNetworkByteOrder = BIGENDIAN;
    p->dwMessageSize = 0x100000 * 4;
    for (size_t i = 0; name[i] != '\0' && i < WSAPROTOCOL_LEN; i++)
        p->szProtocol[i] = (WCHAR)name[i];
}

static void info4(WSAPROTOCOL_INFOW *p)
{
    itot_info(p, 1005, AF_INET, "wsp ISO transport over TCP (RFC 1006/2126)");
}

static void info6(WSAPROTOCOL_INFOW *p)
{
    itot_info(p, 1006, AF_INET6, "wsp ISO transport over TCP/IPv6 (RFC 1006/2126)");
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

/* ISO transport answers a CR only when WSPAccept takes the connection (the CC
 * carries the accept data of the condition function), so a blocking connect
 * cannot complete before the accept in the same thread: connect in a second
 * thread, accept here, then join. */
struct connector {
    const struct conf_ctx *c;
    SOCKET s;
    struct sockaddr_storage ss;
    int len, rc, err;
};

static void *connect_thread(void *arg)
{
    struct connector *k = arg;
    k->rc = k->c->lv->connect(k->s, (struct sockaddr *)&k->ss, k->len, &k->err);
    return NULL;
}

static void pair_with_class(const struct conf_ctx *c, SOCKET *cl, SOCKET *sv, int cls)
{
    struct connector k = {.c = c, .err = 0};
    int err = 0;
    SOCKET l = conf_listener(c, 4, &k.ss, &k.len);
    k.s = conf_socket(c);
    if (cls >= 0)
        assert_int_equal(
            c->lv->setsockopt(k.s, WSP_SOL_ITOT, WSP_ITOT_CLASS, &cls, sizeof cls, &err), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, connect_thread, &k), 0);
    *sv = c->lv->accept(l, NULL, 0, &err);
    pthread_join(t, NULL);
    assert_int_equal(err, 0);
    assert_int_equal(k.rc, 0);
    assert_true(*sv != INVALID_SOCKET);
    *cl = k.s;
    conf_close(c, l);
}

static void pair_default(const struct conf_ctx *c, SOCKET *cl, SOCKET *sv)
{
    pair_with_class(c, cl, sv, -1);
}

/* A class 0 pair: the client forces class 0 before connecting. */
static void pair_class0(const struct conf_ctx *c, SOCKET *cl, SOCKET *sv)
{
    pair_with_class(c, cl, sv, 0);
}

#define ITOT_FIXTURE(n, af_, info, loop, pair)                                                     \
    {                                                                                              \
        .name = n, .module = "wsp_itot.so", .af = af_, .type = SOCK_SEQPACKET,                     \
        .protocol = WSP_PROTO_ITOT, .stream = false, .connectionless = false, .disc_data = true,   \
        .max_disc_data = 64, .protocol_info = info, .loopback = loop, .make_pair = pair,           \
    }

const struct conf_fixture itot_fixtures[ITOT_FIXTURES] = {
    ITOT_FIXTURE("itot4", AF_INET, info4, loop4, pair_default),
    ITOT_FIXTURE("itot6", AF_INET6, info6, loop6, pair_default),
    ITOT_FIXTURE("itot4_class0", AF_INET, info4, loop4, pair_class0),
    ITOT_FIXTURE("itot6_class0", AF_INET6, info6, loop6, pair_class0),
};
