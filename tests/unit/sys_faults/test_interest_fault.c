/* SPDX-License-Identifier: MIT */
/* itot's engine when the kernel refuses to change a socket's epoll interest
 * for a while: every EPOLL_CTL_MOD and EPOLL_CTL_ADD of the module fails with
 * ENOMEM (a socket that asks for nothing leaves the set and comes back with an
 * ADD), injected through its platform table, for WINDOW_MS while a transfer runs
 * in both directions.  Before the fix the engine recorded the interest it had
 * asked for anyway, so a connection that needed EPOLLOUT (EPOLLIN) never got
 * it and both ends waited for good.  Now:
 *   - both transfers complete once the shortage is over, every octet in
 *     order and every TSDU whole (the refused change is retried);
 *   - while it lasts the engine does not spin: it waits in epoll_wait about
 *     once per retry period or API call, not thousands of times (counted
 *     through the table: unlike CPU time, the count does not depend on how
 *     loaded the machine is).
 * The sys_faults sweep fails one call; this failure lasts. */
#include <errno.h>
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
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "common/sys.h"
#include "fault_util.h"

#define WINDOW_MS 300
#define TSDUS 160
#define TSDU_LEN 65536          /* 10 MiB each way: more than loopback's buffers hold */
#define MAX_TSDU (2 * TSDU_LEN) /* a small receive store, full soon */
#define MAX_WAITS 1000          /* in the window; a spinning engine makes tens of thousands */

/* ---- the fault --------------------------------------------------------- */
/* libc's calls; atomic, as the engine thread reads them while this one sets them */
typedef int (*epoll_ctl_fn)(int, int, int, struct epoll_event *);
typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);
static epoll_ctl_fn _Atomic real_epoll_ctl;
static epoll_wait_fn _Atomic real_epoll_wait;
static atomic_int refused;

/* ENOMEM is what epoll_ctl(2) lists for a shortage of kernel memory; DEL
 * allocates nothing and is let through. */
static int epoll_ctl_no_mod(int ep, int op, int fd, struct epoll_event *ev)
{
    if (op == EPOLL_CTL_MOD || op == EPOLL_CTL_ADD) {
        atomic_fetch_add(&refused, 1);
        errno = ENOMEM;
        return -1;
    }
    return atomic_load(&real_epoll_ctl)(ep, op, fd, ev);
}

static atomic_int waits;

static int epoll_wait_counted(int ep, struct epoll_event *ev, int n, int ms)
{
    atomic_fetch_add(&waits, 1);
    return atomic_load(&real_epoll_wait)(ep, ev, n, ms);
}

/* ---- the transfers ----------------------------------------------------- */
static uint8_t octet(int dir, uint32_t k, uint32_t i)
{
    return (uint8_t)((k * 131u + i * 7u + (i >> 9)) ^ (dir ? 0x5au : 0xa5u));
}

struct flow {
    int dir;
    SOCKET s;
    int err; /* first WSAE* code, 0 when none */
    int tsdus;
    bool corrupt;
};

static void *send_main(void *arg)
{
    struct flow *f = arg;
    static _Thread_local uint8_t buf[TSDU_LEN];
    for (uint32_t k = 0; k < TSDUS; k++) {
        for (uint32_t i = 0; i < TSDU_LEN; i++)
            buf[i] = octet(f->dir, k, i);
        if (wsp_send(f->s, (const char *)buf, TSDU_LEN, 0) != TSDU_LEN) {
            f->err = WSAGetLastError();
            return NULL;
        }
        f->tsdus++;
    }
    return NULL;
}

static void *recv_main(void *arg)
{
    struct flow *f = arg;
    static _Thread_local uint8_t buf[TSDU_LEN + 1];
    for (uint32_t k = 0; k < TSDUS; k++) {
        int n = wsp_recv(f->s, (char *)buf, sizeof buf, 0);
        if (n < 0) {
            f->err = WSAGetLastError();
            return NULL;
        }
        if (n != TSDU_LEN) { /* a TSDU arrives whole */
            f->corrupt = true;
            return NULL;
        }
        for (uint32_t i = 0; i < TSDU_LEN; i++)
            if (buf[i] != octet(f->dir, k, i)) {
                f->corrupt = true;
                return NULL;
            }
        f->tsdus++;
    }
    return NULL;
}

