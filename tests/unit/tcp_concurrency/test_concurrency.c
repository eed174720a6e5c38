/* SPDX-License-Identifier: MIT */
/* tcp provider under concurrent use (meant for the TSan build): many
 * connections torn down in parallel, SendDisconnect racing with itself and
 * with a reader blocked on the same socket, events on while sockets close. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"

static struct conf_ctx ctx4 = {&tcp_fixtures[0], &conf_level_spi};
#define P (conf_spi_procs())
#define THREADS 8

/* One full life per thread: pair, data both ways, half-close, drain, close. */
static void *one_life(void *arg)
{
    WSAEVENT ev = arg;
    int err = 0;
    for (int round = 0; round < 20; round++) {
        SOCKET a, b;
        conf_pair(&ctx4, &a, &b);
        if (ev != NULL)
            P->lpWSPEventSelect(b, ev, FD_READ | FD_CLOSE, &err);
        conf_send_all(&ctx4, a, "ping", 4);
        conf_disconnect_ok(&ctx4, a);
        char buf[8];
        size_t have = 0;
        for (;;) {
            int n = ctx4.lv->recv(b, buf + have, sizeof buf - have, &err);
            if (n == 0)
                break;
            if (n < 0) {
                /* b is non-blocking when events are on: wait through select. */
                assert_int_equal(err, WSAEWOULDBLOCK);
                wsp_fd_set rs = {1, {b}};
                assert_int_equal(P->lpWSPSelect(0, &rs, NULL, NULL, NULL, &err), 1);
                continue;
            }
            have += (size_t)n;
        }
        assert_int_equal(have, 4);
        conf_close(&ctx4, a);
        conf_close(&ctx4, b);
    }
    return NULL;
}

static void tcp_conc_parallel_lives(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    WSAEVENT ev = conf_spi_event_new();
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, one_life, i % 2 ? ev : NULL), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    conf_spi_event_free(ev);
}

struct racer {
    SOCKET s;
    pthread_barrier_t *go;
    int rc, err;
};

static void *disconnect_racer(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->go);
    r->rc = ctx4.lv->send_disconnect(r->s, NULL, &r->err);
    return NULL;
}

/* D7 under a race: whichever call wins, both see success (the connection is
 * still being released) and the peer sees exactly one end of stream. */
static void tcp_conc_send_disconnect_twice(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        SOCKET a, b;
        conf_pair(&ctx4, &a, &b);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        struct racer r[2] = {{.s = a, .go = &go}, {.s = a, .go = &go}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&t[i], NULL, disconnect_racer, &r[i]), 0);
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_join(t[i], NULL), 0);
        pthread_barrier_destroy(&go);
        assert_int_equal(r[0].rc, 0);
        assert_int_equal(r[1].rc, 0);
        char c;
        int err = 0;
        assert_int_equal(ctx4.lv->recv(b, &c, 1, &err), 0);
        conf_close(&ctx4, a);
        conf_close(&ctx4, b);
    }
}

struct reader {
    SOCKET s;
    int rc, err;
    char got;
};

static void *blocked_reader(void *arg)
{
    struct reader *r = arg;
    r->rc = ctx4.lv->recv(r->s, &r->got, 1, &r->err);
    return NULL;
}

/* D6 with a reader already blocked on the socket: our SendDisconnect does not
 * disturb it, and it gets what the peer sends afterwards. */
static void tcp_conc_disconnect_while_reading(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    struct reader r = {.s = a};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, blocked_reader, &r), 0);
    conf_disconnect_ok(&ctx4, a);
    char c;
    int err = 0;
    assert_int_equal(ctx4.lv->recv(b, &c, 1, &err), 0); /* our FIN arrived */
    conf_send_all(&ctx4, b, "z", 1);                    /* the reader's answer */
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.got, 'z');
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

#define T(fn) cmocka_unit_test_prestate_setup_teardown(fn, conf_setup, conf_teardown, &ctx4)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(tcp_conc_parallel_lives),
        T(tcp_conc_send_disconnect_twice),
        T(tcp_conc_disconnect_while_reading),
    };
    return cmocka_run_group_tests_name("tcp_concurrency", tests, NULL, NULL);
}
