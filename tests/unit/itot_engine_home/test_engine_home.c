/* SPDX-License-Identifier: MIT */
/* itot's progress engine has no thread of its own: its epoll set is one
 * descriptor in libwsp's process poll set (ws2spi.h, WPUGetProcessPollSet),
 * and libwsp's "wsp-poll" thread runs its passes.  So a process using itot
 * and tcp together runs one watcher thread, "wsp-poll", and no other; a new
 * start of the provider (WSACleanup, WSAStartup) adds none; a timer of the
 * engine fires there while none of its sockets reports anything (the TS1 of
 * a CR nobody answers), also the first timer of a fresh engine that has not
 * passed yet (TS2 of a DR nobody answers); and with no poll procedure slot
 * left the engine still runs, on a thread of the provider's own. */
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>
#include <wsp/ws2spi.h>

#include "threads.h"

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

/* A listener of the given kind on a free loopback port, its address in *a. */
static SOCKET listening(int type, int proto, struct sockaddr_in *a)
{
    SOCKET l = WSASocketA(AF_INET, type, proto, NULL, 0, 0);
    assert_true(l != INVALID_SOCKET);
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof *a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)a, len), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)a, &len), 0);
    return l;
}

/* An itot connection through the engine: a listener (the engine accepts for
 * it), a non-blocking connect finished by the engine (FD_CONNECT), a TSDU
 * each way, and the client's release with 5 octets of disconnect data, which
 * the server reads as the end (recv 0) and SO_DISCDATA. */
static void itot_round_trip(void)
{
    struct sockaddr_in a;
    SOCKET l = listening(SOCK_SEQPACKET, WSP_PROTO_ITOT, &a);
    SOCKET c = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(c != INVALID_SOCKET);
    WSAEVENT ev = WSACreateEvent();
    assert_int_equal(WSAEventSelect(c, ev, FD_CONNECT), 0);
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&a, sizeof a), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    /* the CC goes out when the server accepts the CR the engine queued */
    SOCKET s = wsp_accept(l, NULL, NULL);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENTS ne;
    assert_int_equal(WSAEnumNetworkEvents(c, ev, &ne), 0);
    assert_true(ne.lNetworkEvents & FD_CONNECT);
    assert_int_equal(ne.iErrorCode[FD_CONNECT_BIT], 0);
    assert_int_equal(WSAEventSelect(c, NULL, 0), 0);
    u_long blocking = 0;
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &blocking), 0);

    char buf[16];
    assert_int_equal(wsp_send(c, "ping", 4, 0), 4);
    assert_int_equal(wsp_recv(s, buf, sizeof buf, 0), 4);
    assert_int_equal(wsp_send(s, "pong", 4, 0), 4);
    assert_int_equal(wsp_recv(c, buf, sizeof buf, 0), 4);
    assert_memory_equal(buf, "pong", 4);

    WSABUF dd = {.len = 5, .buf = "adieu"};
    assert_int_equal(WSASendDisconnect(c, &dd), 0);
    assert_int_equal(wsp_recv(s, buf, sizeof buf, 0), 0); /* WSARecv: WSAEDISCON */
    int n = sizeof buf;
    assert_int_equal(wsp_getsockopt(s, SOL_SOCKET, SO_DISCDATA, buf, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "adieu", 5);
    WSACloseEvent(ev);
    closesocket(s);
    closesocket(c);
    closesocket(l);
}

/* A tcp socket watched for WSAEventSelect: the tcp provider's watcher. */
static void tcp_event(void)
{
    struct sockaddr_in a;
    SOCKET l = listening(SOCK_STREAM, IPPROTO_TCP, &a);
    SOCKET c = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&a, sizeof a), 0);
    SOCKET s = wsp_accept(l, NULL, NULL);
    assert_true(s != INVALID_SOCKET);
    WSAEVENT ev = WSACreateEvent();
    assert_int_equal(WSAEventSelect(s, ev, FD_READ), 0);
    assert_int_equal(wsp_send(c, "x", 1, 0), 1);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    WSACloseEvent(ev);
    closesocket(s);
    closesocket(c);
    closesocket(l);
}

static void engine_runs_on_libwsps_thread(void **state)
{
    (void)state;
    struct threads before, after;
    threads_now(&before);
    itot_round_trip();
    tcp_event();
    threads_now(&after);
    /* wsp-poll, made here or by the case before; no thread besides */
    char name[32] = "";
    int added = threads_new(&before, &after, name);
    assert_true(added == 0 || (added == 1 && strcmp(name, "wsp-poll") == 0));
    assert_int_equal(threads_named(&after, "wsp-poll"), 1);

    /* a new start of the provider: its engine goes back into the same set */
    assert_int_equal(WSACleanup(), 0);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    threads_now(&before);
    itot_round_trip();
    threads_now(&after);
    assert_int_equal(threads_new(&before, &after, name), 0);
}

static long long ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* TS1 of a non-blocking connect is the engine's timer: a plain TCP listener
 * that takes the connection and never answers the CR sends nothing, so only
 * the engine's timer can end the wait, with FD_CONNECT and WSAETIMEDOUT,
 * after TS1 and not much later. */
