/* SPDX-License-Identifier: MIT */
/* Microsoft's extension functions (AcceptEx, ConnectEx, DisconnectEx,
 * WSARecvMsg, WSASendMsg, GetAcceptExSockaddrs) through the layer.
 *
 * The application calls these directly, with OUR handles. Passing the next
 * provider's pointers up would hand that provider handles it does not know
 * (WSAENOTSOCK), so WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) answers with
 * the functions below: each finds our sockets, calls the next provider's
 * function (asked for once per next provider, through a lower socket) with
 * the sockets under them, and writes its trace line. Overlapped calls on a
 * socket whose lower socket is on our port go through trace_ovl_submit like
 * WSPSend does, so the application's completion comes on OUR handle (its
 * port, event or routine). GetAcceptExSockaddrs takes no socket: the next
 * provider's own pointer is handed up, since only it knows the buffer's
 * layout. */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <wsp/mswsock.h>
#include <wsp/winsock2.h>

#include "common/ext.h"
#include "common/umem.h"
#include "trace.h"

static const GUID trace_ext_guid[TRACE_EXT_N] = {
    [TRACE_EXT_ACCEPTEX] = WSAID_ACCEPTEX,     [TRACE_EXT_SOCKADDRS] = WSAID_GETACCEPTEXSOCKADDRS,
    [TRACE_EXT_CONNECTEX] = WSAID_CONNECTEX,   [TRACE_EXT_DISCONNECTEX] = WSAID_DISCONNECTEX,
    [TRACE_EXT_WSARECVMSG] = WSAID_WSARECVMSG, [TRACE_EXT_WSASENDMSG] = WSAID_WSASENDMSG,
};

/* Our socket s, checked to be ours: the application may pass any handle,
 * and another provider's context is read as caller memory. NULL and *err. */
static struct trace_sock *trace_ext_sock(SOCKET s, int *err)
{
    struct trace_sock *ts = trace_sock_of(s, err);
    uint32_t magic = 0;
    if (ts != NULL &&
        (umem_read(&magic, &ts->magic, sizeof magic) != 0 || magic != TRACE_SOCK_MAGIC)) {
        *err = WSAENOTSOCK;
        return NULL;
    }
    return ts;
}

/* The next provider's function idx, asked for once through ts's lower
 * socket and kept with the next provider. NULL and *err when it has none. */
static ext_proc trace_ext_lower(const struct trace_sock *ts, int idx, int *err)
{
    /* the one part of a started next provider that changes: a cache */
    struct trace_next *nx = (struct trace_next *)ts->next;
    ext_proc p = atomic_load_explicit(&nx->ext[idx], memory_order_acquire);
    if (p != NULL)
        return p;
    GUID g = trace_ext_guid[idx];
    DWORD n = 0;
    WSATHREADID none = {0};
    int e = 0;
    if (nx->procs.lpWSPIoctl(ts->lower, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof g, &p,
                             sizeof p, &n, NULL, NULL, &none, &e) != 0) {
        *err = e;
        return NULL;
    }
    if (p == NULL || n != sizeof p) {
        *err = WSAEINVAL;
        return NULL;
    }
    /* every caller stores the same pointer: the next provider's table */
    atomic_store_explicit(&nx->ext[idx], p, memory_order_release);
    return p;
}

/* What every call below hands trace_ext_call: the next provider's function
 * and the routine it gets (the application's when the call passes through
 * unchanged, none when the layer completes the operation itself). */
struct trace_ext_args {
    ext_proc fn;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine_down;
};

/* A BOOL or int result of the next provider's function as 0 or SOCKET_ERROR
 * with its code (the application's last error, which it set). */
static int trace_ext_rc(int failed, LPINT err)
{
    if (!failed)
        return 0;
    *err = WSAGetLastError();
    return SOCKET_ERROR;
}

/* Issue a call on ts: through our port (the layer completes the
 * application's operation) or unchanged. 0 or SOCKET_ERROR with *err. */
