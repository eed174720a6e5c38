/* SPDX-License-Identifier: MIT */
/* The process's poll set (ws2spi.h: WPUGetProcessPollSet): this program
 * plays a provider with a poll procedure registered, puts eventfds of its
 * own into the set and checks that libwsp's thread, and only it, runs the
 * procedure for their reports; that bad arguments are refused; and that a
 * fork() child gets a set and thread of its own, never the parent's. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/ws2spi.h>

#define COOKIE_PARENT 0x1234u
#define COOKIE_CHILD 0x5678u

static sem_t ran;
static atomic_uint last_cookie;
static _Atomic pid_t ran_in;
static atomic_int foreign; /* reports with a cookie nobody here added */

static void WSPAPI proc(ULONG_PTR cookie, DWORD events)
{
    (void)events;
    atomic_store(&ran_in, (pid_t)syscall(SYS_gettid));
    atomic_store(&last_cookie, (unsigned)cookie);
    if (cookie != COOKIE_PARENT && cookie != COOKIE_CHILD)
        atomic_fetch_add(&foreign, 1);
    sem_post(&ran);
}

/* Wait up to 5 s for a run of the procedure. */
static bool ran_within_5s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    int r;
    while ((r = sem_timedwait(&ran, &ts)) != 0 && errno == EINTR) {
    }
    return r == 0;
}

static void thread_name(pid_t tid, char *name, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(name, (int)len, f));
    fclose(f);
    name[strcspn(name, "\n")] = '\0';
}

/* An eventfd in the process set with cookie; written once. */
static int add_and_write(DWORD id, unsigned cookie)
{
    int ep = -1;
    unsigned long long tag = 0;
    assert_int_equal(WPUGetProcessPollSet(id, &ep, &tag), 0);
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_true(efd >= 0);
    struct epoll_event ee = {.events = EPOLLIN | EPOLLET, .data.u64 = tag | cookie};
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ee), 0);
    uint64_t one = 1;
    assert_int_equal(write(efd, &one, sizeof one), (ssize_t)sizeof one);
    return efd;
}

static void drop(DWORD id, int efd)
{
    int ep = -1;
    unsigned long long tag = 0;
    assert_int_equal(WPUGetProcessPollSet(id, &ep, &tag), 0);
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), 0);
    close(efd);
}

static void runs_the_procedure_on_its_own_thread(void **state)
{
    (void)state;
    DWORD id = 0;
    assert_int_equal(WPURegisterPortPoller(proc, &id), 0);
    int efd = add_and_write(id, COOKIE_PARENT);
    assert_true(ran_within_5s());
    assert_int_equal(atomic_load(&last_cookie), COOKIE_PARENT);
    pid_t tid = atomic_load(&ran_in);
    assert_true(tid != (pid_t)syscall(SYS_gettid));
    char name[32];
    thread_name(tid, name, sizeof name);
    assert_string_equal(name, "wsp-poll");
    /* the same set and tag on every call */
    int ep1 = -1, ep2 = -2;
    unsigned long long t1 = 0, t2 = 1;
    assert_int_equal(WPUGetProcessPollSet(id, &ep1, &t1), 0);
    assert_int_equal(WPUGetProcessPollSet(id, &ep2, &t2), 0);
    assert_int_equal(ep1, ep2);
    assert_true(t1 == t2 && t1 != 0);
    drop(id, efd);
    WPUDeregisterPortPoller(id);
    assert_int_equal(atomic_load(&foreign), 0);
}

static void refuses_bad_arguments(void **state)
{
    (void)state;
    int ep = -1;
    unsigned long long tag = 0;
    assert_int_equal(WPUGetProcessPollSet(0, &ep, &tag), WSAEINVAL);
    assert_int_equal(WPUGetProcessPollSet(17, &ep, &tag), WSAEINVAL);
    DWORD id = 0;
    assert_int_equal(WPURegisterPortPoller(proc, &id), 0);
    assert_int_equal(WPUGetProcessPollSet(id, NULL, &tag), WSAEINVAL);
    assert_int_equal(WPUGetProcessPollSet(id, &ep, NULL), WSAEINVAL);
    WPUDeregisterPortPoller(id);
    /* a procedure no longer registered */
    assert_int_equal(WPUGetProcessPollSet(id, &ep, &tag), WSAEINVAL);
}

/* The child's report must run in the child: in the parent's set it would run
 * the parent's procedure with the child's cookie (counted as foreign). */
static void a_fork_child_gets_its_own_set(void **state)
{
    (void)state;
    DWORD id = 0;
    assert_int_equal(WPURegisterPortPoller(proc, &id), 0);
    int efd = add_and_write(id, COOKIE_PARENT);
    assert_true(ran_within_5s()); /* the parent's set and thread exist */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int ep = -1;
        unsigned long long t = 0;
        int ok = WPUGetProcessPollSet(id, &ep, &t) == 0;
        int cfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        struct epoll_event ee = {.events = EPOLLIN | EPOLLET, .data.u64 = t | COOKIE_CHILD};
        uint64_t one = 1;
        ok = ok && cfd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ee) == 0 &&
             write(cfd, &one, sizeof one) == (ssize_t)sizeof one;
        ok = ok && ran_within_5s() && atomic_load(&last_cookie) == COOKIE_CHILD;
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    /* the parent's set still works, and saw nothing of the child's */
    uint64_t one = 1;
    assert_int_equal(write(efd, &one, sizeof one), (ssize_t)sizeof one);
    assert_true(ran_within_5s());
    assert_int_equal(atomic_load(&last_cookie), COOKIE_PARENT);
    assert_int_equal(atomic_load(&foreign), 0);
    drop(id, efd);
    WPUDeregisterPortPoller(id);
}

int main(void)
{
    sem_init(&ran, 0, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_the_procedure_on_its_own_thread),
        cmocka_unit_test(refuses_bad_arguments),
        cmocka_unit_test(a_fork_child_gets_its_own_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
