/* SPDX-License-Identifier: MIT */
/* itot provider unit tests through the SPI: connect data both ways, the
 * condition function's accept data and refusal, TSDU boundaries with
 * MSG_PARTIAL and FIONREAD, disconnect data and reason, D9, negotiated class. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/itot.h>

#include "fixtures.h"

static struct conf_ctx ctx4 = {.fx = &itot_fixtures[0], .lv = &conf_level_spi};
#define P conf_spi_procs()

struct client {
    SOCKET s;
    struct sockaddr_storage ss;
    int len, rc, err, cls;
    uint8_t caller[32], callee[64];
    ULONG caller_len, callee_len;
};

static void *client_main(void *arg)
{
    struct client *k = arg;
    WSABUF caller = {.len = k->caller_len, .buf = (CHAR *)k->caller};
    WSABUF callee = {.len = sizeof k->callee, .buf = (CHAR *)k->callee};
    k->rc = P->lpWSPConnect(k->s, (struct sockaddr *)&k->ss, k->len, &caller, &callee, NULL, NULL,
                            &k->err);
    k->callee_len = callee.len;
    return NULL;
}

struct cond_probe {
    int verdict;
    uint8_t seen[32];
    ULONG seen_len;
    const char *give;
};

static int CALLBACK cond_fn(LPWSABUF caller_id, LPWSABUF caller_data, LPQOS sqos, LPQOS gqos,
                            LPWSABUF callee_id, LPWSABUF callee_data, GROUP *g, DWORD_PTR data)
{
    (void)caller_id, (void)sqos, (void)gqos, (void)callee_id, (void)g;
    struct cond_probe *p = (struct cond_probe *)data;
    p->seen_len = caller_data ? caller_data->len : 0;
    if (caller_data)
        memcpy(p->seen, caller_data->buf, caller_data->len);
    size_t n = strlen(p->give);
    memcpy(callee_data->buf, p->give, n);
    callee_data->len = (ULONG)n;
    return p->verdict;
}

/* Connect k (caller data "CALLER") while accepting with the probe. */
static SOCKET connect_accept(struct client *k, struct cond_probe *p, int cls)
{
    int err = 0;
    SOCKET l = conf_listener(&ctx4, 4, &k->ss, &k->len);
    k->s = conf_socket(&ctx4);
    if (cls >= 0)
        assert_int_equal(
            P->lpWSPSetSockOpt(k->s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (char *)&cls, sizeof cls, &err),
            0);
    memcpy(k->caller, "CALLER", 6);
    k->caller_len = 6;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, client_main, k), 0);
    SOCKET s = P->lpWSPAccept(l, NULL, NULL, p ? cond_fn : NULL, (DWORD_PTR)p, &err);
    pthread_join(t, NULL);
    conf_close(&ctx4, l);
    return s;
}

static int setup(void **state)
{
    *state = &ctx4;
    return conf_setup(state);
}

static int teardown(void **state)
{
    return conf_teardown(state);
}

static void connect_data_both_ways(void **state)
{
    (void)state;
    struct client k = {0};
    struct cond_probe p = {.verdict = CF_ACCEPT, .give = "CALLEE-DATA"};
    SOCKET s = connect_accept(&k, &p, -1);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(k.rc, 0);
    assert_int_equal(p.seen_len, 6);
    assert_memory_equal(p.seen, "CALLER", 6);
    assert_int_equal(k.callee_len, 11);
    assert_memory_equal(k.callee, "CALLEE-DATA", 11);
    int cls = -5, len = sizeof cls, err = 0;
    assert_int_equal(
        P->lpWSPGetSockOpt(k.s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (char *)&cls, &len, &err), 0);
    assert_int_equal(cls, 2);
    conf_close(&ctx4, s);
    conf_close(&ctx4, k.s);
}

static void forced_class0_is_negotiated(void **state)
{
    (void)state;
    struct client k = {0};
    SOCKET s = connect_accept(&k, NULL, 0);
    assert_int_equal(k.rc, 0);
    int cls = -5, len = sizeof cls, err = 0;
    assert_int_equal(P->lpWSPGetSockOpt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (char *)&cls, &len, &err),
                     0);
    assert_int_equal(cls, 0);
    conf_close(&ctx4, s);
    conf_close(&ctx4, k.s);
}

