/* SPDX-License-Identifier: MIT */
/* What wakes itot's engine thread, and what must not.
 *
 * A class 2 WSASendDisconnect writes its DR and arms the DC timer (30 s by
 * default). The engine thread sleeps at most a few seconds, so it files
 * that timer at its next wake-up: the call makes no other system call than
 * the DR's send — in particular no write to the engine's eventfd, which
 * would wake the engine now, for nothing (a wake-up on the other CPU that
 * then competes for the socket's lock). The DR still arrives whole and the
 * release completes (the peer reads WSAEDISCON and the data).
 *
 * A dead TCP under a full receive store does not wake it in a loop (the
 * second test says why); a socket closed with its store full is released
 * without waiting for the DC timer (the third). */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <time.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "../itot_send/raw_peer.h"
#include "../sys_faults/fault_util.h"

static const struct sys_hook *hook;
typedef ssize_t (*write_fn)(int, const void *, size_t);
static write_fn _Atomic real_write;
static pthread_t watched;
static atomic_bool watching;
static atomic_int writes; /* by the watched thread while watching */

static ssize_t write_watched(int fd, const void *buf, size_t len)
{
    if (atomic_load(&watching) && pthread_equal(watched, pthread_self()))
        atomic_fetch_add(&writes, 1);
    return atomic_load(&real_write)(fd, buf, len);
}

static void hook_install(void)
{
    hook = fault_hook_of("wsp_itot.so");
    atomic_store(&real_write, (write_fn)hook->dflt("write"));
    hook->override("write", (sys_fn)write_watched);
}

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void send_disconnect_does_not_wake_the_engine(void **state)
{
    (void)state;
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    int cls = 2;
    SOCKET l = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(l != INVALID_SOCKET);
    assert_int_equal(
        wsp_setsockopt(l, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&cls, sizeof cls), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&a, &len), 0);
    SOCKET c = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_int_equal(
        wsp_setsockopt(c, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&cls, sizeof cls), 0);
    wsp_u_long on = 1, off = 0;
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &on), 0);
    int rc = wsp_connect(c, (struct sockaddr *)&a, len);
    assert_true(rc == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    SOCKET p = wsp_accept(l, NULL, NULL); /* sends the CC */
    assert_true(p != INVALID_SOCKET);
    wsp_fd_set w = {.fd_count = 1, .fd_array = {c}};
    struct timeval tv = {10, 0}; /* a guard only */
    assert_int_equal(wsp_select(0, NULL, &w, NULL, &tv), 1);
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &off), 0);
    DWORD ms = 10000; /* a stalled release fails instead of hanging */
    assert_int_equal(wsp_setsockopt(p, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms), 0);

    hook_install();
    watched = pthread_self();
    char dd[64];
    memset(dd, 'd', sizeof dd);
    WSABUF b = {sizeof dd, dd};
    atomic_store(&writes, 0);
    atomic_store(&watching, true);
    assert_int_equal(WSASendDisconnect(c, &b), 0);
    atomic_store(&watching, false);
    /* before the change: 1 (the eventfd write of the kick) */
    assert_int_equal(atomic_load(&writes), 0);

    /* The receiving side reads the DR, which ends the connection and closes
     * its TCP, and closes the socket: nothing is left for the engine but
     * to drop the registration, which waits for its next pass, not a
     * wake-up of its own. */
    char in[8];
    WSABUF ib = {sizeof in, in};
    DWORD n = 0, fl = 0;
    atomic_store(&writes, 0);
    atomic_store(&watching, true);
    assert_int_equal(WSARecv(p, &ib, 1, &n, &fl, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEDISCON);
    char got[64];
    WSABUF gb = {sizeof got, got};
    assert_int_equal(WSARecvDisconnect(p, &gb), 0);
    assert_int_equal(gb.len, sizeof dd);
    assert_memory_equal(got, dd, sizeof dd);
    assert_int_equal(closesocket(p), 0);
    atomic_store(&watching, false);
    /* before the change: 1 (the eventfd write of the reap) */
    assert_int_equal(atomic_load(&writes), 0);
    hook->restore_all();
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(l), 0);
    /* The registrations are dropped at a later pass all the same (the
     * listener's close wakes the engine): the provider then holds only the
     * socket it is asked through. */
    SOCKET q = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(q != INVALID_SOCKET);
    WSP_ITOT_MEMORY_INFO m;
    uint64_t until = now_ms() + 10000;
    do {
        int ml = sizeof m;
        assert_int_equal(wsp_getsockopt(q, WSP_SOL_ITOT, WSP_ITOT_MEMORY, (char *)&m, &ml), 0);
        assert_true(now_ms() < until);
    } while (m.sockets != 1 && sched_yield() == 0);
    assert_int_equal(closesocket(q), 0);
    assert_int_equal(WSACleanup(), 0);
}

typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);
static epoll_wait_fn _Atomic real_epoll_wait;
static atomic_int engine_waits; /* epoll_wait calls (only the engine makes them) */

static int epoll_wait_counted(int ep, struct epoll_event *ev, int max, int ms)
{
    atomic_fetch_add(&engine_waits, 1);
    return atomic_load(&real_epoll_wait)(ep, ev, max, ms);
}

/* Start the library and connect a blocking itot socket to the raw peer p
 * (class 0, 8192-octet TPDUs). */
