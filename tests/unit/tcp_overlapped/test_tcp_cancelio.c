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
#include <string.h>

#include <cmocka.h>

#define WSP_WINSOCK_NAMES
#include <wsp/winsock2.h>

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
    };
    return cmocka_run_group_tests(tests, ovl_pair_setup, ovl_pair_teardown);
}