static void condition_reject_refuses_with_data(void **state)
{
    (void)state;
    struct client k = {0};
    struct cond_probe p = {.verdict = CF_REJECT, .give = "GO AWAY"};
    int err = 0;
    SOCKET l = conf_listener(&ctx4, 4, &k.ss, &k.len);
    k.s = conf_socket(&ctx4);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, client_main, &k), 0);
    SOCKET s = P->lpWSPAccept(l, NULL, NULL, cond_fn, (DWORD_PTR)&p, &err);
    pthread_join(t, NULL);
    assert_true(s == INVALID_SOCKET);
    assert_int_equal(err, WSAECONNREFUSED);
    assert_int_equal(k.rc, SOCKET_ERROR);
    assert_int_equal(k.err, WSAECONNREFUSED);
    int reason = -1, rlen = sizeof reason;
    assert_int_equal(
        P->lpWSPGetSockOpt(k.s, WSP_SOL_ITOT, WSP_ITOT_DISCREASON, (char *)&reason, &rlen, &err),
        0);
    assert_int_equal(reason, WSP_ITOT_DR_NOT_SPECIFIED); /* no WSP_ITOT_REJECT_REASON set */
    char d[64];
    int len = sizeof d;
    assert_int_equal(P->lpWSPGetSockOpt(k.s, SOL_SOCKET, SO_DISCDATA, d, &len, &err), 0);
    assert_int_equal(len, 7);
    assert_memory_equal(d, "GO AWAY", 7);
    conf_close(&ctx4, k.s);
    conf_close(&ctx4, l);
}

static int get_reject_reason(SOCKET l)
{
    int v = -1, len = sizeof v, err = 0;
    assert_int_equal(
        P->lpWSPGetSockOpt(l, WSP_SOL_ITOT, WSP_ITOT_REJECT_REASON, (char *)&v, &len, &err), 0);
    assert_int_equal(len, sizeof v);
    return v;
}

static int set_reject_reason(SOCKET l, int v, int *err)
{
    return P->lpWSPSetSockOpt(l, WSP_SOL_ITOT, WSP_ITOT_REJECT_REASON, (char *)&v, sizeof v, err);
}

/* WSP_ITOT_REJECT_REASON on the listener is the DR reason a CF_REJECT sends:
 * the refused client reads it back with the refusal data. */
static void reject_reason_option_reaches_refused_client(void **state)
{
    (void)state;
    struct client k = {0};
    struct cond_probe p = {.verdict = CF_REJECT, .give = "GO AWAY"};
    int err = 0;
    SOCKET l = conf_listener(&ctx4, 4, &k.ss, &k.len);
    assert_int_equal(get_reject_reason(l), WSP_ITOT_DR_NOT_SPECIFIED);
    assert_int_equal(set_reject_reason(l, WSP_ITOT_DR_REFUSED, &err), 0);
    assert_int_equal(get_reject_reason(l), WSP_ITOT_DR_REFUSED);
    k.s = conf_socket(&ctx4);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, client_main, &k), 0);
    SOCKET s = P->lpWSPAccept(l, NULL, NULL, cond_fn, (DWORD_PTR)&p, &err);
    pthread_join(t, NULL);
    assert_true(s == INVALID_SOCKET);
    assert_int_equal(err, WSAECONNREFUSED);
    assert_int_equal(k.rc, SOCKET_ERROR);
    assert_int_equal(k.err, WSAECONNREFUSED);
    int reason = -1, len = sizeof reason;
    assert_int_equal(
        P->lpWSPGetSockOpt(k.s, WSP_SOL_ITOT, WSP_ITOT_DISCREASON, (char *)&reason, &len, &err), 0);
    assert_int_equal(reason, WSP_ITOT_DR_REFUSED);
    char d[64];
    len = sizeof d;
    assert_int_equal(P->lpWSPGetSockOpt(k.s, SOL_SOCKET, SO_DISCDATA, d, &len, &err), 0);
    assert_int_equal(len, 7);
    assert_memory_equal(d, "GO AWAY", 7);
    conf_close(&ctx4, k.s);
    conf_close(&ctx4, l);
}

/* Only the reasons ISO 8073 lists are taken; anything else is WSAEINVAL and
 * leaves the option as it was. */
static void reject_reason_unlisted_is_einval_unchanged(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int sslen = 0, err = 0;
    SOCKET l = conf_listener(&ctx4, 4, &ss, &sslen);
    assert_int_equal(set_reject_reason(l, WSP_ITOT_DR_ADDRESS_UNKNOWN, &err), 0);
    const int bad[] = {134, 137, 200, 255, 256, -1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = 0;
        assert_int_equal(set_reject_reason(l, bad[i], &err), SOCKET_ERROR);
        assert_int_equal(err, WSAEINVAL);
        assert_int_equal(get_reject_reason(l), WSP_ITOT_DR_ADDRESS_UNKNOWN);
    }
    conf_close(&ctx4, l);
}

