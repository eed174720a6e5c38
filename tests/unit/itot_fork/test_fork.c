/* SPDX-License-Identifier: MIT */
/* fork() while itot and tcp are in use.  The parent has an itot connection
 * and a tcp connection with WSAEventSelect (so both providers' threads run),
 * then forks.  The child connects over itot to the parent's listener, sends a
 * TSDU and WSASendDisconnect with data, uses WSAEventSelect on a tcp socket of
 * its own, and checks the rule for what it inherited: the parent's itot
 * sockets answer WSAENOTSOCK and closesocket only releases the handle.  The
 * parent accepts the child, reads its TSDU and disconnect data, and its own
 * connections (opened before the fork) must still work both ways.
 *
 * Before the engines were per process, the child registered its sockets in
 * the parent's epoll sets (pointers into its own heap for itot) and had no
 * engine thread of its own: its connect never completed and the parent's
 * engine was handed foreign pointers. */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#define WAIT_MS 20000 /* bound on every wait: a broken provider fails, never hangs */

static void loopback(struct sockaddr_in *a, uint16_t port)
{
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(port);
}

/* A listener of (type, protocol) on 127.0.0.1, port chosen by the kernel. */
static SOCKET listen_on(int type, int protocol, struct sockaddr_in *addr)
{
    SOCKET l = WSASocketA(AF_INET, type, protocol, NULL, 0, 0);
    if (l == INVALID_SOCKET)
        return INVALID_SOCKET;
    int len = sizeof *addr;
    loopback(addr, 0);
    if (wsp_bind(l, (struct sockaddr *)addr, len) != 0 || wsp_listen(l, 4) != 0 ||
        wsp_getsockname(l, (struct sockaddr *)addr, &len) != 0) {
        closesocket(l);
        return INVALID_SOCKET;
    }
    return l;
}

/* Wait until s is readable: 1, or 0 at the deadline. */
static int readable(SOCKET s, int ms)
{
    wsp_fd_set r;
    WSP_FD_ZERO(&r);
    WSP_FD_SET(s, &r);
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return wsp_select(0, &r, NULL, NULL, &tv) == 1;
}

struct connector {
    SOCKET s;
    struct sockaddr_in to;
    int rc;
};

static void *connect_main(void *arg)
{
    struct connector *k = arg;
    k->rc = wsp_connect(k->s, (struct sockaddr *)&k->to, sizeof k->to);
    return NULL;
}

/* An itot connection: *cl connected to *sv, accepted on l. */
static void itot_pair(SOCKET l, const struct sockaddr_in *addr, SOCKET *cl, SOCKET *sv)
{
    struct connector k = {.s = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0),
                          .to = *addr};
    assert_true(k.s != INVALID_SOCKET);
    pthread_t t;
    /* A blocking itot connect completes only when the accept takes it. */
    assert_int_equal(pthread_create(&t, NULL, connect_main, &k), 0);
    *sv = WSAAccept(l, NULL, NULL, NULL, 0);
    pthread_join(t, NULL);
    assert_true(*sv != INVALID_SOCKET);
    assert_int_equal(k.rc, 0);
    *cl = k.s;
}

/* One TSDU from a to b, checked. */
static void itot_roundtrip(SOCKET a, SOCKET b, const char *msg)
{
    int n = (int)strlen(msg);
    assert_int_equal(wsp_send(a, msg, n, 0), n);
    char buf[64];
    assert_true(readable(b, WAIT_MS));
    assert_int_equal(wsp_recv(b, buf, sizeof buf, 0), n);
    assert_memory_equal(buf, msg, (size_t)n);
}

/* Bytes from a to b over tcp; b has WSAEventSelect(ev, FD_READ) and must get FD_READ. */
static void tcp_roundtrip_event(SOCKET a, SOCKET b, WSAEVENT ev, const char *msg)
{
    int n = (int)strlen(msg);
    assert_int_equal(wsp_send(a, msg, n, 0), n);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, WAIT_MS, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENTS ne;
    assert_int_equal(WSAEnumNetworkEvents(b, ev, &ne), 0);
    assert_true(ne.lNetworkEvents & FD_READ);
    char buf[64];
    assert_int_equal(wsp_recv(b, buf, sizeof buf, 0), n);
    assert_memory_equal(buf, msg, (size_t)n);
}