static void engine_timer_fires_without_io(void **state)
{
    (void)state;
    int raw = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(raw >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(raw, (struct sockaddr *)&a, len), 0);
    assert_int_equal(listen(raw, 1), 0);
    assert_int_equal(getsockname(raw, (struct sockaddr *)&a, &len), 0);

    SOCKET c = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(c != INVALID_SOCKET);
    int cls = 0, ts1 = 300;
    assert_int_equal(
        wsp_setsockopt(c, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&cls, sizeof cls), 0);
    assert_int_equal(
        wsp_setsockopt(c, WSP_SOL_ITOT, WSP_ITOT_CR_TIMEOUT_MS, (const char *)&ts1, sizeof ts1), 0);
    WSAEVENT ev = WSACreateEvent();
    assert_int_equal(WSAEventSelect(c, ev, FD_CONNECT), 0);
    long long t0 = ms_now();
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&a, sizeof a), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 10000, FALSE), WSA_WAIT_EVENT_0);
    long long took = ms_now() - t0;
    WSANETWORKEVENTS ne;
    assert_int_equal(WSAEnumNetworkEvents(c, ev, &ne), 0);
    assert_true(ne.lNetworkEvents & FD_CONNECT);
    assert_int_equal(ne.iErrorCode[FD_CONNECT_BIT], WSAETIMEDOUT);
    assert_true(took >= ts1);
    WSACloseEvent(ev);
    closesocket(c);
    close(raw);
}

/* A class 2 peer on a plain TCP socket that answers the CR with a CC and
 * then never answers the DR: it reads until TCP ends. */
struct silent_peer {
    int lfd;
    struct sockaddr_in addr;
    bool tcp_ended; /* EOF or reset seen within the wait */
};

static bool read_n(int fd, uint8_t *b, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, b, n);
        if (r <= 0)
            return false;
        b += r;
        n -= (size_t)r;
    }
    return true;
}

static void *silent_peer_main(void *arg)
{
    struct silent_peer *p = arg;
    int fd = accept(p->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    uint8_t cr[512];
    if (!read_n(fd, cr, 4) || (cr[2] << 8 | cr[3]) < 11 || (cr[2] << 8 | cr[3]) > (int)sizeof cr ||
        !read_n(fd, cr + 4, (size_t)(cr[2] << 8 | cr[3]) - 4)) {
        close(fd);
        return NULL;
    }
    /* CC, class 2 without explicit flow control: DST-REF is the CR's SRC-REF */
    const uint8_t cc[] = {3, 0, 0, 11, 6, 0xD0, cr[8], cr[9], 0x42, 0x42, 0x21};
    if (write(fd, cc, sizeof cc) != (ssize_t)sizeof cc) {
        close(fd);
        return NULL;
    }
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    uint8_t buf[512];
    while (poll(&pf, 1, 8000) == 1) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0) {
            p->tcp_ended = true;
            break;
        }
    }
    close(fd);
    return NULL;
}

/* The first timer of an engine that has not passed yet.  A blocking connect
 * drives its own handshake and its socket's input is read by the
 * application, so the engine has had nothing to do when WSASendDisconnect
 * arms TS2 (class 2, 300 ms): the engine must still be woken to file it.
 * The peer never sends the DC, so TS2 running out is what closes TCP.  The
 * first case of this program: the process's first engine. */
static void first_timer_of_a_fresh_engine_fires(void **state)
{
    (void)state;
    struct silent_peer p = {
        .addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}};
    p.lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(p.lfd >= 0);
    socklen_t len = sizeof p.addr;
    assert_int_equal(bind(p.lfd, (struct sockaddr *)&p.addr, len), 0);
    assert_int_equal(listen(p.lfd, 1), 0);
    assert_int_equal(getsockname(p.lfd, (struct sockaddr *)&p.addr, &len), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, silent_peer_main, &p), 0);

    SOCKET c = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(c != INVALID_SOCKET);
    int cls = 2, ts2 = 300;
    assert_int_equal(
        wsp_setsockopt(c, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&cls, sizeof cls), 0);
    assert_int_equal(
        wsp_setsockopt(c, WSP_SOL_ITOT, WSP_ITOT_DC_TIMEOUT_MS, (const char *)&ts2, sizeof ts2), 0);
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&p.addr, sizeof p.addr), 0);
    assert_int_equal(WSASendDisconnect(c, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(p.tcp_ended);
    closesocket(c);
    close(p.lfd);
}

/* With every poll procedure slot of libwsp taken (16), itot cannot register
 * its engine's procedure: the engine runs on a thread of the provider's own
 * (the provider kit's poll_local) and the connection still works. */
static void engine_runs_when_no_procedure_slot_is_left(void **state)
{
    (void)state;
    DWORD ids[16];
    int n = poll_slots_take_all(ids);
    itot_round_trip();
    poll_slots_give_back(ids, n);
}

static void *nothing(void *arg)
{
    return arg;
}

int main(void)
{
    /* ThreadSanitizer starts a thread of its own at the first
     * pthread_create: have that happen before any count. */
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) == 0)
        pthread_join(t, NULL);
    const struct CMUnitTest tests[] = {
        /* first: the process's first engine */
        cmocka_unit_test_setup_teardown(first_timer_of_a_fresh_engine_fires, setup, teardown),
        cmocka_unit_test_setup_teardown(engine_runs_on_libwsps_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(engine_timer_fires_without_io, setup, teardown),
        cmocka_unit_test_setup_teardown(engine_runs_when_no_procedure_slot_is_left, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
