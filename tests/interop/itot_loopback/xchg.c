/* SPDX-License-Identifier: MIT */
#include "xchg.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsdu.h"

struct xchg {
    const struct xchg_cfg *cfg;
    struct xchg_result *res;
    pthread_mutex_t mu;
    _Atomic(SOCKET) listener, server, client;
    uint16_t port;
    uint8_t caller[XCHG_CONN_DATA_LEN], callee[XCHG_CONN_DATA_LEN], disc[XCHG_DISC_DATA_LEN];
};

struct xchg_peer {
    struct xchg *x;
    SOCKET s;
    enum xchg_dir dir;
};

static void xchg_close_once(_Atomic(SOCKET) *slot)
{
    SOCKET s = atomic_exchange(slot, INVALID_SOCKET);
    if (s != INVALID_SOCKET)
        closesocket(s);
}

static void xchg_vnote(struct xchg *x, const char *fmt, va_list ap)
{
    pthread_mutex_lock(&x->mu);
    if (!x->res->err[0])
        vsnprintf(x->res->err, sizeof x->res->err, fmt, ap);
    pthread_mutex_unlock(&x->mu);
}

/* Records the first failure without touching sockets (safe inside callbacks). */
static void xchg_note(struct xchg *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xchg_vnote(x, fmt, ap);
    va_end(ap);
}

/* Records the first failure and closes everything so that no thread stays
 * blocked on a peer that will never answer. */
static void xchg_fail(struct xchg *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xchg_vnote(x, fmt, ap);
    va_end(ap);
    xchg_close_once(&x->listener);
    xchg_close_once(&x->server);
    xchg_close_once(&x->client);
}

static bool xchg_failed(struct xchg *x)
{
    pthread_mutex_lock(&x->mu);
    bool f = x->res->err[0] != 0;
    pthread_mutex_unlock(&x->mu);
    return f;
}

static const char *xchg_ename(int e)
{
    const char *n = wsp_strerror_name(e);
    return n ? n : "?";
}

void xchg_data(uint64_t seed, uint8_t caller[XCHG_CONN_DATA_LEN],
               uint8_t callee[XCHG_CONN_DATA_LEN], uint8_t disc[XCHG_DISC_DATA_LEN])
{
    tsdu_pattern(seed, 1, caller, XCHG_CONN_DATA_LEN);
    tsdu_pattern(seed, 2, callee, XCHG_CONN_DATA_LEN);
    tsdu_pattern(seed, 3, disc, XCHG_DISC_DATA_LEN);
}

static int xchg_addr(int family, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons(port);
        return (int)sizeof *a;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(port);
    return (int)sizeof *a;
}

int xchg_listen(int family, SOCKET *out, uint16_t *port, char *err, size_t err_len)
{
    SOCKET s = WSASocketA(family, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    if (s == INVALID_SOCKET) {
        snprintf(err, err_len, "WSASocketA(listener): %s", xchg_ename(WSAGetLastError()));
        return -1;
    }
    struct sockaddr_storage ss;
    int len = xchg_addr(family, 0, &ss);
    if (wsp_bind(s, (struct sockaddr *)&ss, len) != 0 || wsp_listen(s, 8) != 0 ||
        wsp_getsockname(s, (struct sockaddr *)&ss, &len) != 0) {
        snprintf(err, err_len, "bind/listen/getsockname: %s", xchg_ename(WSAGetLastError()));
        closesocket(s);
        return -1;
    }
    *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                     : ((struct sockaddr_in *)&ss)->sin_port);
    *out = s;
    return 0;
}

static int xchg_get_int(SOCKET s, int name, int *v)
{
    int len = (int)sizeof *v;
    *v = -12345;
    return wsp_getsockopt(s, WSP_SOL_ITOT, name, (char *)v, &len);
}

/* ---- sending and receiving TSDUs ----------------------------------------- */

static void *xchg_sender(void *arg)
{
    struct xchg_peer *p = arg;
    struct xchg *x = p->x;
    const struct xchg_cfg *cfg = x->cfg;
    uint8_t *buf = malloc(cfg->max_tsdu);
    if (!buf) {
        xchg_fail(x, "out of memory");
        return NULL;
    }
    struct tsdu_rng r;
    tsdu_rng_seed(&r, cfg->seed ^ (0x5E0Dull << 32) ^ p->dir);
    for (unsigned i = 0; i < cfg->ntsdu; i++) {
        size_t len = tsdu_size(cfg->seed, p->dir, i, cfg->max_tsdu);
        tsdu_build(cfg->seed, p->dir, i, buf, len);
        /* Gather from 1-3 buffers: one TSDU is one WSASend, however it is split. */
        WSABUF b[3];
        DWORD nb = tsdu_rng_range(&r, 1, 3);
        size_t off = 0;
        for (DWORD k = 0; k < nb; k++) {
            size_t n = k + 1 == nb ? len - off : tsdu_rng_range(&r, 0, (uint32_t)(len - off));
            b[k].buf = (CHAR *)buf + off;
            b[k].len = (ULONG)n;
            off += n;
        }
        DWORD sent = 0;
        if (WSASend(p->s, b, nb, &sent, 0, NULL, NULL) != 0) {
            xchg_fail(x, "dir %d: WSASend of TSDU #%u (%zu octets) failed: %s", p->dir, i, len,
                      xchg_ename(WSAGetLastError()));
            break;
        }
        if (sent != len) {
            xchg_fail(x, "dir %d: WSASend of TSDU #%u sent %lu of %zu octets", p->dir, i,
                      (unsigned long)sent, len);
            break;
        }
    }
    free(buf);
    return NULL;
}

