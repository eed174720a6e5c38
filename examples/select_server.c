/* SPDX-License-Identifier: MIT */
/* A select/ioctlsocket echo server in plain Windows style: a non-blocking
 * listener on 127.0.0.1 (port chosen by the system), select() over the
 * listener and every client, FIONREAD to size each read. It writes its port
 * on stdout (one line, for the client at the other end of a pipe), echoes
 * what each client sends, and exits 0 once it has served a client to the
 * end and none is left (exit 1 after 10 s without activity).
 *
 * Builds unchanged against wsp (-DWSP_WINSOCK_NAMES, pkg-config's include
 * path) and against Windows' ws2_32 (x86_64-w64-mingw32-gcc ... -lws2_32). */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <string.h>

#define MAX_CLIENTS 8

/* Send all of buf on a non-blocking socket (a short echo fits the buffers;
 * a would-block waits for writability with select). */
static int send_all(SOCKET s, const char *buf, int len)
{
    while (len > 0) {
        int n = send(s, buf, len, 0);
        if (n == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK) {
            fd_set wr;
            FD_ZERO(&wr);
            FD_SET(s, &wr);
            select(0, NULL, &wr, NULL, NULL);
            continue;
        }
        if (n == SOCKET_ERROR)
            return -1;
        buf += n;
        len -= n;
    }
    return 0;
}

int main(void)
{
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0) {
        fprintf(stderr, "WSAStartup failed\n");
        return 1;
    }
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKADDR_IN a;
    int alen = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    u_long on = 1;
    if (l == INVALID_SOCKET || bind(l, (SOCKADDR *)&a, sizeof a) == SOCKET_ERROR ||
        listen(l, SOMAXCONN) == SOCKET_ERROR || getsockname(l, (SOCKADDR *)&a, &alen) != 0 ||
        ioctlsocket(l, FIONBIO, &on) != 0) {
        fprintf(stderr, "listener: error %d\n", WSAGetLastError());
        return 1;
    }
    printf("%u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);

    SOCKET clients[MAX_CLIENTS];
    int nclients = 0, served = 0, rc = 1;
    for (;;) {
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(l, &rd);
        for (int i = 0; i < nclients; i++)
            FD_SET(clients[i], &rd);
        struct timeval tv = {10, 0};
        int ready = select(0, &rd, NULL, NULL, &tv);
        if (ready == SOCKET_ERROR || ready == 0) {
            fprintf(stderr, "select: %s %d\n", ready ? "error" : "timeout", WSAGetLastError());
            break;
        }
        if (FD_ISSET(l, &rd)) {
            SOCKET c = accept(l, NULL, NULL);
            if (c != INVALID_SOCKET && nclients < MAX_CLIENTS && ioctlsocket(c, FIONBIO, &on) == 0)
                clients[nclients++] = c;
            else if (c != INVALID_SOCKET)
                closesocket(c);
        }
        for (int i = 0; i < nclients; i++) {
            if (!FD_ISSET(clients[i], &rd))
                continue;
            u_long avail = 0;
            char buf[512];
            ioctlsocket(clients[i], FIONREAD, &avail);
            int want = avail > 0 && avail < sizeof buf ? (int)avail : (int)sizeof buf;
            int n = recv(clients[i], buf, want, 0);
            if (n > 0 && send_all(clients[i], buf, n) == 0)
                continue;
            if (n == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK)
                continue;
            closesocket(clients[i]); /* end of stream or an error: done with it */
            clients[i--] = clients[--nclients];
            served++;
        }
        if (served > 0 && nclients == 0) {
            rc = 0;
            break;
        }
    }
    for (int i = 0; i < nclients; i++)
        closesocket(clients[i]);
    closesocket(l);
    WSACleanup();
    return rc;
}
