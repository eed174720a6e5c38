/* SPDX-License-Identifier: MIT */
/* address — names of itot sockets (WSPGetPeerName, WSPGetSockName) and the
 * address text forms (WSPAddressToString, WSPStringToAddress): IPv4
 * "a.b.c.d[:port]" and IPv6 "[addr]:port" or "addr", UTF-16 WCHARs. */
#include <errno.h>

#include "common/sys.h"
#include "common/addrstr.h"
#include "common/errmap.h"
#include "common/spi_addr.h"
#include "provider.h"

/* itot address text has no IPv6 zone ("%scope"), unlike tcp's: kept as it was. */
#define ITOT_ADDRSTR_FLAGS 0u

int WSPAPI itot_WSPGetPeerName(SOCKET h, struct sockaddr *name, LPINT namelen, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    struct sockaddr_storage ss;
    socklen_t n = sizeof ss;
    pthread_mutex_lock(&s->lock);
    bool connected = s->has_conn && s->conn.state != CONN_S_CR_SENT && s->conn.state != CONN_S_IDLE;
    if (connected && s->peer_len > 0)
        itot_addr_get(&ss, &s->peer), n = s->peer_len;
    else if (!connected || s->fd < 0 || sys_getpeername(s->fd, (struct sockaddr *)&ss, &n) != 0)
        err = WSAENOTCONN;
    else
        itot_addr_set(&s->peer, &ss), s->peer_len = n; /* kept for after the TCP close */
    pthread_mutex_unlock(&s->lock);
    if (err == 0)
        err = spi_addr_out(&ss, n, name, namelen);
    return err ? spi_fail(lpErrno, err) : 0;
}

int WSPAPI itot_WSPGetSockName(SOCKET h, struct sockaddr *name, LPINT namelen, LPINT lpErrno)
{
    int err;
    struct itot_sock *s = itot_enter(h, &err);
    if (s == NULL)
        return spi_fail(lpErrno, err);
    struct sockaddr_storage ss;
    socklen_t n = sizeof ss;
    pthread_mutex_lock(&s->lock);
    if (!s->bound && !s->has_conn)
        err = WSAEINVAL; /* Winsock: not bound yet */
    else if (s->fd < 0 && s->local_len > 0)
        itot_addr_get(&ss, &s->local), n = s->local_len; /* released: the name stays (C10) */
    else if (s->fd < 0 || sys_getsockname(s->fd, (struct sockaddr *)&ss, &n) != 0)
        err = s->fd < 0 ? WSAENOTCONN : errmap_from_errno(errno);
    pthread_mutex_unlock(&s->lock);
    if (err == 0)
        err = spi_addr_out(&ss, n, name, namelen);
    return err ? spi_fail(lpErrno, err) : 0;
}

INT WSPAPI itot_WSPAddressToString(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                   LPWSAPROTOCOL_INFOW lpProtocolInfo, LPWSTR lpszAddressString,
                                   LPDWORD lpdwAddressStringLength, LPINT lpErrno)
{
    (void)lpProtocolInfo;
    int err = itot_guard();
    if (err == 0)
        err = addrstr_to_text(lpsaAddress, dwAddressLength, ITOT_ADDRSTR_FLAGS, lpszAddressString,
                              lpdwAddressStringLength);
    return err ? spi_fail(lpErrno, err) : 0;
}

INT WSPAPI itot_WSPStringToAddress(LPWSTR AddressString, INT AddressFamily,
                                   LPWSAPROTOCOL_INFOW lpProtocolInfo, LPSOCKADDR lpAddress,
                                   LPINT lpAddressLength, LPINT lpErrno)
{
    (void)lpProtocolInfo;
    int err = itot_guard();
    if (err == 0)
        err = addrstr_from_text(AddressString, AddressFamily, ITOT_ADDRSTR_FLAGS, lpAddress,
                                lpAddressLength);
    return err ? spi_fail(lpErrno, err) : 0;
}
