/* SPDX-License-Identifier: MIT */
/* wsp — the Windows Sockets 2 application API on POSIX.
 *
 * Windows' type names, structure layouts and numeric values; system types stay
 * the system's (struct sockaddr, struct linger, struct timeval, AF_/SOCK_/
 * IPPROTO_/SOL_/SO_ constants of the platform).  Winsock names that clash with
 * libc are exported as wsp_* / WSP_*; define WSP_WINSOCK_NAMES before including
 * this header to get the plain Winsock names as macros (see the end of file). */
#ifndef WSP_WINSOCK2_H
#define WSP_WINSOCK2_H

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "wsptypes.h"
#include "ws2def.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sockets and buffers ------------------------------------------------ */
typedef uintptr_t SOCKET;
#define INVALID_SOCKET ((SOCKET)(~(SOCKET)0))
#define SOCKET_ERROR (-1)

typedef struct _WSABUF {
    ULONG len;
    CHAR *buf;
} WSABUF, *LPWSABUF;

typedef unsigned int GROUP;
typedef HANDLE WSAEVENT, *LPWSAEVENT;
#define WSA_INVALID_EVENT ((WSAEVENT)NULL)

typedef struct sockaddr SOCKADDR, *PSOCKADDR, *LPSOCKADDR;
/* Windows' names for the system's address and database structures: the
 * members a program uses have the same names on both (see docs/porting.md for
 * the member types that differ). */
typedef struct sockaddr_in SOCKADDR_IN, *PSOCKADDR_IN, *LPSOCKADDR_IN;
typedef struct sockaddr_storage SOCKADDR_STORAGE, *PSOCKADDR_STORAGE, *LPSOCKADDR_STORAGE;
typedef struct in_addr IN_ADDR, *PIN_ADDR, *LPIN_ADDR;
typedef struct timeval TIMEVAL, *PTIMEVAL, *LPTIMEVAL;
typedef struct linger LINGER, *PLINGER, *LPLINGER;
typedef struct hostent HOSTENT, *PHOSTENT, *LPHOSTENT;
typedef struct servent SERVENT, *PSERVENT, *LPSERVENT;
typedef struct protoent PROTOENT, *PPROTOENT, *LPPROTOENT;
typedef USHORT ADDRESS_FAMILY;

/* ---- WSAStartup ---------------------------------------------------------- */
#define WSADESCRIPTION_LEN 256
#define WSASYS_STATUS_LEN 128

typedef struct WSAData {
    WORD wVersion;
    WORD wHighVersion;
#if UINTPTR_MAX > 0xFFFFFFFFu
    unsigned short iMaxSockets;
    unsigned short iMaxUdpDg;
    char *lpVendorInfo;
    char szDescription[WSADESCRIPTION_LEN + 1];
    char szSystemStatus[WSASYS_STATUS_LEN + 1];
#else
    char szDescription[WSADESCRIPTION_LEN + 1];
    char szSystemStatus[WSASYS_STATUS_LEN + 1];
    unsigned short iMaxSockets;
    unsigned short iMaxUdpDg;
    char *lpVendorInfo;
#endif
} WSADATA, *LPWSADATA;

#define MAKEWORD(lo, hi) ((WORD)(((BYTE)(lo)) | ((WORD)((BYTE)(hi))) << 8))
#define LOBYTE(w) ((BYTE)((w)&0xff))
#define HIBYTE(w) ((BYTE)(((w) >> 8) & 0xff))

/* Windows' winsock2.h brings in windows.h, and Winsock programs use its
 * memory macros (ZeroMemory(&hints, sizeof hints)): the same, over libc. */
#ifndef ZeroMemory
#define ZeroMemory(p, n) ((void)memset((p), 0, (n)))
#define FillMemory(p, n, v) ((void)memset((p), (v), (n)))
#define CopyMemory(d, s, n) ((void)memcpy((d), (s), (n)))
#define MoveMemory(d, s, n) ((void)memmove((d), (s), (n)))
#endif

/* ---- protocol information ------------------------------------------------ */
#define MAX_PROTOCOL_CHAIN 7
#define BASE_PROTOCOL 1
#define LAYERED_PROTOCOL 0
#define WSAPROTOCOL_LEN 255

typedef struct _WSAPROTOCOLCHAIN {
    int ChainLen; /* 0 layered, 1 base, >1 chain */
    DWORD ChainEntries[MAX_PROTOCOL_CHAIN];
} WSAPROTOCOLCHAIN, *LPWSAPROTOCOLCHAIN;

typedef struct _WSAPROTOCOL_INFOA {
    DWORD dwServiceFlags1;
    DWORD dwServiceFlags2;
    DWORD dwServiceFlags3;
    DWORD dwServiceFlags4;
    DWORD dwProviderFlags;
    GUID ProviderId;
    DWORD dwCatalogEntryId;
    WSAPROTOCOLCHAIN ProtocolChain;
    int iVersion;
    int iAddressFamily;
    int iMaxSockAddr;
    int iMinSockAddr;
    int iSocketType;
    int iProtocol;
    int iProtocolMaxOffset;
    int iNetworkByteOrder;
    int iSecurityScheme;
    DWORD dwMessageSize;
    DWORD dwProviderReserved;
    CHAR szProtocol[WSAPROTOCOL_LEN + 1];
} WSAPROTOCOL_INFOA, *LPWSAPROTOCOL_INFOA;

