/* SPDX-License-Identifier: MIT */
/* tcp provider: WSPCloseSocket from another thread wakes a call blocked on
 * the socket (WSAEINTR), and the context is freed only after it left (the
 * harness' WPUCloseSocketHandle waits for the pin, as ws2's does). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixtures.h"

static struct conf_ctx ctx4 = {&tcp_fixtures[0], &conf_level_spi};

struct blocked {
    SOCKET s;
    bool accept;
    _Atomic pid_t tid;
    int rc, err;
};

static void *block_in_call(void *arg)
{
    struct blocked *b = arg;
    atomic_store(&b->tid, (pid_t)syscall(SYS_gettid));
    if (conf_spi_pin(b->s) != 0) {
        b->rc = -2;
        return NULL;
    }
    char c;
    if (b->accept)
        b->rc = ctx4.lv->accept(b->s, NULL, 0, &b->err) == INVALID_SOCKET ? -1 : 0;
    else
        b->rc = ctx4.lv->recv(b->s, &c, 1, &b->err);
    conf_spi_unpin(b->s);
    return NULL;
}

/* The kernel's word that the thread sleeps (state S) in a syscall of ours:
 * nothing else in it blocks. */
static void wait_until_sleeping(pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    for (;;) {
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *p = strrchr(buf, ')');
        if (p != NULL && p[1] == ' ' && p[2] == 'S')
            return;
        sched_yield();
    }
}

static void run(struct blocked *b)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, block_in_call, b), 0);
    while (atomic_load(&b->tid) == 0)
        sched_yield();
    wait_until_sleeping(atomic_load(&b->tid));
    conf_close(&ctx4, b->s); /* returns only after the blocked call left */
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(b->rc, -1);
    assert_int_equal(b->err, WSAEINTR);
}

static void tcp_close_wakes_blocked_recv(void **state)
{
    (void)state;
    SOCKET a, peer;
    conf_pair(&ctx4, &a, &peer);
    struct blocked b = {.s = a};
    run(&b);
    conf_close(&ctx4, peer);
}

static void tcp_close_wakes_blocked_accept(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len;
    SOCKET l = conf_listener(&ctx4, 4, &ss, &len);
    struct blocked b = {.s = l, .accept = true};
    run(&b);
}

static void tcp_close_twice_is_notsock(void **state)
{
    (void)state;
    SOCKET s = conf_socket(&ctx4);
    conf_close(&ctx4, s);
    int err = 0;
    assert_int_equal(ctx4.lv->close(s, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);
}

#define T(fn) cmocka_unit_test_prestate_setup_teardown(fn, conf_setup, conf_teardown, &ctx4)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(tcp_close_wakes_blocked_recv),
        T(tcp_close_wakes_blocked_accept),
        T(tcp_close_twice_is_notsock),
    };
    return cmocka_run_group_tests_name("tcp_close", tests, NULL, NULL);
}
