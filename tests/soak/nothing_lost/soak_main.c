/* SPDX-License-Identifier: MIT */
/* soak — "nothing lost": many connections of random sizes, tcp and itot, at
 * most `concurrency` at a time; each sender calls WSASendDisconnect right
 * after its last send (itot: with 0..64 octets of disconnect data) and closes;
 * each receiver reads to the end; every octet (and checksum) and every
 * disconnect datum must arrive (D5, D10; D2 and D9 for the ways of passing
 * the data).  Next to it, the naive close that SendDisconnect avoids: on tcp,
 * closesocket with unread input resets the connection and loses data.
 *
 *   soak [--connections N] [--concurrency C] [--max-size BYTES] [--seed S]
 *        [--providers tcp,itot] [--stall-seconds T]
 *
 * Each option also comes from the environment (WSP_SOAK_CONNECTIONS, ...);
 * the command line wins.  Sizes take a K or M suffix.  The seed is printed;
 * rerunning with it repeats every size, payload, disconnect datum and choice
 * (the interleaving of the threads differs). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "soak_naive.h"
#include "soak_net.h"
#include "soak_pool.h"

static struct {
    uint32_t connections;
    unsigned concurrency;
    uint64_t max_size;
    uint64_t seed;
    unsigned stall_seconds;
    bool prov[2];
} soak_params = {500, 64, 256 * 1024, 0, 60, {true, true}};

/* ---- parameters ---------------------------------------------------------------- */

static int soak_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s)
        return -1;
    unsigned shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20 : 0;
    if (shift)
        end++;
    if (*end || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int soak_parse_providers(const char *s)
{
    soak_params.prov[SOAK_TCP] = strstr(s, "tcp") != NULL;
    soak_params.prov[SOAK_ITOT] = strstr(s, "itot") != NULL;
    return soak_params.prov[SOAK_TCP] || soak_params.prov[SOAK_ITOT] ? 0 : -1;
}

static const struct {
    const char *opt, *env;
    uint64_t min, max;
} soak_opts[] = {
    {"--connections", "WSP_SOAK_CONNECTIONS", 1, 100000000},
    {"--concurrency", "WSP_SOAK_CONCURRENCY", 1, 1024},
    {"--max-size", "WSP_SOAK_MAX_SIZE", 0, 1ull << 32},
    {"--seed", "WSP_SOAK_SEED", 0, UINT64_MAX},
    {"--stall-seconds", "WSP_SOAK_STALL_SECONDS", 1, 3600},
    {"--providers", "WSP_SOAK_PROVIDERS", 0, 0},
};

static int soak_set(size_t which, const char *val, bool *seeded)
{
    if (which == 5)
        return soak_parse_providers(val);
    uint64_t v;
    if (soak_parse_u64(val, &v) != 0 || v < soak_opts[which].min || v > soak_opts[which].max)
        return -1;
    switch (which) {
    case 0:
        soak_params.connections = (uint32_t)v;
        break;
    case 1:
        soak_params.concurrency = (unsigned)v;
        break;
    case 2:
        soak_params.max_size = v;
        break;
    case 3:
        soak_params.seed = v;
        *seeded = true;
        break;
    default:
        soak_params.stall_seconds = (unsigned)v;
    }
    return 0;
}

static void soak_usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--connections N] [--concurrency C] [--max-size BYTES] [--seed S]\n"
            "       [--providers tcp,itot] [--stall-seconds T]\n"
            "sizes take a K or M suffix; every option also as WSP_SOAK_CONNECTIONS, ...\n",
            argv0);
}

static int soak_params_load(int argc, char **argv)
{
    const size_t nopts = sizeof soak_opts / sizeof soak_opts[0];
    bool seeded = false;
    for (size_t i = 0; i < nopts; i++) {
        const char *v = getenv(soak_opts[i].env);
        if (v && *v && soak_set(i, v, &seeded) != 0) {
            fprintf(stderr, "bad %s=%s\n", soak_opts[i].env, v);
            return -1;
        }
    }
    for (int a = 1; a < argc; a += 2) { /* "--option value" pairs */
        size_t i = 0;
        while (i < nopts && strcmp(argv[a], soak_opts[i].opt) != 0)
            i++;
        if (i == nopts || a + 1 >= argc || soak_set(i, argv[a + 1], &seeded) != 0) {
            soak_usage(argv[0]);
            return -1;
        }
    }
    if (!seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        soak_params.seed =
            ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40);
    }
    return 0;
}

/* ---- the soak --------------------------------------------------------------------- */

static void soak_provider(enum soak_prov prov)
{
    if (!soak_params.prov[prov])
        skip();
    struct soak_cfg cfg = {prov,
                           soak_params.connections,
                           soak_params.concurrency,
                           soak_params.max_size,
                           soak_params.seed,
                           soak_params.stall_seconds};
    struct soak_stats st;
    int rc = soak_run(&cfg, &st);
    double mib = (double)st.payload_octets / (1024.0 * 1024.0);
    print_message("soak %s: seed %#" PRIx64 ", %" PRIu32 "/%" PRIu32
                  " connections verified (%" PRIu32 " sent by the accepted side), %" PRIu64
                  " payload octets (%.1f MiB, largest %" PRIu64 "), %" PRIu64
                  " disconnect data octets, at most %u in flight, %.2f s (%.1f MiB/s); %" PRIu32
                  " failed connection(s), %" PRIu32 " other failure(s)\n",
                  soak_prov_name(prov), cfg.seed, st.completed, cfg.connections, st.server_sends,
                  st.payload_octets, mib, st.largest, st.disc_octets, st.max_in_flight, st.seconds,
                  st.seconds > 0 ? mib / st.seconds : 0.0, st.failed, st.stray);
    if (rc != 0)
        fail_msg("soak %s (seed %#" PRIx64 ", rerun with --seed %#" PRIx64 "): %s",
                 soak_prov_name(prov), cfg.seed, cfg.seed,
                 st.first_failure[0] ? st.first_failure : "connections missing");
    assert_int_equal(st.completed, cfg.connections);
    assert_true(st.max_in_flight <= cfg.concurrency);
}

