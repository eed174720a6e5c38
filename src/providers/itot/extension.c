/* SPDX-License-Identifier: MIT */
/* extension — Microsoft's extension functions on itot sockets (mswsock.h):
 * AcceptEx, GetAcceptExSockaddrs, ConnectEx, DisconnectEx, WSARecvMsg and
 * WSASendMsg, handed out by WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)
 * through the provider kit (common/ext.h). The application calls them
 * directly: errors go to its last error (ext_fail_*), completions through
 * the overlapped kit like every other operation (overlapped.c).
 *
 * A handle's context is the socket WSPSocket made (the root). AcceptEx takes
 * a connection that is a socket of its own (the listener's pending one), so
 * the accept socket's root then forwards to it (itot_sock.fwd, itot_lookup);
 * DisconnectEx(TF_REUSE_SOCKET) does the same with a fresh socket, while the
 * old connection finishes its release on its own as after closesocket. The
 * forward changes only with the socket serving the handle locked, and the
 * lock order is: the new connection, the root, the socket it replaces. */
#include <errno.h>
#include <string.h>

#include "common/errmap.h"
#include "common/ext.h"
#include "common/sys.h"
#include "common/umem.h"
#include "provider.h"

static const WSATHREADID itot_no_thread; /* AcceptEx, ConnectEx, DisconnectEx: no routine */

/* The largest address of the family (AcceptEx's blocks are this + 16). */
static int itot_addr_max(int af)
{
    return itot_sockaddr_len(af);
}

/* ---- AcceptEx ------------------------------------------------------------- */

/* An AcceptEx that never reached its connection: the accept socket (root
 * a, the operation's reference) is free for another. */
static void accepting_end(struct itot_sock *a)
{
    for (;;) {
        struct itot_sock *t = atomic_load_explicit(&a->fwd, memory_order_acquire);
        struct itot_sock *x = t != NULL ? t : a;
        pthread_mutex_lock(&x->lock);
        bool same = atomic_load(&a->fwd) == t;
        if (same)
            x->ext_accepting = false;
        pthread_mutex_unlock(&x->lock);
        if (same)
            break;
    }
    itot_sock_unref(a);
}

void itot_ovl_finish(struct ovl_op *op, DWORD err, DWORD bytes, DWORD flags)
{
    struct itot_sock *a = op->kind == ITOT_OVL_ACCEPT ? op->arg : NULL;
    op->arg = NULL;
    ovl_complete(op, err, bytes, flags);
    if (a != NULL)
        accepting_end(a);
}

struct ovl_op *itot_ext_accept_waiting(struct itot_sock *l)
{
    return l->kind == ITOT_K_LISTEN ? ovl_list_pop(&l->ovl_rx) : NULL;
}

/* The root a's handle now serves c (c's lock held): 0, or an error with
 * nothing changed. *old: the fresh socket the root forwarded to, to unref
 * once every lock is released. */
static int transplant(struct itot_sock *a, struct itot_sock *c, struct itot_sock **old)
{
    int err = 0;
    pthread_mutex_lock(&a->lock);
    struct itot_sock *t = atomic_load(&a->fwd);
    if (t != NULL)
        pthread_mutex_lock(&t->lock);
    struct itot_sock *x = t != NULL ? t : a;
    /* closesocket of the accept socket came first: its AcceptEx is over. */
    if (x->closing || !x->ext_accepting) {
        err = WSA_OPERATION_ABORTED;
    } else {
        x->ext_accepting = false;
        if (t == NULL && a->fd >= 0) {
            sys_close(a->fd); /* the root's own TCP socket was never used */
            a->fd = -1;
        }
        if (t != NULL)
            t->closing = true;
        itot_sock_ref(c); /* the root's reference */
        c->handle = a->handle;
        atomic_store_explicit(&a->fwd, c, memory_order_release);
        *old = t;
    }
    if (t != NULL)
        pthread_mutex_unlock(&t->lock);
    pthread_mutex_unlock(&a->lock);
    return err;
}

/* The output buffer's layout is in op->bufs: [0] receive data, [1] local
 * block, [2] remote block (extension.c's AcceptEx). */
