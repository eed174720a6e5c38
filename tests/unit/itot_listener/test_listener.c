/* SPDX-License-Identifier: MIT */
/* itot listener admission: raw TCP clients that never send a CR cannot lock
 * a listener out.  A silent connection is closed after WSP_ITOT_CR_WAIT_MS
 * (default 5 s), one source address keeps at most
 * WSP_ITOT_MAX_SILENT_PER_SOURCE (default 4) of them once they are older than
 * the grace period, and a full listener evicts its oldest silent connection
 * for a new one.  Loopback only: every raw client comes from 127.0.0.1. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/itot.h>

#include "fixtures.h"

static struct conf_ctx ctx4 = {.fx = &itot_fixtures[0], .lv = &conf_level_spi};
#define P conf_spi_procs()

#define N_RAW 20

static int setup(void **state)
{
    *state = &ctx4;
    return conf_setup(state);
}

static int teardown(void **state)
{
    return conf_teardown(state);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int get_int(SOCKET s, int name)
{
    int v = -1, len = sizeof v, err = 0;
    assert_int_equal(P->lpWSPGetSockOpt(s, WSP_SOL_ITOT, name, (char *)&v, &len, &err), 0);
    return v;
}

static int set_int(SOCKET s, int name, int v, int *err)
{
    return P->lpWSPSetSockOpt(s, WSP_SOL_ITOT, name, (char *)&v, sizeof v, err);
}

static SOCKET listener(struct sockaddr_storage *ss, int *len)
{
    /* A kernel backlog larger than every flood below: no SYN is dropped, so
     * every raw connect completes at once and in order. */
    return conf_listener(&ctx4, 64, ss, len);
}

/* A plain TCP connection to the listener that never sends anything. */
static int raw_connect(const struct sockaddr_storage *ss, int len)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (const struct sockaddr *)ss, (socklen_t)len), 0);
    return fd;
}

/* Whether the provider closed the raw connection (EOF or reset), waiting at
 * most wait_ms for it. */
static bool raw_closed(int fd, int wait_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, wait_ms) != 1)
        return false;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

struct client {
    SOCKET s;
    struct sockaddr_storage ss;
    int len, rc, err;
};

static void *client_main(void *arg)
{
    struct client *k = arg;
    k->rc =
        P->lpWSPConnect(k->s, (struct sockaddr *)&k->ss, k->len, NULL, NULL, NULL, NULL, &k->err);
    return NULL;
}

/* A real itot client connects from a thread; the listener must offer it within
 * wait_ms.  Returns the accepted socket, INVALID_SOCKET if it did not come. */
static SOCKET accept_real_client(SOCKET l, struct client *k, pthread_t *t, long wait_ms)
{
    k->s = conf_socket(&ctx4);
    assert_int_equal(pthread_create(t, NULL, client_main, k), 0);
    wsp_fd_set r;
    r.fd_count = 1;
    r.fd_array[0] = l;
    struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
    int err = 0;
    if (P->lpWSPSelect(0, &r, NULL, NULL, &tv, &err) != 1)
        return INVALID_SOCKET;
    return P->lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
}

/* Ends the client thread whatever happened (closing its socket wakes a
 * connect that still waits for its CC). */
static void end_client(struct client *k, pthread_t t, SOCKET accepted)
{
    if (accepted == INVALID_SOCKET) {
        int err = 0;
        P->lpWSPCloseSocket(k->s, &err);
        pthread_join(t, NULL);
        return;
    }
    pthread_join(t, NULL);
    conf_close(&ctx4, accepted);
    conf_close(&ctx4, k->s);
}

