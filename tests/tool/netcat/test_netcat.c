/* SPDX-License-Identifier: MIT */
/* `wsp listen` + `wsp connect` through pipes: data both ways, connect data and
 * disconnect data checked on both sides (stderr reports, stdout payload). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

/* The last `max` octets of a side's stderr (-v runs print a lot). */
static const char *tail(const struct proc *p, size_t max)
{
    const char *d = p->err_buf.data ? p->err_buf.data : "";
    size_t n = strlen(d);
    return n > max ? d + n - max : d;
}

/* The exit status, with both sides' stderr when it is not the expected one. */
static void assert_status(const struct pair *pr, int st, int want)
{
    if (st != want)
        fail_msg("status %d, expected %d\nlisten stderr:\n%s\nconnect stderr:\n%s", st, want,
                 tail(&pr->l, 1000), tail(&pr->c, 1000));
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
    /* -q 0: disconnect as soon as input ends (itot has no half-close). */
    const char *cargs[] = {
        "connect",         "--class", cls, "--connect-data", "CONNECT-DATA", "--disconnect-data",
        "BYE-FROM-CLIENT", "-q",      "0", "127.0.0.1",      pr.port,        NULL};
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
    const char *largs[] = {"listen", "-q", "0", "--disconnect-data", at, "127.0.0.1", "0", NULL};
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
    assert_contains(pr.l.err_buf.data, "refused the connection with DR reason 3 (address unknown)");
    assert_contains(pr.c.err_buf.data, "refused by the peer: DR reason 3 (address unknown)");
    pair_free(&pr);
}

/* ---- no silent loss (issue 12) ------------------------------------------ */

/* Writes a block to a child's stdin from a thread, then closes it, so the
 * test can collect the other side's output meanwhile (pipes are small). */
struct feeder {
    struct proc *p;
    const unsigned char *data;
    size_t len;
    int rc;
    pthread_t t;
};

static void *feeder_main(void *arg)
{
    struct feeder *f = arg;
    f->rc = proc_write(f->p, f->data, f->len);
    proc_close_stdin(f->p);
    return NULL;
}

static void feeder_start(struct feeder *f, struct proc *p, const unsigned char *d, size_t n)
{
    f->p = p, f->data = d, f->len = n, f->rc = 0;
    assert_int_equal(pthread_create(&f->t, NULL, feeder_main, f), 0);
}

static unsigned char *pattern(size_t n)
{
    unsigned char *d = malloc(n);
    assert_non_null(d);
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)('a' + (i * 7 + i / 251) % 26);
    return d;
}

/* The case: `wsp connect ... </dev/null` against a listener sending
 * 1 MiB.  The client's input ends at once, but it keeps receiving until the
 * listener disconnects (here: -q 0, at the end of its input), so every octet
 * arrives and both exit 0.  Before, the client's DR went out at its end of
 * input, it received next to nothing, and both still exited 0. */
static void eof_keeps_receiving(const char *cls)
{
    const size_t n = 1u << 20;
    unsigned char *d = pattern(n);
    struct pair pr = {0};
    const char *largs[] = {"listen", "--class", cls, "-q", "0", "127.0.0.1", "0", NULL};
    pair_listen(&pr, largs);
    const char *cargs[] = {"connect", "--class", cls, "127.0.0.1", pr.port, NULL};
    assert_int_equal(proc_start(&pr.c, cargs), 0);
    proc_close_stdin(&pr.c); /* </dev/null */
    assert_int_equal(proc_wait_for(&pr.l, 2, "accepted a connection"), 0);
    struct feeder f;
    feeder_start(&f, &pr.l, d, n);
    int cst = proc_finish(&pr.c);
    pthread_join(f.t, NULL);
    int lst = proc_finish(&pr.l);
    assert_status(&pr, cst, 0);
    assert_status(&pr, lst, 0);
    if (pr.c.out_buf.len != n || memcmp(pr.c.out_buf.data, d, n) != 0)
        fail_msg("the client wrote %zu octets of %zu\nclient stderr:\n%s", pr.c.out_buf.len, n,
                 pr.c.err_buf.data);
    assert_contains(pr.c.err_buf.data, "peer disconnected");
    free(d);
    pair_free(&pr);
}