static void tsdu_partial_and_fionread(void **state)
{
    (void)state;
    struct client k = {0};
    SOCKET s = connect_accept(&k, NULL, -1);
    static char big[100000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i % 251);
    WSABUF b = {.len = sizeof big, .buf = big};
    DWORD n = 0, flags = 0;
    int err = 0;
    assert_int_equal(P->lpWSPSend(k.s, &b, 1, &n, 0, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, sizeof big);
    static char got[sizeof big];
    WSABUF r = {.len = 1000, .buf = got};
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, 1000);
    assert_true(flags & MSG_PARTIAL);
    u_long left = 0;
    DWORD ret = 0;
    assert_int_equal(
        P->lpWSPIoctl(s, WSP_FIONREAD, NULL, 0, &left, sizeof left, &ret, NULL, NULL, NULL, &err),
        0);
    assert_int_equal(left, sizeof big - 1000);
    r.buf = got + 1000;
    r.len = sizeof got - 1000;
    flags = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, sizeof big - 1000);
    assert_int_equal(flags & MSG_PARTIAL, 0);
    assert_memory_equal(got, big, sizeof big);
    conf_close(&ctx4, s);
    conf_close(&ctx4, k.s);
}

/* C2 and D7 while a SendDisconnect is deferred: the DR has to wait for a TSDU
 * another thread is still sending (D5), yet the SendDisconnect has succeeded,
 * so a later send is WSAESHUTDOWN at once (not WSAEWOULDBLOCK, not a wait),
 * and a second SendDisconnect does not replace the first one's data. The
 * peer reads both TSDUs whole, then the end, then exactly the first data. */
struct big_sender {
    SOCKET s;
    int rc, err;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int a_done, go_b;
};

#define BIG_TSDU (4u * 1024 * 1024) /* the provider's default largest TSDU */
static char big_a[BIG_TSDU], big_b[BIG_TSDU], big_got[BIG_TSDU];

/* Sends TSDU A, says so, waits for the go, then sends TSDU B. */
static void *big_sender_main(void *arg)
{
    struct big_sender *x = arg;
    WSABUF a = {.len = BIG_TSDU, .buf = big_a};
    WSABUF b = {.len = BIG_TSDU, .buf = big_b};
    DWORD n = 0;
    x->err = 0;
    x->rc = P->lpWSPSend(x->s, &a, 1, &n, 0, NULL, NULL, NULL, &x->err);
    pthread_mutex_lock(&x->lock);
    x->a_done = 1;
    pthread_cond_broadcast(&x->cond);
    while (!x->go_b)
        pthread_cond_wait(&x->cond, &x->lock);
    pthread_mutex_unlock(&x->lock);
    if (x->rc == 0)
        x->rc = P->lpWSPSend(x->s, &b, 1, &n, 0, NULL, NULL, NULL, &x->err);
    return NULL;
}

/* The provider's select of s alone, for reading or for writing (writable:
 * connected and its output queue at most half full). */
static int select_one(SOCKET s, bool writable, long usec)
{
    wsp_fd_set set;
    set.fd_count = 1;
    set.fd_array[0] = s;
    struct timeval tv = {0, usec};
    int err = 0;
    return P->lpWSPSelect(0, writable ? NULL : &set, writable ? &set : NULL, NULL, &tv, &err);
}

static void recv_whole(SOCKET s, const char *want, size_t len)
{
    size_t got = 0;
    for (;;) {
        WSABUF r = {.len = (ULONG)(len - got), .buf = big_got + got};
        DWORD n = 0, flags = 0;
        int err = 0;
        int rc = P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err);
        assert_int_equal(err, 0);
        assert_int_equal(rc, 0);
        got += n;
        if (!(flags & MSG_PARTIAL))
            break;
    }
    assert_int_equal(got, len);
    assert_memory_equal(big_got, want, len);
}