static void soak_tcp_nothing_lost(void **state)
{
    (void)state;
    soak_provider(SOAK_TCP);
}

static void soak_itot_nothing_lost(void **state)
{
    (void)state;
    soak_provider(SOAK_ITOT);
}

/* ---- the naive close next to SendDisconnect ---------------------------------------- */

static void soak_naive_print(const char *what, const struct soak_naive_result *r)
{
    print_message("%s: closer sent %" PRIu64 ", peer read %" PRIu64 " (%s), peer's end: %s%s\n",
                  what, r->sent, r->received, r->content_ok ? "intact" : "CORRUPTED",
                  r->peer_end == 0 ? "clean" : soak_ename(r->peer_end),
                  r->received < r->sent ? ", DATA LOST" : "");
}

/* The classic abortive close: unread input, closesocket, RST.  Windows'
 * recv documents WSAECONNRESET for "the virtual circuit was reset by the
 * remote side executing a hard or abortive close"; Linux sends that RST when a
 * socket is closed with unread data (RFC 2525 2.17) and drops what it had not
 * sent yet. */
static void naive_close_tcp_resets_and_loses_data(void **state)
{
    (void)state;
    if (!soak_params.prov[SOAK_TCP])
        skip();
    struct soak_naive_result r;
    if (soak_naive_run(SOAK_TCP, -1, false, &r) != 0)
        fail_msg("%s", r.err);
    soak_naive_print("tcp, closesocket with unread input", &r);
    assert_true(r.content_ok); /* what arrived is right... */
    assert_int_equal(r.peer_end, WSAECONNRESET);
    assert_true(r.received < r.sent); /* ...but not all of it arrived */
}

/* The same connection, released with WSASendDisconnect and read to the end
 * by both: every octet arrives, then the clean end (D5, D6). */
static void senddisconnect_tcp_loses_nothing(void **state)
{
    (void)state;
    if (!soak_params.prov[SOAK_TCP])
        skip();
    struct soak_naive_result r;
    if (soak_naive_run(SOAK_TCP, -1, true, &r) != 0)
        fail_msg("%s", r.err);
    soak_naive_print("tcp, WSASendDisconnect and read to the end", &r);
    assert_true(r.content_ok);
    assert_int_equal(r.peer_end, 0);
    assert_int_equal(r.received, r.sent);
    assert_int_equal(r.closer_end, 0);
}

/* itot: even the naive closesocket releases with a DR behind the data (D5)
 * and the SO_DISCDATA data (D9), and the class 0 release reads on until the
 * peer's FIN, so no RST can destroy what is in flight. */
static void itot_close_check(int itot_class, bool graceful)
{
    if (!soak_params.prov[SOAK_ITOT])
        skip();
    struct soak_naive_result r;
    if (soak_naive_run(SOAK_ITOT, itot_class, graceful, &r) != 0)
        fail_msg("%s", r.err);
    char what[96];
    snprintf(what, sizeof what, "itot class %d, %s", itot_class,
             graceful ? "WSASendDisconnect and read to the end" : "closesocket with unread input");
    soak_naive_print(what, &r);
    assert_true(r.content_ok);
    assert_int_equal(r.peer_end, 0);
    assert_int_equal(r.received, r.sent);
    assert_true(r.disc_ok);
    if (graceful)
        assert_int_equal(r.closer_end, 0);
}

static void closesocket_itot_class0_loses_nothing(void **state)
{
    (void)state;
    itot_close_check(0, false);
}

static void closesocket_itot_class2_loses_nothing(void **state)
{
    (void)state;
    itot_close_check(2, false);
}

static void senddisconnect_itot_class0_loses_nothing(void **state)
{
    (void)state;
    itot_close_check(0, true);
}

static void senddisconnect_itot_class2_loses_nothing(void **state)
{
    (void)state;
    itot_close_check(2, true);
}

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

int main(int argc, char **argv)
{
    if (soak_params_load(argc, argv) != 0)
        return 2;
    printf("soak: %" PRIu32 " connections per provider, %u at a time, sizes 0..%" PRIu64
           ", seed %#" PRIx64 " (rerun: --seed %#" PRIx64 ")\n",
           soak_params.connections, soak_params.concurrency, soak_params.max_size, soak_params.seed,
           soak_params.seed);
    fflush(stdout);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(naive_close_tcp_resets_and_loses_data),
        cmocka_unit_test(senddisconnect_tcp_loses_nothing),
        cmocka_unit_test(closesocket_itot_class0_loses_nothing),
        cmocka_unit_test(closesocket_itot_class2_loses_nothing),
        cmocka_unit_test(senddisconnect_itot_class0_loses_nothing),
        cmocka_unit_test(senddisconnect_itot_class2_loses_nothing),
        cmocka_unit_test(soak_tcp_nothing_lost),
        cmocka_unit_test(soak_itot_nothing_lost),
    };
    return cmocka_run_group_tests_name("soak", tests, setup, teardown);
}
