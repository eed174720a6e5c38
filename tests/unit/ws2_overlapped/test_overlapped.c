/* SPDX-License-Identifier: MIT */
/* ws2's side of overlapped I/O, driven by the provider module of this folder
 * (ovl_provider.c): WPUCompleteOverlappedRequest, the per-thread APC queues
 * behind completion routines, alertable waits, SleepEx and
 * WSAGetOverlappedResult. Built twice: against libwsp.so and against the
 * static copy (whose executable must export WPUCompleteOverlappedRequest for
 * the module's dlsym(RTLD_DEFAULT)). */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/ws2spi.h>

#include "ovl_install.h"
#include "ovl_test.h"

static GUID guid_ovl = {0x22222222, 2, 2, {1, 2, 3, 4, 5, 6, 7, 8}};

static int setup(void **state)
{
    (void)state;
    return ovl_setup(&guid_ovl);
}

static SOCKET ovl_socket(void)
{
    SOCKET s = WSASocketW(AF_OVLTEST, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    return s;
}

/* Let the provider complete s's pending operations (from its own thread). */
static void complete(SOCKET s, DWORD err)
{
    DWORD ret = 0;
    assert_int_equal(WSAIoctl(s, OVLTEST_COMPLETE, &err, sizeof err, NULL, 0, &ret, NULL, NULL), 0);
}

static struct ovltest_stats stats(SOCKET s)
{
    struct ovltest_stats st;
    DWORD ret = 0;
    assert_int_equal(WSAIoctl(s, OVLTEST_STATS, NULL, 0, &st, sizeof st, &ret, NULL, NULL), 0);
    return st;
}

static char payload[5] = "hello";

static int send_ov(SOCKET s, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    WSABUF b = {.len = sizeof payload, .buf = payload};
    DWORD sent = 0;
    return WSASend(s, &b, 1, &sent, 0, ov, cr);
}

static ULONG_PTR load_internal(const WSAOVERLAPPED *ov)
{
    return __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE);
}

/* The event is signalled, the fields hold the result, WSAGetOverlappedResult
 * reads it back; a failed operation gives FALSE and its WSAE* code. */
static void ovl_event_completion(void **state)
{
    (void)state;
    SOCKET s = ovl_socket();
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = ev;
    assert_int_equal(send_ov(s, &ov, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    DWORD cb = 99, flags = 99;
    /* pending, no wait: WSA_IO_INCOMPLETE (WSAGetOverlappedResult's doc) */
    assert_false(WSAGetOverlappedResult(s, &ov, &cb, FALSE, &flags));
    assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);

    complete(s, 0);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    assert_int_equal(load_internal(&ov), 0);
    assert_int_equal(ov.InternalHigh, sizeof payload);
    assert_true(WSAGetOverlappedResult(s, &ov, &cb, FALSE, &flags));
    assert_int_equal(cb, sizeof payload);
    assert_int_equal(flags, 0);

    /* a failure: the operation's own code as the last error */
    assert_true(WSAResetEvent(ev));
    assert_int_equal(send_ov(s, &ov, NULL), SOCKET_ERROR);
    complete(s, WSAECONNRESET);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    assert_false(WSAGetOverlappedResult(s, &ov, &cb, TRUE, &flags));
    assert_int_equal(WSAGetLastError(), WSAECONNRESET);

    /* the low bit of hEvent (not to the port) is masked off for the event */
    assert_true(WSAResetEvent(ev));
    ov.hEvent = (WSAEVENT)((uintptr_t)ev | 1);
    assert_int_equal(send_ov(s, &ov, NULL), SOCKET_ERROR);
    complete(s, 0);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);

    /* closesocket with an operation pending: WSA_OPERATION_ABORTED */
    assert_true(WSAResetEvent(ev));
    ov.hEvent = ev;
    assert_int_equal(send_ov(s, &ov, NULL), SOCKET_ERROR);
    assert_int_equal(closesocket(s), 0);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    assert_int_equal(load_internal(&ov), WSA_OPERATION_ABORTED);
    assert_true(WSACloseEvent(ev));
}

static void ovl_get_result_bad_handle(void **state)
{
    (void)state;
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD cb, flags;
    assert_false(WSAGetOverlappedResult((SOCKET)0x12344, &ov, &cb, FALSE, &flags));
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
}

/* Microsoft's WPUCompleteOverlappedRequest documentation: WSAEINVAL for a
 * socket not made by WPUCreateSocketHandle. An unmapped WSAOVERLAPPED is
 * WSAEFAULT (wsp's rule D4: caller memory never crashes the library). */
