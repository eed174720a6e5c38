/* WSPStartup / WSPCleanup: the start count, the upcall table and the proc
 * table.  After the last WSPCleanup every entry point answers WSAENETDOWN (C9)
 * until the next WSPStartup. */
#include <pthread.h>

#include "tcp.h"

WSPUPCALLTABLE tcp_upcalls;
atomic_bool tcp_live;
_Thread_local int tcp_in_callback;

static pthread_mutex_t tcp_start_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned tcp_start_count;

static const WSPPROC_TABLE tcp_procs = {
    .lpWSPAccept = tcp_WSPAccept,
    .lpWSPAddressToString = tcp_WSPAddressToString,
    .lpWSPAsyncSelect = tcp_WSPAsyncSelect,
    .lpWSPBind = tcp_WSPBind,
    .lpWSPCancelBlockingCall = tcp_WSPCancelBlockingCall,
    .lpWSPCleanup = tcp_WSPCleanup,
    .lpWSPCloseSocket = tcp_WSPCloseSocket,
    .lpWSPConnect = tcp_WSPConnect,
    .lpWSPDuplicateSocket = tcp_WSPDuplicateSocket,
    .lpWSPEnumNetworkEvents = tcp_WSPEnumNetworkEvents,
    .lpWSPEventSelect = tcp_WSPEventSelect,
    .lpWSPGetOverlappedResult = tcp_WSPGetOverlappedResult,
    .lpWSPGetPeerName = tcp_WSPGetPeerName,
    .lpWSPGetSockName = tcp_WSPGetSockName,
    .lpWSPGetSockOpt = tcp_WSPGetSockOpt,
    .lpWSPGetQOSByName = tcp_WSPGetQOSByName,
    .lpWSPIoctl = tcp_WSPIoctl,
    .lpWSPJoinLeaf = tcp_WSPJoinLeaf,
    .lpWSPListen = tcp_WSPListen,
    .lpWSPRecv = tcp_WSPRecv,
    .lpWSPRecvDisconnect = tcp_WSPRecvDisconnect,
    .lpWSPRecvFrom = tcp_WSPRecvFrom,
    .lpWSPSelect = tcp_WSPSelect,
    .lpWSPSend = tcp_WSPSend,
    .lpWSPSendDisconnect = tcp_WSPSendDisconnect,
    .lpWSPSendTo = tcp_WSPSendTo,
    .lpWSPSetSockOpt = tcp_WSPSetSockOpt,
    .lpWSPShutdown = tcp_WSPShutdown,
    .lpWSPSocket = tcp_WSPSocket,
    .lpWSPStringToAddress = tcp_WSPStringToAddress,
};

static const char tcp_description[] = "wsp tcp/udp base provider (POSIX sockets)";

__attribute__((visibility("default"))) int WSPAPI WSPStartup(WORD wVersionRequested,
                                                             LPWSPDATA lpWSPData,
                                                             LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                                             WSPUPCALLTABLE UpcallTable,
                                                             LPWSPPROC_TABLE lpProcTable)
{
    (void)lpProtocolInfo; /* each WSPSocket call brings its own catalog entry */
    if (lpWSPData == NULL || lpProcTable == NULL)
        return WSAEFAULT;
    /* 2.2 is the only SPI version there is; an older request cannot be served. */
    if (LOBYTE(wVersionRequested) < 2 ||
        (LOBYTE(wVersionRequested) == 2 && HIBYTE(wVersionRequested) < 2))
        return WSAVERNOTSUPPORTED;
    if (UpcallTable.lpWPUCreateSocketHandle == NULL ||
        UpcallTable.lpWPUQuerySocketHandleContext == NULL ||
        UpcallTable.lpWPUCloseSocketHandle == NULL)
        return WSAEINVALIDPROCTABLE;

    pthread_mutex_lock(&tcp_start_lock);
    if (tcp_start_count++ == 0) {
        tcp_upcalls = UpcallTable;
        atomic_store_explicit(&tcp_live, true, memory_order_release);
    }
    pthread_mutex_unlock(&tcp_start_lock);

    lpWSPData->wVersion = MAKEWORD(2, 2);
    lpWSPData->wHighVersion = MAKEWORD(2, 2);
    size_t i = 0;
    for (; tcp_description[i] != '\0' && i < WSPDESCRIPTION_LEN; i++)
        lpWSPData->szDescription[i] = (WCHAR)tcp_description[i];
    lpWSPData->szDescription[i] = 0;
    *lpProcTable = tcp_procs;
    return 0;
}

int WSPAPI tcp_WSPCleanup(LPINT lpErrno)
{
    if (tcp_in_callback)
        return tcp_fail(lpErrno, WSAEINPROGRESS);
    pthread_mutex_lock(&tcp_start_lock);
    if (tcp_start_count == 0) {
        pthread_mutex_unlock(&tcp_start_lock);
        return tcp_fail(lpErrno, WSANOTINITIALISED);
    }
    if (--tcp_start_count == 0) {
        /* Refuse new calls first, then release what is left: sockets the
         * application never closed and the event watcher. */
        atomic_store_explicit(&tcp_live, false, memory_order_release);
        tcp_sock_close_all();
        tcp_events_stop();
    }
    pthread_mutex_unlock(&tcp_start_lock);
    return 0;
}
