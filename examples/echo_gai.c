/* SPDX-License-Identifier: MIT */
/* An echo server and client in plain Windows style: WSAStartup, getaddrinfo,
 * socket/bind/listen/accept, connect, send/recv, closesocket, freeaddrinfo,
 * WSACleanup; over IPv4 and IPv6 on loopback. The same file builds against
 * wsp (with -DWSP_WINSOCK_NAMES and pkg-config's include path) and against
 * Windows' ws2_32 (x86_64-w64-mingw32-gcc echo_gai.c -lws2_32).
 *
 * One thread plays both parts: the client's connect completes from the
 * listen backlog, and a short message fits the socket buffers, so the order
 * listen, connect, send, accept, recv, send, recv never blocks for good.
 * Exits 0 when both families echoed the message. */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <string.h>

/* getaddrinfo for a numeric host and port: no name service is consulted. */
static struct addrinfo *resolve(const char *host, const char *port, int family)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        printf("getaddrinfo(%s, %s): %d\n", host, port, rc);
        return NULL;
    }
    return res;
}

/* A listening socket on host, port chosen by the system, written to port. */
static SOCKET listen_on(const char *host, int family, char *port, size_t portlen)
{
    struct addrinfo *res = resolve(host, "0", family);
    if (res == NULL)
        return INVALID_SOCKET;
    SOCKET s = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (s == INVALID_SOCKET || bind(s, res->ai_addr, (int)res->ai_addrlen) == SOCKET_ERROR ||
        listen(s, 1) == SOCKET_ERROR) {
        printf("listen on %s: error %d\n", host, WSAGetLastError());
        if (s != INVALID_SOCKET)
            closesocket(s);
        freeaddrinfo(res);
        return INVALID_SOCKET;
    }
    freeaddrinfo(res);
    SOCKADDR_STORAGE local;
    int len = sizeof local;
    if (getsockname(s, (SOCKADDR *)&local, &len) == SOCKET_ERROR ||
        getnameinfo((SOCKADDR *)&local, len, NULL, 0, port, (DWORD)portlen, NI_NUMERICSERV) != 0) {
        printf("getsockname/getnameinfo: error %d\n", WSAGetLastError());
        closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

static SOCKET connect_to(const char *host, const char *port, int family)
{
    struct addrinfo *res = resolve(host, port, family);
    if (res == NULL)
        return INVALID_SOCKET;
    SOCKET s = INVALID_SOCKET;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (s == INVALID_SOCKET)
            continue;
        if (connect(s, ai->ai_addr, (int)ai->ai_addrlen) == 0)
            break;
        closesocket(s);
        s = INVALID_SOCKET;
    }
    freeaddrinfo(res);
    if (s == INVALID_SOCKET)
        printf("connect to %s port %s: error %d\n", host, port, WSAGetLastError());
    return s;
}

/* Receive exactly len bytes (or fail). */
static int recv_all(SOCKET s, char *buf, int len)
{
    int got = 0;
    while (got < len) {
        int n = recv(s, buf + got, len - got, 0);
        if (n <= 0)
            return -1;
        got += n;
    }
    return 0;
}

/* One echo exchange over the family; 0 on success. */
static int echo_once(const char *host, int family, const char *label)
{
    char port[NI_MAXSERV];
    SOCKET listener = listen_on(host, family, port, sizeof port);
    if (listener == INVALID_SOCKET)
        return 1;
    SOCKET client = connect_to(host, port, family);
    SOCKET server = INVALID_SOCKET;
    int failed = 1;
    const char msg[] = "hello, echo";
    char back[sizeof msg], heard[sizeof msg];
    if (client == INVALID_SOCKET)
        goto out;
    if (send(client, msg, (int)sizeof msg, 0) != (int)sizeof msg)
        goto out;
    server = accept(listener, NULL, NULL);
    if (server == INVALID_SOCKET || recv_all(server, heard, (int)sizeof heard) != 0 ||
        send(server, heard, (int)sizeof heard, 0) != (int)sizeof heard)
        goto out;
    shutdown(server, SD_SEND);
    if (recv_all(client, back, (int)sizeof back) != 0 || memcmp(back, msg, sizeof msg) != 0)
        goto out;
    /* the server's half-close: end of stream after the echo */
    failed = recv(client, back, (int)sizeof back, 0) != 0;
out:
    printf("%s %s (%s port %s)\n", failed ? "FAIL" : "ok  ", label, host, port);
    if (failed)
        printf("  last error %d\n", WSAGetLastError());
    if (server != INVALID_SOCKET)
        closesocket(server);
    if (client != INVALID_SOCKET)
        closesocket(client);
    closesocket(listener);
    return failed;
}

int main(void)
{
    WSADATA wd;
    int rc = WSAStartup(MAKEWORD(2, 2), &wd);
    if (rc != 0) {
        printf("WSAStartup: %d\n", rc);
        return 1;
    }
    int failed = echo_once("127.0.0.1", AF_INET, "echo over IPv4");
    failed += echo_once("::1", AF_INET6, "echo over IPv6");
    WSACleanup();
    return failed != 0;
}
