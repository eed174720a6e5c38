/* SPDX-License-Identifier: MIT */
/* The built-in catalog as WSAEnumProtocolsA/W show it, and the matching rules
 * WSASocket applies. No provider module is needed: matching happens before
 * any module is loaded. */
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <wsp/itot.h>
#include <wsp/ws2spi.h>

#include "ws2/catalog.h"

#define NBUILTIN 6

static int setup(void **state)
{
    (void)state;
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d);
}

static int teardown(void **state)
{
    (void)state;
    return WSACleanup();
}

static void to_w(WCHAR *w, const char *s)
{
    while ((*w++ = (WCHAR)(unsigned char)*s++) != 0)
        ;
}

static const WSAPROTOCOL_INFOW *find_w(const WSAPROTOCOL_INFOW *pi, int n, DWORD id)
{
    for (int i = 0; i < n; i++)
        if (pi[i].dwCatalogEntryId == id)
            return &pi[i];
    return NULL;
}

static void ws2_cat_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(WSAPROTOCOL_INFOW), 628);
    assert_int_equal(sizeof(WSAPROTOCOL_INFOA), 372);
}

static void ws2_cat_enum_w_builtins(void **state)
{
    (void)state;
    DWORD len = 0;
    assert_int_equal(WSAEnumProtocolsW(NULL, NULL, &len), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOBUFS);
    assert_int_equal(len, NBUILTIN * sizeof(WSAPROTOCOL_INFOW));
    WSAPROTOCOL_INFOW pi[NBUILTIN];
    assert_int_equal(WSAEnumProtocolsW(NULL, pi, &len), NBUILTIN);

    static const GUID tcp = {
        0x7A5C0E10, 0x3B5D, 0x4C8E, {0x9F, 0x21, 0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x01}};
    static const GUID itot = {
        0x7A5C0E10, 0x3B5D, 0x4C8E, {0x9F, 0x21, 0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x02}};
    static const struct {
        DWORD id;
        int af, type, protocol;
        const GUID *guid;
        const char *name;
    } want[NBUILTIN] = {
        {1001, AF_INET, SOCK_STREAM, IPPROTO_TCP, &tcp, "wsp TCP/IP"},
        {1002, AF_INET, SOCK_DGRAM, IPPROTO_UDP, &tcp, "wsp UDP/IP"},
        {1003, AF_INET6, SOCK_STREAM, IPPROTO_TCP, &tcp, "wsp TCP/IPv6"},
        {1004, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, &tcp, "wsp UDP/IPv6"},
        {1005, AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, &itot,
         "wsp ISO transport over TCP (RFC 1006/2126)"},
        {1006, AF_INET6, SOCK_SEQPACKET, WSP_PROTO_ITOT, &itot, NULL},
    };
    for (int i = 0; i < NBUILTIN; i++) {
        const WSAPROTOCOL_INFOW *p = find_w(pi, NBUILTIN, want[i].id);
        assert_non_null(p);
        assert_int_equal(p->iAddressFamily, want[i].af);
        assert_int_equal(p->iSocketType, want[i].type);
        assert_int_equal(p->iProtocol, want[i].protocol);
        assert_memory_equal(&p->ProviderId, want[i].guid, sizeof(GUID));
        assert_int_equal(p->ProtocolChain.ChainLen, BASE_PROTOCOL);
        assert_int_equal(p->iVersion, 2);
        assert_true(p->dwProviderFlags & PFL_MATCHES_PROTOCOL_ZERO);
        assert_int_equal(p->dwServiceFlags1 & XP1_IFS_HANDLES, 0);
        assert_int_equal(p->iMaxSockAddr, want[i].af == AF_INET6 ? (int)sizeof(struct sockaddr_in6)
                                                                 : (int)sizeof(struct sockaddr_in));
        if (want[i].name) {
            WCHAR w[WSAPROTOCOL_LEN + 1];
            to_w(w, want[i].name);
            assert_memory_equal(p->szProtocol, w, (strlen(want[i].name) + 1) * sizeof(WCHAR));
        }
    }
    const WSAPROTOCOL_INFOW *t = find_w(pi, NBUILTIN, 1001);
    assert_int_equal(t->dwServiceFlags1, XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER |
                                             XP1_GRACEFUL_CLOSE | XP1_EXPEDITED_DATA);
    assert_int_equal(t->dwServiceFlags1 & XP1_DISCONNECT_DATA, 0);
    const WSAPROTOCOL_INFOW *u = find_w(pi, NBUILTIN, 1004);
    /* no XP1_SUPPORT_MULTIPOINT: the tcp provider refuses multipoint sockets
     * and WSPJoinLeaf, so the entry must not claim them */
    assert_int_equal(u->dwServiceFlags1,
                     XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED | XP1_SUPPORT_BROADCAST);
    assert_int_equal(u->dwMessageSize, 65507);
    const WSAPROTOCOL_INFOW *o = find_w(pi, NBUILTIN, 1006);
    /* No XP1_EXPEDITED_DATA: the itot provider has no ED/EA, and MSG_OOB fails
     * with WSAEOPNOTSUPP (docs/providers-itot.md, "Not supported"). */
    assert_int_equal(o->dwServiceFlags1, XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER |
                                             XP1_MESSAGE_ORIENTED | XP1_CONNECT_DATA |
                                             XP1_DISCONNECT_DATA);
    assert_int_equal(find_w(pi, NBUILTIN, 1005)->dwServiceFlags1 & XP1_EXPEDITED_DATA, 0);
    assert_int_equal(o->dwMessageSize, 0x100000 * 4);
}

