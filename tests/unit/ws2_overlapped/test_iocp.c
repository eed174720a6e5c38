/* SPDX-License-Identifier: MIT */
/* Completion ports (CreateIoCompletionPort, GetQueuedCompletionStatus[Ex],
 * PostQueuedCompletionStatus, CloseHandle), CancelIoEx and GetLastError,
 * through the static libwsp (to reach iocp_waiters) and the provider module
 * of this folder. Expected codes follow Microsoft's documentation of each
 * call: GetQueuedCompletionStatus (FALSE + WAIT_TIMEOUT with a NULL
 * overlapped; FALSE + ERROR_ABANDONED_WAIT_0 when the port is closed during
 * the wait), CreateIoCompletionPort (ERROR_INVALID_PARAMETER for a second
 * association of a handle), CancelIoEx (ERROR_NOT_FOUND when nothing is
 * pending), GetQueuedCompletionStatusEx (ERROR_INVALID_PARAMETER for a zero
 * count). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <wsp/ws2spi.h>

#include "ovl_install.h"
#include "ovl_test.h"
#include "ws2/iocp.h"

static GUID guid_ovl = {0x22222222, 2, 2, {1, 2, 3, 4, 5, 6, 7, 9}};

static int setup(void **state)
{
    (void)state;
    return ovl_setup(&guid_ovl);
}

static HANDLE new_port(void)
{
    HANDLE p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_non_null(p);
    return p;
}

static void iocp_post_get_in_order(void **state)
{
    (void)state;
    HANDLE port = new_port();
    OVERLAPPED ovs[3];
    for (int i = 0; i < 3; i++)
        assert_true(
            PostQueuedCompletionStatus(port, (DWORD)(10 + i), (ULONG_PTR)(100 + i), &ovs[i]));
    for (int i = 0; i < 3; i++) {
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        LPOVERLAPPED ov = NULL;
        assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
        assert_int_equal(bytes, 10 + i);
        assert_int_equal(key, 100 + i);
        assert_ptr_equal(ov, &ovs[i]);
    }
    /* empty: FALSE, no overlapped, WAIT_TIMEOUT, after the time asked */
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov = &ovs[0];
    assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    assert_null(ov);
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ov = &ovs[0];
    assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &ov, 30));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_null(ov);
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 29);
    assert_true(CloseHandle(port));
}

static void iocp_get_ex_several(void **state)
{
    (void)state;
    HANDLE port = new_port();
    for (int i = 0; i < 5; i++)
        assert_true(PostQueuedCompletionStatus(port, (DWORD)i, (ULONG_PTR)i, NULL));
    OVERLAPPED_ENTRY e[8];
    ULONG n = 99;
    assert_true(GetQueuedCompletionStatusEx(port, e, 3, &n, 0, FALSE));
    assert_int_equal(n, 3);
    for (ULONG i = 0; i < 3; i++) {
        assert_int_equal(e[i].lpCompletionKey, i);
        assert_int_equal(e[i].dwNumberOfBytesTransferred, i);
        assert_int_equal(e[i].Internal, 0);
    }
    assert_true(GetQueuedCompletionStatusEx(port, e, 8, &n, INFINITE, FALSE));
    assert_int_equal(n, 2);
    assert_int_equal(e[0].lpCompletionKey, 3);
    assert_int_equal(e[1].lpCompletionKey, 4);
    assert_false(GetQueuedCompletionStatusEx(port, e, 8, &n, 0, FALSE));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    assert_int_equal(n, 0);
    assert_false(GetQueuedCompletionStatusEx(port, e, 0, &n, 0, FALSE));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_true(CloseHandle(port));
}

struct waiter {
    HANDLE port;
    BOOL ok;
    DWORD err;
    LPOVERLAPPED ov;
};

static void *wait_port(void *arg)
{
    struct waiter *w = arg;
    DWORD bytes;
    ULONG_PTR key;
    w->ov = (LPOVERLAPPED)w; /* must come back NULL */
    w->ok = GetQueuedCompletionStatus(w->port, &bytes, &key, &w->ov, INFINITE);
    w->err = GetLastError();
    return NULL;
}

/* Polls the waiter count with a deadline: the waiter is really another
 * thread entering its wait. */
static void until_waiting(HANDLE port, unsigned n)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (iocp_waiters(port) < n) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        assert_true(t.tv_sec - t0.tv_sec < 60);
        sched_yield();
    }
}