static int trace_ext_call(struct trace_sock *ts, const char *call, LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, struct trace_ext_args *a,
                          trace_issue_fn issue, int *err)
{
    if (ov == NULL || !ts->via_port) {
        a->routine_down = routine;
        return issue(ts, a, ov, err);
    }
    WSATHREADID tid;
    int e = ext_thread(routine, &tid);
    if (e != 0) {
        *err = e;
        return SOCKET_ERROR;
    }
    a->routine_down = NULL;
    return trace_ovl_submit(ts, call, ov, routine, &tid, issue, a, err);
}

/* The trace line, then the function's failure value with the last error. */
static int trace_ext_done(const char *call, SOCKET s, int rc, int err, const DWORD *bytes)
{
    long long n = -1;
    DWORD v;
    if (rc == 0 && bytes != NULL && umem_read(&v, bytes, sizeof v) == 0)
        n = v;
    struct trace_rec r = {call, s, rc, rc == 0 ? 0 : err, rc == 0 ? n : -1, -1};
    trace_log(&r);
    return rc == 0 ? 0 : ext_fail_int(err);
}

/* ---- AcceptEx ------------------------------------------------------------ */

struct trace_acceptex_args {
    struct trace_ext_args h;
    SOCKET accept_lower;
    PVOID out;
    DWORD recv_len, local_len, remote_len;
    LPDWORD received;
};

static int trace_issue_acceptex(const struct trace_sock *ts, const void *args,
                                LPWSAOVERLAPPED lower, LPINT err)
{
    const struct trace_acceptex_args *a = args;
    LPFN_ACCEPTEX fn = (LPFN_ACCEPTEX)a->h.fn;
    return trace_ext_rc(!fn(ts->lower, a->accept_lower, a->out, a->recv_len, a->local_len,
                            a->remote_len, a->received, lower),
                        err);
}

static BOOL PASCAL trace_AcceptEx(SOCKET sListenSocket, SOCKET sAcceptSocket, PVOID lpOutputBuffer,
                                  DWORD dwReceiveDataLength, DWORD dwLocalAddressLength,
                                  DWORD dwRemoteAddressLength, LPDWORD lpdwBytesReceived,
                                  LPOVERLAPPED lpOverlapped)
{
    int err = 0, rc = SOCKET_ERROR;
    struct trace_sock *ls = trace_ext_sock(sListenSocket, &err);
    struct trace_sock *as = ls != NULL ? trace_ext_sock(sAcceptSocket, &err) : NULL;
    if (as != NULL && as->next != ls->next)
        err = WSAEINVAL; /* both must be sockets of one provider */
    else if (as != NULL) {
        struct trace_acceptex_args a = {
            .h.fn = trace_ext_lower(ls, TRACE_EXT_ACCEPTEX, &err),
            .accept_lower = as->lower,
            .out = lpOutputBuffer,
            .recv_len = dwReceiveDataLength,
            .local_len = dwLocalAddressLength,
            .remote_len = dwRemoteAddressLength,
            .received = lpdwBytesReceived,
        };
        if (a.h.fn != NULL)
            rc = trace_ext_call(ls, "AcceptEx", lpOverlapped, NULL, &a.h, trace_issue_acceptex,
                                &err);
    }
    return trace_ext_done("AcceptEx", sListenSocket, rc, err, lpdwBytesReceived) == 0;
}

/* ---- ConnectEx ------------------------------------------------------------- */

struct trace_connectex_args {
    struct trace_ext_args h;
    const struct sockaddr *name;
    int namelen;
    PVOID buf;
    DWORD len;
    LPDWORD sent;
};

static int trace_issue_connectex(const struct trace_sock *ts, const void *args,
                                 LPWSAOVERLAPPED lower, LPINT err)
{
    const struct trace_connectex_args *a = args;
    LPFN_CONNECTEX fn = (LPFN_CONNECTEX)a->h.fn;
    return trace_ext_rc(!fn(ts->lower, a->name, a->namelen, a->buf, a->len, a->sent, lower), err);
}

