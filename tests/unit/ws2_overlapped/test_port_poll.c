/* SPDX-License-Identifier: MIT */
/* Port polling (ws2spi.h: WPURegisterPortPoller, WPUGetPortPollSet,
 * WPUDeregisterPortPoller): this program plays the provider. It registers a
 * poll procedure, puts an eventfd of its own into the set of the port that a
 * socket of the test module is associated with, and checks who runs the
 * procedure: the thread waiting on the port when there is one, the port's own
 * thread when there is none, and that no packet is stranded in between. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/ws2spi.h>

#include "ovl_install.h"
#include "ovl_test.h"

static GUID guid_pp = {0x22222222, 2, 2, {1, 2, 3, 4, 5, 6, 7, 0x10}};

#define KEY_PROC 77 /* the key of the packets the procedure posts */

/* What the procedure saw, and the port it posts to. */
static HANDLE pp_port;
static _Atomic pid_t pp_ran_in;
static atomic_int pp_runs;
static pthread_mutex_t pp_hold_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_hold_cv = PTHREAD_COND_INITIALIZER;
static bool pp_hold;      /* the procedure waits while this is set */
static atomic_bool pp_in; /* the procedure is running (and held) */
static atomic_bool pp_done;
static bool pp_no_post; /* the procedure posts nothing (under pp_hold_mu) */

static pid_t my_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static void WSPAPI pp_proc(ULONG_PTR cookie, DWORD events)
{
    atomic_store(&pp_ran_in, my_tid());
    atomic_fetch_add(&pp_runs, 1);
    atomic_store(&pp_in, true);
    pthread_mutex_lock(&pp_hold_mu);
    while (pp_hold)
        pthread_cond_wait(&pp_hold_cv, &pp_hold_mu);
    bool post = !pp_no_post;
    pthread_mutex_unlock(&pp_hold_mu);
    uint64_t v;
    if (read((int)cookie, &v, sizeof v) != sizeof v) {
        /* drained already by an earlier report: the edge is what counts */
    }
    assert_true(events & EPOLLIN);
    if (post)
        assert_true(PostQueuedCompletionStatus(pp_port, (DWORD)cookie, KEY_PROC, NULL));
    atomic_store(&pp_done, true);
}

static int pp_open; /* registrations of fixtures not closed (a failed case leaves one) */

struct fixture {
    SOCKET s;
    HANDLE port;
    DWORD id;
    int efd; /* our descriptor in the port's set; the cookie is its number */
};

static int setup(void **state)
{
    (void)state;
    return ovl_setup(&guid_pp);
}

static void fixture_open(struct fixture *f)
{
    f->s = WSASocketW(AF_OVLTEST, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(f->s != INVALID_SOCKET);
    f->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_non_null(f->port);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)f->s, f->port, 1, 0), f->port);
    pp_port = f->port;
    assert_int_equal(WPURegisterPortPoller(pp_proc, &f->id), 0);
    pp_open++;
    int ep = -1;
    unsigned long long tag = 0;
    assert_int_equal(WPUGetPortPollSet(f->s, f->id, &ep, &tag), 0);
    f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_true(f->efd >= 0);
    struct epoll_event ee = {.events = EPOLLIN | EPOLLET, .data.u64 = tag | (unsigned)f->efd};
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, f->efd, &ee), 0);
    atomic_store(&pp_runs, 0);
    atomic_store(&pp_ran_in, 0);
    atomic_store(&pp_in, false);
    atomic_store(&pp_done, false);
}

static void fixture_close(struct fixture *f)
{
    int ep = -1;
    unsigned long long tag = 0;
    assert_int_equal(WPUGetPortPollSet(f->s, f->id, &ep, &tag), 0);
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_DEL, f->efd, NULL), 0);
    WPUDeregisterPortPoller(f->id);
    pp_open--;
    close(f->efd);
    assert_int_equal(closesocket(f->s), 0);
    assert_true(CloseHandle(f->port));
}

static void poke(int efd)
{
    uint64_t one = 1;
    assert_int_equal(write(efd, &one, sizeof one), sizeof one);
}

/* The syscall thread tid is blocked in (/proc/self/task/TID/syscall), or -1. */
static long syscall_of(pid_t tid)
{
    char path[64], buf[64] = {0};
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return -1;
    long nr = -1;
    if (fgets(buf, sizeof buf, fp) == NULL || sscanf(buf, "%ld", &nr) != 1)
        nr = -1;
    fclose(fp);
    return nr;
}

