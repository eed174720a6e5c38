/* SPDX-License-Identifier: MIT */
/* The overlapped kit (src/common/ovl.h) on its own: the FIFO, submission
 * faults (a bad WSAOVERLAPPED or WSABUF array is WSAEFAULT and changes
 * nothing), the completion report through WPUCompleteOverlappedRequest (the
 * test's own, exported from this executable) or through WPUQueueApc for a
 * completion routine, WSPGetOverlappedResult with and without waiting (woken
 * by a completion in another thread), abort, the cancel argument, and the
 * record pool (reused, shared between threads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wsp/ws2spi.h>

#include "common/ovl.h"

#define PG 4096

/* ---- the test's libwsp side ---------------------------------------------- */

static atomic_int completes;               /* WPUCompleteOverlappedRequest calls */
static _Atomic SOCKET last_s;              /* of the last call (single-threaded tests) */
static _Atomic DWORD last_err, last_bytes; /* likewise */
static LPWSAOVERLAPPED order[16];          /* ov of each call, in call order */
static atomic_int set_events;

WSP_EXPORT int WSPAPI WPUCompleteOverlappedRequest(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                                   DWORD dwError, DWORD cbTransferred,
                                                   LPINT lpErrno)
{
    (void)lpErrno;
    int n = atomic_fetch_add(&completes, 1);
    if (n < 16)
        order[n] = lpOverlapped;
    last_s = s;
    last_err = dwError;
    last_bytes = cbTransferred;
    /* what ws2spi.h asks of libwsp: InternalHigh, then Internal (release) */
    lpOverlapped->InternalHigh = cbTransferred;
    __atomic_store_n(&lpOverlapped->Internal, (ULONG_PTR)dwError, __ATOMIC_RELEASE);
    return 0;
}

static LPWSAUSERAPC apc_fn;
static DWORD_PTR apc_ctx;
static WSATHREADID apc_thread;
static int apc_result; /* what the fake WPUQueueApc returns */

static int WSPAPI fake_queue_apc(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc,
                                 DWORD_PTR dwContext, LPINT lpErrno)
{
    if (apc_result != 0) {
        *lpErrno = WSAEINVAL;
        return SOCKET_ERROR;
    }
    apc_thread = *lpThreadId;
    apc_fn = lpfnUserApc;
    apc_ctx = dwContext;
    return 0;
}

static BOOL WSPAPI fake_set_event(WSAEVENT h, LPINT lpErrno)
{
    (void)h;
    (void)lpErrno;
    atomic_fetch_add(&set_events, 1);
    return TRUE;
}

static int setup(void **state)
{
    (void)state;
    WSPUPCALLTABLE up;
    memset(&up, 0, sizeof up);
    up.lpWPUQueueApc = fake_queue_apc;
    up.lpWPUSetEvent = fake_set_event;
    assert_true(ovl_startup(&up));
    atomic_store(&completes, 0);
    atomic_store(&set_events, 0);
    apc_fn = NULL;
    apc_result = 0;
    return 0;
}

/* ---- the list ------------------------------------------------------------- */

static void list_is_a_fifo_with_take(void **state)
{
    (void)state;
    WSAOVERLAPPED ov[4];
    struct ovl_op op[4];
    memset(op, 0, sizeof op);
    struct ovl_list l;
    ovl_list_init(&l);
    assert_true(ovl_list_empty(&l));
    assert_null(ovl_list_first(&l));
    assert_null(ovl_list_pop(&l));
    for (int i = 0; i < 4; i++) {
        op[i].ov = &ov[i];
        ovl_list_push(&l, &op[i]);
    }
    assert_ptr_equal(ovl_list_first(&l), &op[0]);
    assert_ptr_equal(ovl_list_take(&l, &ov[1]), &op[1]); /* middle */
    assert_ptr_equal(ovl_list_take(&l, &ov[3]), &op[3]); /* last: the tail moves back */
    assert_null(ovl_list_take(&l, &ov[3]));              /* not there any more */
    ovl_list_push(&l, &op[3]);                           /* so this goes after op[2] */
    assert_ptr_equal(ovl_list_take(&l, NULL), &op[0]);   /* NULL: the first */
    assert_ptr_equal(ovl_list_pop(&l), &op[2]);
    assert_ptr_equal(ovl_list_pop(&l), &op[3]);
    assert_true(ovl_list_empty(&l));
    ovl_list_push(&l, &op[1]); /* the tail is right after emptying too */
    assert_ptr_equal(ovl_list_pop(&l), &op[1]);
    assert_null(ovl_list_pop(&l));
}

