/* SPDX-License-Identifier: MIT */
/* options — WSPGetSockOpt, WSPSetSockOpt and WSPIoctl of itot sockets:
 * connect/disconnect data (SO_CONNDATA, SO_DISCDATA and their lengths), the
 * WSP_SOL_ITOT options, and the few SOL_SOCKET options passed to TCP. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include <wsp/mswsock.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/spi_opt.h"
#include "common/umem.h"
#include "provider.h"

static int get_sol_socket(struct itot_sock *s, int name, char *optval, LPINT optlen)
{
    const struct conn *c = s->has_conn ? &s->conn : NULL;
    switch (name) {
    case SO_CONNECT_TIME: {
        /* Seconds since the connection was established, 0xFFFFFFFF when not
         * connected (SOL_SOCKET socket options page). */
        DWORD v = 0xFFFFFFFFu;
        if (c && (c->state == CONN_S_OPEN || c->state == CONN_S_DR_SENT) && s->connected_ms != 0)
            v = (DWORD)((itot_now_ms() - s->connected_ms) / 1000u);
        return spi_opt_out(optval, optlen, &v, sizeof v);
    }
    case SO_CONNDATA:
        /* After the exchange: what the peer sent; before: what we will send. */
        if (c && c->state != CONN_S_IDLE && c->state != CONN_S_CR_SENT)
            return spi_opt_out(optval, optlen, c->peer_conn_data, c->peer_conn_data_len);
        return spi_opt_out(optval, optlen, s->conn_data, s->conn_data_len);
    case SO_CONNDATALEN:
        if (c && c->state != CONN_S_IDLE && c->state != CONN_S_CR_SENT)
            return spi_opt_out_int(optval, optlen, c->peer_conn_data_len);
        return spi_opt_out_int(optval, optlen, s->conn_data_len);
    case SO_DISCDATA:
        if (c && c->peer_disc)
            return spi_opt_out(optval, optlen, c->disc_data, c->disc_data_len);
        return spi_opt_out(optval, optlen, s->disc_data, s->disc_data_len);
    case SO_DISCDATALEN:
        return spi_opt_out_int(optval, optlen,
                               c && c->peer_disc ? c->disc_data_len : s->disc_data_len);
    case SO_CONNOPT:
    case SO_DISCOPT:
        return spi_opt_out(optval, optlen, NULL, 0);
    case SO_CONNOPTLEN:
    case SO_DISCOPTLEN:
        return spi_opt_out_int(optval, optlen, 0);
    case SO_PROTOCOL_INFOW:
    case SO_PROTOCOL_INFOA:
        return spi_opt_out_proto(optval, optlen, s->proto, name);
    case SO_MAX_MSG_SIZE:
        return spi_opt_out_int(optval, optlen, (int)s->cfg.max_tsdu);
    case SO_TYPE:
        return spi_opt_out_int(optval, optlen, SOCK_SEQPACKET);
    case SO_ACCEPTCONN:
        return spi_opt_out_int(optval, optlen, s->kind == ITOT_K_LISTEN);
    case SO_RCVTIMEO:
    case SO_SNDTIMEO: {
        /* SOL_SOCKET options page: a DWORD of milliseconds */
        DWORD ms = s->timeo_ms[name == SO_SNDTIMEO];
        return spi_opt_out(optval, optlen, &ms, sizeof ms);
    }
    case SO_ERROR: {
        /* Cleared once read: not when the read fails (D1). */
        int r = spi_opt_out_int(optval, optlen, s->so_error);
        if (r == 0)
            s->so_error = 0;
        return r;
    }
    case SO_LINGER:
    case SO_RCVBUF:
    case SO_SNDBUF:
    case SO_KEEPALIVE:
    case SO_REUSEADDR: {
        if (s->fd < 0)
            return WSAENOTCONN;
        char buf[sizeof(struct linger)];
        socklen_t n = sizeof buf;
        if (sys_getsockopt(s->fd, SOL_SOCKET, name, buf, &n) != 0)
            return errmap_from_errno(errno);
        return spi_opt_out(optval, optlen, buf, (int)n);
    }
    default:
        return WSAENOPROTOOPT;
    }
}

