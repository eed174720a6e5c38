/* SPDX-License-Identifier: MIT */
/* Every error path of the wsp command: its exit status and its one-line message. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tool/lib/spawn.h"

/* Exit statuses, as documented in wsp --help, wsp.1 and docs/wsp.md. */
enum {
    EX_OK = 0,
    EX_USAGE = 2,
    EX_REFUSED = 3,
    EX_RESET = 4,
    EX_HOST = 5,
    EX_ADDRINUSE = 6,
    EX_NOPROTOOPT = 7,
    EX_MSGSIZE = 8
};

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, haystack);
}

/* stderr is exactly one line starting with "wsp: ". */
static void assert_one_error_line(const struct proc *p)
{
    const char *e = p->err_buf.data;
    if (strncmp(e, "wsp: ", 5) != 0 || !strchr(e, '\n') || strchr(e, '\n')[1] != '\0')
        fail_msg("expected one 'wsp: ...' line on stderr, got:\n%s", e);
}

static int run(struct proc *p, const char *const args[])
{
    int st = proc_run(p, args);
    assert_true(st >= 0);
    return st;
}

/* A TCP socket of the system, bound to a free loopback port; listening or not. */
static int system_socket(int do_listen, char port[8])
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    if (do_listen)
        assert_int_equal(listen(fd, 4), 0);
    socklen_t len = sizeof sin;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    snprintf(port, 8, "%u", ntohs(sin.sin_port));
    return fd;
}