typedef struct _WSAPROTOCOL_INFOW {
    DWORD dwServiceFlags1;
    DWORD dwServiceFlags2;
    DWORD dwServiceFlags3;
    DWORD dwServiceFlags4;
    DWORD dwProviderFlags;
    GUID ProviderId;
    DWORD dwCatalogEntryId;
    WSAPROTOCOLCHAIN ProtocolChain;
    int iVersion;
    int iAddressFamily;
    int iMaxSockAddr;
    int iMinSockAddr;
    int iSocketType;
    int iProtocol;
    int iProtocolMaxOffset;
    int iNetworkByteOrder;
    int iSecurityScheme;
    DWORD dwMessageSize;
    DWORD dwProviderReserved;
    WCHAR szProtocol[WSAPROTOCOL_LEN + 1];
} WSAPROTOCOL_INFOW, *LPWSAPROTOCOL_INFOW;

/* dwServiceFlags1 */
#define XP1_CONNECTIONLESS 0x00000001
#define XP1_GUARANTEED_DELIVERY 0x00000002
#define XP1_GUARANTEED_ORDER 0x00000004
#define XP1_MESSAGE_ORIENTED 0x00000008
#define XP1_PSEUDO_STREAM 0x00000010
#define XP1_GRACEFUL_CLOSE 0x00000020
#define XP1_EXPEDITED_DATA 0x00000040
#define XP1_CONNECT_DATA 0x00000080
#define XP1_DISCONNECT_DATA 0x00000100
#define XP1_SUPPORT_BROADCAST 0x00000200
#define XP1_SUPPORT_MULTIPOINT 0x00000400
#define XP1_MULTIPOINT_CONTROL_PLANE 0x00000800
#define XP1_MULTIPOINT_DATA_PLANE 0x00001000
#define XP1_QOS_SUPPORTED 0x00002000
#define XP1_INTERRUPT 0x00004000
#define XP1_UNI_SEND 0x00008000
#define XP1_UNI_RECV 0x00010000
#define XP1_IFS_HANDLES 0x00020000
#define XP1_PARTIAL_MESSAGE 0x00040000
#define XP1_SAN_SUPPORT_SDP 0x00080000

/* dwProviderFlags */
#define PFL_MULTIPLE_PROTO_ENTRIES 0x00000001
#define PFL_RECOMMENDED_PROTO_ENTRY 0x00000002
#define PFL_HIDDEN 0x00000004
#define PFL_MATCHES_PROTOCOL_ZERO 0x00000008

#define BIGENDIAN 0x0000
#define LITTLEENDIAN 0x0001
#define SECURITY_PROTOCOL_NONE 0x0000
#define FROM_PROTOCOL_INFO (-1)

/* WSASocket dwFlags */
#define WSA_FLAG_OVERLAPPED 0x01
#define WSA_FLAG_MULTIPOINT_C_ROOT 0x02
#define WSA_FLAG_MULTIPOINT_C_LEAF 0x04
#define WSA_FLAG_MULTIPOINT_D_ROOT 0x08
#define WSA_FLAG_MULTIPOINT_D_LEAF 0x10
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80

/* ---- QoS, overlapped I/O, accept conditions ------------------------------ */
typedef ULONG SERVICETYPE;
typedef struct _flowspec {
    ULONG TokenRate;
    ULONG TokenBucketSize;
    ULONG PeakBandwidth;
    ULONG Latency;
    ULONG DelayVariation;
    SERVICETYPE ServiceType;
    ULONG MaxSduSize;
    ULONG MinimumPolicedSize;
} FLOWSPEC, *PFLOWSPEC, *LPFLOWSPEC;

typedef struct _QualityOfService {
    FLOWSPEC SendingFlowspec;
    FLOWSPEC ReceivingFlowspec;
    WSABUF ProviderSpecific;
} QOS, *LPQOS;

/* Windows' layout and member names: ported code writes ov.Offset, ov.hEvent
 * (anonymous union and struct, C11). OVERLAPPED is the same type, as on
 * Windows, where the completion-port calls take LPOVERLAPPED. */
typedef struct _WSAOVERLAPPED {
    ULONG_PTR Internal;
    ULONG_PTR InternalHigh;
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        void *Pointer;
    };
    WSAEVENT hEvent;
} WSAOVERLAPPED, *LPWSAOVERLAPPED, OVERLAPPED, *LPOVERLAPPED;

typedef void(CALLBACK *LPWSAOVERLAPPED_COMPLETION_ROUTINE)(DWORD dwError, DWORD cbTransferred,
                                                           LPWSAOVERLAPPED lpOverlapped,
                                                           DWORD dwFlags);

typedef int(CALLBACK *LPCONDITIONPROC)(LPWSABUF lpCallerId, LPWSABUF lpCallerData, LPQOS lpSQOS,
                                       LPQOS lpGQOS, LPWSABUF lpCalleeId, LPWSABUF lpCalleeData,
                                       GROUP *g, DWORD_PTR dwCallbackData);
#define CF_ACCEPT 0x0000
#define CF_REJECT 0x0001
#define CF_DEFER 0x0002