static int get_itot(struct itot_sock *s, int name, char *optval, LPINT optlen)
{
    const struct conn *c = s->has_conn ? &s->conn : NULL;
    switch (name) {
    case WSP_ITOT_CLASS:
        return spi_opt_out_int(optval, optlen, c && c->cls >= 0 ? c->cls : s->cfg.class_pref);
    case WSP_ITOT_CALLING_TSAP:
        return spi_opt_out(optval, optlen, s->cfg.calling, s->cfg.calling_len);
    case WSP_ITOT_CALLED_TSAP:
        return spi_opt_out(optval, optlen, s->cfg.called, s->cfg.called_len);
    case WSP_ITOT_DISCREASON:
        if (c == NULL || !c->peer_disc)
            return WSAENOTCONN;
        return spi_opt_out_int(optval, optlen, c->disc_reason);
    case WSP_ITOT_TPDU_SIZE:
        return spi_opt_out_int(optval, optlen,
                               (int)(c && c->cls >= 0 ? c->tpdu_max : s->cfg.tpdu_size));
    case WSP_ITOT_MAX_TSDU:
        return spi_opt_out_int(optval, optlen, (int)s->cfg.max_tsdu);
    case WSP_ITOT_CR_TIMEOUT_MS:
        return spi_opt_out_int(optval, optlen, (int)s->cfg.cr_timeout_ms);
    case WSP_ITOT_DC_TIMEOUT_MS:
        return spi_opt_out_int(optval, optlen, (int)s->cfg.dc_timeout_ms);
    case WSP_ITOT_MAX_PENDING:
        return spi_opt_out_int(optval, optlen, s->lst.max_pending);
    case WSP_ITOT_REJECT_REASON:
        return spi_opt_out_int(optval, optlen, s->lst.reject_reason);
    case WSP_ITOT_CR_WAIT_MS:
        return spi_opt_out_int(optval, optlen, (int)s->lst.cr_wait_ms);
    case WSP_ITOT_MAX_SILENT_PER_SOURCE:
        return spi_opt_out_int(optval, optlen, s->lst.max_silent_per_source);
    case WSP_ITOT_TPDU_LOG: {
        if (c == NULL || c->log == NULL)
            return s->cfg.log_tpdus ? spi_opt_out(optval, optlen, NULL, 0) : WSAENOPROTOOPT;
        int have;
        if (optlen == NULL || umem_read(&have, optlen, sizeof have) != 0 || have < 0)
            return WSAEFAULT;
        struct conn_log_entry e[16];
        size_t max = (size_t)have / sizeof(WSP_ITOT_TPDU_LOG_ENTRY);
        size_t n = conn_log_take(&s->conn, e, max < 16 ? max : 16);
        _Static_assert(sizeof e[0] == sizeof(WSP_ITOT_TPDU_LOG_ENTRY), "log entry layout");
        return spi_opt_out(optval, optlen, e, (int)(n * sizeof e[0]));
    }
    case WSP_ITOT_PEER_END: {
        /* so_error holds the TCP failure (ECONNRESET, ...) that ended it. */
        int end = c == NULL || !c->peer_disc ? WSP_ITOT_END_NONE
                  : c->peer_dr               ? WSP_ITOT_END_DR
                  : s->so_error != 0         ? WSP_ITOT_END_TCP_RESET
                                             : WSP_ITOT_END_TCP_CLOSE;
        return spi_opt_out_int(optval, optlen, end);
    }
    case WSP_ITOT_FALLBACK: {
        WSP_ITOT_FALLBACK_INFO fb = {.kind = s->fb_kind, .detail = s->fb_detail};
        return spi_opt_out(optval, optlen, &fb, (int)sizeof fb);
    }
    case WSP_ITOT_MEMORY: {
        WSP_ITOT_MEMORY_INFO m;
        itot_memory(&m);
        return spi_opt_out(optval, optlen, &m, (int)sizeof m);
    }
    default:
        return WSAENOPROTOOPT;
    }
}

static int set_bytes(uint8_t *dst, uint8_t *dst_len, size_t max, const char *optval, int optlen)
{
    if (optlen < 0)
        return WSAEINVAL;
    if ((size_t)optlen > max)
        return WSAEMSGSIZE;
    /* Through a copy: a read that faults half way must leave the old value (D1). */
    uint8_t tmp[UINT8_MAX];
    if (optlen > 0 && (optval == NULL || umem_read(tmp, optval, (size_t)optlen) != 0))
        return WSAEFAULT;
    memcpy(dst, tmp, (size_t)optlen);
    *dst_len = (uint8_t)optlen;
    return 0;
}

