/* SPDX-License-Identifier: MIT */
/* Overlapped submission: WSPSend/SendTo/Recv/RecvFrom with an lpOverlapped on
 * an overlapped socket (data.c hands them over), and WSPGetOverlappedResult.
 *
 * The checks are the plain path's (data_check.h), made before anything is
 * queued, so a bad argument fails the call with no completion, as on Windows.
 * With an empty queue of its direction the operation is tried at once; done
 * then, it returns 0 and is still reported through the event, port or
 * routine (ovl_complete). Otherwise it is queued for the watcher
 * (ovl_engine.c) and the call returns WSA_IO_PENDING. */
#include <stdlib.h>
#include <string.h>

#include "common/umem.h"
#include "data_check.h"
#include "ovl_tcp.h"
#include "tcp.h"

static int tcp_ovl_fail_drop(struct ovl_op *op, LPINT lpErrno, int code)
{
    op->arg = NULL; /* still the caller's stack copy, if any */
    ovl_op_drop(op);
    return spi_fail(lpErrno, code);
}

/* The operation's buffers, copied by the kit: readable for a send, writable
 * for a receive (the receive overwrites them; umem_check_out). */
static int tcp_ovl_probe(const struct ovl_op *op, bool recv)
{
    for (DWORD i = 0; i < op->nbufs; i++) {
        WSABUF b = op->bufs[i];
        if ((recv ? umem_check_out(b.buf, b.len) : umem_check_read(b.buf, b.len)) != 0)
            return WSAEFAULT;
    }
    return 0;
}

/* Try op now if its queue is empty, else queue it. local: the datagram
 * extra on the caller's stack (or NULL), copied to the heap if op waits.
 * *bytes and *flags_out (either may be NULL) get the result of an immediate
 * completion. */
static int tcp_ovl_start(struct tcp_sock *ts, struct ovl_op *op, const struct tcp_ovl_addr *local,
                         LPDWORD bytes, LPDWORD flags_out, LPINT lpErrno)
{
    struct ovl_list *l = &ts->ovl_q[tcp_ovl_queue(op->kind)];
    LPWSAOVERLAPPED ov = op->ov;
    op->arg = (void *)local;
    pthread_mutex_lock(&ts->ovl_lock);
    if (atomic_load(&ts->closing)) {
        /* closesocket has aborted the queues or is about to: this one is
         * aborted the same way rather than left behind */
        pthread_mutex_unlock(&ts->ovl_lock);
        op->arg = NULL;
        ovl_complete(op, WSA_OPERATION_ABORTED, 0, 0);
        return spi_fail(lpErrno, WSA_IO_PENDING);
    }
    /* checked again under the lock: a SendDisconnect between the first check
     * and here must not see this send go after its FIN */
    if (op->kind == TCP_OVL_SEND && atomic_load(&ts->send_shut)) {
        pthread_mutex_unlock(&ts->ovl_lock);
        return tcp_ovl_fail_drop(op, lpErrno, WSAESHUTDOWN);
    }
    if (ovl_list_empty(l)) {
        DWORD err = 0;
        if (tcp_ovl_try(ts, op, &err)) {
            op->arg = NULL;
            if (err != 0 && op->done == 0) {
                /* failed at once: an error return and no completion (WSASend,
                 * WSARecv: "no completion indication will occur") */
                pthread_mutex_unlock(&ts->ovl_lock);
                return tcp_ovl_fail_drop(op, lpErrno, (int)err);
            }
            DWORD n = op->done, zero = 0;
            /* proved writable at submission; the completion is the record */
            (void)tcp_put(bytes, &n, sizeof n);
            (void)tcp_put(flags_out, &zero, sizeof zero);
            ovl_complete(op, err, n, 0); /* under the lock: completions in issue order */
            pthread_mutex_unlock(&ts->ovl_lock);
            return err == 0 ? 0 : spi_fail(lpErrno, WSA_IO_PENDING);
        }
    }
    if (local != NULL) {
        /* the address waits with the operation, in its record */
        _Static_assert(sizeof *local <= OVL_EXTRA, "a tcp_ovl_addr fits in op->extra");
        memcpy(op->extra, local, sizeof *local);
        op->arg = op->extra;
    }
    bool head = ovl_list_empty(l);
    ovl_list_push(l, op);
    /* the head that must wait goes to the ring when the engine is io_uring;
     * behind a head in the ring, the ring's completion runs the queue on */
    bool ring = head ? tcp_ur_hand(ts, tcp_ovl_queue(op->kind), op)
                     : tcp_ur_busy(ts, tcp_ovl_queue(op->kind));
    pthread_mutex_unlock(&ts->ovl_lock);
    if (ring)
        return spi_fail(lpErrno, WSA_IO_PENDING);
    int err = tcp_events_ovl_watch(ts);
    if (err != 0) {
        /* no watcher: take it back unless something completed it meanwhile */
        pthread_mutex_lock(&ts->ovl_lock);
        struct ovl_op *back = ovl_list_take(l, ov);
        pthread_mutex_unlock(&ts->ovl_lock);
        if (back != NULL) {
            tcp_ovl_drop(back);
            return spi_fail(lpErrno, err);
        }
    }
    return spi_fail(lpErrno, WSA_IO_PENDING);
}

