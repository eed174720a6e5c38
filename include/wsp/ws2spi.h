/* SPDX-License-Identifier: MIT */
/* wsp — the Windows Sockets 2 Service Provider Interface.
 *
 * A provider is a module exporting WSPStartup.  The ws2 layer calls it only
 * through the WSPPROC_TABLE it fills in; the provider calls back only through
 * the WSPUPCALLTABLE it was given.  Member order and signatures are Windows'. */
#ifndef WSP_WS2SPI_H
#define WSP_WS2SPI_H

#include "winsock2.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WSPDESCRIPTION_LEN 255

typedef struct WSPData {
    WORD wVersion;
    WORD wHighVersion;
    WCHAR szDescription[WSPDESCRIPTION_LEN + 1];
} WSPDATA, *LPWSPDATA;

/* A thread that completion routines are queued to (WPUQueueApc). ws2 fills
 * it (WPUOpenCurrentThread, or the API for a call with a completion routine)
 * with ThreadHandle = an encoded handle of the thread's APC queue and
 * Reserved = 0. In the copy it passes to WPUQueueApc a provider may set
 * Reserved to an LPWSAUSERAPC "discard" function: if the APC is dropped
 * unrun because its thread exited first, ws2 calls discard(dwContext) (from
 * the exiting thread) so the provider frees the record behind dwContext; it
 * must not call into the application. See "Overlapped operations" below. */
typedef struct _WSATHREADID {
    HANDLE ThreadHandle;
    DWORD_PTR Reserved;
} WSATHREADID, *LPWSATHREADID;

typedef BOOL(CALLBACK *LPBLOCKINGCALLBACK)(DWORD_PTR dwContext);
typedef void(CALLBACK *LPWSAUSERAPC)(DWORD_PTR dwContext);

/* ---- provider entry points (WSPPROC_TABLE) ------------------------------- */
typedef SOCKET(WSPAPI *LPWSPACCEPT)(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                                    LPCONDITIONPROC lpfnCondition, DWORD_PTR dwCallbackData,
                                    LPINT lpErrno);
typedef INT(WSPAPI *LPWSPADDRESSTOSTRING)(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                          LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                          LPWSTR lpszAddressString, LPDWORD lpdwAddressStringLength,
                                          LPINT lpErrno);
typedef int(WSPAPI *LPWSPASYNCSELECT)(SOCKET s, HWND hWnd, unsigned int wMsg, LONG lEvent,
                                      LPINT lpErrno);
typedef int(WSPAPI *LPWSPBIND)(SOCKET s, const struct sockaddr *name, int namelen, LPINT lpErrno);
typedef int(WSPAPI *LPWSPCANCELBLOCKINGCALL)(LPINT lpErrno);
typedef int(WSPAPI *LPWSPCLEANUP)(LPINT lpErrno);
typedef int(WSPAPI *LPWSPCLOSESOCKET)(SOCKET s, LPINT lpErrno);
typedef int(WSPAPI *LPWSPCONNECT)(SOCKET s, const struct sockaddr *name, int namelen,
                                  LPWSABUF lpCallerData, LPWSABUF lpCalleeData, LPQOS lpSQOS,
                                  LPQOS lpGQOS, LPINT lpErrno);
typedef int(WSPAPI *LPWSPDUPLICATESOCKET)(SOCKET s, DWORD dwProcessId,
                                          LPWSAPROTOCOL_INFOW lpProtocolInfo, LPINT lpErrno);
typedef int(WSPAPI *LPWSPENUMNETWORKEVENTS)(SOCKET s, WSAEVENT hEventObject,
                                            LPWSANETWORKEVENTS lpNetworkEvents, LPINT lpErrno);
typedef int(WSPAPI *LPWSPEVENTSELECT)(SOCKET s, WSAEVENT hEventObject, LONG lNetworkEvents,
                                      LPINT lpErrno);
typedef BOOL(WSPAPI *LPWSPGETOVERLAPPEDRESULT)(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                               LPDWORD lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags,
                                               LPINT lpErrno);