static void ws2_cat_enum_a(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOA pa[NBUILTIN];
    DWORD len = sizeof pa;
    assert_int_equal(WSAEnumProtocolsA(NULL, pa, &len), NBUILTIN);
    WSAPROTOCOL_INFOW pw[NBUILTIN];
    len = sizeof pw;
    assert_int_equal(WSAEnumProtocolsW(NULL, pw, &len), NBUILTIN);
    for (int i = 0; i < NBUILTIN; i++) {
        /* the same entries, in the same order; only the name's encoding differs */
        assert_memory_equal(&pa[i], &pw[i], offsetof(WSAPROTOCOL_INFOA, szProtocol));
        assert_true(strncmp(pa[i].szProtocol, "wsp ", 4) == 0);
    }
    assert_string_equal(pa[0].szProtocol, "wsp TCP/IP");
}

static void ws2_cat_enum_buffer_too_small(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW pi[NBUILTIN];
    DWORD len = sizeof pi - 1;
    pi[0].dwCatalogEntryId = 0xDEAD;
    assert_int_equal(WSAEnumProtocolsW(NULL, pi, &len), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOBUFS);
    assert_int_equal(len, sizeof pi);
    assert_int_equal(pi[0].dwCatalogEntryId, 0xDEAD); /* nothing written */
    WSAPROTOCOL_INFOA pa[1];
    len = sizeof pa;
    assert_int_equal(WSAEnumProtocolsA(NULL, pa, &len), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOBUFS);
    assert_int_equal(len, NBUILTIN * sizeof(WSAPROTOCOL_INFOA));
}

static void ws2_cat_enum_filters(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW pi[NBUILTIN];
    DWORD len = sizeof pi;
    INT udp[] = {IPPROTO_UDP, 0};
    assert_int_equal(WSAEnumProtocolsW(udp, pi, &len), 2);
    assert_int_equal(pi[0].iProtocol, IPPROTO_UDP);
    assert_int_equal(pi[1].iProtocol, IPPROTO_UDP);
    INT itot_tcp[] = {WSP_PROTO_ITOT, IPPROTO_TCP, 0};
    len = sizeof pi;
    assert_int_equal(WSAEnumProtocolsW(itot_tcp, pi, &len), 4);
    INT none[] = {9999, 0};
    len = 0;
    assert_int_equal(WSAEnumProtocolsW(none, NULL, &len), 0);
    INT empty[] = {0};
    len = sizeof pi;
    assert_int_equal(WSAEnumProtocolsW(empty, pi, &len), 0);
}