/* ---- submission ------------------------------------------------------------ */

/* rw page, then a PROT_NONE page */
static char *map2(void)
{
    char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + PG, PG, PROT_NONE), 0);
    return m;
}

static void op_new_copies_the_buffers(void **state)
{
    (void)state;
    char data[16];
    WSABUF b[9];
    for (int i = 0; i < 9; i++) {
        b[i].len = (ULONG)i + 1;
        b[i].buf = data + i;
    }
    for (DWORD n = 0; n <= 9; n += 3) { /* none, inline (3), heap (6, 9) */
        WSAOVERLAPPED ov;
        memset(&ov, 0, sizeof ov);
        ov.Internal = 77;
        struct ovl_op *op = NULL;
        int x = 5;
        assert_int_equal(ovl_op_new(42, &ov, NULL, NULL, n ? b : NULL, n, 3, &x, &op), 0);
        assert_non_null(op);
        assert_int_equal(ov.Internal, WSS_OPERATION_IN_PROGRESS);
        assert_int_equal(op->s, 42);
        assert_ptr_equal(op->ov, &ov);
        assert_int_equal(op->nbufs, n);
        assert_int_equal(op->done, 0);
        assert_int_equal(op->kind, 3);
        assert_ptr_equal(op->arg, &x);
        assert_true(n == 0 || op->bufs != b); /* a copy: the caller's array may go */
        for (DWORD i = 0; i < n; i++) {
            assert_int_equal(op->bufs[i].len, b[i].len);
            assert_ptr_equal(op->bufs[i].buf, b[i].buf);
        }
        ovl_op_drop(op);
        assert_int_equal(ov.Internal, 77); /* as the caller had it */
        assert_int_equal(atomic_load(&completes), 0);
    }
}

/* WSASend/WSARecv: lpOverlapped or lpBuffers "not totally contained in a
 * valid part of the user address space" is WSAEFAULT. */
