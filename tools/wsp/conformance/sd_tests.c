/* SPDX-License-Identifier: MIT */
/* The WSPSendDisconnect clause tests (docs/conformance.md), written once
 * against a (fixture, level) pair.  Each test names its clause.  Assertions
 * come from conf_check.h: cmocka in the ctest programs, the forked-child
 * runner in `wsp conformance`. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "conf_check.h"

#define CTX ((const struct conf_ctx *)*state)
#define LV (CTX->lv)

/* Call SendDisconnect and return the error (0 on success), checking that the
 * return value agrees with it. */
static int sd(const struct conf_ctx *c, SOCKET s, LPWSABUF data)
{
    int err = 0;
    conf_note("inside WSPSendDisconnect (socket %#lx, %s)", (unsigned long)s,
              data == NULL ? "no data" : "with data");
    int rc = c->lv->send_disconnect(s, data, &err);
    conf_note("after WSPSendDisconnect returned %d, error %d", rc, err);
    if (rc == 0)
        return 0;
    conf_assert_eq(rc, SOCKET_ERROR);
    conf_assert_ne(err, 0);
    return err;
}

/* The peer still receives what s sends: s can send exactly as before (D1). */
static void expect_sends(const struct conf_ctx *c, SOCKET s, SOCKET peer)
{
    static const char msg[] = "still sending";
    char got[sizeof msg];
    conf_note("sending on %#lx and reading it at the peer (the socket must send as before)",
              (unsigned long)s);
    conf_send_all(c, s, msg, sizeof msg);
    size_t have = 0;
    while (have < sizeof msg) {
        int err = 0;
        int n = c->lv->recv(peer, got + have, sizeof msg - have, &err);
        conf_assert_true(n > 0);
        have += (size_t)n;
    }
    conf_assert_mem_eq(got, msg, sizeof msg);
}

/* The peer's disconnect arrives (D10: 0 on a stream, WSAEDISCON on messages). */
static void expect_eof(const struct conf_ctx *c, SOCKET s)
{
    char b;
    int err = 0;
    conf_note("waiting in recv on %#lx for the peer's disconnect", (unsigned long)s);
    int n = c->lv->recv(s, &b, 1, &err);
    conf_assert_msg(conf_is_end(c, n, err),
                    "recv after the peer's disconnect returned %d (error %d), expected %s", n, err,
                    c->fx->stream ? "0 (end of stream)" : "WSAEDISCON (10101)");
}