static void deferred_disconnect_refuses_sends_and_keeps_data(void **state)
{
    (void)state;
    for (size_t i = 0; i < BIG_TSDU; i++) {
        big_a[i] = (char)(i % 253);
        big_b[i] = (char)(i % 241);
    }
    struct client k = {0};
    SOCKET s = connect_accept(&k, NULL, 2);
    /* The provider reads s's input ahead: a select hands it to the engine
     * (a blocking accept's socket is read only by calls on it, and A would
     * wait in TCP). */
    assert_true(select_one(s, false, 0) >= 0);
    /* Small, locked TCP buffers on both ends, so that TSDU B cannot hide in
     * the kernel: with the peer's provider holding all of A, B must stall. */
    int tcpbuf = 16384, err = 0;
    assert_int_equal(
        P->lpWSPSetSockOpt(s, SOL_SOCKET, SO_RCVBUF, (char *)&tcpbuf, sizeof tcpbuf, &err), 0);
    assert_int_equal(
        P->lpWSPSetSockOpt(k.s, SOL_SOCKET, SO_SNDBUF, (char *)&tcpbuf, sizeof tcpbuf, &err), 0);
    struct big_sender x = {
        .s = k.s, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, big_sender_main, &x), 0);
    pthread_mutex_lock(&x.lock);
    while (!x.a_done)
        pthread_cond_wait(&x.cond, &x.lock);
    pthread_mutex_unlock(&x.lock);
    assert_int_equal(x.rc, 0);
    /* All of A is at the peer (a complete TSDU waiting to be read): nothing of
     * A is left in the sender's queue, so what fills it next is B. Bounded
     * polls of real conditions, no sleeps. */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        u_long ready = 0;
        DWORD ret = 0;
        assert_int_equal(P->lpWSPIoctl(s, WSP_FIONREAD, NULL, 0, &ready, sizeof ready, &ret, NULL,
                                       NULL, NULL, &err),
                         0);
        if (ready == BIG_TSDU)
            break;
        sched_yield();
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true(now.tv_sec - t0.tv_sec < 60);
    }
    pthread_mutex_lock(&x.lock);
    x.go_b = 1;
    pthread_cond_broadcast(&x.cond);
    pthread_mutex_unlock(&x.lock);
    /* The sender's queue passes half full only inside B, which stalls. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (select_one(k.s, true, 0) == 1) {
        sched_yield();
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true(now.tv_sec - t0.tv_sec < 60);
    }
    WSABUF bye = {.len = 3, .buf = "BYE"};
    assert_int_equal(P->lpWSPSendDisconnect(k.s, &bye, &err), 0);
    WSABUF other = {.len = 5, .buf = "OTHER"};
    assert_int_equal(P->lpWSPSendDisconnect(k.s, &other, &err), 0); /* D7 */
    u_long on = 1;
    DWORD ret = 0;
    assert_int_equal(
        P->lpWSPIoctl(k.s, WSP_FIONBIO, &on, sizeof on, NULL, 0, &ret, NULL, NULL, NULL, &err), 0);
    char one = 'x';
    WSABUF small = {.len = 1, .buf = &one};
    DWORD n = 0;
    err = 0;
    assert_int_equal(P->lpWSPSend(k.s, &small, 1, &n, 0, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAESHUTDOWN); /* C2 */

    recv_whole(s, big_a, BIG_TSDU); /* D5: both TSDUs precede the DR */
    recv_whole(s, big_b, BIG_TSDU);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(x.rc, 0);
    char got[64];
    WSABUF r = {.len = sizeof got, .buf = got};
    DWORD flags = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEDISCON);
    WSABUF d = {.len = sizeof got, .buf = got};
    assert_int_equal(P->lpWSPRecvDisconnect(s, &d, &err), 0);
    assert_int_equal(d.len, 3);
    assert_memory_equal(got, "BYE", 3);
    conf_close(&ctx4, s);
    conf_close(&ctx4, k.s);
}

/* D4 on a socket whose input its receives read themselves: a TSDU of
 * several DTs waiting in TCP, and a receive into a buffer that runs into a
 * bad page: WSAEFAULT, and the TSDU is still all there for the next
 * receive, in order before the one sent after it; then the same TSDU once
 * more, read whole. */
