/* SPDX-License-Identifier: MIT */
/* A recv blocked on an itot socket that another thread closes fails with
 * WSAEINTR, never 0 / WSAEDISCON.  Windows: closesocket cancels the blocking
 * calls pending on the socket, and a cancelled blocking call fails with
 * WSAEINTR ("Interrupted function call", Windows Sockets Error Codes); 0 /
 * WSAEDISCON would announce a graceful disconnect by the peer, which never
 * happened.
 *
 * The lie came when the release the close starts (DR, then the peer's DC in
 * class 2, or its TCP FIN in class 0) completed before the woken receiver ran:
 * it then saw a closed connection without error and took it for the peer's
 * end.  To make that order the rule rather than luck, the whole test runs on
 * one CPU and the receiver at SCHED_IDLE: once woken, it runs only when the
 * closer and the engine thread have nothing left to do. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/itot.h>

#include "fixtures.h"

#define ROUNDS 100

#define P conf_spi_procs()

struct receiver {
    SOCKET s;
    atomic_int tid;
    int rc, err;
};

static void *recv_main(void *arg)
{
    struct receiver *r = arg;
    struct sched_param sp = {.sched_priority = 0};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp); /* unprivileged */
    /* What ws2 does around every call: the close then waits for this one. */
    if (conf_spi_pin(r->s) != 0) {
        r->rc = -2;
        return NULL;
    }
    atomic_store(&r->tid, (int)syscall(SYS_gettid));
    char buf[16];
    WSABUF b = {.len = sizeof buf, .buf = buf};
    DWORD got = 0, flags = 0;
    r->err = 0;
    r->rc = P->lpWSPRecv(r->s, &b, 1, &got, &flags, NULL, NULL, NULL, &r->err);
    conf_spi_unpin(r->s);
    return NULL;
}

/* Is thread tid asleep (state S)?  The receiver's only sleep is the wait
 * inside WSPRecv (or, briefly, the socket's lock). */
static bool sleeping(int tid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    bool s = false;
    if (fgets(line, sizeof line, f) != NULL) {
        const char *p = strrchr(line, ')'); /* the name may contain spaces */
        s = p != NULL && p[1] == ' ' && p[2] == 'S';
    }
    fclose(f);
    return s;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void close_interrupts_blocked_recv(const struct conf_ctx *ctx)
{
    cpu_set_t all, one;
    assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all)) {
            CPU_SET(c, &one);
            break;
        }
    /* Before the first socket: the engine thread, started by the first
     * connection, inherits the mask. */
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    int eintr = 0, zero = 0, other = 0, last_err = 0;
    for (int round = 0; round < ROUNDS; round++) {
        SOCKET cl, sv;
        conf_pair(ctx, &cl, &sv);
        struct receiver r = {.s = cl, .rc = 1};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, recv_main, &r), 0);
        /* Really asynchronous: the receiver reaching its wait. */
        uint64_t deadline = now_ms() + 10000;
        while (atomic_load(&r.tid) == 0 || !sleeping(atomic_load(&r.tid))) {
            assert_true(now_ms() < deadline);
            sched_yield();
        }
        int err = 0;
        assert_int_equal(P->lpWSPCloseSocket(cl, &err), 0);
        pthread_join(t, NULL);
        assert_int_not_equal(r.rc, -2);
        if (r.rc == SOCKET_ERROR && r.err == WSAEINTR)
            eintr++;
        else if (r.rc == 0 || r.err == WSAEDISCON)
            zero++;
        else {
            other++;
            last_err = r.err;
        }
        conf_close(ctx, sv);
    }
    assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
    print_message("%s: %d rounds: WSAEINTR %d, 0/WSAEDISCON %d, other %d (last %d)\n",
                  ctx->fx->name, ROUNDS, eintr, zero, other, last_err);
    assert_int_equal(zero, 0);
    assert_int_equal(other, 0);
    assert_int_equal(eintr, ROUNDS);
}

static struct conf_ctx ctx_class2 = {.fx = &itot_fixtures[0], .lv = &conf_level_spi};
static struct conf_ctx ctx_class0 = {.fx = &itot_fixtures[2], .lv = &conf_level_spi};

static void close_interrupts_blocked_recv_class2(void **state)
{
    close_interrupts_blocked_recv(*state);
}

static void close_interrupts_blocked_recv_class0(void **state)
{
    close_interrupts_blocked_recv(*state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(close_interrupts_blocked_recv_class2, conf_setup,
                                                 conf_teardown, &ctx_class2),
        cmocka_unit_test_prestate_setup_teardown(close_interrupts_blocked_recv_class0, conf_setup,
                                                 conf_teardown, &ctx_class0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
