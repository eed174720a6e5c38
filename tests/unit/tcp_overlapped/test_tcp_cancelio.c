/* SPDX-License-Identifier: MIT */
/* CancelIo on a tcp socket (real API, loopback). CancelIo page: it cancels
 * the pending I/O operations that the calling thread issued for the handle,
 * not those of other threads; each cancelled one completes with
 * ERROR_OPERATION_ABORTED (WSA_OPERATION_ABORTED through Winsock). The page
 * names no ERROR_NOT_FOUND (CancelIoEx's does): nothing of the thread
 * pending is TRUE. Two threads take turns through a barrier: one issues a
 * receive, the other one another, and each cancels. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define WSP_WINSOCK_NAMES
#include <wsp/winsock2.h>
#include <wsp/ws2spi.h> /* WSS_OPERATION_IN_PROGRESS */

#include "ovl_pair.h"

#define WAIT_MS 10000u

struct recv_op {
    WSAOVERLAPPED ov;
    char buf[8];
    WSABUF wb;
    DWORD flags;
};

static void recv_start(SOCKET s, struct recv_op *r)
{
    memset(r, 0, sizeof *r);
    r->ov.hEvent = WSACreateEvent();
    r->wb = (WSABUF){sizeof r->buf, r->buf};
    assert_int_equal(WSARecv(s, &r->wb, 1, NULL, &r->flags, &r->ov, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
}

/* The operation's result once complete: 0 or its error; WSA_IO_INCOMPLETE while pending. */
static int recv_result(SOCKET s, struct recv_op *r, BOOL wait, DWORD *n)
{
    if (wait)
        assert_int_equal(WSAWaitForMultipleEvents(1, &r->ov.hEvent, TRUE, WAIT_MS, FALSE),
                         WSA_WAIT_EVENT_0);
    DWORD fl = 0;
    return WSAGetOverlappedResult(s, &r->ov, n, FALSE, &fl) ? 0 : WSAGetLastError();
}

struct other {
    SOCKET s;
    pthread_barrier_t step;
    struct recv_op r;
    BOOL cancelled;
};

static void *other_main(void *arg)
{
    struct other *o = arg;
    recv_start(o->s, &o->r); /* 1: this thread's receive */
    pthread_barrier_wait(&o->step);
    pthread_barrier_wait(&o->step); /* 2: the main thread has cancelled its own */
    o->cancelled = CancelIo((HANDLE)(uintptr_t)o->s);
    pthread_barrier_wait(&o->step); /* 3 */
    return NULL;
}

/* Each thread's CancelIo takes its own receive and leaves the other's. */
static void cancelio_takes_only_the_callers_operations(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    struct other o = {.s = a};
    pthread_barrier_init(&o.step, NULL, 2);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_main, &o), 0);
    pthread_barrier_wait(&o.step); /* the other thread's receive is pending */

    struct recv_op mine;
    recv_start(a, &mine);
    DWORD n = 0;
    assert_true(CancelIo((HANDLE)(uintptr_t)a));
    assert_int_equal(recv_result(a, &mine, TRUE, &n), WSA_OPERATION_ABORTED);
    /* the other thread's receive is still pending ... */
    assert_int_equal(recv_result(a, &o.r, FALSE, &n), WSA_IO_INCOMPLETE);
    /* ... and nothing of this thread is left: still TRUE */
    assert_true(CancelIo((HANDLE)(uintptr_t)a));
    assert_int_equal(recv_result(a, &o.r, FALSE, &n), WSA_IO_INCOMPLETE);

    pthread_barrier_wait(&o.step); /* 2: the other thread cancels its own */
    pthread_barrier_wait(&o.step); /* 3 */
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(o.cancelled);
    assert_int_equal(recv_result(a, &o.r, TRUE, &n), WSA_OPERATION_ABORTED);
    /* nothing pending at all now (CancelIoEx: ERROR_NOT_FOUND) */
    assert_false(CancelIoEx((HANDLE)(uintptr_t)a, NULL));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);
    WSACloseEvent(mine.ov.hEvent);
    WSACloseEvent(o.r.ov.hEvent);
    pthread_barrier_destroy(&o.step);
    closesocket(c);
    closesocket(a);
}