static void whole_tsdu_to_a_bad_buffer_loses_nothing(void **state)
{
    (void)state;
    struct client k = {0};
    SOCKET s = connect_accept(&k, NULL, 0);
    int err = 0;
    /* A receive that waited once leaves s's input to s's calls: the TSDUs
     * below are in TCP, not read ahead, when the receives come. */
    DWORD ms = 1;
    assert_int_equal(
        P->lpWSPSetSockOpt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms, &err), 0);
    char none;
    WSABUF one = {.len = 1, .buf = &none};
    DWORD n = 0, flags = 0;
    assert_int_equal(P->lpWSPRecv(s, &one, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAETIMEDOUT);
    ms = 0;
    assert_int_equal(
        P->lpWSPSetSockOpt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms, &err), 0);
    /* A TSDU of three DTs, whole in the input buffer (128 KiB). */
    int tpdu = 0, len = sizeof tpdu;
    assert_int_equal(
        P->lpWSPGetSockOpt(s, WSP_SOL_ITOT, WSP_ITOT_TPDU_SIZE, (char *)&tpdu, &len, &err), 0);
    assert_true(tpdu >= 128 && tpdu <= 16384);
    static char a[2 * 16384 + 100], b[100];
    size_t alen = 2 * (size_t)tpdu + 100;
    for (size_t i = 0; i < alen; i++)
        a[i] = (char)(i % 251);
    memset(b, 'b', sizeof b);
    WSABUF wa = {.len = (ULONG)alen, .buf = a}, wb = {.len = sizeof b, .buf = b};
    assert_int_equal(P->lpWSPSend(k.s, &wa, 1, &n, 0, NULL, NULL, NULL, &err), 0);
    assert_int_equal(P->lpWSPSend(k.s, &wb, 1, &n, 0, NULL, NULL, NULL, &err), 0);
    char *g = conf_guarded(8);
    WSABUF bad = {.len = (ULONG)alen, .buf = g}; /* 8 octets, then the guard page */
    flags = 0;
    err = 0;
    assert_int_equal(P->lpWSPRecv(s, &bad, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    WSABUF r = {.len = sizeof big_got, .buf = big_got};
    for (int round = 0; round < 2; round++) {
        flags = 0;
        assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), 0);
        assert_int_equal(n, alen);
        assert_int_equal(flags, 0);
        assert_memory_equal(big_got, a, alen);
        if (round == 0) {
            assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), 0);
            assert_int_equal(n, sizeof b);
            assert_memory_equal(big_got, b, sizeof b);
            assert_int_equal(P->lpWSPSend(k.s, &wa, 1, &n, 0, NULL, NULL, NULL, &err), 0);
        }
    }
    conf_guarded_free(g, 8);
    conf_close(&ctx4, s);
    conf_close(&ctx4, k.s);
}

/* D4/D1 on the data path: a bad later WSABUF, a bad WSABUF array or a bad
 * count pointer fails the send with WSAEFAULT and puts nothing on the wire (the
 * next TSDU arrives alone and whole); a bad receive buffer, count or flags
 * pointer fails the recv with WSAEFAULT and loses no data. */
