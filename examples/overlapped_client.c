/* SPDX-License-Identifier: MIT */
/* The echo client again, written with overlapped I/O the two other Windows
 * ways: each line goes out with an overlapped WSASend whose event the client
 * waits for (WSAWaitForMultipleEvents, then WSAGetOverlappedResult), and each
 * echo comes back through an overlapped WSARecv with a completion routine,
 * which Windows runs only in this thread's alertable waits (SleepEx(..., TRUE)).
 * Reads the server's port from stdin (one line), connects to 127.0.0.1.
 * Output: "echo: line 1" ... "echo: line 3", "closed"; exit 0.
 *
 * Builds unchanged against wsp (-DWSP_WINSOCK_NAMES, pkg-config's include
 * path) and against Windows' ws2_32 (x86_64-w64-mingw32-gcc ... -lws2_32). */
#include <winsock2.h>
#include <ws2tcpip.h>
#ifdef _WIN32
#include <windows.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char got[64];
static DWORD got_len, got_err;
static int got_done;

/* Runs inside SleepEx in main's thread, never anywhere else. */
static void CALLBACK on_recv(DWORD err, DWORD n, LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)ov;
    (void)flags;
    got_err = err;
    got_len = n;
    got_done = 1;
}

/* Post one receive of up to max bytes at got + have and sleep alertably until
 * its routine has run: the bytes received, 0 at end of stream, -1 on error. */
static int recv_some(SOCKET s, int have, int max)
{
    WSAOVERLAPPED ov;
    WSABUF b;
    DWORD flags = 0;
    memset(&ov, 0, sizeof ov);
    b.buf = got + have;
    b.len = (ULONG)max;
    got_done = 0;
    if (WSARecv(s, &b, 1, NULL, &flags, &ov, on_recv) == SOCKET_ERROR &&
        WSAGetLastError() != WSA_IO_PENDING)
        return -1;
    for (int waits = 0; !got_done; waits++)
        if (SleepEx(10000, TRUE) != WAIT_IO_COMPLETION || waits > 0)
            return -1; /* one alertable wait runs the routine, or something is wrong */
    return got_err != 0 ? -1 : (int)got_len;
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
    SOCKADDR_IN to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((u_short)atoi(line));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOCKET s = WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    WSAEVENT ev = WSACreateEvent();
    if (s == INVALID_SOCKET || ev == WSA_INVALID_EVENT ||
        connect(s, (SOCKADDR *)&to, sizeof to) == SOCKET_ERROR) {
        fprintf(stderr, "connect: error %d\n", WSAGetLastError());
        return 1;
    }
    for (int i = 1; i <= 3; i++) {
        char msg[32];
        int len = snprintf(msg, sizeof msg, "line %d", i), have = 0;
        WSAOVERLAPPED ov;
        WSABUF b = {(ULONG)len, msg};
        DWORD sent = 0, flags = 0;
        memset(&ov, 0, sizeof ov);
        ov.hEvent = ev;
        WSAResetEvent(ev);
        if ((WSASend(s, &b, 1, NULL, 0, &ov, NULL) == SOCKET_ERROR &&
             WSAGetLastError() != WSA_IO_PENDING) ||
            WSAWaitForMultipleEvents(1, &ev, TRUE, 10000, FALSE) != WSA_WAIT_EVENT_0 ||
            !WSAGetOverlappedResult(s, &ov, &sent, FALSE, &flags) || sent != (DWORD)len) {
            fprintf(stderr, "send: error %d\n", WSAGetLastError());
            return 1;
        }
        while (have < len) { /* TCP may deliver the echo in pieces */
            int n = recv_some(s, have, len - have);
            if (n <= 0) {
                fprintf(stderr, "recv: error %d\n", WSAGetLastError());
                return 1;
            }
            have += n;
        }
        printf("echo: %.*s\n", have, got);
    }
    shutdown(s, SD_SEND);
    if (recv_some(s, 0, sizeof got) != 0) {
        fprintf(stderr, "expected the server's end of stream\n");
        return 1;
    }
    printf("closed\n");
    WSACloseEvent(ev);
    closesocket(s);
    WSACleanup();
    return 0;
}