struct waiter {
    HANDLE port;
    _Atomic pid_t tid;
    BOOL ok;
    ULONG_PTR key;
    DWORD bytes;
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    atomic_store(&w->tid, my_tid());
    LPOVERLAPPED ov = NULL;
    w->ok = GetQueuedCompletionStatus(w->port, &w->bytes, &w->key, &ov, INFINITE);
    return NULL;
}

/* Until thread tid sleeps in epoll_wait (the port's set) or, if futex_too,
 * on a futex (a condition variable), with a deadline. */
static void until_asleep(pid_t tid, bool futex_too)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        long nr = syscall_of(tid);
        if (nr == SYS_epoll_wait || nr == SYS_epoll_pwait || (futex_too && nr == SYS_futex))
            return;
        clock_gettime(CLOCK_MONOTONIC, &t);
        assert_true(t.tv_sec - t0.tv_sec < 60);
        sched_yield();
    }
}

/* A thread waiting on w's port, asleep in the port's set on return. */
static pthread_t start_waiter(struct waiter *w)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waiter_main, w), 0);
    while (atomic_load(&w->tid) == 0)
        sched_yield();
    until_asleep(atomic_load(&w->tid), false);
    return t;
}

/* A report for a socket on the port runs in the thread that waits on the
 * port, which then takes the completion the procedure made. The keeper is
 * made asleep first (a first report with nobody waiting finds it): epoll
 * wakes the thread that began to wait last, and a keeper just started may
 * begin after the waiter (it then runs that one report, and steps aside). */
static void port_poll_runs_in_waiting_thread(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f);
    poke(f.efd);
    while (!atomic_load(&pp_done))
        sched_yield();
    pid_t keeper = atomic_load(&pp_ran_in);
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov = NULL;
    assert_true(GetQueuedCompletionStatus(f.port, &bytes, &key, &ov, 0));
    until_asleep(keeper, false);
    atomic_store(&pp_runs, 0);
    struct waiter w = {.port = f.port};
    pthread_t t = start_waiter(&w);
    poke(f.efd);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(w.ok);
    assert_int_equal(w.key, KEY_PROC);
    assert_int_equal(w.bytes, (DWORD)f.efd);
    assert_int_equal(atomic_load(&pp_runs), 1);
    assert_int_equal(atomic_load(&pp_ran_in), atomic_load(&w.tid));
    fixture_close(&f);
}

/* With nobody waiting the port's own thread runs the procedure: a socket on
 * a port makes progress while the application does something else. */
static void port_poll_runs_without_waiter(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f);
    poke(f.efd);
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov = NULL;
    /* the packet is there before anyone waits: the procedure ran elsewhere */
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!atomic_load(&pp_done)) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        assert_true(t.tv_sec - t0.tv_sec < 60);
        sched_yield();
    }
    assert_true(GetQueuedCompletionStatus(f.port, &bytes, &key, &ov, 0));
    assert_int_equal(key, KEY_PROC);
    assert_int_not_equal(atomic_load(&pp_ran_in), my_tid());
    fixture_close(&f);
}

static void on_signal(int sig)
{
    (void)sig;
}

/* A report with nobody waiting: the port's own thread runs the procedure
 * and is held inside it (posting nothing when no_post) until release_proc. */
static void hold_in_keeper(struct fixture *f, bool no_post)
{
    pthread_mutex_lock(&pp_hold_mu);
    pp_hold = true;
    pp_no_post = no_post;
    pthread_mutex_unlock(&pp_hold_mu);
    poke(f->efd);
    while (!atomic_load(&pp_in))
        sched_yield();
}

static void release_proc(void)
{
    pthread_mutex_lock(&pp_hold_mu);
    pp_hold = false;
    pthread_cond_broadcast(&pp_hold_cv);
    pthread_mutex_unlock(&pp_hold_mu);
}

/* The port's own thread, back from a report while an application thread
 * waits, must leave the port's edges to that thread: epoll wakes the thread
 * that began to wait last, which is the keeper then, and a keeper that took
 * a packet's edge and let it go would leave the waiter asleep with the
 * packet queued. Made deterministic: the keeper is held inside the procedure
 * until the waiter sleeps, returns from it without posting, and is asleep
 * again before the packet is posted. */
