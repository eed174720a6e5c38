/* SPDX-License-Identifier: MIT */
/* What ovl_submit.c and ovl_engine.c share: the per-operation extra of a
 * datagram operation and the one attempt at an operation. */
#ifndef WSP_TCP_OVL_TCP_H
#define WSP_TCP_OVL_TCP_H

#include <stdbool.h>
#include <sys/socket.h>

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
};

/* Try op once more (a stream send: until all is written or the kernel is
 * full). false: it must wait for the watcher. true: finished, with *err (0 or
 * a WSAE* code) and op->done the bytes. Called with ts->ovl_lock held. */
bool tcp_ovl_try(struct tcp_sock *ts, struct ovl_op *op, DWORD *err);

/* Report op (off every list) as finished with err and release its extra. */
void tcp_ovl_finish(struct ovl_op *op, DWORD err);

/* Release an op that was never reported, and its extra. */
void tcp_ovl_drop(struct ovl_op *op);

#endif
