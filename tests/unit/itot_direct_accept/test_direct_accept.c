/* SPDX-License-Identifier: MIT */
/* A blocking itot accept takes its connection itself, as the kernel hands
 * a raw TCP accept its connection: the accepting thread waits on the
 * listener's descriptor, accepts the TCP connection and reads the CR,
 * instead of waiting for the engine to do both and wake it (two hand-offs
 * per accept, what held the itot lifecycle of docs/performance.md back).
 * What must not change with it:
 *   - a close on another thread ends the wait (WSAEINTR);
 *   - a TCP peer that never sends its CR does not hold the accept: the next
 *     connection is served, and the silent one is still closed when the
 *     listener's CR wait (WSP_ITOT_CR_WAIT_MS) runs out;
 *   - after a blocking accept, select, WSAEventSelect and a non-blocking
 *     accept still see new connections (the engine accepts for them again).
 * Seen through the test build of the module (lib/wsp-faults): its platform
 * table tells which thread calls accept4 and which reads the CR. */
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "../itot_direct_connect/job.h"
#include "common/sys.h"

#define TPDU_CR 0xE0

static const struct sys_hook *hook;

/* ---- the module's accept4 and recv, watched ------------------------------ */
typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);
typedef ssize_t (*recv_fn)(int, void *, size_t, int);
typedef int (*epoll_ctl_fn)(int, int, int, struct epoll_event *);
static accept4_fn _Atomic real_accept4;
static recv_fn _Atomic real_recv;
static epoll_ctl_fn _Atomic real_epoll_ctl;
/* under mu */
static unsigned accepts_by_caller, accepts_by_other, crs_by_caller, crs_by_other;
static int caller_accepted = -1;   /* the descriptor the caller's last accept4 made */
static unsigned engine_adds_of_it; /* EPOLL_CTL_ADDs of that descriptor */

static void count(unsigned *n)
{
    pthread_mutex_lock(&mu);
    (*n)++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static int accept4_watched(int fd, struct sockaddr *sa, socklen_t *len, int fl)
{
    int r = atomic_load(&real_accept4)(fd, sa, len, fl);
    if (r >= 0 && is_caller()) {
        pthread_mutex_lock(&mu);
        caller_accepted = r;
        engine_adds_of_it = 0;
        pthread_mutex_unlock(&mu);
    }
    if (r >= 0)
        count(is_caller() ? &accepts_by_caller : &accepts_by_other);
    return r;
}

static int epoll_ctl_watched(int ep, int op, int fd, struct epoll_event *ev)
{
    if (op == EPOLL_CTL_ADD) {
        pthread_mutex_lock(&mu);
        if (fd == caller_accepted)
            engine_adds_of_it++;
        pthread_mutex_unlock(&mu);
    }
    return atomic_load(&real_epoll_ctl)(ep, op, fd, ev);
}

static ssize_t recv_watched(int fd, void *buf, size_t len, int fl)
{
    ssize_t r = atomic_load(&real_recv)(fd, buf, len, fl);
    if (r >= 6 && (((const unsigned char *)buf)[5] & 0xF0) == TPDU_CR)
        count(is_caller() ? &crs_by_caller : &crs_by_other);
    return r;
}

/* Wait until *n reaches want (under mu); false after WAIT_S. */
static bool counted(const unsigned *n, unsigned want)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_S;
    pthread_mutex_lock(&mu);
    int rc = 0;
    while (*n < want && rc == 0)
        rc = pthread_cond_timedwait(&cv, &mu, &until);
    bool ok = *n >= want;
    pthread_mutex_unlock(&mu);
    return ok;
}

static unsigned read_count(const unsigned *n)
{
    pthread_mutex_lock(&mu);
    unsigned v = *n;
    pthread_mutex_unlock(&mu);
    return v;
}

static void hook_install(void)
{
    hook = job_hook_install();
    assert_non_null(hook);
    atomic_store(&real_accept4, (accept4_fn)hook->dflt("accept4"));
    atomic_store(&real_recv, (recv_fn)hook->dflt("recv"));
    hook->override("accept4", (sys_fn)accept4_watched);
    hook->override("recv", (sys_fn)recv_watched);
    atomic_store(&real_epoll_ctl, (epoll_ctl_fn)hook->dflt("epoll_ctl"));
    hook->override("epoll_ctl", (sys_fn)epoll_ctl_watched);
}

