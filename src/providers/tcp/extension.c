/* SPDX-License-Identifier: MIT */
/* extension — Microsoft's extension functions on tcp sockets (mswsock.h):
 * AcceptEx, GetAcceptExSockaddrs, ConnectEx, DisconnectEx, WSARecvMsg and
 * WSASendMsg, handed out by WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)
 * through the provider kit (common/ext.h). The application calls them
 * directly: errors go to its last error, completions through the overlapped
 * engine like every other operation (ovl_engine.c).
 *
 * ConnectEx waits in the send queue and AcceptEx in the listener's receive
 * queue; both are tried by the watcher only (under the events mutex, which
 * also keeps a socket being closed from being freed meanwhile), submission
 * re-arms the socket's edge so the watcher looks at once. A socket keeps its
 * descriptor number for life: AcceptEx puts the accepted connection on the
 * accept socket's descriptor (dup3), DisconnectEx(TF_REUSE_SOCKET) a fresh
 * socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/errmap.h"
#include "common/ext.h"
#include "common/sys.h"
#include "common/spi_opt.h"
#include "common/umem.h"
#include "ovl_tcp.h"
#include "tcp.h"

static uint64_t tcp_ext_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

void tcp_mark_connected(struct tcp_sock *ts)
{
    atomic_store(&ts->connected_ms, tcp_ext_now_ms());
}

struct tcp_sock *tcp_lookup_ours(SOCKET s, int *err)
{
    struct tcp_sock *ts = tcp_lookup(s, err);
    uint32_t magic = 0;
    /* Another provider's context may be anything: read as caller memory. */
    if (ts != NULL &&
        (umem_read(&magic, &ts->magic, sizeof magic) != 0 || magic != TCP_SOCK_MAGIC)) {
        *err = WSAENOTSOCK;
        return NULL;
    }
    return ts;
}

static const WSATHREADID tcp_no_thread; /* AcceptEx, ConnectEx, DisconnectEx: no routine */

/* Queue an extension operation for the watcher and have it look now. */
static BOOL tcp_ext_submit(struct tcp_sock *ts, struct ovl_op *op)
{
    struct ovl_list *l = &ts->ovl_q[tcp_ovl_queue(op->kind)];
    pthread_mutex_lock(&ts->ovl_lock);
    ovl_list_push(l, op);
    pthread_mutex_unlock(&ts->ovl_lock);
    int err = tcp_events_ovl_kick(ts);
    if (err != 0) {
        pthread_mutex_lock(&ts->ovl_lock);
        struct ovl_op *back = ovl_list_take(l, op->ov);
        pthread_mutex_unlock(&ts->ovl_lock);
        if (back != NULL) {
            tcp_ovl_drop(back);
            return ext_fail_bool(err);
        }
    }
    return ext_fail_bool(WSA_IO_PENDING);
}

/* ---- AcceptEx ------------------------------------------------------------- */

struct tcp_ext_accept {
    SOCKET as;                 /* the accept socket's handle */
    char *out;                 /* lpOutputBuffer */
    DWORD recv, local, remote; /* the three lengths */
};

void tcp_ext_release(struct ovl_op *op)
{
    if (op->kind != TCP_OVL_ACCEPT || op->arg == NULL)
        return;
    const struct tcp_ext_accept *x = op->arg;
    int err;
    struct tcp_sock *a = tcp_lookup(x->as, &err);
    if (a != NULL)
        atomic_store(&a->ext_accepting, false);
}