/* ---- network events ------------------------------------------------------ */
#define FD_READ_BIT 0
#define FD_READ (1 << FD_READ_BIT)
#define FD_WRITE_BIT 1
#define FD_WRITE (1 << FD_WRITE_BIT)
#define FD_OOB_BIT 2
#define FD_OOB (1 << FD_OOB_BIT)
#define FD_ACCEPT_BIT 3
#define FD_ACCEPT (1 << FD_ACCEPT_BIT)
#define FD_CONNECT_BIT 4
#define FD_CONNECT (1 << FD_CONNECT_BIT)
#define FD_CLOSE_BIT 5
#define FD_CLOSE (1 << FD_CLOSE_BIT)
#define FD_QOS_BIT 6
#define FD_QOS (1 << FD_QOS_BIT)
#define FD_GROUP_QOS_BIT 7
#define FD_GROUP_QOS (1 << FD_GROUP_QOS_BIT)
#define FD_ROUTING_INTERFACE_CHANGE_BIT 8
#define FD_ROUTING_INTERFACE_CHANGE (1 << FD_ROUTING_INTERFACE_CHANGE_BIT)
#define FD_ADDRESS_LIST_CHANGE_BIT 9
#define FD_ADDRESS_LIST_CHANGE (1 << FD_ADDRESS_LIST_CHANGE_BIT)
#define FD_MAX_EVENTS 10
#define FD_ALL_EVENTS ((1 << FD_MAX_EVENTS) - 1)

typedef struct _WSANETWORKEVENTS {
    LONG lNetworkEvents;
    int iErrorCode[FD_MAX_EVENTS];
} WSANETWORKEVENTS, *LPWSANETWORKEVENTS;

#define WSA_MAXIMUM_WAIT_EVENTS 64
#define WSA_INFINITE 0xFFFFFFFFu
#define WSA_WAIT_EVENT_0 0u
#define WSA_WAIT_IO_COMPLETION 0xC0u
#define WSA_WAIT_TIMEOUT 0x102u
#define WSA_WAIT_FAILED 0xFFFFFFFFu

/* WSAPoll: events/revents use the platform's POLL* values (D12). glibc's
 * <poll.h> hides the XPG ones in strict ISO C (-std=c11); Windows programs
 * use them, so they are given here with Linux's values. */
#ifndef POLLRDNORM
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#endif
typedef struct pollfd_wsp {
    SOCKET fd;
    SHORT events;
    SHORT revents;
} WSAPOLLFD, *PWSAPOLLFD, *LPWSAPOLLFD;

/* ---- Winsock fd_set (clashes with libc's fd_set: prefixed, D12) ---------- */
#ifndef WSP_FD_SETSIZE
#define WSP_FD_SETSIZE 64
#endif
typedef struct wsp_fd_set {
    u_int fd_count;
    SOCKET fd_array[WSP_FD_SETSIZE];
} wsp_fd_set;

WSP_EXPORT int WSAAPI __WSAFDIsSet(SOCKET s, wsp_fd_set *set);
#define WSP_FD_ZERO(set) (((wsp_fd_set *)(set))->fd_count = 0)
#define WSP_FD_ISSET(s, set) __WSAFDIsSet((SOCKET)(s), (wsp_fd_set *)(set))
#define WSP_FD_SET(s, set)                                                                         \
    do {                                                                                           \
        u_int wsp__i;                                                                              \
        for (wsp__i = 0; wsp__i < ((wsp_fd_set *)(set))->fd_count; wsp__i++)                       \
            if (((wsp_fd_set *)(set))->fd_array[wsp__i] == (SOCKET)(s))                            \
                break;                                                                             \
        if (wsp__i == ((wsp_fd_set *)(set))->fd_count && wsp__i < WSP_FD_SETSIZE) {                \
            ((wsp_fd_set *)(set))->fd_array[wsp__i] = (SOCKET)(s);                                 \
            ((wsp_fd_set *)(set))->fd_count++;                                                     \
        }                                                                                          \
    } while (0)