static void tsdu_bad_pointers_fault_and_nothing_lost(void **state)
{
    (void)state;
    struct client k = {0};
    SOCKET s = connect_accept(&k, NULL, -1);
    char *g = conf_guarded(8);
    char *bad = g + 8; /* the PROT_NONE page */
    int err = 0;
    DWORD n = 0, flags = 0;
    WSABUF two[2] = {{.len = 4, .buf = "AAAA"}, {.len = 4, .buf = bad}};
    assert_int_equal(P->lpWSPSend(k.s, two, 2, &n, 0, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    two[1].buf = g + 6; /* runs into the guard page */
    err = 0;
    assert_int_equal(P->lpWSPSend(k.s, two, 2, &n, 0, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    WSABUF one = {.len = 4, .buf = "BBBB"};
    err = 0;
    assert_int_equal(P->lpWSPSend(k.s, &one, 1, (LPDWORD)bad, 0, NULL, NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = 0;
    assert_int_equal(P->lpWSPSend(k.s, (LPWSABUF)bad, 1, &n, 0, NULL, NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    /* a NULL count without lpOverlapped (allowed only with one, WSASend page) */
    err = 0;
    assert_int_equal(P->lpWSPSend(k.s, &one, 1, NULL, 0, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    WSABUF hello = {.len = 5, .buf = "HELLO"};
    assert_int_equal(P->lpWSPSend(k.s, &hello, 1, &n, 0, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, 5);

    char got[16] = {0};
    WSABUF r = {.len = 5, .buf = g + 4}; /* runs into the guard page */
    err = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    r.buf = NULL; /* a length without a buffer */
    err = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    r.buf = got;
    r.len = sizeof got;
    err = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, (LPDWORD)bad, &flags, NULL, NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, (LPDWORD)bad, NULL, NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = 0;
    assert_int_equal(P->lpWSPRecv(s, (LPWSABUF)bad, 1, &n, &flags, NULL, NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    /* NULL count (only with lpOverlapped) or NULL flags (required, WSARecv page) */
    err = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, NULL, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, NULL, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    flags = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(flags & MSG_PARTIAL, 0);
    assert_memory_equal(got, "HELLO", 5);
    conf_guarded_free(g, 8);
    conf_close(&ctx4, s);
    conf_close(&ctx4, k.s);
}

/* Send flags: MSG_DONTROUTE may be ignored by a provider and is taken;
 * MSG_OOB (no expedited data), MSG_PARTIAL (XP1_PARTIAL_MESSAGE is not
 * offered: "WSAEOPNOTSUPP will be returned by transports which do not support
 * partial message transmissions", WSPSend) and unknown bits fail with
 * WSAEOPNOTSUPP, as in the tcp provider, and send nothing: the peer's first
 * TSDU is the accepted one. */
static void send_refuses_unsupported_flags(void **state)
{
    (void)state;
    struct client k = {0};
    SOCKET s = connect_accept(&k, NULL, -1);
    const DWORD refused[] = {MSG_OOB, MSG_PEEK, MSG_PARTIAL, MSG_PARTIAL | MSG_DONTROUTE, 0x400};
    WSABUF bad = {.len = 3, .buf = "BAD"};
    DWORD n = 0, flags = 0;
    int err = 0;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        err = 0;
        assert_int_equal(P->lpWSPSend(k.s, &bad, 1, &n, refused[i], NULL, NULL, NULL, &err),
                         SOCKET_ERROR);
        assert_int_equal(err, WSAEOPNOTSUPP);
    }
    WSABUF ok = {.len = 2, .buf = "OK"};
    assert_int_equal(P->lpWSPSend(k.s, &ok, 1, &n, MSG_DONTROUTE, NULL, NULL, NULL, &err), 0);
    char got[16];
    WSABUF r = {.len = sizeof got, .buf = got};
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(got, "OK", 2);
    conf_close(&ctx4, s);
    conf_close(&ctx4, k.s);
}

static void disconnect_data_and_reason(void **state)
{
    (void)state;
    struct client k = {0};
    SOCKET s = connect_accept(&k, NULL, -1);
    char d[64];
    for (int i = 0; i < 64; i++)
        d[i] = (char)('A' + i % 26);
    WSABUF w = {.len = 64, .buf = d};
    int err = 0;
    assert_int_equal(P->lpWSPSendDisconnect(k.s, &w, &err), 0);
    char c;
    WSABUF r = {.len = 1, .buf = &c};
    DWORD n = 0, flags = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEDISCON);
    char small[10];
    WSABUF rd = {.len = sizeof small, .buf = small};
    assert_int_equal(P->lpWSPRecvDisconnect(s, &rd, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT); /* D10 */
    assert_int_equal(rd.len, 64);
    char got[64];
    rd.len = sizeof got;
    rd.buf = got;
    assert_int_equal(P->lpWSPRecvDisconnect(s, &rd, &err), 0);
    assert_int_equal(rd.len, 64);
    assert_memory_equal(got, d, 64);
    int reason = 0, len = sizeof reason;
    assert_int_equal(
        P->lpWSPGetSockOpt(s, WSP_SOL_ITOT, WSP_ITOT_DISCREASON, (char *)&reason, &len, &err), 0);
    assert_int_equal(reason, WSP_ITOT_DR_NORMAL);
    conf_close(&ctx4, s);
    conf_close(&ctx4, k.s);
}

/* D1: a WSPRecvDisconnect that fails on a bad buffer does not end receiving:
 * the TSDU the peer sent is still read afterwards (it was WSAESHUTDOWN). */
static void recv_disconnect_fault_keeps_receiving(void **state)
{
    (void)state;
    struct client k = {0};
    SOCKET s = connect_accept(&k, NULL, -1);
    char *g = conf_guarded(8);
    char *bad = g + 8; /* the PROT_NONE page */
    int err = 0;
    DWORD n = 0, flags = 0;
    assert_int_equal(P->lpWSPRecvDisconnect(s, (LPWSABUF)bad, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    /* nothing to read yet: a non-blocking receive would wait, not "shut down" */
    u_long on = 1;
    DWORD ret = 0;
    assert_int_equal(
        P->lpWSPIoctl(s, (DWORD)WSP_FIONBIO, &on, sizeof on, NULL, 0, &ret, NULL, NULL, NULL, &err),
        0);
    char got[4];
    WSABUF r = {.len = sizeof got, .buf = got};
    err = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEWOULDBLOCK);
    conf_guarded_free(g, 8);
    conf_close(&ctx4, s);
    conf_close(&ctx4, k.s);
}

static void discdata_option_sent_at_close(void **state)
{
    (void)state;
    struct client k = {0};
    SOCKET s = connect_accept(&k, NULL, -1);
    int err = 0;
    assert_int_equal(P->lpWSPSetSockOpt(k.s, SOL_SOCKET, SO_DISCDATA, "BYE", 3, &err), 0);
    conf_close(&ctx4, k.s); /* D9: the close releases with SO_DISCDATA */
    char c;
    WSABUF r = {.len = 1, .buf = &c};
    DWORD n = 0, flags = 0;
    assert_int_equal(P->lpWSPRecv(s, &r, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEDISCON);
    char got[64];
    int len = sizeof got;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_DISCDATA, got, &len, &err), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(got, "BYE", 3);
    conf_close(&ctx4, s);
}

/* The listener is closed while WSPAccept's condition function runs and the
 * function answers CF_DEFER: the deferred connection must not go back on the
 * closed listener's queue (nobody could take it: the caller would wait for
 * its CC forever and the pair would leak); it is refused like every other
 * connection pending at the close. */
struct defer_close {
    SOCKET l;
    int rc, err;
};

static void *close_listener_main(void *arg)
{
    struct defer_close *d = arg;
    d->rc = P->lpWSPCloseSocket(d->l, &d->err);
    return NULL;
}

static int CALLBACK cond_close_then_defer(LPWSABUF caller_id, LPWSABUF caller_data, LPQOS sqos,
                                          LPQOS gqos, LPWSABUF callee_id, LPWSABUF callee_data,
                                          GROUP *g, DWORD_PTR data)
{
    (void)caller_id, (void)caller_data, (void)sqos, (void)gqos, (void)callee_id, (void)g;
    callee_data->len = 0;
    /* This thread may not call the provider (C8): another one closes. */
    pthread_t t;
    if (pthread_create(&t, NULL, close_listener_main, (void *)data) == 0)
        pthread_join(t, NULL);
    return CF_DEFER;
}

static void defer_after_listener_close_refuses_caller(void **state)
{
    (void)state;
    struct client k = {0};
    int err = 0;
    SOCKET l = conf_listener(&ctx4, 4, &k.ss, &k.len);
    k.s = conf_socket(&ctx4);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, client_main, &k), 0);
    struct defer_close d = {.l = l, .rc = -7};
    SOCKET s = P->lpWSPAccept(l, NULL, NULL, cond_close_then_defer, (DWORD_PTR)&d, &err);
    assert_true(s == INVALID_SOCKET);
    assert_int_equal(err, WSAEINTR); /* as for an Accept the close interrupts */
    assert_int_equal(d.rc, 0);
    /* Without the fix the caller never hears back: bound the wait so the
     * failure is an assertion, not a hung test. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 30;
    int jr = pthread_timedjoin_np(t, NULL, &ts);
    if (jr != 0) {
        P->lpWSPCloseSocket(k.s, &err); /* wakes the client so the process can end */
        pthread_join(t, NULL);
    }
    assert_int_equal(jr, 0);
    assert_int_equal(k.rc, SOCKET_ERROR);
    assert_int_equal(k.err, WSAECONNREFUSED);
    conf_close(&ctx4, k.s);
}

/* D1: a SetSockOpt of SO_DISCDATA / SO_CONNDATA / a TSAP whose value runs
 * into unreadable memory fails with WSAEFAULT and leaves the stored value as
 * it was (the D2 disconnect data a later SendDisconnect sends). */
static void setopt_bytes_fault_keeps_old_value(void **state)
{
    (void)state;
    static const struct {
        int level, name;
    } opts[] = {{SOL_SOCKET, SO_DISCDATA},
                {SOL_SOCKET, SO_CONNDATA},
                {WSP_SOL_ITOT, WSP_ITOT_CALLING_TSAP}};
    SOCKET s = conf_socket(&ctx4);
    char *g = conf_guarded(8);
    memcpy(g, "WXYZ", 4);
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        int err = 0;
        assert_int_equal(P->lpWSPSetSockOpt(s, opts[i].level, opts[i].name, "ABCDEFGH", 8, &err),
                         0);
        /* 8 octets from g + 4: four readable, then the PROT_NONE page */
        assert_int_equal(P->lpWSPSetSockOpt(s, opts[i].level, opts[i].name, g + 4, 8, &err),
                         SOCKET_ERROR);
        assert_int_equal(err, WSAEFAULT);
        char d[64];
        int len = sizeof d;
        assert_int_equal(P->lpWSPGetSockOpt(s, opts[i].level, opts[i].name, d, &len, &err), 0);
        assert_int_equal(len, 8);
        assert_memory_equal(d, "ABCDEFGH", 8);
    }
    conf_guarded_free(g, 8);
    conf_close(&ctx4, s);
}

/* Windows' setsockopt takes an optlen larger than the value (it reads what it
 * needs) and refuses only one that is too small (WSAEFAULT). */
static void setopt_int_longer_optlen_is_fine(void **state)
{
    (void)state;
    struct client k = {0};
    SOCKET s = connect_accept(&k, NULL, -1);
    int err = 0;
    int on[4] = {1, 0, 0, 0};
    assert_int_equal(P->lpWSPSetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)on, sizeof on, &err),
                     0);
    int got = 0, len = sizeof got;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)&got, &len, &err), 0);
    assert_int_not_equal(got, 0);
    err = 0;
    assert_int_equal(P->lpWSPSetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)on, 2, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    conf_close(&ctx4, s);
    conf_close(&ctx4, k.s);
}

/* SO_PROTOCOL_INFOW and SO_PROTOCOL_INFOA (SOL_SOCKET options page: the
 * socket's protocol information, the A form for ANSI programs) describe the
 * socket's catalog entry; too small a buffer is WSAEFAULT with the size. */
static void protocol_info_w_and_a(void **state)
{
    (void)state;
    SOCKET s = conf_socket(&ctx4);
    int err = 0;
    WSAPROTOCOL_INFOW w;
    int len = sizeof w;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&w, &len, &err),
                     0);
    assert_int_equal(len, sizeof w);
    assert_int_not_equal(w.dwServiceFlags1 & XP1_DISCONNECT_DATA, 0);
    WSAPROTOCOL_INFOA a;
    len = sizeof a;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_PROTOCOL_INFOA, (char *)&a, &len, &err),
                     0);
    assert_int_equal(len, sizeof a);
    assert_int_equal(a.dwCatalogEntryId, w.dwCatalogEntryId);
    assert_int_equal(a.iSocketType, w.iSocketType);
    for (int i = 0; w.szProtocol[i] != 0; i++)
        assert_int_equal((unsigned char)a.szProtocol[i], w.szProtocol[i]);
    len = 10;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_PROTOCOL_INFOA, (char *)&a, &len, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(len, sizeof a);
    conf_close(&ctx4, s);
}

