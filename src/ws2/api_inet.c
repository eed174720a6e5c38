/* SPDX-License-Identifier: MIT */
/* Byte order and address text: htonl & co., WSAHtonl & co., inet_addr,
 * inet_ntoa, inet_pton / InetPtonW, inet_ntop / InetNtopW. Pure conversions
 * need no WSAStartup (as on Windows); the WSA* forms name a socket and do. */
#include <arpa/inet.h>
#include <string.h>

#include <wsp/ws2tcpip.h>

#include "api.h"
#include "common/umem.h"
#include "lasterror.h"
#include "ustr.h"
#include "wstr.h"

/* Longest text form of an address we read or write, NUL included. */
#define INET_TEXT_MAX 64

WSP_EXPORT wsp_u_long WSAAPI wsp_htonl(wsp_u_long hostlong)
{
    return htonl(hostlong);
}

WSP_EXPORT u_short WSAAPI wsp_htons(u_short hostshort)
{
    return htons(hostshort);
}

WSP_EXPORT wsp_u_long WSAAPI wsp_ntohl(wsp_u_long netlong)
{
    return ntohl(netlong);
}

WSP_EXPORT u_short WSAAPI wsp_ntohs(u_short netshort)
{
    return ntohs(netshort);
}

/* The WSA forms: a valid socket (every provider here is BIGENDIAN, so the
 * socket's network order is the Internet's) and a writable result. */
static int inet_wsa(SOCKET s, void *out, const void *value, size_t n)
{
    struct api_sock a;
    int err = api_pin(s, &a);
    if (err == 0) {
        hdl_unpin(s);
        err = out == NULL ? WSAEFAULT : umem_write(out, value, n);
    }
    return err != 0 ? le_fail(err) : 0;
}

WSP_EXPORT int WSAAPI WSAHtonl(SOCKET s, wsp_u_long hostlong, wsp_u_long *lpnetlong)
{
    wsp_u_long v = htonl(hostlong);
    return inet_wsa(s, lpnetlong, &v, sizeof v);
}

WSP_EXPORT int WSAAPI WSAHtons(SOCKET s, u_short hostshort, u_short *lpnetshort)
{
    u_short v = htons(hostshort);
    return inet_wsa(s, lpnetshort, &v, sizeof v);
}

WSP_EXPORT int WSAAPI WSANtohl(SOCKET s, wsp_u_long netlong, wsp_u_long *lphostlong)
{
    wsp_u_long v = ntohl(netlong);
    return inet_wsa(s, lphostlong, &v, sizeof v);
}

WSP_EXPORT int WSAAPI WSANtohs(SOCKET s, u_short netshort, u_short *lphostshort)
{
    u_short v = ntohs(netshort);
    return inet_wsa(s, lphostshort, &v, sizeof v);
}

/* Windows' inet_addr takes the BSD forms (a.b.c.d, a.b.c, a.b, a; octal and
 * hex parts), which is what inet_aton parses; anything else is INADDR_NONE. */
WSP_EXPORT wsp_u_long WSAAPI wsp_inet_addr(const char *cp)
{
    char s[INET_TEXT_MAX];
    struct in_addr a;
    if (ustr_in(s, sizeof s, cp) != 0 || s[0] == 0 || inet_aton(s, &a) == 0)
        return INADDR_NONE;
    return a.s_addr;
}

WSP_EXPORT char *WSAAPI wsp_inet_ntoa(struct in_addr in)
{
    static _Thread_local char inet_ntoa_buf[INET_ADDRSTRLEN];
    return (char *)inet_ntop(AF_INET, &in, inet_ntoa_buf, sizeof inet_ntoa_buf);
}

/* Address size of an inet_pton/inet_ntop family; 0 if not IPv4/IPv6. */
static size_t inet_size(INT family)
{
    return family == AF_INET    ? sizeof(struct in_addr)
           : family == AF_INET6 ? sizeof(struct in6_addr)
                                : 0;
}

/* Windows: 1 converted, 0 not an address of the family (no error stored),
 * -1 with WSAEAFNOSUPPORT or WSAEFAULT (a NULL or unusable pointer). */
static INT inet_pton_narrow(INT family, const char *s, PVOID buf)
{
    size_t n = inet_size(family);
    if (n == 0)
        return le_fail(WSAEAFNOSUPPORT);
    unsigned char bin[sizeof(struct in6_addr)];
    if (inet_pton(family, s, bin) != 1)
        return 0;
    if (buf == NULL || umem_write(buf, bin, n) != 0)
        return le_fail(WSAEFAULT);
    return 1;
}

WSP_EXPORT INT WSAAPI wsp_inet_pton(INT Family, PCSTR pszAddrString, PVOID pAddrBuf)
{
    char s[INET_TEXT_MAX];
    int err = ustr_in(s, sizeof s, pszAddrString);
    if (err == WSAEFAULT)
        return le_fail(WSAEFAULT);
    if (err != 0) /* too long to be an address */
        return inet_size(Family) == 0 ? le_fail(WSAEAFNOSUPPORT) : 0;
    return inet_pton_narrow(Family, s, pAddrBuf);
}

WSP_EXPORT INT WSAAPI InetPtonW(INT Family, PCWSTR pszAddrString, PVOID pAddrBuf)
{
    char s[INET_TEXT_MAX];
    int err = ustr_in_w(s, sizeof s, pszAddrString);
    if (err == WSAEFAULT)
        return le_fail(WSAEFAULT);
    if (err != 0)
        return inet_size(Family) == 0 ? le_fail(WSAEAFNOSUPPORT) : 0;
    return inet_pton_narrow(Family, s, pAddrBuf);
}

/* Text of the address at addr into text (INET_TEXT_MAX): 0 or a WSA code. */
static int inet_ntop_local(INT family, const void *addr, char *text)
{
    size_t n = inet_size(family);
    if (n == 0)
        return WSAEAFNOSUPPORT;
    unsigned char bin[sizeof(struct in6_addr)];
    if (addr == NULL || umem_read(bin, addr, n) != 0)
        return WSAEFAULT;
    return inet_ntop(family, bin, text, INET_TEXT_MAX) == NULL ? WSAEFAULT : 0;
}

/* Windows: NULL with WSAEAFNOSUPPORT, or ERROR_INVALID_PARAMETER
 * (WSA_INVALID_PARAMETER) for a NULL buffer, a zero size or too small a one. */
WSP_EXPORT PCSTR WSAAPI wsp_inet_ntop(INT Family, const VOID *pAddr, PSTR pStringBuf,
                                      size_t StringBufSize)
{
    char text[INET_TEXT_MAX];
    int err = inet_ntop_local(Family, pAddr, text);
    if (err == 0 && (pStringBuf == NULL || strlen(text) + 1 > StringBufSize))
        err = WSA_INVALID_PARAMETER;
    if (err == 0)
        err = umem_write(pStringBuf, text, strlen(text) + 1);
    if (err != 0) {
        le_set(err);
        return NULL;
    }
    return pStringBuf;
}

WSP_EXPORT PCWSTR WSAAPI InetNtopW(INT Family, const VOID *pAddr, PWSTR pStringBuf,
                                   size_t StringBufSize)
{
    char text[INET_TEXT_MAX];
    int err = inet_ntop_local(Family, pAddr, text);
    if (err == 0 && (pStringBuf == NULL || strlen(text) + 1 > StringBufSize))
        err = WSA_INVALID_PARAMETER;
    if (err == 0)
        err = ustr_out_w(pStringBuf, StringBufSize, text);
    if (err != 0) {
        le_set(err);
        return NULL;
    }
    return pStringBuf;
}
