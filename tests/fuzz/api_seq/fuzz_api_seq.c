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
 * All sockets are non-blocking, so a call that waits is itself a finding.
 *
 * System-call faults (the FAULT op, sys_fault.h): a one-shot failure (or a
 * short transfer) of the n-th next call of one entry of the platform table of
 * the pair's provider module or of libwsp.  Once a fault that the library may
 * not hide has fired, the connection errors (and the fired errno's mapping)
 * become legitimate answers, and a call reporting one makes loss at the end
 * of the streams legitimate; so does an itot end by TCP (no DR) that the
 * fault may have caused (itot_end_seen).  Everything else above still holds:
 * every byte at its offset (nothing lost in the middle), TSDUs whole or in
 * MSG_PARTIAL pieces, WSAEFAULT only for bad pointers, C2, C5.  The quiet
 * faults (EINTR of a wait, EAGAIN, SHORT) must stay invisible.
 *
 * Two threads (the head byte's bit 7): the rest of the input is split into two
 * programs, run at once after a barrier by two threads on the same pair (and
 * then the same single-threaded finish).  Thread t sends only on side t and
 * receives only on side 1-t, so each direction has one sending and one
 * receiving thread and its data checks stay exact (every byte, every TSDU
 * boundary, nothing beyond what was sent); any other call goes to either side,
 * so closes, shutdowns, SendDisconnects and options race the other thread's
 * transfers.  What depends on the order of the two threads is checked only
 * where the order is known: a state forces a result only if the call that made
 * it had returned before this call began (the "done" flags, read before), and
 * it excuses a result if that call had at least begun by the time this one
 * returned (the "begun" flags, read after); the completeness of a stream at
 * its end is checked after both threads are joined, and the disconnect data of
 * racing releases is not compared.  Both threads must finish within a deadline
 * (a hang is a finding); nothing may leak (LeakSanitizer in the fuzz build). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
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
#include "sys_fault.h"

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

/* Each thread has its own buffers (a send fills its buffer while the other
 * thread's send fills another); the bad pages are shared, nothing writes them. */
struct mem {
    uint8_t *tx;         /* DATA_MAX bytes, then a PROT_NONE guard page */
    uint8_t *rx;         /* likewise */
    uint8_t *wsabuf_end; /* a WSABUF-sized slot right before a guard page */
};
static struct mem mems[2];
static uint8_t *none_page; /* PROT_NONE: reads and writes fault */
static uint8_t *ro_page;   /* read-only: writes fault */

static void *map_guarded(size_t len)
{
    uint8_t *m = mmap(NULL, len + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FUZZ_CHECK(m != MAP_FAILED);
    FUZZ_CHECK(mprotect(m + len, PAGE, PROT_NONE) == 0);
    return m;
}

/* The byte at stream offset off of direction dir (0: A->B, 1: B->A) is
 * pat[dir][off % PAT_PERIOD]: a table, so that filling a send buffer and
 * checking a received one are a memcpy and a memcmp (computing each byte was
 * most of an execution's time).  The period is a prime above DATA_MAX: a byte
 * that arrives at the wrong offset shows unless the error is a multiple of
 * about a mebioctet; the table has DATA_MAX more so that any run of up to
 * DATA_MAX bytes is contiguous in it. */
#define PAT_PERIOD 1048583u
static uint8_t *pat[2];

static uint8_t pattern_byte(int dir, size_t off)
{
    uint32_t x = (uint32_t)off * 2654435761u;
    return (uint8_t)((x >> 13) ^ (uint8_t)off ^ (dir ? 0x5a : 0xa5));
}

static const uint8_t *pattern(int dir, size_t off)
{
    return pat[dir] + off % PAT_PERIOD;
}

static void memory_init(void)
{
    for (int t = 0; t < 2; t++) {
        mems[t].tx = map_guarded(DATA_MAX);
        mems[t].rx = map_guarded(DATA_MAX);
        mems[t].wsabuf_end = map_guarded(PAGE);
        pat[t] = malloc(PAT_PERIOD + DATA_MAX);
        FUZZ_CHECK(pat[t] != NULL);
        for (size_t i = 0; i < PAT_PERIOD + DATA_MAX; i++)
            pat[t][i] = pattern_byte(t, i % PAT_PERIOD);
    }
    none_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ro_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FUZZ_CHECK(none_page != MAP_FAILED && ro_page != MAP_FAILED);
}

/* One thread of a script: its index (0 alone, or 0 and 1) and its buffers. */
struct actor {
    int id;
    struct mem *mem;
    struct in prog;
};

/* ---- the model of one connection ---------------------------------------- */
#define MSG_MAX 4096

struct flow {                /* one direction; the fields up to ended belong to one thread */
    size_t sent;             /* bytes successful sends put on it */
    size_t msg_end[MSG_MAX]; /* itot: cumulative end of each TSDU */
    size_t nmsg;
    size_t got;        /* bytes received and checked */
    size_t got_msg;    /* itot: index of the TSDU being received */
    bool ended;        /* the receiver saw the end (0 / WSAEDISCON) */
    atomic_bool lossy; /* a reset or abortive close: loss is legitimate */
    uint8_t disc[64];  /* itot: disconnect data of the sender's release (m.lock) */
    int disc_len;      /* -1: no release yet; -2: not known (SO_DISCDATA set, or racing) */
};

/* A side's states, each as two flags: "done" when the call that made it has
 * returned, "begun" when it has been made (see the head of the file).  With one
 * thread they are equal whenever a call is checked. */
struct side {
    SOCKET s;
    int port;                  /* its local port: where sys_fault.c says a fault fired */
    atomic_bool closed;        /* done: closesocket succeeded */
    atomic_int closers;        /* begun: closesocket calls made */
    atomic_int closes_ok;      /* closesocket calls that succeeded (at most one) */
    atomic_bool send_shut;     /* done: a successful SendDisconnect / shutdown(SD_SEND|SD_BOTH) */
    atomic_bool recv_shut;     /* done: a successful shutdown(SD_RECEIVE|SD_BOTH) */
    atomic_bool recv_shutting; /* begun */
};

static struct {
    bool itot;
    bool two;             /* two threads run the script */
    pthread_mutex_t lock; /* flow[].disc, disc_len */
    struct side side[2];
    struct flow flow[2]; /* flow[d]: sent by side d, received by side 1-d */
} m = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* This thread may rely on flow f's counters: it is their only user. */
static bool owns_flow(const struct actor *a, int f)
{
    return !m.two || a->id == f;
}

/* A call on side sd failed with err because another thread closed it under
 * it: the handle is gone (WSAENOTSOCK), or the close cancelled the call
 * (WSAEINTR: closesocket cancels the calls in progress on it). */
static bool closed_under(const struct side *sd, int err)
{
    return m.two && (err == WSAENOTSOCK || err == WSAEINTR) && atomic_load(&sd->closers) > 0;
}

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
    m.itot = itot;
    for (int d = 0; d < 2; d++) {
        struct flow *f = &m.flow[d];
        f->sent = f->nmsg = f->got = f->got_msg = 0;
        f->ended = false;
        atomic_store(&f->lossy, false);
        f->disc_len = -1;
        struct side *sd = &m.side[d];
        atomic_store(&sd->closed, false);
        atomic_store(&sd->closers, 0);
        atomic_store(&sd->closes_ok, 0);
        atomic_store(&sd->send_shut, false);
        atomic_store(&sd->recv_shut, false);
        atomic_store(&sd->recv_shutting, false);
    }
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
    for (int d = 0; d < 2; d++) {
        struct sockaddr_in sa;
        len = sizeof sa;
        FUZZ_CHECK(wsp_getsockname(m.side[d].s, (struct sockaddr *)&sa, &len) == 0);
        m.side[d].port = ntohs(sa.sin_port);
    }
}

/* ---- argument kinds ------------------------------------------------------ */
enum ptr_kind { P_GOOD, P_NULL, P_NONE, P_RO, P_CROSS, P_KINDS };

/* An out-pointer of n bytes of the given kind, and whether it is writable. */
static void *out_ptr(const struct actor *a, unsigned kind, void *good, size_t n, bool *ok)
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
        return a->mem->wsabuf_end + PAGE - n / 2; /* runs into the guard */
    default:
        *ok = true;
        return good;
    }
}

