/* SPDX-License-Identifier: MIT */
#include "soak_conn.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak_check.h"

static const char *const soak_phase_names[] = {
    [SOAK_PH_IDLE] = "idle",
    [SOAK_PH_CONNECT] = "connect/accept",
    [SOAK_PH_REQUEST] = "client header",
    [SOAK_PH_SEND] = "sending",
    [SOAK_PH_DISCONNECT] = "SendDisconnect",
    [SOAK_PH_RECV] = "receiving",
    [SOAK_PH_DISCDATA] = "disconnect data",
    [SOAK_PH_CLOSED] = "closed",
    [SOAK_PH_FAILED] = "failed",
};

const char *soak_phase_name(int phase)
{
    return phase >= 0 && phase <= SOAK_PH_FAILED ? soak_phase_names[phase] : "?";
}

static int soak_fail(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *soak_send_error(int e)
{
    return e < 0 ? "a short send (one send must be one whole TSDU)" : soak_ename(e);
}

static void soak_io_phase(const struct soak_io *io, int phase)
{
    atomic_store(&io->side->phase, phase);
}

static void soak_io_moved(const struct soak_io *io, size_t n)
{
    atomic_fetch_add(&io->side->moved, n);
    atomic_fetch_add(io->progress, n + 1);
}

int soak_conn_request(SOCKET s, enum soak_prov prov, const struct soak_plan *p, char *why,
                      size_t why_len)
{
    struct soak_hdr h = {p->index, SOAK_FLAG_SERVER_SENDS, 0};
    uint8_t hdr[SOAK_HDR_LEN];
    soak_hdr_encode(&h, hdr);
    int e = soak_send(s, prov == SOAK_ITOT, hdr, sizeof hdr);
    return e ? soak_fail(why, why_len, "client: WSASend of its header: %s", soak_send_error(e)) : 0;
}

int soak_conn_identify(SOCKET s, enum soak_prov prov, struct soak_hdr *h, char *why, size_t why_len)
{
    uint8_t buf[SOAK_HDR_LEN * 2];
    size_t have = 0;
    /* tcp: exactly the header's octets, so that none of the payload is taken;
     * itot: one message, which must be exactly the header. */
    size_t ask = prov == SOAK_ITOT ? sizeof buf : SOAK_HDR_LEN;
    while (have < SOAK_HDR_LEN) {
        WSABUF b = {(ULONG)(ask - have), (CHAR *)buf + have};
        DWORD n = 0, flags = 0;
        if (WSARecv(s, &b, 1, &n, &flags, NULL, NULL) != 0)
            return soak_fail(why, why_len,
                             "server: WSARecv of the client's header failed with %s after %zu "
                             "octets",
                             soak_ename(WSAGetLastError()), have);
        have += n;
        if (prov == SOAK_ITOT) {
            if (have != SOAK_HDR_LEN || (flags & MSG_PARTIAL))
                return soak_fail(why, why_len,
                                 "server: the client's first message is %zu octets%s, expected "
                                 "%u",
                                 have, flags & MSG_PARTIAL ? " and more" : "", SOAK_HDR_LEN);
        } else if (n == 0) {
            return soak_fail(why, why_len,
                             "server: the connection ended after %zu octets of the client's "
                             "header",
                             have);
        }
    }
    if (soak_hdr_decode(buf, h) != 0)
        return soak_fail(why, why_len, "server: the client's header has a wrong magic");
    return 0;
}

static int soak_conn_disconnect(SOCKET s, enum soak_prov prov, const struct soak_plan *p, char *why,
                                size_t why_len)
{
    WSABUF d = {p->disc_len, (CHAR *)p->disc};
    LPWSABUF arg = &d;
    if (prov == SOAK_TCP) {
        arg = NULL; /* TCP has no disconnect data (WSAENOPROTOOPT with any) */
    } else if (p->disc_by_option) {
        /* D9: the data set with SO_DISCDATA goes with a SendDisconnect without data. */
        if (wsp_setsockopt(s, SOL_SOCKET, SO_DISCDATA, (const char *)p->disc, (int)p->disc_len))
            return soak_fail(why, why_len, "setsockopt(SO_DISCDATA, %u octets): %s", p->disc_len,
                             soak_ename(WSAGetLastError()));
        arg = NULL;
    } else if (p->disc_len == 0 && (p->index & 1)) {
        arg = NULL; /* D2: NULL and len 0 both mean "no data"; use both */
    }
    if (WSASendDisconnect(s, arg) != 0)
        return soak_fail(why, why_len, "WSASendDisconnect (%u octets of data%s): %s", p->disc_len,
                         p->disc_by_option ? " via SO_DISCDATA" : "",
                         soak_ename(WSAGetLastError()));
    return 0;
}

int soak_conn_send(SOCKET s, enum soak_prov prov, const struct soak_plan *p,
                   const struct soak_io *io, char *why, size_t why_len)
{
    bool msg = prov == SOAK_ITOT;
    soak_io_phase(io, SOAK_PH_SEND);
    uint8_t edge[SOAK_HDR_LEN];
    struct soak_hdr h = {p->index, 0, p->size};
    soak_hdr_encode(&h, edge);
    int e = soak_send(s, msg, edge, SOAK_HDR_LEN);
    if (e)
        return soak_fail(why, why_len, "WSASend of the header: %s", soak_send_error(e));

    size_t cap = p->size < p->max_chunk ? (size_t)p->size : p->max_chunk;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf)
        return soak_fail(why, why_len, "out of memory (%zu octets)", cap);
    struct soak_chunks ch;
    struct soak_sum sum;
    soak_chunks_init(&ch, p, msg);
    soak_sum_init(&sum);
    uint64_t off = 0, sends = 0;
    size_t len;
    while (soak_chunks_next(&ch, &len)) {
        soak_fill(p->data_seed, off, buf, len);
        soak_sum_update(&sum, buf, len);
        e = soak_send(s, msg, buf, len);
        if (e) {
            free(buf);
            return soak_fail(why, why_len,
                             "WSASend #%" PRIu64 " (%zu octets at payload offset %" PRIu64 "): %s",
                             sends, len, off, soak_send_error(e));
        }
        off += len;
        sends++;
        soak_io_moved(io, len);
    }
    free(buf);

    soak_trl_encode(soak_sum_final(&sum), edge);
    e = soak_send(s, msg, edge, SOAK_TRL_LEN);
    if (e)
        return soak_fail(why, why_len, "WSASend of the trailer: %s", soak_send_error(e));
    /* Right after the last send, as the contract allows: D5 puts the release
     * behind every octet already accepted. */
    soak_io_phase(io, SOAK_PH_DISCONNECT);
    return soak_conn_disconnect(s, prov, p, why, why_len);
}

