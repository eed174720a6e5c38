/* SPDX-License-Identifier: MIT */
/* What the two halves of tcp's io_uring engine share: ovl_uring.c (the ring
 * thread: the request stack, submission, start, stop, fork) and
 * ovl_uring_sock.c (the socket side: hand an operation over, handle its
 * completion, recall it). The interface to the rest of tcp is in
 * ovl_tcp.h. */
#ifndef WSP_TCP_OVL_URING_H
#define WSP_TCP_OVL_URING_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "data_check.h"
#include "tcp.h"

/* A request to the ring thread, embedded in a slot. */
struct tcp_ur_node {
    struct tcp_ur_node *next;
    bool cancel; /* false: submit the slot's operation; true: cancel it */
};

/* The operation of one queue that waits in the ring. Fields other than the
 * nodes are written under the socket's ovl_lock; the ring thread reads mh,
 * poll and q of a submit node without it (written before the push, which
 * publishes them, and not changed until the CQE). */
struct tcp_ur_slot {
    struct tcp_ur_node sub, can;
    struct tcp_sock *ts;
    struct ovl_op *op; /* the head of the queue, while busy */
    int q;             /* TCP_OVL_SEND or TCP_OVL_RECV */
    bool busy;         /* handed to the ring, its CQE not handled yet */
    bool poll;         /* datagram: POLL_ADD, then tcp_ovl_try */
    bool recall;       /* a close or cancel waits for the CQE: do not go on */
    bool can_queued;   /* the cancel node is on the stack */
    unsigned gen;      /* tcp_ur_gen when handed (a forked child's are stale) */
    struct msghdr mh;
    struct iovec iov[TCP_MAX_IOV];
};

struct tcp_ur_sock {
    struct tcp_ur_slot slot[2];
    pthread_cond_t cond; /* a recall waits here (with ts->ovl_lock) */
    /* threads in tcp_ur_recall (a close and a CancelIo can recall at once):
     * the close frees this only once none is left */
    unsigned recallers;
};

#define TCP_UR_SLOT_OF(node, member)                                                               \
    ((struct tcp_ur_slot *)(void *)((char *)(node)-offsetof(struct tcp_ur_slot, member)))

/* ---- ovl_uring.c ---------------------------------------------------------- */
extern unsigned tcp_ur_gen;  /* bumped in a forked child: slots handed before are stale */
extern bool tcp_ur_recv_too; /* receives wait in the ring too (WSP_TCP_ENGINE=uring) */
/* Give n to the ring thread (lock-free; wakes the thread if it sleeps). */
void tcp_ur_push(struct tcp_ur_node *n);

/* ---- ovl_uring_sock.c, called by the ring thread ---------------------------- */
/* The CQE of s's operation (its res): takes the socket's ovl_lock. */
void tcp_ur_complete(struct tcp_ur_slot *s, int res);

#endif