struct issuer {
    SOCKET s;
    pthread_barrier_t step;
    struct recv_op r;
};

/* Issues a receive and stays alive until told (Windows cancels a thread's
 * I/O when it exits, unless the handle is on a completion port). */
static void *issuer_main(void *arg)
{
    struct issuer *is = arg;
    recv_start(is->s, &is->r);
    pthread_barrier_wait(&is->step);
    pthread_barrier_wait(&is->step);
    return NULL;
}

static void issuer_start(struct issuer *is, pthread_t *t)
{
    pthread_barrier_init(&is->step, NULL, 2);
    assert_int_equal(pthread_create(t, NULL, issuer_main, is), 0);
    pthread_barrier_wait(&is->step); /* issued */
}

static void issuer_end(struct issuer *is, pthread_t t)
{
    pthread_barrier_wait(&is->step);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_barrier_destroy(&is->step);
    WSACloseEvent(is->r.ov.hEvent);
}

/* A receive another thread has pending survives this thread's CancelIo and
 * still gets its data (the engine goes on with it, also when it was in the
 * io_uring ring); CancelIoEx(NULL) reaches every thread's. */
static void cancelio_leaves_others_running(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    struct issuer is = {.s = a};
    pthread_t t;
    issuer_start(&is, &t);
    assert_true(CancelIo((HANDLE)(uintptr_t)a));
    assert_int_equal(send(c, "live", 4, 0), 4);
    DWORD n = 0;
    assert_int_equal(recv_result(a, &is.r, TRUE, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(is.r.buf, "live", 4);
    issuer_end(&is, t);

    issuer_start(&is, &t);
    assert_true(CancelIoEx((HANDLE)(uintptr_t)a, NULL));
    assert_int_equal(recv_result(a, &is.r, TRUE, &n), WSA_OPERATION_ABORTED);
    issuer_end(&is, t);
    closesocket(c);
    closesocket(a);
}

/* Windows cancels a thread's I/O when it exits (WSASend page: "All I/O
 * initiated by a given thread is canceled when that thread exits"); since
 * Vista not on a handle associated with a completion port. */
struct leaver {
    SOCKET s;
    struct recv_op r;
    bool with_routine;
};

static int routine_runs;
static void CALLBACK never_run(DWORD err, DWORD n, LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)err;
    (void)n;
    (void)ov;
    (void)flags;
    routine_runs++;
}

static void *leaver_main(void *arg)
{
    struct leaver *l = arg;
    if (!l->with_routine) {
        recv_start(l->s, &l->r);
        return NULL;
    }
    memset(&l->r, 0, sizeof l->r);
    l->r.ov.hEvent = WSACreateEvent(); /* not signalled for a routine: only read back */
    l->r.wb = (WSABUF){sizeof l->r.buf, l->r.buf};
    assert_int_equal(WSARecv(l->s, &l->r.wb, 1, NULL, &l->r.flags, &l->r.ov, never_run),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    return NULL; /* exits with its receive pending */
}

/* The thread's receive is aborted when it exits, with an event or a
 * routine (which never runs: its thread is gone); another thread's pending
 * receive on the same socket is not touched. */
static void thread_exit_cancels_its_operations(void **state)
{
    (void)state;
    for (int with_routine = 0; with_routine < 2; with_routine++) {
        SOCKET c, a;
        ovl_pair(&c, &a);
        struct recv_op mine;
        recv_start(a, &mine);
        struct leaver l = {.s = a, .with_routine = with_routine};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, leaver_main, &l), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        DWORD n = 0;
        if (!with_routine)
            assert_int_equal(recv_result(a, &l.r, TRUE, &n), WSA_OPERATION_ABORTED);
        else /* no event to wait for: joined, so the cancel has happened */
            assert_int_equal(recv_result(a, &l.r, FALSE, &n), WSA_OPERATION_ABORTED);
        assert_int_equal(recv_result(a, &mine, FALSE, &n), WSA_IO_INCOMPLETE);
        assert_int_equal(send(c, "still", 5, 0), 5);
        assert_int_equal(recv_result(a, &mine, TRUE, &n), 0);
        assert_int_equal(n, 5);
        /* an alertable wait here runs nothing of the other thread's */
        assert_int_equal(SleepEx(0, TRUE), 0);
        assert_int_equal(routine_runs, 0);
        WSACloseEvent(mine.ov.hEvent);
        WSACloseEvent(l.r.ov.hEvent);
        closesocket(c);
        closesocket(a);
    }
}

/* On a socket associated with a completion port the receive outlives its
 * thread and completes to the port with the data. */
static void thread_exit_leaves_port_operations(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(a, 7);
    struct leaver l = {.s = a};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, leaver_main, &l), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    DWORD n = 0;
    assert_int_equal(recv_result(a, &l.r, FALSE, &n), WSA_IO_INCOMPLETE);
    assert_int_equal(send(c, "port", 4, 0), 4);
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &l.r.ov);
    assert_int_equal(key, 7);
    assert_int_equal(n, 4);
    assert_memory_equal(l.r.buf, "port", 4);
    WSACloseEvent(l.r.ov.hEvent);
    closesocket(c);
    closesocket(a);
    CloseHandle(port);
}