/* D1: a GetSockOpt(SO_ERROR) that cannot write its answer does not consume
 * the pending error: the next good read still reports it. */
static void so_error_kept_when_read_faults(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0;
    /* A port held by a bound, never listening TCP socket: connecting is
     * refused, and no other test can take the port meanwhile. */
    int hold = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(hold >= 0);
    ctx4.fx->loopback(&ss, &len);
    assert_int_equal(bind(hold, (struct sockaddr *)&ss, (socklen_t)len), 0);
    socklen_t sl = sizeof ss;
    assert_int_equal(getsockname(hold, (struct sockaddr *)&ss, &sl), 0);
    SOCKET s = conf_socket(&ctx4);
    assert_int_equal(P->lpWSPConnect(s, (struct sockaddr *)&ss, len, NULL, NULL, NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAECONNREFUSED);
    char *g = conf_guarded(8);
    int olen = sizeof(int);
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, g + 6, &olen, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    int v = -1;
    olen = sizeof v;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, (char *)&v, &olen, &err), 0);
    assert_int_equal(v, WSAECONNREFUSED);
    olen = sizeof v;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, (char *)&v, &olen, &err), 0);
    assert_int_equal(v, 0); /* cleared by the good read */
    conf_guarded_free(g, 8);
    close(hold);
    conf_close(&ctx4, s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(connect_data_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(forced_class0_is_negotiated, setup, teardown),
        cmocka_unit_test_setup_teardown(condition_reject_refuses_with_data, setup, teardown),
        cmocka_unit_test_setup_teardown(reject_reason_option_reaches_refused_client, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(reject_reason_unlisted_is_einval_unchanged, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(tsdu_partial_and_fionread, setup, teardown),
        cmocka_unit_test_setup_teardown(tsdu_bad_pointers_fault_and_nothing_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(disconnect_data_and_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(discdata_option_sent_at_close, setup, teardown),
        cmocka_unit_test_setup_teardown(defer_after_listener_close_refuses_caller, setup, teardown),
        cmocka_unit_test_setup_teardown(setopt_bytes_fault_keeps_old_value, setup, teardown),
        cmocka_unit_test_setup_teardown(setopt_int_longer_optlen_is_fine, setup, teardown),
        cmocka_unit_test_setup_teardown(recv_disconnect_fault_keeps_receiving, setup, teardown),
        cmocka_unit_test_setup_teardown(so_error_kept_when_read_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(protocol_info_w_and_a, setup, teardown),
        cmocka_unit_test_setup_teardown(whole_tsdu_to_a_bad_buffer_loses_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(deferred_disconnect_refuses_sends_and_keeps_data, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(send_refuses_unsupported_flags, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