/* ---- fixtures ------------------------------------------------------------ */
static SOCKET lis = INVALID_SOCKET;
static struct sockaddr_in lis_addr;

static void *accept_job(struct job *j)
{
    j->s = wsp_accept(lis, NULL, NULL);
    j->err = j->s == INVALID_SOCKET ? WSAGetLastError() : 0;
    return NULL;
}

/* A blocking itot client connected to the listener (the accept must be
 * under way elsewhere: the connect returns with the CC). */
static SOCKET itot_client(void)
{
    SOCKET s = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_int_not_equal(s, INVALID_SOCKET);
    assert_int_equal(wsp_connect(s, (struct sockaddr *)&lis_addr, sizeof lis_addr), 0);
    return s;
}

/* A non-blocking itot client whose CR is on its way. */
static SOCKET itot_client_nb(void)
{
    SOCKET s = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_int_not_equal(s, INVALID_SOCKET);
    wsp_u_long one = 1;
    assert_int_equal(ioctlsocket(s, WSP_FIONBIO, &one), 0);
    assert_int_equal(wsp_connect(s, (struct sockaddr *)&lis_addr, sizeof lis_addr), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    return s;
}

/* A raw TCP client that never sends a CR. */
static int silent_client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&lis_addr, sizeof lis_addr), 0);
    return fd;
}

/* The two ends are one connection: the client's local address is the
 * accepted socket's peer. */
static void assert_same_connection(SOCKET client, SOCKET accepted)
{
    struct sockaddr_in a, b;
    int al = sizeof a, bl = sizeof b;
    assert_int_equal(wsp_getsockname(client, (struct sockaddr *)&a, &al), 0);
    assert_int_equal(wsp_getpeername(accepted, (struct sockaddr *)&b, &bl), 0);
    assert_int_equal(a.sin_port, b.sin_port);
}

static int setup(void **state)
{
    (void)state;
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return -1;
    if (job_itot_listener(&lis, &lis_addr, 8) != 0)
        return -1;
    hook_install();
    caller_forget();
    pthread_mutex_lock(&mu);
    accepts_by_caller = accepts_by_other = crs_by_caller = crs_by_other = 0;
    caller_accepted = -1;
    engine_adds_of_it = 0;
    pthread_mutex_unlock(&mu);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hook->restore_all();
    closesocket(lis); /* a case may have closed it: WSAENOTSOCK is fine */
    return WSACleanup();
}

/* A blocking accept on a job thread, j, served once it polls: the client
 * (j->s is the accepted end). */
static SOCKET accept_served(struct job *j)
{
    *j = (struct job){.fn = accept_job};
    /* before the change the caller waited on a condition variable for the
     * engine: it never polled, and this failed */
    assert_true(job_start_polling(j));
    SOCKET c = itot_client();
    assert_true(job_join(j));
    assert_int_not_equal(j->s, INVALID_SOCKET);
    assert_same_connection(c, j->s);
    return c;
}

/* One blocking accept: the caller is then known to the hooks, and the
 * listener has had a blocking accept. */
static void accept_one(void)
{
    struct job j;
    SOCKET c = accept_served(&j);
    closesocket(j.s);
    closesocket(c);
}

static void set_cr_wait(int ms)
{
    assert_int_equal(
        wsp_setsockopt(lis, WSP_SOL_ITOT, WSP_ITOT_CR_WAIT_MS, (const char *)&ms, sizeof ms), 0);
}

/* The silent client's connection is closed by the listener (its CR wait,
 * listen.c): its peer reads the end, within the test's bound. */
static void assert_closed_by_listener(int silent)
{
    struct pollfd p = {.fd = silent, .events = POLLIN};
    assert_int_equal(poll(&p, 1, WAIT_S * 1000), 1);
    char b[4];
    assert_true(recv(silent, b, sizeof b, 0) <= 0);
    close(silent);
}

/* ---- cases --------------------------------------------------------------- */

/* The accepting thread calls accept4 and reads the CR; the engine neither.
 * The client connects only once the accepting thread polls. */
