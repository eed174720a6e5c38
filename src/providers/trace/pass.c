/* SPDX-License-Identifier: MIT */
/* The calls on one socket: look our context up, make the same call on the
 * next provider's socket, record it. Nothing is changed on the way, so the
 * next provider's answer (result, error, bytes, disconnect data) is what the
 * application gets. A pointer argument is caller memory the next provider
 * checks; we read a length back only after the call succeeded with it.
 *
 * Overlapped calls on a socket whose lower socket is on our port (via_port)
 * are the exception: the next provider gets our WSAOVERLAPPED and no
 * completion routine, and the layer completes the application's
 * (overlapped.c). Each call below says how it is issued down (trace_issue_*),
 * with every other argument unchanged. */
#include <wsp/mswsock.h>

#include "common/ovl.h"
#include "common/spi_opt.h"
#include "common/umem.h"
#include "trace.h"

static const WSATHREADID trace_no_thread; /* the API's for a call without a routine */

/* Our context, or return SOCKET_ERROR (WSAENOTSOCK) from the calling proc.
 * NOLINTBEGIN(bugprone-macro-parentheses): ts names the variable declared. */
#define TRACE_LOWER(call, s, ts)                                                                   \
    struct trace_sock *ts = trace_sock_of(s, lpErrno);                                             \
    if (ts == NULL)                                                                                \
    return trace_done(call, s, SOCKET_ERROR, lpErrno)
/* NOLINTEND(bugprone-macro-parentheses) */

static int trace_io_done(const char *call, SOCKET s, int rc, LPINT lpErrno, const DWORD *n)
{
    /* an overlapped call that is pending moved nothing yet */
    long long bytes = rc == 0 && n != NULL ? (long long)*n : -1;
    struct trace_rec r = {call, s, rc, trace_err_of(rc != 0, lpErrno), bytes, -1};
    trace_log(&r);
    return rc;
}

/* The calls that go down as they came, on the lower socket, and are
 * recorded with their result and error only: one row each (name, the
 * parameters of its LPWSP type, the arguments after the socket).  Events
 * are ws2's (WPUCreateEvent): the next provider signals the very event the
 * application waits on, so EventSelect is one of them. */
#define TRACE_PASS_LIST(X)                                                                         \
    X(Bind, (SOCKET s, const struct sockaddr *name, int namelen, LPINT lpErrno),                   \
      (name, namelen, lpErrno))                                                                    \
    X(Listen, (SOCKET s, int backlog, LPINT lpErrno), (backlog, lpErrno))                          \
    X(Connect,                                                                                     \
      (SOCKET s, const struct sockaddr *name, int namelen, LPWSABUF lpCallerData,                  \
       LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS, LPINT lpErrno),                          \
      (name, namelen, lpCallerData, lpCalleeData, lpSQOS, lpGQOS, lpErrno))                        \
    X(Shutdown, (SOCKET s, int how, LPINT lpErrno), (how, lpErrno))                                \
    X(GetSockName, (SOCKET s, struct sockaddr * name, LPINT namelen, LPINT lpErrno),               \
      (name, namelen, lpErrno))                                                                    \
    X(GetPeerName, (SOCKET s, struct sockaddr * name, LPINT namelen, LPINT lpErrno),               \
      (name, namelen, lpErrno))                                                                    \
    X(EventSelect, (SOCKET s, WSAEVENT hEventObject, LONG lNetworkEvents, LPINT lpErrno),          \
      (hEventObject, lNetworkEvents, lpErrno))                                                     \
    X(EnumNetworkEvents,                                                                           \
      (SOCKET s, WSAEVENT hEventObject, LPWSANETWORKEVENTS lpNetworkEvents, LPINT lpErrno),        \
      (hEventObject, lpNetworkEvents, lpErrno))                                                    \
    X(AsyncSelect, (SOCKET s, HWND hWnd, unsigned int wMsg, LONG lEvent, LPINT lpErrno),           \
      (hWnd, wMsg, lEvent, lpErrno))

