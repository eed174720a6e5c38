/* SPDX-License-Identifier: MIT */
/* The shim table a traced call goes through (debug.h): one function per
 * WSPPROC_TABLE entry, declared and tabled from the SPI_PROC_LIST of
 * common/spi_procs.h, so that a missing or mistyped shim does not compile.
 * Each calls the real provider (dbg_take), then writes one line: the API
 * function's exported name, the essential arguments, the result and the
 * error.  Sizes, lengths and addresses only, never the data itself.  Every
 * read of caller memory goes through umem (a bad pointer prints "?"). */
#include <inttypes.h>

#include "common/spi_procs.h"
#include "debug.h"

SPI_PROC_DECLARE(trc)

const WSPPROC_TABLE trc_table = SPI_PROC_TABLE(trc);

#define S(s) ((uintptr_t)(s))
#define SFMT "s=%#" PRIxPTR

/* ", sent=64" after a successful transfer, from the caller's counter. */
static void trc_count(struct dbg_line *l, int rc, const char *key, const DWORD *n)
{
    if (rc != SOCKET_ERROR)
        dbg_put(l, ", %s=%lld", key, dbg_read_u32(n));
}

/* "bufs=2, len=96" of a WSABUF array in caller memory. */
static void trc_bufs(struct dbg_line *l, const WSABUF *bufs, DWORD n)
{
    long long len = dbg_wsabuf_len(bufs, n);
    if (len < 0)
        dbg_put(l, ", bufs=%lu, len=?", (unsigned long)n);
    else
        dbg_put(l, ", bufs=%lu, len=%lld", (unsigned long)n, len);
}

/* "data=64 octets" of one optional WSABUF (disconnect and connect data). */
static void trc_data(struct dbg_line *l, const char *key, const WSABUF *b)
{
    if (b == NULL) {
        dbg_put(l, "%s=none", key);
        return;
    }
    long long len = dbg_wsabuf_len(b, 1);
    if (len < 0)
        dbg_put(l, "%s=?", key);
    else
        dbg_put(l, "%s=%lld octets", key, len);
}

static void trc_overlapped(struct dbg_line *l, const void *ov)
{
    if (ov != NULL)
        dbg_put(l, ", overlapped");
}

SOCKET WSPAPI trc_WSPAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                            LPCONDITIONPROC lpfnCondition, DWORD_PTR dwCallbackData, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    SOCKET ns = t->lpWSPAccept(s, addr, addrlen, lpfnCondition, dwCallbackData, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAAccept");
    dbg_put(&l, SFMT, S(s));
    if (lpfnCondition != NULL)
        dbg_put(&l, ", condition");
    dbg_result_socket(&l, ns, *lpErrno);
    if (ns != INVALID_SOCKET && addr != NULL) {
        dbg_put(&l, ", ");
        dbg_put_addr(&l, "from", addr, (int)dbg_read_int(addrlen));
    }
    dbg_emit(&l);
    return ns;
}