static void accept_takes_the_connection_and_reads_the_cr_itself(void **state)
{
    (void)state;
    struct job j;
    SOCKET c = accept_served(&j);
    assert_int_equal(read_count(&accepts_by_caller), 1);
    assert_int_equal(read_count(&accepts_by_other), 0);
    assert_int_equal(read_count(&crs_by_caller), 1);
    assert_int_equal(read_count(&crs_by_other), 0);
    /* and the connection works both ways */
    assert_int_equal(wsp_send(c, "ping", 4, 0), 4);
    char b[8];
    assert_int_equal(wsp_recv(j.s, b, sizeof b, 0), 4);
    assert_memory_equal(b, "ping", 4);
    assert_int_equal(wsp_send(j.s, "pong", 4, 0), 4);
    assert_int_equal(wsp_recv(c, b, sizeof b, 0), 4);
    assert_memory_equal(b, "pong", 4);
    closesocket(j.s);
    closesocket(c);
}

static void *recv_job(struct job *j)
{
    char b[8];
    j->rc = wsp_recv(j->s, b, sizeof b, 0);
    j->err = j->rc < 0 ? WSAGetLastError() : 0;
    return NULL;
}

/* The connection a blocking accept made is read by the calls on it, as
 * after a blocking connect: the engine's set never holds it (before, the
 * CR put it there and the first receive took it out again, an epoll_ctl
 * each), and it works both ways, its release included. */
static void a_blocking_accepts_connection_stays_out_of_the_engine(void **state)
{
    (void)state;
    struct job j;
    SOCKET c = accept_served(&j);
    char b[64]; /* the most disconnect data a DR carries */
    for (int i = 0; i < 3; i++) {
        /* j.s's receive waits on the descriptor before the ping is sent */
        caller_forget();
        j = (struct job){.fn = recv_job, .s = j.s};
        assert_true(job_start_polling(&j));
        assert_int_equal(wsp_send(c, "ping", 4, 0), 4);
        assert_true(job_join(&j));
        assert_int_equal(j.rc, 4);
        assert_int_equal(wsp_send(j.s, "pong", 4, 0), 4);
        assert_int_equal(wsp_recv(c, b, sizeof b, 0), 4);
        assert_memory_equal(b, "pong", 4);
    }
    assert_int_equal(read_count(&engine_adds_of_it), 0);
    memset(b, 'd', sizeof b);
    WSABUF dd = {sizeof b, b};
    assert_int_equal(WSASendDisconnect(c, &dd), 0);
    assert_int_equal(wsp_recv(j.s, b, sizeof b, 0), 0); /* the end (WSARecv: WSAEDISCON) */
    WSABUF got = {sizeof b, b};
    memset(b, 0, sizeof b);
    assert_int_equal(WSARecvDisconnect(j.s, &got), 0);
    assert_int_equal(got.len, sizeof b);
    assert_int_equal(b[0], 'd');
    closesocket(j.s);
    closesocket(c);
}

/* A peer that sends its CR and leaves before the accept takes it: nobody
 * reads the connection while it is queued, so the accept returns it (as a
 * raw TCP connection reset in the backlog is still accepted), and the
 * returned socket's first receive ends instead of waiting. */
static void a_peer_gone_after_its_cr_ends_the_first_receive(void **state)
{
    (void)state;
    accept_one(); /* the listener is left to blocking accepts */
    int fd = silent_client();
    /* TPKT, then a class 0 CR: LI 6, code, DST-REF 0, SRC-REF 1, class 0 */
    static const unsigned char cr[] = {3, 0, 0, 11, 6, TPDU_CR, 0, 0, 0, 1, 0};
    assert_int_equal(send(fd, cr, sizeof cr, 0), (ssize_t)sizeof cr);
    close(fd);
    struct job j = {.fn = accept_job};
    assert_true(job_start(&j));
    assert_true(job_join(&j));
    assert_int_not_equal(j.s, INVALID_SOCKET);
    char b[8];
    int r = wsp_recv(j.s, b, sizeof b, 0);
    /* the end, or the reset the CC met */
    assert_true(r == 0 || (r == SOCKET_ERROR && WSAGetLastError() == WSAECONNRESET));
    closesocket(j.s);
}

/* A close on another thread ends the accepting thread's poll. */
static void close_ends_the_accept_wait(void **state)
{
    (void)state;
    struct job j = {.fn = accept_job};
    assert_int_equal(job_cancelled_by_close(&j, &lis), WSAEINTR);
    assert_int_equal(j.s, INVALID_SOCKET);
}

/* A TCP connection that sends no CR: while the accept waits for its CR, a
 * real client comes and is served; the silent one is closed when the CR
 * wait runs out. */