typedef int(WSPAPI *LPWSPGETPEERNAME)(SOCKET s, struct sockaddr *name, LPINT namelen,
                                      LPINT lpErrno);
typedef int(WSPAPI *LPWSPGETSOCKNAME)(SOCKET s, struct sockaddr *name, LPINT namelen,
                                      LPINT lpErrno);
typedef int(WSPAPI *LPWSPGETSOCKOPT)(SOCKET s, int level, int optname, char *optval, LPINT optlen,
                                     LPINT lpErrno);
typedef BOOL(WSPAPI *LPWSPGETQOSBYNAME)(SOCKET s, LPWSABUF lpQOSName, LPQOS lpQOS, LPINT lpErrno);
typedef int(WSPAPI *LPWSPIOCTL)(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer,
                                DWORD cbInBuffer, LPVOID lpvOutBuffer, DWORD cbOutBuffer,
                                LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED lpOverlapped,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                                LPWSATHREADID lpThreadId, LPINT lpErrno);
typedef SOCKET(WSPAPI *LPWSPJOINLEAF)(SOCKET s, const struct sockaddr *name, int namelen,
                                      LPWSABUF lpCallerData, LPWSABUF lpCalleeData, LPQOS lpSQOS,
                                      LPQOS lpGQOS, DWORD dwFlags, LPINT lpErrno);
typedef int(WSPAPI *LPWSPLISTEN)(SOCKET s, int backlog, LPINT lpErrno);
typedef int(WSPAPI *LPWSPRECV)(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                               LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                               LPWSAOVERLAPPED lpOverlapped,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                               LPWSATHREADID lpThreadId, LPINT lpErrno);
typedef int(WSPAPI *LPWSPRECVDISCONNECT)(SOCKET s, LPWSABUF lpInboundDisconnectData, LPINT lpErrno);
typedef int(WSPAPI *LPWSPRECVFROM)(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                   LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                                   struct sockaddr *lpFrom, LPINT lpFromlen,
                                   LPWSAOVERLAPPED lpOverlapped,
                                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                                   LPWSATHREADID lpThreadId, LPINT lpErrno);
typedef int(WSPAPI *LPWSPSELECT)(int nfds, wsp_fd_set *readfds, wsp_fd_set *writefds,
                                 wsp_fd_set *exceptfds, const struct timeval *timeout,
                                 LPINT lpErrno);
typedef int(WSPAPI *LPWSPSEND)(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                               LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                               LPWSAOVERLAPPED lpOverlapped,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                               LPWSATHREADID lpThreadId, LPINT lpErrno);
typedef int(WSPAPI *LPWSPSENDDISCONNECT)(SOCKET s, LPWSABUF lpOutboundDisconnectData,
                                         LPINT lpErrno);
typedef int(WSPAPI *LPWSPSENDTO)(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                 LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                                 const struct sockaddr *lpTo, int iTolen,
                                 LPWSAOVERLAPPED lpOverlapped,
                                 LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                                 LPWSATHREADID lpThreadId, LPINT lpErrno);
typedef int(WSPAPI *LPWSPSETSOCKOPT)(SOCKET s, int level, int optname, const char *optval,
                                     int optlen, LPINT lpErrno);
typedef int(WSPAPI *LPWSPSHUTDOWN)(SOCKET s, int how, LPINT lpErrno);
typedef SOCKET(WSPAPI *LPWSPSOCKET)(int af, int type, int protocol,
                                    LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g, DWORD dwFlags,
                                    LPINT lpErrno);
typedef INT(WSPAPI *LPWSPSTRINGTOADDRESS)(LPWSTR AddressString, INT AddressFamily,
                                          LPWSAPROTOCOL_INFOW lpProtocolInfo, LPSOCKADDR lpAddress,
                                          LPINT lpAddressLength, LPINT lpErrno);

