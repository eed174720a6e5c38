/* SPDX-License-Identifier: MIT */
/* itot when its buffer pool cannot get memory: the pool's misses go through
 * the module's platform table (malloc), which this test makes fail.  The
 * pool keeps no cache here (WSP_ITOT_BUF_CACHE=0, set by CMakeLists.txt), so
 * every buffer taken is a malloc the fault sees.
 *   - The engine's read finds no buffer (for its input, or for the receive
 *     store of a TPKT it read): it stops reading that socket and retries on
 *     a timer; nothing is delivered while memory is short, and afterwards
 *     every TSDU arrives whole and in order (no octet dropped).  A receive
 *     blocked meanwhile waits for that retry without spinning.
 *   - A send that cannot get the output queue's buffer fails with
 *     WSAENOBUFS having sent nothing; SendDisconnect likewise when its DR
 *     has to wait in the queue, and both can be repeated once memory is
 *     back; a DR that TCP takes at once needs no buffer.
 *   - Idle connections hold no buffer: the provider's own count
 *     (WSP_ITOT_MEMORY) is 0 buffer octets once the traffic is read, and a
 *     socket context is at most 1.5 KiB. */
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

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "common/sys.h"
#include "fault_util.h"

/* ---- the fault --------------------------------------------------------- */
typedef void *(*malloc_fn)(size_t);
static malloc_fn _Atomic real_malloc;
static pthread_t test_thread;
enum { ON_ENGINE, ON_TEST_THREAD };
static atomic_int fail_thread;   /* which thread's allocations fail */
static atomic_size_t fault_size; /* 0: any size, else only that size */
static atomic_int refused;

/* malloc fails as malloc does: NULL (and ENOMEM). */
static void *malloc_refused(size_t n)
{
    bool mine = pthread_equal(pthread_self(), test_thread) != 0;
    size_t only = atomic_load(&fault_size);
    if (mine == (atomic_load(&fail_thread) == ON_TEST_THREAD) && (only == 0 || only == n)) {
        atomic_fetch_add(&refused, 1);
        errno = ENOMEM;
        return NULL;
    }
    return atomic_load(&real_malloc)(n);
}

static void fault_on(const struct sys_hook *hk, int where, size_t size)
{
    atomic_store(&real_malloc, (malloc_fn)hk->dflt("malloc"));
    assert_non_null(atomic_load(&real_malloc));
    atomic_store(&fail_thread, where);
    atomic_store(&fault_size, size);
    atomic_store(&refused, 0);
    assert_non_null(hk->override("malloc", (sys_fn)malloc_refused));
}

/* ---- a connected pair -------------------------------------------------- */
struct pair {
    SOCKET l, a, b;
};

static void set_timeouts(SOCKET s)
{
    DWORD ms = 10000; /* a stall fails instead of hanging */
    assert_int_equal(wsp_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms), 0);
    assert_int_equal(wsp_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&ms, sizeof ms), 0);
}

static void pair_open(struct pair *p)
{
    p->l = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(p->l != INVALID_SOCKET);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof a;
    assert_int_equal(wsp_bind(p->l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(p->l, 1), 0);
    assert_int_equal(wsp_getsockname(p->l, (struct sockaddr *)&a, &len), 0);
    p->a = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(p->a != INVALID_SOCKET);
    wsp_u_long on = 1, off = 0;
    assert_int_equal(ioctlsocket(p->a, WSP_FIONBIO, &on), 0);
    int rc = wsp_connect(p->a, (struct sockaddr *)&a, len);
    assert_true(rc == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    p->b = wsp_accept(p->l, NULL, NULL); /* sends the CC */
    assert_true(p->b != INVALID_SOCKET);
    wsp_fd_set w;
    w.fd_count = 1;
    w.fd_array[0] = p->a;
    struct timeval tv = {10, 0}; /* a guard only */
    assert_int_equal(wsp_select(0, NULL, &w, NULL, &tv), 1);
    assert_int_equal(ioctlsocket(p->a, WSP_FIONBIO, &off), 0);
    /* The engine reads b's input, which is what these cases starve: a
     * select hands it to the engine (a blocking accept's socket is read
     * only by the calls on it). */
    w.fd_array[0] = p->b;
    tv = (struct timeval){0, 0};
    assert_true(wsp_select(0, &w, NULL, NULL, &tv) >= 0);
    set_timeouts(p->a);
    set_timeouts(p->b);
}

static void pair_close(struct pair *p)
{
    closesocket(p->a);
    closesocket(p->b);
    closesocket(p->l);
}

static void sleep_ms(int ms)
{
    struct timespec d = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&d, NULL); /* a poll's period, not a synchronisation */
}

static wsp_u_long readable(SOCKET s)
{
    wsp_u_long n = 0;
    assert_int_equal(ioctlsocket(s, WSP_FIONREAD, &n), 0); /* never reads TCP itself */
    return n;
}

static void fill(char *buf, size_t n, int k)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(i * 13u + (unsigned)k * 101u);
}