/* NOLINTBEGIN(bugprone-macro-parentheses): params and args are lists. */
#define TRACE_ARGS(...) __VA_ARGS__
#define TRACE_PASS_ONE(Name, params, args)                                                         \
    static int WSPAPI trace_WSP##Name params                                                       \
    {                                                                                              \
        TRACE_LOWER("WSP" #Name, s, ts);                                                           \
        int rc = ts->next->procs.lpWSP##Name(ts->lower, TRACE_ARGS args);                          \
        return trace_done("WSP" #Name, s, rc, lpErrno);                                            \
    }
/* NOLINTEND(bugprone-macro-parentheses) */
TRACE_PASS_LIST(TRACE_PASS_ONE)

/* Octets of disconnect data moved: the buffer's length after a success (the
 * next provider has read or filled it then), none after a failure. */
static long long trace_buf_len(int rc, const WSABUF *b)
{
    if (rc != 0)
        return -1;
    return b != NULL ? (long long)b->len : 0;
}

/* The call this project exists for, and its mirror: they go down as they
 * came; the octets of disconnect data are recorded, never their contents. */
#define TRACE_DISCONNECT(Name, data)                                                               \
    static int WSPAPI trace_WSP##Name(SOCKET s, LPWSABUF data, LPINT lpErrno)                      \
    {                                                                                              \
        TRACE_LOWER("WSP" #Name, s, ts);                                                           \
        int rc = ts->next->procs.lpWSP##Name(ts->lower, data, lpErrno);                            \
        struct trace_rec r = {                                                                     \
            "WSP" #Name, s, rc, trace_err_of(rc != 0, lpErrno), -1, trace_buf_len(rc, data)};      \
        trace_log(&r);                                                                             \
        return rc;                                                                                 \
    }
TRACE_DISCONNECT(SendDisconnect, lpOutboundDisconnectData)
TRACE_DISCONNECT(RecvDisconnect, lpInboundDisconnectData)

static SOCKET WSPAPI trace_WSPJoinLeaf(SOCKET s, const struct sockaddr *name, int namelen,
                                       LPWSABUF lpCallerData, LPWSABUF lpCalleeData, LPQOS lpSQOS,
                                       LPQOS lpGQOS, DWORD dwFlags, LPINT lpErrno)
{
    struct trace_sock *ts = trace_sock_of(s, lpErrno);
    SOCKET r = INVALID_SOCKET;
    if (ts != NULL) {
        SOCKET lower = ts->next->procs.lpWSPJoinLeaf(
            ts->lower, name, namelen, lpCallerData, lpCalleeData, lpSQOS, lpGQOS, dwFlags, lpErrno);
        /* a leaf joined on the socket itself is that socket: ours, not the next's */
        if (lower == ts->lower)
            r = s;
        else if (lower != INVALID_SOCKET)
            r = trace_sock_wrap(ts->next, lower, ts->overlapped, lpErrno);
    }
    trace_done("WSPJoinLeaf", s, r == INVALID_SOCKET ? SOCKET_ERROR : 0, lpErrno);
    return r;
}

/* Is this call one of ours to keep (overlapped.c)? On a socket made without
 * WSA_FLAG_OVERLAPPED, lpOverlapped is ignored (Windows), so it goes down
 * as it is and the next provider ignores it too. */
static bool trace_keeps(const struct trace_sock *ts, LPWSAOVERLAPPED lpOverlapped)
{
    return lpOverlapped != NULL && ts->via_port;
}

struct trace_send_args {
    LPWSABUF bufs;
    DWORD count;
    LPDWORD sent;
    DWORD flags;
    const struct sockaddr *to; /* WSPSendTo */
    int tolen;
    bool sendto;
};

static int trace_issue_send(const struct trace_sock *ts, const void *args, LPWSAOVERLAPPED lower,
                            LPINT err)
{
    const struct trace_send_args *a = args;
    WSATHREADID none = trace_no_thread;
    if (a->sendto)
        return ts->next->procs.lpWSPSendTo(ts->lower, a->bufs, a->count, a->sent, a->flags, a->to,
                                           a->tolen, lower, NULL, &none, err);
    return ts->next->procs.lpWSPSend(ts->lower, a->bufs, a->count, a->sent, a->flags, lower, NULL,
                                     &none, err);
}

static int WSPAPI trace_WSPSend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                                LPWSAOVERLAPPED lpOverlapped,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                                LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    TRACE_LOWER("WSPSend", s, ts);
    int rc;
    if (trace_keeps(ts, lpOverlapped)) {
        struct trace_send_args a = {.bufs = lpBuffers,
                                    .count = dwBufferCount,
                                    .sent = lpNumberOfBytesSent,
                                    .flags = dwFlags};
        rc = trace_ovl_submit(ts, "WSPSend", lpOverlapped, lpCompletionRoutine, lpThreadId,
                              trace_issue_send, &a, lpErrno);
    } else {
        rc = ts->next->procs.lpWSPSend(ts->lower, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
                                       dwFlags, lpOverlapped, lpCompletionRoutine, lpThreadId,
                                       lpErrno);
    }
    return trace_io_done("WSPSend", s, rc, lpErrno, lpNumberOfBytesSent);
}

static int WSPAPI trace_WSPSendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                  LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                                  const struct sockaddr *lpTo, int iTolen,
                                  LPWSAOVERLAPPED lpOverlapped,
                                  LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                                  LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    TRACE_LOWER("WSPSendTo", s, ts);
    int rc;
    if (trace_keeps(ts, lpOverlapped)) {
        struct trace_send_args a = {.bufs = lpBuffers,
                                    .count = dwBufferCount,
                                    .sent = lpNumberOfBytesSent,
                                    .flags = dwFlags,
                                    .to = lpTo,
                                    .tolen = iTolen,
                                    .sendto = true};
        rc = trace_ovl_submit(ts, "WSPSendTo", lpOverlapped, lpCompletionRoutine, lpThreadId,
                              trace_issue_send, &a, lpErrno);
    } else {
        rc = ts->next->procs.lpWSPSendTo(ts->lower, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
                                         dwFlags, lpTo, iTolen, lpOverlapped, lpCompletionRoutine,
                                         lpThreadId, lpErrno);
    }
    return trace_io_done("WSPSendTo", s, rc, lpErrno, lpNumberOfBytesSent);
}

struct trace_recv_args {
    LPWSABUF bufs;
    DWORD count;
    LPDWORD got;
    LPDWORD flags;
    struct sockaddr *from; /* WSPRecvFrom */
    LPINT fromlen;
    bool recvfrom;
};

static int trace_issue_recv(const struct trace_sock *ts, const void *args, LPWSAOVERLAPPED lower,
                            LPINT err)
{
    const struct trace_recv_args *a = args;
    WSATHREADID none = trace_no_thread;
    if (a->recvfrom)
        return ts->next->procs.lpWSPRecvFrom(ts->lower, a->bufs, a->count, a->got, a->flags,
                                             a->from, a->fromlen, lower, NULL, &none, err);
    return ts->next->procs.lpWSPRecv(ts->lower, a->bufs, a->count, a->got, a->flags, lower, NULL,
                                     &none, err);
}

static int WSPAPI trace_WSPRecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                                LPWSAOVERLAPPED lpOverlapped,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                                LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    TRACE_LOWER("WSPRecv", s, ts);
    int rc;
    if (trace_keeps(ts, lpOverlapped)) {
        struct trace_recv_args a = {.bufs = lpBuffers,
                                    .count = dwBufferCount,
                                    .got = lpNumberOfBytesRecvd,
                                    .flags = lpFlags};
        rc = trace_ovl_submit(ts, "WSPRecv", lpOverlapped, lpCompletionRoutine, lpThreadId,
                              trace_issue_recv, &a, lpErrno);
    } else {
        rc = ts->next->procs.lpWSPRecv(ts->lower, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd,
                                       lpFlags, lpOverlapped, lpCompletionRoutine, lpThreadId,
                                       lpErrno);
    }
    return trace_io_done("WSPRecv", s, rc, lpErrno, lpNumberOfBytesRecvd);
}

static int WSPAPI trace_WSPRecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                    LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                                    struct sockaddr *lpFrom, LPINT lpFromlen,
                                    LPWSAOVERLAPPED lpOverlapped,
                                    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                                    LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    TRACE_LOWER("WSPRecvFrom", s, ts);
    int rc;
    if (trace_keeps(ts, lpOverlapped)) {
        struct trace_recv_args a = {.bufs = lpBuffers,
                                    .count = dwBufferCount,
                                    .got = lpNumberOfBytesRecvd,
                                    .flags = lpFlags,
                                    .from = lpFrom,
                                    .fromlen = lpFromlen,
                                    .recvfrom = true};
        rc = trace_ovl_submit(ts, "WSPRecvFrom", lpOverlapped, lpCompletionRoutine, lpThreadId,
                              trace_issue_recv, &a, lpErrno);
    } else {
        rc = ts->next->procs.lpWSPRecvFrom(ts->lower, lpBuffers, dwBufferCount,
                                           lpNumberOfBytesRecvd, lpFlags, lpFrom, lpFromlen,
                                           lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
    }
    return trace_io_done("WSPRecvFrom", s, rc, lpErrno, lpNumberOfBytesRecvd);
}

static int WSPAPI trace_WSPGetSockOpt(SOCKET s, int level, int optname, char *optval, LPINT optlen,
                                      LPINT lpErrno)
{
    TRACE_LOWER("WSPGetSockOpt", s, ts);
    int rc;
    if (level == SOL_SOCKET && (optname == SO_PROTOCOL_INFOW || optname == SO_PROTOCOL_INFOA)) {
        /* The socket's entry is the chain's, not the next provider's: an
         * application that makes a socket from what it reads here must get
         * the layer again (Microsoft's LSP sample answers it the same way). */
        int err = spi_opt_out_proto(optval, optlen, &ts->next->chain, optname);
        rc = err != 0 ? SOCKET_ERROR : 0;
        if (err != 0)
            trace_set_err(lpErrno, err);
    } else {
        rc = ts->next->procs.lpWSPGetSockOpt(ts->lower, level, optname, optval, optlen, lpErrno);
    }
    return trace_done("WSPGetSockOpt", s, rc, lpErrno);
}

static int WSPAPI trace_WSPSetSockOpt(SOCKET s, int level, int optname, const char *optval,
                                      int optlen, LPINT lpErrno)
{
    TRACE_LOWER("WSPSetSockOpt", s, ts);
    /* After AcceptEx the value is the listener's handle: ours, so the next
     * provider gets the one under it (a value that is not ours, or not
     * readable, goes down as it is, for the next provider to judge). */
    SOCKET l, lower;
    if (level == SOL_SOCKET && optname == SO_UPDATE_ACCEPT_CONTEXT && optval != NULL &&
        optlen >= (int)sizeof l && umem_read(&l, optval, sizeof l) == 0 &&
        trace_ext_accept_context(l, &lower) == 0)
        optval = (const char *)&lower;
    int rc = ts->next->procs.lpWSPSetSockOpt(ts->lower, level, optname, optval, optlen, lpErrno);
    return trace_done("WSPSetSockOpt", s, rc, lpErrno);
}

struct trace_ioctl_args {
    DWORD code;
    LPVOID in;
    DWORD cb_in;
    LPVOID out;
    DWORD cb_out;
    LPDWORD returned;
};

static int trace_issue_ioctl(const struct trace_sock *ts, const void *args, LPWSAOVERLAPPED lower,
                             LPINT err)
{
    const struct trace_ioctl_args *a = args;
    WSATHREADID none = trace_no_thread;
    return ts->next->procs.lpWSPIoctl(ts->lower, a->code, a->in, a->cb_in, a->out, a->cb_out,
                                      a->returned, lower, NULL, &none, err);
}

/* SIO_GET_EXTENSION_FUNCTION_POINTER is answered with the layer's own
 * functions (extension.c): the next provider's would not know our handles. */
static int WSPAPI trace_WSPIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer,
                                 DWORD cbInBuffer, LPVOID lpvOutBuffer, DWORD cbOutBuffer,
                                 LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED lpOverlapped,
                                 LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                                 LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    TRACE_LOWER("WSPIoctl", s, ts);
    int rc;
    if (dwIoControlCode == SIO_GET_EXTENSION_FUNCTION_POINTER) {
        rc = trace_ext_pointer(ts, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer,
                               lpcbBytesReturned, lpErrno);
    } else if (dwIoControlCode == SIO_WSP_CANCEL_OVERLAPPED && ts->via_port) {
        /* CancelIoEx names the application's WSAOVERLAPPED: ours to find */
        rc = trace_ovl_cancel(ts, lpvInBuffer, cbInBuffer, lpErrno);
    } else if (dwIoControlCode == SIO_WSP_CANCEL_OVERLAPPED_THREAD && ts->via_port) {
        rc = trace_ovl_cancel_thread(ts, lpErrno); /* CancelIo: the same, by issuing thread */
    } else if (trace_keeps(ts, lpOverlapped)) {
        struct trace_ioctl_args a = {.code = dwIoControlCode,
                                     .in = lpvInBuffer,
                                     .cb_in = cbInBuffer,
                                     .out = lpvOutBuffer,
                                     .cb_out = cbOutBuffer,
                                     .returned = lpcbBytesReturned};
        rc = trace_ovl_submit(ts, "WSPIoctl", lpOverlapped, lpCompletionRoutine, lpThreadId,
                              trace_issue_ioctl, &a, lpErrno);
    } else {
        rc = ts->next->procs.lpWSPIoctl(ts->lower, dwIoControlCode, lpvInBuffer, cbInBuffer,
                                        lpvOutBuffer, cbOutBuffer, lpcbBytesReturned, lpOverlapped,
                                        lpCompletionRoutine, lpThreadId, lpErrno);
    }
    return trace_io_done("WSPIoctl", s, rc, lpErrno, lpcbBytesReturned);
}