static int soak_conn_discdata(SOCKET s, const struct soak_plan *p, char *why, size_t why_len)
{
    uint8_t d[SOAK_DISC_MAX];
    int len = (int)sizeof d;
    const char *how = p->read_by_option ? "getsockopt(SO_DISCDATA)" : "WSARecvDisconnect";
    int rc;
    if (p->read_by_option) {
        rc = wsp_getsockopt(s, SOL_SOCKET, SO_DISCDATA, (char *)d, &len);
    } else {
        WSABUF b = {(ULONG)sizeof d, (CHAR *)d};
        rc = WSARecvDisconnect(s, &b);
        len = (int)b.len;
    }
    if (rc != 0)
        return soak_fail(why, why_len, "%s: %s", how, soak_ename(WSAGetLastError()));
    if ((unsigned)len != p->disc_len || memcmp(d, p->disc, p->disc_len) != 0)
        return soak_fail(why, why_len, "%s gave %d octets, not the sender's %u%s", how, len,
                         p->disc_len, (unsigned)len == p->disc_len ? " (contents differ)" : "");
    int reason = -1;
    len = (int)sizeof reason;
    if (wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_DISCREASON, (char *)&reason, &len) != 0)
        return soak_fail(why, why_len, "getsockopt(WSP_ITOT_DISCREASON): %s",
                         soak_ename(WSAGetLastError()));
    if (reason != WSP_ITOT_DR_NORMAL)
        return soak_fail(why, why_len, "disconnect reason %d, expected 128 (normal)", reason);
    return 0;
}

int soak_conn_recv(SOCKET s, enum soak_prov prov, const struct soak_plan *p, bool header_done,
                   uint8_t *buf, size_t cap, const struct soak_io *io, char *why, size_t why_len)
{
    bool msg = prov == SOAK_ITOT;
    struct soak_check c;
    soak_check_init(&c, p, msg, header_done, why, why_len);
    /* Receive sizes vary too: small ones cut messages (MSG_PARTIAL) and the
     * stream at every place, big ones move the volume. */
    struct soak_rng r;
    soak_rng_seed(&r, p->chunk_seed ^ 0x52454356ull);
    soak_io_phase(io, SOAK_PH_RECV);
    for (;;) {
        size_t want = 1 + (size_t)soak_rng_below(&r, soak_rng_below(&r, 4) ? cap : 4096);
        WSABUF b = {(ULONG)want, (CHAR *)buf};
        DWORD n = 0, flags = 0;
        if (WSARecv(s, &b, 1, &n, &flags, NULL, NULL) != 0) {
            int e = WSAGetLastError();
            if (msg && e == WSAEDISCON)
                break;
            char where[128];
            soak_check_where(&c, where, sizeof where);
            return soak_fail(why, why_len, "WSARecv failed with %s (at %s)", soak_ename(e), where);
        }
        if (!msg && n == 0)
            break;
        soak_io_moved(io, n);
        if (soak_check_data(&c, buf, n) != 0)
            return -1;
        if (msg && !(flags & MSG_PARTIAL) && soak_check_eom(&c) != 0)
            return -1;
    }
    if (soak_check_end(&c) != 0)
        return -1;
    if (!msg)
        return 0;
    soak_io_phase(io, SOAK_PH_DISCDATA);
    return soak_conn_discdata(s, p, why, why_len);
}