int tcp_ovl_send(struct tcp_sock *ts, LPWSABUF bufs, DWORD count, LPDWORD sent, DWORD dwFlags,
                 const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov,
                 LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread, LPINT lpErrno)
{
    if (!ovl_available())
        return spi_fail(lpErrno, WSAEOPNOTSUPP); /* a libwsp without the completion upcall */
    int flags, err;
    if ((err = tcp_map_flags(dwFlags, &flags)) != 0 || (err = tcp_send_allowed(ts, to)) != 0)
        return spi_fail(lpErrno, err);
    if (count > TCP_MAX_IOV)
        return spi_fail(lpErrno, WSAENOBUFS);
    /* lpNumberOfBytesSent may be NULL with an lpOverlapped */
    if ((err = tcp_out_ok(sent, sizeof *sent)) != 0)
        return spi_fail(lpErrno, err);
    struct tcp_ovl_addr local, *dest = NULL;
    if (to != NULL && ts->type != SOCK_STREAM) {
        /* WSASendTo: lpTo not valid memory or iToLen too small: WSAEFAULT;
         * copied now, since the operation may outlive the caller's copy */
        if (tolen < tcp_sockaddr_len(ts->af) || (size_t)tolen > sizeof local.ss ||
            umem_read(&local.ss, to, (size_t)tolen) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
        local.len = (socklen_t)tolen;
        local.from = NULL;
        dest = &local;
    }
    struct ovl_op *op;
    if ((err = ovl_op_new(ts->handle, ov, routine, thread, bufs, count, TCP_OVL_SEND, NULL, &op)) !=
        0)
        return spi_fail(lpErrno, err);
    op->flags = dwFlags;
    if ((err = tcp_ovl_probe(op, false)) != 0)
        return tcp_ovl_fail_drop(op, lpErrno, err);
    return tcp_ovl_start(ts, op, dest, sent, NULL, lpErrno);
}

int tcp_ovl_recv(struct tcp_sock *ts, LPWSABUF bufs, DWORD count, LPDWORD got, LPDWORD lpFlags,
                 struct sockaddr *from, LPINT fromlen, const struct tcp_ctl *ctl,
                 LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                 LPWSATHREADID thread, LPINT lpErrno)
{
    if (!ovl_available())
        return spi_fail(lpErrno, WSAEOPNOTSUPP);
    /* lpFlags is required; lpNumberOfBytesRecvd may be NULL with an lpOverlapped */
    DWORD inflags = 0;
    if (lpFlags == NULL || umem_read(&inflags, lpFlags, sizeof inflags) != 0 ||
        tcp_out_ok(lpFlags, sizeof *lpFlags) != 0)
        return spi_fail(lpErrno, WSAEFAULT);
    int flags, err;
    if ((err = tcp_map_flags(inflags, &flags)) != 0 || (err = tcp_recv_allowed(ts)) != 0)
        return spi_fail(lpErrno, err);
    if (count > TCP_MAX_IOV)
        return spi_fail(lpErrno, WSAENOBUFS);
    if ((err = tcp_out_ok(got, sizeof *got)) != 0)
        return spi_fail(lpErrno, err);
    struct tcp_ovl_addr local, *src = NULL;
    local.ctl = (struct tcp_ctl){.msg = NULL};
    if (ctl != NULL && ts->type != SOCK_STREAM) {
        /* the WSAMSG must stay valid until the operation completes, as on
         * Windows (its Control.len and dwFlags are written then) */
        local.ctl = *ctl;
        local.from = NULL;
        local.addrlen = 0;
        src = &local;
    }
    if (from != NULL && ts->type != SOCK_STREAM) {
        /* as the plain WSARecvFrom: decided before anything is taken; lpFrom
         * and lpFromlen must stay valid until the operation completes */
        int cap;
        local.addrlen = tcp_sockaddr_len(ts->af);
        if (fromlen == NULL || umem_read(&cap, fromlen, sizeof cap) != 0 ||
            tcp_out_ok(fromlen, sizeof *fromlen) != 0 || cap < local.addrlen ||
            umem_check_out(from, (size_t)local.addrlen) != 0)
            return spi_fail(lpErrno, WSAEFAULT);
        local.from = from;
        local.fromlen = fromlen;
        local.len = 0;
        src = &local;
    }
    struct ovl_op *op;
    if ((err = ovl_op_new(ts->handle, ov, routine, thread, bufs, count, TCP_OVL_RECV, NULL, &op)) !=
        0)
        return spi_fail(lpErrno, err);
    op->flags = inflags;
    if ((err = tcp_ovl_probe(op, true)) != 0)
        return tcp_ovl_fail_drop(op, lpErrno, err);
    /* with control messages the receive itself writes dwFlags (tcp_ovl_try_recv) */
    return tcp_ovl_start(ts, op, src, got, src != NULL && src->ctl.msg != NULL ? NULL : lpFlags,
                         lpErrno);
}

/* Every operation of this provider completes through ovl_complete. */
BOOL WSPAPI tcp_WSPGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD lpcbTransfer,
                                       BOOL fWait, LPDWORD lpdwFlags, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail_bool(lpErrno, err);
    return ovl_get_result(lpOverlapped, lpcbTransfer, fWait, lpdwFlags, lpErrno);
}