#define NMSG 3
static const int msg_len[NMSG] = {100, 20000, 1};

/* a sends NMSG TSDUs while the engine of the process cannot get `size`
 * (0: any) buffers; b gets nothing meanwhile, and everything after. */
static void engine_starves(size_t size)
{
    struct pair p;
    pair_open(&p);
    const struct sys_hook *hk = fault_hook_of("wsp_itot.so");
    fault_on(hk, ON_ENGINE, size);
    static char out[NMSG][20000], in[20001];
    for (int k = 0; k < NMSG; k++) {
        fill(out[k], (size_t)msg_len[k], k);
        assert_int_equal(wsp_send(p.a, out[k], msg_len[k], 0), msg_len[k]);
    }
    for (int ms = 0; atomic_load(&refused) == 0 && ms < 5000; ms++)
        sleep_ms(1); /* the engine reads asynchronously: poll, with a deadline */
    assert_true(atomic_load(&refused) > 0); /* the fault was met */
    sleep_ms(50);                           /* a few retry periods */
    int during = atomic_load(&refused);
    assert_int_equal(readable(p.b), 0); /* nothing delivered without memory */
    assert_true(during < 200);          /* retried on a timer, no spin */
    hk->restore_all();
    for (int ms = 0; readable(p.b) == 0 && ms < 5000; ms++)
        sleep_ms(1); /* the engine's retry delivers it, no API call reads */
    for (int k = 0; k < NMSG; k++) {
        int n = wsp_recv(p.b, in, sizeof in, 0);
        assert_int_equal(n, msg_len[k]);
        assert_memory_equal(in, out[k], (size_t)n);
    }
    printf("refused %d buffers (%zu octets each, 0: any)\n", during, size);
    pair_close(&p);
}

static void engine_read_without_input_buffer_waits(void **state)
{
    (void)state;
    engine_starves(0);
}

/* 16 KiB: the receive store's first size (CONN_RX_RING): the input buffer is
 * had, the TPKTs are read from TCP, and only the store's buffer is missing. */
static void engine_read_without_store_buffer_keeps_the_octets(void **state)
{
    (void)state;
    engine_starves(16384);
}

/* A receive blocked when the input finds no buffer: it waits for the
 * engine's retry (not on the descriptor, whose unread octets would wake it
 * again and again), and gets the TSDU whole once memory is back. */
struct blocked {
    SOCKET s;
    char buf[30000];
    atomic_int n; /* -2 while in the call */
};

static void *recv_main(void *arg)
{
    struct blocked *r = arg;
    atomic_store(&r->n, wsp_recv(r->s, r->buf, sizeof r->buf, 0));
    return NULL;
}

static void blocked_receive_waits_for_memory(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    const struct sys_hook *hk = fault_hook_of("wsp_itot.so");
    static struct blocked r;
    r.s = p.b;
    atomic_store(&r.n, -2);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, recv_main, &r), 0);
    fault_on(hk, ON_ENGINE, 0); /* the receiver is not the test thread: refused too */
    static char out[20000];
    fill(out, sizeof out, 3);
    assert_int_equal(wsp_send(p.a, out, (int)sizeof out, 0), (int)sizeof out);
    for (int ms = 0; atomic_load(&refused) == 0 && ms < 5000; ms++)
        sleep_ms(1); /* the receiver or the engine reads asynchronously */
    assert_true(atomic_load(&refused) > 0);
    sleep_ms(50);
    int during = atomic_load(&refused);
    assert_int_equal(atomic_load(&r.n), -2); /* still waiting: nothing delivered */
    assert_true(during < 200);               /* and not spinning */
    hk->restore_all();
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&r.n), (int)sizeof out);
    assert_memory_equal(r.buf, out, sizeof out);
    pair_close(&p);
}

