/* SPDX-License-Identifier: MIT */
/* The itot engine's wake-up.  API calls wake the progress engine by writing
 * its eventfd; the result used to be ignored.  Now:
 *  - EAGAIN (the counter is saturated: a wake-up is already pending) counts
 *    as done: the call succeeds and the engine still does its work;
 *  - any other error (EBADF, EINVAL: the descriptor is not the engine's) is
 *    a bug of the provider, which stops the process (abort) instead of
 *    running on with an engine that can no longer be woken.
 * The failures are made by interposing write() on the calling thread, for
 * 8-octet writes to an eventfd only. */
#include <dlfcn.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/itot.h>

#include "fixtures.h"

#define P conf_spi_procs()

/* SIG_LOST: EAGAIN for a write that did not happen (as the platform table
 * injects it), once; then SIG_COUNT: writes go through, counted. */
enum sig_fault { SIG_NONE, SIG_EAGAIN, SIG_EBADF, SIG_LOST, SIG_COUNT };
static _Thread_local enum sig_fault sig_fault;
static _Thread_local unsigned sig_hits;

static bool is_eventfd(int fd)
{
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n < 0)
        return false;
    link[n] = '\0';
    return strcmp(link, "anon_inode:[eventfd]") == 0;
}

__attribute__((visibility("default"))) ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t (*next)(int, const void *, size_t) =
        (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (sig_fault == SIG_NONE || n != sizeof(uint64_t) || !is_eventfd(fd))
        return next(fd, buf, n);
    sig_hits++;
    if (sig_fault == SIG_COUNT)
        return next(fd, buf, n);
    if (sig_fault == SIG_LOST) {
        sig_fault = SIG_COUNT;
        errno = EAGAIN;
        return -1;
    }
    if (sig_fault == SIG_EAGAIN) {
        /* A saturated counter: the wake-up is pending (so deliver it), the
         * writer is told EAGAIN. */
        (void)next(fd, buf, n);
        errno = EAGAIN;
    } else {
        errno = EBADF;
    }
    return -1;
}

static struct conf_ctx ctx = {.fx = &itot_fixtures[0], .lv = &conf_level_spi};

/* Is a TCP socket listening on 127.0.0.1:port (network order)? */
static bool listening(uint16_t port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    assert_non_null(f);
    char line[256];
    bool found = false;
    unsigned lport, st;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, " %*u: %*8x:%4x %*8x:%*4x %2x", &lport, &st) == 2 &&
            lport == ntohs(port) && st == 0x0A)
            found = true;
    fclose(f);
    return found;
}

/* The engine writes off signals it has not read yet: a kick while one is
 * pending costs no write. The pair's set-up ends with closing its listener,
 * which kicks the engine; the engine closes the listening socket only after
 * it read that signal. So once nothing listens on the port any more, the
 * next kick (the close under test) writes. Waits for the engine, at most
 * 10 s. */
static void engine_read_its_signals(SOCKET sv)
{
    struct sockaddr_in sa;
    int len = sizeof sa, err = 0;
    assert_int_equal(P->lpWSPGetSockName(sv, (struct sockaddr *)&sa, &len, &err), 0);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (listening(sa.sin_port)) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 10)
            fail_msg("the engine did not close the listener in 10 s");
        sched_yield();
    }
}

