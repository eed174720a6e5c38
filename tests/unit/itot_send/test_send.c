/* SPDX-License-Identifier: MIT */
/* itot send path against a raw RFC 1006 class 0 peer (raw_peer.c):
 * - a blocking send that waited for queue room and then met an unreadable
 *   page fails with WSAEFAULT and leaves nothing behind: the next TSDU
 *   arrives alone and whole (withdrawn whole, connection usable);
 * - the same in a TSDU larger than the queue, whose start is already on the
 *   wire: the connection is aborted with a DR, never merged with the next;
 * - a non-blocking send never waits: a TSDU larger than the whole output
 *   queue is accepted whole at once, or refused with WSAEWOULDBLOCK having
 *   sent nothing. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/itot.h>

#include "fixtures.h"
#include "raw_peer.h"

static struct conf_ctx ctx4 = {.fx = &itot_fixtures[0], .lv = &conf_level_spi};
#define P conf_spi_procs()

#define SIZE_CODE 13     /* CC: TPDU size 8192, so a DT carries 8189 octets */
#define FILL_TSDU 16000u /* TSDUs that fill the queue while the peer does not read */
#define QUEUE_CAP (256u * 1024)
#define READ_TIMEOUT_S 20

static uint8_t got[4u * 1024 * 1024];

static int setup(void **state)
{
    *state = &ctx4;
    return conf_setup(state);
}

static int teardown(void **state)
{
    return conf_teardown(state);
}

struct connector {
    SOCKET s;
    struct sockaddr_in to;
    int rc, err;
};

static void *connect_main(void *arg)
{
    struct connector *k = arg;
    k->rc = P->lpWSPConnect(k->s, (struct sockaddr *)&k->to, sizeof k->to, NULL, NULL, NULL, NULL,
                            &k->err);
    return NULL;
}

static void set_nonblocking(SOCKET s, u_long on)
{
    DWORD ret = 0;
    int err = 0;
    assert_int_equal(
        P->lpWSPIoctl(s, WSP_FIONBIO, &on, sizeof on, NULL, 0, &ret, NULL, NULL, NULL, &err), 0);
}

/* An itot socket connected to the raw peer p (class 0, 8192-octet TPDUs),
 * with small TCP buffers on both ends so the output queue fills quickly. */
static SOCKET connect_raw(struct raw_peer *p)
{
    raw_listen(p, 16384);
    struct connector k = {.s = conf_socket(&ctx4), .to = p->addr};
    int small = 16384, err = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, connect_main, &k), 0);
    raw_accept_cc(p, SIZE_CODE);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(k.rc, 0);
    assert_int_equal(
        P->lpWSPSetSockOpt(k.s, SOL_SOCKET, SO_SNDBUF, (char *)&small, sizeof small, &err), 0);
    return k.s;
}

static uint8_t fill_byte(unsigned tsdu, size_t i)
{
    return (uint8_t)((tsdu * 7 + i) % 251);
}

/* Non-blocking sends of FILL_TSDU-octet TSDUs until WSAEWOULDBLOCK (the peer
 * does not read): the queue then has less room than one of them.  Returns
 * how many were accepted; leaves the socket non-blocking. */
static unsigned fill_queue(SOCKET s)
{
    static uint8_t buf[FILL_TSDU];
    set_nonblocking(s, 1);
    for (unsigned n = 0;; n++) {
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = fill_byte(n, i);
        WSABUF b = {.len = sizeof buf, .buf = (char *)buf};
        DWORD sent = 0;
        int err = 0;
        if (P->lpWSPSend(s, &b, 1, &sent, 0, NULL, NULL, NULL, &err) != 0) {
            assert_int_equal(err, WSAEWOULDBLOCK);
            assert_true(n > 0);
            return n;
        }
        assert_int_equal(sent, sizeof buf);
    }
}

/* The peer reads the n fill TSDUs, each alone and whole. */
static void read_fill(struct raw_peer *p, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        size_t len = 0;
        assert_int_equal(raw_next_tsdu(p, got, sizeof got, &len, NULL, READ_TIMEOUT_S), RAW_TSDU);
        assert_int_equal(len, FILL_TSDU);
        for (size_t i = 0; i < len; i++)
            if (got[i] != fill_byte(k, i))
                fail_msg("fill TSDU %u differs at %zu", k, i);
    }
}

/* A send on its own thread; `count` is the provider's write of
 * *lpNumberOfBytesSent, which it makes after checking every buffer page and
 * before it touches the data (data.c), so once it reads the TSDU's length
 * the send is past its checks and the page can be taken away. */