typedef struct _WSPPROC_TABLE {
    LPWSPACCEPT lpWSPAccept;
    LPWSPADDRESSTOSTRING lpWSPAddressToString;
    LPWSPASYNCSELECT lpWSPAsyncSelect;
    LPWSPBIND lpWSPBind;
    LPWSPCANCELBLOCKINGCALL lpWSPCancelBlockingCall;
    LPWSPCLEANUP lpWSPCleanup;
    LPWSPCLOSESOCKET lpWSPCloseSocket;
    LPWSPCONNECT lpWSPConnect;
    LPWSPDUPLICATESOCKET lpWSPDuplicateSocket;
    LPWSPENUMNETWORKEVENTS lpWSPEnumNetworkEvents;
    LPWSPEVENTSELECT lpWSPEventSelect;
    LPWSPGETOVERLAPPEDRESULT lpWSPGetOverlappedResult;
    LPWSPGETPEERNAME lpWSPGetPeerName;
    LPWSPGETSOCKNAME lpWSPGetSockName;
    LPWSPGETSOCKOPT lpWSPGetSockOpt;
    LPWSPGETQOSBYNAME lpWSPGetQOSByName;
    LPWSPIOCTL lpWSPIoctl;
    LPWSPJOINLEAF lpWSPJoinLeaf;
    LPWSPLISTEN lpWSPListen;
    LPWSPRECV lpWSPRecv;
    LPWSPRECVDISCONNECT lpWSPRecvDisconnect;
    LPWSPRECVFROM lpWSPRecvFrom;
    LPWSPSELECT lpWSPSelect;
    LPWSPSEND lpWSPSend;
    LPWSPSENDDISCONNECT lpWSPSendDisconnect;
    LPWSPSENDTO lpWSPSendTo;
    LPWSPSETSOCKOPT lpWSPSetSockOpt;
    LPWSPSHUTDOWN lpWSPShutdown;
    LPWSPSOCKET lpWSPSocket;
    LPWSPSTRINGTOADDRESS lpWSPStringToAddress;
} WSPPROC_TABLE, *LPWSPPROC_TABLE;

#define WSP_PROC_TABLE_ENTRIES 30

/* ---- upcalls (WSPUPCALLTABLE) -------------------------------------------- */
typedef BOOL(WSPAPI *LPWPUCLOSEEVENT)(WSAEVENT hEvent, LPINT lpErrno);
typedef int(WSPAPI *LPWPUCLOSESOCKETHANDLE)(SOCKET s, LPINT lpErrno);
typedef WSAEVENT(WSPAPI *LPWPUCREATEEVENT)(LPINT lpErrno);
typedef SOCKET(WSPAPI *LPWPUCREATESOCKETHANDLE)(DWORD dwCatalogEntryId, DWORD_PTR dwContext,
                                                LPINT lpErrno);
typedef int(WSPAPI *LPWPUFDISSET)(SOCKET s, wsp_fd_set *fdset);
typedef int(WSPAPI *LPWPUGETPROVIDERPATH)(LPGUID lpProviderId, WCHAR *lpszProviderDllPath,
                                          LPINT lpProviderDllPathLen, LPINT lpErrno);
typedef SOCKET(WSPAPI *LPWPUMODIFYIFSHANDLE)(DWORD dwCatalogEntryId, SOCKET ProposedHandle,
                                             LPINT lpErrno);
typedef BOOL(WSPAPI *LPWPUPOSTMESSAGE)(HWND hWnd, UINT Msg, WPARAM wParam, LPARAM lParam);
typedef int(WSPAPI *LPWPUQUERYBLOCKINGCALLBACK)(DWORD dwCatalogEntryId,
                                                LPBLOCKINGCALLBACK *lplpfnCallback,
                                                PDWORD_PTR lpdwContext, LPINT lpErrno);
typedef int(WSPAPI *LPWPUQUERYSOCKETHANDLECONTEXT)(SOCKET s, PDWORD_PTR lpContext, LPINT lpErrno);
typedef int(WSPAPI *LPWPUQUEUEAPC)(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc,
                                   DWORD_PTR dwContext, LPINT lpErrno);
