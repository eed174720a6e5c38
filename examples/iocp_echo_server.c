/* SPDX-License-Identifier: MIT */
/* A completion-port echo server in plain Windows style: a listener on
 * 127.0.0.1 (port chosen by the system, written on stdout for the client at
 * the other end of a pipe), one accepted client associated with an I/O
 * completion port, and a loop on GetQueuedCompletionStatus that keeps one
 * overlapped WSARecv posted and echoes each chunk with an overlapped WSASend.
 * When the client has sent everything (a receive completes with 0 bytes) the
 * server half-closes, closes the socket, posts itself a quit packet with
 * PostQueuedCompletionStatus and exits 0 (1 on any error or after 10 s
 * without a completion).
 *
 * Builds unchanged against wsp (-DWSP_WINSOCK_NAMES, pkg-config's include
 * path) and against Windows' ws2_32 (x86_64-w64-mingw32-gcc ... -lws2_32). */
#include <winsock2.h>
#include <ws2tcpip.h>
#ifdef _WIN32
#include <windows.h>
#endif

#include <stdio.h>
#include <string.h>

#define KEY_CLIENT 1
#define KEY_QUIT 2

/* One connection: its socket, one receive and one send in flight at most. */
struct conn {
    SOCKET s;
    WSAOVERLAPPED rx_ov, tx_ov;
    char buf[4096];
    WSABUF rx, tx;
};

static int post_recv(struct conn *c)
{
    DWORD flags = 0;
    memset(&c->rx_ov, 0, sizeof c->rx_ov);
    c->rx.buf = c->buf;
    c->rx.len = sizeof c->buf;
    if (WSARecv(c->s, &c->rx, 1, NULL, &flags, &c->rx_ov, NULL) == SOCKET_ERROR &&
        WSAGetLastError() != WSA_IO_PENDING) {
        fprintf(stderr, "WSARecv: error %d\n", WSAGetLastError());
        return -1;
    }
    return 0; /* completed at once or pending: the port hears of it either way */
}

static int post_send(struct conn *c, DWORD len)
{
    memset(&c->tx_ov, 0, sizeof c->tx_ov);
    c->tx.buf = c->buf;
    c->tx.len = len;
    if (WSASend(c->s, &c->tx, 1, NULL, 0, &c->tx_ov, NULL) == SOCKET_ERROR &&
        WSAGetLastError() != WSA_IO_PENDING) {
        fprintf(stderr, "WSASend: error %d\n", WSAGetLastError());
        return -1;
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
    SOCKET l = WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKADDR_IN a;
    int alen = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l == INVALID_SOCKET || bind(l, (SOCKADDR *)&a, sizeof a) == SOCKET_ERROR ||
        listen(l, SOMAXCONN) == SOCKET_ERROR || getsockname(l, (SOCKADDR *)&a, &alen) != 0) {
        fprintf(stderr, "listener: error %d\n", WSAGetLastError());
        return 1;
    }
    printf("%u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);

    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    static struct conn c;
    c.s = accept(l, NULL, NULL); /* accepted sockets are overlapped */
    if (port == NULL || c.s == INVALID_SOCKET ||
        CreateIoCompletionPort((HANDLE)c.s, port, KEY_CLIENT, 0) != port || post_recv(&c) != 0) {
        fprintf(stderr, "setup: error %lu/%d\n", (unsigned long)GetLastError(), WSAGetLastError());
        return 1;
    }
    closesocket(l);

    int rc = 1;
    for (;;) {
        DWORD n = 0;
        ULONG_PTR key = 0;
        LPOVERLAPPED ov = NULL;
        BOOL ok = GetQueuedCompletionStatus(port, &n, &key, &ov, 10000);
        if (!ok && ov == NULL) {
            fprintf(stderr, "GetQueuedCompletionStatus: error %lu\n",
                    (unsigned long)GetLastError());
            break;
        }
        if (key == KEY_QUIT) {
            rc = 0;
            break;
        }
        if (!ok) { /* the operation failed: its error, as WSAGetOverlappedResult has it */
            DWORD got, flags;
            WSAGetOverlappedResult(c.s, ov, &got, FALSE, &flags);
            fprintf(stderr, "operation failed: error %d\n", WSAGetLastError());
            break;
        }
        if (ov == &c.tx_ov) { /* the echo is out: listen for more */
            if (post_recv(&c) != 0)
                break;
        } else if (n > 0) { /* a chunk came in: send it back */
            if (post_send(&c, n) != 0)
                break;
        } else { /* the client is done sending: so are we */
            shutdown(c.s, SD_SEND);
            closesocket(c.s);
            PostQueuedCompletionStatus(port, 0, KEY_QUIT, NULL);
        }
    }
    CloseHandle(port);
    WSACleanup();
    return rc;
}
