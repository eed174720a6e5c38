/* SPDX-License-Identifier: MIT */
/* connect — WSPSocket, WSPBind, WSPListen, WSPConnect and WSPAccept: how an
 * itot socket gets its connection (CR/CC with connect data both ways). */
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "common/sys.h"
#include "common/addrstr.h"
#include "common/errmap.h"
#include "common/umem.h"
#include "provider.h"

SOCKET WSPAPI itot_WSPSocket(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                             GROUP g, DWORD dwFlags, LPINT lpErrno)
{
    (void)g;
    int err = itot_guard();
    if (err != 0)
        return spi_fail_socket(lpErrno, err);
    if (lpProtocolInfo == NULL)
        return spi_fail_socket(lpErrno, WSAEINVAL);
    WSAPROTOCOL_INFOW pi;
    if (umem_read(&pi, lpProtocolInfo, sizeof pi) != 0)
        return spi_fail_socket(lpErrno, WSAEFAULT);
    if (af == FROM_PROTOCOL_INFO || af == 0)
        af = pi.iAddressFamily;
    if (type == FROM_PROTOCOL_INFO || type == 0)
        type = pi.iSocketType;
    if (protocol == FROM_PROTOCOL_INFO || protocol == 0)
        protocol = pi.iProtocol;
    if (af != AF_INET && af != AF_INET6)
        return spi_fail_socket(lpErrno, WSAEAFNOSUPPORT);
    if (type != SOCK_SEQPACKET)
        return spi_fail_socket(lpErrno, WSAESOCKTNOSUPPORT);
    if (protocol != WSP_PROTO_ITOT)
        return spi_fail_socket(lpErrno, WSAEPROTONOSUPPORT);
    int fd = sys_socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return spi_fail_socket(lpErrno, errmap_from_errno(errno));
    struct itot_sock *s = itot_sock_alloc(af, &pi, fd);
    if (s == NULL) {
        sys_close(fd);
        return spi_fail_socket(lpErrno, WSAENOBUFS);
    }
    s->overlapped = (dwFlags & WSA_FLAG_OVERLAPPED) != 0;
    err = itot_sock_publish(s);
    if (err != 0) {
        itot_sock_unref(s);
        return spi_fail_socket(lpErrno, err);
    }
    return s->handle;
}

/* Copy a caller's sockaddr in (D4) and check its family against the socket's. */
static int read_addr(const struct itot_sock *s, const struct sockaddr *name, int namelen,
                     struct sockaddr_storage *ss)
{
    int need = itot_sockaddr_len(s->af);
    if (name == NULL || namelen < need)
        return WSAEFAULT; /* Windows: both a bad name and too small a namelen */
    memset(ss, 0, sizeof *ss);
    if (umem_read(ss, name, (size_t)need) != 0)
        return WSAEFAULT;
    if (ss->ss_family != s->af)
        return WSAEAFNOSUPPORT;
    return 0;
}

