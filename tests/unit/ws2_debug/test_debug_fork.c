/* SPDX-License-Identifier: MIT */
/* fork while another thread is inside the debug callback: the child must not
 * inherit the trace lock held by a thread that does not exist there (its
 * first traced call would hang for ever).  fork waits for the line in
 * progress instead (a pthread_atfork handler).
 *
 * Thread A makes a traced call and stays in the callback until released.
 * Thread F then forks.  With the handler, F blocks inside fork; the test sees
 * F asleep before fork returned (/proc/self/task/F/stat), releases A, and the
 * child's traced call completes.  Without it, fork returns at once while A
 * still holds the lock and the child hangs: the deadline fails the test. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/wspext.h>

#define DEADLINE_S 10

static int release_pipe[2];
static atomic_int a_inside, f_tid, f_forking, f_forked;
static atomic_int in_child;

static void hold(const char *line, void *ctx)
{
    (void)line;
    (void)ctx;
    if (atomic_load(&in_child))
        return;
    if (atomic_exchange(&a_inside, 1) == 0) { /* the first line only: thread A's */
        char c;
        (void)!read(release_pipe[0], &c, 1);
    }
}

static void *thread_a(void *arg)
{
    (void)arg;
    (void)closesocket((SOCKET)0x4); /* a traced failure: WSAENOTSOCK */
    return NULL;
}

static void *thread_f(void *arg)
{
    atomic_store(&f_tid, (int)syscall(SYS_gettid));
    atomic_store(&f_forking, 1);
    pid_t pid = fork();
    if (pid == 0) {
        atomic_store(&in_child, 1);
        (void)closesocket((SOCKET)0x4); /* takes the trace lock */
        _exit(0);
    }
    atomic_store(&f_forked, 1);
    *(pid_t *)arg = pid;
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Thread tid is asleep (state S or D in its stat line). */
static int task_sleeping(int tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* after the command name */
    return p != NULL && (p[2] == 'S' || p[2] == 'D');
}

static void fork_during_a_callback_does_not_hang_the_child(void **state)
{
    (void)state;
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    assert_int_equal(pipe(release_pipe), 0);
    assert_int_equal(wsp_set_debug_callback(hold, NULL), 0);
    pthread_t a, f;
    pid_t child = -1;
    assert_int_equal(pthread_create(&a, NULL, thread_a, NULL), 0);
    double end = now_s() + DEADLINE_S;
    while (!atomic_load(&a_inside) && now_s() < end)
        sched_yield();
    assert_true(atomic_load(&a_inside));
    assert_int_equal(pthread_create(&f, NULL, thread_f, &child), 0);
    /* F either forks at once (no handler) or sleeps inside fork waiting for A */
    while (now_s() < end && !atomic_load(&f_forked) &&
           !(atomic_load(&f_forking) && task_sleeping(atomic_load(&f_tid))))
        sched_yield();
    assert_int_equal(write(release_pipe[1], "x", 1), 1);
    assert_int_equal(pthread_join(f, NULL), 0);
    assert_int_equal(pthread_join(a, NULL), 0);
    assert_true(child > 0);
    int st = 0;
    pid_t r = 0;
    while ((r = waitpid(child, &st, WNOHANG)) == 0 && now_s() < end + DEADLINE_S)
        sched_yield();
    if (r == 0) {
        kill(child, SIGKILL);
        waitpid(child, &st, 0);
        fail_msg("the child hung on the trace lock inherited from the parent");
    }
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(wsp_set_debug_callback(NULL, NULL), 0);
    assert_int_equal(WSACleanup(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fork_during_a_callback_does_not_hang_the_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