static BOOL WSPAPI trace_WSPGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                                LPDWORD lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags,
                                                LPINT lpErrno)
{
    struct trace_sock *ts = trace_sock_of(s, lpErrno);
    BOOL ok = FALSE;
    if (ts != NULL && ts->via_port) /* our operations: the kit reported them */
        ok = ovl_get_result(lpOverlapped, lpcbTransfer, fWait, lpdwFlags, lpErrno);
    else if (ts != NULL)
        ok = ts->next->procs.lpWSPGetOverlappedResult(ts->lower, lpOverlapped, lpcbTransfer, fWait,
                                                      lpdwFlags, lpErrno);
    trace_io_done("WSPGetOverlappedResult", s, ok ? 0 : SOCKET_ERROR, lpErrno, lpcbTransfer);
    return ok;
}

static BOOL WSPAPI trace_WSPGetQOSByName(SOCKET s, LPWSABUF lpQOSName, LPQOS lpQOS, LPINT lpErrno)
{
    struct trace_sock *ts = trace_sock_of(s, lpErrno);
    BOOL ok = ts != NULL && ts->next->procs.lpWSPGetQOSByName(ts->lower, lpQOSName, lpQOS, lpErrno);
    trace_done("WSPGetQOSByName", s, ok ? 0 : SOCKET_ERROR, lpErrno);
    return ok;
}

