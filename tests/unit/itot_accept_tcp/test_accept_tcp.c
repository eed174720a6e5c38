/* SPDX-License-Identifier: MIT */
/* An itot connection that the engine accepted runs on a TCP connection with
 * TCP_NODELAY (a TPDU is never held back for the next) and SO_KEEPALIVE (a
 * dead peer is noticed), as an initiator's does: the provider sets both once
 * on the listener and Linux hands them to every connection it accepts.  And
 * the accepted socket's name is the address and port the peer connected to,
 * whether the listener listens on that one address or on all of them. */
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
    struct sockaddr_in to; /* where the client connected */
};

/* A listener bound to `bind_to` (port 0), a client connected to 127.0.0.1
 * at the listener's port, the server side accepted. */
static void pair_open(struct pair *p, uint32_t bind_to)
{
    p->l = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(p->l != INVALID_SOCKET);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(bind_to)};
    int len = sizeof a;
    assert_int_equal(wsp_bind(p->l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(p->l, 1), 0);
    assert_int_equal(wsp_getsockname(p->l, (struct sockaddr *)&a, &len), 0);
    p->to = (struct sockaddr_in){
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = a.sin_port};
    p->c = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(p->c != INVALID_SOCKET);
    u_long nb = 1;
    assert_int_equal(ioctlsocket(p->c, WSP_FIONBIO, &nb), 0);
    assert_int_equal(wsp_connect(p->c, (struct sockaddr *)&p->to, sizeof p->to), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    p->s = wsp_accept(p->l, NULL, NULL); /* the engine accepted TCP and read the CR */
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
    pair_open(&p, INADDR_LOOPBACK);
    int fd = accepted_fd(p.to.sin_port);
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

static void accepted_name_is_where_the_peer_connected(uint32_t bind_to)
{
    struct pair p;
    pair_open(&p, bind_to);
    struct sockaddr_in a;
    int len = sizeof a;
    assert_int_equal(wsp_getsockname(p.s, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(len, sizeof a);
    assert_int_equal(a.sin_family, AF_INET);
    assert_int_equal(a.sin_port, p.to.sin_port);
    assert_int_equal(a.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    pair_close(&p);
}

static void name_on_a_listener_of_one_address(void **state)
{
    (void)state;
    accepted_name_is_where_the_peer_connected(INADDR_LOOPBACK);
}

static void name_on_a_listener_of_every_address(void **state)
{
    (void)state;
    accepted_name_is_where_the_peer_connected(INADDR_ANY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(accepted_tcp_has_nodelay_and_keepalive, setup, teardown),
        cmocka_unit_test_setup_teardown(name_on_a_listener_of_one_address, setup, teardown),
        cmocka_unit_test_setup_teardown(name_on_a_listener_of_every_address, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