static int accept_into(struct itot_sock *l, struct itot_sock *c, struct ovl_op *op,
                       struct itot_sock **old)
{
    struct itot_sock *a = op->arg;
    uint8_t callee[TPDU_MAX_CONN_DATA];
    pthread_mutex_lock(&l->lock);
    size_t callee_len = l->conn_data_len; /* the listener's SO_CONNDATA, as WSPAccept */
    memcpy(callee, l->conn_data, callee_len);
    pthread_mutex_unlock(&l->lock);
    int err = ext_put_addrs(op->bufs[0].buf, op->bufs[0].len, op->bufs[1].len, op->bufs[2].len,
                            (struct sockaddr *)&c->local, (int)c->local_len,
                            (struct sockaddr *)&c->peer, (int)c->peer_len);
    if (err == 0)
        err = transplant(a, c, old);
    if (err != 0)
        return err;
    /* The handle is c's now: a refusal of the CC is the connection's own
     * failure, reported by the calls that follow. */
    if (conn_accept(&c->conn, callee, callee_len) != 0) {
        conn_reject(&c->conn, WSP_ITOT_DR_CONGESTION, NULL, 0);
        conn_close_tcp(&c->conn, false);
    }
    c->overlapped = true; /* as an accepted socket on Windows */
    c->connected_ms = itot_now_ms();
    itot_pending_uncount(c);
    op->arg = NULL;
    itot_sock_unref(a); /* the operation's; the handle keeps the root */
    if (op->bufs[0].len == 0) {
        ovl_complete(op, 0, 0, 0);
    } else {
        /* Completes with the first TSDU (or what fits of it), as a receive. */
        op->nbufs = 1;
        ovl_list_push(&c->ovl_rx, op);
    }
    itot_apply(c);
    itot_engine_update(c);
    return 0;
}

static void unref_if(struct itot_sock *s)
{
    if (s != NULL)
        itot_sock_unref(s);
}

void itot_ext_accept_into(struct itot_sock *l, struct itot_sock *c, struct ovl_op *op)
{
    /* The engine: c's CR just arrived (c's lock held, l's not). On failure c
     * joins the accept queue as if no AcceptEx had waited. */
    struct itot_sock *old = NULL;
    int err = accept_into(l, c, op, &old);
    if (err == 0) {
        itot_sock_unref(c); /* the reference offer_to_listener took for the queue */
    } else {
        itot_ovl_finish(op, (DWORD)err, 0, 0);
        pthread_mutex_lock(&l->lock);
        if (l->closing) {
            conn_reject(&c->conn, WSP_ITOT_DR_NOT_ATTACHED, NULL, 0);
            pthread_mutex_unlock(&l->lock);
            itot_sock_unref(c); /* not the last: the engine holds c */
            return;
        }
        itot_listen_enqueue(l, c);
        itot_post_event(l, FD_ACCEPT, 0);
        itot_wake(l);
        pthread_mutex_unlock(&l->lock);
    }
    unref_if(old);
}

/* The accept socket must be a fresh socket of this provider (AcceptEx page:
 * "not bound or connected"); 0 and a reference on its root in *out. */
static int accept_socket(SOCKET as, const struct itot_sock *l, struct itot_sock **out)
{
    struct itot_sock *a = itot_root_ours(as);
    if (a == NULL)
        return WSAENOTSOCK; /* not a socket, or another provider's (AcceptEx page) */
    int err = 0;
    for (;;) {
        struct itot_sock *t = atomic_load_explicit(&a->fwd, memory_order_acquire);
        struct itot_sock *x = t != NULL ? t : a;
        pthread_mutex_lock(&x->lock);
        if (atomic_load(&a->fwd) != t) {
            pthread_mutex_unlock(&x->lock);
            continue;
        }
        if (x->closing)
            err = WSAENOTSOCK;
        else if (x->has_conn)
            err = WSAEISCONN;
        else if (x->kind != ITOT_K_NEW || x->bound || x->ext_accepting || x->af != l->af)
            err = WSAEINVAL;
        else
            x->ext_accepting = true;
        pthread_mutex_unlock(&x->lock);
        break;
    }
    if (err == 0) {
        itot_sock_ref(a);
        *out = a;
    }
    return err;
}

