/* SPDX-License-Identifier: MIT */
/* A WSAEventSelect echo server in plain Windows style: one event per socket,
 * WSAWaitForMultipleEvents over all of them, WSAEnumNetworkEvents to learn
 * what happened (FD_ACCEPT on the listener, FD_READ and FD_CLOSE on the
 * clients). It writes its port on stdout (one line, for the client at the
 * other end of a pipe) and exits 0 once it has served a client to the end
 * and none is left (exit 1 after 10 s without activity).
 *
 * Builds unchanged against wsp (-DWSP_WINSOCK_NAMES, pkg-config's include
 * path) and against Windows' ws2_32 (x86_64-w64-mingw32-gcc ... -lws2_32). */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <string.h>

#define MAX_SOCKETS 8

static SOCKET socks[MAX_SOCKETS];
static WSAEVENT events[MAX_SOCKETS];
static DWORD count;

static int add(SOCKET s, long what)
{
    WSAEVENT ev = WSACreateEvent();
    if (count == MAX_SOCKETS || ev == WSA_INVALID_EVENT ||
        WSAEventSelect(s, ev, what) == SOCKET_ERROR) {
        if (ev != WSA_INVALID_EVENT)
            WSACloseEvent(ev);
        return -1;
    }
    socks[count] = s;
    events[count++] = ev;
    return 0;
}

static void drop(DWORD i)
{
    closesocket(socks[i]);
    WSACloseEvent(events[i]);
    socks[i] = socks[--count];
    events[i] = events[count];
}

/* Echo what is there; the socket is non-blocking under WSAEventSelect. */
static void echo(SOCKET s)
{
    char buf[512];
    int n;
    while ((n = recv(s, buf, sizeof buf, 0)) > 0)
        if (send(s, buf, n, 0) != n)
            break;
}

int main(void)
{
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return 1;
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKADDR_IN a;
    int alen = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l == INVALID_SOCKET || bind(l, (SOCKADDR *)&a, sizeof a) == SOCKET_ERROR ||
        listen(l, SOMAXCONN) == SOCKET_ERROR || getsockname(l, (SOCKADDR *)&a, &alen) != 0 ||
        add(l, FD_ACCEPT) != 0) {
        fprintf(stderr, "listener: error %d\n", WSAGetLastError());
        return 1;
    }
    printf("%u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);

    int served = 0, rc = 1;
    while (!(served > 0 && count == 1)) {
        DWORD w = WSAWaitForMultipleEvents(count, events, FALSE, 10000, FALSE);
        if (w == WSA_WAIT_TIMEOUT || w == WSA_WAIT_FAILED) {
            fprintf(stderr, "wait: %s\n", w == WSA_WAIT_TIMEOUT ? "timeout" : "failed");
            break;
        }
        DWORD i = w - WSA_WAIT_EVENT_0;
        WSANETWORKEVENTS ne;
        if (WSAEnumNetworkEvents(socks[i], events[i], &ne) == SOCKET_ERROR)
            break;
        if (ne.lNetworkEvents & FD_ACCEPT) {
            SOCKET c = accept(l, NULL, NULL);
            if (c != INVALID_SOCKET && add(c, FD_READ | FD_CLOSE) != 0)
                closesocket(c);
        }
        if (ne.lNetworkEvents & FD_READ)
            echo(socks[i]);
        if (ne.lNetworkEvents & FD_CLOSE) {
            echo(socks[i]); /* what arrived before the end of stream */
            drop(i);
            served++;
        }
    }
    if (served > 0 && count == 1)
        rc = 0;
    while (count > 0)
        drop(count - 1);
    WSACleanup();
    return rc;
}