/* A data buffer of len bytes for direction dir at stream offset off: its
 * kind decides where it lives; *readable is how many leading bytes can be
 * read (for P_CROSS the part before the guard). */
static char *tx_buffer(const struct actor *a, unsigned kind, int dir, size_t off, size_t len,
                       size_t *readable)
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
        b = a->mem->tx + DATA_MAX - in;
        *readable = in;
        memcpy(b, pattern(dir, off), in);
        return (char *)b;
    }
    default: /* P_GOOD, and P_RO: read-only is fine for a send */
        b = a->mem->tx;
        *readable = len;
        memcpy(b, pattern(dir, off), len);
        return (char *)b;
    }
}

/* ---- checks on received data -------------------------------------------- */
static void check_bytes(int dir, size_t off, const uint8_t *p, size_t n)
{
    FUZZ_CHECK(n <= DATA_MAX);
    FUZZ_CHECK(n == 0 || memcmp(p, pattern(dir, off), n) == 0); /* p may be NULL when n is 0 */
}

/* The receiver of flow f saw its end: nothing may be missing, unless lossy.
 * With two threads a loss may be made legitimate by a call of the other
 * thread that has not returned yet: then finish() checks, after the join. */
static bool threaded; /* the two threads are running */

static void flow_end_check(const struct flow *f)
{
    if (!atomic_load(&f->lossy)) {
        FUZZ_CHECK(f->got == f->sent);
        if (m.itot)
            FUZZ_CHECK(f->got_msg == f->nmsg);
    }
}

