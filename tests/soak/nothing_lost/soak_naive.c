/* SPDX-License-Identifier: MIT */
#include "soak_naive.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "soak_net.h"

#define SOAK_NAIVE_SEED 0x4E414956ull /* the closer's data */
#define SOAK_NAIVE_CHUNK 16384u
#define SOAK_NAIVE_CAP (256ull << 20) /* a closer whose sends never block is a failure */
#define SOAK_NAIVE_RCVBUF 16384       /* the peer's TCP buffer: small, so the closer blocks soon */
#define SOAK_NAIVE_WAIT_MS 30000      /* longest wait for something that must come */

static const uint8_t soak_naive_req[16] = "unread request!";
static const uint8_t soak_naive_disc[] = "closer's disconnect data";

struct soak_naive {
    enum soak_prov prov;
    SOCKET listener, closer, peer;
    struct soak_naive_result *r;
};

static int soak_naive_fail(struct soak_naive *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->r->err, sizeof n->r->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int soak_naive_wsafail(struct soak_naive *n, const char *what)
{
    return soak_naive_fail(n, "%s: %s", what, soak_ename(WSAGetLastError()));
}

/* The peer connects without blocking (an itot connect completes only when
 * the CC comes, i.e. after the accept), the closer is the accepted socket. */
static int soak_naive_connect(struct soak_naive *n, int itot_class)
{
    uint16_t port;
    int err = soak_listen(n->prov, 4, &n->listener, &port);
    if (err)
        return soak_naive_fail(n, "listener: %s", soak_ename(err));
    n->peer = soak_socket(n->prov, &err);
    if (n->peer == INVALID_SOCKET)
        return soak_naive_fail(n, "socket: %s", soak_ename(err));
    int rcvbuf = SOAK_NAIVE_RCVBUF;
    if (wsp_setsockopt(n->peer, SOL_SOCKET, SO_RCVBUF, (const char *)&rcvbuf, sizeof rcvbuf))
        return soak_naive_wsafail(n, "setsockopt(SO_RCVBUF)");
    if (n->prov == SOAK_ITOT && itot_class >= 0 &&
        wsp_setsockopt(n->peer, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&itot_class,
                       sizeof itot_class))
        return soak_naive_wsafail(n, "setsockopt(WSP_ITOT_CLASS)");
    if ((err = soak_nonblocking(n->peer, true)) != 0)
        return soak_naive_fail(n, "FIONBIO: %s", soak_ename(err));
    err = soak_connect(n->peer, port);
    if (err != WSAEWOULDBLOCK)
        return soak_naive_fail(n, "non-blocking connect: %s", err ? soak_ename(err) : "0");
    n->closer = WSAAccept(n->listener, NULL, NULL, NULL, 0);
    if (n->closer == INVALID_SOCKET)
        return soak_naive_wsafail(n, "WSAAccept");
    if (!(soak_poll(n->peer, POLLOUT, SOAK_NAIVE_WAIT_MS) & POLLOUT))
        return soak_naive_fail(n, "the connect did not complete");
    if ((err = soak_nonblocking(n->peer, false)) != 0)
        return soak_naive_fail(n, "FIONBIO off: %s", soak_ename(err));
    return 0;
}

/* The request reaches the closer's receive buffer and stays there. */
static int soak_naive_request(struct soak_naive *n)
{
    int err = soak_send(n->peer, n->prov == SOAK_ITOT, soak_naive_req, sizeof soak_naive_req);
    if (err)
        return soak_naive_fail(n, "peer: send of the request: %s", soak_ename(err));
    if (!(soak_poll(n->closer, POLLIN, SOAK_NAIVE_WAIT_MS) & POLLIN))
        return soak_naive_fail(n, "the request did not arrive");
    return 0;
}

/* Sends until the buffers are full: from then on some of the closer's data
 * is still on its side of the connection. */
static int soak_naive_fill(struct soak_naive *n)
{
    uint8_t buf[SOAK_NAIVE_CHUNK];
    int err = soak_nonblocking(n->closer, true);
    if (err)
        return soak_naive_fail(n, "FIONBIO: %s", soak_ename(err));
    while (n->r->sent < SOAK_NAIVE_CAP) {
        soak_fill(SOAK_NAIVE_SEED, n->r->sent, buf, sizeof buf);
        WSABUF b = {sizeof buf, (CHAR *)buf};
        DWORD sent = 0;
        if (WSASend(n->closer, &b, 1, &sent, 0, NULL, NULL) != 0) {
            if (WSAGetLastError() != WSAEWOULDBLOCK)
                return soak_naive_wsafail(n, "closer: WSASend");
            err = soak_nonblocking(n->closer, false);
            return err ? soak_naive_fail(n, "FIONBIO off: %s", soak_ename(err)) : 0;
        }
        n->r->sent += sent;
    }
    return soak_naive_fail(n, "closer: %llu octets sent and still no WSAEWOULDBLOCK",
                           (unsigned long long)n->r->sent);
}

/* The peer reads to the end: the clean end (tcp: 0 octets, itot:
 * WSAEDISCON, then the disconnect data) or an error. */
static int soak_naive_drain(struct soak_naive *n)
{
    struct soak_naive_result *r = n->r;
    uint8_t buf[65536];
    r->content_ok = true;
    for (;;) {
        if (!(soak_poll(n->peer, POLLIN, SOAK_NAIVE_WAIT_MS) & (POLLIN | POLLHUP | POLLERR)))
            return soak_naive_fail(n, "peer: nothing to read for %d ms after %llu octets",
                                   SOAK_NAIVE_WAIT_MS, (unsigned long long)r->received);
        WSABUF b = {sizeof buf, (CHAR *)buf};
        DWORD got = 0, flags = 0;
        if (WSARecv(n->peer, &b, 1, &got, &flags, NULL, NULL) != 0) {
            int e = WSAGetLastError();
            r->peer_end = n->prov == SOAK_ITOT && e == WSAEDISCON ? 0 : e;
            break;
        }
        if (n->prov == SOAK_TCP && got == 0) {
            r->peer_end = 0;
            break;
        }
        if (soak_verify(SOAK_NAIVE_SEED, r->received, buf, got) != got)
            r->content_ok = false;
        r->received += got;
    }
    if (n->prov == SOAK_ITOT && r->peer_end == 0) {
        uint8_t d[SOAK_DISC_MAX];
        WSABUF b = {sizeof d, (CHAR *)d};
        if (WSARecvDisconnect(n->peer, &b) != 0)
            return soak_naive_wsafail(n, "peer: WSARecvDisconnect");
        r->disc_len = b.len;
        r->disc_ok = b.len == sizeof soak_naive_disc && !memcmp(d, soak_naive_disc, b.len);
    }
    return 0;
}

/* The closer, after its SendDisconnect, reads to the end: the request, then
 * the peer's disconnect. */
static int soak_naive_closer_drain(struct soak_naive *n)
{
    uint8_t buf[64];
    uint64_t got_total = 0;
    for (;;) {
        if (!(soak_poll(n->closer, POLLIN, SOAK_NAIVE_WAIT_MS) & (POLLIN | POLLHUP | POLLERR)))
            return soak_naive_fail(n, "closer: no end for %d ms after %llu octets",
                                   SOAK_NAIVE_WAIT_MS, (unsigned long long)got_total);
        WSABUF b = {sizeof buf, (CHAR *)buf};
        DWORD got = 0, flags = 0;
        if (WSARecv(n->closer, &b, 1, &got, &flags, NULL, NULL) != 0) {
            int e = WSAGetLastError();
            n->r->closer_end = n->prov == SOAK_ITOT && e == WSAEDISCON ? 0 : e;
            break;
        }
        if (n->prov == SOAK_TCP && got == 0) {
            n->r->closer_end = 0;
            break;
        }
        got_total += got;
    }
    if (got_total != sizeof soak_naive_req)
        return soak_naive_fail(n, "closer: read %llu octets, the request is %zu",
                               (unsigned long long)got_total, sizeof soak_naive_req);
    return 0;
}

static int soak_naive_steps(struct soak_naive *n, int itot_class, bool graceful)
{
    WSABUF d = {sizeof soak_naive_disc, (CHAR *)soak_naive_disc};
    if (soak_naive_connect(n, itot_class) || soak_naive_request(n) || soak_naive_fill(n))
        return -1;
    if (!graceful) {
        /* itot: closesocket releases with the SO_DISCDATA data (D9). */
        if (n->prov == SOAK_ITOT &&
            wsp_setsockopt(n->closer, SOL_SOCKET, SO_DISCDATA, d.buf, (int)d.len))
            return soak_naive_wsafail(n, "setsockopt(SO_DISCDATA)");
        closesocket(n->closer);
        n->closer = INVALID_SOCKET;
        return soak_naive_drain(n);
    }
    if (WSASendDisconnect(n->closer, n->prov == SOAK_ITOT ? &d : NULL) != 0)
        return soak_naive_wsafail(n, "closer: WSASendDisconnect");
    if (soak_naive_drain(n))
        return -1;
    /* tcp: the peer has read everything and ends its side too, which is the
     * end the closer reads to.  itot: the DR ended both directions; the
     * closer's end is its release completing (DC, or the peer's TCP close). */
    if (n->prov == SOAK_TCP && n->r->peer_end == 0 && WSASendDisconnect(n->peer, NULL) != 0)
        return soak_naive_wsafail(n, "peer: WSASendDisconnect");
    return soak_naive_closer_drain(n);
}

int soak_naive_run(enum soak_prov prov, int itot_class, bool graceful, struct soak_naive_result *r)
{
    memset(r, 0, sizeof *r);
    r->peer_end = r->closer_end = -1;
    struct soak_naive n = {prov, INVALID_SOCKET, INVALID_SOCKET, INVALID_SOCKET, r};
    int rc = soak_naive_steps(&n, itot_class, graceful);
    SOCKET all[] = {n.closer, n.peer, n.listener};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i] != INVALID_SOCKET)
            closesocket(all[i]);
    return rc;
}