/* CancelIo racing closesocket: a thread issues receives and cancels them,
 * over and over, while the main thread closes the socket. Both may recall
 * the same receive from the io_uring ring at once (tcp_overlapped_cancelio_uring:
 * receives wait there); neither may hang, and every receive the thread
 * issued ends (aborted) by the time both are done. */
enum { RACE_ROUNDS = 100, RACE_OPS = 16 };

struct canceller {
    SOCKET s;
    WSAOVERLAPPED ov[RACE_OPS];
    char buf[RACE_OPS][4];
    bool issued[RACE_OPS];
    pthread_barrier_t go;
};

static void *canceller_main(void *arg)
{
    struct canceller *k = arg;
    pthread_barrier_wait(&k->go);
    for (int i = 0; i < RACE_OPS; i++) {
        WSABUF b = {sizeof k->buf[i], k->buf[i]};
        DWORD fl = 0;
        int rc = WSARecv(k->s, &b, 1, NULL, &fl, &k->ov[i], NULL);
        k->issued[i] = rc == 0 || WSAGetLastError() == WSA_IO_PENDING;
        if (!CancelIo((HANDLE)(uintptr_t)k->s))
            break; /* closed */
    }
    return NULL;
}

static void cancelio_racing_close(void **state)
{
    (void)state;
    alarm(60); /* a hang in closesocket itself: SIGALRM ends the test, failed */
    for (int round = 0; round < RACE_ROUNDS; round++) {
        SOCKET c, a;
        ovl_pair(&c, &a);
        struct canceller *k = calloc(1, sizeof *k);
        assert_non_null(k);
        k->s = a;
        pthread_barrier_init(&k->go, NULL, 2);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, canceller_main, k), 0);
        pthread_barrier_wait(&k->go);
        for (int spin = 0; spin < round * 50; spin++)
            __asm__ volatile("" ::: "memory"); /* a different moment each round */
        assert_int_equal(closesocket(a), 0);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        assert_int_equal(pthread_timedjoin_np(t, NULL, &until), 0); /* no hang */
        for (int i = 0; i < RACE_OPS; i++)
            if (k->issued[i])
                assert_int_not_equal(__atomic_load_n(&k->ov[i].Internal, __ATOMIC_ACQUIRE),
                                     WSS_OPERATION_IN_PROGRESS);
        pthread_barrier_destroy(&k->go);
        free(k);
        closesocket(c);
    }
    alarm(0);
}

/* Not a socket: FALSE, ERROR_INVALID_HANDLE (CancelIo page: GetLastError). */
static void cancelio_refuses_a_non_socket(void **state)
{
    (void)state;
    assert_false(CancelIo((HANDLE)(uintptr_t)0x1234));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cancelio_takes_only_the_callers_operations),
        cmocka_unit_test(cancelio_leaves_others_running),
        cmocka_unit_test(cancelio_refuses_a_non_socket),
        cmocka_unit_test(thread_exit_cancels_its_operations),
        cmocka_unit_test(thread_exit_leaves_port_operations),
        cmocka_unit_test(cancelio_racing_close),
    };
    return cmocka_run_group_tests(tests, ovl_pair_setup, ovl_pair_teardown);
}
