/* SPDX-License-Identifier: MIT */
/* wsp — the address-information part of Windows' ws2def.h.
 *
 * struct addrinfo: Windows puts ai_canonname before ai_addr, glibc the other
 * way round, so Windows' layout is its own type here, struct wsp_addrinfo
 * (ADDRINFOA); WSP_WINSOCK_NAMES makes `struct addrinfo` mean it. The AI_ and
 * NI_ values are Windows': WSP_AI_... / WSP_NI_... always, and the plain names
 * under WSP_WINSOCK_NAMES (<netdb.h>, whose names they replace, is included
 * first by winsock2.h). Included by winsock2.h, as Windows' ws2def.h is. */
#ifndef WSP_WS2DEF_H
#define WSP_WS2DEF_H

#include <netdb.h>
#include <sys/socket.h>

#include "wsptypes.h"

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

#ifdef WSP_WINSOCK_NAMES
#define addrinfo wsp_addrinfo
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
#endif

#ifdef __cplusplus
}
#endif
#endif
