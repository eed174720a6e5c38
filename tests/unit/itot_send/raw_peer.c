/* SPDX-License-Identifier: MIT */
/* raw_peer — see raw_peer.h. */
#include "raw_peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tpdu.h"

void raw_listen(struct raw_peer *p, int rcvbuf)
{
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(p->lfd >= 0);
    assert_int_equal(setsockopt(p->lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    p->addr.sin_family = AF_INET;
    p->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof p->addr;
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&p->addr, n), 0);
    assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&p->addr, &n), 0);
    assert_int_equal(listen(p->lfd, 1), 0);
}

/* Exactly n octets, or false on end / error / timeout. */
static bool read_full(int fd, uint8_t *b, size_t n, int timeout_s)
{
    while (n > 0) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int r = poll(&pf, 1, timeout_s * 1000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        ssize_t got = read(fd, b, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        b += got;
        n -= (size_t)got;
    }
    return true;
}

/* One TPKT into tpkt[TPKT_MAX_LEN]: 1, 0 on a clean end before it, -1 otherwise. */
static int read_tpkt(int fd, uint8_t *tpkt, size_t *n, int timeout_s)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, timeout_s * 1000) <= 0)
        return -1;
    ssize_t got = recv(fd, tpkt, 1, 0);
    if (got == 0)
        return 0;
    if (got != 1 || !read_full(fd, tpkt + 1, TPKT_HDR_LEN - 1, timeout_s))
        return -1;
    size_t len = 0;
    enum tpkt_status st = tpkt_peek(tpkt, TPKT_HDR_LEN, &len);
    if (st == TPKT_BAD || len < TPKT_MIN_LEN)
        return -1;
    if (!read_full(fd, tpkt + TPKT_HDR_LEN, len - TPKT_HDR_LEN, timeout_s))
        return -1;
    *n = len;
    return 1;
}

void raw_accept_cc(struct raw_peer *p, uint8_t size_code)
{
    p->fd = accept(p->lfd, NULL, NULL);
    assert_true(p->fd >= 0);
    static uint8_t tpkt[TPKT_MAX_LEN];
    size_t n = 0, used = 0;
    assert_int_equal(read_tpkt(p->fd, tpkt, &n, 30), 1);
    struct tpdu cr;
    assert_int_equal(tpdu_decode(tpkt + TPKT_HDR_LEN, n - TPKT_HDR_LEN, &cr, &used, NULL), TPDU_OK);
    assert_int_equal(cr.code, TPDU_CR);
    struct tpdu cc = {.code = TPDU_CC, .dst_ref = cr.src_ref, .src_ref = 0x4242};
    cc.class_opt = 0x00; /* class 0: the provider offers it as the alternative */
    cc.has_tpdu_size = true;
    cc.tpdu_size_code = size_code;
    uint8_t out[64];
    size_t len = tpdu_encode(&cc, out, sizeof out);
    assert_true(len > 0);
    assert_int_equal(write(p->fd, out, len), (ssize_t)len);
}

enum raw_what raw_next_tsdu(struct raw_peer *p, uint8_t *buf, size_t cap, size_t *len,
                            uint8_t *reason, int timeout_s)
{
    static uint8_t tpkt[TPKT_MAX_LEN];
    *len = 0;
    for (;;) {
        size_t n = 0, used = 0;
        int r = read_tpkt(p->fd, tpkt, &n, timeout_s);
        if (r == 0)
            return RAW_EOF;
        if (r < 0)
            return RAW_BAD;
        struct tpdu t;
        if (tpdu_decode(tpkt + TPKT_HDR_LEN, n - TPKT_HDR_LEN, &t, &used, NULL) != TPDU_OK)
            return RAW_BAD;
        if (t.code == TPDU_DR) {
            if (reason != NULL)
                *reason = t.reason;
            return RAW_DR;
        }
        if (t.code != TPDU_DT || t.dst_ref_present || *len + t.data_len > cap)
            return RAW_BAD;
        memcpy(buf + *len, t.data, t.data_len);
        *len += t.data_len;
        if (t.eot)
            return RAW_TSDU;
    }
}

void raw_send_tsdu(struct raw_peer *p, const void *data, size_t len)
{
    /* TPKT (RFC 1006: version 3, length) and a class 0 DT: LI 2, code F0,
     * EOT in the top bit of its third octet (ISO 8073 13.7). */
    uint8_t out[TPKT_HDR_LEN + 3 + 64];
    assert_true(len <= 64);
    size_t n = TPKT_HDR_LEN + 3 + len;
    uint8_t head[] = {3, 0, (uint8_t)(n >> 8), (uint8_t)n, 2, 0xF0, 0x80};
    memcpy(out, head, sizeof head);
    memcpy(out + sizeof head, data, len);
    assert_int_equal(write(p->fd, out, n), (ssize_t)n);
}

size_t raw_flood(struct raw_peer *p, int stall_ms)
{
    enum { DATA = 4096, TPKT = TPKT_HDR_LEN + 3 + DATA };
    static uint8_t out[TPKT];
    uint8_t head[] = {3, 0, TPKT >> 8, TPKT & 0xff, 2, 0xF0, 0x80};
    memcpy(out, head, sizeof head);
    memset(out + sizeof head, 'f', DATA);
    size_t total = 0, at = 0;
    for (;;) {
        ssize_t n = send(p->fd, out + at, TPKT - at, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            total += (size_t)n;
            at = (at + (size_t)n) % TPKT;
            continue;
        }
        assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
        struct pollfd pf = {.fd = p->fd, .events = POLLOUT};
        int r = poll(&pf, 1, stall_ms);
        assert_true(r >= 0 || errno == EINTR);
        if (r == 0)
            return total;
    }
}

void raw_reset(struct raw_peer *p)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    assert_int_equal(close(p->fd), 0);
    p->fd = -1;
}

void raw_close(struct raw_peer *p)
{
    if (p->fd >= 0)
        close(p->fd);
    close(p->lfd);
    p->fd = p->lfd = -1;
}