INT WSPAPI trc_WSPAddressToString(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                  LPWSAPROTOCOL_INFOW lpProtocolInfo, LPWSTR lpszAddressString,
                                  LPDWORD lpdwAddressStringLength, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    INT rc = t->lpWSPAddressToString(lpsaAddress, dwAddressLength, lpProtocolInfo,
                                     lpszAddressString, lpdwAddressStringLength, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAAddressToString");
    dbg_put_addr(&l, "addr", lpsaAddress, (int)dwAddressLength);
    dbg_result(&l, rc, *lpErrno);
    dbg_put(&l, ", length=%lld", dbg_read_u32(lpdwAddressStringLength));
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPAsyncSelect(SOCKET s, HWND hWnd, unsigned int wMsg, LONG lEvent, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPAsyncSelect(s, hWnd, wMsg, lEvent, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAAsyncSelect");
    dbg_put(&l, SFMT ", msg=%u, events=%#lx", S(s), wMsg, (unsigned long)lEvent);
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPBind(SOCKET s, const struct sockaddr *name, int namelen, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPBind(s, name, namelen, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "wsp_bind");
    dbg_put(&l, SFMT ", ", S(s));
    dbg_put_addr(&l, "addr", name, namelen);
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPCancelBlockingCall(LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPCancelBlockingCall(lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSACancelBlockingCall");
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPCleanup(LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPCleanup(lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSPCleanup");
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPCloseSocket(SOCKET s, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPCloseSocket(s, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "closesocket");
    dbg_put(&l, SFMT, S(s));
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPConnect(SOCKET s, const struct sockaddr *name, int namelen, LPWSABUF lpCallerData,
                          LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPConnect(s, name, namelen, lpCallerData, lpCalleeData, lpSQOS, lpGQOS, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAConnect");
    dbg_put(&l, SFMT ", ", S(s));
    dbg_put_addr(&l, "to", name, namelen);
    if (lpCallerData != NULL) {
        dbg_put(&l, ", ");
        trc_data(&l, "data", lpCallerData);
    }
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPDuplicateSocket(SOCKET s, DWORD dwProcessId, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                  LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPDuplicateSocket(s, dwProcessId, lpProtocolInfo, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSADuplicateSocket");
    dbg_put(&l, SFMT ", pid=%lu", S(s), (unsigned long)dwProcessId);
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
                                    LPWSANETWORKEVENTS lpNetworkEvents, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPEnumNetworkEvents(s, hEventObject, lpNetworkEvents, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAEnumNetworkEvents");
    dbg_put(&l, SFMT ", event=%p", S(s), hEventObject);
    dbg_result(&l, rc, *lpErrno);
    if (rc != SOCKET_ERROR && lpNetworkEvents != NULL) {
        long long ev = dbg_read_int((const int *)&lpNetworkEvents->lNetworkEvents);
        dbg_put(&l, ", events=%#llx", ev < 0 ? 0ull : (unsigned long long)ev);
    }
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPEventSelect(SOCKET s, WSAEVENT hEventObject, LONG lNetworkEvents, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPEventSelect(s, hEventObject, lNetworkEvents, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAEventSelect");
    dbg_put(&l, SFMT ", event=%p, events=%#lx", S(s), hEventObject, (unsigned long)lNetworkEvents);
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

BOOL WSPAPI trc_WSPGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD lpcbTransfer,
                                       BOOL fWait, LPDWORD lpdwFlags, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    BOOL ok = t->lpWSPGetOverlappedResult(s, lpOverlapped, lpcbTransfer, fWait, lpdwFlags, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAGetOverlappedResult");
    dbg_put(&l, SFMT ", wait=%d", S(s), fWait ? 1 : 0);
    dbg_result_bool(&l, ok, *lpErrno);
    if (ok)
        dbg_put(&l, ", transferred=%lld", dbg_read_u32(lpcbTransfer));
    dbg_emit(&l);
    return ok;
}

/* getsockname / getpeername: the address found. */
static void trc_name(const char *fn, SOCKET s, int rc, int err, const struct sockaddr *name,
                     const int *namelen)
{
    struct dbg_line l;
    dbg_begin(&l, fn);
    dbg_put(&l, SFMT, S(s));
    dbg_result(&l, rc, err);
    if (rc != SOCKET_ERROR) {
        dbg_put(&l, ", ");
        dbg_put_addr(&l, "addr", name, (int)dbg_read_int(namelen));
    }
    dbg_emit(&l);
}

int WSPAPI trc_WSPGetPeerName(SOCKET s, struct sockaddr *name, LPINT namelen, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPGetPeerName(s, name, namelen, lpErrno);
    trc_name("wsp_getpeername", s, rc, *lpErrno, name, namelen);
    return rc;
}

int WSPAPI trc_WSPGetSockName(SOCKET s, struct sockaddr *name, LPINT namelen, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPGetSockName(s, name, namelen, lpErrno);
    trc_name("wsp_getsockname", s, rc, *lpErrno, name, namelen);
    return rc;
}

int WSPAPI trc_WSPGetSockOpt(SOCKET s, int level, int optname, char *optval, LPINT optlen,
                             LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPGetSockOpt(s, level, optname, optval, optlen, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "wsp_getsockopt");
    dbg_put(&l, SFMT ", level=%#x, opt=%#x", S(s), (unsigned)level, (unsigned)optname);
    dbg_result(&l, rc, *lpErrno);
    if (rc != SOCKET_ERROR)
        dbg_put(&l, ", len=%lld", dbg_read_int(optlen));
    dbg_emit(&l);
    return rc;
}

BOOL WSPAPI trc_WSPGetQOSByName(SOCKET s, LPWSABUF lpQOSName, LPQOS lpQOS, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    BOOL ok = t->lpWSPGetQOSByName(s, lpQOSName, lpQOS, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAGetQOSByName");
    dbg_put(&l, SFMT, S(s));
    dbg_result_bool(&l, ok, *lpErrno);
    dbg_emit(&l);
    return ok;
}

int WSPAPI trc_WSPIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
                        LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
                        LPWSAOVERLAPPED lpOverlapped,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                        LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc =
        t->lpWSPIoctl(s, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer,
                      lpcbBytesReturned, lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAIoctl");
    dbg_put(&l, SFMT ", code=%#lx, in=%lu, out=%lu", S(s), (unsigned long)dwIoControlCode,
            (unsigned long)cbInBuffer, (unsigned long)cbOutBuffer);
    trc_overlapped(&l, lpOverlapped);
    dbg_result(&l, rc, *lpErrno);
    trc_count(&l, rc, "returned", lpcbBytesReturned);
    dbg_emit(&l);
    return rc;
}

SOCKET WSPAPI trc_WSPJoinLeaf(SOCKET s, const struct sockaddr *name, int namelen,
                              LPWSABUF lpCallerData, LPWSABUF lpCalleeData, LPQOS lpSQOS,
                              LPQOS lpGQOS, DWORD dwFlags, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    SOCKET r = t->lpWSPJoinLeaf(s, name, namelen, lpCallerData, lpCalleeData, lpSQOS, lpGQOS,
                                dwFlags, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAJoinLeaf");
    dbg_put(&l, SFMT ", ", S(s));
    dbg_put_addr(&l, "to", name, namelen);
    dbg_result_socket(&l, r, *lpErrno);
    dbg_emit(&l);
    return r;
}

int WSPAPI trc_WSPListen(SOCKET s, int backlog, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPListen(s, backlog, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "wsp_listen");
    dbg_put(&l, SFMT ", backlog=%d", S(s), backlog);
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPRecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                       LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                       LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    long long flags_in = dbg_read_u32(lpFlags);
    int rc = t->lpWSPRecv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpOverlapped,
                          lpCompletionRoutine, lpThreadId, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSARecv");
    dbg_put(&l, SFMT, S(s));
    trc_bufs(&l, lpBuffers, dwBufferCount);
    dbg_put(&l, ", flags=%#llx", flags_in < 0 ? 0ull : (unsigned long long)flags_in);
    trc_overlapped(&l, lpOverlapped);
    dbg_result(&l, rc, *lpErrno);
    trc_count(&l, rc, "received", lpNumberOfBytesRecvd);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPRecvDisconnect(SOCKET s, LPWSABUF lpInboundDisconnectData, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    struct dbg_line l; /* the buffer's size is noted before the call sets len */
    dbg_begin(&l, "WSARecvDisconnect");
    dbg_put(&l, SFMT ", ", S(s));
    trc_data(&l, "buffer", lpInboundDisconnectData);
    int rc = t->lpWSPRecvDisconnect(s, lpInboundDisconnectData, lpErrno);
    dbg_result(&l, rc, *lpErrno);
    if (rc != SOCKET_ERROR && lpInboundDisconnectData != NULL) {
        long long got = dbg_wsabuf_len(lpInboundDisconnectData, 1);
        dbg_put(&l, ", data=%lld octets", got); /* the provider sets len to what came */
    }
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPRecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                           LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, struct sockaddr *lpFrom,
                           LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                           LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    long long flags_in = dbg_read_u32(lpFlags);
    int rc = t->lpWSPRecvFrom(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpFrom,
                              lpFromlen, lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSARecvFrom");
    dbg_put(&l, SFMT, S(s));
    trc_bufs(&l, lpBuffers, dwBufferCount);
    dbg_put(&l, ", flags=%#llx", flags_in < 0 ? 0ull : (unsigned long long)flags_in);
    trc_overlapped(&l, lpOverlapped);
    dbg_result(&l, rc, *lpErrno);
    trc_count(&l, rc, "received", lpNumberOfBytesRecvd);
    if (rc != SOCKET_ERROR && lpFrom != NULL) {
        dbg_put(&l, ", ");
        dbg_put_addr(&l, "from", lpFrom, (int)dbg_read_int(lpFromlen));
    }
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPSelect(int nfds, wsp_fd_set *readfds, wsp_fd_set *writefds, wsp_fd_set *exceptfds,
                         const struct timeval *timeout, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPSelect(nfds, readfds, writefds, exceptfds, timeout, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "wsp_select");
    dbg_put(&l, "read=%s, write=%s, except=%s, timeout=%s", readfds ? "set" : "none",
            writefds ? "set" : "none", exceptfds ? "set" : "none", timeout ? "set" : "none");
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPSend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                       LPDWORD lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                       LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPSend(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped,
                          lpCompletionRoutine, lpThreadId, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSASend");
    dbg_put(&l, SFMT, S(s));
    trc_bufs(&l, lpBuffers, dwBufferCount);
    dbg_put(&l, ", flags=%#lx", (unsigned long)dwFlags);
    trc_overlapped(&l, lpOverlapped);
    dbg_result(&l, rc, *lpErrno);
    trc_count(&l, rc, "sent", lpNumberOfBytesSent);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPSendDisconnect(SOCKET s, LPWSABUF lpOutboundDisconnectData, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPSendDisconnect(s, lpOutboundDisconnectData, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSASendDisconnect");
    dbg_put(&l, SFMT ", ", S(s));
    trc_data(&l, "data", lpOutboundDisconnectData);
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPSendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                         LPDWORD lpNumberOfBytesSent, DWORD dwFlags, const struct sockaddr *lpTo,
                         int iTolen, LPWSAOVERLAPPED lpOverlapped,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                         LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPSendTo(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpTo, iTolen,
                            lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSASendTo");
    dbg_put(&l, SFMT, S(s));
    trc_bufs(&l, lpBuffers, dwBufferCount);
    dbg_put(&l, ", flags=%#lx, ", (unsigned long)dwFlags);
    if (lpTo != NULL)
        dbg_put_addr(&l, "to", lpTo, iTolen);
    else
        dbg_put(&l, "to=none");
    trc_overlapped(&l, lpOverlapped);
    dbg_result(&l, rc, *lpErrno);
    trc_count(&l, rc, "sent", lpNumberOfBytesSent);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPSetSockOpt(SOCKET s, int level, int optname, const char *optval, int optlen,
                             LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPSetSockOpt(s, level, optname, optval, optlen, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "wsp_setsockopt");
    dbg_put(&l, SFMT ", level=%#x, opt=%#x, len=%d", S(s), (unsigned)level, (unsigned)optname,
            optlen);
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

int WSPAPI trc_WSPShutdown(SOCKET s, int how, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    int rc = t->lpWSPShutdown(s, how, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "wsp_shutdown");
    dbg_put(&l, SFMT ", how=%d", S(s), how);
    dbg_result(&l, rc, *lpErrno);
    dbg_emit(&l);
    return rc;
}

SOCKET WSPAPI trc_WSPSocket(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                            GROUP g, DWORD dwFlags, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    SOCKET s = t->lpWSPSocket(af, type, protocol, lpProtocolInfo, g, dwFlags, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSASocket");
    dbg_put(&l, "af=%d, type=%d, protocol=%d, flags=%#lx", af, type, protocol,
            (unsigned long)dwFlags);
    dbg_result_socket(&l, s, *lpErrno);
    dbg_emit(&l);
    return s;
}

INT WSPAPI trc_WSPStringToAddress(LPWSTR AddressString, INT AddressFamily,
                                  LPWSAPROTOCOL_INFOW lpProtocolInfo, LPSOCKADDR lpAddress,
                                  LPINT lpAddressLength, LPINT lpErrno)
{
    const WSPPROC_TABLE *t = dbg_take();
    INT rc = t->lpWSPStringToAddress(AddressString, AddressFamily, lpProtocolInfo, lpAddress,
                                     lpAddressLength, lpErrno);
    struct dbg_line l;
    dbg_begin(&l, "WSAStringToAddress");
    dbg_put(&l, "af=%d", AddressFamily);
    dbg_result(&l, rc, *lpErrno);
    if (rc != SOCKET_ERROR) {
        dbg_put(&l, ", ");
        dbg_put_addr(&l, "addr", lpAddress, (int)dbg_read_int(lpAddressLength));
    }
    dbg_emit(&l);
    return rc;
}
