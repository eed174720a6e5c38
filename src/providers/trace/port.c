/* SPDX-License-Identifier: MIT */
/* The layer's private completion port and its one worker thread: how the
 * layer learns that the provider under it completed an operation, without a
 * thread per operation (the way a Windows non-IFS LSP does it).
 *
 * Every overlapped lower socket is associated with this port (libwsp's
 * CreateIoCompletionPort, an exported call a layer may make, like the WSC*
 * calls of next.c). The layer issues its lower calls with its own
 * WSAOVERLAPPED, hEvent NULL and no completion routine, so the next provider
 * reports each one with WPUCompleteOverlappedRequest on its socket, which
 * queues a packet here. The worker takes the packets and completes the
 * application's operations (overlapped.c).
 *
 * Made at the first overlapped socket, stopped at our last WSPCleanup, after
 * every socket is closed: by then no lower operation is left, so no packet
 * can come after the stop packet. */
#include <stdint.h>

#include "trace.h"

#define TRACE_PORT_BATCH 16
#define TRACE_KEY_LOWER 0 /* a lower socket's completion */
#define TRACE_KEY_STOP 1  /* trace_port_stop: the worker returns */

static pthread_mutex_t trace_port_mu = PTHREAD_MUTEX_INITIALIZER;
static HANDLE trace_port; /* NULL: not made yet (under trace_port_mu) */
static pthread_t trace_worker;
static bool trace_worker_running; /* under trace_port_mu */
static bool trace_worker_failed;  /* could not start: never again until the stop */

static void *trace_worker_main(void *arg)
{
    HANDLE port = arg;
    OVERLAPPED_ENTRY e[TRACE_PORT_BATCH];
    for (;;) {
        ULONG n = 0;
        /* not alertable: no completion routine of ours is ever queued here */
        if (!GetQueuedCompletionStatusEx(port, e, TRACE_PORT_BATCH, &n, INFINITE, FALSE))
            return NULL; /* the port is gone: nothing more can come */
        for (ULONG i = 0; i < n; i++) {
            if (e[i].lpCompletionKey == TRACE_KEY_STOP)
                return NULL; /* the last packet: every socket is closed */
            trace_ovl_lower_done(e[i].lpOverlapped, (DWORD)e[i].Internal,
                                 e[i].dwNumberOfBytesTransferred);
        }
    }
}

bool trace_port_attach(SOCKET lower)
{
    pthread_mutex_lock(&trace_port_mu);
    if (trace_port == NULL)
        trace_port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    /* Fails when lower is not one of libwsp's handles (the conformance
     * harness plays ws2 with handles of its own) or libwsp is not started:
     * the socket then passes overlapped calls through unchanged. */
    bool ok = trace_port != NULL && CreateIoCompletionPort((HANDLE)(uintptr_t)lower, trace_port,
                                                           TRACE_KEY_LOWER, 0) == trace_port;
    /* The worker starts with the first socket that needs it, so a process
     * (or the harness) that never has one has no thread of ours. Without
     * it the socket passes its calls through too: the next provider then
     * also queues the application's WSAOVERLAPPEDs here, where they are
     * dropped with the port at our last WSPCleanup (and no worker may start
     * later and take them for ours). */
    if (ok && !trace_worker_running && !trace_worker_failed) {
        trace_worker_running =
            pthread_create(&trace_worker, NULL, trace_worker_main, trace_port) == 0;
        trace_worker_failed = !trace_worker_running;
    }
    ok = ok && trace_worker_running;
    pthread_mutex_unlock(&trace_port_mu);
    return ok;
}

void trace_port_stop(void)
{
    pthread_mutex_lock(&trace_port_mu);
    if (trace_worker_running) {
        /* a stop packet rather than CloseHandle: packets queued before it are
         * still processed (none should be left, but it costs nothing); if it
         * cannot be queued, closing the port wakes the worker all the same */
        if (!PostQueuedCompletionStatus(trace_port, 0, TRACE_KEY_STOP, NULL)) {
            CloseHandle(trace_port);
            trace_port = NULL;
        }
        pthread_join(trace_worker, NULL);
        trace_worker_running = false;
    }
    if (trace_port != NULL)
        CloseHandle(trace_port);
    trace_port = NULL;
    trace_worker_failed = false;
    pthread_mutex_unlock(&trace_port_mu);
}