static void ovl_complete_request_errors(void **state)
{
    (void)state;
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    int err = 0;
    assert_int_equal(WPUCompleteOverlappedRequest((SOCKET)0x12344, &ov, 0, 1, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    assert_int_equal(ov.InternalHigh, 0);

    SOCKET s = ovl_socket();
    long pg = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    err = 0;
    assert_int_equal(WPUCompleteOverlappedRequest(s, p, 0, 1, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = 0;
    assert_int_equal(WPUCompleteOverlappedRequest(s, NULL, 0, 1, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    munmap(p, (size_t)pg);

    /* a good one, NULL hEvent: fields stored, nothing else */
    assert_int_equal(WPUCompleteOverlappedRequest(s, &ov, WSAECONNABORTED, 7, NULL), 0);
    assert_int_equal(ov.Internal, WSAECONNABORTED);
    assert_int_equal(ov.InternalHigh, 7);
    assert_int_equal(closesocket(s), 0);
}

/* What the routine saw. */
static struct {
    int calls;
    DWORD err, bytes, flags;
    LPWSAOVERLAPPED ov;
    pthread_t thread;
} seen;

static void CALLBACK routine(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    seen.calls++;
    seen.err = err;
    seen.bytes = bytes;
    seen.ov = ov;
    seen.flags = flags;
    seen.thread = pthread_self();
}

static void *alertable_sleeper(void *arg)
{
    (void)arg;
    /* this thread issued nothing: its alertable wait runs nothing */
    return (void *)(uintptr_t)SleepEx(0, TRUE);
}

/* The routine runs only in an alertable wait of the issuing thread. */
static void ovl_routine_only_in_alertable_wait(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    SOCKET s = ovl_socket();
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    assert_int_equal(send_ov(s, &ov, routine), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    complete(s, 0);
    assert_int_equal(load_internal(&ov), 0);

    /* not in a non-alertable wait, not in a plain sleep */
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    assert_int_equal(SleepEx(0, FALSE), 0);
    assert_int_equal(seen.calls, 0);
    /* not in another thread's alertable wait */
    pthread_t t;
    void *r;
    assert_int_equal(pthread_create(&t, NULL, alertable_sleeper, NULL), 0);
    assert_int_equal(pthread_join(t, &r), 0);
    assert_int_equal((uintptr_t)r, 0);
    assert_int_equal(seen.calls, 0);

    /* this thread's alertable wait: the routine, then WSA_WAIT_IO_COMPLETION */
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, TRUE), WSA_WAIT_IO_COMPLETION);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.err, 0);
    assert_int_equal(seen.bytes, sizeof payload);
    assert_ptr_equal(seen.ov, &ov);
    assert_int_equal(seen.flags, 0);
    assert_true(pthread_equal(seen.thread, pthread_self()));
    /* it ran once: the next alertable wait times out */
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, TRUE), WSA_WAIT_TIMEOUT);
    assert_int_equal(SleepEx(0, TRUE), 0);

    /* SleepEx(..., TRUE) runs them too */
    assert_int_equal(send_ov(s, &ov, routine), SOCKET_ERROR);
    complete(s, WSAECONNRESET);
    assert_int_equal(SleepEx(INFINITE, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.err, WSAECONNRESET);

    struct ovltest_stats st = stats(s);
    assert_int_equal(st.queue_errors, 0);
    assert_int_equal(st.tid_without_routine, 0);
    assert_int_equal(closesocket(s), 0);
    assert_true(WSACloseEvent(ev));
}

/* Without a completion routine the provider gets an empty WSATHREADID. */
static void ovl_thread_id_only_with_routine(void **state)
{
    (void)state;
    SOCKET s = ovl_socket();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    assert_int_equal(send_ov(s, &ov, NULL), SOCKET_ERROR);
    complete(s, 0);
    assert_int_equal(stats(s).tid_without_routine, 0);
    assert_int_equal(closesocket(s), 0);
}

struct completer_arg {
    SOCKET s;
    int fd; /* read end: go */
};

static void *late_completer(void *arg)
{
    struct completer_arg *c = arg;
    char x;
    if (read(c->fd, &x, 1) != 1)
        return NULL;
    DWORD err = 0, ret = 0;
    WSAIoctl(c->s, OVLTEST_COMPLETE, &err, sizeof err, NULL, 0, &ret, NULL, NULL);
    return NULL;
}

/* An alertable wait that is already asleep wakes for a routine queued
 * later, runs it and returns WSA_WAIT_IO_COMPLETION (SleepEx likewise). */
static void ovl_alertable_wait_wakes(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    SOCKET s = ovl_socket();
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    for (int round = 0; round < 2; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        struct completer_arg c = {s, p[0]};
        pthread_t t;
        assert_int_equal(send_ov(s, &ov, routine), SOCKET_ERROR);
        assert_int_equal(pthread_create(&t, NULL, late_completer, &c), 0);
        /* the completer starts once we are about to wait; whether it queues
         * before or during the wait, the answer is the same */
        assert_int_equal(write(p[1], "x", 1), 1);
        if (round == 0)
            assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, WSA_INFINITE, TRUE),
                             WSA_WAIT_IO_COMPLETION);
        else
            assert_int_equal(SleepEx(INFINITE, TRUE), WAIT_IO_COMPLETION);
        assert_int_equal(seen.calls, round + 1);
        assert_true(pthread_equal(seen.thread, pthread_self()));
        assert_int_equal(pthread_join(t, NULL), 0);
        close(p[0]);
        close(p[1]);
    }
    assert_int_equal(closesocket(s), 0);
    assert_true(WSACloseEvent(ev));
}

struct issuer_arg {
    SOCKET s;
    WSAOVERLAPPED ov;
    int go[2]; /* the issuer exits when it reads from go[0] */
    int issued[2];
};

static void *issuer(void *arg)
{
    struct issuer_arg *a = arg;
    int rc = send_ov(a->s, &a->ov, routine);
    int err = WSAGetLastError();
    char x = rc == SOCKET_ERROR && err == WSA_IO_PENDING ? 'p' : 'f';
    if (write(a->issued[1], &x, 1) != 1)
        return NULL;
    if (read(a->go[0], &x, 1) != 1)
        return NULL;
    return NULL; /* exits without an alertable wait */
}

static void start_issuer(struct issuer_arg *a, SOCKET s, pthread_t *t)
{
    memset(a, 0, sizeof *a);
    a->s = s;
    assert_int_equal(pipe(a->go), 0);
    assert_int_equal(pipe(a->issued), 0);
    assert_int_equal(pthread_create(t, NULL, issuer, a), 0);
    char x;
    assert_int_equal(read(a->issued[0], &x, 1), 1);
    assert_int_equal(x, 'p');
}

static void stop_issuer(struct issuer_arg *a, pthread_t t)
{
    assert_int_equal(write(a->go[1], "x", 1), 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    close(a->go[0]);
    close(a->go[1]);
    close(a->issued[0]);
    close(a->issued[1]);
}

/* A routine for a thread that has exited: WPUQueueApc refuses it with
 * WSAEINVAL (the provider frees its record). A routine queued before its
 * thread exits is dropped unrun and the provider's discard function called
 * (the WSATHREADID.Reserved rule of ws2spi.h). */
static void ovl_apc_to_exited_thread(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    SOCKET s = ovl_socket();
    struct issuer_arg a;
    pthread_t t;

    start_issuer(&a, s, &t);
    stop_issuer(&a, t);
    complete(s, 0);
    struct ovltest_stats st = stats(s);
    assert_int_equal(st.queue_errors, 1);
    assert_int_equal(st.last_error, WSAEINVAL);
    assert_int_equal(st.discarded, 0);

    start_issuer(&a, s, &t);
    complete(s, 0);
    stop_issuer(&a, t);
    st = stats(s);
    assert_int_equal(st.queue_errors, 0);
    assert_int_equal(st.discarded, 1);
    assert_int_equal(seen.calls, 0);

    /* the queue slot of an exited thread is reused by the next thread that
     * opens one: a routine for the dead thread must not reach the new one */
    start_issuer(&a, s, &t);
    stop_issuer(&a, t);
    struct issuer_arg b;
    pthread_t tb;
    start_issuer(&b, s, &tb);
    complete(s, 0); /* the dead thread's op is refused, the live one's queued */
    stop_issuer(&b, tb);
    st = stats(s);
    assert_int_equal(st.queue_errors, 1);
    assert_int_equal(st.discarded, 1);
    assert_int_equal(seen.calls, 0);
    assert_int_equal(closesocket(s), 0);
}

/* WSACleanup closes the sockets, so a pending operation with a routine is
 * aborted and its routine queued; the last WSACleanup also unloads the
 * provider, whose APC function the queue holds. The routine must still run
 * (WSA_OPERATION_ABORTED) at the next alertable wait, not jump into an
 * unloaded module. */
static void ovl_routine_after_cleanup(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    SOCKET s = ovl_socket();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    assert_int_equal(send_ov(s, &ov, routine), SOCKET_ERROR);
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(seen.calls, 0);
    assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.err, WSA_OPERATION_ABORTED);
    assert_ptr_equal(seen.ov, &ov);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

/* Modules find WPUCompleteOverlappedRequest with dlsym(RTLD_DEFAULT)
 * (ws2spi.h); in the static variant the executable itself must export it. */
static void ovl_exported_for_modules(void **state)
{
    (void)state;
    assert_ptr_equal(dlsym(RTLD_DEFAULT, "WPUCompleteOverlappedRequest"),
                     (void *)WPUCompleteOverlappedRequest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ovl_exported_for_modules),
        cmocka_unit_test(ovl_event_completion),
        cmocka_unit_test(ovl_get_result_bad_handle),
        cmocka_unit_test(ovl_complete_request_errors),
        cmocka_unit_test(ovl_routine_only_in_alertable_wait),
        cmocka_unit_test(ovl_thread_id_only_with_routine),
        cmocka_unit_test(ovl_alertable_wait_wakes),
        cmocka_unit_test(ovl_apc_to_exited_thread),
        cmocka_unit_test(ovl_routine_after_cleanup),
    };
    return cmocka_run_group_tests(tests, setup, ovl_teardown);
}