/* ---- bad arguments ------------------------------------------------------ */
static void tool_usage_errors(void **state)
{
    (void)state;
    static const char *const cases[][8] = {
        {NULL},
        {"frobnicate", NULL},
        {"connect", "127.0.0.1", NULL},
        {"connect", "--class", "3", "127.0.0.1", "102", NULL},
        {"connect", "--proto", "x25", "127.0.0.1", "102", NULL},
        {"connect", "--proto", "tcp", "--class", "2", "127.0.0.1", "102", NULL},
        {"connect", "127.0.0.1", "70000", NULL},
        {"connect", "127.0.0.1", "0", NULL},
        {"connect", "--bogus", "127.0.0.1", "102", NULL},
        {"listen", "--reject", "because", "127.0.0.1", "0", NULL},
        {"listen", "--reject-data", "x", "127.0.0.1", "0", NULL},
        {"listen", "--disconnect-data", "@/nonexistent/file", "127.0.0.1", "0", NULL},
        {"catalog", "extra", NULL},
        {"catalog", "--xml", NULL},
        {"demo", "now", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct proc p;
        int st = run(&p, cases[i]);
        if (st != EX_USAGE)
            fail_msg("case %zu (%s %s): status %d, stderr: %s", i, cases[i][0] ? cases[i][0] : "",
                     cases[i][0] && cases[i][1] ? cases[i][1] : "", st, p.err_buf.data);
        assert_string_equal(p.out_buf.data, "");
        if (i > 0) /* 'wsp' alone prints the usage text */
            assert_one_error_line(&p);
        proc_free(&p);
    }
}

static void tool_help_on_every_subcommand(void **state)
{
    (void)state;
    static const char *const cmds[] = {"catalog", "listen", "connect", "demo"};
    for (size_t i = 0; i < 4; i++) {
        const char *args[] = {cmds[i], "--help", NULL};
        struct proc p;
        assert_int_equal(run(&p, args), EX_OK);
        char want[32];
        snprintf(want, sizeof want, "Usage: wsp %s", cmds[i]);
        assert_contains(p.out_buf.data, want);
        assert_contains(p.out_buf.data, "Exit status:");
        assert_contains(p.out_buf.data, "  3  connection refused");
        proc_free(&p);
    }
    const char *top[] = {"--help", NULL};
    struct proc p;
    assert_int_equal(run(&p, top), EX_OK);
    assert_contains(p.out_buf.data, "demo");
    proc_free(&p);
}

/* `wsp --version` names the version and the license (MIT). */
static void tool_version_names_license(void **state)
{
    (void)state;
    const char *args[] = {"--version", NULL};
    struct proc p;
    assert_int_equal(run(&p, args), EX_OK);
    assert_contains(p.out_buf.data, "wsp 0.");
    assert_contains(p.out_buf.data, "License: MIT");
    proc_free(&p);
}

/* ---- name resolution, ports ---------------------------------------------- */
static void tool_unknown_host(void **state)
{
    (void)state;
    /* .invalid never resolves (RFC 6761). */
    const char *args[] = {"connect", "no-such-host.invalid", "102", NULL};
    struct proc p;
    assert_int_equal(run(&p, args), EX_HOST);
    assert_one_error_line(&p);
    assert_contains(p.err_buf.data, "unknown host 'no-such-host.invalid'");
    proc_free(&p);
}

static void port_in_use(const char *proto)
{
    char port[8];
    int fd = system_socket(1, port);
    const char *args[] = {"listen", "--proto", proto, "127.0.0.1", port, NULL};
    struct proc p;
    assert_int_equal(run(&p, args), EX_ADDRINUSE);
    close(fd);
    assert_one_error_line(&p);
    assert_contains(p.err_buf.data, "already in use (WSAEADDRINUSE 10048)");
    proc_free(&p);
}

static void tool_port_in_use_itot(void **state)
{
    (void)state;
    port_in_use("itot");
}

static void tool_port_in_use_tcp(void **state)
{
    (void)state;
    port_in_use("tcp");
}

/* A bound socket that does not listen answers a SYN with RST: refused. */
static void refused(const char *proto)
{
    char port[8];
    int fd = system_socket(0, port);
    const char *args[] = {"connect", "--proto", proto, "127.0.0.1", port, NULL};
    struct proc p;
    assert_int_equal(run(&p, args), EX_REFUSED);
    close(fd);
    assert_one_error_line(&p);
    assert_contains(p.err_buf.data, "refused");
    assert_contains(p.err_buf.data, "WSAECONNREFUSED 10061");
    proc_free(&p);
}

static void tool_connection_refused_itot(void **state)
{
    (void)state;
    refused("itot");
}

static void tool_connection_refused_tcp(void **state)
{
    (void)state;
    refused("tcp");
}

/* The peer accepts and resets (SO_LINGER 0): status "reset". */
static void tool_connection_reset_tcp(void **state)
{
    (void)state;
    char port[8];
    int lfd = system_socket(1, port);
    const char *args[] = {"connect", "--proto", "tcp", "127.0.0.1", port, NULL};
    struct proc p;
    assert_int_equal(proc_start(&p, args), 0);
    int cfd = accept(lfd, NULL, NULL);
    assert_true(cfd >= 0);
    assert_int_equal(proc_wait_for(&p, 2, "connected to"), 0);
    struct linger lg = {1, 0};
    assert_int_equal(setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(cfd);
    close(lfd);
    /* stdin stays open: only the reset can end the command. */
    assert_int_equal(proc_wait_for(&p, 2, "reset"), 0);
    int st = proc_finish(&p);
    if (st != EX_RESET)
        fail_msg("status %d, stderr:\n%s", st, p.err_buf.data);
    assert_contains(p.err_buf.data, "WSAECONNRESET 10054");
    proc_free(&p);
}

/* ---- disconnect data the provider refuses -------------------------------- */

/* Starts `wsp listen` with largs, returns its port. */
static void start_listener(struct proc *l, const char *const largs[], char port[8])
{
    assert_int_equal(proc_start(l, largs), 0);
    unsigned n = 0;
    if (proc_listen_port(l, &n) != 0) {
        proc_finish(l);
        fail_msg("no 'listening on' line; stderr: %s", l->err_buf.data);
    }
    snprintf(port, 8, "%u", n);
}

static void tool_sd_c6_tcp_disconnect_data_noprotoopt(void **state)
{
    (void)state;
    struct proc l, c;
    char port[8];
    const char *largs[] = {"listen", "--proto", "tcp", "127.0.0.1", "0", NULL};
    start_listener(&l, largs, port);
    const char *cargs[] = {"connect", "--proto",   "tcp", "--disconnect-data",
                           "BYE",     "127.0.0.1", port,  NULL};
    int cst = proc_run(&c, cargs);
    int lst = proc_finish(&l);
    assert_int_equal(cst, EX_NOPROTOOPT);
    assert_contains(c.err_buf.data,
                    "wsp: the tcp provider does not support disconnect data (WSAENOPROTOOPT "
                    "10042)\n");
    /* The listener saw an ordinary end of the connection. */
    assert_int_equal(lst, EX_OK);
    proc_free(&c);
    proc_free(&l);
}

static void tool_sd_d3_itot_disconnect_data_65_msgsize(void **state)
{
    (void)state;
    struct proc l, c;
    char port[8];
    const char *largs[] = {"listen", "127.0.0.1", "0", NULL};
    start_listener(&l, largs, port);
    char data[66];
    memset(data, 'x', 65);
    data[65] = '\0';
    /* -q 0: disconnect at end of (empty) input, without waiting for the peer. */
    const char *cargs[] = {"connect", "-q",        "0",  "--disconnect-data",
                           data,      "127.0.0.1", port, NULL};
    int cst = proc_run(&c, cargs);
    proc_finish(&l);
    assert_int_equal(cst, EX_MSGSIZE);
    assert_contains(c.err_buf.data, "wsp: disconnect data too long: 65 octets, the protocol "
                                    "allows at most 64 (WSAEMSGSIZE 10040)\n");
    proc_free(&c);
    proc_free(&l);
}

static void tool_itot_connect_data_33_msgsize(void **state)
{
    (void)state;
    struct proc l, c;
    char port[8];
    const char *largs[] = {"listen", "127.0.0.1", "0", NULL};
    start_listener(&l, largs, port);
    char data[34];
    memset(data, 'c', 33);
    data[33] = '\0';
    const char *cargs[] = {"connect", "--connect-data", data, "127.0.0.1", port, NULL};
    int cst = proc_run(&c, cargs);
    /* The listener never saw a connect request: stop it. */
    kill(l.pid, SIGTERM);
    proc_finish(&l);
    assert_int_equal(cst, EX_MSGSIZE);
    assert_one_error_line(&c);
    assert_contains(c.err_buf.data, "connect data too long: 33 octets");
    proc_free(&c);
    proc_free(&l);
}

/* tcp has no connect data: WSAConnect answers WSAENOPROTOOPT before connecting. */
static void tool_tcp_connect_data_noprotoopt(void **state)
{
    (void)state;
    char port[8];
    int fd = system_socket(1, port);
    const char *args[] = {"connect", "--proto",   "tcp", "--connect-data",
                          "HELLO",   "127.0.0.1", port,  NULL};
    struct proc p;
    int st = run(&p, args);
    close(fd);
    assert_int_equal(st, EX_NOPROTOOPT);
    assert_one_error_line(&p);
    assert_contains(p.err_buf.data, "the tcp provider does not support connect data "
                                    "(WSAENOPROTOOPT 10042)");
    proc_free(&p);
}

/* A listener asked for accept data on tcp refuses the caller and says why. */
static void tool_tcp_accept_data_noprotoopt(void **state)
{
    (void)state;
    struct proc l, c;
    char port[8];
    const char *largs[] = {"listen",  "--proto",   "tcp", "--accept-data",
                           "WELCOME", "127.0.0.1", "0",   NULL};
    start_listener(&l, largs, port);
    const char *cargs[] = {"connect", "--proto", "tcp", "127.0.0.1", port, NULL};
    assert_int_equal(proc_start(&c, cargs), 0);
    int lst = proc_finish(&l);
    proc_finish(&c);
    assert_int_equal(lst, EX_NOPROTOOPT);
    assert_contains(l.err_buf.data, "wsp: the tcp provider does not support accept data "
                                    "(WSAENOPROTOOPT 10042); refusing\n");
    proc_free(&c);
    proc_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tool_usage_errors),
        cmocka_unit_test(tool_help_on_every_subcommand),
        cmocka_unit_test(tool_version_names_license),
        cmocka_unit_test(tool_unknown_host),
        cmocka_unit_test(tool_port_in_use_itot),
        cmocka_unit_test(tool_port_in_use_tcp),
        cmocka_unit_test(tool_connection_refused_itot),
        cmocka_unit_test(tool_connection_refused_tcp),
        cmocka_unit_test(tool_connection_reset_tcp),
        cmocka_unit_test(tool_sd_c6_tcp_disconnect_data_noprotoopt),
        cmocka_unit_test(tool_sd_d3_itot_disconnect_data_65_msgsize),
        cmocka_unit_test(tool_itot_connect_data_33_msgsize),
        cmocka_unit_test(tool_tcp_connect_data_noprotoopt),
        cmocka_unit_test(tool_tcp_accept_data_noprotoopt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
