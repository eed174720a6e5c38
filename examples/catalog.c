/* SPDX-License-Identifier: MIT */
/* A protocol catalog lister in plain Windows style: WSAEnumProtocols with a
 * first call for the size (WSAENOBUFS), then one line per entry (catalog id,
 * family, type, protocol, name). The entries and names differ from system to
 * system, so it ends with the lines that must hold everywhere: whether TCP
 * over IPv4 and IPv6 and UDP over IPv4 are in the catalog.
 * Exit 0 when all three are.
 *
 * Builds unchanged against wsp (-DWSP_WINSOCK_NAMES, pkg-config's include
 * path) and against Windows' ws2_32 (x86_64-w64-mingw32-gcc ... -lws2_32). */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return 1;
    DWORD size = 0;
    if (WSAEnumProtocols(NULL, NULL, &size) != SOCKET_ERROR || WSAGetLastError() != WSAENOBUFS) {
        fprintf(stderr, "size query: error %d\n", WSAGetLastError());
        return 1;
    }
    LPWSAPROTOCOL_INFO info = (LPWSAPROTOCOL_INFO)malloc(size);
    int n = info != NULL ? WSAEnumProtocols(NULL, info, &size) : SOCKET_ERROR;
    if (n == SOCKET_ERROR) {
        fprintf(stderr, "WSAEnumProtocols: error %d\n", WSAGetLastError());
        return 1;
    }
    int tcp4 = 0, tcp6 = 0, udp4 = 0;
    for (int i = 0; i < n; i++) {
        const WSAPROTOCOL_INFO *p = &info[i];
        printf("%lu af=%d type=%d proto=%d %s\n", (unsigned long)p->dwCatalogEntryId,
               p->iAddressFamily, p->iSocketType, p->iProtocol, p->szProtocol);
        if (p->ProtocolChain.ChainLen != BASE_PROTOCOL)
            continue;
        tcp4 |= p->iAddressFamily == AF_INET && p->iSocketType == SOCK_STREAM &&
                p->iProtocol == IPPROTO_TCP;
        tcp6 |= p->iAddressFamily == AF_INET6 && p->iSocketType == SOCK_STREAM &&
                p->iProtocol == IPPROTO_TCP;
        udp4 |= p->iAddressFamily == AF_INET && p->iSocketType == SOCK_DGRAM &&
                p->iProtocol == IPPROTO_UDP;
    }
    printf("TCP/IPv4: %s\n", tcp4 ? "yes" : "no");
    printf("TCP/IPv6: %s\n", tcp6 ? "yes" : "no");
    printf("UDP/IPv4: %s\n", udp4 ? "yes" : "no");
    free(info);
    WSACleanup();
    return tcp4 && tcp6 && udp4 ? 0 : 1;
}
