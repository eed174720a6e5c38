/* SPDX-License-Identifier: MIT */
/* `wsp listen` + `wsp connect` through pipes: data both ways, connect data and
 * disconnect data checked on both sides (stderr reports, stdout payload). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tool/lib/spawn.h"

/* A listener started and its port read from its "listening on" line. */
struct pair {
    struct proc l, c;
    char port[8];
};

static void pair_listen(struct pair *pr, const char *const largs[])
{
    assert_int_equal(proc_start(&pr->l, largs), 0);
    unsigned port = 0;
    if (proc_listen_port(&pr->l, &port) != 0) {
        proc_finish(&pr->l);
        fail_msg("no 'listening on' line; stderr: %s", pr->l.err_buf.data);
    }
    snprintf(pr->port, sizeof pr->port, "%u", port);
}

static void pair_free(struct pair *pr)
{
    proc_free(&pr->l);
    proc_free(&pr->c);
}

/* The exit status, with both sides' stderr when it is not the expected one. */
static void assert_status(const struct pair *pr, int st, int want)
{
    if (st != want)
        fail_msg("status %d, expected %d\nlisten stderr:\n%s\nconnect stderr:\n%s", st, want,
                 pr->l.err_buf.data ? pr->l.err_buf.data : "",
                 pr->c.err_buf.data ? pr->c.err_buf.data : "");
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, haystack);
}

/* One itot run: data both ways, then the client ends with disconnect data. */
static void itot_pair_client_disconnects(const char *cls)
{
    struct pair pr = {0};
    const char *largs[] = {"listen",      "--class",   cls, "--accept-data",
                           "ACCEPT-DATA", "127.0.0.1", "0", NULL};
    pair_listen(&pr, largs);
    const char *cargs[] = {
        "connect",           "--class",         cls,         "--connect-data", "CONNECT-DATA",
        "--disconnect-data", "BYE-FROM-CLIENT", "127.0.0.1", pr.port,          NULL};
    assert_int_equal(proc_start(&pr.c, cargs), 0);

    assert_int_equal(proc_write(&pr.c, "ping\n", 5), 0);
    assert_int_equal(proc_wait_for(&pr.l, 1, "ping\n"), 0);
    assert_int_equal(proc_write(&pr.l, "pong\n", 5), 0);
    assert_int_equal(proc_wait_for(&pr.c, 1, "pong\n"), 0);

    /* End of the client's stdin: WSASendDisconnect with the data. The listener
     * ends on the peer's disconnect although its own stdin is still open. */
    proc_close_stdin(&pr.c);
    assert_int_equal(proc_wait_for(&pr.l, 2, "peer disconnected"), 0);
    int lst = proc_finish(&pr.l);
    int cst = proc_finish(&pr.c);

    assert_status(&pr, lst, 0);
    assert_status(&pr, cst, 0);
    assert_string_equal(pr.l.out_buf.data, "ping\n");
    assert_string_equal(pr.c.out_buf.data, "pong\n");
    assert_contains(pr.l.err_buf.data, "peer's connect data: \"CONNECT-DATA\" (12 octets)");
    assert_contains(pr.c.err_buf.data, "peer's accept data: \"ACCEPT-DATA\" (11 octets)");
    char want_class[32];
    snprintf(want_class, sizeof want_class, "negotiated class: %s", cls);
    assert_contains(pr.l.err_buf.data, want_class);
    assert_contains(pr.c.err_buf.data, want_class);
    assert_contains(pr.c.err_buf.data, "sent disconnect with data \"BYE-FROM-CLIENT\"");
    assert_contains(pr.c.err_buf.data, "connection released (the peer confirmed our disconnect)");
    assert_contains(pr.l.err_buf.data, "reason 128 (normal disconnect), disconnect data: "
                                       "\"BYE-FROM-CLIENT\" (15 octets)");
    pair_free(&pr);
}

static void tool_sd_c1_itot_class2_pair(void **state)
{
    (void)state;
    itot_pair_client_disconnects("2");
}

static void tool_sd_c1_itot_class0_pair(void **state)
{
    (void)state;
    itot_pair_client_disconnects("0");
}

/* The listener ends first, with binary disconnect data from a file, and the
 * largest size the DR allows (64 octets, D3 boundary). */