/* WSASend lists WSAENOBUFS: "No buffer space is available". */
static void send_without_buffer_fails_having_sent_nothing(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    const struct sys_hook *hk = fault_hook_of("wsp_itot.so");
    fault_on(hk, ON_TEST_THREAD, 0);
    char first[64], second[64], in[256];
    memset(first, 'F', sizeof first);
    memset(second, 'S', sizeof second);
    int rc = wsp_send(p.a, first, sizeof first, 0);
    int err = WSAGetLastError();
    hk->restore_all();
    assert_int_equal(rc, SOCKET_ERROR);
    assert_int_equal(err, WSAENOBUFS);
    assert_int_equal(wsp_send(p.a, second, sizeof second, 0), (int)sizeof second);
    assert_int_equal(wsp_recv(p.b, in, sizeof in, 0), (int)sizeof second);
    assert_memory_equal(in, second, sizeof second); /* the refused TSDU never left */
    pair_close(&p);
}

/* TCP takes nothing on the test thread (send: EAGAIN), so a DR has to wait
 * in the output queue. */
typedef ssize_t (*send_fn)(int, const void *, size_t, int);
static send_fn _Atomic real_send;

static ssize_t send_full(int fd, const void *p, size_t n, int fl)
{
    if (pthread_equal(pthread_self(), test_thread)) {
        errno = EAGAIN;
        return -1;
    }
    return atomic_load(&real_send)(fd, p, n, fl);
}

/* The peer gets the end and the 64 octets. */
static void assert_released_with(const struct pair *p, const char dd[64])
{
    char b, got[64];
    /* the disconnect: recv's end (0), or WSAEDISCON for a message socket */
    int rc = wsp_recv(p->b, &b, 1, 0);
    assert_true(rc == 0 || (rc == SOCKET_ERROR && WSAGetLastError() == WSAEDISCON));
    WSABUF rb = {64, got};
    assert_int_equal(WSARecvDisconnect(p->b, &rb), 0);
    assert_int_equal(rb.len, 64);
    assert_memory_equal(got, dd, 64);
}

/* Windows Sockets Error Codes, WSAENOBUFS: "No buffer space available. An
 * operation on a socket could not be performed because the system lacked
 * sufficient buffer space". A DR that TCP cannot take at once must wait in
 * the (empty) output queue, which needs a buffer: without one the call fails
 * having changed nothing, and can be made again. */
static void senddisconnect_without_buffer_fails_and_can_be_repeated(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    const struct sys_hook *hk = fault_hook_of("wsp_itot.so");
    char dd[64];
    memset(dd, 'd', sizeof dd);
    WSABUF wb = {sizeof dd, dd};
    fault_on(hk, ON_TEST_THREAD, 0);
    atomic_store(&real_send, (send_fn)hk->dflt("send"));
    assert_non_null(hk->override("send", (sys_fn)send_full));
    int rc = WSASendDisconnect(p.a, &wb);
    int err = WSAGetLastError();
    hk->restore_all();
    assert_int_equal(rc, SOCKET_ERROR);
    assert_int_equal(err, WSAENOBUFS);
    assert_int_equal(WSASendDisconnect(p.a, &wb), 0);
    assert_released_with(&p, dd);
    pair_close(&p);
}

/* A DR that TCP takes whole at once needs no buffer: the SendDisconnect
 * succeeds even while none can be had, and the peer gets its data. */