/* The WSAPROTOCOL_INFOW it fills describes the next provider's socket; a
 * process that imports it would reach that provider, not the chain: say so
 * instead of handing out a socket that bypasses the layer. */
static int WSPAPI trace_WSPDuplicateSocket(SOCKET s, DWORD dwProcessId,
                                           LPWSAPROTOCOL_INFOW lpProtocolInfo, LPINT lpErrno)
{
    (void)dwProcessId;
    (void)lpProtocolInfo;
    TRACE_LOWER("WSPDuplicateSocket", s, ts);
    (void)ts;
    trace_set_err(lpErrno, WSAEOPNOTSUPP);
    return trace_done("WSPDuplicateSocket", s, SOCKET_ERROR, lpErrno);
}

static int WSPAPI trace_WSPCancelBlockingCall(LPINT lpErrno)
{
    /* Winsock 1 blocking hooks: no provider here has them */
    trace_set_err(lpErrno, WSAEOPNOTSUPP);
    return trace_done("WSPCancelBlockingCall", 0, SOCKET_ERROR, lpErrno);
}

/* No socket, but the chain's protocol info: ask the chain's next provider
 * with what it was started with. */
static INT WSPAPI trace_WSPAddressToString(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                           LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                           LPWSTR lpszAddressString,
                                           LPDWORD lpdwAddressStringLength, LPINT lpErrno)
{
    const struct trace_next *next = trace_next_for(lpProtocolInfo, lpErrno);
    int rc = SOCKET_ERROR;
    if (next != NULL) {
        WSAPROTOCOL_INFOW pi = next->info;
        rc = next->procs.lpWSPAddressToString(lpsaAddress, dwAddressLength, &pi, lpszAddressString,
                                              lpdwAddressStringLength, lpErrno);
    }
    return trace_done("WSPAddressToString", 0, rc, lpErrno);
}

