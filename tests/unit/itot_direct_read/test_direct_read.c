/* SPDX-License-Identifier: MIT */
/* A thread blocked in a plain itot receive waits on the connection's TCP
 * descriptor and reads its TSDUs itself, as a raw TCP receiver does, instead
 * of waiting for the engine thread to read them and wake it (a thread
 * hand-off per TSDU: the cost the itot round trip and lifecycle figures of
 * docs/performance.md showed). And every other way a wait ends still ends it:
 * a close on another thread (WSAEINTR), the peer's DR (WSAEDISCON), the
 * receive timeout (WSAETIMEDOUT).
 *
 * Seen through the test build of the module (lib/wsp-faults): its platform
 * table counts the receiver thread's poll() calls and which threads read
 * data from TCP. Each event is caused only after the receiver is inside its
 * poll (a condition variable the poll wrapper signals), so every case is
 * deterministic: no sleeps. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "../sys_faults/fault_util.h"
#include "../sys_faults/itot_pair.h"

#define TSDUS 64
#define TSDU_LEN 1024
#define WAIT_S 10 /* bound on every wait of the test: a failure, never a hang */

static const struct sys_hook *hook;

/* ---- the module's poll and recv, watched -------------------------------- */
typedef int (*poll_fn)(struct pollfd *, nfds_t, int);
typedef ssize_t (*recv_fn)(int, void *, size_t, int);
static poll_fn _Atomic real_poll;
static recv_fn _Atomic real_recv;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t receiver;                     /* the thread under test (under mu) */
static bool receiver_set;                      /* under mu */
static unsigned polls;                         /* the receiver's polls begun (under mu) */
static atomic_int reads_receiver, reads_other; /* recv calls that returned data */

static bool is_receiver(void)
{
    pthread_mutex_lock(&mu);
    bool r = receiver_set && pthread_equal(receiver, pthread_self());
    pthread_mutex_unlock(&mu);
    return r;
}

static int poll_watched(struct pollfd *p, nfds_t n, int ms)
{
    if (is_receiver()) {
        pthread_mutex_lock(&mu);
        polls++;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    return atomic_load(&real_poll)(p, n, ms);
}

static atomic_int receiver_fd = -1; /* the TCP descriptor the receiver reads */

/* Data read from the receiver's descriptor, by it or by another thread (the
 * engine); reads of other descriptors (the peer's: a DC, a CC) are not
 * counted. */
static ssize_t recv_watched(int fd, void *buf, size_t len, int fl)
{
    ssize_t r = atomic_load(&real_recv)(fd, buf, len, fl);
    bool mine = is_receiver();
    if (mine)
        atomic_store(&receiver_fd, fd);
    if (r > 0 && fd == atomic_load(&receiver_fd))
        atomic_fetch_add(mine ? &reads_receiver : &reads_other, 1);
    return r;
}

/* Wait until the receiver has begun its poll number n (false: it did not
 * within WAIT_S, i.e. it does not wait on the descriptor). */
static bool receiver_in_poll(unsigned n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_S;
    pthread_mutex_lock(&mu);
    int rc = 0;
    while (polls < n && rc == 0)
        rc = pthread_cond_timedwait(&cv, &mu, &until);
    bool ok = polls >= n;
    pthread_mutex_unlock(&mu);
    return ok;
}

/* epoll_ctl calls of this thread while `counting`: a socket handed to the
 * engine (or taken from it) costs one. */
typedef int (*epoll_ctl_fn)(int, int, int, struct epoll_event *);
static epoll_ctl_fn _Atomic real_epoll_ctl;
static _Thread_local bool counting;
static _Thread_local int epoll_ctls;

static int epoll_ctl_watched(int ep, int op, int fd, struct epoll_event *ev)
{
    if (counting)
        epoll_ctls++;
    return atomic_load(&real_epoll_ctl)(ep, op, fd, ev);
}

static void hook_install(void)
{
    hook = fault_hook_of("wsp_itot.so");
    atomic_store(&real_poll, (poll_fn)hook->dflt("poll"));
    atomic_store(&real_recv, (recv_fn)hook->dflt("recv"));
    atomic_store(&real_epoll_ctl, (epoll_ctl_fn)hook->dflt("epoll_ctl"));
    hook->override("poll", (sys_fn)poll_watched);
    hook->override("recv", (sys_fn)recv_watched);
    hook->override("epoll_ctl", (sys_fn)epoll_ctl_watched);
}

/* ---- a connected pair ------------------------------------------------------ */
static SOCKET cli, srv;

static int setup(void **state)
{
    (void)state;
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return -1;
    if (itot_pair_open(0, WAIT_S, &cli, &srv) != 0)
        return -1;
    hook_install();
    pthread_mutex_lock(&mu);
    polls = 0;
    receiver_set = false;
    pthread_mutex_unlock(&mu);
    atomic_store(&reads_receiver, 0);
    atomic_store(&reads_other, 0);
    atomic_store(&receiver_fd, -1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return itot_pair_close(hook, cli, srv);
}

/* ---- the receiver thread ------------------------------------------------- */
struct rx {
    int n;   /* receives to make */
    int got; /* TSDUs received whole and in order */
    int err; /* the WSAE* code of the receive that failed, 0 */
    char buf[TSDU_LEN + 1];
};

static void *rx_main(void *arg)
{
    struct rx *r = arg;
    pthread_mutex_lock(&mu);
    receiver = pthread_self();
    receiver_set = true;
    pthread_mutex_unlock(&mu);
    for (int k = 0; k < r->n; k++) {
        WSABUF b = {sizeof r->buf, r->buf};
        DWORD n = 0, fl = 0;
        if (WSARecv(srv, &b, 1, &n, &fl, NULL, NULL) != 0) {
            r->err = WSAGetLastError();
            return NULL;
        }
        if (n != TSDU_LEN || (unsigned char)r->buf[0] != (unsigned char)k)
            return NULL;
        r->got++;
    }
    return NULL;
}

/* Each TSDU is sent while the receiver waits in poll: the receiver reads it
 * itself, and no other thread (the engine) reads the connection's input. */
static void receiver_reads_its_own_tsdus(void **state)
{
    (void)state;
    struct rx r = {.n = TSDUS};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rx_main, &r), 0);
    char msg[TSDU_LEN];
    for (int k = 0; k < TSDUS; k++) {
        /* before the change the receiver waited on a condition variable for
         * the engine: it never polled, and this failed */
        assert_true(receiver_in_poll((unsigned)k + 1));
        memset(msg, k, sizeof msg);
        assert_int_equal(wsp_send(cli, msg, sizeof msg, 0), TSDU_LEN);
        /* the next poll is begun only after this TSDU was taken */
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.got, TSDUS);
    assert_true(atomic_load(&reads_receiver) >= TSDUS);
    assert_int_equal(atomic_load(&reads_other), 0);
}