static void tool_itot_class2_eof_keeps_receiving_1mib(void **state)
{
    (void)state;
    eof_keeps_receiving("2");
}

static void tool_itot_class0_eof_keeps_receiving_1mib(void **state)
{
    (void)state;
    eof_keeps_receiving("0");
}

/* A killed peer leaves a TCP end without a DR: never a success (exit 4),
 * and said in words.  Before: "peer disconnected: reason 0", exit 0. */
static void tool_itot_killed_peer_is_an_abort(void **state)
{
    (void)state;
    struct pair pr = {0};
    const char *largs[] = {"listen", "127.0.0.1", "0", NULL};
    pair_listen(&pr, largs);
    const char *cargs[] = {"connect", "127.0.0.1", pr.port, NULL};
    assert_int_equal(proc_start(&pr.c, cargs), 0);
    assert_int_equal(proc_write(&pr.c, "ping\n", 5), 0);
    assert_int_equal(proc_wait_for(&pr.l, 1, "ping\n"), 0);
    kill(pr.l.pid, SIGKILL);
    proc_finish(&pr.l);
    /* The client's stdin stays open: only the peer's end can stop it. */
    int cst = proc_finish(&pr.c);
    assert_status(&pr, cst, 4);
    assert_contains(pr.c.err_buf.data, "without a disconnect request (no DR)");
    pair_free(&pr);
}

/* A scripted itot peer: answers the CR with a class 0 CC and a DR (reason
 * 128, data "BYE") in one write, so the client's engine reads both at once
 * and the connection is over before the client can send anything; then it
 * reads until the client closes TCP. */
struct cc_dr_peer {
    int lfd;
    int ok;
    pthread_t t;
};