static void options_defaults_and_range(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = listener(&ss, &len);
    assert_int_equal(get_int(l, WSP_ITOT_CR_WAIT_MS), 5000);
    assert_int_equal(get_int(l, WSP_ITOT_MAX_SILENT_PER_SOURCE), 4);
    assert_int_equal(set_int(l, WSP_ITOT_CR_WAIT_MS, 1200, &err), 0);
    assert_int_equal(get_int(l, WSP_ITOT_CR_WAIT_MS), 1200);
    assert_int_equal(set_int(l, WSP_ITOT_MAX_SILENT_PER_SOURCE, 9, &err), 0);
    assert_int_equal(get_int(l, WSP_ITOT_MAX_SILENT_PER_SOURCE), 9);
    /* Out of range: WSAEINVAL and no change, as Windows' setsockopt for a bad
     * value of a known option ("WSAEINVAL: ... optval is not valid"). */
    assert_int_equal(set_int(l, WSP_ITOT_CR_WAIT_MS, -1, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    assert_int_equal(set_int(l, WSP_ITOT_MAX_SILENT_PER_SOURCE, 0, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    assert_int_equal(get_int(l, WSP_ITOT_CR_WAIT_MS), 1200);
    assert_int_equal(get_int(l, WSP_ITOT_MAX_SILENT_PER_SOURCE), 9);
    conf_close(&ctx4, l);
}

/* Defect 8: 20 raw connections that never send a CR used to take all 16
 * pending slots for the 30 s CR timer, and a real client waited in the
 * kernel's backlog for all that time (and again after each renewal).  Now it
 * gets in well before even the new 5 s CR wait could free a slot. */
static void silent_flood_does_not_lock_out_client(void **state)
{
    (void)state;
    struct client k = {0};
    SOCKET l = listener(&k.ss, &k.len);
    int raw[N_RAW];
    for (int i = 0; i < N_RAW; i++)
        raw[i] = raw_connect(&k.ss, k.len);
    pthread_t t;
    uint64_t t0 = now_ms();
    SOCKET s = accept_real_client(l, &k, &t, 3000);
    uint64_t took = now_ms() - t0;
    end_client(&k, t, s);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(k.rc, 0);
    assert_true(took < 3000);
    for (int i = 0; i < N_RAW; i++)
        close(raw[i]);
    conf_close(&ctx4, l);
}

/* The full-listener rule alone (the per-source bound raised out of the way):
 * the new connection takes the slot of the OLDEST silent one; the younger
 * silent ones stay. */
static void full_listener_evicts_oldest_silent(void **state)
{
    (void)state;
    struct client k = {0};
    int err = 0;
    SOCKET l = listener(&k.ss, &k.len);
    assert_int_equal(set_int(l, WSP_ITOT_MAX_PENDING, 4, &err), 0);
    assert_int_equal(set_int(l, WSP_ITOT_MAX_SILENT_PER_SOURCE, 64, &err), 0);
    assert_int_equal(set_int(l, WSP_ITOT_CR_WAIT_MS, 30000, &err), 0);
    int raw[4];
    for (int i = 0; i < 4; i++)
        raw[i] = raw_connect(&k.ss, k.len);
    pthread_t t;
    SOCKET s = accept_real_client(l, &k, &t, 3000);
    end_client(&k, t, s);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(k.rc, 0);
    assert_true(raw_closed(raw[0], 2000));
    for (int i = 1; i < 4; i++)
        assert_false(raw_closed(raw[i], 0));
    for (int i = 0; i < 4; i++)
        close(raw[i]);
    conf_close(&ctx4, l);
}

/* The per-source bound with a listener far from full: of 8 silent
 * connections from 127.0.0.1 the 4 oldest are closed once they are past the
 * grace period, the 4 youngest stay (the CR wait is set long so that only
 * the bound can close anything here). */
static void per_source_bound_evicts_oldest_of_source(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = listener(&ss, &len);
    assert_int_equal(set_int(l, WSP_ITOT_MAX_PENDING, 32, &err), 0);
    assert_int_equal(set_int(l, WSP_ITOT_CR_WAIT_MS, 30000, &err), 0);
    int raw[8];
    for (int i = 0; i < 8; i++)
        raw[i] = raw_connect(&ss, len);
    for (int i = 0; i < 4; i++)
        assert_true(raw_closed(raw[i], 3000));
    for (int i = 4; i < 8; i++)
        assert_false(raw_closed(raw[i], 0));
    for (int i = 0; i < 8; i++)
        close(raw[i]);
    conf_close(&ctx4, l);
}

/* Connections whose CR arrived are never evicted: a listener full of them
 * leaves new TCP connections in the kernel's backlog, however long. */
static void full_listener_keeps_connections_waiting_for_accept(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = listener(&ss, &len);
    assert_int_equal(set_int(l, WSP_ITOT_MAX_PENDING, 2, &err), 0);
    assert_int_equal(set_int(l, WSP_ITOT_MAX_SILENT_PER_SOURCE, 64, &err), 0);
    SOCKET c[2];
    u_long on = 1;
    DWORD ret = 0;
    for (int i = 0; i < 2; i++) {
        c[i] = conf_socket(&ctx4);
        assert_int_equal(
            P->lpWSPIoctl(c[i], WSP_FIONBIO, &on, sizeof on, NULL, 0, &ret, NULL, NULL, NULL, &err),
            0);
        assert_int_equal(
            P->lpWSPConnect(c[i], (struct sockaddr *)&ss, len, NULL, NULL, NULL, NULL, &err),
            SOCKET_ERROR);
        assert_int_equal(err, WSAEWOULDBLOCK);
    }
    wsp_fd_set r;
    r.fd_count = 1;
    r.fd_array[0] = l;
    struct timeval tv = {3, 0};
    assert_int_equal(P->lpWSPSelect(0, &r, NULL, NULL, &tv, &err), 1); /* a CR is in */
    int raw[3];
    for (int i = 0; i < 3; i++)
        raw[i] = raw_connect(&ss, len);
    /* An observation window longer than the grace: a wrong eviction of a
     * connection waiting for WSPAccept would happen in it. */
    struct timespec win = {0, 600 * 1000000L};
    nanosleep(&win, NULL);
    SOCKET s[2];
    for (int i = 0; i < 2; i++) {
        s[i] = P->lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
        assert_true(s[i] != INVALID_SOCKET);
    }
    for (int i = 0; i < 2; i++) {
        wsp_fd_set w;
        w.fd_count = 1;
        w.fd_array[0] = c[i];
        struct timeval wt = {3, 0};
        assert_int_equal(P->lpWSPSelect(0, NULL, &w, NULL, &wt, &err), 1); /* CC arrived */
    }
    for (int i = 0; i < 2; i++) {
        conf_close(&ctx4, s[i]);
        conf_close(&ctx4, c[i]);
    }
    for (int i = 0; i < 3; i++)
        close(raw[i]);
    conf_close(&ctx4, l);
}

/* WSP_ITOT_CR_WAIT_MS bounds how long a silent connection keeps its slot. */
static void cr_wait_closes_silent_connection(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = listener(&ss, &len);
    assert_int_equal(set_int(l, WSP_ITOT_CR_WAIT_MS, 300, &err), 0);
    uint64_t t0 = now_ms();
    int fd = raw_connect(&ss, len);
    assert_true(raw_closed(fd, 3000));
    assert_true(now_ms() - t0 >= 250); /* not before the wait (engine clock in ms) */
    close(fd);
    conf_close(&ctx4, l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(options_defaults_and_range, setup, teardown),
        cmocka_unit_test_setup_teardown(silent_flood_does_not_lock_out_client, setup, teardown),
        cmocka_unit_test_setup_teardown(full_listener_evicts_oldest_silent, setup, teardown),
        cmocka_unit_test_setup_teardown(per_source_bound_evicts_oldest_of_source, setup, teardown),
        cmocka_unit_test_setup_teardown(full_listener_keeps_connections_waiting_for_accept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cr_wait_closes_silent_connection, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