static int set_sol_socket(struct itot_sock *s, int name, const char *optval, int optlen)
{
    switch (name) {
    case SO_UPDATE_ACCEPT_CONTEXT: {
        /* After AcceptEx, with the listener's handle: the accepted socket
         * already has its addresses and options (extension.c), so the call
         * only checks its argument, as Windows requires it. */
        SOCKET l;
        if (spi_opt_in(optval, optlen, &l, sizeof l) != 0)
            return WSAEFAULT;
        return s->has_conn ? 0 : WSAENOTCONN;
    }
    case SO_UPDATE_CONNECT_CONTEXT: /* after ConnectEx: no value, nothing to update */
        return s->has_conn ? 0 : WSAENOTCONN;
    case SO_CONNDATA:
        return set_bytes(s->conn_data, &s->conn_data_len, TPDU_MAX_CONN_DATA, optval, optlen);
    case SO_DISCDATA:
        return set_bytes(s->disc_data, &s->disc_data_len, TPDU_MAX_DISC_DATA, optval, optlen);
    case SO_CONNDATALEN:
    case SO_DISCDATALEN: {
        /* Windows: announces the length of data to come; only the range is checked. */
        int v;
        if (spi_opt_in_int(optval, optlen, &v) != 0)
            return WSAEFAULT;
        int max = name == SO_CONNDATALEN ? TPDU_MAX_CONN_DATA : TPDU_MAX_DISC_DATA;
        return v < 0 || v > max ? WSAEMSGSIZE : 0;
    }
    case SO_RCVTIMEO:
    case SO_SNDTIMEO: {
        DWORD ms;
        if (spi_opt_in(optval, optlen, &ms, sizeof ms) != 0)
            return WSAEFAULT;
        s->timeo_ms[name == SO_SNDTIMEO] = ms;
        return 0;
    }
    case SO_LINGER:
    case SO_RCVBUF:
    case SO_SNDBUF:
    case SO_KEEPALIVE:
    case SO_REUSEADDR: {
        /* SO_LINGER is accepted but never makes SendDisconnect or close block (C11).
         * Windows' setsockopt: WSAEFAULT when optlen is too small for the
         * value; a larger optlen is fine (only the value is read). */
        char buf[sizeof(struct linger)];
        size_t need = name == SO_LINGER ? sizeof(struct linger) : sizeof(int);
        if (spi_opt_in(optval, optlen, buf, need) != 0)
            return WSAEFAULT;
        if (name == SO_LINGER)
            return 0;
        if (s->fd < 0 || sys_setsockopt(s->fd, SOL_SOCKET, name, buf, (socklen_t)need) != 0)
            return s->fd < 0 ? WSAENOTCONN : errmap_from_errno(errno);
        return 0;
    }
    default:
        return WSAENOPROTOOPT;
    }
}