static void port_poll_keeper_leaves_edges_to_waiter(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f);
    hold_in_keeper(&f, true);
    pid_t keeper = atomic_load(&pp_ran_in);
    struct waiter w = {.port = f.port};
    pthread_t t = start_waiter(&w);
    release_proc();
    while (!atomic_load(&pp_done))
        sched_yield();
    until_asleep(keeper, true);
    assert_true(PostQueuedCompletionStatus(f.port, 5, 9, NULL));
    /* a deadline, not a timing: a lost edge leaves the waiter asleep for good */
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 60;
    int jr = pthread_timedjoin_np(t, NULL, &dl);
    if (jr != 0) {
        /* nothing the port does reaches it now: interrupt its epoll_wait, and
         * the wait's loop takes the packet */
        struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
        sigemptyset(&sa.sa_mask);
        assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
        assert_int_equal(pthread_kill(t, SIGUSR1), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        fail_msg("the waiter slept through a queued packet: its edge went to the keeper");
    }
    assert_true(w.ok);
    assert_int_equal(w.key, 9);
    pp_no_post = false;
    fixture_close(&f);
}

static void *deregister_main(void *arg)
{
    DWORD id = *(DWORD *)arg;
    WPUDeregisterPortPoller(id);
    /* nobody runs the procedure any more: the run that was inside is over */
    return atomic_load(&pp_done) ? NULL : (void *)1;
}

/* WPUDeregisterPortPoller returns only after a running procedure returned. */
static void port_poll_deregister_waits_for_run(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f);
    hold_in_keeper(&f, false);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, deregister_main, &f.id), 0);
    for (int i = 0; i < 1000; i++)
        sched_yield(); /* give it the chance to return too early */
    release_proc();
    void *rv = (void *)1;
    assert_int_equal(pthread_join(t, &rv), 0);
    assert_null(rv);
    /* the registration is gone: its id no longer gives a set */
    int ep = -1;
    unsigned long long tag = 0;
    assert_int_equal(WPUGetPortPollSet(f.s, f.id, &ep, &tag), WSAEINVAL);
    assert_int_equal(WPURegisterPortPoller(pp_proc, &f.id), 0); /* for fixture_close */
    fixture_close(&f);
}

/* Bad arguments are refused with the documented codes; nothing crashes. */
static void port_poll_bad_arguments(void **state)
{
    (void)state;
    DWORD id = 0;
    assert_int_equal(WPURegisterPortPoller(NULL, &id), WSAEINVAL);
    assert_int_equal(WPURegisterPortPoller(pp_proc, NULL), WSAEINVAL);
    DWORD ids[17];
    int made = 0;
    int err = 0;
    while (made < 17 && (err = WPURegisterPortPoller(pp_proc, &ids[made])) == 0)
        made++;
    assert_int_equal(made + pp_open, 16);
    assert_int_equal(err, WSAENOBUFS);

    SOCKET s = WSASocketW(AF_OVLTEST, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    int ep = -1;
    unsigned long long tag = 0;
    /* not on a port */
    assert_int_equal(WPUGetPortPollSet(s, ids[0], &ep, &tag), WSAEINVAL);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 0, 0);
    assert_non_null(port);
    assert_int_equal(WPUGetPortPollSet(s, 0, &ep, &tag), WSAEINVAL);
    assert_int_equal(WPUGetPortPollSet(s, 99, &ep, &tag), WSAEINVAL);
    assert_int_equal(WPUGetPortPollSet(s, ids[0], NULL, &tag), WSAEINVAL);
    assert_int_equal(WPUGetPortPollSet(s, ids[0], &ep, NULL), WSAEINVAL);
    assert_int_equal(WPUGetPortPollSet((SOCKET)12345, ids[0], &ep, &tag), WSAEINVAL);
    assert_int_equal(WPUGetPortPollSet(s, ids[0], &ep, &tag), 0);
    assert_true(ep >= 0);
    assert_int_equal(tag >> 56, ids[0]);
    /* a closed port gives no set any more */
    assert_true(CloseHandle(port));
    assert_int_equal(WPUGetPortPollSet(s, ids[0], &ep, &tag), WSAEINVAL);
    assert_int_equal(closesocket(s), 0);
    for (int i = 0; i < made; i++)
        WPUDeregisterPortPoller(ids[i]);
    WPUDeregisterPortPoller(0);  /* ignored */
    WPUDeregisterPortPoller(99); /* ignored */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(port_poll_runs_in_waiting_thread),
        cmocka_unit_test(port_poll_runs_without_waiter),
        cmocka_unit_test(port_poll_keeper_leaves_edges_to_waiter),
        cmocka_unit_test(port_poll_deregister_waits_for_run),
        cmocka_unit_test(port_poll_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, ovl_teardown);
}