bool tcp_ext_try_accept(struct tcp_sock *ls, struct ovl_op *op, DWORD *err)
{
    struct tcp_ext_accept *x = op->arg;
    /* The listener may be in blocking mode: accept only what is there. */
    struct pollfd p = {.fd = ls->fd, .events = POLLIN};
    if (sys_poll(&p, 1, 0) <= 0)
        return false;
    int fd = sys_accept4(ls->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0 &&
        (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED))
        return false;
    if (fd < 0) {
        *err = (DWORD)errmap_from_errno(errno);
        return true;
    }
    int e = 0;
    struct tcp_sock *a = tcp_lookup(x->as, &e);
    if (a == NULL || atomic_load(&a->closing) || !atomic_load(&a->ext_accepting)) {
        sys_close(fd); /* the accept socket was closed: so is the connection */
        *err = WSA_OPERATION_ABORTED;
        return true;
    }
    struct sockaddr_storage me, peer;
    socklen_t ml = sizeof me, pl = sizeof peer;
    if (sys_getsockname(fd, (struct sockaddr *)&me, &ml) != 0 ||
        sys_getpeername(fd, (struct sockaddr *)&peer, &pl) != 0) {
        sys_close(fd); /* reset already: the next connection */
        return false;
    }
    e = ext_put_addrs(x->out, x->recv, x->local, x->remote, (struct sockaddr *)&me, (int)ml,
                      (struct sockaddr *)&peer, (int)pl);
    if (e == 0 && !atomic_load(&a->nonblocking)) {
        int fl = sys_fcntl(fd, F_GETFL, 0);
        if (fl < 0 || sys_fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)
            e = errmap_from_errno(errno);
    }
    /* The accept socket's descriptor number now names the connection. */
    if (e == 0) {
        tcp_events_fd_gone_locked(a);
        if (dup3(fd, a->fd, O_CLOEXEC) < 0)
            e = errmap_from_errno(errno);
    }
    sys_close(fd);
    if (e != 0) {
        *err = (DWORD)e;
        return true;
    }
    a->overlapped = true; /* as an accepted socket on Windows */
    atomic_store(&a->state, TCP_ST_CONNECTED);
    tcp_mark_connected(a);
    atomic_store(&a->ext_accepting, false);
    op->done = 0;
    if (x->recv == 0) {
        *err = 0;
        return true;
    }
    /* The first data: a receive of x->recv octets on the accepted socket,
     * still reported on the listener (its port), as Windows does. */
    ovl_list_pop(&ls->ovl_q[TCP_OVL_RECV]);
    op->arg = NULL;
    op->kind = TCP_OVL_RECV;
    op->nbufs = 1;
    pthread_mutex_lock(&a->ovl_lock);
    ovl_list_push(&a->ovl_q[TCP_OVL_RECV], op);
    pthread_mutex_unlock(&a->ovl_lock);
    if ((e = tcp_events_ovl_kick_locked(a)) != 0) {
        pthread_mutex_lock(&a->ovl_lock);
        struct ovl_op *back = ovl_list_take(&a->ovl_q[TCP_OVL_RECV], op->ov);
        pthread_mutex_unlock(&a->ovl_lock);
        if (back != NULL)
            tcp_ovl_finish(back, (DWORD)e);
    }
    /* op is off ls's queue: tell tcp_ovl_run to go on with the next. */
    return false;
}

static int tcp_ext_accept_socket(SOCKET as, const struct tcp_sock *ls)
{
    int err;
    struct tcp_sock *a = tcp_lookup_ours(as, &err);
    if (a == NULL)
        return WSAENOTSOCK; /* AcceptEx page: not a socket (of this provider) */
    int st = tcp_refresh_state(a);
    if (st == TCP_ST_CONNECTED || st == TCP_ST_SEND_SHUT || st == TCP_ST_CONNECTING)
        return WSAEISCONN;
    if (st != TCP_ST_NEW || a->type != SOCK_STREAM || a->af != ls->af || atomic_load(&a->closing))
        return WSAEINVAL; /* bound, listening, another family */
    bool no = false;
    if (!atomic_compare_exchange_strong(&a->ext_accepting, &no, true))
        return WSAEINVAL; /* already the accept socket of another AcceptEx */
    return 0;
}

static BOOL PASCAL tcp_AcceptEx(SOCKET sListenSocket, SOCKET sAcceptSocket, PVOID lpOutputBuffer,
                                DWORD dwReceiveDataLength, DWORD dwLocalAddressLength,
                                DWORD dwRemoteAddressLength, LPDWORD lpdwBytesReceived,
                                LPOVERLAPPED lpOverlapped)
{
    int err;
    struct tcp_sock *ls = tcp_enter_ours(sListenSocket, &err);
    if (ls == NULL)
        return ext_fail_bool(err);
    err = ext_acceptex_check(tcp_sockaddr_len(ls->af), lpOutputBuffer, dwReceiveDataLength,
                             dwLocalAddressLength, dwRemoteAddressLength, lpdwBytesReceived,
                             lpOverlapped);
    if (err == 0 && !ovl_available())
        err = WSAEOPNOTSUPP;
    if (err == 0 && atomic_load(&ls->state) != TCP_ST_LISTENING)
        err = WSAEINVAL; /* listen() first */
    if (err == 0)
        err = tcp_ext_accept_socket(sAcceptSocket, ls);
    if (err != 0)
        return ext_fail_bool(err);
    char *out = lpOutputBuffer;
    WSABUF b = {dwReceiveDataLength, out};
    struct ovl_op *op = NULL;
    WSATHREADID tid = tcp_no_thread;
    err = ovl_op_new(sListenSocket, lpOverlapped, NULL, &tid, &b, 1, TCP_OVL_ACCEPT, NULL, &op);
    if (err != 0) {
        int lerr;
        struct tcp_sock *a = tcp_lookup(sAcceptSocket, &lerr);
        if (a != NULL)
            atomic_store(&a->ext_accepting, false);
        return ext_fail_bool(err);
    }
    /* the lengths wait with the operation, in its record */
    _Static_assert(sizeof(struct tcp_ext_accept) <= OVL_EXTRA, "fits in op->extra");
    struct tcp_ext_accept *x = (struct tcp_ext_accept *)(void *)op->extra;
    *x = (struct tcp_ext_accept){sAcceptSocket, out, dwReceiveDataLength, dwLocalAddressLength,
                                 dwRemoteAddressLength};
    op->arg = x;
    return tcp_ext_submit(ls, op);
}

