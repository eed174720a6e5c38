/* SPDX-License-Identifier: MIT */
#include "echo_core.h"

#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/itot.h>
#include <wsp/wspext.h>

enum { LISTENER, CLIENT, SERVER };

static struct {
    SOCKET s[ECHO_NFDS];
    WSAEVENT ev[ECHO_NFDS];
    int itot;
    size_t sent, echoed, checked; /* client: bytes sent, server: echoed, client: got back */
    int released, server_saw_end;
    char buf[16384];
} e;

static unsigned char pattern(size_t off)
{
    return (unsigned char)(off * 7 + (off >> 9));
}

static int fail(const char *what)
{
    int err = WSAGetLastError();
    fprintf(stderr, "echo: %s failed: %s (%d)\n", what, wsp_strerror(err), err);
    return -1;
}

static SOCKET new_socket(void)
{
    return e.itot ? WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0)
                  : WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
}

static int watch(int i, long events)
{
    e.ev[i] = WSACreateEvent();
    if (e.ev[i] == WSA_INVALID_EVENT)
        return fail("WSACreateEvent");
    /* makes the socket non-blocking */
    return WSAEventSelect(e.s[i], e.ev[i], events) == 0 ? 0 : fail("WSAEventSelect");
}

int echo_open(const char *proto)
{
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return fprintf(stderr, "echo: WSAStartup failed\n"), -1;
    e.itot = strcmp(proto, "itot") == 0;
    for (int i = 0; i < ECHO_NFDS; i++)
        e.s[i] = INVALID_SOCKET;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof a;
    e.s[LISTENER] = new_socket();
    if (e.s[LISTENER] == INVALID_SOCKET || wsp_bind(e.s[LISTENER], (struct sockaddr *)&a, len) ||
        wsp_listen(e.s[LISTENER], 4) || wsp_getsockname(e.s[LISTENER], (struct sockaddr *)&a, &len))
        return fail("listener");
    if (watch(LISTENER, FD_ACCEPT))
        return -1;
    e.s[CLIENT] = new_socket();
    if (e.s[CLIENT] == INVALID_SOCKET || watch(CLIENT, FD_CONNECT | FD_READ | FD_WRITE | FD_CLOSE))
        return -1;
    if (wsp_connect(e.s[CLIENT], (struct sockaddr *)&a, len) != 0 &&
        WSAGetLastError() != WSAEWOULDBLOCK)
        return fail("connect");
    return 0;
}

void echo_fds(int fds[ECHO_NFDS])
{
    for (int i = 0; i < ECHO_NFDS; i++)
        fds[i] = e.ev[i] != NULL && e.ev[i] != WSA_INVALID_EVENT ? wsp_event_fd(e.ev[i]) : -1;
}

/* The client sends what it can; WSAEWOULDBLOCK waits for the next FD_WRITE. */
static int client_send(void)
{
    while (e.sent < ECHO_TOTAL) {
        size_t n = ECHO_TOTAL - e.sent < 4000 ? ECHO_TOTAL - e.sent : 4000;
        char chunk[4000];
        for (size_t i = 0; i < n; i++)
            chunk[i] = (char)pattern(e.sent + i);
        int rc = wsp_send(e.s[CLIENT], chunk, (int)n, 0);
        if (rc < 0)
            return WSAGetLastError() == WSAEWOULDBLOCK ? 0 : fail("client send");
        e.sent += (size_t)rc;
    }
    return 0;
}

static int client_recv(void)
{
    for (;;) {
        int rc = wsp_recv(e.s[CLIENT], e.buf, sizeof e.buf, 0);
        if (rc < 0)
            return WSAGetLastError() == WSAEWOULDBLOCK ? 0 : fail("client recv");
        if (rc == 0)
            return 0;
        for (int i = 0; i < rc; i++)
            if ((unsigned char)e.buf[i] != pattern(e.checked + (size_t)i))
                return fprintf(stderr, "echo: byte %zu differs\n", e.checked + i), -1;
        e.checked += (size_t)rc;
        if (e.checked == ECHO_TOTAL && !e.released) {
            /* everything came back: release, with the end after every byte */
            if (WSASendDisconnect(e.s[CLIENT], NULL) != 0)
                return fail("WSASendDisconnect");
            e.released = 1;
        }
    }
}

/* The server echoes what it reads; whatever the send does not take is kept
 * for the next FD_WRITE (the example keeps it simple: it reads only when its
 * buffer is empty). */
static size_t pend_off, pend_len;

static int server_io(void)
{
    for (;;) {
        while (pend_len > 0) {
            int rc = wsp_send(e.s[SERVER], e.buf + pend_off, (int)pend_len, 0);
            if (rc < 0)
                return WSAGetLastError() == WSAEWOULDBLOCK ? 0 : fail("server send");
            pend_off += (size_t)rc;
            pend_len -= (size_t)rc;
            e.echoed += (size_t)rc;
        }
        int rc = wsp_recv(e.s[SERVER], e.buf, sizeof e.buf, 0);
        if (rc < 0) {
            int err = WSAGetLastError();
            if (err == WSAEWOULDBLOCK)
                return 0;
            if (err == WSAEDISCON) { /* itot: the peer's DR, after all its data */
                e.server_saw_end = 1;
                return 0;
            }
            return fail("server recv");
        }
        if (rc == 0) { /* tcp: the peer's FIN, after all its data */
            e.server_saw_end = 1;
            return 0;
        }
        pend_off = 0;
        pend_len = (size_t)rc;
    }
}

int echo_service(int i)
{
    WSANETWORKEVENTS ne;
    if (WSAEnumNetworkEvents(e.s[i], e.ev[i], &ne) != 0) /* also resets the event */
        return fail("WSAEnumNetworkEvents");
    if (ne.lNetworkEvents & FD_ACCEPT) {
        e.s[SERVER] = wsp_accept(e.s[LISTENER], NULL, NULL);
        if (e.s[SERVER] == INVALID_SOCKET)
            return fail("accept");
        if (watch(SERVER, FD_READ | FD_WRITE | FD_CLOSE))
            return -1;
    }
    if (ne.lNetworkEvents & FD_CONNECT && ne.iErrorCode[FD_CONNECT_BIT] != 0)
        return fprintf(stderr, "echo: connect failed (%d)\n", ne.iErrorCode[FD_CONNECT_BIT]), -1;
    if (i == CLIENT) {
        if (ne.lNetworkEvents & (FD_CONNECT | FD_WRITE) && client_send() != 0)
            return -1;
        if (ne.lNetworkEvents & (FD_READ | FD_CLOSE) && client_recv() != 0)
            return -1;
    }
    if (i == SERVER && ne.lNetworkEvents & (FD_READ | FD_WRITE | FD_CLOSE))
        return server_io();
    return 0;
}

int echo_done(void)
{
    return e.server_saw_end;
}

int echo_close(void)
{
    for (int i = 0; i < ECHO_NFDS; i++) {
        if (e.s[i] != INVALID_SOCKET)
            closesocket(e.s[i]);
        if (e.ev[i] != NULL && e.ev[i] != WSA_INVALID_EVENT)
            WSACloseEvent(e.ev[i]);
    }
    WSACleanup();
    printf("echo over %s: %zu bytes sent, %zu echoed, %zu checked, end seen: %s\n",
           e.itot ? "itot" : "tcp", e.sent, e.echoed, e.checked, e.server_saw_end ? "yes" : "no");
    return e.checked == ECHO_TOTAL && e.echoed == ECHO_TOTAL && e.server_saw_end ? 0 : 1;
}