/* Reads one TSDU, in pieces of random size: the provider marks every piece but
 * the last with MSG_PARTIAL.  Returns 0, or the WSA error of the failing call. */
static int xchg_recv_tsdu(SOCKET s, uint8_t *buf, size_t cap, size_t *out_len, struct tsdu_rng *r,
                          char *why, size_t why_len)
{
    size_t got = 0;
    for (unsigned calls = 0;; calls++) {
        if (got == cap) {
            snprintf(why, why_len, "TSDU longer than %zu octets", cap);
            return WSAEMSGSIZE;
        }
        size_t want = tsdu_rng_range(r, 0, 3) == 0 ? cap - got : tsdu_rng_range(r, 1, 65536);
        if (want > cap - got)
            want = cap - got;
        WSABUF b[2];
        DWORD nb = want > 1 && tsdu_rng_range(r, 0, 1) ? 2 : 1;
        b[0].buf = (CHAR *)buf + got;
        b[0].len = (ULONG)(nb == 2 ? tsdu_rng_range(r, 1, (uint32_t)want - 1) : want);
        b[1].buf = b[0].buf + b[0].len;
        b[1].len = (ULONG)(want - b[0].len);
        DWORD n = 0, flags = 0;
        if (WSARecv(s, b, nb, &n, &flags, NULL, NULL) != 0) {
            int e = WSAGetLastError();
            snprintf(why, why_len, "WSARecv after %zu octets of a TSDU: %s", got, xchg_ename(e));
            return e ? e : -1;
        }
        got += n;
        if (!(flags & MSG_PARTIAL))
            break;
        if (n == 0 && calls > 1000) {
            snprintf(why, why_len, "WSARecv keeps returning 0 octets with MSG_PARTIAL");
            return -1;
        }
    }
    *out_len = got;
    return 0;
}

/* Receives all ntsdu messages of direction dir and checks each. */
static int xchg_receive_all(struct xchg *x, SOCKET s, enum xchg_dir dir, unsigned *verified)
{
    const struct xchg_cfg *cfg = x->cfg;
    size_t cap = cfg->max_tsdu + 64;
    uint8_t *buf = malloc(cap), *scratch = malloc(cfg->max_tsdu);
    int rc = -1;
    if (!buf || !scratch) {
        xchg_fail(x, "out of memory");
        goto out;
    }
    struct tsdu_rng r;
    tsdu_rng_seed(&r, cfg->seed ^ (0x2EC5ull << 32) ^ dir);
    char why[512];
    for (unsigned i = 0; i < cfg->ntsdu; i++) {
        size_t len = 0;
        int e = xchg_recv_tsdu(s, buf, cap, &len, &r, why, sizeof why);
        if (e) {
            xchg_fail(x, "dir %d: receiving TSDU #%u (%zu octets): %s", dir, i,
                      tsdu_size(cfg->seed, dir, i, cfg->max_tsdu), why);
            goto out;
        }
        if (tsdu_check(cfg->seed, dir, i, cfg->max_tsdu, buf, len, scratch, why, sizeof why)) {
            xchg_fail(x, "%s", why);
            goto out;
        }
        (*verified)++;
    }
    rc = 0;
out:
    free(buf);
    free(scratch);
    return rc;
}

/* ---- server ------------------------------------------------------------- */

static int CALLBACK xchg_condition(LPWSABUF caller_id, LPWSABUF caller_data, LPQOS sqos, LPQOS gqos,
                                   LPWSABUF callee_id, LPWSABUF callee_data, GROUP *g, DWORD_PTR cb)
{
    (void)caller_id, (void)sqos, (void)gqos, (void)callee_id, (void)g;
    struct xchg *x = (struct xchg *)cb;
    x->res->cond_calls++;
    if (!caller_data || caller_data->len != XCHG_CONN_DATA_LEN || !caller_data->buf ||
        memcmp(caller_data->buf, x->caller, XCHG_CONN_DATA_LEN) != 0) {
        xchg_note(x, "condition function: caller data is not the client's 32 octets (len %lu)",
                  caller_data ? (unsigned long)caller_data->len : 0ul);
        return CF_REJECT;
    }
    if (!callee_data || !callee_data->buf || callee_data->len < XCHG_CONN_DATA_LEN) {
        xchg_note(x, "condition function: callee data buffer missing or < 32 octets (len %lu)",
                  callee_data ? (unsigned long)callee_data->len : 0ul);
        return CF_REJECT;
    }
    memcpy(callee_data->buf, x->callee, XCHG_CONN_DATA_LEN);
    callee_data->len = XCHG_CONN_DATA_LEN;
    return CF_ACCEPT;
}

