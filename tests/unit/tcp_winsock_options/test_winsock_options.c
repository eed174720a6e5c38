/* SPDX-License-Identifier: MIT */
/* Socket options, ioctls and bind rules of the tcp provider through the API,
 * checked against what Windows documents (each test names its page). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <net/if.h>
#include <wsp/mstcpip.h>
#include <wsp/ws2tcpip.h>

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

static SOCKET sock(int af, int type)
{
    SOCKET s = wsp_socket(af, type, 0);
    assert_true(s != INVALID_SOCKET);
    return s;
}

static struct sockaddr_in lo4(u_short port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static u_short port_of(SOCKET s)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    assert_int_equal(wsp_getsockname(s, (struct sockaddr *)&ss, &len), 0);
    return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                          : ((struct sockaddr_in *)&ss)->sin_port);
}

static void set_dword(SOCKET s, int level, int name, DWORD v)
{
    assert_int_equal(wsp_setsockopt(s, level, name, (const char *)&v, sizeof v), 0);
}

static DWORD get_dword(SOCKET s, int level, int name)
{
    DWORD v = 0xdeadbeef;
    int len = sizeof v;
    assert_int_equal(wsp_getsockopt(s, level, name, (char *)&v, &len), 0);
    assert_int_equal(len, sizeof v);
    return v;
}

static long long ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A connected TCP pair on 127.0.0.1: *c the client, returns the server side. */
static SOCKET tcp_pair(SOCKET *c)
{
    SOCKET l = sock(AF_INET, SOCK_STREAM);
    struct sockaddr_in a = lo4(0);
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    a.sin_port = htons(port_of(l));
    *c = sock(AF_INET, SOCK_STREAM);
    assert_int_equal(wsp_connect(*c, (struct sockaddr *)&a, sizeof a), 0);
    SOCKET s = wsp_accept(l, NULL, NULL);
    assert_true(s != INVALID_SOCKET);
    closesocket(l);
    return s;
}

/* SO_RCVTIMEO (SOL_SOCKET socket options page): a DWORD of milliseconds; a
 * blocking receive that times out fails with WSAETIMEDOUT. glibc's layout
 * is a struct timeval and its error EAGAIN. */