static BOOL PASCAL trace_ConnectEx(SOCKET s, const struct sockaddr *name, int namelen,
                                   PVOID lpSendBuffer, DWORD dwSendDataLength,
                                   LPDWORD lpdwBytesSent, LPOVERLAPPED lpOverlapped)
{
    int err = 0, rc = SOCKET_ERROR;
    struct trace_sock *ts = trace_ext_sock(s, &err);
    if (ts != NULL) {
        struct trace_connectex_args a = {
            .h.fn = trace_ext_lower(ts, TRACE_EXT_CONNECTEX, &err),
            .name = name,
            .namelen = namelen,
            .buf = lpSendBuffer,
            .len = dwSendDataLength,
            .sent = lpdwBytesSent,
        };
        if (a.h.fn != NULL)
            rc = trace_ext_call(ts, "ConnectEx", lpOverlapped, NULL, &a.h, trace_issue_connectex,
                                &err);
    }
    return trace_ext_done("ConnectEx", s, rc, err, lpdwBytesSent) == 0;
}

/* ---- DisconnectEx -------------------------------------------------------- */

struct trace_disconnectex_args {
    struct trace_ext_args h;
    DWORD flags, reserved;
};

static int trace_issue_disconnectex(const struct trace_sock *ts, const void *args,
                                    LPWSAOVERLAPPED lower, LPINT err)
{
    const struct trace_disconnectex_args *a = args;
    LPFN_DISCONNECTEX fn = (LPFN_DISCONNECTEX)a->h.fn;
    return trace_ext_rc(!fn(ts->lower, lower, a->flags, a->reserved), err);
}

static BOOL PASCAL trace_DisconnectEx(SOCKET s, LPOVERLAPPED lpOverlapped, DWORD dwFlags,
                                      DWORD dwReserved)
{
    int err = 0, rc = SOCKET_ERROR;
    struct trace_sock *ts = trace_ext_sock(s, &err);
    if (ts != NULL) {
        struct trace_disconnectex_args a = {
            .h.fn = trace_ext_lower(ts, TRACE_EXT_DISCONNECTEX, &err),
            .flags = dwFlags,
            .reserved = dwReserved,
        };
        if (a.h.fn != NULL)
            rc = trace_ext_call(ts, "DisconnectEx", lpOverlapped, NULL, &a.h,
                                trace_issue_disconnectex, &err);
    }
    return trace_ext_done("DisconnectEx", s, rc, err, NULL) == 0;
}

/* ---- WSARecvMsg, WSASendMsg ------------------------------------------------ */

struct trace_msg_args {
    struct trace_ext_args h;
    LPWSAMSG msg;
    DWORD flags; /* WSASendMsg */
    LPDWORD bytes;
};

static int trace_issue_recvmsg(const struct trace_sock *ts, const void *args, LPWSAOVERLAPPED lower,
                               LPINT err)
{
    const struct trace_msg_args *a = args;
    LPFN_WSARECVMSG fn = (LPFN_WSARECVMSG)a->h.fn;
    return trace_ext_rc(fn(ts->lower, a->msg, a->bytes, lower, a->h.routine_down) != 0, err);
}

static int trace_issue_sendmsg(const struct trace_sock *ts, const void *args, LPWSAOVERLAPPED lower,
                               LPINT err)
{
    const struct trace_msg_args *a = args;
    LPFN_WSASENDMSG fn = (LPFN_WSASENDMSG)a->h.fn;
    return trace_ext_rc(fn(ts->lower, a->msg, a->flags, a->bytes, lower, a->h.routine_down) != 0,
                        err);
}

