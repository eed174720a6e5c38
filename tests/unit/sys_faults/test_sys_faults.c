/* SPDX-License-Identifier: MIT */
/* Fault injection at every call site, through the platform table (sys.h).
 *
 * The program loads test builds of wsp_tcp.so and wsp_itot.so (the shipped
 * sources plus sys_hook.c, which exports the module's table; see
 * CMakeLists.txt) through libwsp.  For each provider:
 *   1. a clean run of the transfer below with every entry wrapped records
 *      each call site: (entry, return address in the module);
 *   2. for every site and every errno of the list, a run in which the first
 *      call made from that site fails with that errno; and for every site of
 *      send/recv/sendmsg/recvmsg, a run in which every call from that site
 *      on moves only half of what it was asked (a short read or write).
 * The transfer: a listener waited for with WSAEventSelect, a connection, a sender thread writing
 * messages of PRNG sizes with checkable content, then shutdown(SD_SEND) and close; a receiver that
 * selects, asks FIONREAD and reads to the end, checking every byte (tcp: the stream; itot: message
 * boundaries too).
 *
 * Every run must end before its deadline (a hang aborts), and:
 *   - no byte is corrupted, no message merged or split (itot);
 *   - nothing is lost silently: if no call reported an error, every byte
 *     arrived, and a clean end (recv 0) comes after every octet the sends
 *     took — on itot unless WSP_ITOT_PEER_END says the peer's TCP was reset,
 *     the documented way a crashed peer's disconnect is told apart;
 *   - the first error reported is the injected errno's WSAE* code (errmap,
 *     as Windows' documentation of each call lists them) or a consequence
 *     of it for the connection (WSAECONNRESET/ABORTED/REFUSED, WSAENOTCONN,
 *     WSAESHUTDOWN, WSAEDISCON): never WSASYSCALLFAILURE, never success
 *     with lost data;
 *   - EINTR is retried where a blocking call made it: an EINTR run gives
 *     the clean result, as a signal does not cancel a Winsock call;
 *   - afterwards no descriptor is left behind, and a fresh connection of
 *     the same provider transfers cleanly (the other sockets keep working);
 *   - under ASan, nothing leaks (checked at exit).
 * The short run fails the 1st call of each site, and the 3rd of each
 * send/recv site (the data phase); WSP_FAULTS_FULL=1 fails the 1st, 2nd and
 * 3rd call of each site and runs
 * bigger transfers (the long sweep of docs/reliability.md); WSP_FAULTS_ONLY=tcp
 * or itot runs one provider; WSP_FAULTS_MATCH=TEXT only the cases whose name
 * contains TEXT (as printed: "itot sendmsg@wsp_itot.so+0x44f0 ... #2"). */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "common/errmap.h"
#include "common/sys.h"
#include "fault_util.h"

/* ---- the wrappers ------------------------------------------------------- */
#define SYS_INDEX(ret, name, params, args) SF_##name,
enum { SYS_CALLS(SYS_INDEX) SF_COUNT };
#undef SYS_INDEX

#define MAX_SITES 512
struct site {
    int entry;
    const void *addr;
    char where[96]; /* function+offset, for the report */
};

enum { MODE_OFF, MODE_RECORD, MODE_ERRNO, MODE_SHORT };

static struct {
    atomic_int mode;
    atomic_int entry;         /* armed entry */
    const void *_Atomic addr; /* armed call site */
    atomic_int skip;          /* calls from the site to let through first */
    atomic_int fired;
    int err;
    /* the module's libc defaults; atomic: the engine thread of the last
     * case may still be inside a wrapper while the next case fills them */
    _Atomic sys_fn next[SF_COUNT];
    pthread_mutex_t lock; /* sites[] */
    struct site sites[MAX_SITES];
    int nsites;
} F = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void site_record(int entry, const void *addr)
{
    pthread_mutex_lock(&F.lock);
    for (int i = 0; i < F.nsites; i++)
        if (F.sites[i].entry == entry && F.sites[i].addr == addr) {
            pthread_mutex_unlock(&F.lock);
            return;
        }
    if (F.nsites < MAX_SITES) {
        struct site *s = &F.sites[F.nsites++];
        s->entry = entry;
        s->addr = addr;
        fault_where(addr, s->where, sizeof s->where);
    }
    pthread_mutex_unlock(&F.lock);
}