typedef BOOL(WSPAPI *LPWPURESETEVENT)(WSAEVENT hEvent, LPINT lpErrno);
typedef BOOL(WSPAPI *LPWPUSETEVENT)(WSAEVENT hEvent, LPINT lpErrno);
typedef int(WSPAPI *LPWPUOPENCURRENTTHREAD)(LPWSATHREADID lpThreadId, LPINT lpErrno);
typedef int(WSPAPI *LPWPUCLOSETHREAD)(LPWSATHREADID lpThreadId, LPINT lpErrno);

typedef struct _WSPUPCALLTABLE {
    LPWPUCLOSEEVENT lpWPUCloseEvent;
    LPWPUCLOSESOCKETHANDLE lpWPUCloseSocketHandle;
    LPWPUCREATEEVENT lpWPUCreateEvent;
    LPWPUCREATESOCKETHANDLE lpWPUCreateSocketHandle;
    LPWPUFDISSET lpWPUFDIsSet;
    LPWPUGETPROVIDERPATH lpWPUGetProviderPath;
    LPWPUMODIFYIFSHANDLE lpWPUModifyIFSHandle;
    LPWPUPOSTMESSAGE lpWPUPostMessage;
    LPWPUQUERYBLOCKINGCALLBACK lpWPUQueryBlockingCallback;
    LPWPUQUERYSOCKETHANDLECONTEXT lpWPUQuerySocketHandleContext;
    LPWPUQUEUEAPC lpWPUQueueApc;
    LPWPURESETEVENT lpWPUResetEvent;
    LPWPUSETEVENT lpWPUSetEvent;
    LPWPUOPENCURRENTTHREAD lpWPUOpenCurrentThread;
    LPWPUCLOSETHREAD lpWPUCloseThread;
} WSPUPCALLTABLE, *LPWSPUPCALLTABLE;

typedef int(WSPAPI *LPWSPSTARTUP)(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                  LPWSAPROTOCOL_INFOW lpProtocolInfo, WSPUPCALLTABLE UpcallTable,
                                  LPWSPPROC_TABLE lpProcTable);

/* ---- Layered providers: what ws2 guarantees ---------------------------------
 * (docs/writing-a-provider.md walks through src/providers/trace, the sample.)
 *
 * Starting. WSASocket on a protocol chain entry (ChainLen 2-7) loads the
 * module of the chain's top layer (the layered entry ChainEntries[0]) and
 * calls its WSPStartup once per chain provider GUID, with the WSAPROTOCOL_INFOW
 * of the first chain entry of that GUID used, and this upcall table. Later
 * sockets on other chains of the same GUID reach WSPSocket with their own
 * chain's info: a layer serves each chain by lpProtocolInfo->dwCatalogEntryId.
 * The layer finds the provider under it itself, through the exported catalog
 * calls (WSCEnumProtocols, WSCGetProviderPath; not libwsp internals), dlopens
 * it and calls its WSPStartup with the same upcall table. ws2 calls the
 * layer's WSPCleanup once per WSPStartup at the last WSACleanup; the layer's
 * last WSPCleanup releases the sockets still open (WPUCloseSocketHandle, and
 * the socket under each), calls the WSPCleanup of every provider it started
 * (so cleanup runs down the chain) and dlcloses them; a later call answers
 * WSAENETDOWN, as a base provider does.
 *
 * Handles (the non-IFS model, the only one here). A layered socket's handle
 * comes from WPUCreateSocketHandle(the chain's dwCatalogEntryId, context):
 * ws2 then sends every call on it to the layer, which finds its context with
 * WPUQuerySocketHandleContext. The socket under it is the next provider's
 * own handle (made by that provider for its own catalog id); the application
 * never sees it and the layer uses it only inside a call on its own handle.
 *
 * Lifetime during a call. While ws2 runs a call on handle s (any WSP* proc
 * that takes s, and WSPSelect for every handle in its sets) s is pinned: its
 * context stays valid and WPUCloseSocketHandle(s) from another thread waits
 * until the call has returned. closesocket marks s closing before it calls
 * WSPCloseSocket (new calls on s get WSAENOTSOCK; a second closesocket never
 * reaches the provider) and holds no pin across it. So a layer's
 * WSPCloseSocket closes the socket under it exactly once: first
 * WPUCloseSocketHandle(s) (after it returns no call on s is running or can
 * start), then the lower WSPCloseSocket, then free the context. Note that
 * this waits for calls still blocked on s in other threads: a layer does not
 * interrupt them (shut the socket down first, or use timeouts). At the last
 * WSACleanup ws2 closes every layered socket still open (through its layer)
 * before the base sockets, so a layer never finds the socket under it closed
 * by somebody else.
 *
 * Upcalls and threads. Every upcall may be made from any thread, during any
 * call ws2 made into the provider or from the provider's own threads, and
 * also from WSPStartup/WSPCleanup, with these limits: WPUCloseSocketHandle(s)
 * must not be called by a thread inside a call on s (it would wait for
 * itself); WPUCreateSocketHandle needs a catalog id that exists; API calls
 * that would load a provider (WSASocket, ...), WSAStartup and WSACleanup
 * fail with WSAEINPROGRESS from inside WSPStartup/WSPCleanup (below). */

