/* SPDX-License-Identifier: MIT */
/* Layered sockets and their handles: the non-IFS model. Our handle is made by
 * ws2 (WPUCreateSocketHandle, for the chain's catalog id, so that ws2 sends
 * every call on it to us) and carries our context, a struct trace_sock, which
 * holds the next provider's socket. A call looks the context up again with
 * WPUQuerySocketHandleContext: no table of our own, no lock of our own.
 *
 * Lifetime (ws2spi.h, "Layered providers"): ws2 pins our handle for the whole
 * of every call on it, and WPUCloseSocketHandle returns only when no other
 * call on it is in progress. So WSPCloseSocket first aborts the overlapped
 * operations still pending (their completions must reach the application's
 * port through our handle, so it must still be valid: overlapped.c), then
 * gives our handle back (from then on no call can find the context, and the
 * ones running are over), then closes the next provider's socket, exactly
 * once, then frees. */
#include <pthread.h>
#include <stdlib.h>

#include "trace.h"

/* Every open socket, for our last WSPCleanup. Touched on create and close
 * only, never by the calls in between. */
static pthread_mutex_t trace_open_mu = PTHREAD_MUTEX_INITIALIZER;
static struct trace_sock *trace_open;

static void trace_open_add(struct trace_sock *ts)
{
    pthread_mutex_lock(&trace_open_mu);
    ts->prev_open = NULL;
    ts->next_open = trace_open;
    if (trace_open != NULL)
        trace_open->prev_open = ts;
    trace_open = ts;
    pthread_mutex_unlock(&trace_open_mu);
}

static void trace_open_remove(struct trace_sock *ts)
{
    pthread_mutex_lock(&trace_open_mu);
    if (ts->prev_open != NULL)
        ts->prev_open->next_open = ts->next_open;
    else
        trace_open = ts->next_open;
    if (ts->next_open != NULL)
        ts->next_open->prev_open = ts->prev_open;
    pthread_mutex_unlock(&trace_open_mu);
}

struct trace_sock *trace_sock_of(SOCKET s, LPINT err)
{
    if (!trace_live()) {
        trace_set_err(err, WSAENETDOWN);
        return NULL;
    }
    DWORD_PTR ctx = 0;
    int e = 0;
    if (trace_upcalls.lpWPUQuerySocketHandleContext(s, &ctx, &e) != 0 || ctx == 0) {
        trace_set_err(err, WSAENOTSOCK);
        return NULL;
    }
    return (struct trace_sock *)ctx;
}

/* Close the next provider's socket (when ours could not be made). */
static void trace_lower_close(const struct trace_next *next, SOCKET lower)
{
    int ignored;
    int rc = next->procs.lpWSPCloseSocket(lower, &ignored);
    struct trace_rec r = {"WSPCloseSocket(next)", lower, rc, rc == 0 ? 0 : ignored, -1, -1};
    trace_log(&r);
}

SOCKET trace_sock_wrap(const struct trace_next *next, SOCKET lower, bool overlapped, LPINT err)
{
    struct trace_sock *ts = malloc(sizeof *ts);
    if (ts == NULL) {
        trace_set_err(err, WSAENOBUFS);
        trace_lower_close(next, lower);
        return INVALID_SOCKET;
    }
    ts->magic = TRACE_SOCK_MAGIC;
    ts->lower = lower;
    ts->next = next;
    ts->overlapped = overlapped;
    trace_ovl_sock_init(ts);
    int e = 0;
    SOCKET s = trace_upcalls.lpWPUCreateSocketHandle(next->chain_id, (DWORD_PTR)ts, &e);
    if (s == INVALID_SOCKET) {
        trace_set_err(err, e);
        trace_lower_close(next, lower);
        trace_ovl_sock_release(ts);
        ts->magic = 0;
        free(ts);
        return s;
    }
    ts->self = s;
    trace_open_add(ts);
    return s;
}

static SOCKET trace_socket_done(const char *call, SOCKET s, LPINT lpErrno)
{
    struct trace_rec r = {
        call, s, s == INVALID_SOCKET ? SOCKET_ERROR : 0, trace_err_of(s == INVALID_SOCKET, lpErrno),
        -1,   -1};
    trace_log(&r);
    return s;
}

SOCKET WSPAPI trace_WSPSocket(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                              GROUP g, DWORD dwFlags, LPINT lpErrno)
{
    const struct trace_next *next = trace_next_for(lpProtocolInfo, lpErrno);
    SOCKET s = INVALID_SOCKET;
    if (next != NULL) {
        WSAPROTOCOL_INFOW pi = next->info;
        SOCKET lower = next->procs.lpWSPSocket(af, type, protocol, &pi, g, dwFlags, lpErrno);
        if (lower != INVALID_SOCKET)
            s = trace_sock_wrap(next, lower, (dwFlags & WSA_FLAG_OVERLAPPED) != 0, lpErrno);
    }
    return trace_socket_done("WSPSocket", s, lpErrno);
}

/* The condition function, if any, is the application's: the next provider
 * calls it as it would for a socket of its own. */
SOCKET WSPAPI trace_WSPAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                              LPCONDITIONPROC lpfnCondition, DWORD_PTR dwCallbackData,
                              LPINT lpErrno)
{
    struct trace_sock *ts = trace_sock_of(s, lpErrno);
    SOCKET ns = INVALID_SOCKET;
    if (ts != NULL) {
        SOCKET lower = ts->next->procs.lpWSPAccept(ts->lower, addr, addrlen, lpfnCondition,
                                                   dwCallbackData, lpErrno);
        /* overlapped, as accept()'s and WSAAccept's sockets are on Windows
         * (and as the base providers make them) */
        if (lower != INVALID_SOCKET)
            ns = trace_sock_wrap(ts->next, lower, true, lpErrno);
    }
    return trace_socket_done("WSPAccept", ns, lpErrno);
}

int WSPAPI trace_WSPCloseSocket(SOCKET s, LPINT lpErrno)
{
    struct trace_sock *ts = trace_sock_of(s, lpErrno);
    if (ts == NULL)
        return trace_done("WSPCloseSocket", s, SOCKET_ERROR, lpErrno);
    /* the overlapped operations first, while our handle still takes their
     * completions (WPUCompleteOverlappedRequest accepts a closing socket) */
    trace_ovl_sock_abort(ts);
    /* then our handle: waits for the calls still running on it, and makes
     * a second, concurrent close fail with WSAENOTSOCK instead of closing the
     * next provider's socket twice */
    int e = 0;
    if (trace_upcalls.lpWPUCloseSocketHandle(s, &e) != 0) {
        trace_set_err(lpErrno, e);
        return trace_done("WSPCloseSocket", s, SOCKET_ERROR, lpErrno);
    }
    trace_open_remove(ts);
    int rc = ts->next->procs.lpWSPCloseSocket(ts->lower, lpErrno);
    trace_ovl_sock_release(ts);
    ts->magic = 0;
    free(ts);
    return trace_done("WSPCloseSocket", s, rc, lpErrno);
}

void trace_sock_close_all(void)
{
    for (;;) {
        pthread_mutex_lock(&trace_open_mu);
        struct trace_sock *ts = trace_open;
        pthread_mutex_unlock(&trace_open_mu);
        if (ts == NULL)
            return;
        trace_ovl_sock_abort(ts);
        int e = 0;
        (void)trace_upcalls.lpWPUCloseSocketHandle(ts->self, &e);
        trace_open_remove(ts);
        trace_lower_close(ts->next, ts->lower);
        trace_ovl_sock_release(ts);
        ts->magic = 0;
        free(ts);
    }
}