/* The ways a wait ends other than input. */
static void close_on_another_thread_ends_the_wait(void **state)
{
    (void)state;
    struct rx r = {.n = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rx_main, &r), 0);
    assert_true(receiver_in_poll(1));
    assert_int_equal(closesocket(srv), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.got, 0);
    /* closesocket page: a blocking call on the closed socket is cancelled */
    assert_int_equal(r.err, WSAEINTR);
}

static void peer_disconnect_ends_the_wait(void **state)
{
    (void)state;
    struct rx r = {.n = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rx_main, &r), 0);
    assert_true(receiver_in_poll(1));
    char dd[] = "bye";
    WSABUF b = {3, dd};
    assert_int_equal(WSASendDisconnect(cli, &b), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.err, WSAEDISCON); /* then WSARecvDisconnect gives the data */
    char in[8];
    WSABUF ib = {sizeof in, in};
    assert_int_equal(WSARecvDisconnect(srv, &ib), 0);
    assert_int_equal(ib.len, 3);
    assert_memory_equal(in, "bye", 3);
}

static void receive_timeout_ends_the_wait(void **state)
{
    (void)state;
    DWORD ms = 50; /* SO_RCVTIMEO in milliseconds, as on Windows */
    assert_int_equal(wsp_setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms), 0);
    struct rx r = {.n = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rx_main, &r), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(receiver_in_poll(1));
    assert_int_equal(r.err, WSAETIMEDOUT);
}

/* A receiver thread waits in poll and reads one TSDU itself: from then on
 * srv's input is its receivers' (nobody else reads it). */
static void make_input_direct(void)
{
    struct rx r = {.n = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rx_main, &r), 0);
    assert_true(receiver_in_poll(1));
    char msg[TSDU_LEN];
    memset(msg, 0, sizeof msg);
    assert_int_equal(wsp_send(cli, msg, sizeof msg, 0), TSDU_LEN);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.got, 1);
}

/* A socket whose input its receiver reads (no engine watching it) still
 * sees the peer's DR before it sends: the send looks at TCP first. */
