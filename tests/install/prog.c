/* SPDX-License-Identifier: MIT */
/* A plain Winsock program built against an installed wsp: startup, catalog,
 * a TCP exchange on loopback with a half-close, cleanup. Uses the Winsock
 * names (WSP_WINSOCK_NAMES), as a ported program would. */
#define WSP_WINSOCK_NAMES
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <wsp/winsock2.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            int e = WSAGetLastError();                                                             \
            const char *n = wsp_strerror_name(e);                                                  \
            printf("prog: FAILED at line %d: %s (%s)\n", __LINE__, #cond, n ? n : "?");            \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int main(void)
{
    WSADATA wsa;
    CHECK(WSAStartup(MAKEWORD(2, 2), &wsa) == 0);
    DWORD len = 0;
    CHECK(WSAEnumProtocolsA(NULL, NULL, &len) == SOCKET_ERROR && WSAGetLastError() == WSAENOBUFS);

    SOCKET l = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(l != INVALID_SOCKET); /* the tcp module was found next to libwsp */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int alen = sizeof a;
    CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(l, 1) == 0);
    CHECK(getsockname(l, (struct sockaddr *)&a, &alen) == 0);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(c != INVALID_SOCKET);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    SOCKET s = accept(l, NULL, NULL);
    CHECK(s != INVALID_SOCKET);

    CHECK(send(c, "ping", 4, 0) == 4);
    CHECK(WSASendDisconnect(c, NULL) == 0);
    char buf[16];
    int n, got = 0;
    while ((n = recv(s, buf + got, (int)sizeof buf - got, 0)) > 0)
        got += n;
    CHECK(n == 0 && got == 4 && memcmp(buf, "ping", 4) == 0);
    CHECK(send(s, "pong", 4, 0) == 4);
    CHECK(recv(c, buf, sizeof buf, 0) == 4 && memcmp(buf, "pong", 4) == 0);

    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(c, &rs);
    struct timeval tv = {5, 0};
    CHECK(closesocket(s) == 0);
    CHECK(select(0, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(c, &rs));
    CHECK(recv(c, buf, sizeof buf, 0) == 0);
    CHECK(closesocket(c) == 0);
    CHECK(closesocket(l) == 0);
    CHECK(WSACleanup() == 0);
    printf("prog: installed headers, library, module and wsp.pc work together\n");
    return 0;
}