#define WSP_FD_CLR(s, set)                                                                         \
    do {                                                                                           \
        u_int wsp__i;                                                                              \
        for (wsp__i = 0; wsp__i < ((wsp_fd_set *)(set))->fd_count; wsp__i++) {                     \
            if (((wsp_fd_set *)(set))->fd_array[wsp__i] == (SOCKET)(s)) {                          \
                ((wsp_fd_set *)(set))->fd_array[wsp__i] =                                          \
                    ((wsp_fd_set *)(set))->fd_array[--((wsp_fd_set *)(set))->fd_count];            \
                break;                                                                             \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* ---- shutdown, options, flags (Windows' numbers) ------------------------- */
#define SD_RECEIVE 0x00
#define SD_SEND 0x01
#define SD_BOTH 0x02

#define SO_CONNDATA 0x7000
#define SO_CONNOPT 0x7001
#define SO_DISCDATA 0x7002
#define SO_DISCOPT 0x7003
#define SO_CONNDATALEN 0x7004
#define SO_CONNOPTLEN 0x7005
#define SO_DISCDATALEN 0x7006
#define SO_DISCOPTLEN 0x7007
#define SO_PROTOCOL_INFOA 0x2004
#define SO_PROTOCOL_INFOW 0x2005
#define SO_MAX_MSG_SIZE 0x2003
/* Windows-only socket options (Windows' definitions; SO_REUSEADDR itself is
 * the platform's number with Windows' meaning: docs/porting.md). */
#define SO_EXCLUSIVEADDRUSE ((int)(~SO_REUSEADDR))
#define SO_CONDITIONAL_ACCEPT 0x3002

#ifndef MSG_PARTIAL
#define MSG_PARTIAL 0x8000
#endif
/* Winsock's MSG_WAITALL, which providers take in dwFlags. Linux's is 0x100
 * (MSG_OOB, MSG_PEEK and MSG_DONTROUTE have the same values on both), so
 * WSP_WINSOCK_NAMES maps the name to this one. */
#define WSP_MSG_WAITALL 0x8
/* Winsock's MSG_CTRUNC (ws2def.h), set in WSAMSG.dwFlags by WSARecvMsg when
 * a control message did not fit in Control. Linux's is 0x8 (Winsock's
 * MSG_WAITALL): WSP_WINSOCK_NAMES maps the name to this one. */
#define WSP_MSG_CTRUNC 0x0200

/* ioctlsocket / WSAIoctl codes: Windows' values (the platform's FIONBIO and
 * FIONREAD are accepted too). */
#define WSP_IOCPARM_MASK 0x7f
#define WSP_IOC_OUT 0x40000000u
#define WSP_IOC_IN 0x80000000u
#define WSP_IOW(x, y, t)                                                                           \
    (WSP_IOC_IN | (((wsp_u_long)sizeof(t) & WSP_IOCPARM_MASK) << 16) | ((x) << 8) | (y))
#define WSP_IOR(x, y, t)                                                                           \
    (WSP_IOC_OUT | (((wsp_u_long)sizeof(t) & WSP_IOCPARM_MASK) << 16) | ((x) << 8) | (y))
#define WSP_FIONBIO ((long)WSP_IOW('f', 126, wsp_u_long))  /* 0x8004667E */
#define WSP_FIONREAD ((long)WSP_IOR('f', 127, wsp_u_long)) /* 0x4004667F */
#define WSP_SIOCATMARK ((long)WSP_IOR('s', 7, wsp_u_long)) /* 0x40047307 */
/* WSAIoctl codes of the Winsock 2 family (IOC_WS2). */
#define WSP_IOC_VOID 0x20000000u
#define WSP_IOC_INOUT (WSP_IOC_IN | WSP_IOC_OUT)
#define WSP_IOC_WS2 0x08000000u
#define SIO_ROUTING_INTERFACE_QUERY (WSP_IOC_INOUT | WSP_IOC_WS2 | 20u) /* 0xC8000014 */
#define SIO_ADDRESS_LIST_QUERY (WSP_IOC_OUT | WSP_IOC_WS2 | 22u)        /* 0x48000016 */

/* ---- error codes --------------------------------------------------------- */
#define WSABASEERR 10000
#define WSAEINTR 10004
#define WSAEBADF 10009
#define WSAEACCES 10013
#define WSAEFAULT 10014
#define WSAEINVAL 10022
#define WSAEMFILE 10024
#define WSAEWOULDBLOCK 10035
#define WSAEINPROGRESS 10036
#define WSAEALREADY 10037
#define WSAENOTSOCK 10038
#define WSAEDESTADDRREQ 10039
#define WSAEMSGSIZE 10040
#define WSAEPROTOTYPE 10041
#define WSAENOPROTOOPT 10042
#define WSAEPROTONOSUPPORT 10043
#define WSAESOCKTNOSUPPORT 10044
#define WSAEOPNOTSUPP 10045
#define WSAEPFNOSUPPORT 10046
#define WSAEAFNOSUPPORT 10047
#define WSAEADDRINUSE 10048
#define WSAEADDRNOTAVAIL 10049
#define WSAENETDOWN 10050
#define WSAENETUNREACH 10051
#define WSAENETRESET 10052
#define WSAECONNABORTED 10053
#define WSAECONNRESET 10054
#define WSAENOBUFS 10055
#define WSAEISCONN 10056
#define WSAENOTCONN 10057
#define WSAESHUTDOWN 10058
#define WSAETOOMANYREFS 10059
#define WSAETIMEDOUT 10060
#define WSAECONNREFUSED 10061
#define WSAELOOP 10062
#define WSAENAMETOOLONG 10063
#define WSAEHOSTDOWN 10064
#define WSAEHOSTUNREACH 10065
#define WSAENOTEMPTY 10066
#define WSAEPROCLIM 10067
#define WSAEUSERS 10068
#define WSAEDQUOT 10069
#define WSAESTALE 10070
#define WSAEREMOTE 10071
#define WSASYSNOTREADY 10091
#define WSAVERNOTSUPPORTED 10092
#define WSANOTINITIALISED 10093
#define WSAEDISCON 10101
#define WSAENOMORE 10102
#define WSAECANCELLED 10103
#define WSAEINVALIDPROCTABLE 10104
#define WSAEINVALIDPROVIDER 10105
#define WSAEPROVIDERFAILEDINIT 10106
#define WSASYSCALLFAILURE 10107
#define WSASERVICE_NOT_FOUND 10108
#define WSATYPE_NOT_FOUND 10109
#define WSA_E_NO_MORE 10110
#define WSA_E_CANCELLED 10111
#define WSAEREFUSED 10112
#define WSAHOST_NOT_FOUND 11001
#define WSATRY_AGAIN 11002
#define WSANO_RECOVERY 11003
#define WSANO_DATA 11004
#define WSANO_ADDRESS WSANO_DATA
#define WSA_SECURE_HOST_NOT_FOUND 11032
#define WSA_IPSEC_NAME_POLICY_ERROR 11033
#define WSA_INVALID_HANDLE 6
#define WSA_NOT_ENOUGH_MEMORY 8
#define WSA_INVALID_PARAMETER 87
#define WSA_OPERATION_ABORTED 995
#define WSA_IO_INCOMPLETE 996
#define WSA_IO_PENDING 997

/* ---- application API ----------------------------------------------------- */
WSP_EXPORT int WSAAPI WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData);
WSP_EXPORT int WSAAPI WSACleanup(void);
WSP_EXPORT int WSAAPI WSAGetLastError(void);
WSP_EXPORT void WSAAPI WSASetLastError(int iError);

WSP_EXPORT SOCKET WSAAPI WSASocketA(int af, int type, int protocol,
                                    LPWSAPROTOCOL_INFOA lpProtocolInfo, GROUP g, DWORD dwFlags);
WSP_EXPORT SOCKET WSAAPI WSASocketW(int af, int type, int protocol,
                                    LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g, DWORD dwFlags);
WSP_EXPORT int WSAAPI WSAConnect(SOCKET s, const struct sockaddr *name, int namelen,
                                 LPWSABUF lpCallerData, LPWSABUF lpCalleeData, LPQOS lpSQOS,
                                 LPQOS lpGQOS);
WSP_EXPORT SOCKET WSAAPI WSAAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                                   LPCONDITIONPROC lpfnCondition, DWORD_PTR dwCallbackData);
WSP_EXPORT int WSAAPI WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                              LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                              LPWSAOVERLAPPED lpOverlapped,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
WSP_EXPORT int WSAAPI WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                              LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                              LPWSAOVERLAPPED lpOverlapped,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
WSP_EXPORT int WSAAPI WSASendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                                const struct sockaddr *lpTo, int iTolen,
                                LPWSAOVERLAPPED lpOverlapped,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
WSP_EXPORT int WSAAPI WSARecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                  LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                                  struct sockaddr *lpFrom, LPINT lpFromlen,
                                  LPWSAOVERLAPPED lpOverlapped,
                                  LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
WSP_EXPORT int WSAAPI WSASendDisconnect(SOCKET s, LPWSABUF lpOutboundDisconnectData);
WSP_EXPORT int WSAAPI WSARecvDisconnect(SOCKET s, LPWSABUF lpInboundDisconnectData);
WSP_EXPORT int WSAAPI WSAEnumProtocolsA(LPINT lpiProtocols, LPWSAPROTOCOL_INFOA lpProtocolBuffer,
                                        LPDWORD lpdwBufferLength);
WSP_EXPORT int WSAAPI WSAEnumProtocolsW(LPINT lpiProtocols, LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                                        LPDWORD lpdwBufferLength);
WSP_EXPORT int WSAAPI WSAAddressToStringA(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                          LPWSAPROTOCOL_INFOA lpProtocolInfo,
                                          LPSTR lpszAddressString, LPDWORD lpdwAddressStringLength);
WSP_EXPORT int WSAAPI WSAStringToAddressA(LPSTR AddressString, INT AddressFamily,
                                          LPWSAPROTOCOL_INFOA lpProtocolInfo, LPSOCKADDR lpAddress,
                                          LPINT lpAddressLength);
WSP_EXPORT int WSAAPI WSAPoll(LPWSAPOLLFD fdArray, ULONG fds, INT timeout);
WSP_EXPORT WSAEVENT WSAAPI WSACreateEvent(void);
WSP_EXPORT BOOL WSAAPI WSACloseEvent(WSAEVENT hEvent);
WSP_EXPORT BOOL WSAAPI WSASetEvent(WSAEVENT hEvent);
WSP_EXPORT BOOL WSAAPI WSAResetEvent(WSAEVENT hEvent);
WSP_EXPORT int WSAAPI WSAEventSelect(SOCKET s, WSAEVENT hEventObject, LONG lNetworkEvents);
WSP_EXPORT int WSAAPI WSAEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
                                           LPWSANETWORKEVENTS lpNetworkEvents);
WSP_EXPORT DWORD WSAAPI WSAWaitForMultipleEvents(DWORD cEvents, const WSAEVENT *lphEvents,
                                                 BOOL fWaitAll, DWORD dwTimeout, BOOL fAlertable);
WSP_EXPORT int WSAAPI WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer,
                               DWORD cbInBuffer, LPVOID lpvOutBuffer, DWORD cbOutBuffer,
                               LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED lpOverlapped,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
WSP_EXPORT int WSAAPI closesocket(SOCKET s);
WSP_EXPORT int WSAAPI ioctlsocket(SOCKET s, long cmd, wsp_u_long *argp);

/* Berkeley calls whose names clash with libc. */
WSP_EXPORT SOCKET WSAAPI wsp_socket(int af, int type, int protocol);
WSP_EXPORT int WSAAPI wsp_bind(SOCKET s, const struct sockaddr *name, int namelen);
WSP_EXPORT int WSAAPI wsp_listen(SOCKET s, int backlog);
WSP_EXPORT SOCKET WSAAPI wsp_accept(SOCKET s, struct sockaddr *addr, int *addrlen);
WSP_EXPORT int WSAAPI wsp_connect(SOCKET s, const struct sockaddr *name, int namelen);
WSP_EXPORT int WSAAPI wsp_send(SOCKET s, const char *buf, int len, int flags);
WSP_EXPORT int WSAAPI wsp_recv(SOCKET s, char *buf, int len, int flags);
WSP_EXPORT int WSAAPI wsp_sendto(SOCKET s, const char *buf, int len, int flags,
                                 const struct sockaddr *to, int tolen);
WSP_EXPORT int WSAAPI wsp_recvfrom(SOCKET s, char *buf, int len, int flags, struct sockaddr *from,
                                   int *fromlen);
WSP_EXPORT int WSAAPI wsp_shutdown(SOCKET s, int how);
WSP_EXPORT int WSAAPI wsp_getsockopt(SOCKET s, int level, int optname, char *optval, int *optlen);
WSP_EXPORT int WSAAPI wsp_setsockopt(SOCKET s, int level, int optname, const char *optval,
                                     int optlen);
WSP_EXPORT int WSAAPI wsp_getsockname(SOCKET s, struct sockaddr *name, int *namelen);
WSP_EXPORT int WSAAPI wsp_getpeername(SOCKET s, struct sockaddr *name, int *namelen);
WSP_EXPORT int WSAAPI wsp_select(int nfds, wsp_fd_set *readfds, wsp_fd_set *writefds,
                                 wsp_fd_set *exceptfds, const struct timeval *timeout);

/* ---- byte order, addresses and the host databases ------------------------
 * The names that clash with libc are wsp_*; WSP_WINSOCK_NAMES maps them. Those
 * that look something up need WSAStartup (WSANOTINITIALISED otherwise), as on
 * Windows; the pure conversions do not. Results of the hostent/servent/
 * protoent calls and of inet_ntoa live in a per-thread buffer, valid until the
 * thread's next call of the same family. */
WSP_EXPORT wsp_u_long WSAAPI wsp_htonl(wsp_u_long hostlong);
WSP_EXPORT u_short WSAAPI wsp_htons(u_short hostshort);
WSP_EXPORT wsp_u_long WSAAPI wsp_ntohl(wsp_u_long netlong);
WSP_EXPORT u_short WSAAPI wsp_ntohs(u_short netshort);
WSP_EXPORT int WSAAPI WSAHtonl(SOCKET s, wsp_u_long hostlong, wsp_u_long *lpnetlong);
WSP_EXPORT int WSAAPI WSAHtons(SOCKET s, u_short hostshort, u_short *lpnetshort);
WSP_EXPORT int WSAAPI WSANtohl(SOCKET s, wsp_u_long netlong, wsp_u_long *lphostlong);
WSP_EXPORT int WSAAPI WSANtohs(SOCKET s, u_short netshort, u_short *lphostshort);
WSP_EXPORT wsp_u_long WSAAPI wsp_inet_addr(const char *cp);
WSP_EXPORT char *WSAAPI wsp_inet_ntoa(struct in_addr in);
WSP_EXPORT struct hostent *WSAAPI wsp_gethostbyname(const char *name);
WSP_EXPORT struct hostent *WSAAPI wsp_gethostbyaddr(const char *addr, int len, int type);
WSP_EXPORT int WSAAPI wsp_gethostname(char *name, int namelen);
WSP_EXPORT int WSAAPI GetHostNameW(PWSTR name, int namelen);
WSP_EXPORT struct servent *WSAAPI wsp_getservbyname(const char *name, const char *proto);
WSP_EXPORT struct servent *WSAAPI wsp_getservbyport(int port, const char *proto);
WSP_EXPORT struct protoent *WSAAPI wsp_getprotobyname(const char *name);
WSP_EXPORT struct protoent *WSAAPI wsp_getprotobynumber(int number);
WSP_EXPORT int WSAAPI WSAAddressToStringW(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                          LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                          LPWSTR lpszAddressString,
                                          LPDWORD lpdwAddressStringLength);
WSP_EXPORT int WSAAPI WSAStringToAddressW(LPWSTR AddressString, INT AddressFamily,
                                          LPWSAPROTOCOL_INFOW lpProtocolInfo, LPSOCKADDR lpAddress,
                                          LPINT lpAddressLength);

/* ---- overlapped I/O ---------------------------------------------------------
 * WSAGetOverlappedResult reads an overlapped operation's result back (FALSE
 * with WSA_IO_INCOMPLETE while it is pending and fWait is FALSE). Completion
 * routines run in the thread that issued the call, only inside its alertable
 * waits: WSAWaitForMultipleEvents(..., TRUE) returns WSA_WAIT_IO_COMPLETION,
 * SleepEx(ms, TRUE) returns WAIT_IO_COMPLETION, after running them. SleepEx
 * is kernel32's on Windows; here it needs no WSAStartup. */
#ifndef INFINITE
#define INFINITE 0xFFFFFFFFu
#endif
#ifndef WAIT_IO_COMPLETION
#define WAIT_IO_COMPLETION 0xC0u
#endif
WSP_EXPORT BOOL WSAAPI WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                              LPDWORD lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags);
WSP_EXPORT DWORD WSAAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable);

