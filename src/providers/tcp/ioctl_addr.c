/* SPDX-License-Identifier: MIT */
/* The address ioctls: SIO_ROUTING_INTERFACE_QUERY (which local address the
 * system would use towards a destination), SIO_ADDRESS_LIST_QUERY (the local
 * addresses of the socket's family) and SIO_GET_INTERFACE_LIST (the IPv4
 * interfaces with their masks and flags).  Not on any hot path: they may
 * allocate and open a helper socket. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wsp/ws2tcpip.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/umem.h"
#include "tcp.h"

/* WSAIoctl page: with an output buffer too small the call fails with
 * WSAEFAULT and lpcbBytesReturned holds the size needed. */
static int tcp_ioctl_too_small(DWORD need, LPDWORD ret)
{
    *ret = need;
    return WSAEFAULT;
}

int tcp_ioctl_route_query(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                          LPDWORD ret)
{
    int salen = tcp_sockaddr_len(ts->af);
    struct sockaddr_storage dst, local;
    if (salen <= 0)
        return WSAEAFNOSUPPORT; /* a family this provider has no address size for */
    if (inlen < (DWORD)salen || umem_read(&dst, in, (size_t)salen) != 0)
        return WSAEFAULT;
    if (dst.ss_family != ts->af)
        return WSAEAFNOSUPPORT;
    /* a connected UDP socket asks the routing table; nothing is sent */
    int fd = sys_socket(ts->af, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errmap_from_errno(errno);
    socklen_t len = sizeof local;
    int rc = sys_connect(fd, (struct sockaddr *)&dst, (socklen_t)salen);
    if (rc == 0)
        rc = sys_getsockname(fd, (struct sockaddr *)&local, &len);
    int saved = errno;
    sys_close(fd);
    if (rc != 0)
        return saved == ENETUNREACH ? WSAENETUNREACH : errmap_from_errno(saved);
    if (outlen < len)
        return tcp_ioctl_too_small(len, ret);
    if (ts->af == AF_INET)
        ((struct sockaddr_in *)&local)->sin_port = 0;
    else
        ((struct sockaddr_in6 *)&local)->sin6_port = 0;
    if (umem_write(out, &local, len) != 0)
        return WSAEFAULT;
    *ret = len;
    return 0;
}

/* Is this interface address one to list: the socket's family, interface up. */
static bool tcp_addr_listed(const struct ifaddrs *ia, int af)
{
    return ia->ifa_addr != NULL && ia->ifa_addr->sa_family == af && (ia->ifa_flags & IFF_UP);
}

int tcp_ioctl_addr_list(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                        LPDWORD ret)
{
    (void)in, (void)inlen;
    struct ifaddrs *all;
    if (getifaddrs(&all) != 0)
        return errmap_from_errno(errno);
    int salen = tcp_sockaddr_len(ts->af), count = 0;
    for (const struct ifaddrs *ia = all; ia != NULL; ia = ia->ifa_next)
        count += tcp_addr_listed(ia, ts->af);
    /* Windows' layout: the list header, its SOCKET_ADDRESS array, then the
     * addresses they point to, all inside the caller's buffer */
    size_t head = offsetof(SOCKET_ADDRESS_LIST, Address) + (size_t)count * sizeof(SOCKET_ADDRESS);
    head = (head + 7u) & ~(size_t)7u;
    size_t need = head + (size_t)count * (size_t)salen;
    if (need < sizeof(SOCKET_ADDRESS_LIST))
        need = sizeof(SOCKET_ADDRESS_LIST);
    if (outlen < need) {
        freeifaddrs(all);
        return tcp_ioctl_too_small((DWORD)need, ret);
    }
    unsigned char *buf = calloc(1, need);
    if (buf == NULL) {
        freeifaddrs(all);
        return WSAENOBUFS;
    }
    SOCKET_ADDRESS_LIST *list = (SOCKET_ADDRESS_LIST *)(void *)buf;
    /* Address is declared [1] and holds count entries, as on Windows */
    SOCKET_ADDRESS *addrs =
        (SOCKET_ADDRESS *)(void *)(buf + offsetof(SOCKET_ADDRESS_LIST, Address));
    list->iAddressCount = count;
    int i = 0;
    for (const struct ifaddrs *ia = all; ia != NULL; ia = ia->ifa_next) {
        if (!tcp_addr_listed(ia, ts->af))
            continue;
        size_t at = head + (size_t)i * (size_t)salen;
        memcpy(buf + at, ia->ifa_addr, (size_t)salen);
        addrs[i].lpSockaddr = (LPSOCKADDR)(void *)((unsigned char *)out + at);
        addrs[i].iSockaddrLength = salen;
        i++;
    }
    freeifaddrs(all);
    int err = umem_write(out, buf, need) != 0 ? WSAEFAULT : 0;
    free(buf);
    if (err == 0)
        *ret = (DWORD)need;
    return err;
}

/* Linux interface flags and Windows' INTERFACE_INFO ones (they differ). */
static const struct {
    unsigned sys;
    ULONG win;
} tcp_iff_map[] = {
    {IFF_UP, WSP_IFF_UP},
    {IFF_BROADCAST, WSP_IFF_BROADCAST},
    {IFF_LOOPBACK, WSP_IFF_LOOPBACK},
    {IFF_POINTOPOINT, WSP_IFF_POINTTOPOINT},
    {IFF_MULTICAST, WSP_IFF_MULTICAST},
};

static void tcp_iff_copy(sockaddr_gen *to, const struct sockaddr *from)
{
    if (from != NULL && from->sa_family == AF_INET)
        memcpy(&to->AddressIn, from, sizeof to->AddressIn);
}

/* SIO_GET_INTERFACE_LIST page: an array of INTERFACE_INFO, one per IPv4
 * address of an interface; the output length tells how many. */
int tcp_ioctl_if_list(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                      LPDWORD ret)
{
    (void)ts, (void)in, (void)inlen;
    struct ifaddrs *all;
    if (getifaddrs(&all) != 0)
        return errmap_from_errno(errno);
    DWORD count = 0;
    for (const struct ifaddrs *ia = all; ia != NULL; ia = ia->ifa_next)
        count += ia->ifa_addr != NULL && ia->ifa_addr->sa_family == AF_INET;
    DWORD need = count * (DWORD)sizeof(INTERFACE_INFO);
    if (outlen < need) {
        freeifaddrs(all);
        return tcp_ioctl_too_small(need, ret);
    }
    INTERFACE_INFO *info = calloc(count ? count : 1, sizeof *info);
    if (info == NULL) {
        freeifaddrs(all);
        return WSAENOBUFS;
    }
    DWORD i = 0;
    for (const struct ifaddrs *ia = all; ia != NULL; ia = ia->ifa_next) {
        if (ia->ifa_addr == NULL || ia->ifa_addr->sa_family != AF_INET)
            continue;
        for (size_t k = 0; k < sizeof tcp_iff_map / sizeof tcp_iff_map[0]; k++)
            if (ia->ifa_flags & tcp_iff_map[k].sys)
                info[i].iiFlags |= tcp_iff_map[k].win;
        tcp_iff_copy(&info[i].iiAddress, ia->ifa_addr);
        tcp_iff_copy(&info[i].iiNetmask, ia->ifa_netmask);
        if (ia->ifa_flags & IFF_BROADCAST)
            tcp_iff_copy(&info[i].iiBroadcastAddress, ia->ifa_broadaddr);
        i++;
    }
    freeifaddrs(all);
    int err = need > 0 && umem_write(out, info, need) != 0 ? WSAEFAULT : 0;
    free(info);
    if (err == 0)
        *ret = need;
    return err;
}