/* ---- ConnectEx ------------------------------------------------------------ */

bool tcp_ext_try_connect(struct tcp_sock *ts, struct ovl_op *op, DWORD *err)
{
    int st = tcp_refresh_state(ts);
    if (st == TCP_ST_CONNECTING)
        return false;
    if (st != TCP_ST_CONNECTED) {
        int so = 0;
        socklen_t n = sizeof so;
        if (sys_getsockopt(ts->fd, SOL_SOCKET, SO_ERROR, &so, &n) != 0 || so == 0)
            so = ECONNREFUSED;
        *err = (DWORD)errmap_from_errno(so);
        return true;
    }
    /* Connected: the send buffer (if any) goes now, as a send. */
    op->kind = TCP_OVL_SEND;
    if (op->nbufs == 0) {
        *err = 0;
        return true;
    }
    return tcp_ovl_try(ts, op, err);
}

static BOOL PASCAL tcp_ConnectEx(SOCKET s, const struct sockaddr *name, int namelen,
                                 PVOID lpSendBuffer, DWORD dwSendDataLength, LPDWORD lpdwBytesSent,
                                 LPOVERLAPPED lpOverlapped)
{
    int err;
    struct tcp_sock *ts = tcp_enter_ours(s, &err);
    if (ts == NULL)
        return ext_fail_bool(err);
    int alen = tcp_sockaddr_len(ts->af);
    err = ext_connectex_check(alen, name, namelen, lpSendBuffer, dwSendDataLength, lpdwBytesSent,
                              lpOverlapped);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (err == 0 && umem_read(&ss, name, (size_t)alen) != 0)
        err = WSAEFAULT;
    if (err == 0 && ss.ss_family != ts->af)
        err = WSAEAFNOSUPPORT;
    if (err == 0 && ts->type != SOCK_STREAM)
        err = WSAEOPNOTSUPP; /* ConnectEx: connection-oriented sockets only */
    if (err == 0 && !ovl_available())
        err = WSAEOPNOTSUPP;
    if (err == 0) {
        int st = tcp_refresh_state(ts);
        if (st == TCP_ST_CONNECTING)
            err = WSAEALREADY;
        else if (st == TCP_ST_CONNECTED || st == TCP_ST_SEND_SHUT || st == TCP_ST_RELEASED)
            err = WSAEISCONN;
        else if (st != TCP_ST_BOUND)
            err = WSAEINVAL; /* ConnectEx page: a bound socket, not listening */
    }
    WSABUF b = {dwSendDataLength, lpSendBuffer};
    struct ovl_op *op = NULL;
    WSATHREADID tid = tcp_no_thread;
    if (err == 0)
        err = ovl_op_new(s, lpOverlapped, NULL, &tid, &b, dwSendDataLength ? 1 : 0, TCP_OVL_CONNECT,
                         NULL, &op);
    if (err != 0)
        return ext_fail_bool(err);
    /* A connect that never blocks, whatever the socket's mode. */
    int fl = sys_fcntl(ts->fd, F_GETFL, 0);
    int rc = -1;
    if (fl >= 0 && sys_fcntl(ts->fd, F_SETFL, fl | O_NONBLOCK) == 0) {
        rc = sys_connect(ts->fd, (struct sockaddr *)&ss, (socklen_t)alen);
        err = rc == 0 || errno == EINPROGRESS ? 0 : errmap_from_errno(errno);
        (void)sys_fcntl(ts->fd, F_SETFL, fl);
    } else {
        err = errmap_from_errno(errno);
    }
    if (err != 0) {
        ovl_op_drop(op);
        return ext_fail_bool(err);
    }
    atomic_store(&ts->state, rc == 0 ? TCP_ST_CONNECTED : TCP_ST_CONNECTING);
    if (rc == 0)
        tcp_mark_connected(ts);
    return tcp_ext_submit(ts, op);
}