static void a_silent_connection_does_not_hold_the_accept(void **state)
{
    (void)state;
    set_cr_wait(300);
    struct job j = {.fn = accept_job};
    assert_true(job_start_polling(&j));
    int silent = silent_client();
    assert_true(counted(&accepts_by_caller, 1)); /* taken by the accepting thread */
    assert_true(caller_in_poll(2));              /* which now waits for its CR */
    SOCKET c = itot_client();
    assert_true(job_join(&j));
    assert_int_not_equal(j.s, INVALID_SOCKET);
    assert_same_connection(c, j.s);
    assert_closed_by_listener(silent);
    closesocket(j.s);
    closesocket(c);
}

/* The accepting thread runs the CR wait of a connection it holds: the
 * silent peer is closed while the accept goes on waiting. */
static void the_cr_wait_runs_while_the_accept_waits(void **state)
{
    (void)state;
    set_cr_wait(100);
    struct job j = {.fn = accept_job};
    assert_true(job_start_polling(&j));
    assert_closed_by_listener(silent_client());
    /* the accept still waits, for a real client */
    SOCKET c = itot_client();
    assert_true(job_join(&j));
    assert_int_not_equal(j.s, INVALID_SOCKET);
    assert_same_connection(c, j.s);
    closesocket(j.s);
    closesocket(c);
}

/* After a blocking accept, select on the listener reports a new
 * connection (the engine accepts it and reads its CR). */
static void select_sees_a_connection_after_a_blocking_accept(void **state)
{
    (void)state;
    accept_one();
    SOCKET c = itot_client_nb();
    wsp_fd_set rd;
    rd.fd_count = 0;
    WSP_FD_SET(lis, &rd);
    struct timeval tv = {.tv_sec = WAIT_S};
    /* without the listener handed back to the engine, nobody accepted and
     * this timed out */
    assert_int_equal(wsp_select(0, &rd, NULL, NULL, &tv), 1);
    SOCKET s = wsp_accept(lis, NULL, NULL);
    assert_int_not_equal(s, INVALID_SOCKET);
    assert_same_connection(c, s);
    closesocket(s);
    closesocket(c);
}

/* Likewise FD_ACCEPT through WSAEventSelect. */
static void event_select_sees_a_connection_after_a_blocking_accept(void **state)
{
    (void)state;
    accept_one();
    WSAEVENT ev = WSACreateEvent();
    assert_true(ev != WSA_INVALID_EVENT);
    assert_int_equal(WSAEventSelect(lis, ev, FD_ACCEPT), 0);
    SOCKET c = itot_client_nb();
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, WAIT_S * 1000, FALSE),
                     WSA_WAIT_EVENT_0);
    WSANETWORKEVENTS ne;
    assert_int_equal(WSAEnumNetworkEvents(lis, ev, &ne), 0);
    assert_true(ne.lNetworkEvents & FD_ACCEPT);
    SOCKET s = wsp_accept(lis, NULL, NULL);
    assert_int_not_equal(s, INVALID_SOCKET);
    assert_same_connection(c, s);
    closesocket(s);
    closesocket(c);
    WSACloseEvent(ev);
}

/* Likewise a non-blocking accept: one that finds nothing leaves the
 * listener to the engine, which accepts the next connection and reads its
 * CR; the next accept (blocking again) is handed it. */
static void nonblocking_accept_after_a_blocking_accept(void **state)
{
    (void)state;
    accept_one();
    wsp_u_long on = 1, off = 0;
    assert_int_equal(ioctlsocket(lis, WSP_FIONBIO, &on), 0);
    assert_int_equal(wsp_accept(lis, NULL, NULL), INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    unsigned accepts = read_count(&accepts_by_other), crs = read_count(&crs_by_other);
    SOCKET c = itot_client_nb();
    /* without the listener handed back, nobody accepted and these failed */
    assert_true(counted(&accepts_by_other, accepts + 1));
    assert_true(counted(&crs_by_other, crs + 1));
    assert_int_equal(ioctlsocket(lis, WSP_FIONBIO, &off), 0);
    struct job j = {.fn = accept_job};
    assert_true(job_start(&j));
    assert_true(job_join(&j));
    assert_int_not_equal(j.s, INVALID_SOCKET);
    assert_same_connection(c, j.s);
    closesocket(j.s);
    closesocket(c);
}

/* ---- many accepting threads, many clients -------------------------------- */
#define N_ACCEPTORS 3
#define N_CLIENTS 3
#define N_ROUNDS 40 /* connections per client */

static atomic_int served, acceptors_ended_eintr, clients_ok;

static void set_timeouts(SOCKET s)
{
    DWORD ms = WAIT_S * 1000; /* a stall fails instead of hanging */
    wsp_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms);
    wsp_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&ms, sizeof ms);
}

