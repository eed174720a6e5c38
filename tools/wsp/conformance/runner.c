/* SPDX-License-Identifier: MIT */
/* One case, one child.  The child shares one page with the parent (verdict,
 * observation, last step) and holds the write end of a pipe: the parent polls
 * the read end, whose end of file says the child (and anything it started)
 * is gone, with the case's deadline as the poll timeout.  Nothing here sleeps:
 * the only wait is on the child itself. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

#define CONF_NOTE_MAX 200

struct conf_shared {
    int done; /* the child reached a verdict */
    enum conf_status status;
    char detail[CONF_DETAIL_MAX];
    char note[CONF_NOTE_MAX];
};

static struct conf_shared *conf_shm; /* the child's view */

static double conf_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

_Noreturn void conf_child_end(enum conf_status status, const char *text)
{
    if (conf_shm != NULL) {
        conf_shm->status = status;
        snprintf(conf_shm->detail, sizeof conf_shm->detail, "%s", text);
        __atomic_store_n(&conf_shm->done, 1, __ATOMIC_RELEASE);
    }
    /* _exit: no atexit handler or module destructor of the provider runs,
     * and a thread of the provider cannot keep the verdict from arriving. */
    _exit(status == CONF_FAIL ? 1 : 0);
}

void conf_child_note(const char *text)
{
    if (conf_shm != NULL)
        snprintf(conf_shm->note, sizeof conf_shm->note, "%s", text);
}

typedef void (*conf_body)(const struct conf_ctx *ctx, const struct conf_case *k);

static void conf_body_case(const struct conf_ctx *ctx, const struct conf_case *k)
{
    void *state = (void *)(uintptr_t)ctx; /* the tests only read it */
    k->fn(&state);
}

static void conf_body_none(const struct conf_ctx *ctx, const struct conf_case *k)
{
    (void)ctx, (void)k;
}

_Noreturn static void conf_child(const struct conf_ctx *ctx, const struct conf_case *k,
                                 conf_body body)
{
    char text[CONF_DETAIL_MAX];
    conf_child_note("inside WSPStartup");
    if (ctx->lv->start(ctx->fx) != 0)
        conf_child_end(CONF_FAIL, "the provider did not start: loading the module or its "
                                  "WSPStartup failed");
    conf_child_note("running the case");
    body(ctx, k);
    conf_child_note("inside WSPCleanup after the case");
    int err = 0;
    if (ctx->lv->stop(&err) != 0) {
        snprintf(text, sizeof text, "WSPCleanup after the case failed (error %d)", err);
        conf_child_end(CONF_FAIL, text);
    }
    conf_shm->status = CONF_PASS;
    __atomic_store_n(&conf_shm->done, 1, __ATOMIC_RELEASE);
    _exit(0);
}

/* Waits for end of file on fd until the deadline; 0, or -1 on timeout. */
static int conf_wait_eof(int fd, double deadline)
{
    char buf[64];
    for (;;) {
        double left = deadline - conf_now();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue; /* the deadline is checked above */
        ssize_t got = read(fd, buf, sizeof buf);
        if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
            return 0;
    }
}

static void conf_verdict(const struct conf_shared *sh, int wstatus, int timed_out, double limit_s,
                         struct conf_result *r)
{
    const char *step = sh->note[0] ? sh->note : "starting";
    if (timed_out) {
        r->status = CONF_FAIL;
        snprintf(r->detail, sizeof r->detail,
                 "did not finish within %.0f s (hung or blocked); last step: %s", limit_s, step);
    } else if (__atomic_load_n(&sh->done, __ATOMIC_ACQUIRE)) {
        r->status = sh->status;
        snprintf(r->detail, sizeof r->detail, "%s", sh->detail);
    } else if (WIFSIGNALED(wstatus)) {
        int sig = WTERMSIG(wstatus);
        r->status = CONF_FAIL;
        snprintf(r->detail, sizeof r->detail, "crashed: signal %d (%s); last step: %s", sig,
                 strsignal(sig), step);
    } else {
        r->status = CONF_FAIL;
        snprintf(r->detail, sizeof r->detail,
                 "the case's process ended (exit status %d) without a verdict (a sanitizer "
                 "ends a crashed process so); last step: %s",
                 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, step);
    }
}

static void conf_fork(const struct conf_ctx *ctx, const struct conf_case *k, conf_body body,
                      double limit_s, struct conf_result *r)
{
    memset(r, 0, sizeof *r);
    double t0 = conf_now();
    struct conf_shared *sh =
        mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int pfd[2] = {-1, -1};
    if (sh == MAP_FAILED || pipe(pfd) != 0) {
        r->status = CONF_FAIL;
        snprintf(r->detail, sizeof r->detail, "cannot start the case: %s", strerror(errno));
        if (sh != MAP_FAILED)
            munmap(sh, sizeof *sh);
        return;
    }
    memset(sh, 0, sizeof *sh);
    fflush(NULL); /* nothing buffered here is written twice */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        setpgid(0, 0); /* the parent kills the whole group on timeout */
        /* A parent killed from outside takes its case along (its own process
         * group would otherwise outlive it). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        conf_shm = sh;
        conf_child(ctx, k, body);
    }
    close(pfd[1]);
    int timed_out = 0, wstatus = 0;
    if (pid < 0) {
        r->status = CONF_FAIL;
        snprintf(r->detail, sizeof r->detail, "cannot start the case: fork: %s", strerror(errno));
    } else {
        setpgid(pid, pid); /* also here: no race with the child's own call */
        timed_out = conf_wait_eof(pfd[0], t0 + limit_s) != 0;
        if (timed_out) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
        while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
            ;
        conf_verdict(sh, wstatus, timed_out, limit_s, r);
    }
    close(pfd[0]);
    munmap(sh, sizeof *sh);
    r->seconds = conf_now() - t0;
}

void conf_run_case(const struct conf_ctx *ctx, const struct conf_case *k, double limit_s,
                   struct conf_result *r)
{
    conf_fork(ctx, k, conf_body_case, limit_s, r);
}

int conf_run_preflight(const struct conf_ctx *ctx, double limit_s, struct conf_result *r)
{
    conf_fork(ctx, NULL, conf_body_none, limit_s, r);
    return r->status == CONF_PASS ? 0 : -1;
}