/* The one symbol every provider module exports. WSPStartup and WSPCleanup may
 * use the upcalls, but a call back into the API that would have to load a
 * provider not started yet (WSASocket, WSAAddressToString, ...) fails with
 * WSAEINPROGRESS ("the service provider is still processing a callback
 * function"), and so do WSAStartup and WSACleanup: the loader is busy on this
 * very thread. A provider that needs another one loads it itself. The loader
 * then goes on with whatever WSPStartup returns. */
int WSPAPI WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                      LPWSAPROTOCOL_INFOW lpProtocolInfo, WSPUPCALLTABLE UpcallTable,
                      LPWSPPROC_TABLE lpProcTable);

/* ---- Overlapped operations: the rules between ws2 and a provider ---------
 * A provider that accepts an lpOverlapped owns the WSAOVERLAPPED's Internal,
 * InternalHigh and Offset until it completes the operation (hEvent is the
 * application's). At submission, before it returns WSA_IO_PENDING, it sets
 * Internal = WSS_OPERATION_IN_PROGRESS. To complete, it stores Offset = the
 * operation's flags (WSPRecv: MSG_PARTIAL and the like; else 0), then either
 *  - with no completion routine: calls WPUCompleteOverlappedRequest(s, ov,
 *    dwError, cbTransferred), which stores InternalHigh = cbTransferred and
 *    last, with release ordering, Internal = dwError (0 = success, else a
 *    WSAE* code); then signals hEvent (unless NULL) and, when s is associated
 *    with a completion port and the low bit of hEvent is clear, queues
 *    (key, ov, cbTransferred, dwError) to the port;
 *  - with a completion routine: stores InternalHigh and Internal itself the
 *    same way and queues the routine to the issuing thread with
 *    WPUQueueApc(the WSATHREADID it was given, copied at submission). ws2 runs
 *    queued routines only in that thread's alertable waits
 *    (WSAWaitForMultipleEvents(..., TRUE), SleepEx(..., TRUE)), never in
 *    another thread. WPUQueueApc to a thread that has exited fails with
 *    WSAEINVAL (the provider then frees its record itself); APCs still queued
 *    when their thread exits are dropped unrun, as on Windows, each one's
 *    discard function (WSATHREADID.Reserved, above) called instead. ws2
 *    holds a reference to the module of a queued APC function until it has
 *    run or been dropped, so a routine of an operation that the last
 *    WSACleanup aborted still runs after the provider is unloaded. The
 *    WSATHREADID the API passes is filled only for a call with both
 *    lpOverlapped and lpCompletionRoutine (else it is all zero); the
 *    provider need not WPUCloseThread it.
 * An operation that completes at once is still reported the same way (event,
 * port or routine), as on Windows. WSPGetOverlappedResult reads the fields
 * back: Internal == WSS_OPERATION_IN_PROGRESS is WSA_IO_INCOMPLETE (or a wait
 * when fWait), else the status in Internal, the count in InternalHigh, the
 * flags in Offset. WPUCompleteOverlappedRequest is exported by libwsp rather
 * than placed in the upcall table (as ws2_32 does on Windows): a module finds
 * it with dlsym(RTLD_DEFAULT, "WPUCompleteOverlappedRequest").
 *
 * Cancelling (CancelIoEx on a socket) reaches the provider as WSPIoctl(s,
 * SIO_WSP_CANCEL_OVERLAPPED, &lpOverlapped, sizeof(LPWSAOVERLAPPED), ...) with
 * no lpOverlapped of its own; a NULL pointer in the input means every
 * operation on s. The provider completes each matching operation with
 * WSA_OPERATION_ABORTED, or fails with WSP_ERROR_NOT_FOUND when there is none.
 * CancelIo reaches it as WSPIoctl(s, SIO_WSP_CANCEL_OVERLAPPED_THREAD, NULL,
 * 0, ...), called in the thread that called CancelIo: the provider completes
 * the operations on s that this thread issued (the thread that called the
 * WSPSend, WSPRecv, ... that started them) the same way, or fails with
 * WSP_ERROR_NOT_FOUND when there is none. A separate code, so that a provider
 * that does not know it refuses it (WSAEINVAL) rather than cancelling the
 * operations of every thread (wsp's provider kit records each operation's
 * issuing thread).
 * WSPCloseSocket completes every operation still pending on s with
 * WSA_OPERATION_ABORTED before it returns. */
