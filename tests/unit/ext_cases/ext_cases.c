/* SPDX-License-Identifier: MIT */
/* Microsoft's extension functions through the real API, one body for every
 * provider that has them (tcp_ext, itot_ext: each gives its fixture, see
 * ext_cases.h).  The pointers come from
 * WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER), are called directly, and
 * complete through an event, a completion port or a completion routine
 * (docs/providers-tcp.md and docs/providers-itot.md "Extension functions").
 *
 * Windows' rules the asserts follow: WSAIoctl (WSAEINVAL for a GUID the
 * provider does not know, WSAEFAULT for an output buffer outside the address
 * space or too small); AcceptEx (the accept socket must be neither bound nor
 * connected; address blocks at least 16 octets over the address; lpOverlapped
 * required; completed with the first data when dwReceiveDataLength > 0; the
 * completion goes to the listening socket's port); GetAcceptExSockaddrs (the
 * addresses of the connection); ConnectEx (the socket must be bound, the send
 * buffer goes after the connection is made); DisconnectEx (flags other than
 * TF_REUSE_SOCKET are WSAEINVAL; TF_REUSE_SOCKET makes the socket usable for
 * AcceptEx / ConnectEx again); SO_CONNECT_TIME (0xFFFFFFFF when not
 * connected).  On TCP a DisconnectEx is a FIN after the queued data: the
 * peer's recv returns 0 after the data (WSARecv page: graceful close); on
 * itot it is a DR with SO_DISCDATA, the peer sees WSAEDISCON and reads the
 * data with WSARecvDisconnect. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "ext_cases.h"

#define WAIT_MS 20000 /* bound on every wait: a broken provider fails, never hangs */
#define BLK (sizeof(struct sockaddr_in) + 16)

int ext_setup(void **state)
{
    (void)state;
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d);
}

int ext_teardown(void **state)
{
    (void)state;
    return WSACleanup();
}

/* A socket of the provider under test. */
static SOCKET ext_socket(void)
{
    SOCKET s = WSASocketA(AF_INET, ext_fx.type, ext_fx.protocol, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    return s;
}

static SOCKET listener(struct sockaddr_in *where)
{
    SOCKET l = ext_socket();
    struct sockaddr_in a = loopback();
    int len = sizeof a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(l, 4), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)where, &len), 0);
    return l;
}

static WSAOVERLAPPED ov_new(void)
{
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = WSACreateEvent();
    assert_true(ov.hEvent != NULL);
    return ov;
}

static bool signalled(WSAOVERLAPPED *ov)
{
    return WSAWaitForMultipleEvents(1, &ov->hEvent, FALSE, WAIT_MS, FALSE) == WSA_WAIT_EVENT_0;
}

/* The completed operation's status: 0 and *n, or the error. */
static int result(SOCKET s, WSAOVERLAPPED *ov, DWORD *n)
{
    DWORD nn = 0xDEAD, ff = 0xDEAD;
    if (WSAGetOverlappedResult(s, ov, &nn, TRUE, &ff)) {
        *n = nn;
        return 0;
    }
    return WSAGetLastError();
}

/* A blocking connect in a thread (itot: it completes once the CC is there). */
struct connector {
    SOCKET s;
    struct sockaddr_in to;
    const char *first; /* data (itot: a TSDU) to send once connected, or NULL */
    int rc;
};

static void *connect_main(void *arg)
{
    struct connector *k = arg;
    k->rc = wsp_connect(k->s, (struct sockaddr *)&k->to, sizeof k->to);
    if (k->rc == 0 && k->first != NULL)
        k->rc = wsp_send(k->s, k->first, (int)strlen(k->first), 0) == (int)strlen(k->first)
                    ? 0
                    : WSAGetLastError();
    return NULL;
}

/* Exactly the octets of m: one whole TSDU where messages are kept, else
 * as many reads as the stream needs. */
