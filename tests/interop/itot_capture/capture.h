/* SPDX-License-Identifier: MIT */
/* capture — runs tshark on the loopback interface around an exchange.
 *
 * Readiness is a real condition, not a delay: tshark prints a line per packet
 * (-P -l -T fields), and a UDP "sentinel" datagram to a port of ours is sent
 * until tshark reports it.  The begin sentinel proves the capture is running;
 * the end sentinel, sent after the exchange, proves that every earlier packet
 * has reached the file (tshark reads what dumpcap wrote, in order). */
#ifndef WSP_TEST_CAPTURE_H
#define WSP_TEST_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct capture {
    pid_t pid;
    int out_fd, err_fd; /* tshark's stdout (packet lines) and stderr */
    int udp_fd;         /* sends and receives the sentinels */
    uint16_t udp_port;
    char line[512];      /* partial stdout line */
    char err_text[4096]; /* tshark's stderr */
    size_t err_len;
    size_t line_len;
};

/* Starts tshark -i lo -f "tcp port <tcp_port> or udp port <sentinel>" -w path.
 * Returns 0 once the begin sentinel has been captured, -1 with err set. */
int capture_start(struct capture *c, uint16_t tcp_port, const char *path, char *err,
                  size_t err_len);

/* Waits for the end sentinel, stops tshark and reaps it.  Returns 0 or -1. */
int capture_stop(struct capture *c, char *err, size_t err_len);

/* Runs argv (execvp) and returns its stdout in *out (malloc'd, NUL-terminated).
 * Returns the exit status, or -1 if it could not be run. */
int capture_run(char *const argv[], char **out, size_t *out_len);

#endif
