/* SPDX-License-Identifier: MIT */
/* IP_PKTINFO / IPV6_PKTINFO and WSARecvMsg on tcp's UDP sockets (real API,
 * 127.0.0.1 and ::1 only). WSARecvMsg page: with the option set, Control
 * holds a WSACMSGHDR with cmsg_level IPPROTO_IP / IPPROTO_IPV6, cmsg_type
 * IP_PKTINFO / IPV6_PKTINFO and an IN_PKTINFO / IN6_PKTINFO {address the
 * datagram was sent to, interface index}; WSAEFAULT for a NULL Control.buf
 * with a Control.len. WSAMSG page: MSG_CTRUNC in dwFlags when the control
 * data did not fit. Built as a ported program sees it (WSP_WINSOCK_NAMES:
 * MSG_CTRUNC is Windows' value).
 *
 * Built a second time with TRACE_MODULE (ctest trace_pktinfo): the same
 * cases on sockets of a protocol chain [trace, UDP] per family, installed in
 * the test's own catalog as an LSP installer does, so that the option, the
 * sends and WSARecvMsg (the layer's own extension function) all go through
 * the layered provider. */
#define WSP_WINSOCK_NAMES
#include <net/if.h>
#include <stdbool.h>
#include <string.h>

#include <wsp/ws2ipdef.h>

#include "unit/ext_cases/ext_fns.h"

#define WAIT_MS 10000u

#ifdef TRACE_MODULE
#include <stdlib.h>

#include "unit/trace_layer/chain.h"

/* The chains' entries, [0] over UDP/IPv4 (1002), [1] over UDP/IPv6 (1004). */
static WSAPROTOCOL_INFOW over_udp[2];

static int install_chains(void)
{
    DWORD layer;
    return chains_install_over(1002, 1004, &layer, over_udp);
}