static BOOL PASCAL itot_AcceptEx(SOCKET sListenSocket, SOCKET sAcceptSocket, PVOID lpOutputBuffer,
                                 DWORD dwReceiveDataLength, DWORD dwLocalAddressLength,
                                 DWORD dwRemoteAddressLength, LPDWORD lpdwBytesReceived,
                                 LPOVERLAPPED lpOverlapped)
{
    int err;
    struct itot_sock *l = itot_enter_ours(sListenSocket, &err);
    if (l == NULL)
        return ext_fail_bool(err);
    err = ext_acceptex_check(itot_addr_max(l->af), lpOutputBuffer, dwReceiveDataLength,
                             dwLocalAddressLength, dwRemoteAddressLength, lpdwBytesReceived,
                             lpOverlapped);
    if (err == 0 && !ovl_available())
        err = WSAEOPNOTSUPP;
    if (err == 0) {
        pthread_mutex_lock(&l->lock);
        err = l->kind == ITOT_K_LISTEN && !l->closing ? 0 : WSAEINVAL; /* listen() first */
        pthread_mutex_unlock(&l->lock);
    }
    struct itot_sock *a = NULL;
    if (err == 0)
        err = accept_socket(sAcceptSocket, l, &a);
    if (err != 0)
        return ext_fail_bool(err);
    char *out = lpOutputBuffer;
    WSABUF b[3] = {{dwReceiveDataLength, out},
                   {dwLocalAddressLength, out + dwReceiveDataLength},
                   {dwRemoteAddressLength, out + dwReceiveDataLength + dwLocalAddressLength}};
    struct ovl_op *op = NULL;
    WSATHREADID tid = itot_no_thread;
    /* Reported on the listening socket (its completion port), as on Windows. */
    err = ovl_op_new(sListenSocket, lpOverlapped, NULL, &tid, b, 3, ITOT_OVL_ACCEPT, a, &op);
    if (err != 0) {
        accepting_end(a);
        return ext_fail_bool(err);
    }
    op->flags = 0;
    for (;;) {
        pthread_mutex_lock(&l->lock);
        if (l->kind != ITOT_K_LISTEN || l->closing) {
            pthread_mutex_unlock(&l->lock);
            itot_ovl_finish(op, WSA_OPERATION_ABORTED, 0, 0);
            break;
        }
        struct itot_sock *c = itot_listen_dequeue(l);
        if (c == NULL) {
            ovl_list_push(&l->ovl_rx, op); /* the engine hands it the next CR */
            itot_input_to_engine(l);       /* so the engine accepts (accept_direct.c) */
            pthread_mutex_unlock(&l->lock);
            break;
        }
        pthread_mutex_unlock(&l->lock);
        pthread_mutex_lock(&c->lock);
        if (c->conn.state != CONN_S_CR_RCVD) { /* the peer gave up meanwhile */
            pthread_mutex_unlock(&c->lock);
            itot_sock_unref(c);
            continue;
        }
        struct itot_sock *old = NULL;
        err = accept_into(l, c, op, &old);
        pthread_mutex_unlock(&c->lock);
        if (err == 0) {
            itot_sock_unref(c); /* the queue's reference: the root holds its own */
        } else {
            itot_ovl_finish(op, (DWORD)err, 0, 0);
            pthread_mutex_lock(&l->lock); /* c waits for the next accept */
            bool closed = l->closing;
            if (!closed)
                itot_listen_requeue(l, c);
            pthread_mutex_unlock(&l->lock);
            if (closed) {
                pthread_mutex_lock(&c->lock);
                conn_reject(&c->conn, WSP_ITOT_DR_NOT_ATTACHED, NULL, 0);
                conn_close_tcp(&c->conn, false);
                itot_apply(c);
                itot_engine_update(c);
                pthread_mutex_unlock(&c->lock);
                itot_sock_unref(c);
            }
        }
        unref_if(old);
        break;
    }
    /* Windows lets AcceptEx report either way; itot always reports the
     * result through the completion. */
    return ext_fail_bool(WSA_IO_PENDING);
}

/* ---- ConnectEx ------------------------------------------------------------ */