static int set_itot(struct itot_sock *s, int name, const char *optval, int optlen)
{
    bool started = s->has_conn;
    if (name == WSP_ITOT_CALLING_TSAP || name == WSP_ITOT_CALLED_TSAP) {
        if (started)
            return WSAEISCONN;
        return name == WSP_ITOT_CALLING_TSAP
                   ? set_bytes(s->cfg.calling, &s->cfg.calling_len, TPDU_MAX_TSAP, optval, optlen)
                   : set_bytes(s->cfg.called, &s->cfg.called_len, TPDU_MAX_TSAP, optval, optlen);
    }
    int v;
    if (spi_opt_in_int(optval, optlen, &v) != 0)
        return WSAEFAULT;
    switch (name) {
    case WSP_ITOT_CLASS:
        if (v != -1 && v != 0 && v != 2)
            return WSAEINVAL;
        if (started)
            return WSAEISCONN;
        s->cfg.class_pref = v;
        return 0;
    case WSP_ITOT_TPDU_SIZE:
        if (v < (int)CONN_MIN_TPDU_SIZE || v > TPDU_MAX_LEN)
            return WSAEINVAL;
        if (started)
            return WSAEISCONN;
        s->cfg.tpdu_size = (uint32_t)v;
        s->cfg.tpdu_size_set = true; /* a class 0 CR may now carry F0 (conn.c) */
        return 0;
    case WSP_ITOT_MAX_TSDU:
        if (v < 1)
            return WSAEINVAL;
        if (started)
            return WSAEISCONN;
        s->cfg.max_tsdu = (uint32_t)v;
        return 0;
    case WSP_ITOT_CR_TIMEOUT_MS:
    case WSP_ITOT_DC_TIMEOUT_MS:
        if (v < 0)
            return WSAEINVAL;
        if (name == WSP_ITOT_CR_TIMEOUT_MS)
            s->cfg.cr_timeout_ms = (uint32_t)v;
        else
            s->cfg.dc_timeout_ms = (uint32_t)v;
        if (started) {
            /* A running connection takes the new release timeout for its next release. */
            s->conn.cfg.cr_timeout_ms = s->cfg.cr_timeout_ms;
            s->conn.cfg.dc_timeout_ms = s->cfg.dc_timeout_ms;
        }
        return 0;
    case WSP_ITOT_MAX_PENDING:
        if (v < 1)
            return WSAEINVAL;
        s->lst.max_pending = v;
        itot_engine_update(s);
        return 0;
    case WSP_ITOT_REJECT_REASON:
        /* Only reasons ISO 8073 lists: a peer (and tshark) cannot read others. */
        if (v < 0 || v > 255 || tpdu_dr_reason_name((uint8_t)v) == NULL)
            return WSAEINVAL;
        s->lst.reject_reason = (uint8_t)v;
        return 0;
    case WSP_ITOT_CR_WAIT_MS:
        /* Taken by connections accepted from now on. */
        if (v < 0)
            return WSAEINVAL;
        s->lst.cr_wait_ms = (uint32_t)v;
        return 0;
    case WSP_ITOT_MAX_SILENT_PER_SOURCE:
        if (v < 1)
            return WSAEINVAL;
        s->lst.max_silent_per_source = v;
        s->lst.trim_due = true; /* a lower bound may evict at once: the engine trims */
        itot_engine_update(s);
        return 0;
    case WSP_ITOT_TPDU_LOG:
        if (started)
            return WSAEISCONN;
        s->cfg.log_tpdus = v != 0;
        return 0;
    case WSP_ITOT_DISCREASON:
    case WSP_ITOT_PEER_END:
    case WSP_ITOT_FALLBACK:
    case WSP_ITOT_MEMORY:
        return WSAEINVAL; /* read only */
    default:
        return WSAENOPROTOOPT;
    }
}

/* The option levels of an itot socket and their handlers (lock held). */
static const struct itot_opt_level {
    int level;
    int (*get)(struct itot_sock *s, int name, char *optval, LPINT optlen);
    int (*set)(struct itot_sock *s, int name, const char *optval, int optlen);
} itot_opt_levels[] = {
    {SOL_SOCKET, get_sol_socket, set_sol_socket},
    {WSP_SOL_ITOT, get_itot, set_itot},
};

/* The handlers of level, or NULL: Winsock answers an unknown level with WSAEINVAL. */
static const struct itot_opt_level *itot_opt_level(int level)
{
    for (size_t i = 0; i < sizeof itot_opt_levels / sizeof itot_opt_levels[0]; i++)
        if (itot_opt_levels[i].level == level)
            return &itot_opt_levels[i];
    return NULL;
}

/* The options that report how the peer ended the connection. */
static bool tells_the_peers_end(int level, int optname)
{
    if (level == SOL_SOCKET)
        return optname == SO_DISCDATA || optname == SO_DISCDATALEN;
    return level == WSP_SOL_ITOT &&
           (optname == WSP_ITOT_DISCREASON || optname == WSP_ITOT_PEER_END);
}