static void tool_sd_d3_itot_listener_disconnects_64_binary_octets(void **state)
{
    (void)state;
    char path[] = "/tmp/wsp-tool-discdata-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unsigned char data[64];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 4 + 1); /* 0x01 0x05 ... : not printable */
    assert_int_equal(write(fd, data, sizeof data), (int)sizeof data);
    close(fd);
    char at[64];
    snprintf(at, sizeof at, "@%s", path);

    struct pair pr = {0};
    const char *largs[] = {"listen", "--disconnect-data", at, "127.0.0.1", "0", NULL};
    pair_listen(&pr, largs);
    const char *cargs[] = {"connect", "127.0.0.1", pr.port, NULL};
    assert_int_equal(proc_start(&pr.c, cargs), 0);
    assert_int_equal(proc_wait_for(&pr.l, 2, "accepted a connection"), 0);
    assert_int_equal(proc_write(&pr.l, "from the listener", 17), 0);
    assert_int_equal(proc_wait_for(&pr.c, 1, "from the listener"), 0);
    proc_close_stdin(&pr.l);
    assert_int_equal(proc_wait_for(&pr.c, 2, "peer disconnected"), 0);
    int cst = proc_finish(&pr.c);
    int lst = proc_finish(&pr.l);
    unlink(path);
    assert_status(&pr, cst, 0);
    assert_status(&pr, lst, 0);
    assert_string_equal(pr.c.out_buf.data, "from the listener");
    assert_contains(pr.c.err_buf.data, "disconnect data: hex 01 05 09 0d");
    assert_contains(pr.c.err_buf.data, " fd (64 octets)");
    pair_free(&pr);
}

/* tcp: WSASendDisconnect without data is a half-close; the listener keeps
 * sending after the client's FIN (D6) and then half-closes too. */
static void tool_sd_d6_tcp_half_close_pair(void **state)
{
    (void)state;
    struct pair pr = {0};
    const char *largs[] = {"listen", "--proto", "tcp", "127.0.0.1", "0", NULL};
    pair_listen(&pr, largs);
    const char *cargs[] = {"connect", "--proto", "tcp", "127.0.0.1", pr.port, NULL};
    assert_int_equal(proc_start(&pr.c, cargs), 0);
    assert_int_equal(proc_write(&pr.c, "ping\n", 5), 0);
    proc_close_stdin(&pr.c);
    assert_int_equal(proc_wait_for(&pr.l, 2, "peer finished sending"), 0);
    assert_int_equal(proc_wait_for(&pr.l, 1, "ping\n"), 0);
    assert_int_equal(proc_wait_for(&pr.c, 2, "half-close"), 0);
    /* The client's direction is closed, its receive side is not. */
    assert_int_equal(proc_write(&pr.l, "after your FIN\n", 15), 0);
    assert_int_equal(proc_wait_for(&pr.c, 1, "after your FIN\n"), 0);
    int lst = proc_finish(&pr.l);
    int cst = proc_finish(&pr.c);
    assert_status(&pr, lst, 0);
    assert_status(&pr, cst, 0);
    assert_string_equal(pr.l.out_buf.data, "ping\n");
    assert_string_equal(pr.c.out_buf.data, "after your FIN\n");
    assert_contains(pr.c.err_buf.data, "peer finished sending");
    pair_free(&pr);
}

/* The listener refuses with refusal data; the client reports the DR reason
 * it received and the data, and exits with the "refused" status. */
static void tool_itot_refusal_data(void **state)
{
    (void)state;
    struct pair pr = {0};
    const char *largs[] = {
        "listen", "--reject", "address-unknown", "--reject-data", "GO AWAY", "127.0.0.1",
        "0",      NULL};
    pair_listen(&pr, largs);
    const char *cargs[] = {"connect", "--connect-data", "LET ME IN", "127.0.0.1", pr.port, NULL};
    int cst = proc_run(&pr.c, cargs);
    int lst = proc_finish(&pr.l);
    assert_status(&pr, lst, 0);
    assert_contains(pr.l.err_buf.data, "peer's connect data: \"LET ME IN\" (9 octets)");
    assert_contains(pr.l.err_buf.data, "wsp: refused the connection");
    assert_status(&pr, cst, 3);
    assert_contains(pr.c.err_buf.data, "refused by the peer: DR reason ");
    assert_contains(pr.c.err_buf.data, "refusal data: \"GO AWAY\" (7 octets)");
    assert_contains(pr.c.err_buf.data, "(WSAECONNREFUSED 10061)");

    /* --reject REASON: the listener sets WSP_ITOT_REJECT_REASON, and the
     * refused client reads that reason from the DR. */
    if (strstr(pr.l.err_buf.data, "cannot set the refusal reason"))
        fail_msg("the listener could not set the reason:\n%s", pr.l.err_buf.data);
    assert_contains(pr.l.err_buf.data,
                    "refused the connection with DR reason 3 (address unknown)");
    assert_contains(pr.c.err_buf.data, "refused by the peer: DR reason 3 (address unknown)");
    pair_free(&pr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tool_sd_c1_itot_class2_pair),
        cmocka_unit_test(tool_sd_c1_itot_class0_pair),
        cmocka_unit_test(tool_sd_d3_itot_listener_disconnects_64_binary_octets),
        cmocka_unit_test(tool_sd_d6_tcp_half_close_pair),
        cmocka_unit_test(tool_itot_refusal_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