static void flow_ended(struct flow *f)
{
    f->ended = true;
    if (!threaded)
        flow_end_check(f);
}

/* Errors that say the connection is gone: loss in both directions is allowed. */
static bool conn_broken(int err)
{
    return err == WSAECONNRESET || err == WSAECONNABORTED || err == WSAENETRESET ||
           err == WSAETIMEDOUT;
}

static void mark_broken(void)
{
    atomic_store(&m.flow[0].lossy, true);
    atomic_store(&m.flow[1].lossy, true);
}

/* itot reports the end of a connection whose TCP closed or failed without a
 * DR as the disconnect too (WSAEDISCON; providers-itot.md, "Receive side"),
 * and such an end may lose what was in flight.  After a fault it is
 * legitimate when the fault may have made the other side abort (it fired on
 * that side's socket) or was a reset seen by this side (ECONNRESET or EPIPE
 * injected into a send or receive of its socket); a local failure of this side's own
 * (ENOMEM, ...) must not pass for the peer's end.  A DR still ends a
 * stream only after all of it. */
static void itot_end_seen(int d)
{
    int end = WSP_ITOT_END_NONE, len = sizeof end;
    if (!sysf_fired() ||
        wsp_getsockopt(m.side[d].s, WSP_SOL_ITOT, WSP_ITOT_PEER_END, (char *)&end, &len) != 0)
        return;
    bool tcp_end = end == WSP_ITOT_END_TCP_CLOSE || end == WSP_ITOT_END_TCP_RESET;
    if (tcp_end && (sysf_fired_at(m.side[1 - d].port) || sysf_reset_at(m.side[d].port)))
        mark_broken();
}

/* ---- operations ----------------------------------------------------------
 * Each call is checked against the side's states: `pre` read before it (what
 * forces a result), `begun` flags read after it (what excuses one). */
