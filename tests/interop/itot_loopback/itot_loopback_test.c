/* SPDX-License-Identifier: MIT */
/* itot end to end over loopback, through the public API only: connect data
 * both ways, 1,000 self-checking TSDUs of up to 1 MiB in both directions at
 * once, then WSASendDisconnect with 64 octets (clauses C1/C3, decisions D3,
 * D5, D10 of docs/conformance.md), in class 0 and class 2, IPv4 and IPv6. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "xchg.h"

#define LOOPBACK_TSDUS 1000u
#define LOOPBACK_MAX_TSDU (1024u * 1024u)

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

static void run_and_check(int family, int itot_class, unsigned ntsdu, size_t max_tsdu,
                          uint64_t seed)
{
    struct xchg_cfg cfg = {
        .family = family,
        .itot_class = itot_class,
        .ntsdu = ntsdu,
        .max_tsdu = max_tsdu,
        .seed = seed,
        .listener = INVALID_SOCKET,
        .check_msgsize = true,
        .check_small_buf = true,
    };
    struct xchg_result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    xchg_run(&cfg, res);
    print_message("class %d %s port %u: c2s %u/%u s2c %u/%u, discreason %d, disc len %lu%s%s\n",
                  itot_class, family == AF_INET6 ? "::1" : "127.0.0.1", res->port,
                  res->c2s_verified, ntsdu, res->s2c_verified, ntsdu, res->discreason,
                  res->disc_len, res->err[0] ? ", first failure: " : "", res->err);
    if (res->err[0])
        fail_msg("%s", res->err);
    assert_int_equal(res->cond_calls, 1);
    assert_int_equal(res->client_class, itot_class);
    assert_int_equal(res->server_class, itot_class);
    /* D3 + D1: too long refused, and the exchange after it proves no side effect. */
    assert_int_equal(res->msgsize_err, WSAEMSGSIZE);
    assert_int_equal(res->c2s_verified, ntsdu);
    assert_int_equal(res->s2c_verified, ntsdu);
    /* D10: data first, then WSAEDISCON, then the peer's disconnect data. */
    assert_true(res->got_discon);
    assert_int_equal(res->small_buf_err, WSAEFAULT);
    assert_int_equal(res->small_buf_len, XCHG_DISC_DATA_LEN);
    assert_int_equal(res->disc_len, XCHG_DISC_DATA_LEN);
    assert_true(res->disc_data_ok);
    assert_int_equal(res->discreason, WSP_ITOT_DR_NORMAL);
    /* C2 */
    assert_int_equal(res->shutdown_err, WSAESHUTDOWN);
    free(res);
}

static void sd_c1_c3_d10_itot_class0_ipv4(void **state)
{
    (void)state;
    run_and_check(AF_INET, 0, LOOPBACK_TSDUS, LOOPBACK_MAX_TSDU, 0x1050C0A5u);
}

static void sd_c1_c3_d10_itot_class0_ipv6(void **state)
{
    (void)state;
    run_and_check(AF_INET6, 0, LOOPBACK_TSDUS, LOOPBACK_MAX_TSDU, 0x1050C0A6u);
}

static void sd_c1_c3_d10_itot_class2_ipv4(void **state)
{
    (void)state;
    run_and_check(AF_INET, 2, LOOPBACK_TSDUS, LOOPBACK_MAX_TSDU, 0x1050C2A5u);
}

static void sd_c1_c3_d10_itot_class2_ipv6(void **state)
{
    (void)state;
    run_and_check(AF_INET6, 2, LOOPBACK_TSDUS, LOOPBACK_MAX_TSDU, 0x1050C2A6u);
}

/* The same checks with a handful of small TSDUs: when a big run fails, this
 * tells whether the release path or the volume is at fault. */
static void sd_d3_d10_itot_small_class0(void **state)
{
    (void)state;
    run_and_check(AF_INET, 0, 5, 4096, 7);
}

static void sd_d3_d10_itot_small_class2(void **state)
{
    (void)state;
    run_and_check(AF_INET, 2, 5, 4096, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sd_d3_d10_itot_small_class0),
        cmocka_unit_test(sd_d3_d10_itot_small_class2),
        cmocka_unit_test(sd_c1_c3_d10_itot_class0_ipv4),
        cmocka_unit_test(sd_c1_c3_d10_itot_class0_ipv6),
        cmocka_unit_test(sd_c1_c3_d10_itot_class2_ipv4),
        cmocka_unit_test(sd_c1_c3_d10_itot_class2_ipv6),
    };
    return cmocka_run_group_tests_name("itot_loopback", tests, setup, teardown);
}