static BOOL PASCAL itot_ConnectEx(SOCKET h, const struct sockaddr *name, int namelen,
                                  PVOID lpSendBuffer, DWORD dwSendDataLength, LPDWORD lpdwBytesSent,
                                  LPOVERLAPPED lpOverlapped)
{
    int err;
    struct itot_sock *s = itot_enter_ours(h, &err);
    if (s == NULL)
        return ext_fail_bool(err);
    err = ext_connectex_check(itot_sockaddr_len(s->af), name, namelen, lpSendBuffer,
                              dwSendDataLength, lpdwBytesSent, lpOverlapped);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (err == 0 && umem_read(&ss, name, (size_t)itot_sockaddr_len(s->af)) != 0)
        err = WSAEFAULT;
    if (err == 0 && ss.ss_family != s->af)
        err = WSAEAFNOSUPPORT;
    if (err == 0 && !ovl_available())
        err = WSAEOPNOTSUPP;
    WSABUF b = {dwSendDataLength, lpSendBuffer};
    struct ovl_op *op = NULL;
    WSATHREADID tid = itot_no_thread;
    if (err == 0)
        err = ovl_op_new(h, lpOverlapped, NULL, &tid, &b, dwSendDataLength ? 1 : 0,
                         ITOT_OVL_CONNECT, NULL, &op);
    if (err != 0)
        return ext_fail_bool(err);
    pthread_mutex_lock(&s->lock);
    if (s->closing)
        err = WSAENOTSOCK;
    else if (s->has_conn)
        err = s->conn.state == CONN_S_CR_SENT ? WSAEALREADY : WSAEISCONN;
    else if (s->kind == ITOT_K_LISTEN || !s->bound)
        err = WSAEINVAL; /* ConnectEx page: a bound socket, not listening */
    else
        err = itot_connect_start(s, &ss, s->conn_data, s->conn_data_len); /* SO_CONNDATA */
    if (err == 0) {
        /* At the head of ovl_tx: nothing can be sent before the CC anyway. */
        ovl_list_push(&s->ovl_tx, op);
        itot_apply(s);
        itot_engine_update(s);
    } else {
        ovl_op_drop(op);
    }
    pthread_mutex_unlock(&s->lock);
    return ext_fail_bool(err != 0 ? err : WSA_IO_PENDING);
}

/* ---- DisconnectEx --------------------------------------------------------- */

/* TF_REUSE_SOCKET: the handle gets a fresh, unbound socket (lock of s, the
 * socket serving it, held); s goes on releasing as after closesocket. The
 * socket to unref once the lock is released in *old. */
static int reuse(SOCKET h, struct itot_sock *s, struct itot_sock **old)
{
    struct itot_sock *r = itot_root(h);
    if (r == NULL)
        return WSAENOTSOCK;
    int fd = sys_socket(s->af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errmap_from_errno(errno);
    struct itot_sock *n = itot_sock_alloc(s->af, s->proto, fd);
    if (n == NULL) {
        sys_close(fd);
        return WSAENOBUFS;
    }
    n->handle = h;
    n->overlapped = s->overlapped;
    n->nonblocking = s->nonblocking;
    n->cfg = s->cfg; /* the options set on the socket stay (Windows: the same socket) */
    memcpy(n->timeo_ms, s->timeo_ms, sizeof n->timeo_ms);
    n->conn_data_len = s->conn_data_len;
    memcpy(n->conn_data, s->conn_data, s->conn_data_len);
    n->disc_data_len = s->disc_data_len;
    memcpy(n->disc_data, s->disc_data, s->disc_data_len);
    itot_sock_close_begin(s);
    if (r != s) {
        pthread_mutex_lock(&r->lock);
        *old = s; /* the root's reference on s */
    }
    atomic_store_explicit(&r->fwd, n, memory_order_release); /* n's first reference */
    if (r != s)
        pthread_mutex_unlock(&r->lock);
    return 0;
}

static BOOL PASCAL itot_DisconnectEx(SOCKET h, LPOVERLAPPED lpOverlapped, DWORD dwFlags,
                                     DWORD dwReserved)
{
    int err;
    struct itot_sock *s = itot_enter_ours(h, &err);
    if (s == NULL)
        return ext_fail_bool(err);
    err = ext_disconnectex_check(dwFlags, dwReserved);
    struct ovl_op *op = NULL;
    WSATHREADID tid = itot_no_thread;
    if (err == 0 && lpOverlapped != NULL && s->overlapped) {
        err = ovl_available() ? 0 : WSAEOPNOTSUPP;
        if (err == 0)
            err = ovl_op_new(h, lpOverlapped, NULL, &tid, NULL, 0, ITOT_OVL_IOCTL, NULL, &op);
    }
    if (err != 0)
        return ext_fail_bool(err);
    struct itot_sock *old = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->closing)
        err = WSAENOTSOCK;
    else if (!s->has_conn || s->conn.state == CONN_S_IDLE || s->conn.state == CONN_S_CR_SENT)
        err = WSAENOTCONN;
    else
        err = itot_release(s, NULL, 0); /* the DR with SO_DISCDATA, after the queued sends */
    /* Reuse after the peer's end (its DR read, or the connection gone) is
     * the usual server pattern: the release there is already over. */
    if (err != 0 && (dwFlags & TF_REUSE_SOCKET) && s->has_conn && conn_can_send(&s->conn) != 0 &&
        s->conn.state != CONN_S_CR_SENT)
        err = 0;
    if (err == 0 && (dwFlags & TF_REUSE_SOCKET))
        err = reuse(h, s, &old);
    pthread_mutex_unlock(&s->lock);
    unref_if(old);
    ovl_settle(op, err, 0);
    return err != 0 ? ext_fail_bool(err) : TRUE;
}

