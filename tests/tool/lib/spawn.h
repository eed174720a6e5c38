/* SPDX-License-Identifier: MIT */
/* Drive the real wsp binary: spawn it with its stdin, stdout and stderr on pipes,
 * feed stdin, and collect what it writes. Waits are on real conditions (text
 * appearing, end of file, process exit); the time limit is only a guard against
 * a hang and is never what a test asserts. */
#ifndef WSP_TESTS_TOOL_SPAWN_H
#define WSP_TESTS_TOOL_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct proc_buf {
    char *data; /* always NUL-terminated */
    size_t len, cap;
    int eof;
};

struct proc {
    pid_t pid;
    int in;  /* write end of the child's stdin, -1 once closed */
    int out; /* read ends of its stdout / stderr */
    int err;
    struct proc_buf out_buf, err_buf;
    int status; /* exit status once reaped, 128+signal if killed */
    int reaped;
};

/* Guard for every wait (ms). */
#define PROC_GUARD_MS 30000

/* Starts WSP_TOOL_EXE with args (NULL-terminated, without argv[0]). 0 or -1. */
int proc_start(struct proc *p, const char *const args[]);
/* Writes all of text to the child's stdin. 0 or -1. */
int proc_write(struct proc *p, const void *data, size_t len);
void proc_close_stdin(struct proc *p);
/* Collects output until `needle` appears in stdout (which=1) or stderr (which=2).
 * 0 when found, -1 at end of file or at the guard. */
int proc_wait_for(struct proc *p, int which, const char *needle);
/* Closes stdin, collects everything until both pipes end, reaps the child and
 * returns its exit status. */
int proc_finish(struct proc *p);
void proc_free(struct proc *p);

/* Runs wsp with args and /dev/null-like empty stdin; returns the exit status and
 * leaves the output in p (proc_free it). */
int proc_run(struct proc *p, const char *const args[]);

/* Parses "listening on ADDR PORT" from the child's stderr. 0 or -1. */
int proc_listen_port(struct proc *p, unsigned *port);

#endif
