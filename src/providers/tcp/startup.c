/* WSPStartup / WSPCleanup: the start count, the upcall table and the proc
 * table.  After the last WSPCleanup every entry point answers WSAENETDOWN (C9)
 * until the next WSPStartup. */
#include "common/spi_start.h"
#include "tcp.h"

WSPUPCALLTABLE tcp_upcalls;
atomic_bool tcp_live;
_Thread_local int tcp_in_callback;

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

/* What the last WSPCleanup releases: sockets the application never closed,
 * then the event watcher. */
static void tcp_last_cleanup(void)
{
    tcp_sock_close_all();
    tcp_events_stop();
}

static struct spi_start tcp_start = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .live = &tcp_live,
    .upcalls = &tcp_upcalls,
    .description = tcp_description,
    .procs = &tcp_procs,
    .last_cleanup = tcp_last_cleanup,
};

__attribute__((visibility("default"))) int WSPAPI WSPStartup(WORD wVersionRequested,
                                                             LPWSPDATA lpWSPData,
                                                             LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                                             WSPUPCALLTABLE UpcallTable,
                                                             LPWSPPROC_TABLE lpProcTable)
{
    (void)lpProtocolInfo; /* each WSPSocket call brings its own catalog entry */
    return spi_startup(&tcp_start, wVersionRequested, lpWSPData, &UpcallTable, lpProcTable);
}

int WSPAPI tcp_WSPCleanup(LPINT lpErrno)
{
    if (tcp_in_callback)
        return tcp_fail(lpErrno, WSAEINPROGRESS);
    int err = spi_cleanup(&tcp_start);
    return err ? tcp_fail(lpErrno, err) : 0;
}
