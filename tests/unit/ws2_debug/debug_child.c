/* SPDX-License-Identifier: MIT */
#include "debug_child.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* Reads fd to EOF into buf (NUL-terminated, truncated at cap). */
static void read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == cap - 1)
            break;
    }
    buf[n] = '\0';
}

void child_run(const char *level, const char *file, struct child_out *r)
{
    int po[2], pe[2];
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        close(po[0]);
        close(pe[0]);
        if (level != NULL)
            setenv("WSP_DEBUG", level, 1);
        else
            unsetenv("WSP_DEBUG");
        if (file != NULL)
            setenv("WSP_DEBUG_FILE", file, 1);
        else
            unsetenv("WSP_DEBUG_FILE");
        execl(WS2TEST_HELPER, WS2TEST_HELPER, (char *)NULL);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    /* stderr first: the helper's stdout is one short line, it fits the pipe */
    read_all(pe[0], r->err, sizeof r->err);
    read_all(po[0], r->out, sizeof r->out);
    close(po[0]);
    close(pe[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    r->out[strcspn(r->out, "\n")] = '\0';
}