static void xchg_server_release(struct xchg *x, SOCKET s)
{
    struct xchg_result *res = x->res;
    /* Every TSDU has been read: the next receive reports the disconnect (D10). */
    char tiny[16];
    WSABUF b = {sizeof tiny, tiny};
    DWORD n = 0, flags = 0;
    if (WSARecv(s, &b, 1, &n, &flags, NULL, NULL) == 0) {
        xchg_fail(x,
                  "WSARecv after the last TSDU returned %lu octets (flags %#lx), expected "
                  "WSAEDISCON",
                  (unsigned long)n, (unsigned long)flags);
        return;
    }
    int e = WSAGetLastError();
    if (e != WSAEDISCON) {
        xchg_fail(x, "WSARecv after the last TSDU failed with %s, expected WSAEDISCON",
                  xchg_ename(e));
        return;
    }
    res->got_discon = true;

    if (x->cfg->check_small_buf) {
        char small[16];
        WSABUF sb = {sizeof small, small};
        if (WSARecvDisconnect(s, &sb) == 0) {
            xchg_fail(x,
                      "WSARecvDisconnect into 16 octets succeeded (len %lu), expected "
                      "WSAEFAULT",
                      (unsigned long)sb.len);
            return;
        }
        res->small_buf_err = WSAGetLastError();
        res->small_buf_len = sb.len;
    }

    uint8_t data[100];
    WSABUF db = {sizeof data, (CHAR *)data};
    if (WSARecvDisconnect(s, &db) != 0) {
        xchg_fail(x, "WSARecvDisconnect: %s", xchg_ename(WSAGetLastError()));
        return;
    }
    res->disc_len = db.len;
    res->disc_data_ok =
        db.len == XCHG_DISC_DATA_LEN && memcmp(data, x->disc, XCHG_DISC_DATA_LEN) == 0;
    if (xchg_get_int(s, WSP_ITOT_DISCREASON, &res->discreason) != 0)
        xchg_fail(x, "getsockopt(WSP_ITOT_DISCREASON): %s", xchg_ename(WSAGetLastError()));
}

static void *xchg_server(void *arg)
{
    struct xchg *x = arg;
    SOCKET s = WSAAccept(atomic_load(&x->listener), NULL, NULL, xchg_condition, (DWORD_PTR)x);
    if (s == INVALID_SOCKET) {
        xchg_fail(x, "WSAAccept: %s", xchg_ename(WSAGetLastError()));
        return NULL;
    }
    atomic_store(&x->server, s);
    if (xchg_get_int(s, WSP_ITOT_CLASS, &x->res->server_class) != 0) {
        xchg_fail(x, "getsockopt(WSP_ITOT_CLASS) on the accepted socket: %s",
                  xchg_ename(WSAGetLastError()));
        return NULL;
    }
    struct xchg_peer sp = {x, s, XCHG_S2C};
    pthread_t snd;
    if (pthread_create(&snd, NULL, xchg_sender, &sp) != 0) {
        xchg_fail(x, "pthread_create");
        return NULL;
    }
    if (xchg_receive_all(x, s, XCHG_C2S, &x->res->c2s_verified) == 0)
        xchg_server_release(x, s);
    pthread_join(snd, NULL);
    xchg_close_once(&x->server);
    return NULL;
}

/* ---- client ------------------------------------------------------------- */

