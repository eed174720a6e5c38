/* address — names of itot sockets (WSPGetPeerName, WSPGetSockName) and the
 * address text forms (WSPAddressToString, WSPStringToAddress): IPv4
 * "a.b.c.d[:port]" and IPv6 "[addr]:port" or "addr", UTF-16 WCHARs. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errmap.h"
#include "common/umem.h"
#include "provider.h"

#define ADDR_TEXT_MAX 64

static int give_name(const struct sockaddr_storage *ss, socklen_t n, struct sockaddr *name,
                     LPINT namelen)
{
    int have;
    if (namelen == NULL || umem_read(&have, namelen, sizeof have) != 0)
        return WSAEFAULT;
    if (have < (int)n || name == NULL || umem_write(name, ss, n) != 0)
        return WSAEFAULT;
    int out = (int)n;
    return umem_write(namelen, &out, sizeof out);
}

int WSPAPI itot_WSPGetPeerName(SOCKET h, struct sockaddr *name, LPINT namelen, LPINT lpErrno)
{
    int err = itot_guard();
    struct itot_sock *s = err ? NULL : itot_lookup(h, &err);
    if (s == NULL)
        return itot_fail(lpErrno, err);
    struct sockaddr_storage ss;
    socklen_t n = sizeof ss;
    pthread_mutex_lock(&s->lock);
    if (!s->has_conn || s->conn.state == CONN_S_CR_SENT || s->conn.state == CONN_S_IDLE)
        err = WSAENOTCONN;
    else if (s->peer_len > 0)
        ss = s->peer, n = s->peer_len;
    else if (s->fd < 0 || getpeername(s->fd, (struct sockaddr *)&ss, &n) != 0)
        err = WSAENOTCONN;
    else
        s->peer = ss, s->peer_len = n; /* kept for after the TCP close */
    pthread_mutex_unlock(&s->lock);
    if (err == 0)
        err = give_name(&ss, n, name, namelen);
    return err ? itot_fail(lpErrno, err) : 0;
}

int WSPAPI itot_WSPGetSockName(SOCKET h, struct sockaddr *name, LPINT namelen, LPINT lpErrno)
{
    int err = itot_guard();
    struct itot_sock *s = err ? NULL : itot_lookup(h, &err);
    if (s == NULL)
        return itot_fail(lpErrno, err);
    struct sockaddr_storage ss;
    socklen_t n = sizeof ss;
    pthread_mutex_lock(&s->lock);
    if (!s->bound && !s->has_conn)
        err = WSAEINVAL; /* Winsock: not bound yet */
    else if (s->fd < 0 && s->local_len > 0)
        ss = s->local, n = s->local_len; /* released: the name stays (C10) */
    else if (s->fd < 0 || getsockname(s->fd, (struct sockaddr *)&ss, &n) != 0)
        err = s->fd < 0 ? WSAENOTCONN : errmap_from_errno(errno);
    pthread_mutex_unlock(&s->lock);
    if (err == 0)
        err = give_name(&ss, n, name, namelen);
    return err ? itot_fail(lpErrno, err) : 0;
}

static int format_addr(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    unsigned port;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        return port ? snprintf(out, cap, "%s:%u", host, port) : snprintf(out, cap, "%s", host);
    }
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
    return port ? snprintf(out, cap, "[%s]:%u", host, port) : snprintf(out, cap, "%s", host);
}