/* One message call: WSARecvMsg (idx TRACE_EXT_WSARECVMSG) or WSASendMsg. */
static INT trace_msg(const char *call, int idx, trace_issue_fn issue, SOCKET s, LPWSAMSG msg,
                     DWORD flags, LPDWORD bytes, LPWSAOVERLAPPED ov,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    int err = 0, rc = SOCKET_ERROR;
    struct trace_sock *ts = trace_ext_sock(s, &err);
    if (ts != NULL) {
        struct trace_msg_args a = {
            .h.fn = trace_ext_lower(ts, idx, &err), .msg = msg, .flags = flags, .bytes = bytes};
        if (a.h.fn != NULL)
            rc = trace_ext_call(ts, call, ov, routine, &a.h, issue, &err);
    }
    return trace_ext_done(call, s, rc, err, bytes);
}

static INT PASCAL trace_WSARecvMsg(SOCKET s, LPWSAMSG lpMsg, LPDWORD lpdwNumberOfBytesRecvd,
                                   LPWSAOVERLAPPED lpOverlapped,
                                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    return trace_msg("WSARecvMsg", TRACE_EXT_WSARECVMSG, trace_issue_recvmsg, s, lpMsg, 0,
                     lpdwNumberOfBytesRecvd, lpOverlapped, lpCompletionRoutine);
}

static INT PASCAL trace_WSASendMsg(SOCKET s, LPWSAMSG lpMsg, DWORD dwFlags,
                                   LPDWORD lpNumberOfBytesSent, LPWSAOVERLAPPED lpOverlapped,
                                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    return trace_msg("WSASendMsg", TRACE_EXT_WSASENDMSG, trace_issue_sendmsg, s, lpMsg, dwFlags,
                     lpNumberOfBytesSent, lpOverlapped, lpCompletionRoutine);
}

/* ---- WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) --------------------------- */

static const ext_proc trace_ext_own[TRACE_EXT_N] = {
    [TRACE_EXT_ACCEPTEX] = (ext_proc)trace_AcceptEx,
    [TRACE_EXT_SOCKADDRS] = NULL, /* the next provider's own */
    [TRACE_EXT_CONNECTEX] = (ext_proc)trace_ConnectEx,
    [TRACE_EXT_DISCONNECTEX] = (ext_proc)trace_DisconnectEx,
    [TRACE_EXT_WSARECVMSG] = (ext_proc)trace_WSARecvMsg,
    [TRACE_EXT_WSASENDMSG] = (ext_proc)trace_WSASendMsg,
};

int trace_ext_pointer(struct trace_sock *ts, LPVOID in, DWORD cb_in, LPVOID out, DWORD cb_out,
                      LPDWORD returned, LPINT lpErrno)
{
    GUID g;
    int idx = -1;
    if (in == NULL || cb_in < sizeof g || umem_read(&g, in, sizeof g) != 0) {
        trace_set_err(lpErrno, WSAEFAULT);
        return SOCKET_ERROR;
    }
    for (int i = 0; i < TRACE_EXT_N && idx < 0; i++)
        if (memcmp(&g, &trace_ext_guid[i], sizeof g) == 0)
            idx = i;
    /* A function we have no wrapper for could only be handed up as the next
     * provider's, which does not know our handles: refused like a GUID the
     * provider does not know. */
    int err = idx < 0 ? WSAEINVAL : 0;
    ext_proc lower = idx < 0 ? NULL : trace_ext_lower(ts, idx, &err);
    if (lower != NULL) {
        struct ext_fn one = {g, trace_ext_own[idx] != NULL ? trace_ext_own[idx] : lower};
        err = ext_get_pointer(&one, 1, in, cb_in, out, cb_out, returned);
    }
    if (err != 0) {
        trace_set_err(lpErrno, err);
        return SOCKET_ERROR;
    }
    return 0;
}

int trace_ext_accept_context(SOCKET listener, SOCKET *lower)
{
    int err = 0;
    const struct trace_sock *ls = trace_ext_sock(listener, &err);
    if (ls == NULL)
        return err;
    *lower = ls->lower;
    return 0;
}
