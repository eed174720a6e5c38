/* SPDX-License-Identifier: MIT */
/* wsp demo: the transcript helpers shared by the demo's parts. */
#ifndef WSP_TOOL_DEMO_H
#define WSP_TOOL_DEMO_H

#include <stddef.h>

#include <wsp/winsock2.h>

/* A connected pair on loopback, made by demo_pair_open. */
struct demo_pair {
    SOCKET client, server;
    unsigned short port;
    /* Connect data as each side saw it. */
    char caller_data[64];
    size_t caller_len;
    int caller_seen; /* the server's condition function ran with caller data */
    char callee_data[64];
    size_t callee_len;
};

/* Which protocol a part runs: the socket parameters and the itot class. */
struct demo_proto {
    const char *title;
    int type, protocol;
    int cls; /* itot class to force, -1 for tcp */
    const char *connect_data, *accept_data;
};

/* A part's title; step numbers restart in every part. */
void demo_part_begin(const char *title);
/* Failed checks so far (a part reports its own count as a difference). */
int demo_failure_count(void);

/* Steps and checks: numbered lines on stdout; failed checks are counted. */
void demo_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void demo_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "ok" or "UNEXPECTED: <why>" after the line; returns cond. */
int demo_check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "WSAENOPROTOOPT" or "success" for a call's outcome. */
const char *demo_outcome(int err);
/* "\"text\" (n octets)" into a static buffer (one per call site is enough: the
 * demo prints each before the next call). */
const char *demo_quote(const void *data, size_t len);

/* Starts a watchdog for the current step: a library that blocks forever makes
 * the demo fail with a message instead of hanging. */
void demo_watchdog_arm(const char *what);
void demo_watchdog_disarm(void);

/* Server listening on 127.0.0.1, client connected to it, both reported. 0 or -1. */
int demo_pair_open(const struct demo_proto *p, struct demo_pair *pair);
void demo_pair_close(struct demo_pair *pair);

/* WSARecv of one message/chunk: returns the WSAE* code (0 on success), *got. */
int demo_recv(SOCKET s, char *buf, size_t cap, DWORD *got);
int demo_send(SOCKET s, const char *text);

/* The parts; each returns the number of failed checks. */
int demo_part_itot(const struct demo_proto *p);
int demo_part_tcp(void);

#endif