static void *cc_dr_peer_main(void *arg)
{
    struct cc_dr_peer *p = arg;
    int fd = accept(p->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    uint8_t cr[256];
    ssize_t n = read(fd, cr, sizeof cr); /* one CR, sent whole by the client */
    if (n >= 11 && cr[5] == 0xE0) {
        const uint8_t out[] = {
            3, 0, 0, 14, 9, 0xD0, cr[8], cr[9], 0x00, 0x07, 0x00, 0xC0, 1,   0x0D, /* CC */
            3, 0, 0, 14, 6, 0x80, cr[8], cr[9], 0x00, 0x07, 128,  'B',  'Y', 'E'}; /* DR */
        p->ok = write(fd, out, sizeof out) == (ssize_t)sizeof out;
    }
    uint8_t sink[4096];
    while (read(fd, sink, sizeof sink) > 0)
        ;
    close(fd);
    return NULL;
}

/* The peer ends the connection while this side still has input: exit 9 and
 * the count, never success.  `wsp connect` has 1 MiB waiting on its stdin
 * before it connects (a pipe made that large); the peer's CC and DR arrive
 * together, so none of it can go. */
static void tool_itot_undelivered_input_exit_9(void **state)
{
    (void)state;
    struct cc_dr_peer peer = {.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    assert_true(peer.lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    assert_int_equal(bind(peer.lfd, (struct sockaddr *)&a, al), 0);
    assert_int_equal(listen(peer.lfd, 1), 0);
    assert_int_equal(getsockname(peer.lfd, (struct sockaddr *)&a, &al), 0);
    char port[8];
    snprintf(port, sizeof port, "%u", ntohs(a.sin_port));

    struct proc c;
    const char *cargs[] = {"connect", "127.0.0.1", port, NULL};
    assert_int_equal(proc_start(&c, cargs), 0);
    const size_t n = 1u << 20;
    unsigned char *d = pattern(n);
    assert_true(fcntl(c.in, F_SETPIPE_SZ, (int)n) >= (int)n);
    assert_int_equal(proc_write(&c, d, n), 0); /* fits in the pipe */
    assert_int_equal(pthread_create(&peer.t, NULL, cc_dr_peer_main, &peer), 0);
    int st = proc_finish(&c);
    pthread_join(peer.t, NULL);
    close(peer.lfd);
    assert_true(peer.ok);
    if (st != 9)
        fail_msg("status %d, expected 9; stderr:\n%s", st, c.err_buf.data);
    assert_contains(c.err_buf.data, "peer disconnected: reason 128");
    assert_contains(c.err_buf.data, "input not delivered: the peer ended the connection first");
    free(d);
    proc_free(&c);
}

/* Disconnect data that never went (the peer disconnected first) is data
 * this side had to send: said, and exit 9. */
static void tool_itot_disconnect_data_not_sent_exit_9(void **state)
{
    (void)state;
    struct pair pr = {0};
    const char *largs[] = {"listen", "--disconnect-data", "LISTENER-BYE", "127.0.0.1", "0", NULL};
    pair_listen(&pr, largs);
    proc_close_stdin(&pr.l); /* its input ends at once: it waits for the peer */
    const char *cargs[] = {"connect", "-q", "0", "127.0.0.1", pr.port, NULL};
    assert_int_equal(proc_start(&pr.c, cargs), 0);
    assert_int_equal(proc_write(&pr.c, "hi", 2), 0);
    assert_int_equal(proc_wait_for(&pr.l, 1, "hi"), 0);
    int cst = proc_finish(&pr.c); /* end of its input, -q 0: its DR */
    int lst = proc_finish(&pr.l);
    assert_status(&pr, cst, 0);
    assert_status(&pr, lst, 9);
    assert_contains(pr.l.err_buf.data, "the disconnect data was not sent");
    pair_free(&pr);
}

/* tcp, -q 0: the FIN at the end of input, then no wait for the peer's. */
static void tool_tcp_quit_after_fin(void **state)
{
    (void)state;
    struct pair pr = {0};
    const char *largs[] = {"listen", "--proto", "tcp", "127.0.0.1", "0", NULL};
    pair_listen(&pr, largs);
    const char *cargs[] = {"connect", "--proto", "tcp", "-q", "0", "127.0.0.1", pr.port, NULL};
    assert_int_equal(proc_start(&pr.c, cargs), 0);
    assert_int_equal(proc_write(&pr.c, "ping\n", 5), 0);
    /* The listener's stdin stays open (no FIN from it): only -q ends the client. */
    int cst = proc_finish(&pr.c);
    assert_int_equal(proc_wait_for(&pr.l, 2, "peer finished sending"), 0);
    int lst = proc_finish(&pr.l);
    assert_status(&pr, cst, 0);
    assert_status(&pr, lst, 0);
    assert_string_equal(pr.l.out_buf.data, "ping\n");
    assert_contains(pr.c.err_buf.data, "half-close");
    assert_contains(pr.c.err_buf.data, "no more to wait for after end of input");
    pair_free(&pr);
}

/* --recv-only never reads stdin; --send-only discards what arrives and
 * disconnects at the end of its input. */
static void tool_itot_recv_only_and_send_only(void **state)
{
    (void)state;
    struct pair pr = {0};
    const char *largs[] = {"listen", "--send-only", "127.0.0.1", "0", NULL};
    pair_listen(&pr, largs);
    const char *cargs[] = {"connect", "--recv-only", "127.0.0.1", pr.port, NULL};
    assert_int_equal(proc_start(&pr.c, cargs), 0);
    /* Never read by the receive-only client: */
    assert_int_equal(proc_write(&pr.c, "NOT SENT", 8), 0);
    assert_int_equal(proc_wait_for(&pr.l, 2, "accepted a connection"), 0);
    assert_int_equal(proc_write(&pr.l, "to the client", 13), 0);
    assert_int_equal(proc_wait_for(&pr.c, 1, "to the client"), 0);
    proc_close_stdin(&pr.l); /* --send-only: its DR goes at the end of its input */
    int lst = proc_finish(&pr.l);
    int cst = proc_finish(&pr.c);
    assert_status(&pr, lst, 0);
    assert_status(&pr, cst, 0);
    /* The listener would count (and report) what it discarded: nothing came. */
    if (strstr(pr.l.err_buf.data, "discarded") != NULL)
        fail_msg("the receive-only client sent something:\n%s", pr.l.err_buf.data);
    assert_string_equal(pr.c.out_buf.data, "to the client");
    assert_contains(pr.c.err_buf.data, "peer disconnected: reason 128");
    pair_free(&pr);
}

/* ---- the command line a field engineer needs ---------------------------- */

/* Options after the operands, TSAPs in hex and text, a TPDU size, -v with the
 * parameters, each message and the totals; the listener's TSAP must match. */
static void tool_itot_field_options_and_verbose(void **state)
{
    (void)state;
    struct pair pr = {0};
    const char *largs[] = {"listen", "127.0.0.1", "0", "--calling-tsap", "0x0102", "-q", "0", NULL};
    pair_listen(&pr, largs);
    const char *cargs[] = {"connect", "127.0.0.1",
                           pr.port,   "--called-tsap",
                           "0x0102",  "--calling-tsap",
                           "CLIENT",  "--tpdu-size",
                           "1024",    "-v",
                           NULL};
    assert_int_equal(proc_start(&pr.c, cargs), 0);
    assert_int_equal(proc_write(&pr.c, "hello", 5), 0);
    assert_int_equal(proc_wait_for(&pr.l, 1, "hello"), 0);
    proc_close_stdin(&pr.l); /* the listener ends: -q 0, its DR */
    int cst = proc_finish(&pr.c);
    int lst = proc_finish(&pr.l);
    assert_status(&pr, cst, 0);
    assert_status(&pr, lst, 0);
    assert_contains(pr.c.err_buf.data, "negotiated TPDU size: 1024 octets");
    /* The provider's TPDU log, decoded: our CR and the listener's CC. */
    assert_contains(pr.c.err_buf.data, "wsp: TPDU > CR class 2, dst 0x0000 src 0x");
    assert_contains(pr.c.err_buf.data, "calling TSAP \"CLIENT\" (6 octets), called TSAP hex 01 "
                                       "02 (2 octets), C0 1024, C6 no expedited, C7 alternative "
                                       "class 0\n");
    assert_contains(pr.c.err_buf.data, "wsp: TPDU < CC class 2");
    assert_contains(pr.c.err_buf.data, "wsp: TPDU < DR");
    assert_contains(pr.c.err_buf.data, "calling TSAP set on this socket: \"CLIENT\"");
    assert_contains(pr.c.err_buf.data, "called TSAP set on this socket: hex 01 02");
    assert_contains(pr.c.err_buf.data, "sent a message of 5 octets");
    assert_contains(pr.c.err_buf.data, "sent 5 octets in 1 messages, received 0 octets");
    pair_free(&pr);
}

/* A wrong called TSAP is refused by the listener (DR 3, address unknown). */
static void tool_itot_wrong_called_tsap_refused(void **state)
{
    (void)state;
    struct pair pr = {0};
    const char *largs[] = {"listen", "--calling-tsap", "SERVER", "127.0.0.1", "0", NULL};
    pair_listen(&pr, largs);
    const char *cargs[] = {"connect", "--called-tsap", "OTHER", "127.0.0.1", pr.port, NULL};
    int cst = proc_run(&pr.c, cargs);
    kill(pr.l.pid, SIGTERM);
    proc_finish(&pr.l);
    assert_status(&pr, cst, 3);
    assert_contains(pr.c.err_buf.data, "DR reason 3 (address unknown)");
    pair_free(&pr);
}

/* A peer that accepts TCP and never answers the CR: --timeout, exit 10. */
static void tool_itot_cr_timeout_exit_10(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sin;
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sl), 0);
    assert_int_equal(listen(fd, 4), 0); /* the kernel completes the handshake */
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    char port[8];
    snprintf(port, sizeof port, "%u", ntohs(sin.sin_port));
    struct proc p;
    const char *args[] = {"connect", "--timeout", "200", "127.0.0.1", port, NULL};
    int st = proc_run(&p, args);
    close(fd);
    if (st != 10)
        fail_msg("status %d, stderr:\n%s", st, p.err_buf.data);
    assert_contains(p.err_buf.data, "no answer to the connect request");
    assert_contains(p.err_buf.data, "within 200 ms (WSAETIMEDOUT 10060)");
    proc_free(&p);
}

/* `wsp -l`, [::1] with brackets, -k: two connections one after the other. */
static void tool_itot_ipv6_brackets_and_keep_listening(void **state)
{
    (void)state;
    struct pair pr = {0};
    const char *largs[] = {"-l", "-k", "[::1]", "0", NULL}; /* -l: nc's spelling */
    pair_listen(&pr, largs);
    proc_close_stdin(&pr.l);
    for (int i = 0; i < 2; i++) {
        struct proc c;
        const char *cargs[] = {"connect", "-q", "0", "[::1]", pr.port, NULL};
        assert_int_equal(proc_start(&c, cargs), 0);
        char msg[16];
        snprintf(msg, sizeof msg, "conn %d\n", i);
        assert_int_equal(proc_write(&c, msg, strlen(msg)), 0);
        assert_int_equal(proc_wait_for(&pr.l, 1, msg), 0);
        int st = proc_finish(&c); /* -q 0: its DR at end of input */
        if (st != 0)
            fail_msg("connection %d: status %d\n%s", i, st, c.err_buf.data);
        proc_free(&c);
    }
    kill(pr.l.pid, SIGTERM);
    proc_finish(&pr.l);
    assert_contains(pr.l.out_buf.data, "conn 0\nconn 1\n");
    assert_contains(pr.l.err_buf.data, "accepted a connection from ::1");
    assert_contains(pr.l.err_buf.data, "connection ended (status 0); listening for the next");
    pair_free(&pr);
}

/* Bad values: a clear message and exit 2. */
static void tool_bad_field_values_exit_2(void **state)
{
    (void)state;
    static const char *const cases[][8] = {
        {"connect", "--tpdu-size", "100", "127.0.0.1", "102", NULL},
        {"connect", "--tpdu-size", "lots", "127.0.0.1", "102", NULL},
        {"connect", "--called-tsap", "0x123", "127.0.0.1", "102", NULL},
        {"connect", "--called-tsap", "0xZZ", "127.0.0.1", "102", NULL},
        {"connect", "--timeout", "-5", "127.0.0.1", "102", NULL},
        {"connect", "-q", "soon", "127.0.0.1", "102", NULL},
        {"connect", "--recv-only", "--send-only", "127.0.0.1", "102", NULL},
        {"connect", "--proto", "tcp", "--tpdu-size", "1024", "127.0.0.1", "102"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct proc p;
        int st = proc_run(&p, cases[i]);
        if (st != 2 || strncmp(p.err_buf.data, "wsp: ", 5) != 0)
            fail_msg("case %zu: status %d, stderr: %s", i, st, p.err_buf.data);
        proc_free(&p);
    }
}

static void tool_version_on_the_command(void **state)
{
    (void)state;
    struct proc p;
    const char *args[] = {"connect", "--version", NULL};
    assert_int_equal(proc_run(&p, args), 0);
    assert_contains(p.out_buf.data, "wsp connect ");
    proc_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tool_sd_c1_itot_class2_pair),
        cmocka_unit_test(tool_sd_c1_itot_class0_pair),
        cmocka_unit_test(tool_sd_d3_itot_listener_disconnects_64_binary_octets),
        cmocka_unit_test(tool_sd_d6_tcp_half_close_pair),
        cmocka_unit_test(tool_itot_refusal_data),
        cmocka_unit_test(tool_itot_class2_eof_keeps_receiving_1mib),
        cmocka_unit_test(tool_itot_class0_eof_keeps_receiving_1mib),
        cmocka_unit_test(tool_itot_killed_peer_is_an_abort),
        cmocka_unit_test(tool_itot_undelivered_input_exit_9),
        cmocka_unit_test(tool_itot_recv_only_and_send_only),
        cmocka_unit_test(tool_tcp_quit_after_fin),
        cmocka_unit_test(tool_itot_disconnect_data_not_sent_exit_9),
        cmocka_unit_test(tool_itot_field_options_and_verbose),
        cmocka_unit_test(tool_itot_wrong_called_tsap_refused),
        cmocka_unit_test(tool_itot_cr_timeout_exit_10),
        cmocka_unit_test(tool_itot_ipv6_brackets_and_keep_listening),
        cmocka_unit_test(tool_bad_field_values_exit_2),
        cmocka_unit_test(tool_version_on_the_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
