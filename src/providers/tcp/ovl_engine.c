/* SPDX-License-Identifier: MIT */
/* The overlapped progress engine: one attempt at an operation (a
 * non-blocking syscall), the queues run in issue order, the deferred FIN,
 * abort at close, and cancel.
 *
 * Each socket has a send queue and a receive queue under its ovl_lock. An
 * operation is queued only after an attempt found the kernel not ready
 * (EAGAIN, or a stream send that filled the socket buffer), and the head of a
 * queue is retried by the watcher thread (events.c) on the next
 * edge-triggered epoll report of that direction (and after a cancel): such
 * an edge must come, since the last attempt saw the kernel not ready. So no
 * operation waits without a reason to be woken, and no thread exists per
 * operation.
 *
 * With the io_uring engine (ovl_uring.c) a send or receive head that must
 * wait is handed to the ring instead; its completion runs the queue on, the
 * same way. A queue whose head is in the ring is left alone by the watcher. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/sys.h"
#include "common/umem.h"
#include "data_check.h"
#include "ovl_tcp.h"
#include "tcp.h"

int tcp_ovl_iov(const struct ovl_op *op, struct iovec *iov, size_t *left)
{
    size_t skip = op->done;
    int n = 0;
    *left = 0;
    for (DWORD i = 0; i < op->nbufs; i++) {
        size_t len = op->bufs[i].len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        iov[n].iov_base = op->bufs[i].buf + skip;
        iov[n].iov_len = len - skip;
        *left += len - skip;
        skip = 0;
        n++;
    }
    return n;
}

static bool tcp_ovl_try_send(struct tcp_sock *ts, struct ovl_op *op, int flags, DWORD *err)
{
    const struct tcp_ovl_addr *a = op->arg;
    struct iovec iov[TCP_MAX_IOV];
    for (;;) {
        size_t left;
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)tcp_ovl_iov(op, iov, &left)};
        if (a != NULL) {
            mh.msg_name = (void *)&a->ss;
            mh.msg_namelen = a->len;
        }
        ssize_t n = sys_sendmsg(ts->fd, &mh, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return false;
        if (n < 0) {
            *err = (DWORD)tcp_data_error(ts, errno, false);
            return true;
        }
        op->done += (DWORD)n;
        /* a datagram goes whole; a stream send completes when all is taken */
        if (ts->type != SOCK_STREAM || (size_t)n >= left) {
            *err = 0;
            return true;
        }
    }
}