int WSPAPI itot_WSPBind(SOCKET h, const struct sockaddr *name, int namelen, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    struct sockaddr_storage ss;
    err = read_addr(s, name, namelen, &ss);
    if (err != 0)
        return spi_fail(lpErrno, err);
    pthread_mutex_lock(&s->lock);
    if (s->bound || s->kind != ITOT_K_NEW)
        err = WSAEINVAL;
    else if (sys_bind(s->fd, (struct sockaddr *)&ss, (socklen_t)itot_sockaddr_len(s->af)) != 0)
        err = errmap_from_errno(errno);
    else {
        s->bound = true;
        itot_addr_set(&s->bind_addr,
                      &ss); /* a fall-back's second TCP connection binds the same (fallback.c) */
        s->bind_len = (socklen_t)itot_sockaddr_len(s->af);
    }
    pthread_mutex_unlock(&s->lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

int WSPAPI itot_WSPListen(SOCKET h, int backlog, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    pthread_mutex_lock(&s->lock);
    if (s->kind == ITOT_K_CONN)
        err = WSAEISCONN;
    else if (!s->bound)
        err = WSAEINVAL;
    else if (sys_listen(s->fd, backlog > 0 ? backlog : 16) != 0)
        err = errmap_from_errno(errno);
    else if (s->kind == ITOT_K_NEW) {
        s->kind = ITOT_K_LISTEN;
        itot_listen_prepare_fd(s);
        /* Opened now, while descriptors are still there to take (listen.c);
         * a listener without one still backs off instead of spinning. */
        itot_listen_reserve_open(s);
        err = itot_engine_add(s);
        if (err != 0) {
            itot_listen_reserve_close(s);
            s->kind = ITOT_K_NEW;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

int itot_take_data(LPWSABUF in, uint8_t *d, size_t max, size_t *n)
{
    *n = 0;
    if (in == NULL)
        return 0;
    WSABUF b;
    if (umem_read(&b, in, sizeof b) != 0)
        return WSAEFAULT; /* C7 */
    if (b.len > max)
        return WSAEMSGSIZE; /* D3 */
    if (b.len > 0 && umem_read(d, b.buf, b.len) != 0)
        return WSAEFAULT; /* C7 */
    *n = b.len;
    return 0;
}

/* Fill a caller's WSABUF with up to its len octets of d; len set to what was written. */
static int give_data(LPWSABUF out, const uint8_t *d, size_t n)
{
    if (out == NULL)
        return 0;
    WSABUF b;
    if (umem_read(&b, out, sizeof b) != 0)
        return WSAEFAULT;
    size_t k = n < b.len ? n : b.len;
    if (k > 0 && umem_write(b.buf, d, k) != 0)
        return WSAEFAULT;
    b.len = (ULONG)k;
    return umem_write(&out->len, &b.len, sizeof b.len);
}

int itot_connect_start(struct itot_sock *s, const struct sockaddr_storage *ss, const uint8_t *data,
                       size_t dlen)
{
    int err = itot_sock_start_conn(s, CONN_INITIATOR);
    if (err == 0)
        err = conn_connect(&s->conn, data, dlen, itot_now_ms());
    if (err == 0) {
        int one = 1;
        sys_setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sys_setsockopt(s->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        itot_addr_set(&s->remote, ss); /* for the fall-back (fallback.c) */
        s->remote_len = (socklen_t)itot_sockaddr_len(s->af);
        int rc = sys_connect(s->fd, (const struct sockaddr *)ss, s->remote_len);
        if (rc != 0 && errno != EINPROGRESS) {
            err = errmap_from_errno(errno);
        } else {
            s->tcp_connecting = rc != 0;
            s->local_len = sizeof s->local;
            sys_getsockname(s->fd, (struct sockaddr *)&s->local, &s->local_len);
        }
    }
    if (err == 0)
        err = itot_engine_add(s);
    if (err != 0 && s->has_conn) {
        conn_free(&s->conn);
        s->has_conn = false;
        s->kind = ITOT_K_NEW;
    }
    if (err == 0) {
        /* A connect its caller drives times itself: nothing for the engine
         * to file (no wake-up of it). */
        atomic_store(&s->deadline_ms, s->driven ? 0 : s->conn.deadline_ms);
        if (!itot_connect_try(s))
            itot_flush(s);
        itot_engine_update(s);
    }
    return err;
}

int itot_connect_outcome(struct itot_sock *s)
{
    if (s->conn.state == CONN_S_CR_SENT)
        return WSAEWOULDBLOCK;
    if (s->conn.state == CONN_S_OPEN || s->conn.state == CONN_S_DR_SENT ||
        (s->conn.state == CONN_S_CLOSED && s->conn.cls >= 0 && !s->conn.error))
        return 0;
    return s->conn.error ? s->conn.error : WSAECONNREFUSED;
}

int WSPAPI itot_WSPConnect(SOCKET h, const struct sockaddr *name, int namelen,
                           LPWSABUF lpCallerData, LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS,
                           LPINT lpErrno)
{
    (void)lpSQOS, (void)lpGQOS;
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    struct sockaddr_storage ss;
    err = read_addr(s, name, namelen, &ss);
    if (err != 0)
        return spi_fail(lpErrno, err);
    uint8_t data[TPDU_MAX_CONN_DATA];
    size_t dlen;
    err = itot_take_data(lpCallerData, data, sizeof data, &dlen);
    if (err != 0)
        return spi_fail(lpErrno, err);
    bool have_data = dlen > 0; /* else SO_CONNDATA, if set, goes in the CR */
    if (lpCalleeData != NULL && umem_check_write(lpCalleeData, sizeof(WSABUF)) != 0)
        return spi_fail(lpErrno, WSAEFAULT);

    pthread_mutex_lock(&s->lock);
    if (s->kind == ITOT_K_LISTEN) {
        err = WSAEINVAL;
    } else if (s->has_conn) {
        /* C12: no second connection on a socket, even after a release. */
        err = s->conn.state == CONN_S_CR_SENT ? WSAEALREADY : WSAEISCONN;
    } else {
        if (!have_data) {
            memcpy(data, s->conn_data, s->conn_data_len); /* SO_CONNDATA */
            dlen = s->conn_data_len;
        }
        /* Blocking: this thread drives the handshake (waiter.c), as a raw
         * TCP connect is driven by the kernel for its caller: no hand-off to
         * the engine and back for the TCP connect, the CR and the CC. */
        s->driven = !s->nonblocking;
        err = itot_connect_start(s, &ss, data, dlen);
        if (err == 0 && s->driven && !itot_drive_connect(s)) {
            s->driven = false; /* no wake descriptor: the engine drives */
            itot_engine_update(s);
        }
        if (s->driven) {
            s->driven = false;
            /* Likely the caller's next wait is a receive (waiter.c). */
            if (s->has_conn && s->conn.state == CONN_S_OPEN)
                s->input_direct = true;
            itot_engine_update(s); /* the engine watches and times s from now on */
        }
        if (err == 0) {
            if (s->nonblocking) {
                err = WSAEWOULDBLOCK;
            } else {
                while (s->conn.state == CONN_S_CR_SENT && !s->closing)
                    itot_wait(s, 0);
                err = itot_connect_outcome(s);
                if (err == 0)
                    err =
                        give_data(lpCalleeData, s->conn.peer_conn_data, s->conn.peer_conn_data_len);
                else if (s->closing)
                    err = WSAEINTR;
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

/* What the condition function is shown of pending connection c, copied
 * while c's lock is held: once it is released the engine may close or
 * replace c->fd and change c->conn, so nothing is read from c afterwards.
 * The local address is the one the engine recorded when it accepted the TCP
 * connection (engine.c), not a getsockname of an fd that may be gone. */
struct itot_cond_view {
    struct sockaddr_storage peer, local;
    socklen_t peer_len, local_len;
    uint8_t data[TPDU_MAX_CONN_DATA];
    ULONG data_len;
};

static void cond_view_take(const struct itot_sock *c, struct itot_cond_view *v)
{
    itot_addr_get(&v->peer, &c->peer);
    v->peer_len = c->peer_len;
    itot_addr_get(&v->local, &c->local);
    v->local_len = c->local_len;
    v->data_len = c->conn.peer_conn_data_len;
    memcpy(v->data, c->conn.peer_conn_data, v->data_len);
}

/* Ask the condition function (C8: a thread-local flag makes every call of
 * this provider from inside it fail with WSAEINPROGRESS). */
static int ask_condition(struct itot_cond_view *v, LPCONDITIONPROC fn, DWORD_PTR cb,
                         uint8_t *callee, ULONG *callee_len)
{
    WSABUF caller_id = {.len = (ULONG)v->peer_len, .buf = (CHAR *)&v->peer};
    WSABUF caller_data = {.len = v->data_len, .buf = (CHAR *)v->data};
    WSABUF callee_id = {.len = (ULONG)v->local_len, .buf = (CHAR *)&v->local};
    /* Windows: len is the room offered; the function sets it to what it wrote. */
    WSABUF callee_data = {.len = TPDU_MAX_CONN_DATA, .buf = (CHAR *)callee};
    GROUP g = 0;
    itot_in_callback++;
    int r = fn(&caller_id, caller_data.len ? &caller_data : NULL, NULL, NULL, &callee_id,
               &callee_data, &g, cb);
    itot_in_callback--;
    *callee_len = callee_data.len > TPDU_MAX_CONN_DATA ? TPDU_MAX_CONN_DATA : callee_data.len;
    return r;
}

SOCKET WSPAPI itot_WSPAccept(SOCKET h, struct sockaddr *addr, LPINT addrlen,
                             LPCONDITIONPROC lpfnCondition, DWORD_PTR dwCallbackData, LPINT lpErrno)
{
    int err;
    struct itot_sock *l = itot_enter(h, &err);
    if (l == NULL)
        return spi_fail_socket(lpErrno, err);
    int alen = 0;
    if (addr != NULL || addrlen != NULL) {
        if (addrlen == NULL || umem_read(&alen, addrlen, sizeof alen) != 0)
            return spi_fail_socket(lpErrno, WSAEFAULT);
        if (alen < itot_sockaddr_len(l->af) || umem_check_write(addr, (size_t)alen) != 0)
            return spi_fail_socket(lpErrno, WSAEFAULT);
    }
    for (;;) {
        pthread_mutex_lock(&l->lock);
        if (l->kind != ITOT_K_LISTEN) {
            pthread_mutex_unlock(&l->lock);
            return spi_fail_socket(lpErrno, WSAEINVAL);
        }
        struct itot_sock *c;
        while ((c = itot_listen_dequeue(l)) == NULL) {
            if (l->closing || l->nonblocking) {
                err = l->closing ? WSAEINTR : WSAEWOULDBLOCK;
                /* A later call finds the next connection only if the
                 * engine accepts it meanwhile (accept_direct.c). */
                if (!l->closing)
                    itot_input_to_engine(l);
                pthread_mutex_unlock(&l->lock);
                return spi_fail_socket(lpErrno, err);
            }
            /* Blocking: this thread accepts the TCP connection and reads its
             * CR (accept_direct.c), as the kernel hands a raw TCP accept its
             * connection; the engine only when that cannot be. */
            if (!itot_accept_drive(l))
                itot_wait(l, 0);
        }
        pthread_mutex_unlock(&l->lock);

        pthread_mutex_lock(&c->lock);
        if (c->conn.state != CONN_S_CR_RCVD) { /* the peer gave up meanwhile */
            pthread_mutex_unlock(&c->lock);
            itot_sock_unref(c);
            continue;
        }
        uint8_t callee[TPDU_MAX_CONN_DATA];
        ULONG callee_len = 0;
        int verdict = CF_ACCEPT;
        if (lpfnCondition != NULL) {
            struct itot_cond_view view;
            cond_view_take(c, &view);
            pthread_mutex_unlock(&c->lock);
            verdict = ask_condition(&view, lpfnCondition, dwCallbackData, callee, &callee_len);
            pthread_mutex_lock(&c->lock);
        } else {
            pthread_mutex_lock(&l->lock);
            callee_len = l->conn_data_len; /* the listener's SO_CONNDATA */
            memcpy(callee, l->conn_data, callee_len);
            pthread_mutex_unlock(&l->lock);
        }
        if (verdict == CF_DEFER) {
            pthread_mutex_unlock(&c->lock);
            pthread_mutex_lock(&l->lock);
            bool closed = l->closing; /* its queue was dropped: nobody would take c */
            if (!closed)
                itot_listen_requeue(l, c);
            pthread_mutex_unlock(&l->lock);
            if (!closed)
                return spi_fail_socket(lpErrno, WSATRY_AGAIN);
            /* Refused as the close refused the rest of the queue. */
            pthread_mutex_lock(&c->lock);
            if (c->conn.state == CONN_S_CR_RCVD)
                conn_reject(&c->conn, WSP_ITOT_DR_NOT_ATTACHED, NULL, 0);
            itot_apply(c);
            itot_engine_update(c);
            itot_pending_uncount(c);
            pthread_mutex_unlock(&c->lock);
            itot_sock_unref(c);
            return spi_fail_socket(lpErrno, WSAEINTR);
        }
        if (verdict != CF_ACCEPT) {
            pthread_mutex_lock(&l->lock);
            uint8_t reason = l->lst.reject_reason;
            pthread_mutex_unlock(&l->lock);
            conn_reject(&c->conn, reason, callee, callee_len);
            itot_apply(c);
            itot_engine_update(c);
            itot_pending_uncount(c);
            pthread_mutex_unlock(&c->lock);
            itot_sock_unref(c);
            return spi_fail_socket(lpErrno, WSAECONNREFUSED);
        }
        err = conn_accept(&c->conn, callee, callee_len);
        c->overlapped = true; /* as accept()/WSAAccept's sockets on Windows */
        c->connected_ms = itot_now_ms();
        if (err == 0)
            err = itot_sock_publish(c);
        if (err != 0) {
            conn_reject(&c->conn, WSP_ITOT_DR_CONGESTION, NULL, 0);
            c->conn.close_tcp = true;
        }
        itot_pending_uncount(c);
        itot_apply(c);
        itot_engine_update(c);
        SOCKET out = c->handle;
        if (err == 0 && addr != NULL) {
            int n = (int)c->peer_len < alen ? (int)c->peer_len : alen;
            if (umem_write(addr, &c->peer, (size_t)n) != 0 ||
                umem_write(addrlen, &n, sizeof n) != 0) {
            } /* checked writable before: only a concurrent unmap fails here, and the
               * connection is the caller's by now */
        }
        pthread_mutex_unlock(&c->lock);
        if (err != 0) {
            itot_sock_unref(c);
            return spi_fail_socket(lpErrno, err);
        }
        /* The accept queue's reference becomes the handle's. */
        return out;
    }
}
