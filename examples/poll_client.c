/* SPDX-License-Identifier: MIT */
/* A WSAPoll client in plain Windows style: reads an echo server's port from
 * stdin (one line), connects without blocking and waits with WSAPoll for the
 * connection (POLLWRNORM) and for the echo (POLLRDNORM). Then it connects to
 * a port where nobody listens and shows that WSAPoll reports the failure
 * (POLLERR/POLLHUP, not asked for) and SO_ERROR holds WSAECONNREFUSED.
 * Output: "connected", "echo: ping", "refused: reported", "SO_ERROR:
 * WSAECONNREFUSED"; exit 0.
 *
 * Builds unchanged against wsp (-DWSP_WINSOCK_NAMES, pkg-config's include
 * path) and against Windows' ws2_32 (x86_64-w64-mingw32-gcc ... -lws2_32). */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A non-blocking socket with its connect to 127.0.0.1:port started. */
static SOCKET start_connect(u_short port)
{
    SOCKADDR_IN to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    u_long on = 1;
    if (s == INVALID_SOCKET || ioctlsocket(s, FIONBIO, &on) != 0)
        return INVALID_SOCKET;
    if (connect(s, (SOCKADDR *)&to, sizeof to) == SOCKET_ERROR &&
        WSAGetLastError() != WSAEWOULDBLOCK) {
        closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

/* A port on 127.0.0.1 that nobody listens on: bound once, then released. */
static u_short free_port(void)
{
    SOCKADDR_IN a;
    int len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (bind(s, (SOCKADDR *)&a, sizeof a) != 0 || getsockname(s, (SOCKADDR *)&a, &len) != 0)
        a.sin_port = 0;
    closesocket(s);
    return ntohs(a.sin_port);
}

static int echo_once(u_short port)
{
    SOCKET s = start_connect(port);
    WSAPOLLFD p;
    p.fd = s;
    p.events = POLLWRNORM;
    if (s == INVALID_SOCKET || WSAPoll(&p, 1, 10000) != 1 || !(p.revents & POLLWRNORM)) {
        fprintf(stderr, "connect: error %d\n", WSAGetLastError());
        return 1;
    }
    printf("connected\n");
    char got[8];
    int have = 0;
    if (send(s, "ping", 4, 0) != 4)
        return 1;
    while (have < 4) {
        p.events = POLLRDNORM;
        int n = WSAPoll(&p, 1, 10000) == 1 ? recv(s, got + have, 4 - have, 0) : -1;
        if (n <= 0) {
            fprintf(stderr, "recv: error %d\n", WSAGetLastError());
            return 1;
        }
        have += n;
    }
    printf("echo: %.4s\n", got);
    closesocket(s);
    return 0;
}

static int refused_once(void)
{
    SOCKET s = start_connect(free_port());
    WSAPOLLFD p;
    p.fd = s;
    p.events = POLLWRNORM; /* POLLERR and POLLHUP are reported unasked */
    int n = s == INVALID_SOCKET ? -1 : WSAPoll(&p, 1, 10000);
    printf("refused: %s\n",
           n == 1 && (p.revents & (POLLERR | POLLHUP)) ? "reported" : "not reported");
    int err = 0, len = sizeof err;
    getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &len);
    printf("SO_ERROR: %s\n", err == WSAECONNREFUSED ? "WSAECONNREFUSED" : "other");
    closesocket(s);
    return n == 1 && err == WSAECONNREFUSED ? 0 : 1;
}

int main(void)
{
    char line[64];
    if (fgets(line, sizeof line, stdin) == NULL) {
        fprintf(stderr, "no port on stdin\n");
        return 1;
    }
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return 1;
    int rc = echo_once((u_short)atoi(line));
    if (rc == 0)
        rc = refused_once();
    WSACleanup();
    return rc;
}