#define WSS_OPERATION_IN_PROGRESS 0x00000103uL
#define SIO_WSP_CANCEL_OVERLAPPED (WSP_IOC_IN | 0x18000000u | 0x5701u) /* wsp's own vendor code */
#define SIO_WSP_CANCEL_OVERLAPPED_THREAD (WSP_IOC_VOID | 0x18000000u | 0x5702u) /* CancelIo */
#define WSP_ERROR_NOT_FOUND 1168 /* Windows' ERROR_NOT_FOUND */

typedef int(WSPAPI *LPWPUCOMPLETEOVERLAPPEDREQUEST)(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                                    DWORD dwError, DWORD cbTransferred,
                                                    LPINT lpErrno);
WSP_EXPORT int WSPAPI WPUCompleteOverlappedRequest(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                                   DWORD dwError, DWORD cbTransferred,
                                                   LPINT lpErrno);

/* The application's last error, set by a provider. Microsoft's extension
 * functions (<wsp/mswsock.h>: AcceptEx, ConnectEx, WSARecvMsg ...) are
 * called by the application directly, not through libwsp, and report their
 * errors through WSAGetLastError; a provider stores that value with
 * WPUSetLastError(iError), found like WPUCompleteOverlappedRequest with
 * dlsym(RTLD_DEFAULT, "WPUSetLastError"). It is WSASetLastError under a
 * provider's name (ws2_32 lets a provider call WSASetLastError; wsp keeps
 * a provider's calls into libwsp to the upcalls and the WPU exports). */
typedef void(WSPAPI *LPWPUSETLASTERROR)(int iError);
WSP_EXPORT void WSPAPI WPUSetLastError(int iError);

/* The calling thread issued an overlapped operation (a provider calls it at
 * least once per thread, before the operation can complete; more calls cost
 * a thread-local test). When such a thread exits, libwsp cancels what it
 * issued on every open socket not associated with a completion port, from
 * that thread, as CancelIo does (WSPIoctl SIO_WSP_CANCEL_OVERLAPPED_THREAD):
 * Windows cancels a thread's I/O when it exits (WSASend page), except, since
 * Vista, I/O on a handle associated with a completion port. wsp's provider
 * kit (ovl_op_new) calls it; found like WPUCompleteOverlappedRequest, with
 * dlsym(RTLD_DEFAULT, "WPUNoteIssuingThread"). */