static INT WSPAPI trace_WSPStringToAddress(LPWSTR AddressString, INT AddressFamily,
                                           LPWSAPROTOCOL_INFOW lpProtocolInfo, LPSOCKADDR lpAddress,
                                           LPINT lpAddressLength, LPINT lpErrno)
{
    const struct trace_next *next = trace_next_for(lpProtocolInfo, lpErrno);
    int rc = SOCKET_ERROR;
    if (next != NULL) {
        WSAPROTOCOL_INFOW pi = next->info;
        rc = next->procs.lpWSPStringToAddress(AddressString, AddressFamily, &pi, lpAddress,
                                              lpAddressLength, lpErrno);
    }
    return trace_done("WSPStringToAddress", 0, rc, lpErrno);
}

#define TRACE_PASS_ENTRY(Name, params, args) t->lpWSP##Name = trace_WSP##Name;

void trace_fill_pass_procs(WSPPROC_TABLE *t)
{
    TRACE_PASS_LIST(TRACE_PASS_ENTRY)
    t->lpWSPSendDisconnect = trace_WSPSendDisconnect;
    t->lpWSPRecvDisconnect = trace_WSPRecvDisconnect;
    t->lpWSPAddressToString = trace_WSPAddressToString;
    t->lpWSPCancelBlockingCall = trace_WSPCancelBlockingCall;
    t->lpWSPDuplicateSocket = trace_WSPDuplicateSocket;
    t->lpWSPGetOverlappedResult = trace_WSPGetOverlappedResult;
    t->lpWSPGetSockOpt = trace_WSPGetSockOpt;
    t->lpWSPGetQOSByName = trace_WSPGetQOSByName;
    t->lpWSPIoctl = trace_WSPIoctl;
    t->lpWSPJoinLeaf = trace_WSPJoinLeaf;
    t->lpWSPRecv = trace_WSPRecv;
    t->lpWSPRecvFrom = trace_WSPRecvFrom;
    t->lpWSPSend = trace_WSPSend;
    t->lpWSPSendTo = trace_WSPSendTo;
    t->lpWSPSetSockOpt = trace_WSPSetSockOpt;
    t->lpWSPStringToAddress = trace_WSPStringToAddress;
}
