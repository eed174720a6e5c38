/* SPDX-License-Identifier: MIT */
/* spi_procs — the 30 WSPPROC_TABLE entry points, listed once.  A provider
 * module names its entry points <prefix>_WSP<Name>; these macros declare them
 * with the function types of include/wsp/ws2spi.h (so a signature cannot
 * drift from the SPI) and build the module's WSPPROC_TABLE. */
#ifndef WSP_COMMON_SPI_PROCS_H
#define WSP_COMMON_SPI_PROCS_H

#include <wsp/ws2spi.h>

/* X(prefix, Name, NAME): Name as in lpWSP<Name>, NAME as in LPWSP<NAME>. */
#define SPI_PROC_LIST(X, p)                                                                        \
    X(p, Accept, ACCEPT)                                                                           \
    X(p, AddressToString, ADDRESSTOSTRING)                                                         \
    X(p, AsyncSelect, ASYNCSELECT)                                                                 \
    X(p, Bind, BIND)                                                                               \
    X(p, CancelBlockingCall, CANCELBLOCKINGCALL)                                                   \
    X(p, Cleanup, CLEANUP)                                                                         \
    X(p, CloseSocket, CLOSESOCKET)                                                                 \
    X(p, Connect, CONNECT)                                                                         \
    X(p, DuplicateSocket, DUPLICATESOCKET)                                                         \
    X(p, EnumNetworkEvents, ENUMNETWORKEVENTS)                                                     \
    X(p, EventSelect, EVENTSELECT)                                                                 \
    X(p, GetOverlappedResult, GETOVERLAPPEDRESULT)                                                 \
    X(p, GetPeerName, GETPEERNAME)                                                                 \
    X(p, GetSockName, GETSOCKNAME)                                                                 \
    X(p, GetSockOpt, GETSOCKOPT)                                                                   \
    X(p, GetQOSByName, GETQOSBYNAME)                                                               \
    X(p, Ioctl, IOCTL)                                                                             \
    X(p, JoinLeaf, JOINLEAF)                                                                       \
    X(p, Listen, LISTEN)                                                                           \
    X(p, Recv, RECV)                                                                               \
    X(p, RecvDisconnect, RECVDISCONNECT)                                                           \
    X(p, RecvFrom, RECVFROM)                                                                       \
    X(p, Select, SELECT)                                                                           \
    X(p, Send, SEND)                                                                               \
    X(p, SendDisconnect, SENDDISCONNECT)                                                           \
    X(p, SendTo, SENDTO)                                                                           \
    X(p, SetSockOpt, SETSOCKOPT)                                                                   \
    X(p, Shutdown, SHUTDOWN)                                                                       \
    X(p, Socket, SOCKET)                                                                           \
    X(p, StringToAddress, STRINGTOADDRESS)

/* The function type behind a WSPPROC_TABLE pointer type. */
#define SPI_PROC_DECLARE_ONE(p, Name, NAME) __typeof__(*(LPWSP##NAME)0) p##_WSP##Name;
#define SPI_PROC_ENTRY_ONE(p, Name, NAME) .lpWSP##Name = p##_WSP##Name,

/* Declarations of p_WSPAccept ... p_WSPStringToAddress. */
#define SPI_PROC_DECLARE(p) SPI_PROC_LIST(SPI_PROC_DECLARE_ONE, p)
/* Initializer of a WSPPROC_TABLE holding p_WSPAccept ... p_WSPStringToAddress. */
#define SPI_PROC_TABLE(p)                                                                          \
    {                                                                                              \
        SPI_PROC_LIST(SPI_PROC_ENTRY_ONE, p)                                                       \
    }

#endif