/* ---- the child ------------------------------------------------------------
 * Never calls cmocka (its state is the parent's): each failed step exits with
 * its own code, which the parent reports. */
enum child_step {
    CH_OK,
    CH_STARTUP = 10,
    CH_SOCKET,
    CH_CONNECT,
    CH_SEND,
    CH_DISCONNECT,
    CH_END,
    CH_INHERITED_SEND,
    CH_INHERITED_CLOSE,
    CH_TCP_SETUP,
    CH_TCP_EVENT,
    CH_CLEANUP,
};

static const char child_msg[] = "from the child";
static const char child_bye[] = "child bye";

static int child_itot(const struct sockaddr_in *parent_listener)
{
    SOCKET s = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    if (s == INVALID_SOCKET)
        return CH_SOCKET;
    if (wsp_connect(s, (const struct sockaddr *)parent_listener, sizeof *parent_listener) != 0)
        return CH_CONNECT;
    if (wsp_send(s, child_msg, (int)strlen(child_msg), 0) != (int)strlen(child_msg))
        return CH_SEND;
    WSABUF bye = {.len = (ULONG)strlen(child_bye), .buf = (CHAR *)child_bye};
    if (WSASendDisconnect(s, &bye) != 0)
        return CH_DISCONNECT;
    /* The end of the release (the parent's DC, or its TCP close in class 0):
     * the parent has read everything when this returns. */
    char b[8];
    WSABUF wb = {.len = sizeof b, .buf = b};
    DWORD got = 0, flags = 0;
    if (!readable(s, WAIT_MS) || WSARecv(s, &wb, 1, &got, &flags, NULL, NULL) == 0 ||
        WSAGetLastError() != WSAEDISCON)
        return CH_END;
    closesocket(s);
    return CH_OK;
}

/* The fork rule: the parent's itot sockets are not the child's.  Any call
 * answers WSAENOTSOCK (Windows' code for "not a socket" of this process; a
 * duplicated Windows socket needs WSADuplicateSocket, which fork() is not),
 * and closesocket releases the handle without touching the connection. */
static int child_inherited(SOCKET inherited)
{
    if (wsp_send(inherited, "x", 1, 0) != SOCKET_ERROR || WSAGetLastError() != WSAENOTSOCK)
        return CH_INHERITED_SEND;
    if (closesocket(inherited) != 0)
        return CH_INHERITED_CLOSE;
    if (closesocket(inherited) != SOCKET_ERROR || WSAGetLastError() != WSAENOTSOCK)
        return CH_INHERITED_CLOSE; /* the handle is gone */
    return CH_OK;
}

/* The tcp provider's event watcher, started in the child: FD_ACCEPT on a
 * listener of the child's own. */
static int child_tcp_events(void)
{
    struct sockaddr_in a;
    SOCKET l = listen_on(SOCK_STREAM, IPPROTO_TCP, &a);
    SOCKET c = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
    WSAEVENT ev = WSACreateEvent();
    if (l == INVALID_SOCKET || c == INVALID_SOCKET || ev == NULL ||
        WSAEventSelect(l, ev, FD_ACCEPT) != 0)
        return CH_TCP_SETUP;
    if (wsp_connect(c, (struct sockaddr *)&a, sizeof a) != 0)
        return CH_TCP_SETUP;
    WSANETWORKEVENTS ne;
    if (WSAWaitForMultipleEvents(1, &ev, FALSE, WAIT_MS, FALSE) != WSA_WAIT_EVENT_0 ||
        WSAEnumNetworkEvents(l, ev, &ne) != 0 || !(ne.lNetworkEvents & FD_ACCEPT))
        return CH_TCP_EVENT;
    closesocket(c);
    closesocket(l);
    WSACloseEvent(ev);
    return CH_OK;
}