/* A stalled transfer fails instead of hanging the test (SO_RCVTIMEO and
 * SO_SNDTIMEO in milliseconds, as on Windows). */
static void set_timeouts(SOCKET s)
{
    DWORD ms = 10000;
    assert_int_equal(wsp_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms), 0);
    assert_int_equal(wsp_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&ms, sizeof ms), 0);
}

static void sleep_ms(int ms)
{
    struct timespec d = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&d, NULL); /* a clock (the fault's length, a poll's period), not a synchronisation */
}

static void refused_interest_change_is_retried(void **state)
{
    (void)state;
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    SOCKET l = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof a;
    int max_tsdu = MAX_TSDU; /* the accepted socket inherits the listener's */
    assert_int_equal(wsp_setsockopt(l, WSP_SOL_ITOT, WSP_ITOT_MAX_TSDU, (const char *)&max_tsdu,
                                    sizeof max_tsdu),
                     0);
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&a, &len), 0);
    SOCKET c = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_int_equal(wsp_setsockopt(c, WSP_SOL_ITOT, WSP_ITOT_MAX_TSDU, (const char *)&max_tsdu,
                                    sizeof max_tsdu),
                     0);
    wsp_u_long on = 1, off = 0;
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &on), 0);
    int rc = wsp_connect(c, (struct sockaddr *)&a, len);
    assert_true(rc == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    SOCKET p = wsp_accept(l, NULL, NULL); /* sends the CC */
    assert_true(p != INVALID_SOCKET);
    wsp_fd_set w;
    w.fd_count = 1;
    w.fd_array[0] = c;
    struct timeval tv = {10, 0}; /* a guard only */
    assert_int_equal(wsp_select(0, NULL, &w, NULL, &tv), 1);
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &off), 0);
    set_timeouts(c);
    set_timeouts(p);

    const struct sys_hook *hk = fault_hook_of("wsp_itot.so");
    atomic_store(&real_epoll_ctl, (epoll_ctl_fn)hk->dflt("epoll_ctl"));
    atomic_store(&real_epoll_wait, (epoll_wait_fn)hk->dflt("epoll_wait"));
    assert_non_null(atomic_load(&real_epoll_ctl));
    assert_non_null(atomic_load(&real_epoll_wait));
    assert_non_null(hk->override("epoll_wait", (sys_fn)epoll_wait_counted));
    assert_non_null(hk->override("epoll_ctl", (sys_fn)epoll_ctl_no_mod));

    /* c -> p and p -> c at once, nobody reading yet: the receive stores fill
     * (the engine must drop EPOLLIN), then the queues outgrow TCP (it must
     * add EPOLLOUT).  The readers start once the kernel has refused a change. */
    struct flow tx[2] = {{.dir = 0, .s = c}, {.dir = 1, .s = p}};
    struct flow rx[2] = {{.dir = 0, .s = p}, {.dir = 1, .s = c}};
    pthread_t ts[4];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&ts[2 * i], NULL, send_main, &tx[i]), 0);
    for (int ms = 0; atomic_load(&refused) == 0 && ms < 5000; ms++)
        sleep_ms(1); /* the engine acts asynchronously: poll, with a deadline */
    assert_true(atomic_load(&refused) > 0); /* the fault was met */
    atomic_store(&waits, 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&ts[2 * i + 1], NULL, recv_main, &rx[i]), 0);
    sleep_ms(WINDOW_MS);
    int during = atomic_load(&waits);
    hk->restore_all();
    for (int i = 0; i < 4; i++)
        pthread_join(ts[i], NULL);

    printf("refused %d interest changes; %d engine waits in %d ms; "
           "c->p %d/%d, p->c %d/%d TSDUs\n",
           atomic_load(&refused), during, WINDOW_MS, rx[0].tsdus, TSDUS, rx[1].tsdus, TSDUS);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tx[i].err, 0);
        assert_int_equal(rx[i].err, 0); /* WSAETIMEDOUT before the fix: a stall */
        assert_false(rx[i].corrupt);
        assert_int_equal(rx[i].tsdus, TSDUS);
    }
    assert_true(during < MAX_WAITS); /* no spin */

    closesocket(p);
    closesocket(c);
    closesocket(l);
    WSACleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refused_interest_change_is_retried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