/* ---- DisconnectEx --------------------------------------------------------- */

/* TF_REUSE_SOCKET: a fresh socket on the same descriptor number (Linux
 * cannot reuse a TCP socket); the old one closes as by closesocket. */
static int tcp_ext_reuse(struct tcp_sock *ts)
{
    int fd = sys_socket(ts->af, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errmap_from_errno(errno);
    if (atomic_load(&ts->nonblocking)) {
        int fl = sys_fcntl(fd, F_GETFL, 0);
        (void)sys_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
    tcp_ovl_close(ts); /* overlapped operations still waiting: aborted, as at close */
    tcp_events_forget(ts);
    int err = dup3(fd, ts->fd, O_CLOEXEC) < 0 ? errmap_from_errno(errno) : 0;
    sys_close(fd);
    if (err != 0)
        return err;
    for (int i = 0; i < 2; i++) {
        DWORD ms = atomic_load(&ts->timeo_ms[i]);
        struct timeval tv = {.tv_sec = (time_t)(ms / 1000u), .tv_usec = (long)(ms % 1000u) * 1000};
        (void)sys_setsockopt(ts->fd, SOL_SOCKET, i ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, sizeof tv);
    }
    atomic_store(&ts->send_shut, false);
    atomic_store(&ts->recv_shut, false);
    atomic_store(&ts->connect_told, false);
    atomic_store(&ts->connected_ms, 0);
    atomic_store(&ts->state, TCP_ST_NEW);
    return 0;
}

static BOOL PASCAL tcp_DisconnectEx(SOCKET s, LPOVERLAPPED lpOverlapped, DWORD dwFlags,
                                    DWORD dwReserved)
{
    int err;
    struct tcp_sock *ts = tcp_enter_ours(s, &err);
    if (ts == NULL)
        return ext_fail_bool(err);
    err = ext_disconnectex_check(dwFlags, dwReserved);
    if (err == 0 && ts->type != SOCK_STREAM)
        err = WSAEOPNOTSUPP;
    struct ovl_op *op = NULL;
    WSATHREADID tid = tcp_no_thread;
    if (err == 0 && lpOverlapped != NULL && ts->overlapped) {
        err = ovl_available() ? 0 : WSAEOPNOTSUPP;
        if (err == 0)
            err = ovl_op_new(s, lpOverlapped, NULL, &tid, NULL, 0, TCP_OVL_SEND, NULL, &op);
    }
    if (err != 0)
        return ext_fail_bool(err);
    int st = tcp_refresh_state(ts);
    err = tcp_send_shutdown(ts); /* the FIN after every queued byte */
    /* Reuse after the peer's end, or after our own release: nothing to send. */
    if (err == WSAENOTCONN && (dwFlags & TF_REUSE_SOCKET) && st == TCP_ST_RELEASED)
        err = 0;
    if (err == 0 && (dwFlags & TF_REUSE_SOCKET))
        err = tcp_ext_reuse(ts);
    ovl_settle(op, err, 0);
    return err != 0 ? ext_fail_bool(err) : TRUE;
}

/* ---- WSARecvMsg / WSASendMsg --------------------------------------------- */

static INT PASCAL tcp_WSARecvMsg(SOCKET s, LPWSAMSG lpMsg, LPDWORD lpdwNumberOfBytesRecvd,
                                 LPWSAOVERLAPPED lpOverlapped,
                                 LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    WSAMSG m;
    int err = 0;
    struct tcp_sock *ts = tcp_lookup_ours(s, &err);
    if (ts == NULL)
        return ext_fail_int(err);
    WSATHREADID tid;
    err = ext_recvmsg_args(lpMsg, &m, lpOverlapped, lpCompletionRoutine, &tid);
    if (err != 0)
        return ext_fail_int(err);
    /* Control messages (IP_PKTINFO, IPV6_PKTINFO) on a datagram socket only:
     * a connection has none (Control.len stays 0). */
    struct tcp_ctl ctl = {.msg = lpMsg, .cap = m.Control.len};
    bool with_ctl = m.Control.len > 0 && ts->type != SOCK_STREAM;
    if (with_ctl && umem_check_out(m.Control.buf, m.Control.len) != 0)
        return ext_fail_int(WSAEFAULT);
    /* name/namelen: the sender of a datagram, as WSARecvFrom's lpFrom. */
    int rc = with_ctl
                 ? tcp_recv_msg(s, m.lpBuffers, m.dwBufferCount, lpdwNumberOfBytesRecvd,
                                &lpMsg->dwFlags, m.name, m.name != NULL ? &lpMsg->namelen : NULL,
                                &ctl, lpOverlapped, lpCompletionRoutine, &tid, &err)
                 : tcp_WSPRecvFrom(s, m.lpBuffers, m.dwBufferCount, lpdwNumberOfBytesRecvd,
                                   &lpMsg->dwFlags, m.name, m.name != NULL ? &lpMsg->namelen : NULL,
                                   lpOverlapped, lpCompletionRoutine, &tid, &err);
    if (rc != 0)
        return ext_fail_int(err);
    return 0;
}

static INT PASCAL tcp_WSASendMsg(SOCKET s, LPWSAMSG lpMsg, DWORD dwFlags,
                                 LPDWORD lpNumberOfBytesSent, LPWSAOVERLAPPED lpOverlapped,
                                 LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    WSAMSG m;
    int err = 0;
    if (tcp_lookup_ours(s, &err) == NULL)
        return ext_fail_int(err);
    WSATHREADID tid;
    /* No control message is mapped (docs/providers-tcp.md). */
    err = ext_sendmsg_args(lpMsg, &m, lpOverlapped, lpCompletionRoutine, &tid);
    if (err != 0)
        return ext_fail_int(err);
    if (tcp_WSPSendTo(s, m.lpBuffers, m.dwBufferCount, lpNumberOfBytesSent, dwFlags, m.name,
                      m.namelen, lpOverlapped, lpCompletionRoutine, &tid, &err) != 0)
        return ext_fail_int(err);
    return 0;
}

/* ---- options ---------------------------------------------------------------- */

bool tcp_ext_getsockopt(struct tcp_sock *ts, int level, int name, char *optval, LPINT optlen,
                        int *err)
{
    if (level != SOL_SOCKET || name != SO_CONNECT_TIME)
        return false;
    /* Seconds since the connection was made, 0xFFFFFFFF when not connected
     * (SOL_SOCKET socket options page). */
    DWORD v = 0xFFFFFFFFu;
    int st = tcp_refresh_state(ts);
    uint64_t t = atomic_load(&ts->connected_ms);
    if ((st == TCP_ST_CONNECTED || st == TCP_ST_SEND_SHUT) && t != 0 && ts->type == SOCK_STREAM)
        v = (DWORD)((tcp_ext_now_ms() - t) / 1000u);
    *err = spi_opt_out(optval, optlen, &v, sizeof v);
    return true;
}

bool tcp_ext_setsockopt(struct tcp_sock *ts, int level, int name, const char *optval, int optlen,
                        int *err)
{
    if (level != SOL_SOCKET ||
        (name != SO_UPDATE_ACCEPT_CONTEXT && name != SO_UPDATE_CONNECT_CONTEXT))
        return false;
    /* The socket already has its addresses and options: only the argument
     * is checked, as Windows requires it (SO_UPDATE_ACCEPT_CONTEXT: the
     * listener's handle). */
    SOCKET l;
    int st = tcp_refresh_state(ts);
    *err = 0;
    if (name == SO_UPDATE_ACCEPT_CONTEXT && spi_opt_in(optval, optlen, &l, sizeof l) != 0)
        *err = WSAEFAULT;
    else if (st != TCP_ST_CONNECTED && st != TCP_ST_SEND_SHUT && st != TCP_ST_RELEASED)
        *err = WSAENOTCONN;
    return true;
}

/* ---- the table ------------------------------------------------------------- */

static const struct ext_fn tcp_ext_table[] = {
    {WSAID_ACCEPTEX, (ext_proc)tcp_AcceptEx},
    {WSAID_GETACCEPTEXSOCKADDRS, (ext_proc)ext_GetAcceptExSockaddrs},
    {WSAID_CONNECTEX, (ext_proc)tcp_ConnectEx},
    {WSAID_DISCONNECTEX, (ext_proc)tcp_DisconnectEx},
    {WSAID_WSARECVMSG, (ext_proc)tcp_WSARecvMsg},
    {WSAID_WSASENDMSG, (ext_proc)tcp_WSASendMsg},
};

int tcp_ioctl_ext(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                  LPDWORD ret)
{
    (void)ts;
    return ext_get_pointer(tcp_ext_table, sizeof tcp_ext_table / sizeof tcp_ext_table[0], in, inlen,
                           out, outlen, ret);
}