static void *xchg_client(void *arg)
{
    struct xchg *x = arg;
    const struct xchg_cfg *cfg = x->cfg;
    struct xchg_result *res = x->res;
    SOCKET s = atomic_load(&x->client);
    int cls = cfg->itot_class;
    if (wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&cls, sizeof cls) != 0) {
        xchg_fail(x, "setsockopt(WSP_ITOT_CLASS, %d): %s", cls, xchg_ename(WSAGetLastError()));
        return NULL;
    }
    struct sockaddr_storage ss;
    int alen = xchg_addr(cfg->family, x->port, &ss);
    WSABUF caller = {XCHG_CONN_DATA_LEN, (CHAR *)x->caller};
    uint8_t callee_buf[64];
    WSABUF callee = {sizeof callee_buf, (CHAR *)callee_buf};
    if (WSAConnect(s, (struct sockaddr *)&ss, alen, &caller, &callee, NULL, NULL) != 0) {
        xchg_fail(x, "WSAConnect: %s", xchg_ename(WSAGetLastError()));
        return NULL;
    }
    if (callee.len != XCHG_CONN_DATA_LEN || memcmp(callee_buf, x->callee, XCHG_CONN_DATA_LEN)) {
        xchg_fail(x,
                  "WSAConnect: callee data is not the condition function's 32 octets "
                  "(len %lu)",
                  (unsigned long)callee.len);
        return NULL;
    }
    if (xchg_get_int(s, WSP_ITOT_CLASS, &res->client_class) != 0) {
        xchg_fail(x, "getsockopt(WSP_ITOT_CLASS): %s", xchg_ename(WSAGetLastError()));
        return NULL;
    }
    if (cfg->check_msgsize) {
        uint8_t big[XCHG_DISC_DATA_LEN + 1];
        memset(big, 0xEE, sizeof big);
        WSABUF bb = {sizeof big, (CHAR *)big};
        if (WSASendDisconnect(s, &bb) == 0) {
            xchg_fail(x, "WSASendDisconnect with 65 octets succeeded, expected WSAEMSGSIZE");
            return NULL;
        }
        res->msgsize_err = WSAGetLastError();
    }

    struct xchg_peer cp = {x, s, XCHG_C2S};
    pthread_t snd;
    if (pthread_create(&snd, NULL, xchg_sender, &cp) != 0) {
        xchg_fail(x, "pthread_create");
        return NULL;
    }
    int rc = xchg_receive_all(x, s, XCHG_S2C, &res->s2c_verified);
    pthread_join(snd, NULL);
    if (rc != 0 || xchg_failed(x))
        return NULL;

    /* Everything both ways has been read, so nothing the release may discard is
     * still in flight: the server must see all TSDUs, then the DR. */
    WSABUF db = {XCHG_DISC_DATA_LEN, (CHAR *)x->disc};
    if (WSASendDisconnect(s, &db) != 0) {
        xchg_fail(x, "WSASendDisconnect with 64 octets: %s", xchg_ename(WSAGetLastError()));
        return NULL;
    }
    char one = 1;
    WSABUF ob = {1, &one};
    DWORD sent = 0;
    if (WSASend(s, &ob, 1, &sent, 0, NULL, NULL) == 0)
        xchg_fail(x, "WSASend after WSASendDisconnect succeeded, expected WSAESHUTDOWN");
    else
        res->shutdown_err = WSAGetLastError();
    return NULL;
}

void xchg_run(const struct xchg_cfg *cfg, struct xchg_result *res)
{
    memset(res, 0, sizeof *res);
    res->discreason = res->client_class = res->server_class = -1;
    struct xchg x = {.cfg = cfg, .res = res};
    pthread_mutex_init(&x.mu, NULL);
    xchg_data(cfg->seed, x.caller, x.callee, x.disc);
    atomic_init(&x.server, INVALID_SOCKET);
    atomic_init(&x.client, INVALID_SOCKET);
    atomic_init(&x.listener, INVALID_SOCKET);

    SOCKET l = cfg->listener;
    if (l == INVALID_SOCKET) {
        if (xchg_listen(cfg->family, &l, &x.port, res->err, sizeof res->err) != 0)
            goto out;
    } else {
        struct sockaddr_storage ss;
        int len = (int)sizeof ss;
        if (wsp_getsockname(l, (struct sockaddr *)&ss, &len) != 0) {
            snprintf(res->err, sizeof res->err, "getsockname(listener): %s",
                     xchg_ename(WSAGetLastError()));
            goto out;
        }
        x.port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                : ((struct sockaddr_in *)&ss)->sin_port);
    }
    atomic_store(&x.listener, l);
    res->port = x.port;

    SOCKET c = WSASocketA(cfg->family, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    if (c == INVALID_SOCKET) {
        xchg_fail(&x, "WSASocketA(client): %s", xchg_ename(WSAGetLastError()));
        goto out;
    }
    atomic_store(&x.client, c);

    pthread_t srv, cli;
    if (pthread_create(&srv, NULL, xchg_server, &x) != 0) {
        xchg_fail(&x, "pthread_create");
        goto out;
    }
    if (pthread_create(&cli, NULL, xchg_client, &x) != 0) {
        xchg_fail(&x, "pthread_create");
        pthread_join(srv, NULL);
        goto out;
    }
    pthread_join(cli, NULL);
    pthread_join(srv, NULL);
out:
    /* The client closes only after the server has seen the whole release. */
    xchg_close_once(&x.client);
    if (cfg->listener == INVALID_SOCKET)
        xchg_close_once(&x.listener);
    pthread_mutex_destroy(&x.mu);
}