static void opt_rcvtimeo_dword_and_timeout(void **state)
{
    (void)state;
    SOCKET u = sock(AF_INET, SOCK_DGRAM);
    struct sockaddr_in a = lo4(0);
    assert_int_equal(wsp_bind(u, (struct sockaddr *)&a, sizeof a), 0);
    set_dword(u, SOL_SOCKET, SO_RCVTIMEO, 150);
    assert_int_equal(get_dword(u, SOL_SOCKET, SO_RCVTIMEO), 150);
    char b[8];
    long long t0 = ms_now();
    WSASetLastError(0);
    assert_int_equal(wsp_recv(u, b, sizeof b, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAETIMEDOUT);
    assert_true(ms_now() - t0 >= 140);
    /* 0 means "never time out" again */
    set_dword(u, SOL_SOCKET, SO_RCVTIMEO, 0);
    assert_int_equal(get_dword(u, SOL_SOCKET, SO_RCVTIMEO), 0);
    closesocket(u);
}

/* SO_SNDTIMEO: a blocking send that cannot proceed within the time fails
 * with WSAETIMEDOUT (SOL_SOCKET socket options page). The peer never reads. */
static void opt_sndtimeo_timeout(void **state)
{
    (void)state;
    SOCKET c, s = tcp_pair(&c);
    set_dword(c, SOL_SOCKET, SO_SNDTIMEO, 100);
    assert_int_equal(get_dword(c, SOL_SOCKET, SO_SNDTIMEO), 100);
    static char big[65536];
    int rc, rounds = 0;
    WSASetLastError(0);
    while ((rc = wsp_send(c, big, sizeof big, 0)) > 0 && rounds < 10000)
        rounds++;
    assert_int_equal(rc, SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAETIMEDOUT);
    closesocket(c);
    closesocket(s);
}

/* IPPROTO_IP / IPPROTO_IPV6 / IPPROTO_TCP socket options pages: DWORD values
 * set and read back. TCP_KEEPALIVE is Windows' name of TCP_KEEPIDLE. */
static void opt_ip_ipv6_tcp_roundtrip(void **state)
{
    (void)state;
    SOCKET t = sock(AF_INET, SOCK_STREAM);
    set_dword(t, IPPROTO_IP, IP_TTL, 33);
    assert_int_equal(get_dword(t, IPPROTO_IP, IP_TTL), 33);
    set_dword(t, IPPROTO_IP, IP_TOS, 0x10);
    assert_int_equal(get_dword(t, IPPROTO_IP, IP_TOS), 0x10);
    set_dword(t, IPPROTO_TCP, TCP_KEEPALIVE, 7);
    assert_int_equal(get_dword(t, IPPROTO_TCP, TCP_KEEPALIVE), 7);
    set_dword(t, IPPROTO_TCP, TCP_KEEPINTVL, 3);
    assert_int_equal(get_dword(t, IPPROTO_TCP, TCP_KEEPINTVL), 3);
    set_dword(t, IPPROTO_TCP, TCP_KEEPCNT, 5);
    assert_int_equal(get_dword(t, IPPROTO_TCP, TCP_KEEPCNT), 5);
    closesocket(t);

    SOCKET u = sock(AF_INET, SOCK_DGRAM);
    set_dword(u, IPPROTO_IP, IP_MULTICAST_TTL, 4);
    assert_int_equal(get_dword(u, IPPROTO_IP, IP_MULTICAST_TTL), 4);
    set_dword(u, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
    assert_int_equal(get_dword(u, IPPROTO_IP, IP_MULTICAST_LOOP), 0);
    closesocket(u);

    SOCKET t6 = sock(AF_INET6, SOCK_STREAM);
    set_dword(t6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 17);
    assert_int_equal(get_dword(t6, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 17);
    closesocket(t6);
}

/* IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP take an ip_mreq, IPV6_JOIN_GROUP /
 * IPV6_LEAVE_GROUP an ipv6_mreq (IPPROTO_IP / IPPROTO_IPV6 pages); join on the
 * loopback interface, send to the group, receive it, leave. Both are set-only:
 * reading them is WSAENOPROTOOPT. */
static void opt_multicast_loopback(void **state)
{
    (void)state;
    SOCKET r = sock(AF_INET, SOCK_DGRAM);
    struct sockaddr_in any = lo4(0);
    any.sin_addr.s_addr = htonl(INADDR_ANY);
    assert_int_equal(wsp_bind(r, (struct sockaddr *)&any, sizeof any), 0);
    struct ip_mreq m;
    m.imr_multiaddr.s_addr = htonl(0xEFFF0001u); /* 239.255.0.1 */
    m.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(wsp_setsockopt(r, IPPROTO_IP, IP_ADD_MEMBERSHIP, (char *)&m, sizeof m), 0);
    int len = sizeof m;
    WSASetLastError(0);
    assert_int_equal(wsp_getsockopt(r, IPPROTO_IP, IP_ADD_MEMBERSHIP, (char *)&m, &len),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOPROTOOPT);

    SOCKET s = sock(AF_INET, SOCK_DGRAM);
    struct in_addr ifa = {htonl(INADDR_LOOPBACK)};
    assert_int_equal(wsp_setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, (char *)&ifa, sizeof ifa), 0);
    struct sockaddr_in g = lo4(port_of(r));
    g.sin_addr = m.imr_multiaddr;
    assert_int_equal(wsp_sendto(s, "mc", 2, 0, (struct sockaddr *)&g, sizeof g), 2);
    set_dword(r, SOL_SOCKET, SO_RCVTIMEO, 5000);
    char b[4];
    assert_int_equal(wsp_recv(r, b, sizeof b, 0), 2);
    assert_memory_equal(b, "mc", 2);
    assert_int_equal(wsp_setsockopt(r, IPPROTO_IP, IP_DROP_MEMBERSHIP, (char *)&m, sizeof m), 0);
    closesocket(s);
    closesocket(r);

    SOCKET r6 = sock(AF_INET6, SOCK_DGRAM);
    struct ipv6_mreq m6;
    memset(&m6, 0, sizeof m6);
    m6.ipv6mr_multiaddr.s6_addr[0] = 0xff; /* ff15::4242, site-local scope */
    m6.ipv6mr_multiaddr.s6_addr[1] = 0x15;
    m6.ipv6mr_multiaddr.s6_addr[14] = 0x42;
    m6.ipv6mr_multiaddr.s6_addr[15] = 0x42;
    m6.ipv6mr_interface = if_nametoindex("lo");
    assert_int_equal(wsp_setsockopt(r6, IPPROTO_IPV6, IPV6_JOIN_GROUP, (char *)&m6, sizeof m6), 0);
    assert_int_equal(wsp_setsockopt(r6, IPPROTO_IPV6, IPV6_LEAVE_GROUP, (char *)&m6, sizeof m6), 0);
    closesocket(r6);
}

/* IPPROTO_IPV6 socket options page: IPV6_V6ONLY is TRUE by default, so a
 * listener on 0.0.0.0:P and one on [::]:P coexist; with IPV6_V6ONLY FALSE the
 * socket is dual-stack and takes IPv4 connections. (glibc's default follows
 * net.ipv6.bindv6only, normally 0.) */
static void v6only_default_and_dual_stack(void **state)
{
    (void)state;
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_any;
    /* The port the IPv4 listener got is free for IPv4 only: another process
     * (a test running beside this one) may hold it on IPv6, which is
     * WSAEADDRINUSE whatever IPV6_V6ONLY says; such a port is skipped. */
    bool coexist = false;
    for (int tries = 0; tries < 16 && !coexist; tries++) {
        SOCKET l4 = sock(AF_INET, SOCK_STREAM);
        struct sockaddr_in a = lo4(0);
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        assert_int_equal(wsp_bind(l4, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(wsp_listen(l4, 1), 0);
        SOCKET l6 = sock(AF_INET6, SOCK_STREAM);
        assert_int_equal(get_dword(l6, IPPROTO_IPV6, IPV6_V6ONLY), 1);
        a6.sin6_port = htons(port_of(l4));
        if (wsp_bind(l6, (struct sockaddr *)&a6, sizeof a6) == 0) {
            assert_int_equal(wsp_listen(l6, 1), 0);
            coexist = true;
        } else {
            assert_int_equal(WSAGetLastError(), WSAEADDRINUSE);
        }
        closesocket(l6);
        closesocket(l4);
    }
    assert_true(coexist);

    SOCKET d = sock(AF_INET6, SOCK_STREAM);
    set_dword(d, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    assert_int_equal(get_dword(d, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    a6.sin6_port = 0;
    assert_int_equal(wsp_bind(d, (struct sockaddr *)&a6, sizeof a6), 0);
    assert_int_equal(wsp_listen(d, 1), 0);
    SOCKET c = sock(AF_INET, SOCK_STREAM);
    struct sockaddr_in to = lo4(port_of(d));
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&to, sizeof to), 0);
    SOCKET s = wsp_accept(d, NULL, NULL);
    assert_true(s != INVALID_SOCKET);
    closesocket(s);
    closesocket(c);
    closesocket(d);
}

static int bind_lo(SOCKET s, u_short port)
{
    struct sockaddr_in a = lo4(port);
    return wsp_bind(s, (struct sockaddr *)&a, sizeof a);
}

static SOCKET sock_with(int name)
{
    SOCKET s = sock(AF_INET, SOCK_STREAM);
    if (name != 0)
        set_dword(s, SOL_SOCKET, name, 1);
    return s;
}

/* "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE" (and WSK "Sharing Transport
 * Addresses", specific-address rows): a second bind with SO_REUSEADDR onto an
 * address held by a socket with SO_REUSEADDR succeeds (even a listener's: Linux
 * refuses that); onto one held by a default or SO_EXCLUSIVEADDRUSE socket it
 * is denied (WSAEACCES); without options it is WSAEADDRINUSE. */
static void reuseaddr_windows_meaning(void **state)
{
    (void)state;
    static const struct {
        int first, second, want;
    } rows[] = {
        {SO_REUSEADDR, SO_REUSEADDR, 0},
        {0, SO_REUSEADDR, WSAEACCES},
        {SO_EXCLUSIVEADDRUSE, SO_REUSEADDR, WSAEACCES},
        {SO_REUSEADDR, 0, WSAEADDRINUSE},
        {0, 0, WSAEADDRINUSE},
        {SO_REUSEADDR, SO_EXCLUSIVEADDRUSE, WSAEADDRINUSE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        SOCKET a = sock_with(rows[i].first);
        assert_int_equal(get_dword(a, SOL_SOCKET, rows[i].first ? rows[i].first : SO_REUSEADDR),
                         rows[i].first != 0);
        assert_int_equal(bind_lo(a, 0), 0);
        assert_int_equal(wsp_listen(a, 1), 0);
        SOCKET b = sock_with(rows[i].second);
        WSASetLastError(0);
        int rc = bind_lo(b, port_of(a));
        if (rows[i].want == 0) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, SOCKET_ERROR);
            assert_int_equal(WSAGetLastError(), rows[i].want);
        }
        closesocket(b);
        closesocket(a);
    }
    /* the two options exclude each other on one socket: WSAEINVAL */
    SOCKET s = sock_with(SO_REUSEADDR);
    DWORD on = 1;
    WSASetLastError(0);
    assert_int_equal(
        wsp_setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on, sizeof on),
        SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    closesocket(s);
}

/* SO_CONDITIONAL_ACCEPT page: a BOOL, read back as set. */
static void opt_conditional_accept(void **state)
{
    (void)state;
    SOCKET s = sock(AF_INET, SOCK_STREAM);
    assert_int_equal(get_dword(s, SOL_SOCKET, SO_CONDITIONAL_ACCEPT), 0);
    set_dword(s, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, 1);
    assert_int_equal(get_dword(s, SOL_SOCKET, SO_CONDITIONAL_ACCEPT), 1);
    closesocket(s);
}

/* SIO_KEEPALIVE_VALS page: milliseconds in, keep-alive on; the kernel keeps
 * seconds, so 3500 ms reads back as TCP_KEEPALIVE 4 (rounded up). */
static void ioctl_keepalive_vals(void **state)
{
    (void)state;
    SOCKET s = sock(AF_INET, SOCK_STREAM);
    struct tcp_keepalive ka = {1, 3500, 2000};
    DWORD got = 99;
    assert_int_equal(WSAIoctl(s, SIO_KEEPALIVE_VALS, &ka, sizeof ka, NULL, 0, &got, NULL, NULL), 0);
    assert_int_equal(got, 0);
    assert_int_equal(get_dword(s, SOL_SOCKET, SO_KEEPALIVE), 1);
    assert_int_equal(get_dword(s, IPPROTO_TCP, TCP_KEEPALIVE), 4);
    assert_int_equal(get_dword(s, IPPROTO_TCP, TCP_KEEPINTVL), 2);
    ka.onoff = 0;
    assert_int_equal(WSAIoctl(s, SIO_KEEPALIVE_VALS, &ka, sizeof ka, NULL, 0, &got, NULL, NULL), 0);
    assert_int_equal(get_dword(s, SOL_SOCKET, SO_KEEPALIVE), 0);
    closesocket(s);
}

/* SIO_ROUTING_INTERFACE_QUERY: the local address towards 127.0.0.1 is
 * 127.0.0.1. SIO_ADDRESS_LIST_QUERY: a SOCKET_ADDRESS_LIST with the loopback
 * address; a buffer too small is WSAEFAULT with the size needed in
 * lpcbBytesReturned (WSAIoctl page). */
static void ioctl_address_queries(void **state)
{
    (void)state;
    SOCKET s = sock(AF_INET, SOCK_DGRAM);
    struct sockaddr_in dst = lo4(9), local;
    DWORD got = 0;
    memset(&local, 0xAA, sizeof local);
    assert_int_equal(WSAIoctl(s, SIO_ROUTING_INTERFACE_QUERY, &dst, sizeof dst, &local,
                              sizeof local, &got, NULL, NULL),
                     0);
    assert_int_equal(got, sizeof local);
    assert_int_equal(local.sin_family, AF_INET);
    assert_int_equal(local.sin_addr.s_addr, htonl(INADDR_LOOPBACK));

    char small[4];
    got = 0;
    WSASetLastError(0);
    assert_int_equal(
        WSAIoctl(s, SIO_ADDRESS_LIST_QUERY, NULL, 0, small, sizeof small, &got, NULL, NULL),
        SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_true(got > sizeof small);
    union {
        SOCKET_ADDRESS_LIST list;
        char raw[8192];
    } u;
    assert_true(got <= sizeof u);
    DWORD need = got;
    assert_int_equal(WSAIoctl(s, SIO_ADDRESS_LIST_QUERY, NULL, 0, &u, sizeof u, &got, NULL, NULL),
                     0);
    assert_int_equal(got, need);
    int found = 0;
    /* Address is declared [1] and holds iAddressCount entries, as on Windows */
    const SOCKET_ADDRESS *addrs = (const void *)(u.raw + offsetof(SOCKET_ADDRESS_LIST, Address));
    for (int i = 0; i < u.list.iAddressCount; i++) {
        const struct sockaddr_in *a = (const void *)addrs[i].lpSockaddr;
        assert_int_equal(addrs[i].iSockaddrLength, sizeof *a);
        assert_true((const char *)a >= u.raw && (const char *)a < u.raw + got);
        found += a->sin_family == AF_INET && a->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    }
    assert_int_equal(found, 1);
    closesocket(s);
}

/* SIO_GET_INTERFACE_LIST page: INTERFACE_INFO entries (76 bytes each, as on
 * Windows x64) with Windows' IFF_ flags; the loopback one is up, has the
 * loopback flag, 127.0.0.1 and mask 255.0.0.0. Too small: WSAEFAULT and the
 * size needed. */
static void ioctl_interface_list(void **state)
{
    (void)state;
    assert_int_equal(sizeof(INTERFACE_INFO), 76);
    SOCKET s = sock(AF_INET, SOCK_DGRAM);
    INTERFACE_INFO info[32];
    DWORD got = 0;
    WSASetLastError(0);
    assert_int_equal(WSAIoctl(s, SIO_GET_INTERFACE_LIST, NULL, 0, info, 1, &got, NULL, NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_true(got >= sizeof info[0] && got % sizeof info[0] == 0 && got <= sizeof info);
    assert_int_equal(
        WSAIoctl(s, SIO_GET_INTERFACE_LIST, NULL, 0, info, sizeof info, &got, NULL, NULL), 0);
    int found = 0;
    for (DWORD i = 0; i < got / sizeof info[0]; i++) {
        if (info[i].iiAddress.AddressIn.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
            continue;
        found++;
        assert_int_equal(info[i].iiAddress.AddressIn.sin_family, AF_INET);
        assert_int_equal(info[i].iiFlags & (WSP_IFF_UP | WSP_IFF_LOOPBACK),
                         WSP_IFF_UP | WSP_IFF_LOOPBACK);
        assert_int_equal(info[i].iiNetmask.AddressIn.sin_addr.s_addr, htonl(0xff000000u));
    }
    assert_int_equal(found, 1);
    closesocket(s);
}

/* recv page: on a UDP socket WSAECONNRESET means "the remote host ...
 * responded with a Port Unreachable ICMP packet"; Linux gives ECONNREFUSED. */
static void udp_port_unreachable_is_connreset(void **state)
{
    (void)state;
    SOCKET gone = sock(AF_INET, SOCK_DGRAM);
    assert_int_equal(bind_lo(gone, 0), 0);
    u_short port = port_of(gone);
    closesocket(gone); /* nobody listens on port any more */
    SOCKET u = sock(AF_INET, SOCK_DGRAM);
    struct sockaddr_in to = lo4(port);
    assert_int_equal(wsp_connect(u, (struct sockaddr *)&to, sizeof to), 0);
    assert_int_equal(wsp_send(u, "x", 1, 0), 1);
    /* the ICMP error wakes a blocking receive; the timeout only bounds a
     * failure of the test */
    set_dword(u, SOL_SOCKET, SO_RCVTIMEO, 5000);
    char b[4];
    WSASetLastError(0);
    assert_int_equal(wsp_recv(u, b, sizeof b, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAECONNRESET);
    closesocket(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opt_rcvtimeo_dword_and_timeout),
        cmocka_unit_test(opt_sndtimeo_timeout),
        cmocka_unit_test(opt_ip_ipv6_tcp_roundtrip),
        cmocka_unit_test(opt_multicast_loopback),
        cmocka_unit_test(v6only_default_and_dual_stack),
        cmocka_unit_test(reuseaddr_windows_meaning),
        cmocka_unit_test(opt_conditional_accept),
        cmocka_unit_test(ioctl_keepalive_vals),
        cmocka_unit_test(ioctl_address_queries),
        cmocka_unit_test(ioctl_interface_list),
        cmocka_unit_test(udp_port_unreachable_is_connreset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
