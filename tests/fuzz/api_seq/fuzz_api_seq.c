/* SPDX-License-Identifier: MIT */
/* A stateful fuzzer at the Winsock API: each input is a script of calls on one
 * connected pair (tcp or itot over loopback) — sends, receives, SendDisconnect,
 * shutdown, options, ioctls, select, close — with arguments that include bad
 * pointers (NULL, PROT_NONE pages, read-only pages, buffers running into a
 * guard page).  The codec and state-machine fuzzers never reach the sockets and
 * engines; this one drives them through libwsp, the SPI and the real modules.
 *
 * What must hold (FUZZ_CHECK aborts otherwise):
 *   - no crash, no hang (every wait has a deadline; libFuzzer's -timeout too);
 *   - a call that succeeds wrote its out-parameters, so it cannot have been
 *     given a bad out-pointer, nor claim data from unreadable memory;
 *   - WSAEFAULT only when a bad pointer was passed, and then nothing was sent
 *     or consumed (D1): the peer's stream is exactly what successful sends put;
 *   - every byte received is the byte sent at that offset (a pattern keyed by
 *     direction and offset), itot messages keep their boundaries (never a
 *     merged or split TSDU), and at the end of the stream (0 / WSAEDISCON)
 *     everything sent was received, unless a reset or an abortive close made
 *     loss legitimate;
 *   - after a successful SendDisconnect or shutdown(SD_SEND) sends fail with
 *     WSAESHUTDOWN (C2); a closed handle answers WSAENOTSOCK (C5); itot's
 *     disconnect data arrives as sent (C3).
 * All sockets are non-blocking, so a call that waits is itself a finding. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "fuzz/fuzz_check.h"

static bool verbose; /* FUZZ_API_SEQ_VERBOSE: print each call and the flows */

/* ---- input reader -------------------------------------------------------- */
struct in {
    const uint8_t *p;
    size_t n;
};