static void iocp_close_wakes_waiters(void **state)
{
    (void)state;
    HANDLE port = new_port();
    struct waiter w[2] = {{.port = port}, {.port = port}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, wait_port, &w[i]), 0);
    until_waiting(port, 2);
    assert_true(CloseHandle(port));
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_false(w[i].ok);
        assert_null(w[i].ov);
        assert_int_equal(w[i].err, ERROR_ABANDONED_WAIT_0);
    }
    /* the handle is gone: a later call, a second close */
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;
    assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_false(CloseHandle(port));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_false(PostQueuedCompletionStatus(port, 0, 0, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    /* a new port may take the same slot: the old handle stays dead */
    HANDLE again = new_port();
    assert_false(PostQueuedCompletionStatus(port, 0, 0, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_true(CloseHandle(again));
}

static void iocp_bad_handles(void **state)
{
    (void)state;
    HANDLE port = new_port();
    HANDLE bogus[] = {NULL,
                      INVALID_HANDLE_VALUE,
                      (HANDLE)(uintptr_t)0x1234,
                      (HANDLE)((uintptr_t)port + 4),
                      (HANDLE)((uintptr_t)port ^ 2),
                      (HANDLE)((uintptr_t)port + ((uintptr_t)1 << 40))};
    for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
        DWORD bytes;
        ULONG_PTR key;
        LPOVERLAPPED ov;
        assert_false(GetQueuedCompletionStatus(bogus[i], &bytes, &key, &ov, 0));
        assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
        assert_false(PostQueuedCompletionStatus(bogus[i], 0, 0, NULL));
        assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
        assert_false(CloseHandle(bogus[i]));
        assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    }
    /* making a port takes no existing one; a bogus existing port */
    assert_null(CreateIoCompletionPort(INVALID_HANDLE_VALUE, port, 0, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    /* an association of something that is not a socket */
    assert_null(CreateIoCompletionPort((HANDLE)(uintptr_t)0x1234, port, 0, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_true(CloseHandle(port));
    /* SetLastError and WSAGetLastError are one value, as on Windows */
    SetLastError(12345);
    assert_int_equal(WSAGetLastError(), 12345);
    WSASetLastError(777);
    assert_int_equal(GetLastError(), 777);
}

#define PRODUCERS 4
#define CONSUMERS 4
#define PER_PRODUCER 2000

static HANDLE mt_port;
static unsigned char mt_seen[PRODUCERS * PER_PRODUCER];

static void *producer(void *arg)
{
    uintptr_t base = (uintptr_t)arg * PER_PRODUCER;
    for (uintptr_t i = 0; i < PER_PRODUCER; i++)
        if (!PostQueuedCompletionStatus(mt_port, 1, base + i + 1, NULL))
            return (void *)1;
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    uintptr_t got = 0;
    for (;;) {
        OVERLAPPED_ENTRY e[7];
        ULONG n = 0;
        if (!GetQueuedCompletionStatusEx(mt_port, e, 7, &n, INFINITE, FALSE))
            return (void *)UINTPTR_MAX;
        for (ULONG i = 0; i < n; i++) {
            if (e[i].lpCompletionKey == 0) /* stop */
                return (void *)got;
            /* each key once: a byte per key, only this consumer writes it */
            __atomic_fetch_add(&mt_seen[e[i].lpCompletionKey - 1], 1, __ATOMIC_RELAXED);
            got++;
        }
    }
}

/* Producers and consumers at once: every packet taken exactly once. The
 * stop packets are posted after every producer is done and the consumers
 * take at most one of them each (FIFO, one stop returns). */
static void iocp_many_threads(void **state)
{
    (void)state;
    mt_port = new_port();
    memset(mt_seen, 0, sizeof mt_seen);
    pthread_t p[PRODUCERS], c[CONSUMERS];
    for (uintptr_t i = 0; i < CONSUMERS; i++)
        assert_int_equal(pthread_create(&c[i], NULL, consumer, NULL), 0);
    for (uintptr_t i = 0; i < PRODUCERS; i++)
        assert_int_equal(pthread_create(&p[i], NULL, producer, (void *)i), 0);
    for (int i = 0; i < PRODUCERS; i++) {
        void *r;
        assert_int_equal(pthread_join(p[i], &r), 0);
        assert_null(r);
    }
    /* a consumer may take several stops in one batch, so post one per
     * consumer, one at a time as each is taken: simplest is to post them all
     * and count what the consumers got */
    for (int i = 0; i < CONSUMERS * 7; i++)
        assert_true(PostQueuedCompletionStatus(mt_port, 0, 0, NULL));
    uintptr_t total = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        void *r;
        assert_int_equal(pthread_join(c[i], &r), 0);
        assert_true((uintptr_t)r != UINTPTR_MAX);
        total += (uintptr_t)r;
    }
    assert_int_equal(total, PRODUCERS * PER_PRODUCER);
    for (size_t i = 0; i < sizeof mt_seen; i++)
        assert_int_equal(mt_seen[i], 1);
    assert_true(CloseHandle(mt_port));
}

static char payload[5] = "hello";

static int send_ov(SOCKET s, LPWSAOVERLAPPED ov)
{
    WSABUF b = {.len = sizeof payload, .buf = payload};
    DWORD sent = 0;
    return WSASend(s, &b, 1, &sent, 0, ov, NULL);
}

static void complete(SOCKET s, DWORD err)
{
    DWORD ret = 0;
    assert_int_equal(WSAIoctl(s, OVLTEST_COMPLETE, &err, sizeof err, NULL, 0, &ret, NULL, NULL), 0);
}

/* A completion reaches the socket's port with its key; a failed one gives
 * FALSE with the overlapped and its code; the low bit of hEvent keeps it off
 * the port; closesocket's aborted operations still arrive. */
static void iocp_socket_completions(void **state)
{
    (void)state;
    SOCKET s = WSASocketW(AF_OVLTEST, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    HANDLE port = new_port();
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)s, port, 42, 0), port);
    /* a second association, to the same or another port */
    assert_null(CreateIoCompletionPort((HANDLE)s, port, 43, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_null(CreateIoCompletionPort((HANDLE)s, NULL, 43, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);

    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    assert_int_equal(send_ov(s, &ov), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
    complete(s, 0);
    assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
    assert_int_equal(key, 42);
    assert_ptr_equal(got, &ov);
    assert_int_equal(bytes, sizeof payload);

    assert_int_equal(send_ov(s, &ov), SOCKET_ERROR);
    complete(s, WSAECONNRESET);
    got = NULL;
    assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
    assert_ptr_equal(got, &ov);
    assert_int_equal(GetLastError(), WSAECONNRESET);
    assert_int_equal(key, 42);

    /* low bit of hEvent: the event is set, the port gets nothing */
    WSAEVENT ev = WSACreateEvent();
    ov.hEvent = (WSAEVENT)((uintptr_t)ev | 1);
    assert_int_equal(send_ov(s, &ov), SOCKET_ERROR);
    complete(s, 0);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    ov.hEvent = NULL;

    /* CancelIoEx: that operation aborted through the port; then nothing */
    OVERLAPPED ov2;
    memset(&ov2, 0, sizeof ov2);
    assert_int_equal(send_ov(s, &ov), SOCKET_ERROR);
    assert_int_equal(send_ov(s, &ov2), SOCKET_ERROR);
    assert_true(CancelIoEx((HANDLE)s, &ov2));
    assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
    assert_ptr_equal(got, &ov2);
    assert_int_equal(GetLastError(), WSA_OPERATION_ABORTED);
    assert_false(CancelIoEx((HANDLE)s, &ov2));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);
    assert_false(CancelIoEx((HANDLE)(uintptr_t)0x1234, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);

    /* closesocket with ov still pending: its abort reaches the port */
    assert_int_equal(closesocket(s), 0);
    assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
    assert_ptr_equal(got, &ov);
    assert_int_equal(GetLastError(), WSA_OPERATION_ABORTED);
    assert_int_equal(key, 42);
    assert_true(CloseHandle(port));
    assert_true(WSACloseEvent(ev));
}

/* A socket associated with a port that is then closed: completions go
 * nowhere, and nothing crashes. */
static void iocp_port_closed_before_completion(void **state)
{
    (void)state;
    SOCKET s = WSASocketW(AF_OVLTEST, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 7, 0); /* makes one */
    assert_non_null(port);
    assert_true(CloseHandle(port));
    HANDLE other = new_port(); /* may reuse the slot: must not get it */
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    assert_int_equal(send_ov(s, &ov), SOCKET_ERROR);
    complete(s, 0);
    assert_int_equal(ov.Internal, 0);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    assert_false(GetQueuedCompletionStatus(other, &bytes, &key, &got, 0));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    assert_true(CloseHandle(other));
    assert_int_equal(closesocket(s), 0);
}

static void CALLBACK bump_apc(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)err, (void)bytes, (void)flags;
    ov->Pointer = (void *)1;
}

/* GetQueuedCompletionStatusEx(..., TRUE) runs this thread's completion
 * routines: FALSE with WAIT_IO_COMPLETION (Microsoft's documentation). */
static void iocp_ex_alertable(void **state)
{
    (void)state;
    SOCKET s = WSASocketW(AF_OVLTEST, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    HANDLE port = new_port();
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    WSABUF b = {.len = sizeof payload, .buf = payload};
    DWORD sent;
    assert_int_equal(WSASend(s, &b, 1, &sent, 0, &ov, bump_apc), SOCKET_ERROR);
    complete(s, 0);
    OVERLAPPED_ENTRY e[2];
    ULONG n = 9;
    assert_false(GetQueuedCompletionStatusEx(port, e, 2, &n, 0, FALSE));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    assert_null(ov.Pointer);
    assert_false(GetQueuedCompletionStatusEx(port, e, 2, &n, INFINITE, TRUE));
    assert_int_equal(GetLastError(), WAIT_IO_COMPLETION);
    assert_int_equal(n, 0);
    assert_ptr_equal(ov.Pointer, (void *)1);
    assert_true(CloseHandle(port));
    assert_int_equal(closesocket(s), 0);
}

struct ex_waiter {
    HANDLE port;
    BOOL alertable;
    BOOL ok;
    ULONG n;
    OVERLAPPED_ENTRY e[2];
};

static void *wait_port_ex(void *arg)
{
    struct ex_waiter *w = arg;
    w->ok = GetQueuedCompletionStatusEx(w->port, w->e, 1, &w->n, INFINITE, w->alertable);
    return NULL;
}

/* An alertable waiter (it polls the port beside its APC descriptor) and a
 * non-alertable one (it sleeps on the port's condition variable) asleep on
 * one port: two posts reach both, one packet each, whichever wakes first.
 * The port wakes the two kinds differently (iocp.c); neither is left asleep
 * with a packet queued (a lost wake-up: the join's deadline fails the test). */
static void iocp_mixed_waiters_each_get_one(void **state)
{
    (void)state;
    HANDLE port = new_port();
    struct ex_waiter w[2] = {{.port = port, .alertable = TRUE}, {.port = port, .alertable = FALSE}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, wait_port_ex, &w[i]), 0);
    until_waiting(port, 2);
    assert_true(PostQueuedCompletionStatus(port, 1, 10, NULL));
    assert_true(PostQueuedCompletionStatus(port, 2, 20, NULL));
    ULONG_PTR keys = 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_timedjoin_np(t[i], NULL, &until), 0);
        assert_true(w[i].ok);
        assert_int_equal(w[i].n, 1);
        keys += w[i].e[0].lpCompletionKey;
    }
    assert_int_equal(keys, 30); /* one each, none twice */
    assert_true(CloseHandle(port));
}

/* ---- NumberOfConcurrentThreads ------------------------------------------
 * CreateIoCompletionPort page and "I/O Completion Ports": at most that many
 * threads run the port's packets at once; a thread that took a packet runs
 * until it waits on the port again (and then, with packets queued, "it will
 * immediately pick up the next queued completion packet" itself), and while
 * the limit is reached a queued packet releases no further waiter. A thread
 * that exits, or waits on another port, stops running. */

struct runner {
    HANDLE port, other;
    pthread_barrier_t step;
    ULONG_PTR key1, key2;
    BOOL ok2;
    DWORD err2;
};

static ULONG_PTR take_key(HANDLE port, DWORD ms, BOOL *ok, DWORD *err)
{
    DWORD bytes;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov;
    *ok = GetQueuedCompletionStatus(port, &bytes, &key, &ov, ms);
    *err = *ok ? 0 : GetLastError();
    return key;
}

/* Takes a packet, and when told comes back to `other` (the same port, or
 * another one) with no wait; then, when told, exits. */
static void *runner_main(void *arg)
{
    struct runner *r = arg;
    BOOL ok;
    DWORD err;
    r->key1 = take_key(r->port, INFINITE, &ok, &err);
    pthread_barrier_wait(&r->step); /* 1: running key1 */
    pthread_barrier_wait(&r->step); /* 2: come back */
    r->key2 = take_key(r->other, 0, &r->ok2, &r->err2);
    pthread_barrier_wait(&r->step); /* 3 */
    pthread_barrier_wait(&r->step); /* 4: exit */
    return NULL;
}

struct key_waiter {
    HANDLE port;
    ULONG_PTR key;
    BOOL ok;
    DWORD err;
};

static void *key_waiter_main(void *arg)
{
    struct key_waiter *w = arg;
    w->key = take_key(w->port, INFINITE, &w->ok, &w->err);
    return NULL;
}

/* Nothing for this thread within ms: the packet is held back, not lost. */
static void held_back(HANDLE port, DWORD ms)
{
    BOOL ok;
    DWORD err;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov = (LPOVERLAPPED)&ok;
    ok = GetQueuedCompletionStatus(port, &bytes, &key, &ov, ms);
    err = GetLastError();
    assert_false(ok);
    assert_null(ov);
    assert_int_equal(err, WAIT_TIMEOUT);
}

static void join_within(pthread_t t, int seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    assert_int_equal(pthread_timedjoin_np(t, NULL, &until), 0);
}

/* Limit 1: A runs a packet; the next one waits for A, not for B (B's and
 * this thread's timed waits end empty), and A takes it itself when it comes
 * back; the one after that goes to B as soon as A exits. */
static void iocp_concurrency_one(void **state)
{
    (void)state;
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    assert_non_null(port);
    struct runner a = {.port = port, .other = port};
    pthread_barrier_init(&a.step, NULL, 2);
    assert_true(PostQueuedCompletionStatus(port, 0, 1, NULL));
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, runner_main, &a), 0);
    pthread_barrier_wait(&a.step); /* 1 */
    assert_int_equal(a.key1, 1);

    assert_true(PostQueuedCompletionStatus(port, 0, 2, NULL));
    held_back(port, 50);
    struct key_waiter b = {.port = port};
    assert_int_equal(pthread_create(&tb, NULL, key_waiter_main, &b), 0);
    until_waiting(port, 1);
    held_back(port, 50); /* B is asleep in its wait, the packet still queued */
    assert_int_equal(iocp_waiters(port), 1);

    pthread_barrier_wait(&a.step); /* 2: A comes back, GetQueuedCompletionStatus(0) */
    pthread_barrier_wait(&a.step); /* 3 */
    assert_true(a.ok2);
    assert_int_equal(a.key2, 2);
    assert_int_equal(pthread_tryjoin_np(tb, NULL), EBUSY); /* B still has nothing */

    assert_true(PostQueuedCompletionStatus(port, 0, 3, NULL));
    held_back(port, 50);           /* A runs key 2 */
    pthread_barrier_wait(&a.step); /* 4: A exits without coming back */
    join_within(ta, 30);
    join_within(tb, 30);
    assert_true(b.ok);
    assert_int_equal(b.key, 3);
    pthread_barrier_destroy(&a.step);
    assert_true(CloseHandle(port));
}

/* Limit 1: a thread that waits on another port stops running the first
 * one's packet, which lets the held packet go to that port's waiter. */
static void iocp_concurrency_other_port_releases(void **state)
{
    (void)state;
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    HANDLE other = new_port();
    assert_non_null(port);
    struct runner a = {.port = port, .other = other};
    pthread_barrier_init(&a.step, NULL, 2);
    assert_true(PostQueuedCompletionStatus(port, 0, 1, NULL));
    assert_true(PostQueuedCompletionStatus(port, 0, 2, NULL));
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, runner_main, &a), 0);
    pthread_barrier_wait(&a.step); /* 1: A runs key 1, key 2 is held */
    struct key_waiter b = {.port = port};
    assert_int_equal(pthread_create(&tb, NULL, key_waiter_main, &b), 0);
    until_waiting(port, 1);
    held_back(port, 50);
    pthread_barrier_wait(&a.step); /* 2: A waits on the other port (nothing there) */
    pthread_barrier_wait(&a.step); /* 3 */
    assert_false(a.ok2);
    assert_int_equal(a.err2, WAIT_TIMEOUT);
    join_within(tb, 30);
    assert_true(b.ok);
    assert_int_equal(b.key, 2);
    pthread_barrier_wait(&a.step); /* 4 */
    join_within(ta, 30);
    pthread_barrier_destroy(&a.step);
    assert_true(CloseHandle(other));
    assert_true(CloseHandle(port));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iocp_post_get_in_order),
        cmocka_unit_test(iocp_get_ex_several),
        cmocka_unit_test(iocp_close_wakes_waiters),
        cmocka_unit_test(iocp_bad_handles),
        cmocka_unit_test(iocp_many_threads),
        cmocka_unit_test(iocp_socket_completions),
        cmocka_unit_test(iocp_port_closed_before_completion),
        cmocka_unit_test(iocp_ex_alertable),
        cmocka_unit_test(iocp_mixed_waiters_each_get_one),
        cmocka_unit_test(iocp_concurrency_one),
        cmocka_unit_test(iocp_concurrency_other_port_releases),
    };
    return cmocka_run_group_tests(tests, setup, ovl_teardown);
}
