/* SPDX-License-Identifier: MIT */
#include "node_peer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int node_peer_start(struct node_peer *p, const char *script, const char *const *args)
{
    memset(p, 0, sizeof *p);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ISO_PEER_DIR, script);
    const char *argv[32] = {"node", path};
    int n = 2;
    for (; args && *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    p->pid = fork();
    if (p->pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        execvp("node", (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    if (p->pid < 0) {
        close(fds[0]);
        return -1;
    }
    p->out_fd = fds[0];
    return 0;
}

static int node_peer_read(struct node_peer *p, int timeout_ms)
{
    if (p->out_fd < 0)
        return -1;
    struct pollfd pf = {p->out_fd, POLLIN, 0};
    if (poll(&pf, 1, timeout_ms) <= 0)
        return 0;
    char buf[4096];
    ssize_t r = read(p->out_fd, buf, sizeof buf);
    if (r <= 0) {
        close(p->out_fd);
        p->out_fd = -1;
        return -1;
    }
    size_t room = sizeof p->log - 1 - p->log_len;
    size_t take = (size_t)r < room ? (size_t)r : room;
    memcpy(p->log + p->log_len, buf, take);
    p->log_len += take;
    p->log[p->log_len] = 0;
    return 1;
}

const char *node_peer_line(struct node_peer *p, int timeout_ms)
{
    for (;;) {
        char *nl = memchr(p->log + p->line_start, '\n', p->log_len - p->line_start);
        if (nl) {
            *nl = 0; /* lines are consumed once; node_peer_printed sees them as NUL-ended */
            const char *line = p->log + p->line_start;
            p->line_start = (size_t)(nl - p->log) + 1;
            return line;
        }
        if (node_peer_read(p, timeout_ms) <= 0)
            return NULL;
    }
}

int node_peer_finish(struct node_peer *p, int timeout_ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (p->out_fd >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left =
            timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0)
            break;
        node_peer_read(p, (int)left);
    }
    if (p->out_fd >= 0) {
        kill(p->pid, SIGKILL);
        close(p->out_fd);
        p->out_fd = -1;
        waitpid(p->pid, NULL, 0);
        return -1;
    }
    int st = 0;
    waitpid(p->pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int node_peer_printed(const struct node_peer *p, const char *line)
{
    size_t l = strlen(line);
    for (const char *s = p->log; s < p->log + p->log_len;) {
        size_t n = strnlen(s, (size_t)(p->log + p->log_len - s));
        const char *nl = memchr(s, '\n', n);
        size_t len = nl ? (size_t)(nl - s) : n;
        if (len == l && memcmp(s, line, l) == 0)
            return 1;
        s += len + 1;
    }
    return 0;
}
