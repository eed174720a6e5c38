/* SPDX-License-Identifier: MIT */
/* An itot connection that the engine accepted runs on a TCP connection with
 * TCP_NODELAY (a TPDU is never held back for the next) and SO_KEEPALIVE (a
 * dead peer is noticed), as an initiator's does: the provider sets both once
 * on the listener and Linux hands them to every connection it accepts.  And
 * the accepted socket's name is the address and port the peer connected to,
 * whether the listener listens on that one address or on all of them (IPv4's
 * wildcard, or an IPv6 listener's IPv4-mapped one). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

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

struct pair {
    SOCKET l, c, s;
    struct sockaddr_storage to; /* where the client connected */
    int to_len;
    /* the local name the accept recorded, as WSAAccept's condition
     * function is shown it (lpCalleeId) */
    struct sockaddr_storage callee;
    ULONG callee_len;
};

static int CALLBACK take_callee_id(LPWSABUF caller_id, LPWSABUF caller_data, LPQOS sqos, LPQOS gqos,
                                   LPWSABUF callee_id, LPWSABUF callee_data, GROUP *g, DWORD_PTR cb)
{
    (void)caller_id, (void)caller_data, (void)sqos, (void)gqos, (void)callee_data, (void)g;
    struct pair *p = (struct pair *)cb;
    p->callee_len = callee_id->len <= sizeof p->callee ? callee_id->len : 0;
    memcpy(&p->callee, callee_id->buf, p->callee_len);
    return CF_ACCEPT;
}

/* An address of family af from its text, port 0. */
static int addr_of(int af, const char *text, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    ss->ss_family = (sa_family_t)af;
    void *ip = af == AF_INET ? (void *)&((struct sockaddr_in *)ss)->sin_addr
                             : (void *)&((struct sockaddr_in6 *)ss)->sin6_addr;
    assert_int_equal(inet_pton(af, text, ip), 1);
    return af == AF_INET ? (int)sizeof(struct sockaddr_in) : (int)sizeof(struct sockaddr_in6);
}

/* The port of an AF_INET or AF_INET6 address (both keep it at one place). */
static uint16_t *port_of(struct sockaddr_storage *ss)
{
    return &((struct sockaddr_in *)ss)->sin_port;
}

/* A listener of family af bound to bind_to (port 0), a client connected to
 * connect_to at the listener's port, the server side accepted. */
static void pair_open(struct pair *p, int af, const char *bind_to, const char *connect_to)
{
    p->l = WSASocketA(af, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(p->l != INVALID_SOCKET);
    struct sockaddr_storage a;
    int len = addr_of(af, bind_to, &a);
    assert_int_equal(wsp_bind(p->l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(p->l, 1), 0);
    assert_int_equal(wsp_getsockname(p->l, (struct sockaddr *)&a, &len), 0);
    p->to_len = addr_of(af, connect_to, &p->to);
    *port_of(&p->to) = *port_of(&a);
    p->c = WSASocketA(af, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(p->c != INVALID_SOCKET);
    u_long nb = 1;
    assert_int_equal(ioctlsocket(p->c, WSP_FIONBIO, &nb), 0);
    assert_int_equal(wsp_connect(p->c, (struct sockaddr *)&p->to, p->to_len), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    /* the engine accepted TCP and read the CR */
    p->s = WSAAccept(p->l, NULL, NULL, take_callee_id, (DWORD_PTR)p);
    assert_true(p->s != INVALID_SOCKET);
}

static void pair_close(struct pair *p)
{
    closesocket(p->s);
    closesocket(p->c);
    closesocket(p->l);
}

/* The process's TCP descriptor whose local port is `port` and which has a
 * peer: the accepted connection's (the listener has no peer, the client's
 * local port is another). */
static int accepted_fd(uint16_t port)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int found = -1;
    struct dirent *e;
    while (found < 0 && (e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        struct sockaddr_in me, peer;
        socklen_t ml = sizeof me, pl = sizeof peer;
        int type = 0;
        socklen_t tl = sizeof type;
        if (e->d_name[0] == '.' || fd == dirfd(d) ||
            getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_STREAM ||
            getsockname(fd, (struct sockaddr *)&me, &ml) != 0 || me.sin_family != AF_INET ||
            me.sin_port != port || getpeername(fd, (struct sockaddr *)&peer, &pl) != 0)
            continue;
        found = fd;
    }
    closedir(d);
    return found;
}

static void accepted_tcp_has_nodelay_and_keepalive(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, AF_INET, "127.0.0.1", "127.0.0.1");
    int fd = accepted_fd(*port_of(&p.to));
    assert_true(fd >= 0);
    int v = 0;
    socklen_t vl = sizeof v;
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl), 0);
    assert_int_not_equal(v, 0);
    v = 0;
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &vl), 0);
    assert_int_not_equal(v, 0);
    /* and as the application sees it */
    int k = 0, kl = sizeof k;
    assert_int_equal(wsp_getsockopt(p.s, SOL_SOCKET, SO_KEEPALIVE, (char *)&k, &kl), 0);
    assert_int_not_equal(k, 0);
    pair_close(&p);
}

/* The accepted socket's name, live (getsockname) and as recorded at the
 * accept (the condition function's callee id, also the name kept after the
 * release), is the address and port the client connected to. */
static void accepted_name_is_where_the_peer_connected(int af, const char *bind_to,
                                                      const char *connect_to)
{
    struct pair p;
    pair_open(&p, af, bind_to, connect_to);
    struct sockaddr_storage a;
    int len = sizeof a;
    assert_int_equal(wsp_getsockname(p.s, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(len, p.to_len);
    assert_memory_equal(&a, &p.to, (size_t)p.to_len);
    assert_int_equal(p.callee_len, (ULONG)p.to_len);
    assert_memory_equal(&p.callee, &p.to, (size_t)p.to_len);
    pair_close(&p);
}

static void name_on_a_listener_of_one_address(void **state)
{
    (void)state;
    accepted_name_is_where_the_peer_connected(AF_INET, "127.0.0.1", "127.0.0.1");
}

static void name_on_a_listener_of_every_address(void **state)
{
    (void)state;
    accepted_name_is_where_the_peer_connected(AF_INET, "0.0.0.0", "127.0.0.1");
}

/* An IPv6 listener bound to the IPv4-mapped wildcard listens on every IPv4
 * address: not one address, although it is not "::". */
static void name_on_a_listener_of_every_mapped_address(void **state)
{
    (void)state;
    accepted_name_is_where_the_peer_connected(AF_INET6, "::ffff:0.0.0.0", "::ffff:127.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(accepted_tcp_has_nodelay_and_keepalive, setup, teardown),
        cmocka_unit_test_setup_teardown(name_on_a_listener_of_one_address, setup, teardown),
        cmocka_unit_test_setup_teardown(name_on_a_listener_of_every_address, setup, teardown),
        cmocka_unit_test_setup_teardown(name_on_a_listener_of_every_mapped_address, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