static SOCKET connect_raw(struct raw_peer *p)
{
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    raw_listen(p, 65536);
    SOCKET c = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(c != INVALID_SOCKET);
    wsp_u_long on = 1, off = 0;
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &on), 0);
    int rc = wsp_connect(c, (struct sockaddr *)&p->addr, sizeof p->addr);
    assert_true(rc == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    raw_accept_cc(p, 13);
    wsp_fd_set w = {.fd_count = 1, .fd_array = {c}};
    struct timeval tv = {10, 0}; /* a guard only */
    assert_int_equal(wsp_select(0, NULL, &w, NULL, &tv), 1);
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &off), 0);
    return c;
}

/* A connection whose receive store is full (its application does not read)
 * and whose TCP then dies. The kernel reports EPOLLHUP/EPOLLERR for every
 * descriptor in an epoll set, asked for or not, level-triggered; the engine,
 * with no room to read the reset, must not keep the descriptor in its set
 * with nothing asked for, or each of its waits returns at once, for good:
 * 100 % of a CPU for as long as the socket stays unread. The receiver still
 * gets every TSDU that arrived, then the reset. */
static void dead_tcp_under_full_store_does_not_spin_engine(void **state)
{
    (void)state;
    struct raw_peer p;
    SOCKET c = connect_raw(&p);

    /* The engine reads until the store is full, then TCP's buffers fill. */
    size_t sent = raw_flood(&p, 500);
    assert_true(sent > 0);

    hook = fault_hook_of("wsp_itot.so");
    atomic_store(&real_epoll_wait, (epoll_wait_fn)hook->dflt("epoll_wait"));
    hook->override("epoll_wait", (sys_fn)epoll_wait_counted);
    raw_reset(&p);
    /* A window of 300 ms, measured, not waited on: the engine's own timers
     * wake it a few times at most; spinning, it waits at once, over and over. */
    atomic_store(&engine_waits, 0);
    struct timespec win = {0, 300 * 1000 * 1000};
    while (nanosleep(&win, &win) != 0)
        ;
    int waits = atomic_load(&engine_waits);
    hook->restore_all();
    /* before the change: 266,212 */
    assert_in_range(waits, 0, 20);

    /* What the store holds is read whole; then the reset. */
    DWORD ms = 10000; /* a guard only */
    assert_int_equal(wsp_setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms), 0);
    static char in[8192];
    size_t got = 0;
    for (;;) {
        WSABUF ib = {sizeof in, in};
        DWORD n = 0, fl = 0;
        if (WSARecv(c, &ib, 1, &n, &fl, NULL, NULL) != 0)
            break;
        assert_int_equal(n, 4096);
        assert_int_equal(fl, 0);
        assert_int_equal(in[0], 'f');
        assert_int_equal(in[4095], 'f');
        got += n;
    }
    /* the reset is the peer's end (without a DR): WSAEDISCON */
    assert_int_equal(WSAGetLastError(), WSAEDISCON);
    int end = -1, len = sizeof end;
    assert_int_equal(wsp_getsockopt(c, WSP_SOL_ITOT, WSP_ITOT_PEER_END, (char *)&end, &len), 0);
    assert_int_equal(end, WSP_ITOT_END_TCP_RESET);
    assert_true(got > 0 && got < sent); /* TCP drops what it held at a reset */
    raw_close(&p);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(WSACleanup(), 0);
}

/* closesocket with the receive store full and the peer's TCP still sending:
 * nobody can read that data any more, so the release reads on and drops it
 * until the peer's end (here its FIN). Kept, the store stayed full, the
 * engine could not read on, and the connection - its descriptor and both
 * kernels' buffers, megabytes - stayed until the DC timer, 30 s later; a
 * process closing such sockets often ran its TCP memory into pressure. Seen
 * from the raw peer: everything it sent is acknowledged (SIOCOUTQ 0) soon. */
static void close_with_full_store_releases_without_timer(void **state)
{
    (void)state;
    struct raw_peer p;
    SOCKET c = connect_raw(&p);
    assert_true(raw_flood(&p, 500) > 0);
    int queued = 0;
    assert_int_equal(ioctl(p.fd, SIOCOUTQ, &queued), 0);
    assert_true(queued > 0); /* the store and TCP are full */

    assert_int_equal(closesocket(c), 0);
    /* The peer reads our DR and ends its side: its FIN follows its data. */
    size_t len = 0;
    static uint8_t buf[65536];
    assert_int_equal(raw_next_tsdu(&p, buf, sizeof buf, &len, NULL, 10), RAW_DR);
    assert_int_equal(shutdown(p.fd, SHUT_WR), 0);
    /* Everything acknowledged well before the 30 s DC timer (before the
     * change: still queued after 10 s). */
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        assert_int_equal(ioctl(p.fd, SIOCOUTQ, &queued), 0);
        if (queued == 0)
            break;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec >= 10)
            fail_msg("%d octets still unacknowledged 10 s after the close", queued);
        struct pollfd pf = {.fd = p.fd, .events = POLLIN};
        (void)poll(&pf, 1, 10); /* the peer's own events, or a 10 ms tick */
        if (pf.revents & POLLIN)
            (void)raw_next_tsdu(&p, buf, sizeof buf, &len, NULL, 1);
    }
    raw_close(&p);
    assert_int_equal(WSACleanup(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(send_disconnect_does_not_wake_the_engine),
        cmocka_unit_test(dead_tcp_under_full_store_does_not_spin_engine),
        cmocka_unit_test(close_with_full_store_releases_without_timer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