/* ---- completion ports and kernel32's error calls --------------------------
 * CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0) makes a port;
 * CreateIoCompletionPort((HANDLE)s, port, key, 0) associates socket s (once:
 * a second association fails with ERROR_INVALID_PARAMETER), and then every
 * overlapped operation on s without a completion routine also queues a
 * packet (key, lpOverlapped, bytes, status) unless the low bit of its hEvent
 * is set. At most NumberOfConcurrentThreads threads (0: the processors) run
 * a port's packets at once: a thread that took some runs until it calls
 * GetQueuedCompletionStatus[Ex] again or exits (docs/api.md).
 * GetQueuedCompletionStatus returns TRUE for a successful
 * operation, FALSE with *lpOverlapped set and the operation's WSAE* code as
 * last error for a failed one (ERROR_MORE_DATA for a datagram larger than
 * the buffer, WSAEMSGSIZE elsewhere), FALSE with *lpOverlapped NULL and WAIT_TIMEOUT
 * (or ERROR_ABANDONED_WAIT_0: the port was closed) when nothing came.
 * CloseHandle closes a port (not a socket: closesocket). CancelIoEx cancels
 * a socket's overlapped operations (all of them when lpOverlapped is NULL):
 * each completes with WSA_OPERATION_ABORTED; ERROR_NOT_FOUND when none is
 * pending. CancelIo cancels those the calling thread issued (TRUE also when
 * there is none). GetLastError/SetLastError are WSAGetLastError/WSASetLastError. */