static void expect_tsdu(SOCKET s, const char *m)
{
    char buf[256];
    if (ext_fx.messages) {
        int n = wsp_recv(s, buf, sizeof buf, 0);
        assert_int_equal(n, (int)strlen(m));
        assert_memory_equal(buf, m, strlen(m));
        return;
    }
    size_t want = strlen(m), got = 0;
    while (got < want) {
        int n = wsp_recv(s, buf + got, (int)(want - got), 0);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_memory_equal(buf, m, want);
}

/* ---- the pointers -------------------------------------------------------------- */

void pointers_and_bad_requests(void **state)
{
    (void)state;
    SOCKET s = ext_socket();
    (void)load(s);
    GUID unknown = {0x12345678, 0x1, 0x2, {0, 1, 2, 3, 4, 5, 6, 7}};
    GUID ax = WSAID_ACCEPTEX;
    void *fn = NULL;
    DWORD n = 0;
    /* WSAIoctl: an input that is not acceptable */
    assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &unknown, sizeof unknown, &fn,
                              sizeof fn, &n, NULL, NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    /* WSAIoctl: a buffer too small, or outside the address space */
    assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &ax, sizeof ax, &fn,
                              sizeof fn - 1, &n, NULL, NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(bad != MAP_FAILED);
    assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &ax, sizeof ax, bad, sizeof fn,
                              &n, NULL, NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, bad, sizeof ax, &fn, sizeof fn,
                              &n, NULL, NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    munmap(bad, 4096);
    closesocket(s);
}

/* ---- AcceptEx ---------------------------------------------------------------------- */

/* AcceptEx without receive data, completed through an event: the connection
 * is the accept socket's, GetAcceptExSockaddrs gives what getsockname and
 * getpeername give, and data flows both ways. */
void acceptex_event_no_data(void **state)
{
    (void)state;
    struct sockaddr_in where;
    SOCKET l = listener(&where);
    struct fns f = load(l);
    SOCKET a = ext_socket();
    DWORD ct = 0;
    int len = sizeof ct;
    assert_int_equal(wsp_getsockopt(a, SOL_SOCKET, SO_CONNECT_TIME, (char *)&ct, &len), 0);
    assert_int_equal(ct, 0xFFFFFFFFu); /* not connected */
    char out[2 * BLK];
    DWORD got = 0xDEAD;
    WSAOVERLAPPED ov = ov_new();
    assert_false(f.accept_ex(l, a, out, 0, BLK, BLK, &got, &ov));
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);

    struct connector k = {.s = ext_socket(), .to = where};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, connect_main, &k), 0);
    assert_true(signalled(&ov));
    pthread_join(t, NULL);
    assert_int_equal(k.rc, 0);
    DWORD n = 0xDEAD;
    assert_int_equal(result(l, &ov, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(wsp_setsockopt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&l, sizeof l),
                     0);

    struct sockaddr *ls = NULL, *rs = NULL;
    int ll = 0, rl = 0;
    f.sockaddrs(out, 0, BLK, BLK, &ls, &ll, &rs, &rl);
    struct sockaddr_in me, peer, cl_me;
    int ml = sizeof me, pl = sizeof peer, cml = sizeof cl_me;
    assert_int_equal(wsp_getsockname(a, (struct sockaddr *)&me, &ml), 0);
    assert_int_equal(wsp_getpeername(a, (struct sockaddr *)&peer, &pl), 0);
    assert_int_equal(wsp_getsockname(k.s, (struct sockaddr *)&cl_me, &cml), 0);
    assert_int_equal(ll, ml);
    assert_int_equal(rl, pl);
    assert_memory_equal(ls, &me, sizeof me);
    assert_memory_equal(rs, &peer, sizeof peer);
    assert_memory_equal(&peer, &cl_me, sizeof peer); /* the connector's own address */
    assert_int_equal(me.sin_port, where.sin_port);

    len = sizeof ct;
    assert_int_equal(wsp_getsockopt(a, SOL_SOCKET, SO_CONNECT_TIME, (char *)&ct, &len), 0);
    assert_true(ct < 60); /* seconds since the connection was made */

    assert_int_equal(wsp_send(k.s, "ping", 4, 0), 4);
    expect_tsdu(a, "ping");
    assert_int_equal(wsp_send(a, "pong", 4, 0), 4);
    expect_tsdu(k.s, "pong");
    WSACloseEvent(ov.hEvent);
    closesocket(k.s);
    closesocket(a);
    closesocket(l);
}

