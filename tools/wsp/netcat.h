/* SPDX-License-Identifier: MIT */
/* The engine shared by `wsp listen` and `wsp connect`: socket set-up, the copy of
 * stdin to the peer and of the peer to stdout, and the reports about what the
 * peer sent at connect and at disconnect. */
#ifndef WSP_TOOL_NETCAT_H
#define WSP_TOOL_NETCAT_H

#include <wsp/winsock2.h>

#include "args.h"

struct nc_opts {
    enum args_proto proto;
    int cls; /* -1: the provider's default (class 2 with 0 as alternative) */
    const char *host;
    unsigned short port;
    struct args_data accept_data;     /* listen */
    struct args_data connect_data;    /* connect */
    struct args_data disconnect_data; /* both: sent at end of stdin */
    int reject_reason;                /* listen: -1, or the DR reason to refuse with */
    struct args_data reject_data;     /* listen: user data of the refusal */
    /* After end of input (itot: no half-close exists, so our disconnect ends
     * both directions): -1 waits for the peer to disconnect; otherwise our
     * disconnect goes quit_ms after the end of input (-q SECS), or once
     * nothing arrived for idle_ms (--idle-timeout SECS), whichever is first. */
    long quit_ms;
    long idle_ms;
    long tpdu_size;                /* itot: WSP_ITOT_TPDU_SIZE, 0 = default */
    struct args_data calling_tsap; /* itot: WSP_ITOT_CALLING_TSAP */
    struct args_data called_tsap;  /* itot: WSP_ITOT_CALLED_TSAP */
    long timeout_ms;               /* itot: CR timer (TS1) and release timer (TS2); -1 = default */
    int verbose;                   /* -v: parameters, each message, byte counts and rate */
    int keep_listening;            /* listen -k: accept the next connection after one ends */
    int recv_only;                 /* never read stdin: as if it were empty */
    int send_only;                 /* discard what the peer sends; disconnect at end of input */
};

void nc_opts_init(struct nc_opts *o);
void nc_opts_free(struct nc_opts *o);

/* "tcp" or "itot". */
const char *nc_proto_name(enum args_proto p);

/* A socket of the chosen provider for address family `af`, with the class set.
 * INVALID_SOCKET after a one-line error; *status is the exit status. */
SOCKET nc_socket(const struct nc_opts *o, int af, int *status);

/* Reports the negotiated class of a connected itot socket ("class 2"). */
void nc_report_class(SOCKET s, const struct nc_opts *o);

/* Runs a connected socket until both directions are finished, then closes it.
 * Returns the exit status. */
int nc_session(SOCKET s, const struct nc_opts *o);

/* "127.0.0.1 40123" for an address. */
void nc_format_addr(const struct sockaddr *sa, char *out, size_t outlen);

#endif