static void send_after_the_peers_dr_fails(void **state)
{
    (void)state;
    make_input_direct();
    int fd = atomic_load(&receiver_fd);
    assert_true(fd >= 0);

    assert_int_equal(WSASendDisconnect(cli, NULL), 0);
    /* the DR is in srv's TCP receive queue (nobody has read it) */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, WAIT_S * 1000), 1);
    pthread_mutex_lock(&mu);
    receiver = pthread_self(); /* from now this thread's reads are the watched ones */
    pthread_mutex_unlock(&mu);
    int before = atomic_load(&reads_other);
    assert_int_equal(wsp_send(srv, "x", 1, 0), SOCKET_ERROR);
    /* the peer has released the connection: no TSDU can go any more (the
     * code conn_can_send gives once the DR is in, as with the engine) */
    assert_int_equal(WSAGetLastError(), WSAECONNRESET);
    assert_int_equal(atomic_load(&reads_other), before); /* read by the sender, not the engine */
}

/* srv's input read directly, and the peer's DR with BYE waiting unread in
 * srv's TCP receive queue. */
static const char BYE[5] = "bye!!";

static void peer_dr_waiting(void)
{
    make_input_direct();
    int fd = atomic_load(&receiver_fd);
    assert_true(fd >= 0);
    char bye[sizeof BYE];
    memcpy(bye, BYE, sizeof bye);
    WSABUF out = {sizeof bye, bye};
    assert_int_equal(WSASendDisconnect(cli, &out), 0);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, WAIT_S * 1000), 1);
}

/* The same for WSARecvDisconnect: on a socket whose input its receiver reads,
 * the peer's DR waiting in TCP is looked at, and its data handed out, as
 * when the engine watches the input (it read the DR as it came). */
static void recv_disconnect_reads_the_peers_dr(void **state)
{
    (void)state;
    peer_dr_waiting();
    char got[64];
    WSABUF in = {sizeof got, got};
    assert_int_equal(WSARecvDisconnect(srv, &in), 0);
    assert_int_equal(in.len, sizeof BYE);
    assert_memory_equal(got, BYE, sizeof BYE);
}

/* And for the options that report the peer's end: SO_DISCDATA, and the DR's
 * reason. */
static void peer_end_options_read_the_peers_dr(void **state)
{
    (void)state;
    peer_dr_waiting();
    int end = -1, len = sizeof end;
    assert_int_equal(wsp_getsockopt(srv, WSP_SOL_ITOT, WSP_ITOT_PEER_END, (char *)&end, &len), 0);
    assert_int_equal(end, WSP_ITOT_END_DR);
    char got[64];
    len = sizeof got;
    assert_int_equal(wsp_getsockopt(srv, SOL_SOCKET, SO_DISCDATA, got, &len), 0);
    assert_int_equal(len, (int)sizeof BYE);
    assert_memory_equal(got, BYE, sizeof BYE);
}

/* Our own release on a socket whose input its thread reads leaves the input
 * to that thread: WSASendDisconnect registers nothing with the engine (no
 * epoll_ctl; one before: the engine took the input for the release), and
 * the thread reads the peer's answer itself and sees the end. */
static void own_release_leaves_input_to_its_reader(void **state)
{
    (void)state;
    make_input_direct();

    counting = true;
    epoll_ctls = 0;
    assert_int_equal(WSASendDisconnect(srv, NULL), 0);
    counting = false;
    assert_int_equal(epoll_ctls, 0);

    /* the peer reads our DR and answers it (class 0: its FIN; class 2: a DC) */
    char b[8];
    WSABUF wb = {sizeof b, b};
    DWORD n = 0, fl = 0;
    assert_int_equal(WSARecv(cli, &wb, 1, &n, &fl, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEDISCON);
    int before = atomic_load(&reads_other);
    struct rx r2 = {.n = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rx_main, &r2), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r2.err, WSAEDISCON);                /* the release is over */
    assert_int_equal(atomic_load(&reads_other), before); /* read by the receiver */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(receiver_reads_its_own_tsdus, setup, teardown),
        cmocka_unit_test_setup_teardown(close_on_another_thread_ends_the_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(peer_disconnect_ends_the_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_timeout_ends_the_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(send_after_the_peers_dr_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(recv_disconnect_reads_the_peers_dr, setup, teardown),
        cmocka_unit_test_setup_teardown(peer_end_options_read_the_peers_dr, setup, teardown),
        cmocka_unit_test_setup_teardown(own_release_leaves_input_to_its_reader, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
