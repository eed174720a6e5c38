/* SPDX-License-Identifier: MIT */
/* trace — the sample layered provider (docs/writing-a-provider.md).
 *
 * It sits on top of a protocol chain [trace, NEXT, ...]: every call it gets it
 * passes to NEXT, the provider under it in the chain, and writes one line per
 * call (name, handle, result, error, bytes and disconnect data moved) to the
 * file named by WSP_TRACE, or stderr.
 *
 * Files, one responsibility each:
 *   startup.c  WSPStartup / WSPCleanup, the proc table
 *   next.c     finding, loading and starting the next provider of a chain
 *   sock.c     layered sockets: the handle model (create, look up, accept, close)
 *   pass.c     the calls on one socket, passed through
 *   select.c   WSPSelect: translating handle sets both ways
 *   log.c      the trace lines */
#ifndef WSP_TRACE_H
#define WSP_TRACE_H

#include <wsp/ws2spi.h>

/* One started provider under us: the next entry of one chain. */
struct trace_next {
    DWORD chain_id;         /* the chain this serves (its dwCatalogEntryId) */
    WSAPROTOCOL_INFOW info; /* what we give the next provider: its own entry's
                               info when it is the base, the chain's when it is
                               another layer (which then finds itself in it) */
    WSPPROC_TABLE procs;    /* the next provider's table: every call goes here */
    void *dl;               /* its module, dlopen'd by us */
};

/* A layered socket: the context behind our handle (WPUCreateSocketHandle). */
struct trace_sock {
    SOCKET self;                              /* our handle */
    SOCKET lower;                             /* the next provider's socket */
    const struct trace_next *next;            /* which provider that socket belongs to */
    struct trace_sock *prev_open, *next_open; /* the open list (sock.c) */
};

/* lpErrno may be NULL (a caller with nowhere to put the code, conformance
 * D4): the next provider gets it as it is, and we only write or read it
 * through these. */
static inline void trace_set_err(LPINT lpErrno, int err)
{
    if (lpErrno != NULL)
        *lpErrno = err;
}
/* The error to record for a call: 0 after success, -1 when unknown. */
static inline int trace_err_of(int failed, const INT *lpErrno)
{
    return !failed ? 0 : lpErrno != NULL ? *lpErrno : -1;
}

/* ws2's upcall table, as given to WSPStartup (the same for every startup). */
extern WSPUPCALLTABLE trace_upcalls;

/* startup.c: between our first WSPStartup and our last WSPCleanup. A call
 * outside that gets WSAENETDOWN, as from a base provider after WSPCleanup. */
int trace_live(void);

/* next.c: the next provider of the chain described by info, started on first
 * use. NULL and *err (WSAEPROVIDERFAILEDINIT, WSAENOBUFS) when it cannot be. */
const struct trace_next *trace_next_for(const WSAPROTOCOL_INFOW *info, int *err);
/* WSPCleanup and dlclose every next provider started (our last WSPCleanup). */
void trace_next_cleanup_all(void);

/* sock.c */
/* Our socket s: its context, or NULL with *err = WSAENOTSOCK. The pointer is
 * valid for the whole call on s (ws2 pins s while the call runs). */
struct trace_sock *trace_sock_of(SOCKET s, LPINT err);
/* Wrap the next provider's socket lower in one of ours (for chain_id).
 * INVALID_SOCKET and *err on failure (lower is then closed). */
SOCKET trace_sock_wrap(const struct trace_next *next, SOCKET lower, LPINT err);
/* Our last WSPCleanup: close every socket still open (ours and the one under
 * it), as a base provider's cleanup releases its sockets. */
void trace_sock_close_all(void);

/* log.c: one line per call; a field < 0 is left out. */
struct trace_rec {
    const char *call;
    SOCKET s;
    long long result;
    int err;          /* *lpErrno after a failure, 0 after success */
    long long bytes;  /* data moved, -1: none */
    long long discon; /* disconnect data octets, -1: none */
};
void trace_log_open(void);
void trace_log_close(void);
void trace_log(const struct trace_rec *r);
/* The common case: a call on a socket that returns 0 or SOCKET_ERROR. */
int trace_done(const char *call, SOCKET s, int rc, LPINT lpErrno);

/* The procs (pass.c, sock.c, select.c, startup.c). */
int WSPAPI trace_WSPCleanup(LPINT lpErrno);
SOCKET WSPAPI trace_WSPSocket(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                              GROUP g, DWORD dwFlags, LPINT lpErrno);
SOCKET WSPAPI trace_WSPAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                              LPCONDITIONPROC lpfnCondition, DWORD_PTR dwCallbackData,
                              LPINT lpErrno);
int WSPAPI trace_WSPCloseSocket(SOCKET s, LPINT lpErrno);
int WSPAPI trace_WSPSelect(int nfds, wsp_fd_set *readfds, wsp_fd_set *writefds,
                           wsp_fd_set *exceptfds, const struct timeval *timeout, LPINT lpErrno);
void trace_fill_pass_procs(WSPPROC_TABLE *t);

#endif