static void op_send(struct actor *a, struct in *r, int d)
{
    struct side *sd = &m.side[d];
    struct flow *f = &m.flow[d];
    unsigned sizebits = in_u8(r);
    size_t len = sizebits < 240 ? in_u16(r) % 4097 : (size_t)in_u16(r) * 16 % DATA_MAX;
    unsigned bkind = in_u8(r), akind = in_u8(r), ckind = in_u8(r);
    if (m.itot && f->nmsg == MSG_MAX)
        return;
    size_t readable;
    char *buf = tx_buffer(a, bkind, d, f->sent, len, &readable);
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
        arr = (LPWSABUF)(a->mem->wsabuf_end + PAGE - sizeof(WSABUF));
        memcpy(arr, &good[0], sizeof(WSABUF));
        array_ok = false;
        break;
    default:
        break;
    }
    DWORD sent_out = 0;
    bool count_ok;
    DWORD *count =
        out_ptr(a, ckind % 3 == 0 ? ckind / 3 : P_GOOD, &sent_out, sizeof(DWORD), &count_ok);
    bool pre_closed = atomic_load(&sd->closed), pre_shut = atomic_load(&sd->send_shut);
    int rc = WSASend(sd->s, arr, 2, count, 0, NULL, NULL);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (verbose)
        fprintf(stderr, "%d: send %c len=%zu buf=%u arr=%u count=%u -> rc=%d err=%d sent=%u\n",
                a->id, "AB"[d], len, bkind % P_KINDS, akind % 4,
                ckind % 3 == 0 ? ckind / 3 % P_KINDS : 0, rc, err, (unsigned)sent_out);
    if (pre_closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (rc == 0) {
        FUZZ_CHECK(array_ok && count_ok);
        FUZZ_CHECK(!pre_shut); /* C2 */
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
    if (closed_under(sd, err))
        return;
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
    if (err == WSAEWOULDBLOCK || err == WSAENOBUFS)
        return;
    FUZZ_CHECK(sysf_excuses(err));
    mark_broken();
}

static void op_recv(struct actor *a, struct in *r, int d)
{
    struct side *sd = &m.side[d];
    struct flow *f = &m.flow[1 - d]; /* what the peer sent us */
    size_t len = in_u16(r) % 20000;
    unsigned bkind = in_u8(r), ckind = in_u8(r), fkind = in_u8(r);
    uint8_t *rx = a->mem->rx;
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
        wb.buf = (char *)rx + DATA_MAX - len / 2; /* the rest in the guard page */
        buf_ok = len == 0;
        break;
    default:
        wb.buf = (char *)rx;
        break;
    }
    wb.len = (ULONG)len;
    DWORD got = 0, flags = 0;
    bool count_ok, flags_ok;
    DWORD *count = out_ptr(a, ckind % 3 == 0 ? ckind / 3 : P_GOOD, &got, sizeof got, &count_ok);
    DWORD *fl = out_ptr(a, fkind % 3 == 0 ? fkind / 3 : P_GOOD, &flags, sizeof flags, &flags_ok);
    bool pre_closed = atomic_load(&sd->closed);
    int rc = WSARecv(sd->s, &wb, 1, count, fl, NULL, NULL);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (verbose)
        fprintf(stderr,
                "%d: recv %c len=%zu buf=%u count_ok=%d flags_ok=%d -> rc=%d err=%d got=%u\n",
                a->id, "AB"[d], len, bkind % 6, count_ok, flags_ok, rc, err, (unsigned)got);
    if (pre_closed) {
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
    if (closed_under(sd, err))
        return;
    if (err == WSAEDISCON) { /* itot: the peer released, everything before it read */
        FUZZ_CHECK(m.itot);
        itot_end_seen(d);
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
    if (err == WSAESHUTDOWN &&
        (atomic_load(&sd->recv_shut) || (m.two && atomic_load(&sd->recv_shutting))))
        return;
    if (err == WSAEWOULDBLOCK || err == WSAEMSGSIZE)
        return;
    FUZZ_CHECK(sysf_excuses(err));
    mark_broken();
}

static void op_disconnect(struct actor *a, struct in *r, int d)
{
    struct side *sd = &m.side[d];
    unsigned kind = in_u8(r);
    unsigned len = in_u8(r) % 72;
    uint8_t *data = a->mem->tx;
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
    bool pre_closed = atomic_load(&sd->closed);
    int rc = WSASendDisconnect(sd->s, arg);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (verbose)
        fprintf(stderr, "%d: disconnect %c kind=%u len=%u -> rc=%d err=%d\n", a->id, "AB"[d],
                kind % 5, len, rc, err);
    if (pre_closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (rc == 0) {
        FUZZ_CHECK(ok);
        FUZZ_CHECK(m.itot ? len <= 64 : len == 0); /* C6, D3 */
        pthread_mutex_lock(&m.lock);
        if (!atomic_load(&sd->send_shut) && m.itot) {
            /* ISO transport has no half-close: the DR ends both directions,
             * so what the peer still had in flight to us may be lost. */
            atomic_store(&m.flow[1 - d].lossy, true);
            struct flow *f = &m.flow[d];
            if (m.two) {
                f->disc_len = -2; /* racing releases: which data went is not known */
            } else if (f->disc_len != -2 && len > 0) {
                f->disc_len = (int)len;
                memcpy(f->disc, data, len);
            } else if (f->disc_len == -1) {
                f->disc_len = 0;
            }
        }
        atomic_store(&sd->send_shut, true);
        pthread_mutex_unlock(&m.lock);
        return;
    }
    if (closed_under(sd, err))
        return;
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
        FUZZ_CHECK(conn_broken(err) || sysf_excuses(err));
        mark_broken();
        return;
    }
}

static void op_shutdown(struct actor *a, struct in *r, int d)
{
    struct side *sd = &m.side[d];
    int how = (int)(in_u8(r) % 4); /* 3 is invalid */
    bool pre_closed = atomic_load(&sd->closed);
    if (how == SD_RECEIVE || how == SD_BOTH)
        atomic_store(&sd->recv_shutting, true);
    int rc = wsp_shutdown(sd->s, how);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (verbose)
        fprintf(stderr, "%d: shutdown %c how=%d -> rc=%d err=%d\n", a->id, "AB"[d], how, rc, err);
    if (pre_closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (rc != 0 && closed_under(sd, err))
        return;
    if (how == 3) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAEINVAL);
        return;
    }
    if (rc != 0) {
        FUZZ_CHECK(err == WSAENOTCONN || conn_broken(err) || sysf_excuses(err));
        if (err != WSAENOTCONN)
            mark_broken();
        return;
    }
    pthread_mutex_lock(&m.lock);
    if (how != SD_RECEIVE) {
        if (!atomic_load(&sd->send_shut) && m.itot)
            atomic_store(&m.flow[1 - d].lossy, true);
        atomic_store(&sd->send_shut, true);
    }
    if (how != SD_SEND) {
        atomic_store(&sd->recv_shut, true);
        atomic_store(&m.flow[1 - d].lossy, true); /* a shut receive side may drop what comes */
    }
    pthread_mutex_unlock(&m.lock);
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

static void op_option(struct actor *a, struct in *r, int d)
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
    char *v = out_ptr(a, vkind % 3 == 0 ? vkind / 3 : P_GOOD, val, sizeof val, &vok);
    bool pre_closed = atomic_load(&sd->closed);
    if (set) {
        if (!o->settable)
            return;
        /* Small socket buffers make loopback crawl or stall: slow is not a
         * finding, so buffer sizes come only from the harness' own int (a
         * one-byte value is a valid Winsock BOOL-style length, and a
         * read-only page reads as 0), >= 1 MiB and never below the size the
         * socket has. A receive buffer locked mid-stream below the window
         * TCP has already offered, on a side that stops reading (its store
         * full), overflows: Linux dropped the other side's segments, ACKs
         * included (TCPBacklogDrop, RcvPruned), and both TCPs backed off to
         * a 6.5 s retransmission timeout, so the direction still read
         * stalled past the deadline with the provider waiting for EPOLLOUT
         * as it should (seeds hang_itot_rcvbuf_*). */
        bool bufopt = o->level == SOL_SOCKET && (o->name == SO_RCVBUF || o->name == SO_SNDBUF);
        if (bufopt && (optlen < (int)sizeof(int) || v != (char *)val))
            return;
        if (o->level == SOL_SOCKET && o->name == SO_LINGER) {
            struct linger lg = {1, 0}; /* abortive close only: never a wait */
            memcpy(val, &lg, sizeof lg);
            optlen = sizeof lg;
        } else if (optlen >= (int)sizeof(int)) {
            if (bufopt) {
                int cur = 0, cl = sizeof cur;
                value += 1 << 20;
                if (wsp_getsockopt(sd->s, SOL_SOCKET, o->name, (char *)&cur, &cl) == 0 &&
                    cur > value)
                    value = cur;
            }
            memcpy(val, &value, sizeof value);
        }
        if (v == (char *)ro_page)
            vok = true; /* reading it is fine */
        int rc = wsp_setsockopt(sd->s, o->level, o->name, v, optlen);
        int err = rc == 0 ? 0 : WSAGetLastError();
        if (verbose)
            fprintf(stderr, "%d: setsockopt %c level=%#x name=%#x len=%d vok=%d -> rc=%d err=%d\n",
                    a->id, "AB"[d], (unsigned)o -> level, (unsigned)o -> name, optlen, vok, rc,
                    err);
        if (pre_closed) {
            FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
            return;
        }
        if (rc != 0 && closed_under(sd, err))
            return;
        if (rc == 0 && o->level == SOL_SOCKET && o->name == SO_LINGER && vok)
            mark_broken(); /* a later close will reset */
        if (rc == 0 && o->level == SOL_SOCKET && o->name == SO_DISCDATA) {
            pthread_mutex_lock(&m.lock);
            m.flow[d].disc_len = -2; /* sent by whichever release comes first (D9) */
            pthread_mutex_unlock(&m.lock);
        }
        /* WSAEFAULT: a bad pointer, or (Windows) a length too short for the value */
        if (rc != 0 && err == WSAEFAULT)
            FUZZ_CHECK(!vok || optlen < (int)sizeof(struct linger));
        return;
    }
    bool lok;
    int *lenp = out_ptr(a, lkind % 4 == 0 ? lkind / 4 : P_GOOD, &optlen, sizeof optlen, &lok);
    int rc = wsp_getsockopt(sd->s, o->level, o->name, v, lenp);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (pre_closed) {
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

static void op_ioctl(struct actor *a, struct in *r, int d)
{
    struct side *sd = &m.side[d];
    unsigned kind = in_u8(r);
    u_long v = 1;
    bool ok;
    u_long *arg = out_ptr(a, kind / 2, &v, sizeof v, &ok);
    long cmd = kind & 1 ? WSP_FIONBIO : WSP_FIONREAD;
    if (cmd == WSP_FIONBIO && arg == (u_long *)ro_page)
        ok = true; /* FIONBIO only reads its argument */
    if (cmd == WSP_FIONBIO && ok && *arg == 0)
        return; /* never make the socket blocking */
    bool pre_closed = atomic_load(&sd->closed);
    int rc = ioctlsocket(sd->s, cmd, arg);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (pre_closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (rc == 0) {
        FUZZ_CHECK(ok);
        /* what is readable was sent and not yet received (known to the
         * flow's own thread only: the other one may be receiving it) */
        const struct flow *f = &m.flow[1 - d];
        if (cmd == WSP_FIONREAD && owns_flow(a, 1 - d))
            FUZZ_CHECK(atomic_load(&f->lossy) || v <= f->sent - f->got);
    } else {
        FUZZ_CHECK(err != WSAEFAULT || !ok);
    }
}

static void op_select(struct actor *a, struct in *r, int d)
{
    (void)a;
    (void)r;
    struct side *sd = &m.side[d];
    wsp_fd_set rd, wr, ex;
    rd.fd_count = wr.fd_count = ex.fd_count = 1;
    rd.fd_array[0] = wr.fd_array[0] = ex.fd_array[0] = sd->s;
    struct timeval tv = {0, 0};
    bool pre_closed = atomic_load(&sd->closed);
    int rc = wsp_select(0, &rd, &wr, &ex, &tv);
    int err = rc < 0 ? WSAGetLastError() : 0;
    if (pre_closed)
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
    else
        FUZZ_CHECK(rc >= 0 || conn_broken(err) || closed_under(sd, err) || sysf_excuses(err));
}

static void op_close(struct actor *a, struct in *r, int d)
{
    (void)a;
    (void)r;
    struct side *sd = &m.side[d];
    bool pre_closed = atomic_load(&sd->closed);
    int others = atomic_fetch_add(&sd->closers, 1);
    if (!pre_closed)
        mark_broken(); /* unread data at close means a reset (RST / DR) */
    int rc = closesocket(sd->s);
    int err = rc == 0 ? 0 : WSAGetLastError();
    if (verbose)
        fprintf(stderr, "%d: close %c -> rc=%d err=%d\n", a->id, "AB"[d], rc, err);
    if (pre_closed) {
        FUZZ_CHECK(rc == SOCKET_ERROR && err == WSAENOTSOCK);
        return;
    }
    if (rc != 0) {
        /* only another thread's close, made at about the same time */
        FUZZ_CHECK(err == WSAENOTSOCK && (others > 0 || atomic_load(&sd->closers) > others + 1));
        return;
    }
    FUZZ_CHECK(atomic_fetch_add(&sd->closes_ok, 1) == 0); /* one handle, closed once */
    atomic_store(&sd->closed, true);
}

/* A system-call fault (sys_fault.h): in the pair's provider module, or in
 * libwsp (where % 4 == 3); which call, which outcome, the when-th next call.
 * The model then allows what the fault may make legitimate (sysf_excuses). */
static void op_fault(struct actor *a, struct in *r, int d)
{
    (void)d;
    unsigned where = in_u8(r), call = in_u8(r), outcome = in_u8(r), when = in_u8(r);
    enum sysf_where w = where % 4 == 3 ? SYSF_WS2 : m.itot ? SYSF_ITOT : SYSF_TCP;
    bool armed = sysf_arm(w, call, outcome, 1 + when % 8);
    if (verbose)
        fprintf(stderr, "%d: fault %s %s outcome=%u when=%u -> %s\n", a->id,
                w == SYSF_WS2 ? "libwsp"
                : m.itot      ? "itot"
                              : "tcp",
                sysf_call_name(call), outcome, 1 + when % 8, armed ? "armed" : "no hook");
}

typedef void (*op_fn)(struct actor *a, struct in *r, int d);
static const op_fn ops[] = {op_send,       op_send,     op_send,   op_recv,  op_recv,   op_recv,
                            op_disconnect, op_shutdown, op_option, op_ioctl, op_select, op_close};

/* The op byte's call (op >> 1): modulo ops[], but for the FAULT range,
 * numbers no input of the corpus before it used (so they decode as they
 * did: make_corpus.py checks it). */
#define OP_FAULT_FIRST 108u
#define OP_FAULT_LAST 118u

static op_fn op_of(unsigned op)
{
    unsigned code = op >> 1;
    if (code >= OP_FAULT_FIRST && code <= OP_FAULT_LAST)
        return op_fault;
    return ops[code % (sizeof ops / sizeof ops[0])];
}

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
        uint8_t *rx = mems[0].rx;
        WSABUF wb = {DATA_MAX, (char *)rx};
        DWORD got = 0, flags = 0;
        if (WSARecv(sd->s, &wb, 1, &got, &flags, NULL, NULL) == 0) {
            if (!m.itot && got == 0) {
                flow_ended(f);
                break;
            }
            if (!m.itot) {
                FUZZ_CHECK(f->got + got <= f->sent);
                check_bytes(1 - d, f->got, rx, got);
                f->got += got;
                continue;
            }
            FUZZ_CHECK(f->got_msg < f->nmsg && !(flags & MSG_PARTIAL));
            FUZZ_CHECK(f->got + got == f->msg_end[f->got_msg]);
            check_bytes(1 - d, f->got, rx, got);
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
            itot_end_seen(d);
            flow_ended(f);
            break;
        }
        if (sysf_excuses(err)) {
            mark_broken();
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
        for (int d = 0; d < 2; d++) {
            if (m.side[d].send_shut)
                continue;
            if (wsp_shutdown(m.side[d].s, SD_SEND) == 0)
                m.side[d].send_shut = true;
            else if (sysf_excuses(WSAGetLastError()))
                mark_broken();
        }
        /* A shutdown that a fault made fail sends no FIN: no end to wait for */
        for (int d = 0; d < 2; d++)
            if (!m.side[d].recv_shut && (m.side[1 - d].send_shut || !sysf_fired()))
                drain(d, deadline, true);
    }
    if (verbose) {
        unsigned quiet, loud;
        sysf_counts(&quiet, &loud);
        fprintf(stderr, "faults fired: %u quiet, %u loud\n", quiet, loud);
    }
    if (verbose)
        for (int d = 0; d < 2; d++)
            fprintf(stderr, "%s %c->%c: sent %zu in %zu msgs, got %zu in %zu, %s%s\n",
                    m.itot ? "itot" : "tcp", "AB"[d], "BA"[d], m.flow[d].sent, m.flow[d].nmsg,
                    m.flow[d].got, m.flow[d].got_msg, m.flow[d].ended ? "ended" : "open",
                    m.flow[d].lossy ? ", lossy" : "");
    for (int d = 0; d < 2; d++) {
        if (m.flow[d].ended) /* again: with two threads, the first time it counts */
            flow_end_check(&m.flow[d]);
        FUZZ_CHECK(atomic_load(&m.side[d].closes_ok) <= 1);
        if (!m.side[d].closed)
            FUZZ_CHECK(closesocket(m.side[d].s) == 0);
    }
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
    /* both modules are loaded now: find their platform tables */
    sysf_init(getenv("WSP_PROVIDER_PATH"));
    return 0;
}

/* ---- running a script ---------------------------------------------------- */
static void run_program(struct actor *a)
{
    for (int n = 0; a->prog.n > 0 && n < 64; n++) {
        unsigned op = in_u8(&a->prog);
        op_fn fn = op_of(op);
        int d = (int)(op & 1);
        /* two threads: thread t sends on side t and receives on side 1-t */
        if (m.two && fn == op_send)
            d = a->id;
        else if (m.two && fn == op_recv)
            d = 1 - a->id;
        fn(a, &a->prog, d);
    }
}

static pthread_barrier_t start_line;

static void *second_main(void *arg)
{
    pthread_barrier_wait(&start_line);
    run_program(arg);
    return NULL;
}

/* Both programs at once; a thread still running after the deadline is a hang. */
static void run_two(struct actor *a0, struct actor *a1)
{
    pthread_t t;
    threaded = true;
    FUZZ_CHECK(pthread_barrier_init(&start_line, NULL, 2) == 0);
    FUZZ_CHECK(pthread_create(&t, NULL, second_main, a1) == 0);
    pthread_barrier_wait(&start_line);
    run_program(a0);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 8;
    int rc = pthread_timedjoin_np(t, NULL, &until);
    if (rc == ETIMEDOUT)
        fprintf(stderr, "fuzz_api_seq: the second thread hangs\n");
    FUZZ_CHECK(rc == 0);
    pthread_barrier_destroy(&start_line);
    threaded = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    LLVMFuzzerInitialize(NULL, NULL); /* replay_main does not call it */
    struct in r = {data, size};
    unsigned head = in_u8(&r);
    static const int classes[] = {-1, 0, 2};
    sysf_reset(); /* no fault of the last input: the pair opens as always */
    pair_open(head & 1, classes[((head & 0x7f) >> 1) % 3]);
    struct actor a0 = {.id = 0, .mem = &mems[0], .prog = r};
    m.two = head & 0x80;
    if (!m.two) {
        run_program(&a0);
    } else {
        /* a u16 splits the rest: the first n0 octets are thread 0's program */
        size_t n0 = in_u16(&r) % (r.n + 1);
        struct actor a1 = {.id = 1, .mem = &mems[1], .prog = {r.p + n0, r.n - n0}};
        a0.prog = (struct in){r.p, n0};
        run_two(&a0, &a1);
    }
    finish();
    sysf_reset();
    return 0;
}