/* This call is the armed site's: let `skip` through, then act. */
static bool site_hit(int entry, const void *addr)
{
    if (atomic_load(&F.entry) != entry || atomic_load(&F.addr) != addr)
        return false;
    return atomic_fetch_sub(&F.skip, 1) <= 0;
}

/* errno mode: true (errno set) when this call must fail. */
static bool fault_fire(int entry, const void *addr)
{
    int mode = atomic_load(&F.mode);
    if (mode == MODE_RECORD) {
        site_record(entry, addr);
        return false;
    }
    if (mode != MODE_ERRNO || !site_hit(entry, addr))
        return false;
    int expected = 0; /* once */
    if (!atomic_compare_exchange_strong(&F.fired, &expected, 1))
        return false;
    errno = F.err;
    return true;
}

/* short mode: true when this call must move at most half of the request. */
static bool fault_short(int entry, const void *addr)
{
    if (atomic_load(&F.mode) != MODE_SHORT || !site_hit(entry, addr))
        return false;
    atomic_store(&F.fired, 1);
    return true;
}

#define NEXT(name)                                                                                 \
    ((__typeof__(&fault_##name))atomic_load_explicit(&F.next[SF_##name], memory_order_relaxed))
#define FAULT_WRAP(ret, name, params, args)                                                        \
    static ret fault_##name params                                                                 \
    {                                                                                              \
        if (fault_fire(SF_##name, __builtin_return_address(0)))                                    \
            return SYS_FAILED(ret);                                                                \
        return NEXT(name) args;                                                                    \
    }
SYS_CALLS(FAULT_WRAP)
#undef FAULT_WRAP

/* Linux's close releases the descriptor whatever it returns (close(2)):
 * a failing close here does too, or the test would invent a leak. */
static int fault_close_real(int fd)
{
    if (fault_fire(SF_close, __builtin_return_address(0))) {
        int e = errno;
        NEXT(close)(fd);
        errno = e;
        return -1;
    }
    return NEXT(close)(fd);
}

static size_t half(size_t n)
{
    return n > 1 ? n / 2 : n;
}

/* mh with its iovecs cut to half the total (at most 64 entries: enough for
 * every caller here). */
static struct msghdr *msg_half(const struct msghdr *mh, struct msghdr *out, struct iovec *iov)
{
    size_t total = 0;
    for (size_t i = 0; i < mh->msg_iovlen; i++)
        total += mh->msg_iov[i].iov_len;
    size_t want = half(total), n = 0;
    *out = *mh;
    for (size_t i = 0; i < mh->msg_iovlen && i < 64 && want > 0; i++) {
        iov[n] = mh->msg_iov[i];
        if (iov[n].iov_len > want)
            iov[n].iov_len = want;
        want -= iov[n].iov_len;
        n++;
    }
    out->msg_iov = iov;
    out->msg_iovlen = n;
    return out;
}

static ssize_t short_send(int fd, const void *buf, size_t len, int fl)
{
    bool cut = fault_short(SF_send, __builtin_return_address(0));
    return fault_send(fd, buf, cut ? half(len) : len, fl);
}

static ssize_t short_recv(int fd, void *buf, size_t len, int fl)
{
    bool cut = fault_short(SF_recv, __builtin_return_address(0));
    return fault_recv(fd, buf, cut ? half(len) : len, fl);
}

static ssize_t short_sendmsg(int fd, const struct msghdr *mh, int fl)
{
    struct msghdr m;
    struct iovec iov[64];
    if (fault_short(SF_sendmsg, __builtin_return_address(0)))
        mh = msg_half(mh, &m, iov);
    return NEXT(sendmsg)(fd, mh, fl);
}

static ssize_t short_recvmsg(int fd, struct msghdr *mh, int fl)
{
    struct msghdr m;
    struct iovec iov[64];
    if (fault_short(SF_recvmsg, __builtin_return_address(0))) {
        ssize_t n = NEXT(recvmsg)(fd, msg_half(mh, &m, iov), fl);
        mh->msg_flags = m.msg_flags;
        mh->msg_namelen = m.msg_namelen;
        mh->msg_controllen = m.msg_controllen;
        return n;
    }
    return NEXT(recvmsg)(fd, mh, fl);
}

/* The wrappers as table entries.  sigaction is left alone: umem's signal
 * handler calls it, and a mutex there could deadlock. */
static sys_fn wrapper_of(int entry, int mode)
{
    if (mode == MODE_SHORT)
        switch (entry) {
        case SF_send:
            return (sys_fn)short_send;
        case SF_recv:
            return (sys_fn)short_recv;
        case SF_sendmsg:
            return (sys_fn)short_sendmsg;
        case SF_recvmsg:
            return (sys_fn)short_recvmsg;
        }
#define WRAP_CASE(ret, name, params, args)                                                         \
    case SF_##name:                                                                                \
        return (sys_fn)fault_##name;
    if (entry == SF_close)
        return (sys_fn)fault_close_real;
    switch (entry) {
        SYS_CALLS(WRAP_CASE)
    }
#undef WRAP_CASE
    return NULL;
}

static bool short_capable(int entry)
{
    return entry == SF_send || entry == SF_recv || entry == SF_sendmsg || entry == SF_recvmsg;
}

/* ---- the module under test ---------------------------------------------- */
struct prov {
    const char *name, *module;
    int type, protocol;
    bool messages; /* itot: message boundaries are checked */
    const struct sys_hook *hook;
};

static struct prov provs[] = {
    {"tcp", "wsp_tcp.so", SOCK_STREAM, IPPROTO_TCP, false, NULL},
    {"itot", "wsp_itot.so", SOCK_SEQPACKET, WSP_PROTO_ITOT, true, NULL},
};

/* Wrap every entry of p's table (except sigaction) in MODE. */
static void wrap_all(const struct prov *p, int mode, int armed_entry)
{
    for (unsigned i = 0; i < p->hook->count(); i++) {
        const char *n = p->hook->name(i);
        sys_fn d = p->hook->dflt(n);
        assert_non_null(d);
        atomic_store_explicit(&F.next[i], d, memory_order_relaxed);
        if (i == SF_sigaction)
            continue;
        int m = (mode == MODE_SHORT && (int)i != armed_entry) ? MODE_OFF : mode;
        p->hook->override(n, wrapper_of((int)i, m));
    }
}

static void unwrap_all(const struct prov *p)
{
    atomic_store(&F.mode, MODE_OFF);
    p->hook->restore_all();
}

/* ---- the transfer ------------------------------------------------------- */
#define SEED 0x5eed
static bool full_sweep;

static uint8_t pattern(uint32_t msg, uint32_t i)
{
    return (uint8_t)((msg * 131u + i * 7u + (i >> 8)) ^ 0xa5u);
}

static uint32_t prng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

struct xfer {
    const struct prov *p;
    int nmsgs;
    uint32_t sizes[64];
    SOCKET c;
    /* sender */
    int send_err;             /* first WSAE* code, 0 when none */
    bool send_done;           /* every message sent and SD_SEND accepted */
    _Atomic uint64_t sent_ok; /* octets the sends reported as taken */
    /* receiver */
    int recv_err;
    uint64_t got, want;
    int msgs_got;
    bool corrupt, eof;
    int peer_end; /* itot, at the end: WSP_ITOT_PEER_END */
    struct sockaddr_in to;
    int first_err; /* the first error of either side, in time */
    atomic_bool sender_failed;
    pthread_mutex_t m;
};

static void note_err(struct xfer *x, int *slot, int code)
{
    pthread_mutex_lock(&x->m);
    if (*slot == 0)
        *slot = code;
    if (x->first_err == 0)
        x->first_err = code;
    pthread_mutex_unlock(&x->m);
}

static void *sender_main(void *arg)
{
    struct xfer *x = arg;
    static _Thread_local uint8_t buf[65536];
    x->c = WSASocketA(AF_INET, x->p->type, x->p->protocol, NULL, 0, 0);
    if (x->c == INVALID_SOCKET) {
        note_err(x, &x->send_err, WSAGetLastError());
        atomic_store(&x->sender_failed, true);
        return NULL;
    }
    if (wsp_connect(x->c, (struct sockaddr *)&x->to, sizeof x->to) != 0) {
        note_err(x, &x->send_err, WSAGetLastError());
        goto failed;
    }
    uint64_t off = 0; /* tcp: the pattern follows the stream offset */
    for (int k = 0; k < x->nmsgs; k++) {
        uint32_t len = x->sizes[k];
        for (uint32_t i = 0; i < len; i++)
            buf[i] = x->p->messages ? pattern((uint32_t)k, i) : pattern(0, (uint32_t)(off + i));
        off += len;
        uint32_t done = 0;
        while (done < len) {
            int n = wsp_send(x->c, (const char *)buf + done, (int)(len - done), 0);
            if (n < 0) {
                note_err(x, &x->send_err, WSAGetLastError());
                goto failed;
            }
            if (x->p->messages && (uint32_t)n != len) { /* a TSDU goes whole */
                note_err(x, &x->send_err, -1);
                goto failed;
            }
            done += (uint32_t)n;
            atomic_fetch_add(&x->sent_ok, (uint64_t)n);
        }
    }
    if (wsp_shutdown(x->c, SD_SEND) != 0) {
        note_err(x, &x->send_err, WSAGetLastError());
        goto failed;
    }
    x->send_done = true;
    return NULL;
failed:
    /* the receiver may wait for more: end the stream (it may fail too, so
     * the receiver also stops on a quiet second once this is set) */
    wsp_shutdown(x->c, SD_BOTH);
    atomic_store(&x->sender_failed, true);
    return NULL;
}

static void receive_all(struct xfer *x, SOCKET s)
{
    static uint8_t buf[65536 + 1];
    uint64_t off = 0;
    for (;;) {
        wsp_fd_set r;
        WSP_FD_ZERO(&r);
        WSP_FD_SET(s, &r);
        struct timeval tv = {.tv_sec = 1};
        int sel = wsp_select(0, &r, NULL, NULL, &tv);
        if (sel < 0) {
            note_err(x, &x->recv_err, WSAGetLastError());
            return;
        }
        if (sel == 0 && atomic_load(&x->sender_failed))
            return; /* nothing more will come */
        if (sel == 0)
            continue;
        wsp_u_long avail = 0;
        if (ioctlsocket(s, WSP_FIONREAD, &avail) != 0) {
            note_err(x, &x->recv_err, WSAGetLastError());
            return;
        }
        int n = wsp_recv(s, (char *)buf, (int)sizeof buf, 0);
        if (n < 0) {
            note_err(x, &x->recv_err, WSAGetLastError());
            return;
        }
        if (n == 0) {
            x->eof = true;
            /* itot: a peer's TCP reset is a disconnect (recv 0) that only
             * WSP_ITOT_PEER_END tells from a DR (providers-itot.md) */
            int len = sizeof x->peer_end;
            if (x->p->messages &&
                wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_PEER_END, (char *)&x->peer_end, &len) != 0)
                x->peer_end = -1;
            return;
        }
        if (x->p->messages) {
            int k = x->msgs_got;
            if (k >= x->nmsgs || (uint32_t)n != x->sizes[k])
                x->corrupt = true;
            for (int i = 0; !x->corrupt && i < n; i++)
                if (buf[i] != pattern((uint32_t)k, (uint32_t)i))
                    x->corrupt = true;
            x->msgs_got++;
        } else {
            for (int i = 0; !x->corrupt && i < n; i++)
                if (buf[i] != pattern(0, (uint32_t)(off + (uint64_t)i)))
                    x->corrupt = true;
        }
        off += (uint64_t)n;
        x->got = off;
        if (x->corrupt)
            return;
    }
}

static void loopback(struct sockaddr_in *a)
{
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* accept, unless the sender failed before connecting (then nobody comes).
 * The listener is waited for with WSAEventSelect (the providers' event
 * machinery: tcp's epoll thread, itot's engine), a second at a time; then
 * the association is cancelled and the listener made blocking again, so that
 * the accepted socket is blocking too. */
static SOCKET accept_or_give_up(struct xfer *x, SOCKET l)
{
    WSAEVENT ev = WSACreateEvent();
    assert_non_null(ev);
    if (WSAEventSelect(l, ev, FD_ACCEPT) != 0) {
        note_err(x, &x->recv_err, WSAGetLastError());
        WSACloseEvent(ev);
        return INVALID_SOCKET;
    }
    bool ready = false;
    while (!ready) {
        DWORD w = WSAWaitForMultipleEvents(1, &ev, FALSE, 1000, FALSE);
        if (w == WSA_WAIT_EVENT_0)
            ready = true;
        else if (w != WSA_WAIT_TIMEOUT || atomic_load(&x->sender_failed))
            break;
    }
    wsp_u_long zero = 0;
    int rc = WSAEventSelect(l, NULL, 0);
    if (rc == 0)
        rc = ioctlsocket(l, WSP_FIONBIO, &zero);
    WSACloseEvent(ev);
    if (rc != 0) {
        note_err(x, &x->recv_err, WSAGetLastError());
        return INVALID_SOCKET;
    }
    if (!ready)
        return INVALID_SOCKET;
    SOCKET s = wsp_accept(l, NULL, NULL);
    if (s == INVALID_SOCKET)
        note_err(x, &x->recv_err, WSAGetLastError());
    return s;
}

/* The whole transfer; setup failures are reported like the others. */
static void run_transfer(struct xfer *x, const struct prov *p, uint32_t seed)
{
    memset(x, 0, sizeof *x);
    pthread_mutex_init(&x->m, NULL);
    x->p = p;
    x->c = INVALID_SOCKET;
    x->nmsgs = full_sweep ? 48 : 12;
    for (int k = 0; k < x->nmsgs; k++) {
        x->sizes[k] = 1 + prng(&seed) % (full_sweep ? 65536 : 16384);
        x->want += x->sizes[k];
    }
    SOCKET l = WSASocketA(AF_INET, p->type, p->protocol, NULL, 0, 0), s = INVALID_SOCKET;
    struct sockaddr_in a;
    int alen = sizeof a;
    loopback(&a);
    if (l == INVALID_SOCKET || wsp_bind(l, (struct sockaddr *)&a, alen) != 0 ||
        wsp_listen(l, 4) != 0 || wsp_getsockname(l, (struct sockaddr *)&a, &alen) != 0) {
        note_err(x, &x->send_err, WSAGetLastError());
        goto out;
    }
    /* itot answers a CR only when accept is called: connect on the sender's
     * thread, accept here */
    x->to = a;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, sender_main, x), 0);
    s = accept_or_give_up(x, l);
    if (s == INVALID_SOCKET) {
        /* the sender may still wait in connect: a closed listener ends it */
        closesocket(l);
        l = INVALID_SOCKET;
        pthread_join(t, NULL);
        goto out;
    }
    /* no second connection: a CR that itot retries as class 0 on a new TCP
     * connection (its fallback, after the first one ended) is refused at
     * once instead of waiting in the queue for the CR timer */
    closesocket(l);
    l = INVALID_SOCKET;
    struct sockaddr_in peer;
    int plen = sizeof peer;
    if (wsp_getpeername(s, (struct sockaddr *)&peer, &plen) != 0)
        note_err(x, &x->recv_err, WSAGetLastError());
    else
        receive_all(x, s);
    if (!x->eof && x->recv_err != 0) /* the sender may wait for room: unblock it */
        wsp_shutdown(s, SD_BOTH);
    closesocket(s);
    s = INVALID_SOCKET;
    pthread_join(t, NULL);
out:
    if (s != INVALID_SOCKET)
        closesocket(s);
    if (x->c != INVALID_SOCKET)
        closesocket(x->c);
    if (l != INVALID_SOCKET)
        closesocket(l);
    pthread_mutex_destroy(&x->m);
}

/* Closing is asynchronous in itot (the engine sends the DR, then closes):
 * wait, with a deadline, for the count to come back down. */
static bool fds_back_to(int base)
{
    long long end = fault_now_ns() + 5000000000LL;
    while (fault_count_fds() > base) {
        if (fault_now_ns() > end)
            return false;
        struct timespec d = {.tv_nsec = 5 * 1000 * 1000};
        nanosleep(&d, NULL);
    }
    return true;
}

/* ---- the sweep ---------------------------------------------------------- */
static const int errnos[] = {EINTR, EAGAIN, ENOBUFS, ENOMEM, ENETDOWN, ECONNRESET, EPIPE, EMFILE};
#define NERRNOS ((int)(sizeof errnos / sizeof errnos[0]))

/* The errnos each call can return (its Linux man page), of those the test
 * injects; a call not listed takes ENOMEM alone (memory can always run out).
 * close: EINTR only (EIO aside); the descriptor is released regardless. */
#define E(x) (1u << (x))
static const struct {
    int entry;
    unsigned errs; /* bit i: errnos[i] */
} relevant[] = {
    {SF_socket, E(2) | E(3) | E(7)},
    {SF_connect, E(0) | E(1) | E(2) | E(3) | E(4) | E(5)},
    {SF_accept4, E(0) | E(1) | E(2) | E(3) | E(4) | E(5) | E(7)},
    {SF_bind, E(3)},
    {SF_listen, E(2) | E(3)},
    {SF_send, E(0) | E(1) | E(2) | E(3) | E(4) | E(5) | E(6)},
    {SF_sendmsg, E(0) | E(1) | E(2) | E(3) | E(4) | E(5) | E(6)},
    {SF_recv, E(0) | E(1) | E(3) | E(4) | E(5)},
    {SF_recvmsg, E(0) | E(1) | E(3) | E(4) | E(5)},
    {SF_read, E(0) | E(1)},
    {SF_write, E(0) | E(1)},
    {SF_close, E(0)},
    {SF_poll, E(0) | E(3)},
    {SF_epoll_wait, E(0)},
    {SF_epoll_create1, E(3) | E(7)},
    {SF_epoll_ctl, E(3)},
    {SF_eventfd, E(3) | E(7)},
    {SF_open, E(0) | E(3) | E(7)},
};
#undef E

static bool is_relevant(int entry, int ei)
{
    for (size_t i = 0; i < sizeof relevant / sizeof relevant[0]; i++)
        if (relevant[i].entry == entry)
            return (relevant[i].errs >> ei) & 1u;
    return errnos[ei] == ENOMEM;
}

/* Calls that can block, so that a signal interrupts them with EINTR: there
 * the library must retry (a signal does not cancel a Winsock call).  The
 * others never see EINTR on Linux; injected anyway, it must come out mapped
 * (WSAEINTR).  itot keeps every socket descriptor non-blocking and waits in
 * its engine, so only the engine's own calls count there.  close is not retried: the descriptor is
 * gone already. */
static bool blocking_entry(const struct prov *p, int entry)
{
    if (p->messages) /* itot: every socket descriptor is non-blocking */
        return entry == SF_epoll_wait || entry == SF_read || entry == SF_write;
    switch (entry) {
    case SF_connect:
    case SF_accept4:
    case SF_send:
    case SF_sendmsg:
    case SF_recv:
    case SF_recvmsg:
    case SF_read:
    case SF_write:
    case SF_poll:
    case SF_epoll_wait:
        return true;
    }
    return false;
}

/* The codes an injected errno may come out as.  EAGAIN on a blocking
 * socket means SO_SNDTIMEO/SO_RCVTIMEO ran out: WSAETIMEDOUT, as Windows
 * reports a timed-out blocking send/recv (send and recv pages). */
static bool expected_code(int err, int code)
{
    return code == errmap_from_errno(err) || (err == EAGAIN && code == WSAETIMEDOUT);
}

static bool consequence(int code)
{
    /* WSAECONNREFUSED: a connect whose peer failed before it answered (itot
     * retries as class 0, and the listener is gone by then) */
    return code == WSAECONNRESET || code == WSAECONNABORTED || code == WSAENOTCONN ||
           code == WSAESHUTDOWN || code == WSAEDISCON || code == WSAECONNREFUSED;
}

struct tally {
    int cases, fired, sites_hit, defects;
    bool site_fired[MAX_SITES][NERRNOS + 1];
};

static void defect(struct tally *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("DEFECT %s: ", fault_case);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    t->defects++;
}

static void check_clean(const struct xfer *x)
{
    if (x->first_err != 0 || x->corrupt || !x->send_done || !x->eof || x->got != x->want)
        printf("clean run after %s: err %d (send %d recv %d) corrupt %d done %d eof %d "
               "%llu/%llu\n",
               fault_case, x->first_err, x->send_err, x->recv_err, x->corrupt, x->send_done, x->eof,
               (unsigned long long)x->got, (unsigned long long)x->want);
    assert_int_equal(x->first_err, 0);
    assert_false(x->corrupt);
    assert_true(x->send_done);
    assert_true(x->eof);
    assert_true(x->got == x->want);
}

static void one_case(const struct prov *p, struct tally *t, int si, int ei, int skip, int base)
{
    const struct site *st = &F.sites[si];
    int mode = ei < NERRNOS ? MODE_ERRNO : MODE_SHORT;
    int err = ei < NERRNOS ? errnos[ei] : 0;
    snprintf(fault_case, sizeof fault_case, "%s %s@%s %s #%d", p->name,
             p->hook->name((unsigned)st->entry), st->where, ei < NERRNOS ? strerror(err) : "short",
             skip + 1);
    const char *match = getenv("WSP_FAULTS_MATCH"); /* one case, to debug it */
    if (match != NULL && strstr(fault_case, match) == NULL)
        return;
    F.err = err;
    atomic_store(&F.entry, st->entry);
    atomic_store(&F.addr, st->addr);
    atomic_store(&F.skip, skip);
    atomic_store(&F.fired, 0);
    atomic_store(&F.mode, mode);
    wrap_all(p, mode, st->entry);
    fault_arm(20000);

    struct xfer x;
    long long t0 = fault_now_ns();
    run_transfer(&x, p, SEED + (uint32_t)si);
    if (getenv("WSP_FAULTS_VERBOSE"))
        printf("case %s: %lld ms, fired %d, err %d/%d\n", fault_case,
               (fault_now_ns() - t0) / 1000000, atomic_load(&F.fired), x.send_err, x.recv_err);
    unwrap_all(p);
    bool fired = atomic_load(&F.fired) != 0;
    t->cases++;
    t->fired += fired;
    if (fired)
        t->site_fired[si][ei] = true;

    /* ...but a read that failed here for a reason of its own (ENOMEM,
     * ENETDOWN) is no reset by the peer: reporting one would be false */
    bool local_read =
        (st->entry == SF_recv || st->entry == SF_recvmsg) && fired && err != ECONNRESET && err != 0;
    bool reset_told = p->messages && x.peer_end == WSP_ITOT_END_TCP_RESET && !local_read;
    if (x.corrupt)
        defect(t, "corrupted or merged data (%llu of %llu octets)", (unsigned long long)x.got,
               (unsigned long long)x.want);
    if (x.first_err == 0 && !reset_told && !(x.send_done && x.eof && x.got == x.want))
        defect(t, "data lost with no error reported: %llu of %llu octets, eof %d",
               (unsigned long long)x.got, (unsigned long long)x.want, x.eof);
    /* a graceful end (recv returning 0) promises that everything the sends
     * took has arrived (the SendDisconnect contract); a failure must reach
     * the receiver as an error (a reset), never as a clean end */
    if (x.eof && x.got < atomic_load(&x.sent_ok) && !reset_told)
        defect(t, "clean end after %llu octets, but the sends took %llu", (unsigned long long)x.got,
               (unsigned long long)atomic_load(&x.sent_ok));
    if (x.first_err == -1)
        defect(t, "a TSDU sent in part");
    else if (x.first_err != 0) {
        int mapped = err ? errmap_from_errno(err) : 0;
        if (!(err && expected_code(err, x.first_err)) && !consequence(x.first_err))
            defect(t, "first error %d, expected %d (mapped) or a connection error", x.first_err,
                   mapped);
        if (x.first_err == WSASYSCALLFAILURE)
            defect(t, "WSASYSCALLFAILURE");
    }
    if (fired && err == EINTR && blocking_entry(p, st->entry) && x.first_err != 0)
        defect(t, "EINTR not retried: error %d", x.first_err);
    if (fired && mode == MODE_SHORT && x.first_err != 0)
        defect(t, "short transfer reported as error %d", x.first_err);

    /* other sockets keep working, nothing left open */
    struct xfer y;
    run_transfer(&y, p, SEED);
    check_clean(&y);
    if (!fds_back_to(base))
        defect(t, "descriptors left open: %d, expected %d", fault_count_fds(), base);
    fault_disarm();
}

static void sweep(const struct prov *p)
{
    /* 1: the clean run records the call sites */
    struct xfer x;
    snprintf(fault_case, sizeof fault_case, "%s warm-up", p->name);
    run_transfer(&x, p, SEED); /* warm up: engines, catalog, first-use state */
    check_clean(&x);
    int base = fault_count_fds();
    pthread_mutex_lock(&F.lock);
    F.nsites = 0;
    pthread_mutex_unlock(&F.lock);
    atomic_store(&F.mode, MODE_RECORD);
    wrap_all(p, MODE_RECORD, -1);
    snprintf(fault_case, sizeof fault_case, "%s recording", p->name);
    run_transfer(&x, p, SEED);
    unwrap_all(p);
    check_clean(&x);
    assert_true(fds_back_to(base));
    pthread_mutex_lock(&F.lock); /* sites below nsites never change again */
    int nsites = F.nsites;
    pthread_mutex_unlock(&F.lock);
    printf("%s: %d call sites on the transfer's path\n", p->name, nsites);

    static struct tally t;
    memset(&t, 0, sizeof t);
    int skips = full_sweep ? 3 : 1;
    for (int si = 0; si < nsites; si++)
        for (int ei = 0; ei <= NERRNOS; ei++) {
            if (ei == NERRNOS ? !short_capable(F.sites[si].entry)
                              : !is_relevant(F.sites[si].entry, ei))
                continue;
            for (int k = 0; k < skips; k++)
                one_case(p, &t, si, ei, k, base);
            /* the data phase: the first call of a send/recv site may be the
             * handshake's (itot's CR/CC), so the short run also fails its
             * third call, which moves data */
            if (!full_sweep && short_capable(F.sites[si].entry))
                one_case(p, &t, si, ei, 2, base);
        }

    /* the report: call sites x errnos that really fired */
    int pairs = 0, possible = 0, entries_hit[SF_COUNT] = {0};
    for (int si = 0; si < nsites; si++) {
        printf("  %-12s %-40s", p->hook->name((unsigned)F.sites[si].entry), F.sites[si].where);
        for (int ei = 0; ei <= NERRNOS; ei++) {
            if (ei == NERRNOS ? !short_capable(F.sites[si].entry)
                              : !is_relevant(F.sites[si].entry, ei)) {
                printf("  ");
                continue;
            }
            possible++;
            pairs += t.site_fired[si][ei];
            printf(" %s", t.site_fired[si][ei] ? (ei < NERRNOS ? "x" : "s") : "-");
            if (t.site_fired[si][ei])
                entries_hit[F.sites[si].entry] = 1;
        }
        printf("\n");
    }
    int nentries = 0;
    for (int i = 0; i < SF_COUNT; i++)
        nentries += entries_hit[i];
    printf("%s: call sites x errnos covered: %d of %d (%d sites, %d table entries, "
           "%d errnos + short); %d cases, %d defects\n",
           p->name, pairs, possible, nsites, nentries, NERRNOS, t.cases, t.defects);
    assert_int_equal(t.defects, 0);
}

static bool only(const char *name)
{
    const char *o = getenv("WSP_FAULTS_ONLY");
    if (o != NULL && strcmp(o, name) != 0)
        skip();
    return true;
}

static void test_tcp(void **state)
{
    (void)state;
    only("tcp");
    sweep(&provs[0]);
}

static void test_itot(void **state)
{
    (void)state;
    only("itot");
    sweep(&provs[1]);
}

/* The table itself: every entry has a name and a default, an override is
 * seen and restored. */
static void test_table(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof provs / sizeof provs[0]; k++) {
        const struct sys_hook *h = provs[k].hook;
        assert_int_equal(h->count(), SF_COUNT);
        for (unsigned i = 0; i < h->count(); i++) {
            assert_non_null(h->name(i));
            assert_non_null(h->dflt(h->name(i)));
        }
        assert_null(h->name(h->count()));
        assert_null(h->override("no_such_call", NULL));
        sys_fn prev = h->override("close", (sys_fn)fault_close);
        assert_true(prev == h->dflt("close"));
        assert_true(h->override("close", NULL) == (sys_fn)fault_close);
    }
}

static int setup(void **state)
{
    (void)state;
    full_sweep = getenv("WSP_FAULTS_FULL") != NULL && atoi(getenv("WSP_FAULTS_FULL")) > 0;
    WSADATA d;
    if (WSAStartup(MAKEWORD(2, 2), &d) != 0)
        return -1;
    /* one socket of each loads both modules; then find their tables */
    for (size_t k = 0; k < sizeof provs / sizeof provs[0]; k++) {
        SOCKET s = WSASocketA(AF_INET, provs[k].type, provs[k].protocol, NULL, 0, 0);
        if (s == INVALID_SOCKET)
            return -1;
        closesocket(s);
        provs[k].hook = fault_hook_of(provs[k].module);
    }
    fault_watchdog_start("sys_faults");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    WSACleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_itot),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