/* AcceptEx with receive data, completed through the listener's completion
 * port: the first data (itot: TSDU) is in the buffer, then the addresses. */
void acceptex_port_with_data(void **state)
{
    (void)state;
    struct sockaddr_in where;
    SOCKET l = listener(&where);
    struct fns f = load(l);
    HANDLE port = CreateIoCompletionPort((HANDLE)(uintptr_t)l, NULL, 77, 0);
    assert_non_null(port);
    SOCKET a = ext_socket();
    char out[64 + 2 * BLK];
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    assert_false(f.accept_ex(l, a, out, 64, BLK, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);

    struct connector k = {.s = ext_socket(), .to = where, .first = "first tsdu"};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, connect_main, &k), 0);
    DWORD n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    pthread_join(t, NULL);
    assert_int_equal(k.rc, 0);
    assert_ptr_equal(got, &ov);
    assert_int_equal(key, 77);
    assert_int_equal(n, strlen("first tsdu"));
    assert_memory_equal(out, "first tsdu", n);
    struct sockaddr *ls = NULL, *rs = NULL;
    int ll = 0, rl = 0;
    f.sockaddrs(out, 64, BLK, BLK, &ls, &ll, &rs, &rl);
    struct sockaddr_in peer;
    int pl = sizeof peer;
    assert_int_equal(wsp_getpeername(a, (struct sockaddr *)&peer, &pl), 0);
    assert_int_equal(rl, pl);
    assert_memory_equal(rs, &peer, sizeof peer);
    assert_int_equal(((struct sockaddr_in *)(void *)ls)->sin_port, where.sin_port);
    CloseHandle(port);
    closesocket(k.s);
    closesocket(a);
    closesocket(l);
}

/* A connection already waiting when AcceptEx is called is taken at once. */
void acceptex_connection_waiting(void **state)
{
    (void)state;
    struct sockaddr_in where;
    SOCKET l = listener(&where);
    struct fns f = load(l);
    /* A non-blocking connect: the connection (itot: its CR) waits in the
     * listener's queue. */
    SOCKET c = ext_socket();
    u_long one = 1;
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &one), 0);
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&where, sizeof where), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    wsp_fd_set r;
    WSP_FD_ZERO(&r);
    WSP_FD_SET(l, &r);
    struct timeval tv = {.tv_sec = WAIT_MS / 1000};
    assert_int_equal(wsp_select(0, &r, NULL, NULL, &tv), 1); /* FD_ACCEPT: it is there */
    SOCKET a = ext_socket();
    char out[2 * BLK];
    WSAOVERLAPPED ov = ov_new();
    if (!f.accept_ex(l, a, out, 0, BLK, BLK, NULL, &ov))
        assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_true(signalled(&ov));
    DWORD n = 0xDEAD;
    assert_int_equal(result(l, &ov, &n), 0);
    assert_int_equal(n, 0);
    wsp_fd_set w;
    WSP_FD_ZERO(&w);
    WSP_FD_SET(c, &w);
    assert_int_equal(wsp_select(0, NULL, &w, NULL, &tv), 1); /* connected (itot: the CC came) */
    assert_int_equal(wsp_send(a, "hi", 2, 0), 2);
    one = 0;
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &one), 0);
    expect_tsdu(c, "hi");
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(a);
    closesocket(l);
}