static void op_new_faults_change_nothing(void **state)
{
    (void)state;
    char *m = map2();
    struct ovl_op *op = (struct ovl_op *)(uintptr_t)1;
    WSABUF b[8];
    memset(b, 0, sizeof b);

    /* ov unmapped, ov running into the guard page, ov read-only */
    assert_int_equal(ovl_op_new(1, (LPWSAOVERLAPPED)(m + PG), NULL, NULL, b, 1, 0, NULL, &op),
                     WSAEFAULT);
    assert_int_equal(ovl_op_new(1, (LPWSAOVERLAPPED)(m + PG - 8), NULL, NULL, b, 1, 0, NULL, &op),
                     WSAEFAULT);
    assert_int_equal(ovl_op_new(1, NULL, NULL, NULL, b, 1, 0, NULL, &op), WSAEFAULT);
    LPWSAOVERLAPPED ov = (LPWSAOVERLAPPED)m;
    memset(ov, 0, sizeof *ov);
    ov->Internal = 9;
    assert_int_equal(mprotect(m, PG, PROT_READ), 0);
    assert_int_equal(ovl_op_new(1, ov, NULL, NULL, b, 1, 0, NULL, &op), WSAEFAULT);
    assert_int_equal(mprotect(m, PG, PROT_READ | PROT_WRITE), 0);

    /* the WSABUF array unmapped, NULL, or running into the guard page
     * (inline and heap sizes) */
    WSABUF *edge = (WSABUF *)(m + PG - 2 * sizeof(WSABUF));
    assert_int_equal(ovl_op_new(1, ov, NULL, NULL, (WSABUF *)(m + PG), 1, 0, NULL, &op), WSAEFAULT);
    assert_int_equal(ovl_op_new(1, ov, NULL, NULL, NULL, 2, 0, NULL, &op), WSAEFAULT);
    assert_int_equal(ovl_op_new(1, ov, NULL, NULL, edge, 3, 0, NULL, &op), WSAEFAULT);
    assert_int_equal(ovl_op_new(1, ov, NULL, NULL, edge, 8, 0, NULL, &op), WSAEFAULT);
    /* a completion routine's thread id unreadable */
    assert_int_equal(ovl_op_new(1, ov, (LPWSAOVERLAPPED_COMPLETION_ROUTINE)(uintptr_t)16, NULL, b,
                                1, 0, NULL, &op),
                     WSAEFAULT);

    assert_ptr_equal(op, (struct ovl_op *)(uintptr_t)1); /* *out untouched */
    assert_int_equal(ov->Internal, 9);                   /* ov untouched */
    assert_int_equal(atomic_load(&completes), 0);
    /* the edge itself is fine */
    assert_int_equal(ovl_op_new(1, ov, NULL, NULL, edge, 2, 0, NULL, &op), 0);
    ovl_op_drop(op);
    munmap(m, 2 * PG);
}

/* ---- completion ------------------------------------------------------------ */

static void complete_reports_through_libwsp(void **state)
{
    (void)state;
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = (WSAEVENT)(uintptr_t)0x1234;
    struct ovl_op *op;
    assert_int_equal(ovl_op_new(7, &ov, NULL, NULL, NULL, 0, 0, NULL, &op), 0);

    DWORD bytes = 99, flags = 99;
    INT err = 0;
    assert_false(ovl_get_result(&ov, &bytes, FALSE, &flags, &err));
    assert_int_equal(err, WSA_IO_INCOMPLETE); /* WSAGetOverlappedResult, fWait FALSE */

    ovl_complete(op, 0, 1234, MSG_PARTIAL);
    assert_int_equal(atomic_load(&completes), 1); /* once, with the right arguments */
    assert_int_equal(last_s, 7);
    assert_int_equal(last_err, 0);
    assert_int_equal(last_bytes, 1234);
    assert_int_equal(ov.Offset, MSG_PARTIAL);
    assert_int_equal(ov.InternalHigh, 1234);
    assert_int_equal(ov.Internal, 0);
    assert_int_equal(atomic_load(&set_events), 0); /* the event is libwsp's business */

    assert_true(ovl_get_result(&ov, &bytes, FALSE, &flags, &err));
    assert_int_equal(bytes, 1234);
    assert_int_equal(flags, MSG_PARTIAL);
    assert_true(ovl_get_result(&ov, &bytes, TRUE, &flags, &err)); /* done: no wait */

    /* an error: FALSE with the status, the count and flags still filled */
    assert_int_equal(ovl_op_new(7, &ov, NULL, NULL, NULL, 0, 0, NULL, &op), 0);
    ovl_complete(op, WSAECONNRESET, 5, 0);
    assert_false(ovl_get_result(&ov, &bytes, FALSE, &flags, &err));
    assert_int_equal(err, WSAECONNRESET);
    assert_int_equal(bytes, 5);
    assert_int_equal(flags, 0);
}

/* WSAGetOverlappedResult: a bad lpOverlapped, lpcbTransfer or lpdwFlags
 * (neither may be NULL) is WSAEFAULT. */