INT WSPAPI itot_WSPAddressToString(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                   LPWSAPROTOCOL_INFOW lpProtocolInfo, LPWSTR lpszAddressString,
                                   LPDWORD lpdwAddressStringLength, LPINT lpErrno)
{
    (void)lpProtocolInfo;
    int err = itot_guard();
    if (err != 0)
        return itot_fail(lpErrno, err);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (lpsaAddress == NULL || dwAddressLength < sizeof(sa_family_t) ||
        dwAddressLength > sizeof ss || umem_read(&ss, lpsaAddress, dwAddressLength) != 0)
        return itot_fail(lpErrno, WSAEFAULT);
    int need = itot_sockaddr_len(ss.ss_family);
    if (need == 0)
        return itot_fail(lpErrno, WSAEINVAL);
    if ((int)dwAddressLength < need)
        return itot_fail(lpErrno, WSAEFAULT);
    char text[ADDR_TEXT_MAX];
    DWORD want = (DWORD)format_addr(&ss, text, sizeof text) + 1;
    DWORD cap;
    if (lpdwAddressStringLength == NULL ||
        umem_read(&cap, lpdwAddressStringLength, sizeof cap) != 0)
        return itot_fail(lpErrno, WSAEFAULT);
    if (cap < want || lpszAddressString == NULL) {
        umem_write(lpdwAddressStringLength, &want, sizeof want);
        return itot_fail(lpErrno, WSAEFAULT);
    }
    WCHAR w[ADDR_TEXT_MAX];
    for (DWORD i = 0; i < want; i++)
        w[i] = (WCHAR)(unsigned char)text[i];
    if (umem_write(lpszAddressString, w, want * sizeof(WCHAR)) != 0 ||
        umem_write(lpdwAddressStringLength, &want, sizeof want) != 0)
        return itot_fail(lpErrno, WSAEFAULT);
    return 0;
}

static bool parse_port(const char *p, in_port_t *port)
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

static bool parse_addr(const char *t, int af, struct sockaddr_storage *ss, int *len)
{
    char host[ADDR_TEXT_MAX];
    const char *tail;
    memset(ss, 0, sizeof *ss);
    if (af == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        tail = strchr(t, ':');
        size_t hl = tail ? (size_t)(tail - t) : strlen(t);
        if (hl >= sizeof host)
            return false;
        memcpy(host, t, hl);
        host[hl] = '\0';
        a->sin_family = AF_INET;
        *len = sizeof *a;
        return inet_pton(AF_INET, host, &a->sin_addr) == 1 && parse_port(t + hl, &a->sin_port);
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    *len = sizeof *a;
    if (*t == '[') {
        const char *end = strchr(t, ']');
        if (end == NULL || (size_t)(end - t - 1) >= sizeof host)
            return false;
        memcpy(host, t + 1, (size_t)(end - t - 1));
        host[end - t - 1] = '\0';
        tail = end + 1;
    } else {
        if (strlen(t) >= sizeof host)
            return false;
        strcpy(host, t);
        tail = "";
    }
    return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 && parse_port(tail, &a->sin6_port);
}

INT WSPAPI itot_WSPStringToAddress(LPWSTR AddressString, INT AddressFamily,
                                   LPWSAPROTOCOL_INFOW lpProtocolInfo, LPSOCKADDR lpAddress,
                                   LPINT lpAddressLength, LPINT lpErrno)
{
    (void)lpProtocolInfo;
    int err = itot_guard();
    if (err != 0)
        return itot_fail(lpErrno, err);
    if (AddressFamily != AF_INET && AddressFamily != AF_INET6)
        return itot_fail(lpErrno, WSAEINVAL);
    char text[ADDR_TEXT_MAX];
    size_t i = 0;
    for (;; i++) {
        WCHAR w;
        if (AddressString == NULL || umem_read(&w, AddressString + i, sizeof w) != 0)
            return itot_fail(lpErrno, WSAEFAULT);
        if (w == 0)
            break;
        if (w > 0x7F || i + 1 >= sizeof text)
            return itot_fail(lpErrno, WSAEINVAL);
        text[i] = (char)w;
    }
    text[i] = '\0';
    struct sockaddr_storage ss;
    int n;
    if (!parse_addr(text, AddressFamily, &ss, &n))
        return itot_fail(lpErrno, WSAEINVAL);
    int have;
    if (lpAddressLength == NULL || umem_read(&have, lpAddressLength, sizeof have) != 0)
        return itot_fail(lpErrno, WSAEFAULT);
    if (have < n) {
        umem_write(lpAddressLength, &n, sizeof n);
        return itot_fail(lpErrno, WSAEFAULT);
    }
    if (lpAddress == NULL || umem_write(lpAddress, &ss, (size_t)n) != 0 ||
        umem_write(lpAddressLength, &n, sizeof n) != 0)
        return itot_fail(lpErrno, WSAEFAULT);
    return 0;
}