int WSPAPI itot_WSPGetSockOpt(SOCKET h, int level, int optname, char *optval, LPINT optlen,
                              LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    const struct itot_opt_level *lv = itot_opt_level(level);
    if (lv == NULL)
        return spi_fail(lpErrno, WSAEINVAL);
    pthread_mutex_lock(&s->lock);
    /* A DR waiting in TCP on a socket whose receivers read its input (no
     * engine watching it) counts as arrived, as with the engine reading. */
    if (tells_the_peers_end(level, optname))
        itot_input_look(s);
    err = lv->get(s, optname, optval, optlen);
    pthread_mutex_unlock(&s->lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

int WSPAPI itot_WSPSetSockOpt(SOCKET h, int level, int optname, const char *optval, int optlen,
                              LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    const struct itot_opt_level *lv = itot_opt_level(level);
    if (lv == NULL)
        return spi_fail(lpErrno, WSAEINVAL);
    pthread_mutex_lock(&s->lock);
    err = lv->set(s, optname, optval, optlen);
    pthread_mutex_unlock(&s->lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

/* The controls of an itot socket (lock not held); *produced: output octets. */
static int ioctl_run(struct itot_sock *s, DWORD code, LPVOID in, DWORD cbIn, LPVOID out,
                     DWORD cbOut, DWORD *produced)
{
    int err = 0;
    pthread_mutex_lock(&s->lock);
    if (code == (DWORD)WSP_FIONBIO || code == (DWORD)FIONBIO) {
        u_long v;
        if (in == NULL || cbIn < sizeof v || umem_read(&v, in, sizeof v) != 0)
            err = WSAEFAULT;
        else if (v == 0 && s->event != NULL && s->ev_mask != 0)
            err = WSAEINVAL; /* Winsock: WSAEventSelect keeps the socket non-blocking */
        else
            s->nonblocking = v != 0;
    } else if (code == (DWORD)WSP_FIONREAD || code == (DWORD)FIONREAD) {
        /* The unread rest of the next TSDU. */
        itot_input_look(s);
        u_long v = s->has_conn ? (u_long)conn_rx_next_len(&s->conn) : 0;
        if (out == NULL || cbOut < sizeof v || umem_write(out, &v, sizeof v) != 0)
            err = WSAEFAULT;
        *produced = sizeof v;
    } else if (code == (DWORD)WSP_SIOCATMARK) {
        u_long v = 1; /* no expedited data is ever pending */
        if (out == NULL || cbOut < sizeof v || umem_write(out, &v, sizeof v) != 0)
            err = WSAEFAULT;
        *produced = sizeof v;
    } else if (code == (DWORD)SIO_GET_EXTENSION_FUNCTION_POINTER) {
        /* AcceptEx, ConnectEx ... are this provider's (extension.c). */
        err = itot_ext_pointer(in, cbIn, out, cbOut, produced);
    } else {
        err = WSAEINVAL;
    }
    pthread_mutex_unlock(&s->lock);
    return err;
}

int WSPAPI itot_WSPIoctl(SOCKET h, DWORD code, LPVOID in, DWORD cbIn, LPVOID out, DWORD cbOut,
                         LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED lpOverlapped,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                         LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    if (code == (DWORD)SIO_WSP_CANCEL_OVERLAPPED) { /* CancelIoEx: one operation, or all */
        LPWSAOVERLAPPED ov = NULL;
        if ((err = ovl_cancel_arg(in, cbIn, &ov)) == 0)
            err = itot_ovl_cancel(s, ov, false);
        return err ? spi_fail(lpErrno, err) : 0;
    }
    if (code == (DWORD)SIO_WSP_CANCEL_OVERLAPPED_THREAD) { /* CancelIo: the calling thread's */
        err = itot_ovl_cancel(s, NULL, true);
        return err ? spi_fail(lpErrno, err) : 0;
    }
    /* Windows: lpOverlapped is ignored on a socket made without
     * WSA_FLAG_OVERLAPPED; on an overlapped one the control (none of them
     * waits) runs now and its completion is reported as well (WSAIoctl). */
    struct ovl_op *op = NULL;
    if (lpOverlapped != NULL && s->overlapped &&
        (err = itot_ovl_ioctl(s, lpOverlapped, lpCompletionRoutine, lpThreadId, &op)) != 0)
        return spi_fail(lpErrno, err);
    DWORD produced = 0;
    err = ioctl_run(s, code, in, cbIn, out, cbOut, &produced);
    if (err == 0 && lpcbBytesReturned != NULL &&
        umem_write(lpcbBytesReturned, &produced, sizeof produced) != 0)
        err = WSAEFAULT; /* D4 */
    ovl_settle(op, err, produced);
    return err ? spi_fail(lpErrno, err) : 0;
}