static void get_result_faults(void **state)
{
    (void)state;
    char *m = map2();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD bytes, flags;
    INT err = 0;
    assert_false(ovl_get_result((LPWSAOVERLAPPED)(m + PG), &bytes, FALSE, &flags, &err));
    assert_int_equal(err, WSAEFAULT);
    err = 0;
    assert_false(ovl_get_result(&ov, NULL, FALSE, &flags, &err));
    assert_int_equal(err, WSAEFAULT);
    err = 0;
    assert_false(ovl_get_result(&ov, &bytes, FALSE, (LPDWORD)(m + PG), &err));
    assert_int_equal(err, WSAEFAULT);
    munmap(m, 2 * PG);
}

static DWORD r_err, r_bytes, r_flags;
static LPWSAOVERLAPPED r_ov;
static int r_calls;

static void CALLBACK routine(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED ov, DWORD dwFlags)
{
    r_calls++;
    r_err = dwError;
    r_bytes = cbTransferred;
    r_ov = ov;
    r_flags = dwFlags;
}

static void complete_queues_the_routine(void **state)
{
    (void)state;
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    WSATHREADID tid = {(HANDLE)(uintptr_t)0x55, 0x66};
    struct ovl_op *op;
    r_calls = 0;
    assert_int_equal(ovl_op_new(8, &ov, routine, &tid, NULL, 0, 0, NULL, &op), 0);
    memset(&tid, 0, sizeof tid); /* copied at submission */
    ovl_complete(op, WSAEMSGSIZE, 17, MSG_PARTIAL);
    /* the fields are final before the routine runs; libwsp is not involved */
    assert_int_equal(atomic_load(&completes), 0);
    assert_int_equal(ov.Internal, WSAEMSGSIZE);
    assert_int_equal(ov.InternalHigh, 17);
    assert_int_equal(ov.Offset, MSG_PARTIAL);
    assert_int_equal(r_calls, 0); /* only queued: it runs in the issuing thread's wait */
    assert_non_null(apc_fn);
    assert_ptr_equal(apc_thread.ThreadHandle, (HANDLE)(uintptr_t)0x55);
    assert_true(apc_thread.Reserved != 0); /* the kit's discard function (ws2spi.h) */
    apc_fn(apc_ctx);                       /* the alertable wait */
    assert_int_equal(r_calls, 1);
    assert_int_equal(r_err, WSAEMSGSIZE);
    assert_int_equal(r_bytes, 17);
    assert_ptr_equal(r_ov, &ov);
    assert_int_equal(r_flags, MSG_PARTIAL);

    /* the thread is gone: the record is released (ASan's leak check), the
     * fields are still complete for a poller */
    WSATHREADID tid2 = {(HANDLE)(uintptr_t)0x57, 0};
    apc_result = SOCKET_ERROR;
    apc_fn = NULL;
    assert_int_equal(ovl_op_new(8, &ov, routine, &tid2, NULL, 0, 0, NULL, &op), 0);
    ovl_complete(op, 0, 3, 0);
    assert_null(apc_fn);
    assert_int_equal(ov.Internal, 0);
    assert_int_equal(ov.InternalHigh, 3);
    assert_int_equal(r_calls, 1);
}

/* The routine was queued, then its thread exited before an alertable wait:
 * ws2 drops the APC and calls the discard function the kit put into
 * WSATHREADID.Reserved. The routine never runs and the record goes back to
 * the pool (the next operation gets the same one). */
static void dropped_routine_releases_the_record(void **state)
{
    (void)state;
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    WSATHREADID tid = {(HANDLE)(uintptr_t)0x59, 0};
    struct ovl_op *op, *next;
    r_calls = 0;
    assert_int_equal(ovl_op_new(8, &ov, routine, &tid, NULL, 0, 0, NULL, &op), 0);
    ovl_complete(op, 0, 5, 0);
    assert_non_null(apc_fn);
    LPWSAUSERAPC discard = (LPWSAUSERAPC)apc_thread.Reserved;
    assert_non_null(discard);
    discard(apc_ctx); /* ws2, at the thread's exit */
    assert_int_equal(r_calls, 0);
    assert_int_equal(ovl_op_new(8, &ov, NULL, NULL, NULL, 0, 0, NULL, &next), 0);
    assert_ptr_equal(next, op);
    ovl_complete(next, 0, 0, 0);
}

