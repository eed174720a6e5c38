/* SPDX-License-Identifier: MIT */
/* Runs the ws2_debug helper with an environment and collects its output. */
#ifndef WS2TEST_DEBUG_CHILD_H
#define WS2TEST_DEBUG_CHILD_H

#include <stddef.h>

struct child_out {
    char out[256];  /* stdout: the socket handle, "0x..." */
    char err[8192]; /* stderr: the trace lines */
    int status;     /* exit status, 0 on success */
};

/* WSP_DEBUG = level (NULL: unset), WSP_DEBUG_FILE = file (NULL: unset). */
void child_run(const char *level, const char *file, struct child_out *r);

#endif