static unsigned in_u8(struct in *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static unsigned in_u16(struct in *r)
{
    unsigned hi = in_u8(r);
    return hi << 8 | in_u8(r);
}

/* ---- memory the scripts point into -------------------------------------- */
#define PAGE 4096u
#define DATA_MAX (1u << 20) /* largest send or receive buffer */

static uint8_t *tx_area;    /* DATA_MAX bytes, then a PROT_NONE guard page */
static uint8_t *rx_area;    /* likewise */
static uint8_t *none_page;  /* PROT_NONE: reads and writes fault */
static uint8_t *ro_page;    /* read-only: writes fault */
static uint8_t *wsabuf_end; /* a WSABUF-sized slot right before a guard page */

static void *map_guarded(size_t len)
{
    uint8_t *m = mmap(NULL, len + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FUZZ_CHECK(m != MAP_FAILED);
    FUZZ_CHECK(mprotect(m + len, PAGE, PROT_NONE) == 0);
    return m;
}

static void memory_init(void)
{
    tx_area = map_guarded(DATA_MAX);
    rx_area = map_guarded(DATA_MAX);
    none_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ro_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    wsabuf_end = map_guarded(PAGE);
    FUZZ_CHECK(none_page != MAP_FAILED && ro_page != MAP_FAILED);
}

/* The byte at stream offset off of direction dir (0: A->B, 1: B->A). */
static uint8_t pattern(int dir, size_t off)
{
    uint32_t x = (uint32_t)off * 2654435761u;
    return (uint8_t)((x >> 13) ^ (uint8_t)off ^ (dir ? 0x5a : 0xa5));
}

/* ---- the model of one connection ---------------------------------------- */
#define MSG_MAX 4096

struct flow {                /* one direction */
    size_t sent;             /* bytes successful sends put on it */
    size_t msg_end[MSG_MAX]; /* itot: cumulative end of each TSDU */
    size_t nmsg;
    size_t got;       /* bytes received and checked */
    size_t got_msg;   /* itot: index of the TSDU being received */
    bool ended;       /* the receiver saw the end (0 / WSAEDISCON) */
    bool lossy;       /* a reset or abortive close: loss is legitimate */
    uint8_t disc[64]; /* itot: disconnect data of the sender's release */
    int disc_len;     /* -1: no release yet; -2: not known (SO_DISCDATA set) */
};

struct side {
    SOCKET s;
    bool closed;
    bool send_shut; /* a successful SendDisconnect / shutdown(SD_SEND|SD_BOTH) */
    bool recv_shut;
};

static struct {
    bool itot;
    struct side side[2];
    struct flow flow[2]; /* flow[d]: sent by side d, received by side 1-d */
} m;

/* ---- set-up: one listener per provider, one pair per input -------------- */
static SOCKET listener[2];
static struct sockaddr_in listen_addr[2];

static SOCKET new_socket(bool itot)
{
    SOCKET s = itot ? WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0)
                    : WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
    FUZZ_CHECK(s != INVALID_SOCKET);
    return s;
}

static void set_nonblocking(SOCKET s)
{
    u_long on = 1;
    FUZZ_CHECK(ioctlsocket(s, WSP_FIONBIO, &on) == 0);
}

static void listener_init(int i)
{
    listener[i] = new_socket(i == 1);
    struct sockaddr_in *a = &listen_addr[i];
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(wsp_bind(listener[i], (struct sockaddr *)a, sizeof *a) == 0);
    FUZZ_CHECK(wsp_listen(listener[i], 16) == 0);
    int len = sizeof *a;
    FUZZ_CHECK(wsp_getsockname(listener[i], (struct sockaddr *)a, &len) == 0);
}

static bool wait_writable(SOCKET s, int ms)
{
    wsp_fd_set w, e;
    w.fd_count = e.fd_count = 1;
    w.fd_array[0] = e.fd_array[0] = s;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return wsp_select(0, NULL, &w, &e, &tv) > 0 && w.fd_count == 1;
}

/* A non-blocking connect, then the accept (itot sends its CC only when the
 * connection is accepted, so a blocking connect would wait for us). */
static void pair_open(bool itot, int itot_class)
{
    memset(&m, 0, sizeof m);
    m.itot = itot;
    m.flow[0].disc_len = m.flow[1].disc_len = -1;
    SOCKET c = new_socket(itot);
    if (itot && itot_class != -1)
        FUZZ_CHECK(wsp_setsockopt(c, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&itot_class,
                                  sizeof itot_class) == 0);
    set_nonblocking(c);
    int i = itot ? 1 : 0;
    int rc = wsp_connect(c, (struct sockaddr *)&listen_addr[i], sizeof listen_addr[i]);
    FUZZ_CHECK(rc == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    SOCKET a = wsp_accept(listener[i], NULL, NULL);
    FUZZ_CHECK(a != INVALID_SOCKET);
    FUZZ_CHECK(wait_writable(c, 5000));
    int soerr = -1, len = sizeof soerr;
    FUZZ_CHECK(wsp_getsockopt(c, SOL_SOCKET, SO_ERROR, (char *)&soerr, &len) == 0 && soerr == 0);
    set_nonblocking(a);
    m.side[0].s = c;
    m.side[1].s = a;
}

/* ---- argument kinds ------------------------------------------------------ */
enum ptr_kind { P_GOOD, P_NULL, P_NONE, P_RO, P_CROSS, P_KINDS };

/* An out-pointer of n bytes of the given kind, and whether it is writable. */
static void *out_ptr(unsigned kind, void *good, size_t n, bool *ok)
{
    switch (kind % P_KINDS) {
    case P_NULL:
        *ok = false;
        return NULL;
    case P_NONE:
        *ok = false;
        return none_page;
    case P_RO:
        *ok = false;
        return ro_page;
    case P_CROSS:
        *ok = false;
        return wsabuf_end + PAGE - n / 2; /* runs into the guard */
    default:
        *ok = true;
        return good;
    }
}

/* A data buffer of len bytes for direction dir at stream offset off: its
 * kind decides where it lives; *readable is how many leading bytes can be
 * read (for P_CROSS the part before the guard). */
static char *tx_buffer(unsigned kind, int dir, size_t off, size_t len, size_t *readable)
{
    uint8_t *b;
    switch (kind % P_KINDS) {
    case P_NULL:
        *readable = 0;
        return NULL;
    case P_NONE:
        *readable = 0;
        return (char *)none_page;
    case P_CROSS: {
        size_t in = len / 2; /* half before the guard, half in it */
        b = tx_area + DATA_MAX - in;
        *readable = in;
        for (size_t i = 0; i < in; i++)
            b[i] = pattern(dir, off + i);
        return (char *)b;
    }
    default: /* P_GOOD, and P_RO: read-only is fine for a send */
        b = tx_area;
        *readable = len;
        for (size_t i = 0; i < len; i++)
            b[i] = pattern(dir, off + i);
        return (char *)b;
    }
}

/* ---- checks on received data -------------------------------------------- */
static void check_bytes(int dir, size_t off, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(p[i] == pattern(dir, off + i));
}

/* The receiver of flow f saw its end: nothing may be missing, unless lossy. */
static void flow_ended(struct flow *f)
{
    f->ended = true;
    if (!f->lossy) {
        FUZZ_CHECK(f->got == f->sent);
        if (m.itot)
            FUZZ_CHECK(f->got_msg == f->nmsg);
    }
}

/* Errors that say the connection is gone: loss in both directions is allowed. */
static bool conn_broken(int err)
{
    return err == WSAECONNRESET || err == WSAECONNABORTED || err == WSAENETRESET ||
           err == WSAETIMEDOUT;
}

static void mark_broken(void)
{
    m.flow[0].lossy = m.flow[1].lossy = true;
}

/* ---- operations ---------------------------------------------------------- */
static void op_send(struct in *r, int d)
{
    struct side *sd = &m.side[d];
    struct flow *f = &m.flow[d];
    unsigned sizebits = in_u8(r);
    size_t len = sizebits < 240 ? in_u16(r) % 4097 : (size_t)in_u16(r) * 16 % DATA_MAX;
    unsigned bkind = in_u8(r), akind = in_u8(r), ckind = in_u8(r);
    if (m.itot && f->nmsg == MSG_MAX)
        return;
    size_t readable;
    char *buf = tx_buffer(bkind, d, f->sent, len, &readable);
    WSABUF good[2];
    size_t first = len / 3;
    good[0].buf = buf;
    good[0].len = (ULONG)first;
    good[1].buf = buf == NULL ? NULL : buf + first;
    good[1].len = (ULONG)(len - first);
    bool array_ok = true;
    LPWSABUF arr = good;
    switch (akind % 4) {
    case 1:
        arr = (LPWSABUF)none_page;
        array_ok = false;
        break;
    case 2: /* the second WSABUF lies in the guard page */
        arr = (LPWSABUF)(wsabuf_end + PAGE - sizeof(WSABUF));
        memcpy(arr, &good[0], sizeof(WSABUF));
        array_ok = false;
        break;
    default:
        break;
    }
    DWORD sent_out = 0;
    bool count_ok;
    DWORD *count =
        out_ptr(ckind % 3 == 0 ? ckind / 3 : P_GOOD, &sent_out, sizeof(DWORD), &count_ok);
    int rc = WSASend(sd->s, arr, 2, count, 0, NULL, NULL);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (verbose)
        fprintf(stderr, "send %c len=%zu buf=%u arr=%u count=%u -> rc=%d err=%d sent=%u\n", "AB"[d],
                len, bkind % P_KINDS, akind % 4, ckind % 3 == 0 ? ckind / 3 % P_KINDS : 0, rc, err,
                (unsigned)sent_out);
    if (sd->closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (rc == 0) {
        FUZZ_CHECK(array_ok && count_ok);
        FUZZ_CHECK(!sd->send_shut); /* C2 */
        FUZZ_CHECK(sent_out <= readable || len == 0);
        if (m.itot) {
            FUZZ_CHECK(sent_out == len); /* a TSDU goes whole or not at all */
            f->sent += len;
            f->msg_end[f->nmsg++] = f->sent;
        } else {
            f->sent += sent_out;
        }
        return;
    }
    if (conn_broken(err) || err == WSAEDISCON || err == WSAENOTCONN) {
        mark_broken();
        return;
    }
    if (err == WSAEFAULT) {
        FUZZ_CHECK(!array_ok || !count_ok || readable < len);
        return;
    }
    if (err == WSAESHUTDOWN)
        return; /* our own send side is shut, or (itot) the peer released */
    FUZZ_CHECK(err == WSAEWOULDBLOCK || err == WSAENOBUFS);
}

static void op_recv(struct in *r, int d)
{
    struct side *sd = &m.side[d];
    struct flow *f = &m.flow[1 - d]; /* what the peer sent us */
    size_t len = in_u16(r) % 20000;
    unsigned bkind = in_u8(r), ckind = in_u8(r), fkind = in_u8(r);
    WSABUF wb;
    bool buf_ok = true;
    switch (bkind % 6) {
    case 1:
        wb.buf = NULL;
        buf_ok = len == 0;
        break;
    case 2:
        wb.buf = (char *)none_page;
        buf_ok = len == 0;
        break;
    case 3:
        wb.buf = (char *)ro_page;
        buf_ok = len == 0;
        break;
    case 4:
        wb.buf = (char *)rx_area + DATA_MAX - len / 2; /* the rest in the guard page */
        buf_ok = len == 0;
        break;
    default:
        wb.buf = (char *)rx_area;
        break;
    }
    wb.len = (ULONG)len;
    DWORD got = 0, flags = 0;
    bool count_ok, flags_ok;
    DWORD *count = out_ptr(ckind % 3 == 0 ? ckind / 3 : P_GOOD, &got, sizeof got, &count_ok);
    DWORD *fl = out_ptr(fkind % 3 == 0 ? fkind / 3 : P_GOOD, &flags, sizeof flags, &flags_ok);
    int rc = WSARecv(sd->s, &wb, 1, count, fl, NULL, NULL);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (verbose)
        fprintf(stderr, "recv %c len=%zu buf=%u count_ok=%d flags_ok=%d -> rc=%d err=%d got=%u\n",
                "AB"[d], len, bkind % 6, count_ok, flags_ok, rc, err, (unsigned)got);
    if (sd->closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (rc == 0) {
        FUZZ_CHECK(count_ok && flags_ok);
        FUZZ_CHECK(got <= len);
        /* a buffer running into the guard: at most its readable half */
        FUZZ_CHECK(got == 0 || buf_ok || (bkind % 6 == 4 && got <= len / 2));
        if (!m.itot) {
            if (got == 0 && len > 0) { /* end of stream */
                flow_ended(f);
                return;
            }
            FUZZ_CHECK(f->got + got <= f->sent);
            check_bytes(1 - d, f->got, (const uint8_t *)wb.buf, got);
            f->got += got;
            return;
        }
        /* itot: one TSDU, or a piece of it with MSG_PARTIAL */
        FUZZ_CHECK(f->got_msg < f->nmsg);
        size_t start = f->got_msg ? f->msg_end[f->got_msg - 1] : 0;
        size_t left = f->msg_end[f->got_msg] - f->got;
        FUZZ_CHECK(f->got >= start && got <= left);
        check_bytes(1 - d, f->got, (const uint8_t *)wb.buf, got);
        f->got += got;
        if (flags & MSG_PARTIAL) {
            FUZZ_CHECK(got < left);
        } else {
            FUZZ_CHECK(got == left); /* never a merged or truncated TSDU */
            f->got_msg++;
        }
        return;
    }
    if (err == WSAEDISCON) { /* itot: the peer released, everything before it read */
        FUZZ_CHECK(m.itot);
        flow_ended(f);
        return;
    }
    if (conn_broken(err) || err == WSAENOTCONN) {
        mark_broken();
        return;
    }
    if (err == WSAEFAULT) {
        FUZZ_CHECK(!buf_ok || !count_ok || !flags_ok);
        return;
    }
    if (err == WSAESHUTDOWN) {
        FUZZ_CHECK(sd->recv_shut);
        return;
    }
    FUZZ_CHECK(err == WSAEWOULDBLOCK || err == WSAEMSGSIZE);
}

static void op_disconnect(struct in *r, int d)
{
    struct side *sd = &m.side[d];
    unsigned kind = in_u8(r);
    unsigned len = in_u8(r) % 72;
    uint8_t *data = tx_area;
    for (unsigned i = 0; i < len; i++)
        data[i] = (uint8_t)(0x40 + i * 7 + d);
    WSABUF wb = {len, (char *)data};
    LPWSABUF arg = &wb;
    bool ok = true, len_known = true;
    switch (kind % 5) {
    case 1:
        arg = NULL;
        len = 0;
        break;
    case 2:
        arg = (LPWSABUF)none_page;
        ok = false;
        len_known = false;
        break;
    case 3:
        wb.buf = (char *)none_page;
        ok = len == 0;
        break;
    default:
        break;
    }
    int rc = WSASendDisconnect(sd->s, arg);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (verbose)
        fprintf(stderr, "disconnect %c kind=%u len=%u -> rc=%d err=%d\n", "AB"[d], kind % 5, len,
                rc, err);
    if (sd->closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (rc == 0) {
        FUZZ_CHECK(ok);
        FUZZ_CHECK(m.itot ? len <= 64 : len == 0); /* C6, D3 */
        if (!sd->send_shut && m.itot) {
            /* ISO transport has no half-close: the DR ends both directions,
             * so what the peer still had in flight to us may be lost. */
            m.flow[1 - d].lossy = true;
            struct flow *f = &m.flow[d];
            if (f->disc_len != -2 && len > 0) {
                f->disc_len = (int)len;
                memcpy(f->disc, data, len);
            } else if (f->disc_len == -1) {
                f->disc_len = 0;
            }
        }
        sd->send_shut = true;
        return;
    }
    switch (err) {
    case WSAEFAULT:
        FUZZ_CHECK(!ok);
        return;
    case WSAENOPROTOOPT:
        FUZZ_CHECK(!m.itot && (len > 0 || !len_known));
        return; /* C6 */
    case WSAEMSGSIZE:
        FUZZ_CHECK(m.itot && len > 64);
        return; /* D3 */
    case WSAENOTCONN:
        return; /* D7: already released */
    case WSAEDISCON:
        FUZZ_CHECK(m.itot);
        mark_broken();
        return;
    default:
        FUZZ_CHECK(conn_broken(err));
        mark_broken();
        return;
    }
}

static void op_shutdown(struct in *r, int d)
{
    struct side *sd = &m.side[d];
    int how = (int)(in_u8(r) % 4); /* 3 is invalid */
    int rc = wsp_shutdown(sd->s, how);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (verbose)
        fprintf(stderr, "shutdown %c how=%d -> rc=%d err=%d\n", "AB"[d], how, rc, err);
    if (sd->closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (how == 3) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAEINVAL);
        return;
    }
    if (rc != 0) {
        FUZZ_CHECK(err == WSAENOTCONN || conn_broken(err));
        if (err != WSAENOTCONN)
            mark_broken();
        return;
    }
    if (how != SD_RECEIVE) {
        if (!sd->send_shut && m.itot)
            m.flow[1 - d].lossy = true;
        sd->send_shut = true;
    }
    if (how != SD_SEND) {
        sd->recv_shut = true;
        m.flow[1 - d].lossy = true; /* a shut receive side may drop what comes */
    }
}

/* Options: no crash, WSAEFAULT only for bad pointers, nothing that makes a
 * later call wait (no SO_LINGER with a timeout, no FIONBIO 0). */
struct opt {
    int level, name;
    bool settable;
};
static const struct opt opts[] = {
    {SOL_SOCKET, SO_TYPE, false},
    {SOL_SOCKET, SO_ERROR, false},
    {SOL_SOCKET, SO_RCVBUF, true},
    {SOL_SOCKET, SO_SNDBUF, true},
    {SOL_SOCKET, SO_KEEPALIVE, true},
    {SOL_SOCKET, SO_DISCDATA, true},
    {SOL_SOCKET, SO_CONNDATA, true},
    {SOL_SOCKET, SO_LINGER, true},
    {IPPROTO_TCP, TCP_NODELAY, true},
    {WSP_SOL_ITOT, WSP_ITOT_CLASS, true},
    {WSP_SOL_ITOT, WSP_ITOT_DISCREASON, false},
    {WSP_SOL_ITOT, WSP_ITOT_TPDU_SIZE, true},
    {SOL_SOCKET, 0x7fff, true},
};

static void op_option(struct in *r, int d)
{
    struct side *sd = &m.side[d];
    const struct opt *o = &opts[in_u8(r) % (sizeof opts / sizeof opts[0])];
    bool set = in_u8(r) & 1;
    unsigned vkind = in_u8(r), lkind = in_u8(r);
    int value = (int)in_u16(r);
    uint8_t val[80];
    memset(val, 0, sizeof val);
    int optlen = (int)(lkind % 72);
    bool vok;
    char *v = out_ptr(vkind % 3 == 0 ? vkind / 3 : P_GOOD, val, sizeof val, &vok);
    if (set) {
        if (!o->settable)
            return;
        /* Tiny socket buffers make loopback crawl (a delayed ACK per window):
         * slow is not a finding, so buffer sizes come only from the harness'
         * own int, >= 64 KiB (a one-byte value is a valid Winsock BOOL-style
         * length, and a read-only page reads as 0). */
        bool bufopt = o->level == SOL_SOCKET && (o->name == SO_RCVBUF || o->name == SO_SNDBUF);
        if (bufopt && (optlen < (int)sizeof(int) || v != (char *)val))
            return;
        if (o->level == SOL_SOCKET && o->name == SO_LINGER) {
            struct linger lg = {1, 0}; /* abortive close only: never a wait */
            memcpy(val, &lg, sizeof lg);
            optlen = sizeof lg;
        } else if (optlen >= (int)sizeof(int)) {
            if (bufopt)
                value += 65536;
            memcpy(val, &value, sizeof value);
        }
        if (v == (char *)ro_page)
            vok = true; /* reading it is fine */
        int rc = wsp_setsockopt(sd->s, o->level, o->name, v, optlen);
        int err = rc == 0 ? 0 : WSAGetLastError();
        if (verbose)
            fprintf(stderr, "setsockopt %c level=%#x name=%#x len=%d vok=%d -> rc=%d err=%d\n",
                    "AB"[d], (unsigned)o -> level, (unsigned)o -> name, optlen, vok, rc, err);
        if (sd->closed) {
            FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
            return;
        }
        if (rc == 0 && o->level == SOL_SOCKET && o->name == SO_LINGER && vok)
            mark_broken(); /* a later close will reset */
        if (rc == 0 && o->level == SOL_SOCKET && o->name == SO_DISCDATA)
            m.flow[d].disc_len = -2; /* sent by whichever release comes first (D9) */
        /* WSAEFAULT: a bad pointer, or (Windows) a length too short for the value */
        if (rc != 0 && err == WSAEFAULT)
            FUZZ_CHECK(!vok || optlen < (int)sizeof(struct linger));
        return;
    }
    bool lok;
    int *lenp = out_ptr(lkind % 4 == 0 ? lkind / 4 : P_GOOD, &optlen, sizeof optlen, &lok);
    int rc = wsp_getsockopt(sd->s, o->level, o->name, v, lenp);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (sd->closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (rc == 0) {
        FUZZ_CHECK(lok);
        /* a value written where it could not be: impossible (P_CROSS has its
         * first half, sizeof val / 2 octets, before the guard page) */
        bool cross = vkind % 3 == 0 && vkind / 3 % P_KINDS == P_CROSS;
        FUZZ_CHECK(vok || optlen == 0 || (cross && optlen <= (int)sizeof val / 2));
    }
}

static void op_ioctl(struct in *r, int d)
{
    struct side *sd = &m.side[d];
    unsigned kind = in_u8(r);
    u_long v = 1;
    bool ok;
    u_long *arg = out_ptr(kind / 2, &v, sizeof v, &ok);
    long cmd = kind & 1 ? WSP_FIONBIO : WSP_FIONREAD;
    if (cmd == WSP_FIONBIO && arg == (u_long *)ro_page)
        ok = true; /* FIONBIO only reads its argument */
    if (cmd == WSP_FIONBIO && ok && *arg == 0)
        return; /* never make the socket blocking */
    int rc = ioctlsocket(sd->s, cmd, arg);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (sd->closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (rc == 0) {
        FUZZ_CHECK(ok);
        if (cmd == WSP_FIONREAD) {
            const struct flow *f = &m.flow[1 - d];
            FUZZ_CHECK(f->lossy || v <= f->sent - f->got);
        }
    } else {
        FUZZ_CHECK(err != WSAEFAULT || !ok);
    }
}

static void op_select(struct in *r, int d)
{
    (void)r;
    struct side *sd = &m.side[d];
    wsp_fd_set rd, wr, ex;
    rd.fd_count = wr.fd_count = ex.fd_count = 1;
    rd.fd_array[0] = wr.fd_array[0] = ex.fd_array[0] = sd->s;
    struct timeval tv = {0, 0};
    int rc = wsp_select(0, &rd, &wr, &ex, &tv);
    if (sd->closed)
        FUZZ_CHECK(rc == SOCKET_ERROR && WSAGetLastError() == WSAENOTSOCK);
    else
        FUZZ_CHECK(rc >= 0 || conn_broken(WSAGetLastError()));
}

static void op_close(struct in *r, int d)
{
    (void)r;
    struct side *sd = &m.side[d];
    int rc = closesocket(sd->s);
    if (sd->closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && WSAGetLastError() == WSAENOTSOCK);
        return;
    }
    FUZZ_CHECK(rc == 0);
    sd->closed = true;
    mark_broken(); /* unread data at close means a reset (RST / DR) */
}

typedef void (*op_fn)(struct in *r, int d);
static const op_fn ops[] = {op_send,       op_send,     op_send,   op_recv,  op_recv,   op_recv,
                            op_disconnect, op_shutdown, op_option, op_ioctl, op_select, op_close};

/* ---- the end: read both directions to their end, with a deadline -------- */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool wait_readable(SOCKET s, int ms)
{
    wsp_fd_set rd;
    rd.fd_count = 1;
    rd.fd_array[0] = s;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return wsp_select(0, &rd, NULL, NULL, &tv) > 0;
}

/* Receive flow 1-d on side d until its end (to_end) or until everything sent
 * so far has arrived; the checks of op_recv apply. */
static void drain(int d, double deadline, bool to_end)
{
    struct side *sd = &m.side[d];
    struct flow *f = &m.flow[1 - d];
    while (!f->ended && (to_end || f->got < f->sent || f->got_msg < f->nmsg)) {
        if (now_s() >= deadline && verbose)
            fprintf(stderr, "drain %c: stuck at %zu of %zu octets, %zu of %zu msgs\n", "AB"[d],
                    f -> got, f -> sent, f -> got_msg, f -> nmsg);
        FUZZ_CHECK(now_s() < deadline); /* a hang is a finding */
        WSABUF wb = {DATA_MAX, (char *)rx_area};
        DWORD got = 0, flags = 0;
        if (WSARecv(sd->s, &wb, 1, &got, &flags, NULL, NULL) == 0) {
            if (!m.itot && got == 0) {
                flow_ended(f);
                break;
            }
            if (!m.itot) {
                FUZZ_CHECK(f->got + got <= f->sent);
                check_bytes(1 - d, f->got, rx_area, got);
                f->got += got;
                continue;
            }
            FUZZ_CHECK(f->got_msg < f->nmsg && !(flags & MSG_PARTIAL));
            FUZZ_CHECK(f->got + got == f->msg_end[f->got_msg]);
            check_bytes(1 - d, f->got, rx_area, got);
            f->got += got;
            f->got_msg++;
            continue;
        }
        int err = WSAGetLastError();
        if (err == WSAEWOULDBLOCK) {
            wait_readable(sd->s, 200);
            continue;
        }
        if (err == WSAEDISCON && m.itot) {
            flow_ended(f);
            break;
        }
        FUZZ_CHECK(f->lossy && (conn_broken(err) || err == WSAENOTCONN || err == WSAESHUTDOWN ||
                                err == WSAEDISCON));
        break;
    }
}

/* itot: the disconnect data read on side d is what side 1-d released with. */
static void check_disc_data(int d)
{
    const struct flow *f = &m.flow[1 - d];
    if (f->disc_len < 0 || f->lossy)
        return;
    uint8_t buf[64];
    WSABUF wb = {sizeof buf, (char *)buf};
    FUZZ_CHECK(WSARecvDisconnect(m.side[d].s, &wb) == 0);
    FUZZ_CHECK((int)wb.len == f->disc_len && memcmp(buf, f->disc, wb.len) == 0); /* C3 */
}

static void finish(void)
{
    double deadline = now_s() + 8.0;
    struct side *a = &m.side[0], *b = &m.side[1];
    if (a->closed || b->closed) {
        /* A closed peer: the survivor must still see an end, never hang. */
        for (int d = 0; d < 2; d++)
            if (!m.side[d].closed && !m.side[d].recv_shut && !(m.itot && m.side[d].send_shut))
                drain(d, deadline, true);
    } else if (m.itot) {
        /* No half-close: while neither side has released, catch up both
         * directions, then A releases and B reads to the end. */
        if (!a->send_shut && !b->send_shut) {
            for (int d = 0; d < 2; d++)
                if (!m.side[d].recv_shut && !m.flow[1 - d].lossy)
                    drain(d, deadline, false);
            if (WSASendDisconnect(a->s, NULL) == 0) {
                a->send_shut = true;
                m.flow[1].lossy = true;
                if (m.flow[0].disc_len == -1)
                    m.flow[0].disc_len = 0;
            } else {
                mark_broken();
            }
        }
        /* The side whose peer released (and that did not release itself)
         * reads everything, then WSAEDISCON, then the disconnect data. */
        for (int d = 0; d < 2; d++)
            if (m.side[1 - d].send_shut && !m.side[d].send_shut && !m.side[d].recv_shut) {
                drain(d, deadline, true);
                check_disc_data(d);
            }
    } else {
        for (int d = 0; d < 2; d++)
            if (!m.side[d].send_shut && wsp_shutdown(m.side[d].s, SD_SEND) == 0)
                m.side[d].send_shut = true;
        for (int d = 0; d < 2; d++)
            if (!m.side[d].recv_shut)
                drain(d, deadline, true);
    }
    if (verbose)
        for (int d = 0; d < 2; d++)
            fprintf(stderr, "%s %c->%c: sent %zu in %zu msgs, got %zu in %zu, %s%s\n",
                    m.itot ? "itot" : "tcp", "AB"[d], "BA"[d], m.flow[d].sent, m.flow[d].nmsg,
                    m.flow[d].got, m.flow[d].got_msg, m.flow[d].ended ? "ended" : "open",
                    m.flow[d].lossy ? ", lossy" : "");
    for (int d = 0; d < 2; d++)
        if (!m.side[d].closed)
            FUZZ_CHECK(closesocket(m.side[d].s) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
#ifdef FUZZ_MODULE_DIR
    setenv("WSP_PROVIDER_PATH", FUZZ_MODULE_DIR, 0);
#endif
    static bool ready;
    if (ready)
        return 0;
    ready = true;
    WSADATA wd;
    FUZZ_CHECK(WSAStartup(MAKEWORD(2, 2), &wd) == 0);
    verbose = getenv("FUZZ_API_SEQ_VERBOSE") != NULL;
    memory_init();
    listener_init(0);
    listener_init(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    LLVMFuzzerInitialize(NULL, NULL); /* replay_main does not call it */
    struct in r = {data, size};
    unsigned head = in_u8(&r);
    static const int classes[] = {-1, 0, 2};
    pair_open(head & 1, classes[(head >> 1) % 3]);
    for (int n = 0; r.n > 0 && n < 64; n++) {
        unsigned op = in_u8(&r);
        ops[(op >> 1) % (sizeof ops / sizeof ops[0])](&r, (int)(op & 1));
    }
    finish();
    return 0;
}
