/* SPDX-License-Identifier: MIT */
/* A default CR (class 2 with class 0 as alternative, carrying C6, C7 and F0)
 * that a strict RFC 1006 peer refuses for its parameters is retried once, on
 * a new TCP connection, as a plain class 0 CR (TSAPs and C0 only); the
 * refusal shows in getsockopt(WSP_ITOT_FALLBACK) (issue 12,
 * docs/providers-itot.md "Class and parameter negotiation").  The peer is a
 * scripted raw TCP server thread: it answers each CR as told (ER, DR, TCP
 * close, or a class 0 CC) and records the CRs it got. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/itot.h>

enum reply { R_CC, R_ER1, R_DR130, R_DR138, R_DR3, R_CLOSE };

#define MAX_CONNS 3

struct peer {
    int lfd;
    uint16_t port;
    enum reply script[MAX_CONNS];
    int n_script;
    /* what it saw */
    int n_conns;
    uint8_t cr[MAX_CONNS][128];
    size_t cr_len[MAX_CONNS];
    bool failed;
};

static bool read_full(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return false;
        p += r, n -= (size_t)r;
    }
    return true;
}

static bool read_tpkt(int fd, uint8_t *buf, size_t cap, size_t *len)
{
    if (!read_full(fd, buf, 4))
        return false;
    size_t n = (size_t)(buf[2] << 8 | buf[3]);
    if (n < 7 || n > cap)
        return false;
    *len = n;
    return read_full(fd, buf + 4, n - 4);
}

/* The reply TPKT to a CR whose source reference is src. */
static size_t build_reply(enum reply r, uint16_t src, uint8_t *out)
{
    uint8_t hi = (uint8_t)(src >> 8), lo = (uint8_t)src;
    static const uint8_t dr_reason[] = {[R_DR130] = 130, [R_DR138] = 138, [R_DR3] = 3};
    switch (r) {
    case R_CC: { /* class 0, C0 8192 */
        const uint8_t cc[] = {3, 0, 0, 14, 9, 0xD0, hi, lo, 0x00, 0x07, 0x00, 0xC0, 1, 0x0D};
        memcpy(out, cc, sizeof cc);
        return sizeof cc;
    }
    case R_ER1: { /* ER cause 1: invalid parameter code */
        const uint8_t er[] = {3, 0, 0, 9, 4, 0x70, hi, lo, 1};
        memcpy(out, er, sizeof er);
        return sizeof er;
    }
    case R_DR130:
    case R_DR138:
    case R_DR3: {
        const uint8_t dr[] = {3, 0, 0, 11, 6, 0x80, hi, lo, 0x00, 0x07, dr_reason[r]};
        memcpy(out, dr, sizeof dr);
        return sizeof dr;
    }
    default:
        return 0;
    }
}

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    for (int i = 0; i < p->n_script; i++) {
        int fd = accept(p->lfd, NULL, NULL);
        if (fd < 0) {
            p->failed = true;
            return NULL;
        }
        p->n_conns++;
        if (!read_tpkt(fd, p->cr[i], sizeof p->cr[i], &p->cr_len[i]) || p->cr[i][5] != 0xE0) {
            p->failed = true;
            close(fd);
            return NULL;
        }
        uint16_t src = (uint16_t)(p->cr[i][8] << 8 | p->cr[i][9]);
        uint8_t out[32];
        size_t n = build_reply(p->script[i], src, out);
        if (n > 0 && write(fd, out, n) != (ssize_t)n)
            p->failed = true;
        if (p->script[i] == R_CC) {
            /* Read until the client's release ends TCP. */
            uint8_t sink[256];
            while (read(fd, sink, sizeof sink) > 0)
                ;
        }
        close(fd);
    }
    return NULL;
}

static void peer_start(struct peer *p, pthread_t *t)
{
    p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(p->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, al), 0);
    assert_int_equal(listen(p->lfd, 8), 0);
    assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&a, &al), 0);
    p->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(t, NULL, peer_main, p), 0);
}