#ifndef WINAPI
#define WINAPI WSAAPI
#endif
#ifndef INVALID_HANDLE_VALUE
#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#endif
#ifndef WAIT_TIMEOUT
#define WAIT_TIMEOUT 258
#endif
#ifndef ERROR_INVALID_HANDLE
#define ERROR_INVALID_HANDLE 6
#endif
#ifndef ERROR_NOT_ENOUGH_MEMORY
#define ERROR_NOT_ENOUGH_MEMORY 8
#endif
#ifndef ERROR_MORE_DATA
#define ERROR_MORE_DATA 234
#endif
#ifndef ERROR_INVALID_PARAMETER
#define ERROR_INVALID_PARAMETER 87
#endif
#ifndef ERROR_ABANDONED_WAIT_0
#define ERROR_ABANDONED_WAIT_0 735
#endif
#ifndef ERROR_OPERATION_ABORTED
#define ERROR_OPERATION_ABORTED 995
#endif
#ifndef ERROR_IO_INCOMPLETE
#define ERROR_IO_INCOMPLETE 996
#endif
#ifndef ERROR_IO_PENDING
#define ERROR_IO_PENDING 997
#endif
#ifndef ERROR_NOACCESS
#define ERROR_NOACCESS 998
#endif
#ifndef ERROR_NOT_FOUND
#define ERROR_NOT_FOUND 1168
#endif
typedef ULONG_PTR *PULONG_PTR;
typedef struct _OVERLAPPED_ENTRY {
    ULONG_PTR lpCompletionKey;
    LPOVERLAPPED lpOverlapped;
    ULONG_PTR Internal; /* the operation's status: 0 or a WSAE* code */
    DWORD dwNumberOfBytesTransferred;
} OVERLAPPED_ENTRY, *LPOVERLAPPED_ENTRY;
WSP_EXPORT HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
                                                ULONG_PTR CompletionKey,
                                                DWORD NumberOfConcurrentThreads);
