/* SPDX-License-Identifier: MIT */
/* wsp — name resolution and address conversion of Windows' ws2tcpip.h.
 *
 * struct addrinfo: Windows puts ai_canonname before ai_addr, glibc the other
 * way round, so Windows' layout is its own type here, struct wsp_addrinfo
 * (ADDRINFOA); WSP_WINSOCK_NAMES makes `struct addrinfo` mean it. The AI_,
 * NI_ and EAI_ values are Windows' (EAI_* are WSA codes): they are WSP_AI_...
 * always, and the plain names under WSP_WINSOCK_NAMES.
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

typedef struct wsp_addrinfo {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    size_t ai_addrlen;
    char *ai_canonname;
    struct sockaddr *ai_addr;
    struct wsp_addrinfo *ai_next;
} ADDRINFOA, *PADDRINFOA;

typedef struct addrinfoW {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    size_t ai_addrlen;
    PWSTR ai_canonname;
    struct sockaddr *ai_addr;
    struct addrinfoW *ai_next;
} ADDRINFOW, *PADDRINFOW;

typedef struct addrinfoexA {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    size_t ai_addrlen;
    char *ai_canonname;
    struct sockaddr *ai_addr;
    void *ai_blob;
    size_t ai_bloblen;
    LPGUID ai_provider;
    struct addrinfoexA *ai_next;
} ADDRINFOEXA, *PADDRINFOEXA, *LPADDRINFOEXA;

typedef struct addrinfoexW {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    size_t ai_addrlen;
    PWSTR ai_canonname;
    struct sockaddr *ai_addr;
    void *ai_blob;
    size_t ai_bloblen;
    LPGUID ai_provider;
    struct addrinfoexW *ai_next;
} ADDRINFOEXW, *PADDRINFOEXW, *LPADDRINFOEXW;

/* ai_flags (Windows' values) */
#define WSP_AI_PASSIVE 0x00000001
#define WSP_AI_CANONNAME 0x00000002
#define WSP_AI_NUMERICHOST 0x00000004
#define WSP_AI_NUMERICSERV 0x00000008
#define WSP_AI_DNS_ONLY 0x00000010
#define WSP_AI_ALL 0x00000100
#define WSP_AI_ADDRCONFIG 0x00000400
#define WSP_AI_V4MAPPED 0x00000800
#define WSP_AI_NON_AUTHORITATIVE 0x00004000
#define WSP_AI_SECURE 0x00008000
#define WSP_AI_RETURN_PREFERRED_NAMES 0x00010000
#define WSP_AI_FQDN 0x00020000
#define WSP_AI_FILESERVER 0x00040000
#define WSP_AI_DISABLE_IDN_ENCODING 0x00080000

/* getnameinfo flags and sizes (Windows' values) */
#define WSP_NI_NOFQDN 0x01
#define WSP_NI_NUMERICHOST 0x02
#define WSP_NI_NAMEREQD 0x04
#define WSP_NI_NUMERICSERV 0x08
#define WSP_NI_DGRAM 0x10
#define WSP_NI_MAXHOST 1025
#define WSP_NI_MAXSERV 32

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
#define addrinfo wsp_addrinfo
#define getaddrinfo wsp_getaddrinfo
#define freeaddrinfo wsp_freeaddrinfo
#define getnameinfo wsp_getnameinfo
#define inet_pton wsp_inet_pton
#define inet_ntop wsp_inet_ntop
#define gai_strerror wsp_gai_strerror
#undef AI_PASSIVE
#undef AI_CANONNAME
#undef AI_NUMERICHOST
#undef AI_NUMERICSERV
#undef AI_ALL
#undef AI_ADDRCONFIG
#undef AI_V4MAPPED
#define AI_PASSIVE WSP_AI_PASSIVE
#define AI_CANONNAME WSP_AI_CANONNAME
#define AI_NUMERICHOST WSP_AI_NUMERICHOST
#define AI_NUMERICSERV WSP_AI_NUMERICSERV
#define AI_DNS_ONLY WSP_AI_DNS_ONLY
#define AI_ALL WSP_AI_ALL
#define AI_ADDRCONFIG WSP_AI_ADDRCONFIG
#define AI_V4MAPPED WSP_AI_V4MAPPED
#define AI_NON_AUTHORITATIVE WSP_AI_NON_AUTHORITATIVE
#define AI_SECURE WSP_AI_SECURE
#define AI_RETURN_PREFERRED_NAMES WSP_AI_RETURN_PREFERRED_NAMES
#define AI_FQDN WSP_AI_FQDN
#define AI_FILESERVER WSP_AI_FILESERVER
#define AI_DISABLE_IDN_ENCODING WSP_AI_DISABLE_IDN_ENCODING
#undef NI_NOFQDN
#undef NI_NUMERICHOST
#undef NI_NAMEREQD
#undef NI_NUMERICSERV
#undef NI_DGRAM
#undef NI_MAXHOST
#undef NI_MAXSERV
#define NI_NOFQDN WSP_NI_NOFQDN
#define NI_NUMERICHOST WSP_NI_NUMERICHOST
#define NI_NAMEREQD WSP_NI_NAMEREQD
#define NI_NUMERICSERV WSP_NI_NUMERICSERV
#define NI_DGRAM WSP_NI_DGRAM
#define NI_MAXHOST WSP_NI_MAXHOST
#define NI_MAXSERV WSP_NI_MAXSERV
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
