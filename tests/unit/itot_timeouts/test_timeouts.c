/* SPDX-License-Identifier: MIT */
/* SO_RCVTIMEO / SO_SNDTIMEO on itot (SOL_SOCKET socket options page): a DWORD
 * of milliseconds, read back as set; a blocking receive or send that cannot
 * finish in that time fails with WSAETIMEDOUT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <wsp/itot.h>

#include "fixtures.h"

#define P conf_spi_procs()

static struct conf_ctx ctx = {.fx = &itot_fixtures[0], .lv = &conf_level_spi};

static long long ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void set_ms(SOCKET s, int name, DWORD ms)
{
    int err = 0;
    assert_int_equal(P->lpWSPSetSockOpt(s, SOL_SOCKET, name, (char *)&ms, sizeof ms, &err), 0);
    DWORD back = 0;
    int len = sizeof back;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, name, (char *)&back, &len, &err), 0);
    assert_int_equal(len, sizeof back);
    assert_int_equal(back, ms);
}

static void itot_rcvtimeo(void **state)
{
    (void)state;
    SOCKET cl, sv;
    conf_pair(&ctx, &cl, &sv);
    set_ms(cl, SO_RCVTIMEO, 150);
    char buf[16];
    WSABUF b = {.len = sizeof buf, .buf = buf};
    DWORD got = 0, flags = 0;
    int err = 0;
    long long t0 = ms_now();
    assert_int_equal(P->lpWSPRecv(cl, &b, 1, &got, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAETIMEDOUT);
    assert_true(ms_now() - t0 >= 140);
    conf_close(&ctx, cl);
    conf_close(&ctx, sv);
}

static void itot_sndtimeo(void **state)
{
    (void)state;
    SOCKET cl, sv;
    conf_pair(&ctx, &cl, &sv);
    set_ms(cl, SO_SNDTIMEO, 100);
    static char big[16384];
    WSABUF b = {.len = sizeof big, .buf = big};
    DWORD sent = 0;
    int err = 0, rc, rounds = 0;
    /* the server side never reads: the queues fill and a send runs out */
    while ((rc = P->lpWSPSend(cl, &b, 1, &sent, 0, NULL, NULL, NULL, &err)) == 0 && rounds < 100000)
        rounds++;
    assert_int_equal(rc, SOCKET_ERROR);
    assert_int_equal(err, WSAETIMEDOUT);
    conf_close(&ctx, cl);
    conf_close(&ctx, sv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(itot_rcvtimeo, conf_setup, conf_teardown, &ctx),
        cmocka_unit_test_prestate_setup_teardown(itot_sndtimeo, conf_setup, conf_teardown, &ctx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