/* The peer of a closed socket reads the end of the release: WSAEDISCON. */
static void peer_reads_release(SOCKET sv)
{
    char in[16];
    WSABUF ib = {.len = sizeof in, .buf = in};
    DWORD got = 0, flags = 0;
    int err = 0;
    assert_int_equal(P->lpWSPRecv(sv, &ib, 1, &got, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEDISCON);
}

/* The engine's wake-up fails with EAGAIN during WSPCloseSocket (which
 * wakes the engine to finish the release; a SendDisconnect no longer does:
 * its timer is filed at the engine's next wake-up, test itot_engine_wakeups):
 * the call succeeds and the release completes, the peer reading the
 * disconnect with the data set by SO_DISCDATA. */
static void eagain_is_a_pending_wakeup(void **state)
{
    (void)state;
    SOCKET cl, sv;
    conf_pair(&ctx, &cl, &sv);
    char data[] = "pending";
    int err = 0;
    assert_int_equal(
        P->lpWSPSetSockOpt(cl, SOL_SOCKET, SO_DISCDATA, data, (int)sizeof data - 1, &err), 0);
    engine_read_its_signals(sv);
    sig_fault = SIG_EAGAIN;
    sig_hits = 0;
    int rc = P->lpWSPCloseSocket(cl, &err);
    sig_fault = SIG_NONE;
    assert_int_equal(rc, 0);
    assert_true(sig_hits > 0); /* the path under test ran */

    peer_reads_release(sv);
    char dd[64];
    WSABUF db = {.len = sizeof dd, .buf = dd};
    assert_int_equal(P->lpWSPRecvDisconnect(sv, &db, &err), 0);
    assert_int_equal(db.len, sizeof data - 1);
    assert_memory_equal(dd, data, sizeof data - 1);
    conf_close(&ctx, sv);
}

/* An EAGAIN behind which no wake-up is pending (the platform table can
 * inject one) must not make the engine deaf: the next kick writes again,
 * and both releases complete. (An engine that trusted the failed write
 * took every later kick as already signalled.) */
static void lost_wakeup_is_written_again(void **state)
{
    (void)state;
    SOCKET cl1, sv1, cl2, sv2;
    conf_pair(&ctx, &cl1, &sv1);
    conf_pair(&ctx, &cl2, &sv2);
    engine_read_its_signals(sv1);
    engine_read_its_signals(sv2);
    int err = 0;
    sig_fault = SIG_LOST;
    sig_hits = 0;
    assert_int_equal(P->lpWSPCloseSocket(cl1, &err), 0);
    assert_int_equal(sig_hits, 1); /* the lost write */
    assert_int_equal(P->lpWSPCloseSocket(cl2, &err), 0);
    sig_fault = SIG_NONE;
    assert_true(sig_hits >= 2); /* written again */
    peer_reads_release(sv1);
    peer_reads_release(sv2);
    conf_close(&ctx, sv1);
    conf_close(&ctx, sv2);
}

/* In a child process: start the provider, make a connection, and close it
 * while the engine's wake-up fails with EBADF.  Returns only if the provider
 * went on. */
static int child_ebadf(void)
{
    if (ctx.lv->start(ctx.fx) != 0)
        return 10;
    SOCKET cl, sv;
    conf_pair(&ctx, &cl, &sv);
    engine_read_its_signals(sv);
    int err = 0;
    sig_fault = SIG_EBADF;
    P->lpWSPCloseSocket(cl, &err); /* closesocket wakes the engine for the release */
    sig_fault = SIG_NONE;
    return sig_hits > 0 ? 0 : 11;
}

/* Any other failure of the wake-up is the provider's bug: the process stops
 * (SIGABRT) rather than run on with an engine nobody can wake. */
static void other_errors_stop_the_process(void **state)
{
    (void)state;
    fflush(stdout);
    pid_t pid = fork(); /* this process has not started the provider: no threads yet */
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2); /* the provider's message, expected */
        _exit(child_ebadf());
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFEXITED(st))
        fail_msg("the provider went on after a failed engine wake-up (exit %d)", WEXITSTATUS(st));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGABRT);
}

static int setup(void **state)
{
    *state = &ctx;
    return conf_setup(state);
}

static int teardown(void **state)
{
    return conf_teardown(state);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        /* First: the child must be forked before this process starts the provider. */
        cmocka_unit_test(other_errors_stop_the_process),
        cmocka_unit_test_setup_teardown(eagain_is_a_pending_wakeup, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_wakeup_is_written_again, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
