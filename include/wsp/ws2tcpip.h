/* SPDX-License-Identifier: MIT */
/* wsp — name resolution and address conversion of Windows' ws2tcpip.h.
 *
 * The addrinfo structures and the AI_/NI_ values are in ws2def.h (included by
 * winsock2.h, as on Windows). The EAI_ values are Windows' WSA codes: they are
 * WSP_EAI_... always, and the plain names under WSP_WINSOCK_NAMES.
 *
 * Memory: every node of a result list (node, its address and its canonical
 * name) is one allocation; freeaddrinfo / FreeAddrInfoW / FreeAddrInfoEx(W) free
 * the list node by node. */
#ifndef WSP_WS2TCPIP_H
#define WSP_WS2TCPIP_H

#include "ws2ipdef.h"

#ifdef __cplusplus
extern "C" {
#endif

/* getaddrinfo / getnameinfo results: WSA codes, as in Windows' ws2tcpip.h */
#define WSP_EAI_AGAIN WSATRY_AGAIN
#define WSP_EAI_BADFLAGS WSAEINVAL
#define WSP_EAI_FAIL WSANO_RECOVERY
#define WSP_EAI_FAMILY WSAEAFNOSUPPORT
#define WSP_EAI_MEMORY WSA_NOT_ENOUGH_MEMORY
#define WSP_EAI_NOSECURENAME WSA_SECURE_HOST_NOT_FOUND
#define WSP_EAI_NONAME WSAHOST_NOT_FOUND
#define WSP_EAI_SERVICE WSATYPE_NOT_FOUND
#define WSP_EAI_SOCKTYPE WSAESOCKTNOSUPPORT
#define WSP_EAI_IPSECPOLICY WSA_IPSEC_NAME_POLICY_ERROR
#define WSP_EAI_NODATA WSP_EAI_NONAME

typedef void(CALLBACK *LPLOOKUPSERVICE_COMPLETION_ROUTINE)(DWORD dwError, DWORD dwBytes,
                                                           LPWSAOVERLAPPED lpOverlapped);

/* 0 or a WSA code (also stored for WSAGetLastError). */
WSP_EXPORT INT WSAAPI wsp_getaddrinfo(PCSTR pNodeName, PCSTR pServiceName, const ADDRINFOA *pHints,
                                      PADDRINFOA *ppResult);
WSP_EXPORT void WSAAPI wsp_freeaddrinfo(PADDRINFOA pAddrInfo);
WSP_EXPORT INT WSAAPI GetAddrInfoW(PCWSTR pNodeName, PCWSTR pServiceName, const ADDRINFOW *pHints,
                                   PADDRINFOW *ppResult);
WSP_EXPORT void WSAAPI FreeAddrInfoW(PADDRINFOW pAddrInfo);
/* Synchronous only: lpOverlapped, lpCompletionRoutine and lpNameHandle must be
 * NULL (WSAEINVAL otherwise); dwNameSpace NS_ALL/NS_DNS (0/12), timeout ignored. */
WSP_EXPORT INT WSAAPI GetAddrInfoExW(PCWSTR pName, PCWSTR pServiceName, DWORD dwNameSpace,
                                     LPGUID lpNspId, const ADDRINFOEXW *hints,
                                     PADDRINFOEXW *ppResult, struct timeval *timeout,
                                     LPWSAOVERLAPPED lpOverlapped,
                                     LPLOOKUPSERVICE_COMPLETION_ROUTINE lpCompletionRoutine,
                                     LPHANDLE lpNameHandle);
WSP_EXPORT void WSAAPI FreeAddrInfoExW(PADDRINFOEXW pAddrInfoEx);
WSP_EXPORT INT WSAAPI GetAddrInfoExA(PCSTR pName, PCSTR pServiceName, DWORD dwNameSpace,
                                     LPGUID lpNspId, const ADDRINFOEXA *hints,
                                     PADDRINFOEXA *ppResult, struct timeval *timeout,
                                     LPWSAOVERLAPPED lpOverlapped,
                                     LPLOOKUPSERVICE_COMPLETION_ROUTINE lpCompletionRoutine,
                                     LPHANDLE lpHandle);
WSP_EXPORT void WSAAPI FreeAddrInfoEx(PADDRINFOEXA pAddrInfoEx);
WSP_EXPORT INT WSAAPI wsp_getnameinfo(const SOCKADDR *pSockaddr, socklen_t SockaddrLength,
                                      PCHAR pNodeBuffer, DWORD NodeBufferSize, PCHAR pServiceBuffer,
                                      DWORD ServiceBufferSize, INT Flags);
WSP_EXPORT INT WSAAPI GetNameInfoW(const SOCKADDR *pSockaddr, socklen_t SockaddrLength,
                                   PWCHAR pNodeBuffer, DWORD NodeBufferSize, PWCHAR pServiceBuffer,
                                   DWORD ServiceBufferSize, INT Flags);
/* English text of an EAI_ / WSA code (never NULL; per-thread buffer for W). */
WSP_EXPORT const char *WSAAPI gai_strerrorA(int ecode);
WSP_EXPORT const WCHAR *WSAAPI gai_strerrorW(int ecode);

/* 1 converted, 0 not an address of that family, -1 WSAEAFNOSUPPORT/WSAEFAULT */
WSP_EXPORT INT WSAAPI wsp_inet_pton(INT Family, PCSTR pszAddrString, PVOID pAddrBuf);
WSP_EXPORT INT WSAAPI InetPtonW(INT Family, PCWSTR pszAddrString, PVOID pAddrBuf);
/* NULL on failure: WSAEAFNOSUPPORT, or WSA_INVALID_PARAMETER (no room) */
WSP_EXPORT PCSTR WSAAPI wsp_inet_ntop(INT Family, const VOID *pAddr, PSTR pStringBuf,
                                      size_t StringBufSize);
WSP_EXPORT PCWSTR WSAAPI InetNtopW(INT Family, const VOID *pAddr, PWSTR pStringBuf,
                                   size_t StringBufSize);

/* ---- connect by name / by list ----------------------------------------------
 * s: a stream socket, not yet connected. Each address (for an AF_INET6 socket:
 * IPv6, then IPv4-mapped) is tried in turn until one connects. timeout bounds
 * the whole call (WSAETIMEDOUT); with a timeout the socket is left in blocking
 * mode afterwards. Reserved must be NULL (WSAEINVAL). */
typedef struct _SOCKET_ADDRESS {
    LPSOCKADDR lpSockaddr;
    INT iSockaddrLength;
} SOCKET_ADDRESS, *PSOCKET_ADDRESS, *LPSOCKET_ADDRESS;

typedef struct _SOCKET_ADDRESS_LIST {
    INT iAddressCount;
    SOCKET_ADDRESS Address[1];
} SOCKET_ADDRESS_LIST, *PSOCKET_ADDRESS_LIST, *LPSOCKET_ADDRESS_LIST;

WSP_EXPORT BOOL WSAAPI WSAConnectByNameA(SOCKET s, LPCSTR nodename, LPCSTR servicename,
                                         LPDWORD LocalAddressLength, LPSOCKADDR LocalAddress,
                                         LPDWORD RemoteAddressLength, LPSOCKADDR RemoteAddress,
                                         const struct timeval *timeout, LPWSAOVERLAPPED Reserved);
WSP_EXPORT BOOL WSAAPI WSAConnectByNameW(SOCKET s, LPWSTR nodename, LPWSTR servicename,
                                         LPDWORD LocalAddressLength, LPSOCKADDR LocalAddress,
                                         LPDWORD RemoteAddressLength, LPSOCKADDR RemoteAddress,
                                         const struct timeval *timeout, LPWSAOVERLAPPED Reserved);
WSP_EXPORT BOOL WSAAPI WSAConnectByList(SOCKET s, PSOCKET_ADDRESS_LIST SocketAddress,
                                        LPDWORD LocalAddressLength, LPSOCKADDR LocalAddress,
                                        LPDWORD RemoteAddressLength, LPSOCKADDR RemoteAddress,
                                        const struct timeval *timeout, LPWSAOVERLAPPED Reserved);

#define FreeAddrInfoExA FreeAddrInfoEx
#define InetPtonA wsp_inet_pton
#define InetNtopA wsp_inet_ntop

#ifdef UNICODE
typedef ADDRINFOW ADDRINFOT, *PADDRINFOT;
#define GetAddrInfo GetAddrInfoW
#define FreeAddrInfo FreeAddrInfoW
#define GetNameInfo GetNameInfoW
#define InetPton InetPtonW
#define InetNtop InetNtopW
#define GetAddrInfoEx GetAddrInfoExW
#define FreeAddrInfoEx FreeAddrInfoExW
typedef ADDRINFOEXW ADDRINFOEX, *PADDRINFOEX;
#define wsp_gai_strerror gai_strerrorW
#define WSAConnectByName WSAConnectByNameW
#else
typedef ADDRINFOA ADDRINFOT, *PADDRINFOT;
#define GetAddrInfo wsp_getaddrinfo
#define FreeAddrInfo wsp_freeaddrinfo
#define GetNameInfo wsp_getnameinfo
#define InetPton wsp_inet_pton
#define InetNtop wsp_inet_ntop
#define wsp_gai_strerror gai_strerrorA
#define GetAddrInfoEx GetAddrInfoExA
typedef ADDRINFOEXA ADDRINFOEX, *PADDRINFOEX;
#define WSAConnectByName WSAConnectByNameA
#endif
#define FreeAddrInfoA wsp_freeaddrinfo
#define GetAddrInfoA wsp_getaddrinfo
#define GetNameInfoA wsp_getnameinfo

#ifdef WSP_WINSOCK_NAMES
#define getaddrinfo wsp_getaddrinfo
#define freeaddrinfo wsp_freeaddrinfo
#define getnameinfo wsp_getnameinfo
#define inet_pton wsp_inet_pton
#define inet_ntop wsp_inet_ntop
#define gai_strerror wsp_gai_strerror
#undef EAI_AGAIN
#undef EAI_BADFLAGS
#undef EAI_FAIL
#undef EAI_FAMILY
#undef EAI_MEMORY
#undef EAI_NONAME
#undef EAI_SERVICE
#undef EAI_SOCKTYPE
#undef EAI_NODATA
#define EAI_AGAIN WSP_EAI_AGAIN
#define EAI_BADFLAGS WSP_EAI_BADFLAGS
#define EAI_FAIL WSP_EAI_FAIL
#define EAI_FAMILY WSP_EAI_FAMILY
#define EAI_MEMORY WSP_EAI_MEMORY
#define EAI_NOSECURENAME WSP_EAI_NOSECURENAME
#define EAI_NONAME WSP_EAI_NONAME
#define EAI_SERVICE WSP_EAI_SERVICE
#define EAI_SOCKTYPE WSP_EAI_SOCKTYPE
#define EAI_IPSECPOLICY WSP_EAI_IPSECPOLICY
#define EAI_NODATA WSP_EAI_NODATA
#endif

#ifdef __cplusplus
}
#endif
#endif