WSP_EXPORT BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort,
                                                 LPDWORD lpNumberOfBytesTransferred,
                                                 PULONG_PTR lpCompletionKey,
                                                 LPOVERLAPPED *lpOverlapped, DWORD dwMilliseconds);
WSP_EXPORT BOOL WINAPI GetQueuedCompletionStatusEx(HANDLE CompletionPort,
                                                   LPOVERLAPPED_ENTRY lpCompletionPortEntries,
                                                   ULONG ulCount, PULONG ulNumEntriesRemoved,
                                                   DWORD dwMilliseconds, BOOL fAlertable);
WSP_EXPORT BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort,
                                                  DWORD dwNumberOfBytesTransferred,
                                                  ULONG_PTR dwCompletionKey,
                                                  LPOVERLAPPED lpOverlapped);
WSP_EXPORT BOOL WINAPI CloseHandle(HANDLE hObject);
WSP_EXPORT BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);
WSP_EXPORT BOOL WINAPI CancelIo(HANDLE hFile);
WSP_EXPORT DWORD WINAPI GetLastError(void);
WSP_EXPORT void WINAPI SetLastError(DWORD dwErrCode);

/* ---- Winsock 1.1 pseudo-blocking ------------------------------------------
 * Winsock 2 has no pseudo-blocking ("Windows Sockets Compatibility Issues"):
 * no call is ever "blocking" in the 1.1 sense, so these give the 1.1 answers
 * for that state: WSAIsBlocking FALSE; WSACancelBlockingCall SOCKET_ERROR
 * with WSAEINVAL (1.1: "no outstanding blocking call"); WSASetBlockingHook
 * records the hook (per thread, never called) and returns the previous one
 * (NULL for the default); WSAUnhookBlockingHook restores the default. */