/* Codes of the CR's parameters (variable part), in order; returns how many. */
static int cr_params(const uint8_t *tpkt, size_t len, uint8_t codes[8], uint8_t *c0)
{
    size_t li = tpkt[4], off = 4 + 7; /* TPKT, LI, code, refs, class */
    int n = 0;
    while (off + 2 <= 4 + 1 + li && off + 2 <= len && n < 8) {
        codes[n++] = tpkt[off];
        if (tpkt[off] == 0xC0)
            *c0 = tpkt[off + 2];
        off += 2u + tpkt[off + 1];
    }
    return n;
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

/* Connects with default options to a peer that answers the first CR with
 * `first` and the second with a class 0 CC; nonblocking picks the API path. */
static void fallback_after(enum reply first, int want_kind, int want_detail, bool nonblocking)
{
    struct peer p = {.script = {first, R_CC}, .n_script = 2};
    pthread_t t;
    peer_start(&p, &t);
    SOCKET s = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (nonblocking) {
        wsp_u_long one = 1;
        assert_int_equal(ioctlsocket(s, WSP_FIONBIO, &one), 0);
        assert_int_equal(WSAConnect(s, (struct sockaddr *)&a, sizeof a, NULL, NULL, NULL, NULL),
                         SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
        /* Completion shows as writable; a refusal would show in the except set. */
        wsp_fd_set w, e;
        WSP_FD_ZERO(&w);
        WSP_FD_ZERO(&e);
        WSP_FD_SET(s, &w);
        WSP_FD_SET(s, &e);
        struct timeval tv = {30, 0};
        assert_int_equal(wsp_select(0, NULL, &w, &e, &tv), 1);
        assert_true(WSP_FD_ISSET(s, &w));
    } else {
        int rc = WSAConnect(s, (struct sockaddr *)&a, sizeof a, NULL, NULL, NULL, NULL);
        if (rc != 0)
            fail_msg("WSAConnect after a refusal of the default CR: %d", WSAGetLastError());
    }
    int cls = -1, olen = (int)sizeof cls;
    assert_int_equal(wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (char *)&cls, &olen), 0);
    assert_int_equal(cls, 0);
    WSP_ITOT_FALLBACK_INFO fb = {-1, -1};
    olen = (int)sizeof fb;
    assert_int_equal(wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_FALLBACK, (char *)&fb, &olen), 0);
    assert_int_equal(fb.kind, want_kind);
    assert_int_equal(fb.detail, want_detail);
    closesocket(s);
    pthread_join(t, NULL);
    close(p.lfd);
    assert_false(p.failed);
    assert_int_equal(p.n_conns, 2);
    /* The first CR was the default one: class 2 offered, C6 and C7 present. */
    uint8_t codes[8], c0 = 0;
    int n = cr_params(p.cr[0], p.cr_len[0], codes, &c0);
    assert_int_equal(p.cr[0][10], 0x21);
    assert_non_null(memchr(codes, 0xC7, (size_t)n));
    assert_non_null(memchr(codes, 0xC6, (size_t)n));
    /* The retry: class 0, only C0 (8192), no user data. */
    c0 = 0;
    n = cr_params(p.cr[1], p.cr_len[1], codes, &c0);
    assert_int_equal(p.cr[1][10], 0x00);
    assert_int_equal(n, 1);
    assert_int_equal(codes[0], 0xC0);
    assert_int_equal(c0, 0x0D);
    assert_int_equal(p.cr_len[1], 4u + 1u + p.cr[1][4]);
}

static void er_then_plain_class0_cr(void **state)
{
    (void)state;
    fallback_after(R_ER1, WSP_ITOT_FB_ER, 1, false);
}

static void dr130_then_plain_class0_cr(void **state)
{
    (void)state;
    fallback_after(R_DR130, WSP_ITOT_FB_DR, 130, false);
}

static void dr138_then_plain_class0_cr_nonblocking(void **state)
{
    (void)state;
    fallback_after(R_DR138, WSP_ITOT_FB_DR, 138, true);
}

static void tcp_close_then_plain_class0_cr(void **state)
{
    (void)state;
    fallback_after(R_CLOSE, WSP_ITOT_FB_TCP_CLOSED, 0, false);
}

/* A refusal that is not about parameters (DR 3, address unknown), or a class
 * the user forced: no second CR, the connect fails with WSAECONNREFUSED
 * (Windows: WSAConnect fails with WSAECONNREFUSED when the peer refuses). */
static void no_fallback(enum reply first, int force_class)
{
    struct peer p = {.script = {first}, .n_script = 1};
    pthread_t t;
    peer_start(&p, &t);
    SOCKET s = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    if (force_class >= 0)
        assert_int_equal(wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (char *)&force_class,
                                        sizeof force_class),
                         0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(WSAConnect(s, (struct sockaddr *)&a, sizeof a, NULL, NULL, NULL, NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAECONNREFUSED);
    WSP_ITOT_FALLBACK_INFO fb = {-1, -1};
    int olen = (int)sizeof fb;
    assert_int_equal(wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_FALLBACK, (char *)&fb, &olen), 0);
    assert_int_equal(fb.kind, WSP_ITOT_FB_NONE);
    closesocket(s);
    pthread_join(t, NULL);
    /* The refusal was final: the connect returned, no second TCP connection waits. */
    struct sockaddr_in x;
    socklen_t xl = sizeof x;
    assert_int_equal(fcntl(p.lfd, F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(accept(p.lfd, (struct sockaddr *)&x, &xl), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    close(p.lfd);
    assert_int_equal(p.n_conns, 1);
}

static void dr3_is_final(void **state)
{
    (void)state;
    no_fallback(R_DR3, -1);
}

static void forced_class2_dr130_is_final(void **state)
{
    (void)state;
    no_fallback(R_DR130, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(er_then_plain_class0_cr),
        cmocka_unit_test(dr130_then_plain_class0_cr),
        cmocka_unit_test(dr138_then_plain_class0_cr_nonblocking),
        cmocka_unit_test(tcp_close_then_plain_class0_cr),
        cmocka_unit_test(dr3_is_final),
        cmocka_unit_test(forced_class2_dr130_is_final),
    };
    return cmocka_run_group_tests_name("itot_fallback", tests, setup, teardown);
}