struct sender {
    SOCKET s;
    WSABUF buf;
    DWORD count;
    int rc, err;
    bool done;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

static void *sender_main(void *arg)
{
    struct sender *x = arg;
    int err = 0;
    int rc = P->lpWSPSend(x->s, &x->buf, 1, &x->count, 0, NULL, NULL, NULL, &err);
    pthread_mutex_lock(&x->lock);
    x->rc = rc;
    x->err = err;
    x->done = true;
    pthread_cond_broadcast(&x->cond);
    pthread_mutex_unlock(&x->lock);
    return NULL;
}

static void sender_start(struct sender *x, pthread_t *t, SOCKET s, void *buf, size_t len)
{
    *x = (struct sender){.s = s, .buf = {.len = (ULONG)len, .buf = buf}, .count = 0xFFFFFFFFu};
    pthread_mutex_init(&x->lock, NULL);
    pthread_cond_init(&x->cond, NULL);
    assert_int_equal(pthread_create(t, NULL, sender_main, x), 0);
}

/* Wait until the send wrote its count (past its checks), bounded. */
static void sender_past_checks(struct sender *x)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (__atomic_load_n(&x->count, __ATOMIC_ACQUIRE) != x->buf.len) {
        sched_yield();
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true(now.tv_sec - t0.tv_sec < 60);
    }
}

/* Whether the send returned within timeout_s seconds. */
static bool sender_wait(struct sender *x, int timeout_s)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += timeout_s;
    pthread_mutex_lock(&x->lock);
    while (!x->done && pthread_cond_timedwait(&x->cond, &x->lock, &dl) == 0) {
    }
    bool done = x->done;
    pthread_mutex_unlock(&x->lock);
    return done;
}

/* A TSDU in whole pages, so its last page can be made unreadable. */
static uint8_t *pages(size_t len, uint8_t seed)
{
    uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    for (size_t i = 0; i < len; i++)
        m[i] = (uint8_t)((i + seed) % 253);
    return m;
}