typedef LONG_PTR(CALLBACK *FARPROC)();
WSP_EXPORT BOOL WSAAPI WSAIsBlocking(void);
WSP_EXPORT int WSAAPI WSACancelBlockingCall(void);
WSP_EXPORT FARPROC WSAAPI WSASetBlockingHook(FARPROC lpBlockFunc);
WSP_EXPORT int WSAAPI WSAUnhookBlockingHook(void);

/* Readable name of a WSAE* code ("WSAENOPROTOOPT"), or NULL if unknown. */
WSP_EXPORT const char *wsp_strerror_name(int code);
/* One-line English description of a WSAE* code (never NULL). */
WSP_EXPORT const char *wsp_strerror(int code);

#ifdef WSP_WINSOCK_NAMES
#undef MSG_WAITALL
#define MSG_WAITALL WSP_MSG_WAITALL
#undef MSG_CTRUNC
#define MSG_CTRUNC WSP_MSG_CTRUNC
#undef FD_SETSIZE
#define FD_SETSIZE WSP_FD_SETSIZE
#define fd_set wsp_fd_set
#undef FD_ZERO
#undef FD_SET
#undef FD_CLR
#undef FD_ISSET
#define FD_ZERO WSP_FD_ZERO
#define FD_SET WSP_FD_SET
#define FD_CLR WSP_FD_CLR
#define FD_ISSET WSP_FD_ISSET
#undef FIONBIO
#undef FIONREAD
#undef SIOCATMARK
#define FIONBIO WSP_FIONBIO
#define FIONREAD WSP_FIONREAD
#define SIOCATMARK WSP_SIOCATMARK
#define socket wsp_socket
#ifndef __cplusplus
#define bind wsp_bind
#endif
#define listen wsp_listen
#define accept wsp_accept
#define connect wsp_connect
#define send wsp_send
#define recv wsp_recv
#define sendto wsp_sendto
#define recvfrom wsp_recvfrom
#define shutdown wsp_shutdown
#define getsockopt wsp_getsockopt
#define setsockopt wsp_setsockopt
#define getsockname wsp_getsockname
#define getpeername wsp_getpeername
#define select wsp_select
#undef htonl
#undef htons
#undef ntohl
#undef ntohs
#define htonl wsp_htonl
#define htons wsp_htons
#define ntohl wsp_ntohl
#define ntohs wsp_ntohs
#define inet_addr wsp_inet_addr
#define inet_ntoa wsp_inet_ntoa
#define gethostbyname wsp_gethostbyname
#define gethostbyaddr wsp_gethostbyaddr
#define gethostname wsp_gethostname
#define getservbyname wsp_getservbyname
#define getservbyport wsp_getservbyport
#define getprotobyname wsp_getprotobyname
#define getprotobynumber wsp_getprotobynumber
#undef h_errno
#define h_errno WSAGetLastError()
#undef HOST_NOT_FOUND
#undef TRY_AGAIN
#undef NO_RECOVERY
#undef NO_DATA
#undef NO_ADDRESS
#define HOST_NOT_FOUND WSAHOST_NOT_FOUND
#define TRY_AGAIN WSATRY_AGAIN
#define NO_RECOVERY WSANO_RECOVERY
#define NO_DATA WSANO_DATA
#define NO_ADDRESS WSANO_ADDRESS
#endif

/* Generic names: the A form by default, the W form under UNICODE (as the
 * Windows SDK does). */
#ifdef UNICODE
typedef WSAPROTOCOL_INFOW WSAPROTOCOL_INFO;
typedef LPWSAPROTOCOL_INFOW LPWSAPROTOCOL_INFO;
#define WSASocket WSASocketW
#define WSAEnumProtocols WSAEnumProtocolsW
#define WSAAddressToString WSAAddressToStringW
#define WSAStringToAddress WSAStringToAddressW
#define SO_PROTOCOL_INFO SO_PROTOCOL_INFOW
#else
typedef WSAPROTOCOL_INFOA WSAPROTOCOL_INFO;
typedef LPWSAPROTOCOL_INFOA LPWSAPROTOCOL_INFO;
#define WSASocket WSASocketA
#define WSAEnumProtocols WSAEnumProtocolsA
#define WSAAddressToString WSAAddressToStringA
#define WSAStringToAddress WSAStringToAddressA
#define SO_PROTOCOL_INFO SO_PROTOCOL_INFOA
#endif

#ifdef __cplusplus
}
#if defined(WSP_WINSOCK_NAMES)
/* C++: `bind` is also std::bind (<functional>), so it cannot be a macro
 * there. An overload on SOCKET sits beside libc's bind(int, ...): a call with
 * a SOCKET picks it, std::bind stays untouched. */
inline int bind(SOCKET s, const struct sockaddr *name, int namelen)
{
    return wsp_bind(s, name, namelen);
}
#endif
#endif
#endif
