/* WSPStartup / WSPCleanup of the itot module: start count, upcall table, proc
 * table.  After the last WSPCleanup every entry answers WSAENETDOWN (C9). */
#include <time.h>

#include "provider.h"

WSPUPCALLTABLE itot_upcalls;
atomic_bool itot_live;
_Thread_local int itot_in_callback;

static pthread_mutex_t itot_start_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned itot_start_count;

static const WSPPROC_TABLE itot_procs = {
    .lpWSPAccept = itot_WSPAccept,
    .lpWSPAddressToString = itot_WSPAddressToString,
    .lpWSPAsyncSelect = itot_WSPAsyncSelect,
    .lpWSPBind = itot_WSPBind,
    .lpWSPCancelBlockingCall = itot_WSPCancelBlockingCall,
    .lpWSPCleanup = itot_WSPCleanup,
    .lpWSPCloseSocket = itot_WSPCloseSocket,
    .lpWSPConnect = itot_WSPConnect,
    .lpWSPDuplicateSocket = itot_WSPDuplicateSocket,
    .lpWSPEnumNetworkEvents = itot_WSPEnumNetworkEvents,
    .lpWSPEventSelect = itot_WSPEventSelect,
    .lpWSPGetOverlappedResult = itot_WSPGetOverlappedResult,
    .lpWSPGetPeerName = itot_WSPGetPeerName,
    .lpWSPGetSockName = itot_WSPGetSockName,
    .lpWSPGetSockOpt = itot_WSPGetSockOpt,
    .lpWSPGetQOSByName = itot_WSPGetQOSByName,
    .lpWSPIoctl = itot_WSPIoctl,
    .lpWSPJoinLeaf = itot_WSPJoinLeaf,
    .lpWSPListen = itot_WSPListen,
    .lpWSPRecv = itot_WSPRecv,
    .lpWSPRecvDisconnect = itot_WSPRecvDisconnect,
    .lpWSPRecvFrom = itot_WSPRecvFrom,
    .lpWSPSelect = itot_WSPSelect,
    .lpWSPSend = itot_WSPSend,
    .lpWSPSendDisconnect = itot_WSPSendDisconnect,
    .lpWSPSendTo = itot_WSPSendTo,
    .lpWSPSetSockOpt = itot_WSPSetSockOpt,
    .lpWSPShutdown = itot_WSPShutdown,
    .lpWSPSocket = itot_WSPSocket,
    .lpWSPStringToAddress = itot_WSPStringToAddress,
};

static const char itot_description[] = "wsp itot provider (ISO transport over TCP, RFC 1006/2126)";

uint64_t itot_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

__attribute__((visibility("default"))) int WSPAPI WSPStartup(WORD wVersionRequested,
                                                             LPWSPDATA lpWSPData,
                                                             LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                                             WSPUPCALLTABLE UpcallTable,
                                                             LPWSPPROC_TABLE lpProcTable)
{
    (void)lpProtocolInfo; /* each WSPSocket brings its own catalog entry */
    if (lpWSPData == NULL || lpProcTable == NULL)
        return WSAEFAULT;
    if (LOBYTE(wVersionRequested) < 2 ||
        (LOBYTE(wVersionRequested) == 2 && HIBYTE(wVersionRequested) < 2))
        return WSAVERNOTSUPPORTED;
    if (UpcallTable.lpWPUCreateSocketHandle == NULL ||
        UpcallTable.lpWPUQuerySocketHandleContext == NULL ||
        UpcallTable.lpWPUCloseSocketHandle == NULL)
        return WSAEINVALIDPROCTABLE;

    pthread_mutex_lock(&itot_start_lock);
    if (itot_start_count++ == 0) {
        itot_upcalls = UpcallTable;
        atomic_store_explicit(&itot_live, true, memory_order_release);
    }
    pthread_mutex_unlock(&itot_start_lock);

    lpWSPData->wVersion = MAKEWORD(2, 2);
    lpWSPData->wHighVersion = MAKEWORD(2, 2);
    size_t i = 0;
    for (; itot_description[i] != '\0' && i < WSPDESCRIPTION_LEN; i++)
        lpWSPData->szDescription[i] = (WCHAR)itot_description[i];
    lpWSPData->szDescription[i] = 0;
    *lpProcTable = itot_procs;
    return 0;
}

int WSPAPI itot_WSPCleanup(LPINT lpErrno)
{
    if (itot_in_callback)
        return itot_fail(lpErrno, WSAEINPROGRESS);
    pthread_mutex_lock(&itot_start_lock);
    if (itot_start_count == 0) {
        pthread_mutex_unlock(&itot_start_lock);
        return itot_fail(lpErrno, WSANOTINITIALISED);
    }
    if (--itot_start_count == 0) {
        atomic_store_explicit(&itot_live, false, memory_order_release);
        itot_close_all();
        itot_engine_stop();
    }
    pthread_mutex_unlock(&itot_start_lock);
    return 0;
}