static void ws2_cat_enum_bad_memory(void **state)
{
    (void)state;
    long page = 4096;
    char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + page, page, PROT_NONE), 0);
    DWORD len = NBUILTIN * sizeof(WSAPROTOCOL_INFOW);
    /* length unmapped */
    assert_int_equal(WSAEnumProtocolsW(NULL, NULL, (LPDWORD)(m + page)), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    /* buffer unmapped, then running into the unmapped page */
    assert_int_equal(WSAEnumProtocolsW(NULL, (LPWSAPROTOCOL_INFOW)(m + page), &len), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_int_equal(WSAEnumProtocolsW(NULL, (LPWSAPROTOCOL_INFOW)(m + page - 700), &len),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    /* filter unmapped */
    assert_int_equal(WSAEnumProtocolsW((LPINT)(m + page), NULL, &len), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    munmap(m, 2 * page);
}

static DWORD match(int af, int type, int protocol, int *err)
{
    struct cat_entry *e = NULL;
    *err = cat_match(af, type, protocol, NULL, &e);
    return *err == 0 ? e->info.dwCatalogEntryId : 0;
}

static void ws2_cat_match(void **state)
{
    (void)state;
    int err;
    assert_int_equal(match(AF_INET, SOCK_STREAM, 0, &err), 1001);
    assert_int_equal(match(AF_INET, SOCK_STREAM, IPPROTO_TCP, &err), 1001);
    assert_int_equal(match(AF_INET, SOCK_DGRAM, 0, &err), 1002);
    assert_int_equal(match(AF_INET6, SOCK_STREAM, 0, &err), 1003);
    assert_int_equal(match(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, &err), 1004);
    assert_int_equal(match(AF_INET, SOCK_SEQPACKET, 0, &err), 1005);
    assert_int_equal(match(AF_INET6, SOCK_SEQPACKET, WSP_PROTO_ITOT, &err), 1006);
    assert_int_equal(match(AF_INET, 0, WSP_PROTO_ITOT, &err), 1005);
    assert_int_equal(match(AF_UNSPEC, SOCK_SEQPACKET, 0, &err), 1005);
    /* FROM_PROTOCOL_INFO with the entry picks it by id */
    WSAPROTOCOL_INFOW pi = {.dwCatalogEntryId = 1004};
    struct cat_entry *e;
    assert_int_equal(cat_match(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &pi, &e),
                     0);
    assert_int_equal(e->info.dwCatalogEntryId, 1004);
    pi.dwCatalogEntryId = 4711;
    assert_int_equal(cat_match(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &pi, &e),
                     WSAEINVAL);
}

/* The errors, through the API (nothing gets loaded for a miss). */
static void ws2_cat_match_errors(void **state)
{
    (void)state;
    static const struct {
        int af, type, protocol, err;
    } cases[] = {
        {12345, SOCK_STREAM, 0, WSAEAFNOSUPPORT},
        {AF_INET, SOCK_RAW, 0, WSAESOCKTNOSUPPORT},
        {AF_INET, SOCK_STREAM, IPPROTO_UDP, WSAEPROTOTYPE},
        {AF_INET6, SOCK_DGRAM, IPPROTO_TCP, WSAEPROTOTYPE},
        {AF_INET, SOCK_DGRAM, WSP_PROTO_ITOT, WSAEPROTOTYPE},
        {AF_INET, SOCK_STREAM, 200, WSAEPROTONOSUPPORT},
        {AF_INET, SOCK_RAW, 200, WSAESOCKTNOSUPPORT},
        {FROM_PROTOCOL_INFO, SOCK_STREAM, 0, WSAEINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        WSASetLastError(0);
        assert_true(WSASocketW(cases[i].af, cases[i].type, cases[i].protocol, NULL, 0, 0) ==
                    INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), cases[i].err);
        WSASetLastError(0);
        assert_true(WSASocketA(cases[i].af, cases[i].type, cases[i].protocol, NULL, 0, 0) ==
                    INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), cases[i].err);
    }
    WSAPROTOCOL_INFOA pa = {.dwCatalogEntryId = 4711};
    assert_true(WSASocketA(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &pa, 0, 0) ==
                INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_true(WSASocketW(AF_INET, SOCK_STREAM, 0, (LPWSAPROTOCOL_INFOW)8, 0, 0) ==
                INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

/* Hidden and layered entries are left out of WSAEnumProtocols, not of WSCEnumProtocols. */
static void ws2_cat_hidden_and_layered(void **state)
{
    (void)state;
    GUID g = {0x44444444, 4, 4, {4}};
    WSAPROTOCOL_INFOW pi[2];
    memset(pi, 0, sizeof pi);
    pi[0].ProtocolChain.ChainLen = LAYERED_PROTOCOL;
    pi[0].iAddressFamily = AF_INET;
    pi[0].iSocketType = SOCK_STREAM;
    pi[1].ProtocolChain.ChainLen = BASE_PROTOCOL;
    pi[1].dwProviderFlags = PFL_HIDDEN;
    pi[1].iAddressFamily = 77;
    pi[1].iSocketType = SOCK_STREAM;
    WCHAR path[8];
    to_w(path, "x.so");
    int err;
    assert_int_equal(WSCInstallProvider(&g, path, pi, 2, &err), 0);
    DWORD len = 0;
    assert_int_equal(WSAEnumProtocolsW(NULL, NULL, &len), SOCKET_ERROR);
    assert_int_equal(len, NBUILTIN * sizeof(WSAPROTOCOL_INFOW));
    len = 0;
    assert_int_equal(WSCEnumProtocols(NULL, NULL, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOBUFS);
    assert_int_equal(len, (NBUILTIN + 2) * sizeof(WSAPROTOCOL_INFOW));
    /* a layered entry names itself first in its chain; it is never matched */
    int merr;
    assert_int_equal(match(AF_INET, SOCK_STREAM, 0, &merr), 1001);
    WSAPROTOCOL_INFOW all[NBUILTIN + 2];
    assert_int_equal(WSCEnumProtocols(NULL, all, &len, &err), NBUILTIN + 2);
    assert_int_equal(all[NBUILTIN].ProtocolChain.ChainEntries[0], all[NBUILTIN].dwCatalogEntryId);
    /* and a socket cannot be made on it directly */
    assert_true(WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                           &all[NBUILTIN], 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_int_equal(match(77, SOCK_STREAM, 0, &merr), 0);
    assert_int_equal(merr, WSAEPROTONOSUPPORT); /* no PFL_MATCHES_PROTOCOL_ZERO */
    assert_int_equal(WSCDeinstallProvider(&g, &err), 0);
    assert_int_equal(match(77, SOCK_STREAM, 0, &merr), 0);
    assert_int_equal(merr, WSAEAFNOSUPPORT); /* gone from matching too */
    len = 0;
    assert_int_equal(WSCEnumProtocols(NULL, NULL, &len, &err), SOCKET_ERROR);
    assert_int_equal(len, NBUILTIN * sizeof(WSAPROTOCOL_INFOW));
}

/* An installer's iProtocol + iProtocolMaxOffset may not fit an int: the range
 * [INT_MAX, INT_MAX + 1] still contains INT_MAX (no signed overflow, UB). */
static void ws2_cat_match_protocol_range_at_int_max(void **state)
{
    (void)state;
    GUID g = {0x46464646, 6, 6, {6}};
    WSAPROTOCOL_INFOW pi;
    memset(&pi, 0, sizeof pi);
    pi.ProtocolChain.ChainLen = BASE_PROTOCOL;
    pi.iAddressFamily = 79;
    pi.iSocketType = SOCK_DGRAM;
    pi.iProtocol = INT_MAX;
    pi.iProtocolMaxOffset = 1;
    WCHAR path[8];
    to_w(path, "x.so");
    int err;
    assert_int_equal(WSCInstallProvider(&g, path, &pi, 1, &err), 0);
    int merr;
    assert_int_not_equal(match(79, SOCK_DGRAM, INT_MAX, &merr), 0);
    INT filter[] = {INT_MAX, 0};
    WSAPROTOCOL_INFOW out[NBUILTIN + 1];
    DWORD len = sizeof out;
    assert_int_equal(WSAEnumProtocolsW(filter, out, &len), 1);
    assert_int_equal(out[0].iProtocol, INT_MAX);
    assert_int_equal(WSCDeinstallProvider(&g, &err), 0);
}

static WSAPROTOCOL_INFOW wsc_entry(int af)
{
    WSAPROTOCOL_INFOW pi;
    memset(&pi, 0, sizeof pi);
    pi.ProtocolChain.ChainLen = BASE_PROTOCOL;
    pi.iAddressFamily = af;
    pi.iSocketType = SOCK_STREAM;
    return pi;
}

/* WSCInstallProvider: WSAEINVAL for an invalid lpszProviderDllPath (the
 * WSCInstallProvider documentation's code for a bad parameter). A module path
 * that is not well-formed UTF-16 is invalid: a lone surrogate would turn into
 * U+FFFD and name another file than the installer meant. */
static void ws2_cat_install_refuses_lone_surrogates(void **state)
{
    (void)state;
    GUID g = {0x47474747, 7, 7, {7}};
    WSAPROTOCOL_INFOW pi = wsc_entry(80);
    static const WCHAR bad[][8] = {
        {'/', 'x', 0xD800, '.', 's', 'o', 0},    /* high surrogate, no low one */
        {'/', 'x', 0xDC00, '.', 's', 'o', 0},    /* low surrogate alone */
        {'/', 'x', '.', 's', 'o', 0xDBFF, 0},    /* high surrogate at the end */
        {'x', 0xDC00, 0xD800, '.', 's', 'o', 0}, /* a pair in the wrong order */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int err = 0;
        assert_int_equal(WSCInstallProvider(&g, (WCHAR *)bad[i], &pi, 1, &err), SOCKET_ERROR);
        assert_int_equal(err, WSAEINVAL);
    }
    /* a proper pair (U+1F600) is a valid name */
    static const WCHAR good[] = {'/', 'x', 0xD83D, 0xDE00, '.', 's', 'o', 0};
    int err = 0;
    assert_int_equal(WSCInstallProvider(&g, (WCHAR *)good, &pi, 1, &err), 0);
    assert_int_equal(WSCDeinstallProvider(&g, &err), 0);
}

/* A relative path with a directory part would be resolved against whatever
 * the working directory is when the module is loaded: WSAEINVAL, as for any
 * invalid lpszProviderDllPath. Absolute paths and bare names (searched) stay. */
static void ws2_cat_install_refuses_relative_paths(void **state)
{
    (void)state;
    GUID g = {0x48484848, 8, 8, {8}};
    WSAPROTOCOL_INFOW pi = wsc_entry(81);
    static const char *const bad[] = {"./x.so", "../x.so", "lib/x.so", "x/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        WCHAR path[16];
        to_w(path, bad[i]);
        int err = 0;
        assert_int_equal(WSCInstallProvider(&g, path, &pi, 1, &err), SOCKET_ERROR);
        assert_int_equal(err, WSAEINVAL);
    }
    static const char *const good[] = {"/opt/x.so", "x.so"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        WCHAR path[16];
        to_w(path, good[i]);
        int err = 0;
        assert_int_equal(WSCInstallProvider(&g, path, &pi, 1, &err), 0);
        assert_int_equal(WSCDeinstallProvider(&g, &err), 0);
    }
}

/* lpErrno is caller memory: an unmapped one must not crash the WSC calls
 * (they still fail; the code is lost, as with a NULL lpErrno). */
static void ws2_cat_wsc_unmapped_lperrno(void **state)
{
    (void)state;
    LPINT none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(none != MAP_FAILED);
    GUID g = {0x49494949, 9, 9, {9}};
    WSAPROTOCOL_INFOW pi = wsc_entry(82);
    WCHAR path[8];
    to_w(path, "x.so");
    assert_int_equal(WSCInstallProvider(&g, path, &pi, 0, none), SOCKET_ERROR);
    assert_int_equal(WSCInstallProvider(&g, path, &pi, 0, NULL), SOCKET_ERROR);
    assert_int_equal(WSCDeinstallProvider(&g, none), SOCKET_ERROR);
    WCHAR out[64];
    int len = 64;
    assert_int_equal(WSCGetProviderPath(&g, out, &len, none), SOCKET_ERROR);
    DWORD blen = 0;
    assert_int_equal(WSCEnumProtocols(NULL, NULL, &blen, none), SOCKET_ERROR);
    /* and a good one still works with it (nothing is written on success) */
    assert_int_equal(WSCInstallProvider(&g, path, &pi, 1, none), 0);
    assert_int_equal(WSCDeinstallProvider(&g, none), 0);
    munmap(none, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ws2_cat_layout),
        cmocka_unit_test(ws2_cat_enum_w_builtins),
        cmocka_unit_test(ws2_cat_enum_a),
        cmocka_unit_test(ws2_cat_enum_buffer_too_small),
        cmocka_unit_test(ws2_cat_enum_filters),
        cmocka_unit_test(ws2_cat_enum_bad_memory),
        cmocka_unit_test(ws2_cat_match),
        cmocka_unit_test(ws2_cat_match_errors),
        cmocka_unit_test(ws2_cat_hidden_and_layered),
        cmocka_unit_test(ws2_cat_match_protocol_range_at_int_max),
        cmocka_unit_test(ws2_cat_install_refuses_lone_surrogates),
        cmocka_unit_test(ws2_cat_install_refuses_relative_paths),
        cmocka_unit_test(ws2_cat_wsc_unmapped_lperrno),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