/* ---- WSARecvMsg / WSASendMsg --------------------------------------------- */

static INT PASCAL itot_WSARecvMsg(SOCKET s, LPWSAMSG lpMsg, LPDWORD lpdwNumberOfBytesRecvd,
                                  LPWSAOVERLAPPED lpOverlapped,
                                  LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    WSAMSG m;
    int err = 0;
    if (itot_lookup_ours(s, &err) == NULL) /* the application may pass any handle */
        return ext_fail_int(err);
    WSATHREADID tid;
    /* No control data on itot: Control.len is 0 on return. */
    err = ext_recvmsg_args(lpMsg, &m, lpOverlapped, lpCompletionRoutine, &tid);
    if (err != 0)
        return ext_fail_int(err);
    /* dwFlags in and out (MSG_PEEK in; MSG_PARTIAL out), as WSARecv's lpFlags. */
    if (itot_WSPRecv(s, m.lpBuffers, m.dwBufferCount, lpdwNumberOfBytesRecvd, &lpMsg->dwFlags,
                     lpOverlapped, lpCompletionRoutine, &tid, &err) != 0)
        return ext_fail_int(err);
    return 0;
}

static INT PASCAL itot_WSASendMsg(SOCKET s, LPWSAMSG lpMsg, DWORD dwFlags,
                                  LPDWORD lpNumberOfBytesSent, LPWSAOVERLAPPED lpOverlapped,
                                  LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    WSAMSG m;
    int err = 0;
    if (itot_lookup_ours(s, &err) == NULL)
        return ext_fail_int(err);
    WSATHREADID tid;
    /* No control message is defined on itot. */
    err = ext_sendmsg_args(lpMsg, &m, lpOverlapped, lpCompletionRoutine, &tid);
    if (err != 0)
        return ext_fail_int(err);
    if (itot_WSPSend(s, m.lpBuffers, m.dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped,
                     lpCompletionRoutine, &tid, &err) != 0)
        return ext_fail_int(err);
    return 0;
}

/* ---- the table ------------------------------------------------------------- */

static const struct ext_fn itot_ext_table[] = {
    {WSAID_ACCEPTEX, (ext_proc)itot_AcceptEx},
    {WSAID_GETACCEPTEXSOCKADDRS, (ext_proc)ext_GetAcceptExSockaddrs},
    {WSAID_CONNECTEX, (ext_proc)itot_ConnectEx},
    {WSAID_DISCONNECTEX, (ext_proc)itot_DisconnectEx},
    {WSAID_WSARECVMSG, (ext_proc)itot_WSARecvMsg},
    {WSAID_WSASENDMSG, (ext_proc)itot_WSASendMsg},
};

int itot_ext_pointer(const void *in, DWORD cb_in, void *out, DWORD cb_out, LPDWORD lpcb)
{
    return ext_get_pointer(itot_ext_table, sizeof itot_ext_table / sizeof itot_ext_table[0], in,
                           cb_in, out, cb_out, lpcb);
}
