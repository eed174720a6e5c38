/* SPDX-License-Identifier: MIT */
/* What ovl_submit.c and ovl_engine.c share: the per-operation extra of a
 * datagram operation and the one attempt at an operation. */
#ifndef WSP_TCP_OVL_TCP_H
#define WSP_TCP_OVL_TCP_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "tcp.h"

/* ovl_op.arg of a datagram send with a destination or a datagram receive
 * with lpFrom; NULL otherwise. Heap-allocated only when the operation has
 * to wait (an operation completed at once uses one on the caller's stack). */
struct tcp_ovl_addr {
    struct sockaddr_storage ss; /* send: the destination; receive: the sender */
    socklen_t len;              /* send: the destination's length */
    struct sockaddr *from;      /* receive: the caller's lpFrom */
    LPINT fromlen;              /* receive: the caller's lpFromlen */
    int addrlen;                /* receive: the family's address length */
    struct tcp_ctl ctl;         /* receive: WSARecvMsg's control messages (msg NULL: none) */
};

/* Try op once more (a stream send: until all is written or the kernel is
 * full). false: it must wait for the watcher. true: finished, with *err (0 or
 * a WSAE* code) and op->done the bytes. Called with ts->ovl_lock held. */
bool tcp_ovl_try(struct tcp_sock *ts, struct ovl_op *op, DWORD *err);

/* Report op (off every list) as finished with err and release its extra. */
void tcp_ovl_finish(struct ovl_op *op, DWORD err);

/* Release an op that was never reported, and its extra. */
void tcp_ovl_drop(struct ovl_op *op);

/* The part of op's buffers not transferred yet, as iovecs (at most
 * TCP_MAX_IOV); *left its size. Returns the number of iovecs. */
int tcp_ovl_iov(const struct ovl_op *op, struct iovec *iov, size_t *left);

/* ---- ovl_uring.c: the io_uring engine -------------------------------------
 * Chosen at run time, at the first operation that waits: io_uring when the
 * kernel offers what it needs and WSP_TCP_ENGINE is not "epoll", else the
 * epoll watcher (events.c) as before. */

/* Is the io_uring engine running (decided once per startup)? */
bool tcp_ur_enabled(void);
/* Stop the ring thread (the last WSPCleanup, after every socket is closed). */
void tcp_ur_stop(void);
/* ts->ovl_lock held for all below. */
/* Hand op, the head of queue q that must wait, to the ring. false: not a
 * ring operation (ConnectEx, AcceptEx) or no io_uring: the epoll watcher. */
bool tcp_ur_hand(struct tcp_sock *ts, int q, struct ovl_op *op);
/* The head of queue q waits in the ring (its CQE will run the queue). */
bool tcp_ur_busy(const struct tcp_sock *ts, int q);
/* Take back from the ring the waiting head of each queue (only ov's when ov
 * is not NULL): cancel it and wait until its CQE was handled. The head stays
 * on its queue (done updated) unless the CQE finished it. */
void tcp_ur_recall(struct tcp_sock *ts, LPWSAOVERLAPPED ov);
/* Free ts's slots (nothing in the ring: after tcp_ur_recall). */
void tcp_ur_release(struct tcp_sock *ts);

#endif