static void send_blocking(SOCKET s, const uint8_t *buf, size_t len)
{
    WSABUF b = {.len = (ULONG)len, .buf = (char *)buf};
    DWORD n = 0;
    int err = 0;
    assert_int_equal(P->lpWSPSend(s, &b, 1, &n, 0, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, len);
}

/* The next thing the peer reads is exactly this TSDU, alone. */
static void expect_tsdu(struct raw_peer *p, const uint8_t *want, size_t len)
{
    size_t n = 0;
    assert_int_equal(raw_next_tsdu(p, got, sizeof got, &n, NULL, READ_TIMEOUT_S), RAW_TSDU);
    assert_int_equal(n, len);
    assert_memory_equal(got, want, len);
}

/* Defect: the DT header was queued before the data copy, and the fault left
 * the torn DT (and the DTs before it) in the queue with the connection open;
 * the peer then read the failed TSDU's prefix, raw TPDU headers and the next
 * TSDU as one message.  Now a TSDU that fits in the queue is copied whole
 * before anything of it is queued: the fault withdraws it whole and the
 * connection stays usable. */
static void fault_after_wait_withdraws_tsdu_whole(void **state)
{
    (void)state;
    struct raw_peer p;
    SOCKET s = connect_raw(&p);
    unsigned nfill = fill_queue(s);
    set_nonblocking(s, 0);
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t len = 200 * 1024; /* fits in the queue, far more than its room now */
    uint8_t *x = pages(len, 1);
    struct sender snd;
    pthread_t t;
    sender_start(&snd, &t, s, x, len);
    sender_past_checks(&snd);
    /* The send now waits for room (the peer reads nothing); its tail goes. */
    assert_int_equal(mprotect(x + len - page, page, PROT_NONE), 0);
    read_fill(&p, nfill);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(snd.rc, SOCKET_ERROR);
    assert_int_equal(snd.err, WSAEFAULT); /* WSASend: "lpBuffers ... not ... user address space" */

    uint8_t *good = pages(20000, 7); /* three DTs: enough to fill any torn one */
    send_blocking(s, good, 20000);
    expect_tsdu(&p, good, 20000);
    send_blocking(s, (const uint8_t *)"AGAIN", 5);
    expect_tsdu(&p, (const uint8_t *)"AGAIN", 5);
    munmap(good, 20000);
    munmap(x, len);
    conf_close(&ctx4, s);
    raw_close(&p);
}

/* A TSDU larger than the whole queue cannot be staged at once: when its tail
 * faults, its start is on the wire.  The connection is aborted: the peer gets
 * DTs without EOT, then a DR (reason 0), then the TCP end; the send fails with
 * WSAEFAULT and every later call with WSAECONNABORTED (Windows: "an
 * established connection was aborted by the software in your host machine",
 * the local side ended it; WSAECONNRESET would blame the peer). */
static void fault_in_oversized_tsdu_aborts_with_dr(void **state)
{
    (void)state;
    struct raw_peer p;
    SOCKET s = connect_raw(&p);
    unsigned nfill = fill_queue(s);
    set_nonblocking(s, 0);
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t len = 1024 * 1024;
    uint8_t *x = pages(len, 3);
    struct sender snd;
    pthread_t t;
    sender_start(&snd, &t, s, x, len);
    sender_past_checks(&snd);
    assert_int_equal(mprotect(x + len - page, page, PROT_NONE), 0);
    read_fill(&p, nfill);
    size_t n = 0;
    uint8_t reason = 0xFF;
    assert_int_equal(raw_next_tsdu(&p, got, sizeof got, &n, &reason, READ_TIMEOUT_S), RAW_DR);
    assert_int_equal(reason, WSP_ITOT_DR_NOT_SPECIFIED);
    assert_true(n > 0 && n < len);
    assert_memory_equal(got, x, n); /* a prefix, in whole DTs, never completed */
    assert_int_equal(raw_next_tsdu(&p, got, sizeof got, &n, NULL, READ_TIMEOUT_S), RAW_EOF);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(snd.rc, SOCKET_ERROR);
    assert_int_equal(snd.err, WSAEFAULT);

    WSABUF b = {.len = 5, .buf = "AGAIN"};
    DWORD cnt = 0, flags = 0;
    int err = 0;
    assert_int_equal(P->lpWSPSend(s, &b, 1, &cnt, 0, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAECONNABORTED);
    char r[16];
    WSABUF rb = {.len = sizeof r, .buf = r};
    err = 0;
    assert_int_equal(P->lpWSPRecv(s, &rb, 1, &cnt, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAECONNABORTED);
    munmap(x, len);
    conf_close(&ctx4, s);
    raw_close(&p);
}

/* Run a non-blocking send of buf on a thread; fail unless it returns within a
 * generous deadline (a wait would last until the peer reads, i.e. forever
 * here).  If it hangs, the peer is drained so the thread can end, then the
 * test fails. */
static void nonblocking_send_returns(struct raw_peer *p, SOCKET s, uint8_t *buf, size_t len,
                                     struct sender *snd)
{
    pthread_t t;
    sender_start(snd, &t, s, buf, len);
    bool in_time = sender_wait(snd, 20);
    while (!in_time) {
        uint8_t sink[65536];
        if (read(p->fd, sink, sizeof sink) <= 0)
            break;
        pthread_mutex_lock(&snd->lock);
        in_time = snd->done;
        pthread_mutex_unlock(&snd->lock);
        if (in_time)
            fail_msg("the non-blocking send waited for the peer");
    }
    assert_int_equal(pthread_join(t, NULL), 0);
}

/* Defect: a non-blocking send of a TSDU larger than the output queue waited
 * for room (blocked) like a blocking one.  Now, the queue being writable,
 * it is accepted whole at once (the queue takes one oversized TSDU, up to
 * SO_MAX_MSG_SIZE) and reaches the peer intact once it reads. */
static void nonblocking_oversized_accepted_whole(void **state)
{
    (void)state;
    struct raw_peer p;
    SOCKET s = connect_raw(&p);
    set_nonblocking(s, 1);
    const size_t len = 3 * QUEUE_CAP;
    uint8_t *x = pages(len, 5);
    struct sender snd;
    nonblocking_send_returns(&p, s, x, len, &snd);
    assert_int_equal(snd.rc, 0);
    assert_int_equal(snd.count, len);
    expect_tsdu(&p, x, len);
    /* The queue is back to its regular size and still works. */
    send_blocking(s, (const uint8_t *)"NEXT", 4);
    expect_tsdu(&p, (const uint8_t *)"NEXT", 4);
    munmap(x, len);
    conf_close(&ctx4, s);
    raw_close(&p);
}

/* With the queue more than half full (not writable), the same send is
 * refused at once with WSAEWOULDBLOCK and sends nothing: the peer reads the
 * fill and then the next TSDU alone.  After the peer read, it is accepted. */
static void nonblocking_oversized_wouldblock_sends_nothing(void **state)
{
    (void)state;
    struct raw_peer p;
    SOCKET s = connect_raw(&p);
    unsigned nfill = fill_queue(s);
    const size_t len = 3 * QUEUE_CAP;
    uint8_t *x = pages(len, 9);
    struct sender snd;
    nonblocking_send_returns(&p, s, x, len, &snd);
    assert_int_equal(snd.rc, SOCKET_ERROR);
    assert_int_equal(snd.err, WSAEWOULDBLOCK);
    read_fill(&p, nfill);
    send_blocking(s, (const uint8_t *)"MARK", 4); /* non-blocking: the queue has room now */
    expect_tsdu(&p, (const uint8_t *)"MARK", 4);
    nonblocking_send_returns(&p, s, x, len, &snd);
    assert_int_equal(snd.rc, 0);
    expect_tsdu(&p, x, len);
    munmap(x, len);
    conf_close(&ctx4, s);
    raw_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fault_after_wait_withdraws_tsdu_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(fault_in_oversized_tsdu_aborts_with_dr, setup, teardown),
        cmocka_unit_test_setup_teardown(nonblocking_oversized_accepted_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(nonblocking_oversized_wouldblock_sends_nothing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