/* Accept until the listener is closed; echo each connection's one TSDU. */
static void *echo_acceptor(void *arg)
{
    (void)arg;
    for (;;) {
        SOCKET s = wsp_accept(lis, NULL, NULL);
        if (s == INVALID_SOCKET) {
            if (WSAGetLastError() == WSAEINTR)
                atomic_fetch_add(&acceptors_ended_eintr, 1);
            return NULL;
        }
        set_timeouts(s);
        uint32_t id;
        if (wsp_recv(s, (char *)&id, sizeof id, 0) == (int)sizeof id &&
            wsp_send(s, (const char *)&id, sizeof id, 0) == (int)sizeof id)
            atomic_fetch_add(&served, 1);
        closesocket(s);
    }
}

static void *echo_client(void *arg)
{
    uint32_t who = (uint32_t)(uintptr_t)arg;
    for (uint32_t k = 0; k < N_ROUNDS; k++) {
        SOCKET s = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
        if (s == INVALID_SOCKET)
            return NULL;
        set_timeouts(s);
        uint32_t id = who << 16 | k, back = 0;
        bool ok = wsp_connect(s, (struct sockaddr *)&lis_addr, sizeof lis_addr) == 0 &&
                  wsp_send(s, (const char *)&id, sizeof id, 0) == (int)sizeof id &&
                  wsp_recv(s, (char *)&back, sizeof back, 0) == (int)sizeof back && back == id;
        closesocket(s);
        if (!ok)
            return NULL;
        atomic_fetch_add(&clients_ok, 1);
    }
    return NULL;
}

static bool join_within(pthread_t t, int s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += s;
    return pthread_timedjoin_np(t, NULL, &until) == 0;
}

/* Several threads in a blocking accept on one listener, several clients
 * connecting over and over, and silent TCP peers among them: every client
 * is served exactly once, the silent ones are closed by the CR wait, and a
 * close of the listener ends every accept with WSAEINTR. (Under TSan in CI:
 * the accepting threads' hand-overs race with each other and the engine.) */
static void many_accepts_and_clients_each_served_once(void **state)
{
    (void)state;
    set_cr_wait(200);
    atomic_store(&served, 0);
    atomic_store(&acceptors_ended_eintr, 0);
    atomic_store(&clients_ok, 0);
    pthread_t acc[N_ACCEPTORS], cli[N_CLIENTS];
    for (int i = 0; i < N_ACCEPTORS; i++)
        assert_int_equal(pthread_create(&acc[i], NULL, echo_acceptor, NULL), 0);
    int silent[2] = {silent_client(), -1};
    for (int i = 0; i < N_CLIENTS; i++)
        assert_int_equal(pthread_create(&cli[i], NULL, echo_client, (void *)(uintptr_t)i), 0);
    silent[1] = silent_client();
    for (int i = 0; i < N_CLIENTS; i++)
        assert_true(join_within(cli[i], 6 * WAIT_S));
    assert_int_equal(atomic_load(&clients_ok), N_CLIENTS * N_ROUNDS);
    assert_closed_by_listener(silent[0]);
    assert_closed_by_listener(silent[1]);
    assert_int_equal(closesocket(lis), 0);
    lis = INVALID_SOCKET;
    for (int i = 0; i < N_ACCEPTORS; i++)
        assert_true(join_within(acc[i], WAIT_S));
    assert_int_equal(atomic_load(&served), N_CLIENTS * N_ROUNDS);
    assert_int_equal(atomic_load(&acceptors_ended_eintr), N_ACCEPTORS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(accept_takes_the_connection_and_reads_the_cr_itself, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_blocking_accepts_connection_stays_out_of_the_engine,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_peer_gone_after_its_cr_ends_the_first_receive, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(close_ends_the_accept_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(a_silent_connection_does_not_hold_the_accept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_cr_wait_runs_while_the_accept_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(select_sees_a_connection_after_a_blocking_accept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(event_select_sees_a_connection_after_a_blocking_accept,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(many_accepts_and_clients_each_served_once, setup, teardown),
        cmocka_unit_test_setup_teardown(nonblocking_accept_after_a_blocking_accept, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