/* ---- C1: disables transmission and starts the release --------------------- */
static void sd_c1_peer_sees_end_of_stream(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    conf_send_all(CTX, a, "x", 1);
    conf_disconnect_ok(CTX, a);
    char got;
    int err = 0;
    conf_assert_eq(LV->recv(b, &got, 1, &err), 1);
    conf_assert_eq(got, 'x');
    expect_eof(CTX, b);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- C2: later sends refused ---------------------------------------------- */
static void sd_c2_send_after_disconnect_is_eshutdown(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    conf_disconnect_ok(CTX, a);
    int err = 0;
    int n = LV->send(a, "y", 1, &err);
    conf_assert_msg(n == -1,
                    "a send after a successful WSPSendDisconnect returned %d, expected "
                    "SOCKET_ERROR with WSAESHUTDOWN",
                    n);
    conf_assert_eq(err, WSAESHUTDOWN);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- C3: the disconnect data reaches the peer ------------------------------ */
static void sd_c3_data_reaches_peer(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    /* As much as the protocol carries (D3's limit), in a pattern whose first
     * 256 octets all differ, so a truncated or shifted copy shows. */
    unsigned char data[1024], got[1024];
    unsigned n = CTX->fx->max_disc_data;
    conf_assert_true(n > 0 && n <= sizeof data);
    for (unsigned i = 0; i < n; i++)
        data[i] = (unsigned char)(0xA5 ^ (i * 7));
    WSABUF w = {.len = n, .buf = (char *)data};
    int got_err = sd(CTX, a, &w);
    conf_assert_msg(got_err != WSAEMSGSIZE,
                    "WSPSendDisconnect refused %u octets of disconnect data with WSAEMSGSIZE "
                    "(a protocol that carries fewer states how many: wsp conformance --disc-max)",
                    n);
    conf_assert_eq(got_err, 0);
    expect_eof(CTX, b); /* D10: the end first ... */
    memset(got, 0, sizeof got);
    WSABUF r = {.len = sizeof got, .buf = (char *)got};
    int err = 0;
    conf_assert_eq(LV->recv_disconnect(b, &r, &err), 0); /* ... then the data */
    conf_assert_msg(r.len == n,
                    "the peer's WSPRecvDisconnect gave %lu octets of disconnect data, "
                    "%u were sent",
                    (unsigned long)r.len, n);
    conf_assert_mem_eq(got, data, n);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- C4: not connected ---------------------------------------------------- */
static void sd_c4_notconn_new(void **state)
{
    SOCKET s = conf_socket(CTX);
    conf_assert_eq(sd(CTX, s, NULL), WSAENOTCONN);
    conf_close(CTX, s);
}

static void sd_c4_notconn_bound(void **state)
{
    SOCKET s = conf_socket(CTX);
    struct sockaddr_storage ss;
    int len, err = 0;
    CTX->fx->loopback(&ss, &len);
    conf_assert_eq(LV->bind(s, (struct sockaddr *)&ss, len, &err), 0);
    conf_assert_eq(sd(CTX, s, NULL), WSAENOTCONN);
    conf_close(CTX, s);
}

static void sd_c4_notconn_listening(void **state)
{
    struct sockaddr_storage ss;
    int len;
    SOCKET l = conf_listener(CTX, 4, &ss, &len);
    conf_assert_eq(sd(CTX, l, NULL), WSAENOTCONN);
    /* No side effect: the listener still accepts. */
    SOCKET c;
    SOCKET s = conf_connect_accept(CTX, l, &ss, len, NULL, 0, &c);
    conf_assert_true(s != INVALID_SOCKET);
    conf_close(CTX, s);
    conf_close(CTX, c);
    conf_close(CTX, l);
}

/* Pending: a listener with a full backlog drops SYNs, so a non-blocking connect
 * to it stays pending.  A probe counts only if the socket was pending both
 * before and after the call (a connect never goes back to pending). */
static bool pending(const struct conf_ctx *c, SOCKET s)
{
    struct sockaddr_storage ss;
    int len = sizeof ss, err = 0;
    return c->lv->getpeername(s, (struct sockaddr *)&ss, &len, &err) != 0 && err == WSAENOTCONN;
}

static void sd_c4_notconn_connect_pending(void **state)
{
    struct sockaddr_storage ss;
    int len;
    SOCKET l = conf_listener(CTX, 0, &ss, &len);
    SOCKET cl[16];
    size_t n = 0;
    bool seen = false;
    while (!seen && n < sizeof cl / sizeof cl[0]) {
        int err = 0;
        SOCKET s = cl[n++] = conf_socket(CTX);
        conf_assert_eq(LV->fionbio(s, 1, &err), 0);
        int rc = LV->connect(s, (struct sockaddr *)&ss, len, &err);
        conf_assert_true(rc == 0 || err == WSAEWOULDBLOCK);
        if (rc != 0 && pending(CTX, s)) {
            int got = sd(CTX, s, NULL);
            if (pending(CTX, s)) {
                conf_assert_eq(got, WSAENOTCONN);
                seen = true;
            }
        }
    }
    conf_assert_true(seen);
    /* D1: the pending connect was not disturbed.  Make room in the queue; the
     * client's next SYN retransmission then completes the handshake. */
    int err = 0;
    SOCKET first = LV->accept(l, NULL, 0, &err);
    conf_assert_true(first != INVALID_SOCKET);
    conf_assert_eq(LV->wait_writable(cl[n - 1], &err), 1);
    conf_assert_false(pending(CTX, cl[n - 1]));
    conf_disconnect_ok(CTX, cl[n - 1]); /* and now it is connected */
    conf_close(CTX, first);
    for (size_t i = 0; i < n; i++)
        conf_close(CTX, cl[i]);
    conf_close(CTX, l);
}

/* ---- C5: not a socket ----------------------------------------------------- */
static void sd_c5_notsock_invalid_socket(void **state)
{
    conf_assert_eq(sd(CTX, INVALID_SOCKET, NULL), WSAENOTSOCK);
}

static void sd_c5_notsock_never_issued(void **state)
{
    conf_assert_eq(sd(CTX, (SOCKET)0x7ffff3a2, NULL), WSAENOTSOCK);
}

static void sd_c5_notsock_closed(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    conf_close(CTX, a);
    conf_assert_eq(sd(CTX, a, NULL), WSAENOTSOCK);
    conf_close(CTX, b);
}

static void sd_c5_notsock_stale_reused(void **state)
{
    SOCKET old = conf_socket(CTX);
    conf_close(CTX, old);
    /* The next sockets are likely to take the freed slot; whichever does, the
     * stale handle must never reach it (it would answer WSAENOTCONN). */
    SOCKET fresh[4];
    for (int i = 0; i < 4; i++) {
        fresh[i] = conf_socket(CTX);
        conf_assert_true(fresh[i] != old);
    }
    conf_assert_eq(sd(CTX, old, NULL), WSAENOTSOCK);
    for (int i = 0; i < 4; i++) {
        if (!CTX->fx->connectionless)
            conf_assert_eq(sd(CTX, fresh[i], NULL), WSAENOTCONN);
        conf_close(CTX, fresh[i]);
    }
}

/* ---- C6/D1/D2/D3: disconnect data ---------------------------------------- */
static void sd_c6_data_noprotoopt_no_side_effect(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    char data[] = "bye";
    WSABUF w = {.len = sizeof data, .buf = data};
    conf_assert_eq(sd(CTX, a, &w), WSAENOPROTOOPT);
    expect_sends(CTX, a, b); /* D1 */
    conf_disconnect_ok(CTX, a);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

static void sd_d2_zero_len_is_no_data(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    char data[] = "ignored";
    WSABUF w = {.len = 0, .buf = data};
    conf_assert_eq(sd(CTX, a, &w), 0);
    if (!CTX->fx->connectionless)
        expect_eof(CTX, b);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

static void sd_d3_too_long_msgsize(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    char data[1024] = {0};
    WSABUF w = {.len = CTX->fx->max_disc_data + 1, .buf = data};
    conf_assert_true(w.len <= sizeof data);
    int got = sd(CTX, a, &w);
    conf_assert_msg(got != 0,
                    "WSPSendDisconnect accepted %lu octets of disconnect data, one more than "
                    "the protocol carries (%u; wsp conformance --disc-max)",
                    (unsigned long)w.len, CTX->fx->max_disc_data);
    conf_assert_eq(got, WSAEMSGSIZE);
    expect_sends(CTX, a, b); /* D1 */
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- C7/D4: invalid memory ------------------------------------------------ */
static void sd_c7_fault_wsabuf_unmapped(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    LPWSABUF bad = conf_guarded(0); /* starts on the PROT_NONE page */
    conf_assert_eq(sd(CTX, a, bad), WSAEFAULT);
    conf_guarded_free(bad, 0);
    expect_sends(CTX, a, b); /* D1 */
    conf_close(CTX, a);
    conf_close(CTX, b);
}

static void sd_c7_fault_buf_unmapped(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    char *gone = conf_guarded(0);
    WSABUF w = {.len = 8, .buf = gone};
    conf_assert_eq(sd(CTX, a, &w), WSAEFAULT);
    conf_guarded_free(gone, 0);
    expect_sends(CTX, a, b);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

static void sd_c7_fault_buf_crosses_prot_none(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    char *edge = conf_guarded(4); /* 4 good bytes, then the guard page */
    WSABUF w = {.len = 8, .buf = edge};
    conf_assert_eq(sd(CTX, a, &w), WSAEFAULT);
    conf_guarded_free(edge, 4);
    expect_sends(CTX, a, b);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- C8: inside the accept condition function ------------------------------ */
struct c8_probe {
    const struct conf_ctx *c;
    SOCKET listener, other;
    int err_listener, err_other, calls;
};

static int CALLBACK c8_condition(LPWSABUF caller, LPWSABUF callerData, LPQOS sqos, LPQOS gqos,
                                 LPWSABUF callee, LPWSABUF calleeData, GROUP *g, DWORD_PTR data)
{
    (void)caller, (void)callerData, (void)sqos, (void)gqos, (void)callee, (void)calleeData, (void)g;
    struct c8_probe *p = (struct c8_probe *)data;
    p->calls++;
    p->c->lv->send_disconnect(p->listener, NULL, &p->err_listener);
    p->c->lv->send_disconnect(p->other, NULL, &p->err_other);
    return CF_ACCEPT;
}

static void sd_c8_inprogress_in_condition(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    struct sockaddr_storage ss;
    int len;
    SOCKET l = conf_listener(CTX, 4, &ss, &len);
    SOCKET c;
    struct c8_probe p = {.c = CTX, .listener = l, .other = a};
    SOCKET s = conf_connect_accept(CTX, l, &ss, len, c8_condition, (DWORD_PTR)&p, &c);
    conf_assert_true(s != INVALID_SOCKET);
    conf_assert_eq(p.calls, 1);
    conf_assert_eq(p.err_listener, WSAEINPROGRESS);
    conf_assert_eq(p.err_other, WSAEINPROGRESS);
    /* Outside the callback the same call works, and nothing was done inside. */
    expect_sends(CTX, a, b);
    conf_disconnect_ok(CTX, a);
    conf_close(CTX, s);
    conf_close(CTX, c);
    conf_close(CTX, l);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- C9: network down ------------------------------------------------------ */
static void sd_c9_netdown_after_cleanup(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    int err = 0;
    conf_assert_eq(LV->stop(&err), 0);
    conf_assert_eq(sd(CTX, a, NULL), WSAENETDOWN);
    /* Restart so teardown's cleanup balances; the old sockets were released by
     * the provider's cleanup. */
    conf_assert_eq(LV->start(CTX->fx), 0);
    conf_assert_eq(sd(CTX, a, NULL), WSAENOTSOCK);
    (void)b;
}

static void sd_c9_netdown_injected(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    unsigned before = conf_fault_hits();
    if (CTX->fx->io_thread)
        conf_fault_enable_process(ENETDOWN);
    else
        conf_fault_enable(ENETDOWN);
    int got = sd(CTX, a, NULL);
    conf_fault_disable();
    if (conf_fault_hits() == before && CTX->fx->fault_optional)
        conf_skip("WSPSendDisconnect made no shutdown/send/sendmsg/writev call, so no "
                  "ENETDOWN could be injected into it (returned %s)",
                  got == 0 ? "0" : "an error");
    conf_assert_true(conf_fault_hits() > before); /* the provider did reach the system */
    conf_assert_eq(got, WSAENETDOWN);
    expect_sends(CTX, a, b); /* D1 */
    conf_disconnect_ok(CTX, a);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- C10: the socket stays usable until closesocket ------------------------ */
static void sd_c10_socket_still_usable(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    conf_disconnect_ok(CTX, a);
    struct sockaddr_storage ss;
    int len = sizeof ss, err = 0;
    conf_assert_eq(LV->getsockname(a, (struct sockaddr *)&ss, &len, &err), 0);
    if (CTX->fx->stream) {
        expect_sends(CTX, b, a); /* we still receive (D6) */
    } else {
        /* A message provider's disconnect ends both directions (no D6), but
         * the handle is still a socket: recv answers, whatever it says. */
        char c;
        conf_assert_eq(LV->fionbio(a, 1, &err), 0);
        err = 0;
        LV->recv(a, &c, 1, &err);
        conf_assert_ne(err, WSAENOTSOCK);
    }
    conf_close(CTX, a);
    conf_assert_eq(sd(CTX, a, NULL), WSAENOTSOCK);
    conf_close(CTX, b);
}

/* ---- C11: never blocks, whatever SO_LINGER says ----------------------------- */
static void sd_c11_no_block_with_linger(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    struct linger lg = {.l_onoff = 1, .l_linger = 60};
    int err = 0;
    conf_assert_eq(LV->setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg, &err), 0);
    size_t sent = conf_fill(CTX, a);
    /* Back to blocking mode: the mode in which a lingering close would wait. */
    conf_assert_eq(LV->fionbio(a, 0, &err), 0);
    /* The peer reads nothing until this returns: had it waited for the data
     * to drain or the linger time, it would never return (the case's time
     * limit); had it waited for anything else, it would be slow. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int got = sd(CTX, a, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    conf_assert_msg(took < CONF_C11_LIMIT_S,
                    "WSPSendDisconnect took %.3f s with SO_LINGER {1, 60} and a full send "
                    "buffer (limit %.1f s: it must not block)",
                    took, CONF_C11_LIMIT_S);
    conf_assert_eq(got, 0);
    conf_assert_eq(conf_drain_pattern(CTX, b), sent);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- C12: no reuse --------------------------------------------------------- */
static void sd_c12_connect_refused_after(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    struct sockaddr_storage ss;
    int len;
    SOCKET l = conf_listener(CTX, 4, &ss, &len);
    conf_disconnect_ok(CTX, a);
    int err = 0;
    conf_assert_eq(LV->connect(a, (struct sockaddr *)&ss, len, &err), SOCKET_ERROR);
    conf_assert_true(err == WSAEISCONN || err == WSAEINVAL);
    /* After the full release as well. */
    conf_close(CTX, b);
    expect_eof(CTX, a);
    err = 0;
    conf_assert_eq(LV->connect(a, (struct sockaddr *)&ss, len, &err), SOCKET_ERROR);
    conf_assert_true(err == WSAEISCONN || err == WSAEINVAL);
    conf_close(CTX, a);
    conf_close(CTX, l);
}

/* ---- D4: NULL lpErrno -------------------------------------------------------- */
static void sd_d4_null_errno(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    LPWSABUF bad = conf_guarded(0);
    /* Failing calls with nowhere to put the code: no write, no crash. */
    conf_assert_eq(LV->send_disconnect(a, bad, NULL), SOCKET_ERROR);
    conf_assert_eq(LV->send_disconnect(INVALID_SOCKET, NULL, NULL), SOCKET_ERROR);
    conf_guarded_free(bad, 0);
    expect_sends(CTX, a, b); /* D1 */
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- D5: nothing queued is lost -------------------------------------------- */
static void sd_d5_queued_data_before_fin(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    int small = 16 * 1024, err = 0;
    LV->setsockopt(b, SOL_SOCKET, SO_RCVBUF, &small, sizeof small, &err);
    size_t sent = conf_fill(CTX, a); /* the peer has read nothing */
    conf_assert_eq(sd(CTX, a, NULL), 0);
    conf_assert_eq(conf_drain_pattern(CTX, b), sent); /* every byte, then the end */
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- D6: the receive side stays open ---------------------------------------- */
static void sd_d6_half_close_peer_still_sends(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    conf_disconnect_ok(CTX, a);
    expect_eof(CTX, b);
    for (int i = 0; i < 3; i++)
        expect_sends(CTX, b, a);
    conf_disconnect_ok(CTX, b);
    expect_eof(CTX, a);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- D7: a second call ------------------------------------------------------- */
static void sd_d7_second_call(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    conf_disconnect_ok(CTX, a);
    /* The peer has not closed: still releasing. */
    conf_assert_eq(sd(CTX, a, NULL), 0);
    expect_eof(CTX, b);
    conf_close(CTX, b);
    expect_eof(CTX, a); /* the peer's release reached us: fully released */
    conf_assert_eq(sd(CTX, a, NULL), WSAENOTCONN);
    conf_close(CTX, a);
}

/* ---- D8: datagram sockets ---------------------------------------------------- */
static void sd_d8_dgram_only_disables_send(void **state)
{
    SOCKET s = conf_socket(CTX); /* not even connected: still no WSAENOTCONN */
    conf_assert_eq(sd(CTX, s, NULL), 0);
    int err = 0;
    conf_assert_eq(LV->send(s, "z", 1, &err), -1);
    conf_assert_eq(err, WSAESHUTDOWN);
    conf_close(CTX, s);

    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    conf_disconnect_ok(CTX, a);
    expect_sends(CTX, b, a); /* receiving still works */
    err = 0;
    conf_assert_eq(LV->send(a, "z", 1, &err), -1);
    conf_assert_eq(err, WSAESHUTDOWN);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

static void sd_d8_dgram_data_noprotoopt(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    char data[] = "bye";
    WSABUF w = {.len = sizeof data, .buf = data};
    conf_assert_eq(sd(CTX, a, &w), WSAENOPROTOOPT);
    expect_sends(CTX, a, b); /* D1 */
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- D9: Shutdown(SD_SEND) is the same operation ------------------------------ */
static void sd_d9_shutdown_send_same_operation(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    int err = 0;
    conf_assert_eq(LV->shutdown(a, SD_SEND, &err), 0);
    expect_eof(CTX, b);
    conf_assert_eq(LV->send(a, "q", 1, &err), -1);
    conf_assert_eq(err, WSAESHUTDOWN);
    if (CTX->fx->stream) {
        conf_assert_eq(sd(CTX, a, NULL), 0); /* D7: releasing until the peer's FIN */
        expect_sends(CTX, b, a);             /* D6 */
    } else {
        int again = sd(CTX, a, NULL); /* D7: the release may already be complete */
        conf_assert_true(again == 0 || again == WSAENOTCONN);
    }
    conf_close(CTX, a);
    conf_close(CTX, b);
}

static void sd_d9_discdata_option_noprotoopt(void **state)
{
    SOCKET a, b;
    conf_pair(CTX, &a, &b);
    char data[] = "bye";
    int err = 0;
    conf_assert_eq(LV->setsockopt(a, SOL_SOCKET, SO_DISCDATA, data, sizeof data, &err),
                   SOCKET_ERROR);
    conf_assert_eq(err, WSAENOPROTOOPT);
    conf_disconnect_ok(CTX, a);
    expect_eof(CTX, b);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- D11: the error goes through lpErrno / the thread's last error ---------- */
static void sd_d11_error_only_through_errno(void **state)
{
    SOCKET s = conf_socket(CTX);
    int err = 12345;
    errno = 0;
    conf_assert_eq(LV->send_disconnect(s, NULL, &err), SOCKET_ERROR);
    conf_assert_eq(err, WSAENOTCONN);
    conf_close(CTX, s);
}

/* At the API level the code lives in the calling thread's last error: a
 * failure on one thread leaves another thread's last error alone. */
struct d11_other {
    const struct conf_ctx *c;
    SOCKET s;
    int before, after_fail;
    pthread_mutex_t m;
    pthread_cond_t cv;
    int step; /* 0 → other set its error, 1 → main failed, 2 → other read */
};

static void *d11_other_thread(void *arg)
{
    struct d11_other *o = arg;
    o->c->lv->set_last_error(4242);
    pthread_mutex_lock(&o->m);
    o->step = 1;
    pthread_cond_broadcast(&o->cv);
    while (o->step != 2)
        pthread_cond_wait(&o->cv, &o->m);
    pthread_mutex_unlock(&o->m);
    o->after_fail = o->c->lv->last_error();
    return NULL;
}

static void sd_d11_last_error_is_thread_local(void **state)
{
    SOCKET s = conf_socket(CTX);
    struct d11_other o = {.c = CTX, .s = s};
    pthread_mutex_init(&o.m, NULL);
    pthread_cond_init(&o.cv, NULL);
    pthread_t t;
    conf_assert_eq(pthread_create(&t, NULL, d11_other_thread, &o), 0);
    pthread_mutex_lock(&o.m);
    while (o.step != 1)
        pthread_cond_wait(&o.cv, &o.m);
    pthread_mutex_unlock(&o.m);
    int err = 0;
    conf_assert_eq(LV->send_disconnect(s, NULL, &err), SOCKET_ERROR);
    conf_assert_eq(LV->last_error(), WSAENOTCONN);
    pthread_mutex_lock(&o.m);
    o.step = 2;
    pthread_cond_broadcast(&o.cv);
    pthread_mutex_unlock(&o.m);
    conf_assert_eq(pthread_join(t, NULL), 0);
    conf_assert_eq(o.after_fail, 4242);
    pthread_mutex_destroy(&o.m);
    pthread_cond_destroy(&o.cv);
    conf_close(CTX, s);
}

/* ---- registration -------------------------------------------------------- */
enum {
    ANY = CONF_WHEN_ANY,
    CONN = CONF_WHEN_CONN,
    DGRAM = CONF_WHEN_DGRAM,
    SPI_ONLY = CONF_WHEN_SPI_ONLY,
    NULL_ERRNO = CONF_WHEN_NULL_ERRNO,
    DISC = CONF_WHEN_DISC,
    NODISC = CONF_WHEN_NODISC,
    LAST_ERROR = CONF_WHEN_LAST_ERROR,
    HALF = CONF_WHEN_HALF,
    OVL = CONF_WHEN_OVL,
};

#define T(fn, clauses, when)                                                                       \
    {                                                                                              \
#fn, clauses, fn, when                                                                     \
    }
const struct conf_case conf_cases[] = {
    T(sd_c1_peer_sees_end_of_stream, "C1 D10", CONN),
    T(sd_c2_send_after_disconnect_is_eshutdown, "C2", CONN),
    T(sd_c3_data_reaches_peer, "C3 D10", CONN | DISC),
    T(sd_c4_notconn_new, "C4", CONN),
    T(sd_c4_notconn_bound, "C4", CONN),
    T(sd_c4_notconn_listening, "C4 D1", CONN),
    T(sd_c4_notconn_connect_pending, "C4 D1", CONN),
    T(sd_c5_notsock_invalid_socket, "C5", ANY),
    T(sd_c5_notsock_never_issued, "C5", ANY),
    T(sd_c5_notsock_closed, "C5", ANY),
    T(sd_c5_notsock_stale_reused, "C5", ANY),
    T(sd_c6_data_noprotoopt_no_side_effect, "C6 D1", CONN | NODISC),
    T(sd_d2_zero_len_is_no_data, "D2", ANY),
    T(sd_d3_too_long_msgsize, "D3 D1", CONN | DISC),
    T(sd_c7_fault_wsabuf_unmapped, "C7 D4 D1", ANY),
    T(sd_c7_fault_buf_unmapped, "C7 D4 D1", ANY),
    T(sd_c7_fault_buf_crosses_prot_none, "C7 D4 D1", ANY),
    T(sd_c8_inprogress_in_condition, "C8 D1", CONN),
    T(sd_c9_netdown_after_cleanup, "C9", SPI_ONLY),
    T(sd_c9_netdown_injected, "C9 D1", CONN),
    T(sd_c10_socket_still_usable, "C10", CONN),
    T(sd_c11_no_block_with_linger, "C11 D5", CONN),
    T(sd_c12_connect_refused_after, "C12", CONN),
    T(sd_d4_null_errno, "D4 D1", NULL_ERRNO),
    T(sd_d5_queued_data_before_fin, "D5", CONN),
    T(sd_d6_half_close_peer_still_sends, "D6", CONN | HALF),
    T(sd_d7_second_call, "D7", CONN),
    T(sd_d8_dgram_only_disables_send, "D8", DGRAM),
    T(sd_d8_dgram_data_noprotoopt, "D8", DGRAM),
    T(sd_d9_shutdown_send_same_operation, "D9", CONN),
    T(sd_d9_discdata_option_noprotoopt, "D9", CONN | NODISC),
    T(sd_d11_error_only_through_errno, "D11", CONN),
    T(sd_d11_last_error_is_thread_local, "D11", CONN | LAST_ERROR),
    T(sd_c11_ovl_queued_sends, "C11 D5 O1", CONN | OVL),
    T(sd_d10_ovl_pending_recv_sees_end, "D10 C1", CONN | OVL),
    T(sd_c3_ovl_pending_recv_then_disc_data, "C3 D10", CONN | DISC | OVL),
    T(ovl_o1_immediate_still_reported, "O1", CONN | OVL),
    T(ovl_o2_close_aborts_pending, "O2", CONN | OVL),
    T(ovl_o3_routine_only_in_alertable_wait, "O3", CONN | OVL),
};
#undef T
const size_t conf_case_count = sizeof conf_cases / sizeof conf_cases[0];

static bool sd_is_dgram(const struct conf_ctx *c)
{
    return c->fx->connectionless;
}
static bool sd_is_conn(const struct conf_ctx *c)
{
    return !c->fx->connectionless;
}
static bool sd_no_cleanup(const struct conf_ctx *c)
{
    return !c->lv->can_cleanup_provider;
}
static bool sd_no_null_errno(const struct conf_ctx *c)
{
    return !c->lv->null_errno;
}
static bool sd_no_disc(const struct conf_ctx *c)
{
    return !c->fx->disc_data;
}
static bool sd_disc(const struct conf_ctx *c)
{
    return c->fx->disc_data;
}
static bool sd_no_last_error(const struct conf_ctx *c)
{
    return c->lv->last_error == NULL;
}
static bool sd_not_stream(const struct conf_ctx *c)
{
    return !c->fx->stream;
}
static bool sd_no_ovl(const struct conf_ctx *c)
{
    return c->lv->ovl == NULL;
}

/* Why a case does not apply: the first matching row wins. */
static const struct {
    int flag;
    bool (*excludes)(const struct conf_ctx *c);
    const char *why;
} sd_na[] = {
    {CONN, sd_is_dgram, "connectionless protocol (XP1_CONNECTIONLESS): no connection to release"},
    {DGRAM, sd_is_conn, "connection-oriented protocol: D8 is about datagram sockets"},
    {SPI_ONLY, sd_no_cleanup, "this level cannot run the provider's last WSPCleanup"},
    {NULL_ERRNO, sd_no_null_errno, "this level cannot pass a NULL lpErrno"},
    {DISC, sd_no_disc, "no disconnect data (XP1_DISCONNECT_DATA not set)"},
    {NODISC, sd_disc, "the protocol carries disconnect data (XP1_DISCONNECT_DATA)"},
    {LAST_ERROR, sd_no_last_error,
     "the thread's last error belongs to ws2 (API level), not to a provider"},
    {HALF, sd_not_stream, "not a byte stream: a disconnect ends both directions (no half-close)"},
    {OVL, sd_no_ovl, "this level makes no overlapped calls"},
};

const char *conf_case_not_applicable(const struct conf_ctx *ctx, const struct conf_case *k)
{
    for (size_t i = 0; i < sizeof sd_na / sizeof sd_na[0]; i++)
        if ((k->when & sd_na[i].flag) && sd_na[i].excludes(ctx))
            return sd_na[i].why;
    return NULL;
}