/* Bad input: each a documented code, nothing crashes, nothing pending. */
void acceptex_bad_input(void **state)
{
    (void)state;
    struct sockaddr_in where;
    SOCKET l = listener(&where);
    struct fns f = load(l);
    char out[64 + 2 * BLK];
    WSAOVERLAPPED ov = ov_new();

    /* A connected accept socket: WSAEISCONN. */
    SOCKET a = ext_socket();
    struct connector k = {.s = ext_socket(), .to = where};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, connect_main, &k), 0);
    SOCKET sv = WSAAccept(l, NULL, NULL, NULL, 0);
    pthread_join(t, NULL);
    assert_true(sv != INVALID_SOCKET);
    assert_false(f.accept_ex(l, sv, out, 0, BLK, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEISCONN);
    /* A bound accept socket; a listener as accept socket: WSAEINVAL. */
    SOCKET b = ext_socket();
    struct sockaddr_in any = loopback();
    assert_int_equal(wsp_bind(b, (struct sockaddr *)&any, sizeof any), 0);
    assert_false(f.accept_ex(l, b, out, 0, BLK, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_false(f.accept_ex(l, l, out, 0, BLK, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    /* Not listening: WSAEINVAL. */
    assert_false(f.accept_ex(b, a, out, 0, BLK, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    /* Address blocks under the address length + 16; no lpOverlapped: WSAEINVAL. */
    assert_false(f.accept_ex(l, a, out, 0, BLK - 1, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_false(f.accept_ex(l, a, out, 0, BLK, BLK, NULL, NULL));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    /* An output buffer outside the address space: WSAEFAULT. */
    void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(bad != MAP_FAILED);
    assert_false(f.accept_ex(l, a, bad, 0, BLK, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    munmap(bad, 4096);
    /* Not a socket, or another provider's: WSAENOTSOCK, for either handle —
     * a provider's functions never take another provider's context for
     * theirs. */
    assert_false(f.accept_ex(l, (SOCKET)0x7FFFFF00, out, 0, BLK, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    SOCKET other =
        WSASocketA(AF_INET, ext_fx.other_type, ext_fx.other_protocol, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(other != INVALID_SOCKET);
    assert_false(f.accept_ex(l, other, out, 0, BLK, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    assert_false(f.accept_ex(other, a, out, 0, BLK, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    assert_false(f.connect_ex(other, (struct sockaddr *)&where, sizeof where, NULL, 0, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    assert_false(f.disconnect_ex(other, NULL, 0, 0));
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    char one[1] = "x";
    WSABUF ob = {1, one};
    WSAMSG om = {.lpBuffers = &ob, .dwBufferCount = 1};
    DWORD on = 0;
    assert_int_equal(f.send_msg(other, &om, 0, &on, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    assert_int_equal(f.recv_msg(other, &om, &on, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    closesocket(other);
    /* None of them started anything: the event was never set. */
    assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);

    /* A pending AcceptEx: a second one on the same accept socket is
     * WSAEINVAL; closing the listener aborts the first. */
    assert_false(f.accept_ex(l, a, out, 0, BLK, BLK, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    WSAOVERLAPPED ov2 = ov_new();
    assert_false(f.accept_ex(l, a, out, 0, BLK, BLK, NULL, &ov2));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    closesocket(l);
    assert_true(signalled(&ov));
    DWORD n;
    assert_int_equal(result(a, &ov, &n), WSA_OPERATION_ABORTED);
    WSACloseEvent(ov.hEvent);
    WSACloseEvent(ov2.hEvent);
    closesocket(sv);
    closesocket(k.s);
    closesocket(a);
    closesocket(b);
}

/* ---- ConnectEx ------------------------------------------------------------------------ */

static SOCKET bound_socket(void)
{
    SOCKET s = ext_socket();
    struct sockaddr_in a = loopback();
    assert_int_equal(wsp_bind(s, (struct sockaddr *)&a, sizeof a), 0);
    return s;
}

/* ConnectEx with a send buffer, through an event: the buffer is the first
 * data (itot: TSDU) the peer reads; afterwards the socket is an ordinary
 * connected one. */
void connectex_event_with_data(void **state)
{
    (void)state;
    struct sockaddr_in where;
    SOCKET l = listener(&where);
    SOCKET c = bound_socket();
    struct fns f = load(c);
    WSAOVERLAPPED ov = ov_new();
    char data[] = "connect data";
    DWORD sent = 0xDEAD;
    assert_false(f.connect_ex(c, (struct sockaddr *)&where, sizeof where, data, 12, &sent, &ov));
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    SOCKET sv = WSAAccept(l, NULL, NULL, NULL, 0);
    assert_true(sv != INVALID_SOCKET);
    assert_true(signalled(&ov));
    DWORD n = 0xDEAD;
    assert_int_equal(result(c, &ov, &n), 0);
    assert_int_equal(n, 12);
    assert_int_equal(wsp_setsockopt(c, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0), 0);
    expect_tsdu(sv, "connect data");
    struct sockaddr_in peer;
    int pl = sizeof peer;
    assert_int_equal(wsp_getpeername(c, (struct sockaddr *)&peer, &pl), 0);
    assert_memory_equal(&peer, &where, sizeof peer);
    DWORD ct = 0xDEAD;
    int len = sizeof ct;
    assert_int_equal(wsp_getsockopt(c, SOL_SOCKET, SO_CONNECT_TIME, (char *)&ct, &len), 0);
    assert_true(ct < 60);
    assert_int_equal(wsp_send(sv, "back", 4, 0), 4);
    expect_tsdu(c, "back");
    WSACloseEvent(ov.hEvent);
    closesocket(sv);
    closesocket(c);
    closesocket(l);
}

/* ConnectEx without data, through a completion port; refused: the error. */
void connectex_port(void **state)
{
    (void)state;
    struct sockaddr_in where;
    SOCKET l = listener(&where);
    SOCKET c = bound_socket();
    struct fns f = load(c);
    HANDLE port = CreateIoCompletionPort((HANDLE)(uintptr_t)c, NULL, 5, 0);
    assert_non_null(port);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    assert_false(f.connect_ex(c, (struct sockaddr *)&where, sizeof where, NULL, 0, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    SOCKET sv = WSAAccept(l, NULL, NULL, NULL, 0);
    assert_true(sv != INVALID_SOCKET);
    DWORD n = 0xDEAD;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &ov);
    assert_int_equal(key, 5);
    assert_int_equal(n, 0);
    closesocket(sv);
    closesocket(c);
    closesocket(l);

    /* A port bound but never listened on (a closed listener may still hold
     * connections in the kernel's backlog for a moment, and reset them):
     * the completion carries the refusal. */
    SOCKET quiet = bound_socket();
    struct sockaddr_in nowhere;
    int nl = sizeof nowhere;
    assert_int_equal(wsp_getsockname(quiet, (struct sockaddr *)&nowhere, &nl), 0);
    SOCKET d = bound_socket();
    assert_non_null(CreateIoCompletionPort((HANDLE)(uintptr_t)d, port, 6, 0));
    memset(&ov, 0, sizeof ov);
    assert_false(f.connect_ex(d, (struct sockaddr *)&nowhere, sizeof nowhere, NULL, 0, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &ov);
    assert_int_equal(key, 6);
    assert_int_equal(GetLastError(), WSAECONNREFUSED);
    closesocket(d);
    closesocket(quiet);
    CloseHandle(port);
}

void connectex_bad_input(void **state)
{
    (void)state;
    struct sockaddr_in where;
    SOCKET l = listener(&where);
    struct fns f = load(l);
    WSAOVERLAPPED ov = ov_new();
    SOCKET u = ext_socket(); /* ConnectEx page: an unbound socket is WSAEINVAL */
    assert_false(f.connect_ex(u, (struct sockaddr *)&where, sizeof where, NULL, 0, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_false(f.connect_ex(l, (struct sockaddr *)&where, sizeof where, NULL, 0, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEINVAL); /* a listening socket */
    SOCKET c = bound_socket();
    assert_false(f.connect_ex(c, (struct sockaddr *)&where, sizeof where, NULL, 0, NULL, NULL));
    assert_int_equal(WSAGetLastError(), WSAEINVAL); /* lpOverlapped is required */
    assert_false(f.connect_ex(c, (struct sockaddr *)&where, 4, NULL, 0, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEFAULT); /* namelen too small, as connect */
    assert_false(f.connect_ex(c, (struct sockaddr *)&where, sizeof where, NULL, 9, NULL, &ov));
    assert_int_equal(WSAGetLastError(), WSAEFAULT); /* a send buffer that is not there */
    assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(u);
    closesocket(l);
}

/* ---- DisconnectEx ---------------------------------------------------------------------- */

struct pair {
    SOCKET l, cl, sv;
    struct sockaddr_in where;
};

static void pair_open(struct pair *p)
{
    p->l = listener(&p->where);
    struct connector k = {.s = ext_socket(), .to = p->where};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, connect_main, &k), 0);
    p->sv = WSAAccept(p->l, NULL, NULL, NULL, 0);
    pthread_join(t, NULL);
    assert_true(p->sv != INVALID_SOCKET);
    assert_int_equal(k.rc, 0);
    p->cl = k.s;
}

static void pair_close(struct pair *p)
{
    closesocket(p->cl);
    closesocket(p->sv);
    closesocket(p->l);
}

/* The peer's end.  With disconnect data (itot, a DR): WSARecv fails with
 * WSAEDISCON and WSARecvDisconnect gives the data `disc`; else recv returns 0
 * (graceful close: tcp's FIN). */
static void expect_end(SOCKET s, const char *disc)
{
    char buf[64];
    if (!ext_fx.disc_data) {
        assert_int_equal(wsp_recv(s, buf, sizeof buf, 0), 0); /* the FIN */
        return;
    }
    WSABUF d = {.len = sizeof buf, .buf = buf};
    DWORD n = 0, fl = 0;
    assert_int_equal(WSARecv(s, &d, 1, &n, &fl, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEDISCON); /* recv would return 0 */
    assert_int_equal(WSARecvDisconnect(s, &d), 0);
    assert_int_equal(d.len, strlen(disc));
    assert_memory_equal(buf, disc, d.len);
}

void disconnectex_event(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    struct fns f = load(p.cl);
    if (ext_fx.disc_data)
        assert_int_equal(wsp_setsockopt(p.cl, SOL_SOCKET, SO_DISCDATA, "bye", 3), 0);
    assert_int_equal(wsp_send(p.cl, "last", 4, 0), 4);
    WSAOVERLAPPED ov = ov_new();
    assert_false(f.disconnect_ex(p.cl, &ov, TF_DISCONNECT, 0)); /* DisconnectEx: WSAEINVAL */
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_false(f.disconnect_ex(p.cl, &ov, 0, 1));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    if (!f.disconnect_ex(p.cl, &ov, 0, 0))
        assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_true(signalled(&ov));
    DWORD n;
    assert_int_equal(result(p.cl, &ov, &n), 0);
    expect_tsdu(p.sv, "last");
    expect_end(p.sv, "bye");
    WSACloseEvent(ov.hEvent);
    pair_close(&p);
}

void disconnectex_port(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    struct fns f = load(p.cl);
    HANDLE port = CreateIoCompletionPort((HANDLE)(uintptr_t)p.sv, NULL, 9, 0);
    assert_non_null(port);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    if (!f.disconnect_ex(p.sv, &ov, 0, 0))
        assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    DWORD n = 0xDEAD;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &ov);
    assert_int_equal(key, 9);
    expect_end(p.cl, "");
    CloseHandle(port);
    pair_close(&p);
}

/* TF_REUSE_SOCKET: the connecting side disconnects and connects again with
 * ConnectEx; the accepting side, after the peer's end, takes the next
 * connection with AcceptEx on the same handle. */
void disconnectex_reuse(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    struct fns f = load(p.cl);
    assert_true(f.disconnect_ex(p.cl, NULL, TF_REUSE_SOCKET, 0));
    expect_end(p.sv, "");
    assert_true(f.disconnect_ex(p.sv, NULL, TF_REUSE_SOCKET, 0));

    /* sv again, as the accept socket of an AcceptEx. */
    char out[2 * BLK];
    WSAOVERLAPPED aov = ov_new();
    assert_false(f.accept_ex(p.l, p.sv, out, 0, BLK, BLK, NULL, &aov));
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    /* cl again, bound afresh, with ConnectEx. */
    struct sockaddr_in a = loopback();
    assert_int_equal(wsp_bind(p.cl, (struct sockaddr *)&a, sizeof a), 0);
    WSAOVERLAPPED cov = ov_new();
    assert_false(
        f.connect_ex(p.cl, (struct sockaddr *)&p.where, sizeof p.where, "again", 5, NULL, &cov));
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_true(signalled(&aov));
    assert_true(signalled(&cov));
    DWORD n;
    assert_int_equal(result(p.l, &aov, &n), 0);
    assert_int_equal(result(p.cl, &cov, &n), 0);
    assert_int_equal(n, 5);
    expect_tsdu(p.sv, "again");
    assert_int_equal(wsp_send(p.sv, "reply", 5, 0), 5);
    expect_tsdu(p.cl, "reply");
    WSACloseEvent(aov.hEvent);
    WSACloseEvent(cov.hEvent);
    pair_close(&p);
}

/* ---- WSARecvMsg / WSASendMsg ------------------------------------------------------------- */

static int routine_calls;
static DWORD routine_bytes, routine_err;

static void CALLBACK on_done(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)ov, (void)flags;
    routine_calls++;
    routine_err = err;
    routine_bytes = bytes;
}

void recvmsg_sendmsg(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    struct fns f = load(p.cl);
    /* Two buffers (itot: one TSDU). */
    char h1[] = "abc", h2[] = "defg";
    WSABUF sb[2] = {{3, h1}, {4, h2}};
    WSAMSG sm = {.lpBuffers = sb, .dwBufferCount = 2};
    DWORD sent = 0;
    assert_int_equal(f.send_msg(p.cl, &sm, 0, &sent, NULL, NULL), 0);
    assert_int_equal(sent, 7);
    char rbuf[32], cbuf[32];
    WSABUF rb = {sizeof rbuf, rbuf};
    WSAMSG rm = {.lpBuffers = &rb, .dwBufferCount = 1, .Control = {sizeof cbuf, cbuf}};
    DWORD got = 0;
    assert_int_equal(f.recv_msg(p.sv, &rm, &got, NULL, NULL), 0);
    assert_int_equal(got, 7);
    assert_memory_equal(rbuf, "abcdefg", 7);
    assert_int_equal(rm.Control.len, 0); /* no control data mapped */
    assert_int_equal(rm.dwFlags, 0);

    /* Overlapped with an event: pending until the data (itot: TSDU) comes. */
    WSAOVERLAPPED ov = ov_new();
    rm.Control.len = sizeof cbuf;
    assert_int_equal(f.recv_msg(p.sv, &rm, NULL, &ov, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_int_equal(f.send_msg(p.cl, &sm, 0, &sent, NULL, NULL), 0);
    assert_true(signalled(&ov));
    DWORD n;
    assert_int_equal(result(p.sv, &ov, &n), 0);
    assert_int_equal(n, 7);

    /* With a completion routine: it runs in this thread's alertable wait. */
    WSAOVERLAPPED ov2;
    memset(&ov2, 0, sizeof ov2);
    routine_calls = 0;
    assert_int_equal(f.recv_msg(p.sv, &rm, NULL, &ov2, on_done), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    assert_int_equal(f.send_msg(p.cl, &sm, 0, &sent, NULL, NULL), 0);
    for (int i = 0; i < 200 && routine_calls == 0; i++)
        SleepEx(100, TRUE);
    assert_int_equal(routine_calls, 1);
    assert_int_equal(routine_err, 0);
    assert_int_equal(routine_bytes, 7);

    /* Control data to send: none is mapped. */
    char ctl[WSA_CMSG_SPACE(4)];
    memset(ctl, 0, sizeof ctl);
    WSAMSG cm = {.lpBuffers = sb, .dwBufferCount = 2, .Control = {sizeof ctl, ctl}};
    assert_int_equal(f.send_msg(p.cl, &cm, 0, &sent, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    /* A WSAMSG outside the address space. */
    assert_int_equal(f.recv_msg(p.sv, (LPWSAMSG)(uintptr_t)16, &got, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    WSACloseEvent(ov.hEvent);
    pair_close(&p);
}