static SOCKET udp_socket(int af)
{
    return WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                      &over_udp[af == AF_INET6], 0, WSA_FLAG_OVERLAPPED);
}
#else
static SOCKET udp_socket(int af)
{
    return WSASocketA(af, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
}
#endif

static int setup(void **state)
{
    (void)state;
    WSADATA d;
#ifdef TRACE_MODULE
    setenv("WSP_TRACE", "/dev/null", 1);
    if (install_chains() != 0)
        return -1;
#endif
    return WSAStartup(MAKEWORD(2, 2), &d);
}

static int teardown(void **state)
{
    (void)state;
    return WSACleanup();
}

/* A bound UDP pair of family af on its loopback address: *rx with the
 * PKTINFO option of the family set (when on), *tx sending to it. */
static void udp_pair(int af, bool on, SOCKET *rx, SOCKET *tx)
{
    *rx = udp_socket(af);
    *tx = udp_socket(af);
    assert_true(*rx != INVALID_SOCKET && *tx != INVALID_SOCKET);
#ifdef TRACE_MODULE
    /* the layer's socket: SO_PROTOCOL_INFO names the chain's entry (so a
     * socket made from it gets the layer again), W and A alike ... */
    WSAPROTOCOL_INFOW pi;
    int pl = sizeof pi;
    assert_int_equal(getsockopt(*rx, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pi, &pl), 0);
    assert_int_equal(pi.dwCatalogEntryId, over_udp[af == AF_INET6].dwCatalogEntryId);
    assert_int_equal(pi.ProtocolChain.ChainLen, 2);
    WSAPROTOCOL_INFOA pa;
    pl = sizeof pa;
    assert_int_equal(getsockopt(*rx, SOL_SOCKET, SO_PROTOCOL_INFOA, (char *)&pa, &pl), 0);
    assert_int_equal(pa.dwCatalogEntryId, pi.dwCatalogEntryId);
    /* ... and its WSARecvMsg is the layer's, not the base provider's */
    WSAPROTOCOL_INFOW bi;
    assert_int_equal(chains_find_entry(af == AF_INET ? 1002 : 1004, &bi), 0);
    SOCKET b = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &bi, 0, 0);
    assert_true(b != INVALID_SOCKET);
    assert_ptr_not_equal(load(b).recv_msg, load(*rx).recv_msg);
    closesocket(b);
#endif
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    int len;
    if (af == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    assert_int_equal(bind(*rx, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(getsockname(*rx, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(connect(*tx, (struct sockaddr *)&ss, len), 0);
    if (on) {
        DWORD one = 1, v = 0;
        int level = af == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
        int name = af == AF_INET ? IP_PKTINFO : IPV6_PKTINFO;
        int vlen = sizeof v;
        assert_int_equal(setsockopt(*rx, level, name, (const char *)&one, sizeof one), 0);
        assert_int_equal(getsockopt(*rx, level, name, (char *)&v, &vlen), 0);
        assert_int_equal(v, 1);
    }
}

struct msg_in {
    char data[16];
    _Alignas(8) char ctl[64];
    struct sockaddr_storage from;
    WSABUF rb;
    WSAMSG m;
};

static void msg_init(struct msg_in *mi, ULONG ctl_len)
{
    memset(mi, 0xA5, sizeof *mi);
    mi->rb = (WSABUF){sizeof mi->data, mi->data};
    mi->m = (WSAMSG){.name = (LPSOCKADDR)&mi->from,
                     .namelen = sizeof mi->from,
                     .lpBuffers = &mi->rb,
                     .dwBufferCount = 1,
                     .Control = {ctl_len, mi->ctl},
                     .dwFlags = 0};
}

/* The one control message: its header and where its data is. */
static const unsigned char *only_message(WSAMSG *m, int level, int type, size_t len)
{
    LPWSACMSGHDR c = WSA_CMSG_FIRSTHDR(m);
    assert_non_null(c);
    assert_int_equal(c->cmsg_level, level);
    assert_int_equal(c->cmsg_type, type);
    assert_int_equal(c->cmsg_len, WSA_CMSG_LEN(len));
    assert_null(WSA_CMSG_NXTHDR(m, c));
    return WSA_CMSG_DATA(c);
}

static void check_in4(WSAMSG *m)
{
    assert_true(m->Control.len >= WSA_CMSG_LEN(sizeof(IN_PKTINFO)));
    IN_PKTINFO pi;
    memcpy(&pi, only_message(m, IPPROTO_IP, IP_PKTINFO, sizeof pi), sizeof pi);
    assert_int_equal(pi.ipi_addr.s_addr, htonl(INADDR_LOOPBACK)); /* where it was sent */
    assert_int_equal(pi.ipi_ifindex, if_nametoindex("lo"));
    assert_int_equal(m->dwFlags, 0);
}

static void check_in6(WSAMSG *m)
{
    assert_true(m->Control.len >= WSA_CMSG_LEN(sizeof(IN6_PKTINFO)));
    IN6_PKTINFO pi;
    memcpy(&pi, only_message(m, IPPROTO_IPV6, IPV6_PKTINFO, sizeof pi), sizeof pi);
    assert_memory_equal(&pi.ipi6_addr, &in6addr_loopback, sizeof pi.ipi6_addr);
    assert_int_equal(pi.ipi6_ifindex, if_nametoindex("lo"));
    assert_int_equal(m->dwFlags, 0);
}

/* IPv4, a receive that finds the datagram there. */
static void pktinfo_v4_plain(void **state)
{
    (void)state;
    SOCKET rx, tx;
    udp_pair(AF_INET, true, &rx, &tx);
    struct fns f = load(rx);
    assert_int_equal(send(tx, "four", 4, 0), 4);
    struct msg_in mi;
    msg_init(&mi, sizeof mi.ctl);
    DWORD n = 0;
    assert_int_equal(f.recv_msg(rx, &mi.m, &n, NULL, NULL), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(mi.data, "four", 4);
    check_in4(&mi.m);
    closesocket(rx);
    closesocket(tx);
}

/* IPv6, the same. */
static void pktinfo_v6_plain(void **state)
{
    (void)state;
    SOCKET rx, tx;
    udp_pair(AF_INET6, true, &rx, &tx);
    struct fns f = load(rx);
    assert_int_equal(send(tx, "six", 3, 0), 3);
    struct msg_in mi;
    msg_init(&mi, sizeof mi.ctl);
    DWORD n = 0;
    assert_int_equal(f.recv_msg(rx, &mi.m, &n, NULL, NULL), 0);
    assert_int_equal(n, 3);
    check_in6(&mi.m);
    closesocket(rx);
    closesocket(tx);
}

/* An overlapped receive that waits for the datagram: Control and dwFlags are
 * filled at its completion. */
static void pktinfo_overlapped(void **state)
{
    (void)state;
    for (int af = 0; af < 2; af++) {
        SOCKET rx, tx;
        udp_pair(af == 0 ? AF_INET : AF_INET6, true, &rx, &tx);
        struct fns f = load(rx);
        struct msg_in mi;
        msg_init(&mi, sizeof mi.ctl);
        WSAOVERLAPPED ov;
        memset(&ov, 0, sizeof ov);
        ov.hEvent = WSACreateEvent();
        assert_int_equal(f.recv_msg(rx, &mi.m, NULL, &ov, NULL), SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
        assert_int_equal(send(tx, "later", 5, 0), 5);
        assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, WAIT_MS, FALSE),
                         WSA_WAIT_EVENT_0);
        DWORD n = 0, fl = 0;
        assert_true(WSAGetOverlappedResult(rx, &ov, &n, FALSE, &fl));
        assert_int_equal(n, 5);
        if (af == 0)
            check_in4(&mi.m);
        else
            check_in6(&mi.m);
        WSACloseEvent(ov.hEvent);
        closesocket(rx);
        closesocket(tx);
    }
}

/* Without the option: no control message, Control.len 0. */
static void no_option_no_message(void **state)
{
    (void)state;
    SOCKET rx, tx;
    udp_pair(AF_INET, false, &rx, &tx);
    struct fns f = load(rx);
    assert_int_equal(send(tx, "x", 1, 0), 1);
    struct msg_in mi;
    msg_init(&mi, sizeof mi.ctl);
    DWORD n = 0;
    assert_int_equal(f.recv_msg(rx, &mi.m, &n, NULL, NULL), 0);
    assert_int_equal(mi.m.Control.len, 0);
    assert_int_equal(mi.m.dwFlags, 0);
    closesocket(rx);
    closesocket(tx);
}

/* Control too small for the message: the datagram is received, the message
 * left out, MSG_CTRUNC set; a NULL Control.buf with a length is WSAEFAULT
 * and takes nothing. */
static void control_too_small(void **state)
{
    (void)state;
    SOCKET rx, tx;
    udp_pair(AF_INET, true, &rx, &tx);
    struct fns f = load(rx);
    assert_int_equal(send(tx, "one", 3, 0), 3);
    struct msg_in mi;
    msg_init(&mi, WSA_CMSG_LEN(sizeof(IN_PKTINFO)) - 1);
    mi.m.Control.buf = NULL;
    DWORD n = 0;
    assert_int_equal(f.recv_msg(rx, &mi.m, &n, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);

    msg_init(&mi, WSA_CMSG_LEN(sizeof(IN_PKTINFO)) - 1);
    assert_int_equal(f.recv_msg(rx, &mi.m, &n, NULL, NULL), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(mi.data, "one", 3);
    assert_int_equal(mi.m.Control.len, 0);
    assert_int_equal(mi.m.dwFlags, MSG_CTRUNC);
    assert_int_equal(MSG_CTRUNC, 0x200); /* Windows' value under WSP_WINSOCK_NAMES */
    closesocket(rx);
    closesocket(tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pktinfo_v4_plain),   cmocka_unit_test(pktinfo_v6_plain),
        cmocka_unit_test(pktinfo_overlapped), cmocka_unit_test(no_option_no_message),
        cmocka_unit_test(control_too_small),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
