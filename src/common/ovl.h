/* SPDX-License-Identifier: MIT */
/* ovl — the provider kit's overlapped operations: what every provider needs
 * to take an lpOverlapped, keep it pending, and complete it the way ws2spi.h
 * ("Overlapped operations") says, so that tcp, itot and third-party
 * providers do it one way.
 *
 * The provider owns the I/O: it decides when an operation can progress (its
 * own engine, no thread per operation) and keeps its pending operations in
 * ovl_list queues under its own socket lock. The kit owns the records, the
 * copy of the caller's WSABUF array, the completion report (event, port or
 * completion routine) and WSPGetOverlappedResult. */
#ifndef WSP_COMMON_OVL_H
#define WSP_COMMON_OVL_H

#include <stdbool.h>
#include <stdint.h>

#include <wsp/ws2spi.h>

#define OVL_INLINE_BUFS 4 /* WSABUF entries kept in the record itself */
/* Octets of provider state kept in the record itself (op->extra): a
 * datagram's address, an AcceptEx's lengths, so that an operation that waits
 * allocates nothing. The size of a sockaddr_storage and a few fields. */
#define OVL_EXTRA 176

/* One pending operation. The provider reads and updates bufs/nbufs/done/flags
 * while it progresses; the other fields are the kit's. */
struct ovl_op {
    struct ovl_op *next;                        /* ovl_list link */
    SOCKET s;                                   /* the handle it completes on */
    LPWSAOVERLAPPED ov;                         /* the caller's */
    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine; /* or NULL: event/port */
    WSATHREADID thread;                         /* copied at submission (routine only) */
    WSABUF *bufs;                               /* the caller's array, copied */
    DWORD nbufs;
    DWORD done;      /* bytes transferred so far */
    DWORD flags;     /* send flags in; receive flags in and out */
    int kind;        /* the provider's own operation code */
    void *arg;       /* the provider's (e.g. the from-address of a WSPRecvFrom) */
    uint64_t issuer; /* the issuing thread (ovl_self): CancelIo's filter */
    WSABUF inline_bufs[OVL_INLINE_BUFS];
    _Alignas(16) unsigned char extra[OVL_EXTRA]; /* the provider's, for arg to point to */
};

/* A FIFO of pending operations; guarded by the provider's socket lock. */
struct ovl_list {
    struct ovl_op *head;
    struct ovl_op **tail;
};

void ovl_list_init(struct ovl_list *l);
bool ovl_list_empty(const struct ovl_list *l);
void ovl_list_push(struct ovl_list *l, struct ovl_op *op);
/* The first operation, or NULL. */
struct ovl_op *ovl_list_first(const struct ovl_list *l);
/* Remove and return the first operation, or NULL. */
struct ovl_op *ovl_list_pop(struct ovl_list *l);
/* Remove and return the operation of ov (the first one when ov is NULL), or NULL. */
struct ovl_op *ovl_list_take(struct ovl_list *l, LPWSAOVERLAPPED ov);
/* Remove and return the first operation the calling thread issued, or NULL
 * (SIO_WSP_CANCEL_OVERLAPPED_THREAD). */
struct ovl_op *ovl_list_take_mine(struct ovl_list *l);

/* The calling thread's number in this module: never 0, never reused by
 * another thread (a thread id or pthread_t can be), so a new thread cannot
 * cancel the operations of one that exited. ovl_op_new records it. */
uint64_t ovl_self(void);

/* WSPStartup: remember the upcalls and find WPUCompleteOverlappedRequest
 * (dlsym(RTLD_DEFAULT)). false when libwsp does not export it (then overlapped
 * calls are refused with WSAEOPNOTSUPP). */
bool ovl_startup(const WSPUPCALLTABLE *upcalls);
bool ovl_available(void);

/* libwsp's port polling (ws2spi.h, WPURegisterPortPoller): the threads that
 * wait on a completion port run the provider's procedure for the sockets
 * associated with it. Each is WSAEOPNOTSUPP (deregister: nothing) when
 * libwsp does not offer it. */
int ovl_port_poll_register(LPWPUPORTPOLLPROC proc, DWORD *id);
void ovl_port_poll_deregister(DWORD id);
/* s's port's set and the tag to or into a report's data (0 and *fd, *tag), or
 * a WSAE* code (WSAEINVAL: s is on no port). */
int ovl_port_poll_set(SOCKET s, DWORD id, int *fd, uint64_t *tag);
/* libwsp's process poll set (WPUGetProcessPollSet), for sockets on no
 * port: the same contract; WSAEOPNOTSUPP without libwsp's exports. */
int ovl_process_poll_set(DWORD id, int *fd, uint64_t *tag);

/* Submission: check that ov is writable memory (WSAEFAULT), copy the caller's
 * WSABUF array (WSAEFAULT; WSAENOBUFS when it cannot be stored), set
 * ov->Internal = WSS_OPERATION_IN_PROGRESS. 0 and *out, or a WSAE* code and
 * nothing changed. bufs may be NULL with nbufs 0 (connect, ioctl, ...). */
int ovl_op_new(SOCKET s, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
               LPWSATHREADID thread, const WSABUF *bufs, DWORD nbufs, int kind, void *arg,
               struct ovl_op **out);

/* Report the completion (err 0 or a WSAE* code, bytes, flags) the way the
 * caller chose — WPUCompleteOverlappedRequest, or WPUQueueApc for a routine —
 * wake WSPGetOverlappedResult waiters, and release op. The op must already be
 * off every list. May be called with the provider's socket lock held (the
 * upcalls never call back into the provider); call it in the order the
 * operations were issued to keep their completions in order. */
void ovl_complete(struct ovl_op *op, DWORD err, DWORD bytes, DWORD flags);

/* Release a record that was never reported (submission failed after
 * ovl_op_new): ov->Internal is restored to what the caller had. */
void ovl_op_drop(struct ovl_op *op);

/* An operation the call itself finished (op may be NULL: not overlapped):
 * on failure (err != 0) it is dropped, nothing reported, as Windows does for
 * a call that fails at once; on success it is completed with bytes, still
 * reported. */
void ovl_settle(struct ovl_op *op, int err, DWORD bytes);

/* Complete every operation of l with err (WSA_OPERATION_ABORTED at close). */
void ovl_list_abort(struct ovl_list *l, DWORD err);

/* The body of WSPGetOverlappedResult for a provider whose operations all go
 * through ovl_complete: TRUE with *lpcbTransfer and *lpdwFlags; FALSE with
 * *lpErrno = the operation's error, WSA_IO_INCOMPLETE (pending, !fWait) or
 * WSAEFAULT (a bad pointer). fWait sleeps until the operation completes
 * (no global lock: waiters sleep on a bucket chosen by ov). */
BOOL ovl_get_result(LPWSAOVERLAPPED ov, LPDWORD lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags,
                    LPINT lpErrno);

/* The WSPIoctl(SIO_WSP_CANCEL_OVERLAPPED) input: the LPWSAOVERLAPPED to
 * cancel (NULL: all) in *ov. 0, or WSAEFAULT/WSAEINVAL for a bad buffer. */
int ovl_cancel_arg(const void *in, DWORD cb_in, LPWSAOVERLAPPED *ov);

#endif
