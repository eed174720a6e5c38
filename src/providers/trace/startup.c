/* SPDX-License-Identifier: MIT */
/* WSPStartup and WSPCleanup. ws2 calls WSPStartup once per provider it starts
 * (here: once per chain provider that names us at its top), so both count:
 * the first startup opens the trace file, the last cleanup runs down every
 * chain under us and closes it. */
#include <pthread.h>
#include <stdatomic.h>

#include "common/ovl.h"
#include "trace.h"

WSPUPCALLTABLE trace_upcalls;

static pthread_mutex_t trace_start_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned trace_starts;
static _Atomic int trace_live_flag;

int trace_live(void)
{
    return atomic_load_explicit(&trace_live_flag, memory_order_acquire);
}

static WSPPROC_TABLE trace_procs(void)
{
    WSPPROC_TABLE t = {0};
    trace_fill_pass_procs(&t);
    t.lpWSPAccept = trace_WSPAccept;
    t.lpWSPCleanup = trace_WSPCleanup;
    t.lpWSPCloseSocket = trace_WSPCloseSocket;
    t.lpWSPSelect = trace_WSPSelect;
    t.lpWSPSocket = trace_WSPSocket;
    return t;
}

__attribute__((visibility("default"))) int WSPAPI WSPStartup(WORD wVersionRequested,
                                                             LPWSPDATA lpWSPData,
                                                             LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                                             WSPUPCALLTABLE UpcallTable,
                                                             LPWSPPROC_TABLE lpProcTable)
{
    if (lpWSPData == NULL || lpProcTable == NULL || lpProtocolInfo == NULL)
        return WSAEFAULT;
    if (LOBYTE(wVersionRequested) < 2 ||
        (LOBYTE(wVersionRequested) == 2 && HIBYTE(wVersionRequested) < 2))
        return WSAVERNOTSUPPORTED;
    pthread_mutex_lock(&trace_start_mu);
    if (trace_starts++ == 0) {
        trace_upcalls = UpcallTable; /* ws2 has one table: every startup gets it */
        /* the kit reports the application's overlapped operations; without
         * it (a libwsp without WPUCompleteOverlappedRequest) they pass
         * through unchanged (overlapped.c) */
        (void)ovl_startup(&trace_upcalls);
        /* the extension functions report through the last error */
        (void)ext_startup(&trace_upcalls);
        trace_log_open();
        atomic_store_explicit(&trace_live_flag, 1, memory_order_release);
    }
    pthread_mutex_unlock(&trace_start_mu);
    /* the chain we are started for: its next provider now, so that a broken
     * chain fails here (WSAEPROVIDERFAILEDINIT at WSASocket) and not later */
    int err = 0;
    const struct trace_next *next = trace_next_for(lpProtocolInfo, &err);
    struct trace_rec r = {"WSPStartup", 0, next ? 0 : SOCKET_ERROR, err, -1, -1};
    trace_log(&r);
    if (next == NULL) {
        int ignored;
        (void)trace_WSPCleanup(&ignored);
        return err;
    }
    lpWSPData->wVersion = MAKEWORD(2, 2);
    lpWSPData->wHighVersion = MAKEWORD(2, 2);
    static const char desc[] = "wsp trace: sample layered provider";
    for (size_t i = 0; i < sizeof desc; i++)
        lpWSPData->szDescription[i] = (WCHAR)desc[i];
    *lpProcTable = trace_procs();
    return 0;
}

int WSPAPI trace_WSPCleanup(LPINT lpErrno)
{
    pthread_mutex_lock(&trace_start_mu);
    if (trace_starts == 0) {
        pthread_mutex_unlock(&trace_start_mu);
        trace_set_err(lpErrno, WSANOTINITIALISED);
        return SOCKET_ERROR;
    }
    if (--trace_starts == 0) {
        struct trace_rec r = {"WSPCleanup", 0, 0, 0, -1, -1};
        trace_log(&r);
        atomic_store_explicit(&trace_live_flag, 0, memory_order_release);
        trace_sock_close_all();
        trace_port_stop(); /* no lower operation is left: the worker can go */
        trace_next_cleanup_all();
        trace_log_close();
    }
    pthread_mutex_unlock(&trace_start_mu);
    return 0;
}
