/* WSPAddressToString / WSPStringToAddress for IPv4 and IPv6, with WCHAR as
 * UTF-16 code units (uint16_t): "a.b.c.d[:port]", "[v6]:port" or "v6". */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/umem.h"
#include "tcp.h"

#define TCP_ADDRSTR_MAX 64 /* longest form: "[v6%scope]:65535" */

int tcp_sockaddr_len(int af)
{
    return af == AF_INET    ? (int)sizeof(struct sockaddr_in)
           : af == AF_INET6 ? (int)sizeof(struct sockaddr_in6)
                            : 0;
}

static int tcp_format(const struct sockaddr_storage *ss, char *out, size_t cap)
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
    if (in6->sin6_scope_id != 0)
        snprintf(scope, sizeof scope, "%%%u", (unsigned)in6->sin6_scope_id);
    if (in6->sin6_port != 0)
        return snprintf(out, cap, "[%s%s]:%u", host, scope, ntohs(in6->sin6_port));
    return snprintf(out, cap, "%s%s", host, scope);
}

INT WSPAPI tcp_WSPAddressToString(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                  LPWSAPROTOCOL_INFOW lpProtocolInfo, LPWSTR lpszAddressString,
                                  LPDWORD lpdwAddressStringLength, LPINT lpErrno)
{
    (void)lpProtocolInfo;
    int err = tcp_guard();
    if (err != 0)
        return tcp_fail(lpErrno, err);
    struct sockaddr_storage ss = {0};
    if (lpsaAddress == NULL || dwAddressLength < sizeof(sa_family_t) ||
        dwAddressLength > sizeof ss || umem_read(&ss, lpsaAddress, dwAddressLength) != 0)
        return tcp_fail(lpErrno, WSAEFAULT);
    int need = tcp_sockaddr_len(ss.ss_family);
    if (need == 0)
        return tcp_fail(lpErrno, WSAEINVAL);
    if ((int)dwAddressLength < need)
        return tcp_fail(lpErrno, WSAEFAULT);
    char text[TCP_ADDRSTR_MAX];
    int n = tcp_format(&ss, text, sizeof text);
    DWORD cap;
    if (lpdwAddressStringLength == NULL || umem_read(&cap, lpdwAddressStringLength, sizeof cap))
        return tcp_fail(lpErrno, WSAEFAULT);
    DWORD want = (DWORD)n + 1; /* characters including the terminator */
    if (cap < want || lpszAddressString == NULL) {
        umem_write(lpdwAddressStringLength, &want, sizeof want);
        return tcp_fail(lpErrno, WSAEFAULT);
    }
    WCHAR wide[TCP_ADDRSTR_MAX];
    for (DWORD i = 0; i < want; i++)
        wide[i] = (WCHAR)(unsigned char)text[i];
    if (umem_write(lpszAddressString, wide, want * sizeof(WCHAR)) != 0 ||
        umem_write(lpdwAddressStringLength, &want, sizeof want) != 0)
        return tcp_fail(lpErrno, WSAEFAULT);
    return 0;
}

/* Parse an optional ":port" tail. true on success. */
static bool tcp_parse_port(const char *p, in_port_t *port)
{
    if (*p == '\0') {
        *port = 0;
        return true;
    }
    if (*p != ':' || p[1] == '\0')
        return false;
    char *end;
    unsigned long v = strtoul(p + 1, &end, 10);
    if (*end != '\0' || v > 65535)
        return false;
    *port = htons((in_port_t)v);
    return true;
}

static bool tcp_parse(const char *s, int af, struct sockaddr_storage *ss, int *len)
{
    char host[TCP_ADDRSTR_MAX];
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
               tcp_parse_port(s + hl, &in->sin_port);
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
    char *pct = strchr(host, '%');
    if (pct != NULL) {
        char *end;
        *pct = '\0';
        unsigned long scope = strtoul(pct + 1, &end, 10);
        if (*end != '\0' || pct[1] == '\0')
            return false;
        in6->sin6_scope_id = (uint32_t)scope;
    }
    return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 && tcp_parse_port(tail, &in6->sin6_port);
}

INT WSPAPI tcp_WSPStringToAddress(LPWSTR AddressString, INT AddressFamily,
                                  LPWSAPROTOCOL_INFOW lpProtocolInfo, LPSOCKADDR lpAddress,
                                  LPINT lpAddressLength, LPINT lpErrno)
{
    int err = tcp_guard();
    if (err != 0)
        return tcp_fail(lpErrno, err);
    if (AddressFamily == FROM_PROTOCOL_INFO && lpProtocolInfo != NULL)
        AddressFamily = lpProtocolInfo->iAddressFamily;
    if (AddressFamily != AF_INET && AddressFamily != AF_INET6)
        return tcp_fail(lpErrno, WSAEINVAL);
    if (AddressString == NULL)
        return tcp_fail(lpErrno, WSAEINVAL);
    char text[TCP_ADDRSTR_MAX];
    size_t i = 0;
    for (;; i++) {
        WCHAR c;
        if (i == sizeof text || umem_read(&c, AddressString + i, sizeof c) != 0)
            return tcp_fail(lpErrno, i == sizeof text ? WSAEINVAL : WSAEFAULT);
        if (c >= 0x80)
            return tcp_fail(lpErrno, WSAEINVAL);
        text[i] = (char)c;
        if (c == 0)
            break;
    }
    struct sockaddr_storage ss;
    int len;
    if (!tcp_parse(text, AddressFamily, &ss, &len))
        return tcp_fail(lpErrno, WSAEINVAL);
    int cap;
    if (lpAddressLength == NULL || umem_read(&cap, lpAddressLength, sizeof cap) != 0)
        return tcp_fail(lpErrno, WSAEFAULT);
    if (cap < len) {
        umem_write(lpAddressLength, &len, sizeof len);
        return tcp_fail(lpErrno, WSAEFAULT);
    }
    if (umem_write(lpAddress, &ss, (size_t)len) != 0 ||
        umem_write(lpAddressLength, &len, sizeof len) != 0)
        return tcp_fail(lpErrno, WSAEFAULT);
    return 0;
}
