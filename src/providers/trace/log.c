/* SPDX-License-Identifier: MIT */
/* The trace lines: one per call, written with a single write(2) on a file
 * opened O_APPEND, so lines of concurrent calls (and of several processes
 * sharing the file) never interleave. Only lengths are recorded, never the
 * bytes themselves: a trace must not leak what the application sends. */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "trace.h"

/* -1: not open. Opened at the first WSPStartup, closed at the last WSPCleanup
 * (startup.c serialises both); read by every call in between. */
static _Atomic int trace_fd = -1;
static int trace_fd_owned;

void trace_log_open(void)
{
    /* secure_getenv: a setuid program must not be made to write a file of the
     * caller's choosing */
    const char *path = secure_getenv("WSP_TRACE");
    int fd = STDERR_FILENO;
    trace_fd_owned = 0;
    if (path != NULL && path[0] != '\0') {
        int f = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (f >= 0) {
            fd = f;
            trace_fd_owned = 1;
        }
    }
    atomic_store(&trace_fd, fd);
}

void trace_log_close(void)
{
    int fd = atomic_exchange(&trace_fd, -1);
    if (trace_fd_owned && fd >= 0)
        close(fd);
    trace_fd_owned = 0;
}

void trace_log(const struct trace_rec *r)
{
    int fd = atomic_load(&trace_fd);
    if (fd < 0)
        return;
    char line[256];
    int n = snprintf(line, sizeof line, "%s s=%llu result=%lld error=%d", r->call,
                     (unsigned long long)r->s, r->result, r->err);
    if (r->bytes >= 0 && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " bytes=%lld", r->bytes);
    if (r->discon >= 0 && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " disconnect=%lld", r->discon);
    if (n >= (int)sizeof line - 1)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(fd, line, (size_t)n);
    (void)w; /* a trace that cannot be written must not change the call */
}

int trace_done(const char *call, SOCKET s, int rc, LPINT lpErrno)
{
    struct trace_rec r = {call, s, rc, trace_err_of(rc != 0, lpErrno), -1, -1};
    trace_log(&r);
    return rc;
}