static void senddisconnect_taken_by_tcp_needs_no_buffer(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    const struct sys_hook *hk = fault_hook_of("wsp_itot.so");
    char dd[64];
    memset(dd, 'e', sizeof dd);
    WSABUF wb = {sizeof dd, dd};
    fault_on(hk, ON_TEST_THREAD, 0);
    int rc = WSASendDisconnect(p.a, &wb);
    hk->restore_all();
    assert_int_equal(rc, 0);
    assert_int_equal(atomic_load(&refused), 0); /* it asked for none */
    assert_released_with(&p, dd);
    pair_close(&p);
}

/* The provider's own count: with no cache, the buffer octets are those
 * connections hold, and idle ones hold none. */
static void idle_connections_hold_no_buffer(void **state)
{
    (void)state;
    enum { N = 8 };
    struct pair p[N];
    char out[3000], in[3000];
    fill(out, sizeof out, 7);
    for (int i = 0; i < N; i++) {
        pair_open(&p[i]);
        assert_int_equal(wsp_send(p[i].a, out, sizeof out, 0), (int)sizeof out);
        assert_int_equal(wsp_recv(p[i].b, in, sizeof in, 0), (int)sizeof out);
        assert_int_equal(wsp_send(p[i].b, in, sizeof in, 0), (int)sizeof in);
        assert_int_equal(wsp_recv(p[i].a, in, sizeof in, 0), (int)sizeof in);
    }
    WSP_ITOT_MEMORY_INFO m;
    int len = sizeof m;
    for (int ms = 0; ms < 5000; ms++) {
        len = sizeof m;
        assert_int_equal(wsp_getsockopt(p[0].a, WSP_SOL_ITOT, WSP_ITOT_MEMORY, (char *)&m, &len),
                         0);
        if (m.buffer_bytes == 0)
            break;
        sleep_ms(1); /* the engine finishes the last reads asynchronously */
    }
    printf("%llu sockets, %llu octets of contexts, %llu of buffers (%llu cached)\n", m.sockets,
           m.socket_bytes, m.buffer_bytes, m.cached_bytes);
    assert_int_equal(len, sizeof m);
    assert_int_equal(m.buffer_bytes, 0);
    assert_int_equal(m.cached_bytes, 0);
    assert_true(m.sockets >= 3 * N);
    assert_true(m.socket_bytes > 0 && m.socket_bytes % m.sockets == 0);
    /* An idle endpoint's whole cost is its context: issue 11 allows 2 KiB
     * per idle connection; 1.5 KiB leaves room for the handle and malloc's
     * own header (2,432 octets before the shared protocol info and the
     * 28-octet addresses). */
    assert_true(m.socket_bytes / m.sockets <= 1536);
    /* the shared protocol info is each socket's, accepted ones included */
    WSAPROTOCOL_INFOW pa, pb;
    len = sizeof pa;
    assert_int_equal(wsp_getsockopt(p[0].a, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pa, &len), 0);
    len = sizeof pb;
    assert_int_equal(wsp_getsockopt(p[0].b, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pb, &len), 0);
    assert_int_equal(pa.iProtocol, WSP_PROTO_ITOT);
    assert_memory_equal(&pa, &pb, sizeof pa);
    len = sizeof m;
    /* read only: WSAEINVAL, as the other read-only options */
    assert_int_equal(wsp_setsockopt(p[0].a, WSP_SOL_ITOT, WSP_ITOT_MEMORY, (char *)&m, len),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    for (int i = 0; i < N; i++)
        pair_close(&p[i]);
}

static int setup(void **state)
{
    (void)state;
    WSADATA wd;
    test_thread = pthread_self();
    return WSAStartup(MAKEWORD(2, 2), &wd) == 0 ? 0 : -1;
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
        cmocka_unit_test(engine_read_without_input_buffer_waits),
        cmocka_unit_test(engine_read_without_store_buffer_keeps_the_octets),
        cmocka_unit_test(blocked_receive_waits_for_memory),
        cmocka_unit_test(send_without_buffer_fails_having_sent_nothing),
        cmocka_unit_test(senddisconnect_without_buffer_fails_and_can_be_repeated),
        cmocka_unit_test(senddisconnect_taken_by_tcp_needs_no_buffer),
        cmocka_unit_test(idle_connections_hold_no_buffer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
