/* SPDX-License-Identifier: MIT */
/* node_peer — runs one of the node peer scripts and reads its report lines. */
#ifndef WSP_TEST_NODE_PEER_H
#define WSP_TEST_NODE_PEER_H

#include <stddef.h>
#include <sys/types.h>

struct node_peer {
    pid_t pid;
    int out_fd;
    char log[16384]; /* everything the peer printed (stdout and stderr) */
    size_t log_len;
    size_t line_start; /* start of the next unread line in log */
};

/* Starts `node <dir>/<script> args...` (args NULL-terminated). 0 or -1. */
int node_peer_start(struct node_peer *p, const char *script, const char *const *args);

/* Next complete output line (NUL-terminated, without '\n'), waiting at most
 * timeout_ms; NULL on end of output or timeout. */
const char *node_peer_line(struct node_peer *p, int timeout_ms);

/* Reads the rest of the output and reaps the peer; returns its exit status
 * (or -1 if it did not exit normally within timeout_ms, then it is killed). */
int node_peer_finish(struct node_peer *p, int timeout_ms);

/* 1 if the peer printed a line equal to line. */
int node_peer_printed(const struct node_peer *p, const char *line);

#endif
