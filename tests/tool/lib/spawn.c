/* SPDX-License-Identifier: MIT */
/* Spawning and feeding the wsp binary under test (see spawn.h). */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long proc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int proc_start(struct proc *p, const char *const args[])
{
    memset(p, 0, sizeof *p);
    p->in = p->out = p->err = -1;
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        return -1;
    signal(SIGPIPE, SIG_IGN); /* a child that exits early must not kill the test */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    const char *argv[32];
    size_t n = 0;
    argv[n++] = WSP_TOOL_EXE;
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int rc = posix_spawn(&p->pid, WSP_TOOL_EXE, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
    return rc == 0 ? 0 : -1;
}

int proc_write(struct proc *p, const void *data, size_t len)
{
    const char *c = data;
    while (len > 0) {
        ssize_t w = write(p->in, c, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        c += w;
        len -= (size_t)w;
    }
    return 0;
}

void proc_close_stdin(struct proc *p)
{
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
}

static void proc_buf_add(struct proc_buf *b, const char *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown)
            abort(); /* a test helper out of memory has nothing better to do */
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* One poll round over the open output pipes. -1 when both have ended. */
static int proc_pump(struct proc *p, int timeout_ms)
{
    struct pollfd fds[2];
    struct proc_buf *bufs[2];
    int *fdp[2];
    int n = 0;
    if (p->out >= 0) {
        fds[n] = (struct pollfd){p->out, POLLIN, 0};
        bufs[n] = &p->out_buf;
        fdp[n++] = &p->out;
    }
    if (p->err >= 0) {
        fds[n] = (struct pollfd){p->err, POLLIN, 0};
        bufs[n] = &p->err_buf;
        fdp[n++] = &p->err;
    }
    if (n == 0)
        return -1;
    int r = poll(fds, (nfds_t)n, timeout_ms);
    if (r <= 0)
        return 0;
    for (int i = 0; i < n; i++) {
        if (!fds[i].revents)
            continue;
        char chunk[4096];
        ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
        if (got > 0) {
            proc_buf_add(bufs[i], chunk, (size_t)got);
        } else if (got == 0 || errno != EINTR) {
            close(*fdp[i]);
            *fdp[i] = -1;
            bufs[i]->eof = 1;
            if (!bufs[i]->data)
                proc_buf_add(bufs[i], "", 0);
        }
    }
    return 0;
}

int proc_wait_for(struct proc *p, int which, const char *needle)
{
    struct proc_buf *b = which == 1 ? &p->out_buf : &p->err_buf;
    long long deadline = proc_now_ms() + PROC_GUARD_MS;
    for (;;) {
        if (b->data && strstr(b->data, needle))
            return 0;
        long long left = deadline - proc_now_ms();
        if (left <= 0 || b->eof)
            return -1;
        if (proc_pump(p, (int)left) < 0)
            return -1;
    }
}

int proc_finish(struct proc *p)
{
    proc_close_stdin(p);
    long long deadline = proc_now_ms() + PROC_GUARD_MS;
    while ((p->out >= 0 || p->err >= 0) && proc_now_ms() < deadline)
        proc_pump(p, (int)(deadline - proc_now_ms()));
    if (p->out >= 0 || p->err >= 0) {
        fprintf(stderr, "spawn guard: wsp still running after %d ms; killing it\n", PROC_GUARD_MS);
        kill(p->pid, SIGKILL);
    }
    int st = 0;
    while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
        ;
    p->reaped = 1;
    p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (!p->out_buf.data)
        proc_buf_add(&p->out_buf, "", 0);
    if (!p->err_buf.data)
        proc_buf_add(&p->err_buf, "", 0);
    return p->status;
}

void proc_free(struct proc *p)
{
    if (!p->reaped && p->pid > 0) {
        kill(p->pid, SIGKILL);
        proc_finish(p);
    }
    proc_close_stdin(p);
    if (p->out >= 0)
        close(p->out);
    if (p->err >= 0)
        close(p->err);
    free(p->out_buf.data);
    free(p->err_buf.data);
    memset(p, 0, sizeof *p);
}

int proc_run(struct proc *p, const char *const args[])
{
    if (proc_start(p, args) != 0)
        return -1;
    return proc_finish(p);
}

int proc_listen_port(struct proc *p, unsigned *port)
{
    if (proc_wait_for(p, 2, "listening on ") != 0)
        return -1;
    /* The line may still be arriving: wait for its end. */
    const char *line = strstr(p->err_buf.data, "listening on ");
    while (!strchr(line, '\n')) {
        if (p->err_buf.eof || proc_pump(p, PROC_GUARD_MS) < 0)
            return -1;
        line = strstr(p->err_buf.data, "listening on ");
    }
    char addr[64];
    return sscanf(line, "listening on %63s %u", addr, port) == 2 ? 0 : -1;
}
