/* SPDX-License-Identifier: MIT */
/* The client of the echo servers, in plain Windows style: reads the server's
 * port from stdin (one line), connects to 127.0.0.1, sends three lines one at
 * a time, waits for each echo with select() and prints it, then half-closes
 * with shutdown(SD_SEND) and waits for the server's end of stream.
 * Output: "echo: line 1" ... "echo: line 3", "closed"; exit 0.
 *
 * Builds unchanged against wsp (-DWSP_WINSOCK_NAMES, pkg-config's include
 * path) and against Windows' ws2_32 (x86_64-w64-mingw32-gcc ... -lws2_32). */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Wait up to 10 s for s to be readable: 1 ready, 0 not. */
static int wait_readable(SOCKET s)
{
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    struct timeval tv = {10, 0};
    return select(0, &rd, NULL, NULL, &tv) == 1;
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
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET || connect(s, (SOCKADDR *)&to, sizeof to) == SOCKET_ERROR) {
        fprintf(stderr, "connect: error %d\n", WSAGetLastError());
        return 1;
    }
    for (int i = 1; i <= 3; i++) {
        char msg[32], got[32];
        int len = snprintf(msg, sizeof msg, "line %d", i), have = 0;
        if (send(s, msg, len, 0) != len)
            return 1;
        while (have < len) { /* TCP may deliver the echo in pieces */
            int n = wait_readable(s) ? recv(s, got + have, len - have, 0) : -1;
            if (n <= 0) {
                fprintf(stderr, "recv: error %d\n", WSAGetLastError());
                return 1;
            }
            have += n;
        }
        printf("echo: %.*s\n", have, got);
    }
    char c;
    if (shutdown(s, SD_SEND) == SOCKET_ERROR || !wait_readable(s) || recv(s, &c, 1, 0) != 0) {
        fprintf(stderr, "no end of stream: error %d\n", WSAGetLastError());
        return 1;
    }
    printf("closed\n");
    closesocket(s);
    WSACleanup();
    return 0;
}