static bool tcp_ovl_try_recv(struct tcp_sock *ts, struct ovl_op *op, int flags, DWORD *err)
{
    struct tcp_ovl_addr *a = op->arg;
    struct iovec iov[TCP_MAX_IOV];
    size_t left;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)tcp_ovl_iov(op, iov, &left)};
    if (a != NULL) {
        mh.msg_name = &a->ss;
        mh.msg_namelen = sizeof a->ss;
    }
    _Alignas(struct cmsghdr) unsigned char cbuf[TCP_CTL_BUF];
    if (a != NULL && a->ctl.msg != NULL) {
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
    }
    ssize_t n;
    do {
        n = sys_recvmsg(ts->fd, &mh, flags | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return false;
    if (n < 0) {
        *err = (DWORD)tcp_data_error(ts, errno, false);
        return true;
    }
    /* whatever is there, or 0 at the peer's FIN (WSARecv: a graceful close
     * completes an overlapped receive with 0 bytes) */
    op->done = (DWORD)n;
    *err = 0;
    if (ts->type != SOCK_STREAM && (mh.msg_flags & MSG_TRUNC))
        *err = WSAEMSGSIZE; /* Winsock: truncated datagram */
    if (a != NULL && a->from != NULL) {
        int outlen = (int)mh.msg_namelen < a->addrlen ? (int)mh.msg_namelen : a->addrlen;
        if (umem_write(a->from, &a->ss, (size_t)outlen) != 0 ||
            umem_write(a->fromlen, &outlen, sizeof outlen) != 0)
            *err = WSAEFAULT;
    }
    DWORD outflags = 0;
    if (a != NULL && a->ctl.msg != NULL && *err == 0 &&
        (tcp_ctl_deliver(&a->ctl, &mh, &outflags) != 0 ||
         umem_write(&a->ctl.msg->dwFlags, &outflags, sizeof outflags) != 0))
        *err = WSAEFAULT;
    return true;
}

bool tcp_ovl_try(struct tcp_sock *ts, struct ovl_op *op, DWORD *err)
{
    if (op->kind == TCP_OVL_CONNECT)
        return tcp_ext_try_connect(ts, op, err); /* may turn into a send (extension.c) */
    if (op->kind == TCP_OVL_ACCEPT)
        return tcp_ext_try_accept(ts, op, err);
    int flags = 0;
    (void)tcp_map_flags(op->flags, &flags); /* checked at submission */
    return op->kind == TCP_OVL_SEND ? tcp_ovl_try_send(ts, op, flags, err)
                                    : tcp_ovl_try_recv(ts, op, flags, err);
}

void tcp_ovl_finish(struct ovl_op *op, DWORD err)
{
    tcp_ext_release(op); /* an AcceptEx that never got its connection */
    op->arg = NULL;
    ovl_complete(op, err, op->done, 0);
}

void tcp_ovl_drop(struct ovl_op *op)
{
    tcp_ext_release(op);
    op->arg = NULL;
    ovl_op_drop(op);
}

void tcp_ovl_run(struct tcp_sock *ts, int q)
{
    struct ovl_list *l = &ts->ovl_q[q];
    struct ovl_op *op;
    DWORD err = 0;
    if (tcp_ur_busy(ts, q))
        return; /* the ring has the head: its completion goes on from there */
    while ((op = ovl_list_first(l)) != NULL) {
        if (!tcp_ovl_try(ts, op, &err)) {
            if (ovl_list_first(l) != op)
                continue; /* an AcceptEx moved to its accepted socket (extension.c) */
            (void)tcp_ur_hand(ts, q, op); /* else it waits for the watcher's next edge */
            break;
        }
        ovl_list_pop(l);
        tcp_ovl_finish(op, err);
    }
    /* SendDisconnect / Shutdown(SD_SEND) came while sends were queued: the
     * FIN goes right after their last byte. */
    if (q == TCP_OVL_SEND && ts->shut_pending && ovl_list_empty(l)) {
        ts->shut_pending = false;
        sys_shutdown(ts->fd, SHUT_WR);
    }
}

void tcp_ovl_progress(struct tcp_sock *ts, uint32_t what)
{
    /* an error or hang-up ends the operations of both directions */
    const uint32_t any = EPOLLERR | EPOLLHUP;
    pthread_mutex_lock(&ts->ovl_lock);
    if (what & (EPOLLIN | EPOLLRDHUP | any))
        tcp_ovl_run(ts, TCP_OVL_RECV);
    if (what & (EPOLLOUT | any))
        tcp_ovl_run(ts, TCP_OVL_SEND);
    pthread_mutex_unlock(&ts->ovl_lock);
}

int tcp_ovl_send_shutdown(struct tcp_sock *ts)
{
    int err = 0;
    pthread_mutex_lock(&ts->ovl_lock);
    if (!ovl_list_empty(&ts->ovl_q[TCP_OVL_SEND]))
        ts->shut_pending = true; /* does not block: tcp_ovl_run sends the FIN */
    else if (sys_shutdown(ts->fd, SHUT_WR) != 0)
        err = errmap_from_errno(errno);
    /* under the lock: a send submitted after this sees it before queueing */
    if (err == 0)
        atomic_store(&ts->send_shut, true);
    pthread_mutex_unlock(&ts->ovl_lock);
    return err;
}

void tcp_ovl_close(struct tcp_sock *ts)
{
    pthread_mutex_lock(&ts->ovl_lock);
    tcp_ur_recall(ts, NULL); /* nothing of ts stays in the ring */
    for (int q = 0; q < 2; q++) {
        struct ovl_op *op;
        while ((op = ovl_list_pop(&ts->ovl_q[q])) != NULL)
            tcp_ovl_finish(op, WSA_OPERATION_ABORTED);
    }
    ts->shut_pending = false; /* close() sends the FIN anyway */
    if (atomic_load(&ts->closing))
        tcp_ur_release(ts); /* nothing can be queued any more (tcp_ovl_start) */
    pthread_mutex_unlock(&ts->ovl_lock);
}

/* Cancel ov's operation (every one when NULL), or with mine those the calling
 * thread issued. */
static int tcp_cancel(struct tcp_sock *ts, LPWSAOVERLAPPED ov, bool mine)
{
    int found = 0;
    pthread_mutex_lock(&ts->ovl_lock);
    /* a matching head in the ring comes back first (with mine: every head,
     * the ring does not know the issuer) */
    tcp_ur_recall(ts, ov);
    for (int q = 0; q < 2; q++) {
        struct ovl_op *op;
        while ((op = mine ? ovl_list_take_mine(&ts->ovl_q[q]) : ovl_list_take(&ts->ovl_q[q], ov)) !=
               NULL) {
            tcp_ovl_finish(op, WSA_OPERATION_ABORTED);
            found++;
        }
    }
    /* the cancelled sends may have been all that held a deferred FIN back;
     * a recalled receive head that was not cancelled goes back to the ring */
    tcp_ovl_run(ts, TCP_OVL_SEND);
    if (ts->ur != NULL)
        tcp_ovl_run(ts, TCP_OVL_RECV);
    pthread_mutex_unlock(&ts->ovl_lock);
    return found ? 0 : WSP_ERROR_NOT_FOUND;
}

int tcp_ioctl_cancel(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                     LPDWORD ret)
{
    (void)out, (void)outlen;
    LPWSAOVERLAPPED ov;
    int err = ovl_cancel_arg(in, inlen, &ov);
    if (err != 0)
        return err;
    *ret = 0;
    return tcp_cancel(ts, ov, false);
}

int tcp_ioctl_cancel_thread(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                            LPDWORD ret)
{
    (void)in, (void)inlen, (void)out, (void)outlen;
    *ret = 0;
    return tcp_cancel(ts, NULL, true);
}