typedef void(WSPAPI *LPWPUNOTEISSUINGTHREAD)(void);
WSP_EXPORT void WSPAPI WPUNoteIssuingThread(void);

/* Port polling (a wsp extension): the threads waiting on a completion port
 * make progress on the sockets associated with it themselves, so that a
 * completion does not travel from a provider's thread to a waiter. A provider
 * registers a poll procedure once (WPURegisterPortPoller: 0 and *lpId, or
 * WSAENOBUFS when 16 are registered). For a socket s associated with a port,
 * WPUGetPortPollSet gives the epoll set of that port and a tag: the provider
 * adds its descriptor there (epoll_ctl, edge-triggered) with data.u64 = tag |
 * cookie, cookie < 2^56; each report then runs proc(cookie, events) in a
 * thread waiting on the port, or in the port's own thread when none waits,
 * and proc completes what became ready (WPUCompleteOverlappedRequest). 0, or
 * WSAEINVAL (s is on no open port, or id is not registered) or WSAENOBUFS.
 * The set lives as long as the process: a descriptor may be deleted from it
 * after the port was closed. WPUDeregisterPortPoller returns when no thread
 * runs proc any more; reports arriving later are dropped. All three are
 * found like WPUCompleteOverlappedRequest, with dlsym(RTLD_DEFAULT, name). */
typedef void(WSPAPI *LPWPUPORTPOLLPROC)(ULONG_PTR cookie, DWORD events);
typedef int(WSPAPI *LPWPUREGISTERPORTPOLLER)(LPWPUPORTPOLLPROC proc, LPDWORD lpId);
typedef void(WSPAPI *LPWPUDEREGISTERPORTPOLLER)(DWORD id);
typedef int(WSPAPI *LPWPUGETPORTPOLLSET)(SOCKET s, DWORD id, int *lpFd, unsigned long long *lpTag);
WSP_EXPORT int WSPAPI WPURegisterPortPoller(LPWPUPORTPOLLPROC proc, LPDWORD lpId);
WSP_EXPORT void WSPAPI WPUDeregisterPortPoller(DWORD id);
WSP_EXPORT int WSPAPI WPUGetPortPollSet(SOCKET s, DWORD id, int *lpFd, unsigned long long *lpTag);

/* The process's poll set (a wsp extension, with port polling): one epoll set
 * and one libwsp thread per process, for the sockets on no completion port,
 * so that providers need no watcher thread of their own. A provider with a
 * poll procedure registered (WPURegisterPortPoller) adds its descriptors to
 * *lpFd with data.u64 = *lpTag | cookie, as in a port's set, and libwsp's
 * thread runs proc(cookie, events) for each report. 0, or WSAEINVAL (id is
 * not registered) or WSAENOBUFS (the set or its thread could not be made).
 * The set lives as long as the process; a child of fork() gets a set of its
 * own at its first call, never the parent's. Found with dlsym like the
 * others. */
typedef int(WSPAPI *LPWPUGETPROCESSPOLLSET)(DWORD id, int *lpFd, unsigned long long *lpTag);
WSP_EXPORT int WSPAPI WPUGetProcessPollSet(DWORD id, int *lpFd, unsigned long long *lpTag);

