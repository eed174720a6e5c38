/* SPDX-License-Identifier: MIT */
/* addrstr — sockaddr <-> UTF-16 address text (see addrstr.h). */
#include "common/addrstr.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/umem.h"

#define ADDRSTR_MAX 64 /* longest form: "[v6%scope]:65535" */

int addrstr_sockaddr_len(int af)
{
    return af == AF_INET    ? (int)sizeof(struct sockaddr_in)
           : af == AF_INET6 ? (int)sizeof(struct sockaddr_in6)
                            : 0;
}

static int addrstr_format(const struct sockaddr_storage *ss, unsigned flags, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        if (in->sin_port != 0)
            return snprintf(out, cap, "%s:%u", host, ntohs(in->sin_port));
        return snprintf(out, cap, "%s", host);
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    char scope[16] = "";
    if ((flags & ADDRSTR_SCOPE_ID) && in6->sin6_scope_id != 0)
        snprintf(scope, sizeof scope, "%%%u", (unsigned)in6->sin6_scope_id);
    if (in6->sin6_port != 0)
        return snprintf(out, cap, "[%s%s]:%u", host, scope, ntohs(in6->sin6_port));
    return snprintf(out, cap, "%s%s", host, scope);
}

int addrstr_to_text(const struct sockaddr *lpsaAddress, DWORD dwAddressLength, unsigned flags,
                    LPWSTR lpszAddressString, LPDWORD lpdwAddressStringLength)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (lpsaAddress == NULL || dwAddressLength < sizeof(sa_family_t) ||
        dwAddressLength > sizeof ss || umem_read(&ss, lpsaAddress, dwAddressLength) != 0)
        return WSAEFAULT;
    int need = addrstr_sockaddr_len(ss.ss_family);
    if (need == 0)
        return WSAEINVAL;
    if ((int)dwAddressLength < need)
        return WSAEFAULT;
    char text[ADDRSTR_MAX];
    DWORD want = (DWORD)addrstr_format(&ss, flags, text, sizeof text) + 1; /* with the NUL */
    DWORD cap;
    if (lpdwAddressStringLength == NULL ||
        umem_read(&cap, lpdwAddressStringLength, sizeof cap) != 0)
        return WSAEFAULT;
    if (cap < want || lpszAddressString == NULL) {
        if (umem_write(lpdwAddressStringLength, &want, sizeof want) != 0) {
        } /* the size needed, if it can be written: WSAEFAULT all the same */
        return WSAEFAULT;
    }
    WCHAR wide[ADDRSTR_MAX];
    for (DWORD i = 0; i < want; i++)
        wide[i] = (WCHAR)(unsigned char)text[i];
    if (umem_write(lpszAddressString, wide, want * sizeof(WCHAR)) != 0 ||
        umem_write(lpdwAddressStringLength, &want, sizeof want) != 0)
        return WSAEFAULT;
    return 0;
}

/* Parse an optional ":port" tail. true on success. */
static bool addrstr_parse_port(const char *p, in_port_t *port)
{
    *port = 0;
    if (*p == '\0')
        return true;
    if (*p != ':' || p[1] == '\0')
        return false;
    char *end;
    unsigned long v = strtoul(p + 1, &end, 10);
    if (*end != '\0' || v > 65535)
        return false;
    *port = htons((in_port_t)v);
    return true;
}

static bool addrstr_parse(const char *s, int af, unsigned flags, struct sockaddr_storage *ss,
                          int *len)
{
    char host[ADDRSTR_MAX];
    memset(ss, 0, sizeof *ss);
    if (af == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        const char *colon = strchr(s, ':');
        size_t hl = colon ? (size_t)(colon - s) : strlen(s);
        if (hl >= sizeof host)
            return false;
        memcpy(host, s, hl);
        host[hl] = '\0';
        in->sin_family = AF_INET;
        *len = sizeof *in;
        return inet_pton(AF_INET, host, &in->sin_addr) == 1 &&
               addrstr_parse_port(s + hl, &in->sin_port);
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    *len = sizeof *in6;
    const char *tail = "";
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || (size_t)(close - s - 1) >= sizeof host)
            return false;
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        tail = close + 1;
    } else {
        size_t n = strlen(s);
        if (n >= sizeof host)
            return false;
        memcpy(host, s, n + 1);
    }
    char *pct = (flags & ADDRSTR_SCOPE_ID) ? strchr(host, '%') : NULL;
    if (pct != NULL) {
        char *end;
        *pct = '\0';
        unsigned long scope = strtoul(pct + 1, &end, 10);
        if (*end != '\0' || pct[1] == '\0')
            return false;
        in6->sin6_scope_id = (uint32_t)scope;
    }
    return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 &&
           addrstr_parse_port(tail, &in6->sin6_port);
}

int addrstr_from_text(const WCHAR *AddressString, int AddressFamily, unsigned flags,
                      struct sockaddr *lpAddress, LPINT lpAddressLength)
{
    if (AddressFamily != AF_INET && AddressFamily != AF_INET6)
        return WSAEINVAL;
    char text[ADDRSTR_MAX];
    size_t i = 0;
    if (AddressString == NULL)
        return WSAEFAULT;
    for (;; i++) {
        WCHAR c;
        if (i == sizeof text) /* no room left for the terminator */
            return WSAEINVAL;
        if (umem_read(&c, AddressString + i, sizeof c) != 0)
            return WSAEFAULT;
        if (c >= 0x80)
            return WSAEINVAL;
        text[i] = (char)c;
        if (c == 0)
            break;
    }
    struct sockaddr_storage ss;
    int len;
    if (!addrstr_parse(text, AddressFamily, flags, &ss, &len))
        return WSAEINVAL;
    int cap;
    if (lpAddressLength == NULL || umem_read(&cap, lpAddressLength, sizeof cap) != 0)
        return WSAEFAULT;
    if (cap < len) {
        if (umem_write(lpAddressLength, &len, sizeof len) != 0) {
        } /* the size needed, if it can be written: WSAEFAULT all the same */
        return WSAEFAULT;
    }
    if (umem_write(lpAddress, &ss, (size_t)len) != 0 ||
        umem_write(lpAddressLength, &len, sizeof len) != 0)
        return WSAEFAULT;
    return 0;
}
