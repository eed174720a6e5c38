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
 *   overlapped.c  overlapped calls: the application's operation kept by the
 *              layer, the one under it issued with the layer's WSAOVERLAPPED
 *   port.c     the layer's private completion port and its one worker thread
 *   select.c   WSPSelect: translating handle sets both ways
 *   log.c      the trace lines */
#ifndef WSP_TRACE_H
#define WSP_TRACE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <wsp/ws2spi.h>

#include "common/ext.h"

struct ovl_op; /* the provider kit's record of an application operation (common/ovl.h) */

/* The extension functions the layer wraps (extension.c), as indexes. */
enum {
    TRACE_EXT_ACCEPTEX,
    TRACE_EXT_SOCKADDRS,
    TRACE_EXT_CONNECTEX,
    TRACE_EXT_DISCONNECTEX,
    TRACE_EXT_WSARECVMSG,
    TRACE_EXT_WSASENDMSG,
    TRACE_EXT_N
};

/* One started provider under us: the next entry of one chain. */
struct trace_next {
    DWORD chain_id;          /* the chain this serves (its dwCatalogEntryId) */
    WSAPROTOCOL_INFOW chain; /* that chain's entry: what SO_PROTOCOL_INFO answers */
    WSAPROTOCOL_INFOW info;  /* what we give the next provider: its own entry's
                                info when it is the base, the chain's when it is
                                another layer (which then finds itself in it) */
    WSPPROC_TABLE procs;     /* the next provider's table: every call goes here */
    void *dl;                /* its module, dlopen'd by us */
    /* its extension functions, asked for on first use (extension.c) */
    _Atomic(ext_proc) ext[TRACE_EXT_N];
};

/* One overlapped call of the application, as the layer issues it down
 * (overlapped.c): the next provider completes `lower`, the layer's own
 * WSAOVERLAPPED, on its own socket; the layer then completes `op`, the
 * application's, on the layered socket. Fields under ts->lock. */
struct trace_ovl {
    WSAOVERLAPPED lower;           /* what the next provider completes */
    struct ovl_op *op;             /* the application's operation */
    struct trace_sock *ts;         /* whose it is */
    const char *call;              /* for the trace line of its completion */
    struct trace_ovl *prev, *next; /* ts->pending (both), ts->spare (next) */
    unsigned refs;                 /* the submitter's + the lower completion's */
    bool reported;                 /* the application's completion is reported */
    bool heap;                     /* malloc'd (else one of ts->inline_ovl) */
};

#define TRACE_INLINE_OVL 2 /* operations a socket runs at once without malloc */

/* A layered socket: the context behind our handle (WPUCreateSocketHandle). */
#define TRACE_SOCK_MAGIC 0x74726163u /* "trac": a handle's context is ours */

struct trace_sock {
    uint32_t magic;                           /* TRACE_SOCK_MAGIC while open */
    SOCKET self;                              /* our handle */
    SOCKET lower;                             /* the next provider's socket */
    const struct trace_next *next;            /* which provider that socket belongs to */
    struct trace_sock *prev_open, *next_open; /* the open list (sock.c) */
    bool overlapped; /* WSA_FLAG_OVERLAPPED (or accepted): lpOverlapped counts */
    bool via_port;   /* the lower socket is on our port: overlapped calls are ours */
    /* overlapped.c; under lock */
    pthread_mutex_t lock;
    pthread_cond_t idle;                      /* close waits for submitters and pending */
    bool closing;                             /* no new overlapped operation */
    unsigned submitting;                      /* threads inside a lower call of ours */
    struct trace_ovl *pending, *pending_tail; /* issued down, lower completion not seen yet */
    struct trace_ovl *spare;                  /* free records of this socket */
    struct trace_ovl inline_ovl[TRACE_INLINE_OVL];
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
/* Wrap the next provider's socket lower in one of ours (for chain_id);
 * overlapped: made with WSA_FLAG_OVERLAPPED (or accepted). INVALID_SOCKET and
 * *err on failure (lower is then closed). */
SOCKET trace_sock_wrap(const struct trace_next *next, SOCKET lower, bool overlapped, LPINT err);
/* Our last WSPCleanup: close every socket still open (ours and the one under
 * it), as a base provider's cleanup releases its sockets. */
void trace_sock_close_all(void);

/* overlapped.c */
/* A new socket's overlapped state; its lower socket goes on our port when it
 * is overlapped and the port can take it (else via_port stays false and
 * overlapped calls pass through unchanged, see overlapped.c). */
void trace_ovl_sock_init(struct trace_sock *ts);
/* WSPCloseSocket, before our handle goes: every operation still pending is
 * cancelled below and its completion (WSA_OPERATION_ABORTED) reported on
 * our handle. */
void trace_ovl_sock_abort(struct trace_sock *ts);
/* After the lower socket is closed: wait for the last lower completion,
 * free the records. */
void trace_ovl_sock_release(struct trace_sock *ts);
/* The next provider's call, made with our WSAOVERLAPPED: rc, *err. */
typedef int (*trace_issue_fn)(const struct trace_sock *ts, const void *args, LPWSAOVERLAPPED lower,
                              LPINT err);
/* An overlapped call of the application on ts (via_port): 0, or
 * SOCKET_ERROR with WSA_IO_PENDING or the error of a call that failed. */
int trace_ovl_submit(struct trace_sock *ts, const char *call, LPWSAOVERLAPPED ov,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread,
                     trace_issue_fn issue, const void *args, LPINT lpErrno);
/* WSPIoctl(SIO_WSP_CANCEL_OVERLAPPED) on ts (via_port). */
int trace_ovl_cancel(struct trace_sock *ts, const void *in, DWORD cb_in, LPINT lpErrno);
/* WSPIoctl(SIO_WSP_CANCEL_OVERLAPPED_THREAD) on ts (via_port). */
int trace_ovl_cancel_thread(struct trace_sock *ts, LPINT lpErrno);
/* port.c's worker: the next provider completed lower with (err, bytes). */
void trace_ovl_lower_done(LPWSAOVERLAPPED lower, DWORD err, DWORD bytes);

/* extension.c */
/* WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) on ts: the layer's own
 * function for the GUID in `in` (the next provider's for
 * GetAcceptExSockaddrs). 0, or SOCKET_ERROR with WSAEFAULT / WSAEINVAL. */
int trace_ext_pointer(struct trace_sock *ts, LPVOID in, DWORD cb_in, LPVOID out, DWORD cb_out,
                      LPDWORD returned, LPINT lpErrno);

/* SO_UPDATE_ACCEPT_CONTEXT names the listener by our handle: the one under
 * it, for the next provider. 0, or WSAENOTSOCK when listener is not ours. */
int trace_ext_accept_context(SOCKET listener, SOCKET *lower);

/* port.c */
/* Put a lower socket on the layer's completion port (made, with its worker
 * thread, on first use). false when it cannot be (no ws2 completion ports
 * for this handle, e.g. the conformance harness, which plays ws2 itself). */
bool trace_port_attach(SOCKET lower);
/* Our last WSPCleanup, after every socket is closed: stop the worker, close
 * the port. */
void trace_port_stop(void);

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