/* ---- catalog installation (WSC*) ----------------------------------------
 * Persistent, as on Windows: the catalog is one JSON file (docs/catalog.md)
 * at $WSP_CATALOG, else $XDG_CONFIG_HOME/wsp/catalog.json, else
 * ~/.config/wsp/catalog.json, else the system default under the install's
 * sysconfdir (the variables are read with secure_getenv: a privileged program
 * gets the system file). The built-in entries 1001-1006 are always there. A
 * writer locks the file, reads it, changes it and replaces it atomically, so
 * concurrent installers in several processes all keep their entries; another
 * process sees a change at its next WSAStartup (the WSC calls themselves read
 * the file each time). A file that cannot be read or parsed: the writers fail
 * with WSASYSCALLFAILURE and write nothing, the catalog in memory is the
 * built-in entries alone, and wsp_catalog_status (wspext.h) says which file
 * and line is wrong.
 *
 * lpszProviderDllPath is an absolute module path, or a bare file name that
 * is searched in $WSP_PROVIDER_PATH (':'-separated, absolute directories
 * only, ignored in setuid/setgid programs), then in "wsp/" next to libwsp,
 * then in the install module directory. A relative path with a directory
 * part, or one that is not well-formed UTF-16, is WSAEINVAL. At load time a
 * module that others could have written (world-writable file or directory;
 * more in privileged programs) is refused with WSAEPROVIDERFAILEDINIT: see
 * docs/loader.md. Installed entries get new catalog ids (from 2001 on, above
 * every id in the file), written back into lpProtocolInfoList[i].
 * dwCatalogEntryId when that memory is writable; ProviderId is set to
 * lpProviderId; a base or layered entry gets its own id as ChainEntries[0].
 *
 * Protocol chains: ChainLen 0 is a layered entry, 1 a base entry, 2-7 a
 * chain whose ChainEntries are layered entries from the top down and a base
 * entry last, all already in the catalog. A longer chain, one naming an
 * unknown entry or an entry of the wrong kind, a GUID already installed:
 * WSAEINVAL. WSCDeinstallProvider refuses (WSAEINVAL, nothing changes) a
 * built-in provider and a provider whose entries another provider's chain
 * still names: remove the chain first. WSASocket on a chain entry starts
 * the chain's top layer (see "Layered providers" above); a chain whose top
 * module cannot be loaded or started fails with WSAEPROVIDERFAILEDINIT.
 *
 * Return 0 or SOCKET_ERROR with the code in *lpErrno (WSAEINVAL; WSAEFAULT;
 * WSAENOBUFS; WSASYSCALLFAILURE: the catalog file cannot be read, locked or
 * written, or is corrupt). A deinstalled provider disappears from the catalog
 * at once; sockets already open on it keep working until closed. */
WSP_EXPORT int WSPAPI WSCInstallProvider(LPGUID lpProviderId, const WCHAR *lpszProviderDllPath,
                                         LPWSAPROTOCOL_INFOW lpProtocolInfoList,
                                         DWORD dwNumberOfEntries, LPINT lpErrno);
WSP_EXPORT int WSPAPI WSCDeinstallProvider(LPGUID lpProviderId, LPINT lpErrno);
/* Replaces an installed provider's module path and its entries, one for one
 * in catalog order (dwNumberOfEntries must be its number of entries); each
 * keeps its catalog id. WSAEINVAL for a built-in or unknown provider. */
WSP_EXPORT int WSPAPI WSCUpdateProvider(LPGUID lpProviderId, const WCHAR *lpszProviderDllPath,
                                        const LPWSAPROTOCOL_INFOW lpProtocolInfoList,
                                        DWORD dwNumberOfEntries, LPINT lpErrno);
/* The new order of the whole catalog: every entry id exactly once (else
 * WSAEINVAL). Returns the error itself: 0 (ERROR_SUCCESS), WSAEINVAL,
 * WSAEFAULT, WSA_NOT_ENOUGH_MEMORY or WSASYSCALLFAILURE. WSAEnumProtocols
 * and WSASocket's matching follow this order. */
WSP_EXPORT int WSPAPI WSCWriteProviderOrder(LPDWORD lpwdCatalogEntryId, DWORD dwNumberOfEntries);
/* The resolved module path; *lpProviderDllPathLen is the buffer size in
 * WCHARs (NUL included); too small: WSAEFAULT and the needed size. */
WSP_EXPORT int WSPAPI WSCGetProviderPath(LPGUID lpProviderId, WCHAR *lpszProviderDllPath,
                                         LPINT lpProviderDllPathLen, LPINT lpErrno);
/* Like WSAEnumProtocolsW, but also lists hidden and layered entries. */
WSP_EXPORT int WSPAPI WSCEnumProtocols(LPINT lpiProtocols, LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                                       LPDWORD lpdwBufferLength, LPINT lpErrno);

#ifdef __cplusplus
}
#endif
#endif