static int child_main(const struct sockaddr_in *parent_listener, SOCKET inherited)
{
    WSADATA d;
    if (WSAStartup(MAKEWORD(2, 2), &d) != 0)
        return CH_STARTUP;
    int rc = child_itot(parent_listener);
    if (rc == CH_OK)
        rc = child_inherited(inherited);
    if (rc == CH_OK)
        rc = child_tcp_events();
    if (rc == CH_OK && WSACleanup() != 0)
        rc = CH_CLEANUP;
    return rc;
}

/* ---- the parent ------------------------------------------------------------ */
static void fork_child_uses_itot_parent_unaffected(void **state)
{
    (void)state;
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);

    /* itot in use: a connection that has carried data both ways. */
    struct sockaddr_in la;
    SOCKET l = listen_on(SOCK_SEQPACKET, WSP_PROTO_ITOT, &la);
    assert_true(l != INVALID_SOCKET);
    SOCKET p1, p2;
    itot_pair(l, &la, &p1, &p2);
    itot_roundtrip(p1, p2, "before fork, 1 to 2");
    itot_roundtrip(p2, p1, "before fork, 2 to 1");

    /* tcp in use, with its event watcher running. */
    struct sockaddr_in ta;
    SOCKET tl = listen_on(SOCK_STREAM, IPPROTO_TCP, &ta);
    assert_true(tl != INVALID_SOCKET);
    SOCKET t1 = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
    assert_int_equal(wsp_connect(t1, (struct sockaddr *)&ta, sizeof ta), 0);
    SOCKET t2 = wsp_accept(tl, NULL, NULL);
    assert_true(t2 != INVALID_SOCKET);
    WSAEVENT ev = WSACreateEvent();
    assert_non_null(ev);
    assert_int_equal(WSAEventSelect(t2, ev, FD_READ), 0);
    tcp_roundtrip_event(t1, t2, ev, "tcp before fork");

    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(2 * WAIT_MS / 1000); /* a hung child is a failure, not a hung test */
        _exit(child_main(&la, p1));
    }

    /* The child's connection: its TSDU, then its disconnect with data. */
    assert_true(readable(l, WAIT_MS));
    SOCKET c = WSAAccept(l, NULL, NULL, NULL, 0);
    assert_true(c != INVALID_SOCKET);
    char buf[64];
    assert_true(readable(c, WAIT_MS));
    assert_int_equal(wsp_recv(c, buf, sizeof buf, 0), (int)strlen(child_msg));
    assert_memory_equal(buf, child_msg, strlen(child_msg));
    WSABUF wb = {.len = sizeof buf, .buf = buf};
    DWORD got = 0, flags = 0;
    assert_true(readable(c, WAIT_MS));
    assert_int_equal(WSARecv(c, &wb, 1, &got, &flags, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEDISCON);
    WSABUF db = {.len = sizeof buf, .buf = buf};
    assert_int_equal(WSARecvDisconnect(c, &db), 0);
    assert_int_equal(db.len, strlen(child_bye));
    assert_memory_equal(buf, child_bye, strlen(child_bye));
    assert_int_equal(closesocket(c), 0);

    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st))
        fail_msg("child killed by signal %d", WTERMSIG(st));
    if (WEXITSTATUS(st) != CH_OK)
        fail_msg("child failed at step %d", WEXITSTATUS(st));

    /* The parent's connections, older than the fork, go on: nothing the child
     * did (its closesocket of the inherited p1 included) reached them. */
    itot_roundtrip(p1, p2, "after fork, 1 to 2");
    itot_roundtrip(p2, p1, "after fork, 2 to 1");
    tcp_roundtrip_event(t1, t2, ev, "tcp after fork");

    WSAEventSelect(t2, NULL, 0);
    WSACloseEvent(ev);
    closesocket(t1);
    closesocket(t2);
    closesocket(tl);
    closesocket(p1);
    closesocket(p2);
    closesocket(l);
    assert_int_equal(WSACleanup(), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fork_child_uses_itot_parent_unaffected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