/* closesocket: every pending operation completes with WSA_OPERATION_ABORTED,
 * in issue order. */
static void abort_completes_all_in_order(void **state)
{
    (void)state;
    WSAOVERLAPPED ov[3];
    memset(ov, 0, sizeof ov);
    struct ovl_list l;
    ovl_list_init(&l);
    for (int i = 0; i < 3; i++) {
        struct ovl_op *op;
        assert_int_equal(ovl_op_new(9, &ov[i], NULL, NULL, NULL, 0, 0, NULL, &op), 0);
        op->done = (DWORD)i;
        ovl_list_push(&l, op);
    }
    ovl_list_abort(&l, WSA_OPERATION_ABORTED);
    assert_true(ovl_list_empty(&l));
    assert_int_equal(atomic_load(&completes), 3);
    for (int i = 0; i < 3; i++) {
        assert_ptr_equal(order[i], &ov[i]);
        assert_int_equal(ov[i].Internal, WSA_OPERATION_ABORTED);
        assert_int_equal(ov[i].InternalHigh, (ULONG_PTR)i);
    }
}

static void cancel_arg_reads_the_pointer(void **state)
{
    (void)state;
    char *m = map2();
    WSAOVERLAPPED ov;
    LPWSAOVERLAPPED in = &ov, got = NULL;
    assert_int_equal(ovl_cancel_arg(&in, sizeof in, &got), 0);
    assert_ptr_equal(got, &ov);
    in = NULL;
    assert_int_equal(ovl_cancel_arg(&in, sizeof in, &got), 0);
    assert_null(got); /* every operation */
    /* WSAIoctl: an input buffer too small or not valid memory is WSAEFAULT */
    assert_int_equal(ovl_cancel_arg(NULL, sizeof in, &got), WSAEFAULT);
    assert_int_equal(ovl_cancel_arg(&in, sizeof in - 1, &got), WSAEFAULT);
    assert_int_equal(ovl_cancel_arg(m + PG - 4, sizeof in, &got), WSAEFAULT);
    munmap(m, 2 * PG);
}

/* ---- waiting and threads ----------------------------------------------- */

struct waiter {
    LPWSAOVERLAPPED ov;
    int ready[2]; /* a pipe: the waiter is about to wait */
    BOOL ok;
    DWORD bytes;
};

static void *wait_thread(void *p)
{
    struct waiter *w = p;
    DWORD flags;
    INT err = 0;
    assert_int_equal(write(w->ready[1], "x", 1), 1);
    w->ok = ovl_get_result(w->ov, &w->bytes, TRUE, &flags, &err);
    return NULL;
}

/* fWait: the waiter sleeps until a completion in another thread wakes it
 * (it would hang, and the test time out, without the wake). Repeated, so
 * that both orders (completion before / after the waiter sleeps) occur;
 * several waiters on different operations of one bucket each get theirs. */
static void get_result_wait_is_woken(void **state)
{
    (void)state;
    enum { ROUNDS = 200, W = 3 };
    for (int round = 0; round < ROUNDS; round++) {
        WSAOVERLAPPED ov[W];
        struct waiter w[W];
        struct ovl_op *op[W];
        pthread_t t[W];
        memset(ov, 0, sizeof ov);
        for (int i = 0; i < W; i++) {
            assert_int_equal(ovl_op_new(1, &ov[i], NULL, NULL, NULL, 0, 0, NULL, &op[i]), 0);
            w[i].ov = &ov[i];
            w[i].ok = FALSE;
            assert_int_equal(pipe(w[i].ready), 0);
            assert_int_equal(pthread_create(&t[i], NULL, wait_thread, &w[i]), 0);
        }
        for (int i = 0; i < W; i++) {
            char c;
            assert_int_equal(read(w[i].ready[0], &c, 1), 1);
            ovl_complete(op[i], 0, (DWORD)(round + i), 0);
        }
        for (int i = 0; i < W; i++) {
            assert_int_equal(pthread_join(t[i], NULL), 0);
            assert_true(w[i].ok);
            assert_int_equal(w[i].bytes, (DWORD)(round + i));
            close(w[i].ready[0]);
            close(w[i].ready[1]);
        }
    }
}

