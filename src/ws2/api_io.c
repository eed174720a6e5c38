/* SPDX-License-Identifier: MIT */
/* Data transfer. The Berkeley forms wrap one WSABUF around the caller's buffer
 * (on the stack: nothing is allocated on this path). */
#include "api.h"

/* The bodies of WSASend and WSARecv, inlined into them and into wsp_send and
 * wsp_recv: the Berkeley forms are the hot path of most programs, and a
 * second call frame (with its register saves) was a fifth of the API's cost
 * per call (callgrind, docs/performance.md).  fn names the entry point in a
 * trace line. */
static inline __attribute__((always_inline)) int
api_send(const char *fn, SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
         LPDWORD lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
         LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    struct api_sock a;
    int err = api_pin(s, &a);
    if (err != 0)
        return api_enter_fail(fn, s, err);
    WSATHREADID tid = {0};
    err = api_thread_id(lpOverlapped, lpCompletionRoutine, &tid);
    if (err != 0)
        return api_done(&a, SOCKET_ERROR, &err);
    int rc = api_procs(&a)->lpWSPSend(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags,
                                      lpOverlapped, lpCompletionRoutine, &tid, &err);
    return api_done(&a, rc, &err);
}

static inline __attribute__((always_inline)) int
api_recv(const char *fn, SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
         LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
         LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    struct api_sock a;
    int err = api_pin(s, &a);
    if (err != 0)
        return api_enter_fail(fn, s, err);
    WSATHREADID tid = {0};
    err = api_thread_id(lpOverlapped, lpCompletionRoutine, &tid);
    if (err != 0)
        return api_done(&a, SOCKET_ERROR, &err);
    int rc = api_procs(&a)->lpWSPRecv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags,
                                      lpOverlapped, lpCompletionRoutine, &tid, &err);
    return api_done(&a, rc, &err);
}

WSP_EXPORT int WSAAPI WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                              LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                              LPWSAOVERLAPPED lpOverlapped,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    return api_send(__func__, s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags,
                    lpOverlapped, lpCompletionRoutine);
}

WSP_EXPORT int WSAAPI WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                              LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                              LPWSAOVERLAPPED lpOverlapped,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    return api_recv(__func__, s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags,
                    lpOverlapped, lpCompletionRoutine);
}

WSP_EXPORT int WSAAPI WSASendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                                const struct sockaddr *lpTo, int iTolen,
                                LPWSAOVERLAPPED lpOverlapped,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    API_ENTER(s, SOCKET_ERROR);
    WSATHREADID tid = {0};
    err = api_thread_id(lpOverlapped, lpCompletionRoutine, &tid);
    if (err != 0)
        return api_done(&a, SOCKET_ERROR, &err);
    int rc =
        api_procs(&a)->lpWSPSendTo(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpTo,
                                   iTolen, lpOverlapped, lpCompletionRoutine, &tid, &err);
    return api_done(&a, rc, &err);
}

WSP_EXPORT int WSAAPI WSARecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                  LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                                  struct sockaddr *lpFrom, LPINT lpFromlen,
                                  LPWSAOVERLAPPED lpOverlapped,
                                  LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    API_ENTER(s, SOCKET_ERROR);
    WSATHREADID tid = {0};
    err = api_thread_id(lpOverlapped, lpCompletionRoutine, &tid);
    if (err != 0)
        return api_done(&a, SOCKET_ERROR, &err);
    int rc = api_procs(&a)->lpWSPRecvFrom(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd,
                                          lpFlags, lpFrom, lpFromlen, lpOverlapped,
                                          lpCompletionRoutine, &tid, &err);
    return api_done(&a, rc, &err);
}

/* A negative length cannot describe a buffer. */
static int api_len_ok(int len)
{
    return len >= 0;
}

WSP_EXPORT int WSAAPI wsp_send(SOCKET s, const char *buf, int len, int flags)
{
    if (!api_len_ok(len) && su_running())
        return le_fail(WSAEINVAL);
    WSABUF b = {.len = (ULONG)len, .buf = (CHAR *)buf};
    DWORD sent = 0;
    int rc = api_send("WSASend", s, &b, 1, &sent, (DWORD)flags, NULL, NULL);
    return rc == SOCKET_ERROR ? SOCKET_ERROR : (int)sent;
}

WSP_EXPORT int WSAAPI wsp_sendto(SOCKET s, const char *buf, int len, int flags,
                                 const struct sockaddr *to, int tolen)
{
    if (!api_len_ok(len) && su_running())
        return le_fail(WSAEINVAL);
    WSABUF b = {.len = (ULONG)len, .buf = (CHAR *)buf};
    DWORD sent = 0;
    int rc = WSASendTo(s, &b, 1, &sent, (DWORD)flags, to, tolen, NULL, NULL);
    return rc == SOCKET_ERROR ? SOCKET_ERROR : (int)sent;
}

/* The graceful end of a message-oriented connection (WSAEDISCON) is, for
 * the Berkeley recv, the same end-of-stream as a stream's 0 (D10). */
static int api_recv_result(int rc, DWORD got)
{
    if (rc != SOCKET_ERROR)
        return (int)got;
    if (WSAGetLastError() == WSAEDISCON)
        return 0;
    return SOCKET_ERROR;
}

WSP_EXPORT int WSAAPI wsp_recv(SOCKET s, char *buf, int len, int flags)
{
    if (!api_len_ok(len) && su_running())
        return le_fail(WSAEINVAL);
    WSABUF b = {.len = (ULONG)len, .buf = buf};
    DWORD got = 0, f = (DWORD)flags;
    int rc = api_recv("WSARecv", s, &b, 1, &got, &f, NULL, NULL);
    return api_recv_result(rc, got);
}

WSP_EXPORT int WSAAPI wsp_recvfrom(SOCKET s, char *buf, int len, int flags, struct sockaddr *from,
                                   int *fromlen)
{
    if (!api_len_ok(len) && su_running())
        return le_fail(WSAEINVAL);
    WSABUF b = {.len = (ULONG)len, .buf = buf};
    DWORD got = 0, f = (DWORD)flags;
    int rc = WSARecvFrom(s, &b, 1, &got, &f, from, fromlen, NULL, NULL);
    return api_recv_result(rc, got);
}