/* A steady stream of operations reuses one record: nothing is allocated. */
static void records_are_reused(void **state)
{
    (void)state;
    WSAOVERLAPPED ov;
    WSABUF b[2] = {{1, (char *)"a"}, {1, (char *)"b"}};
    struct ovl_op *first, *op;
    assert_int_equal(ovl_op_new(1, &ov, NULL, NULL, b, 2, 0, NULL, &first), 0);
    ovl_complete(first, 0, 0, 0);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(ovl_op_new(1, &ov, NULL, NULL, b, 2, 0, NULL, &op), 0);
        assert_ptr_equal(op, first);
        ovl_complete(op, 0, 0, 0);
    }
}

/* Records taken in one thread and given back in another, many pending at
 * once (more than a pool chunk), from several threads (TSan). */
enum { STRESS_THREADS = 4, STRESS_OPS = 150, STRESS_ROUNDS = 40 };

static void *stress_thread(void *p)
{
    (void)p;
    static _Thread_local WSAOVERLAPPED ov[STRESS_OPS];
    struct ovl_op *op[STRESS_OPS];
    for (int r = 0; r < STRESS_ROUNDS; r++) {
        for (int i = 0; i < STRESS_OPS; i++) {
            WSABUF b[6] = {{(ULONG)i, NULL}};
            if (ovl_op_new(2, &ov[i], NULL, NULL, b, (DWORD)(1 + i % 6), i, NULL, &op[i]) != 0)
                return (void *)1;
        }
        for (int i = 0; i < STRESS_OPS; i++) {
            if (op[i]->kind != i || op[i]->bufs[0].len != (ULONG)i)
                return (void *)2;
            ovl_complete(op[i], 0, (DWORD)i, 0);
            if (ov[i].InternalHigh != (ULONG_PTR)i)
                return (void *)3;
        }
    }
    return NULL;
}

static void records_shared_between_threads(void **state)
{
    (void)state;
    pthread_t t[STRESS_THREADS];
    for (int i = 0; i < STRESS_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, stress_thread, NULL), 0);
    for (int i = 0; i < STRESS_THREADS; i++) {
        void *rv = (void *)1;
        assert_int_equal(pthread_join(t[i], &rv), 0);
        assert_null(rv);
    }
    assert_int_equal(atomic_load(&completes), STRESS_THREADS * STRESS_OPS * STRESS_ROUNDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(list_is_a_fifo_with_take, setup),
        cmocka_unit_test_setup(op_new_copies_the_buffers, setup),
        cmocka_unit_test_setup(op_new_faults_change_nothing, setup),
        cmocka_unit_test_setup(complete_reports_through_libwsp, setup),
        cmocka_unit_test_setup(get_result_faults, setup),
        cmocka_unit_test_setup(complete_queues_the_routine, setup),
        cmocka_unit_test_setup(abort_completes_all_in_order, setup),
        cmocka_unit_test_setup(cancel_arg_reads_the_pointer, setup),
        cmocka_unit_test_setup(get_result_wait_is_woken, setup),
        cmocka_unit_test_setup(records_are_reused, setup),
        cmocka_unit_test_setup(dropped_routine_releases_the_record, setup),
        cmocka_unit_test_setup(records_shared_between_threads, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
