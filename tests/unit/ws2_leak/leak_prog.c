/* SPDX-License-Identifier: MIT */
/* startup -> socket -> close -> WSACleanup, with one socket and one event left
 * open for the last WSACleanup to release. Exit 0 only if every call did
 * what it should; valgrind then checks that nothing leaked. */
#include <stdio.h>

#include <wsp/winsock2.h>

int main(void)
{
    WSADATA d;
    if (WSAStartup(MAKEWORD(2, 2), &d) != 0)
        return 1;
    SOCKET a = wsp_socket(AF_INET, SOCK_STREAM, 0);
    SOCKET b = wsp_socket(AF_INET, SOCK_DGRAM, 0);
    WSAEVENT e = WSACreateEvent();
    if (a == INVALID_SOCKET || b == INVALID_SOCKET || e == WSA_INVALID_EVENT) {
        fprintf(stderr, "set-up failed: %d\n", WSAGetLastError());
        return 1;
    }
    if (closesocket(a) != 0)
        return 1;
    /* the itot provider too, when it is built: its progress engine must be
     * gone after WSACleanup as well */
    SOCKET t = wsp_socket(AF_INET, SOCK_SEQPACKET, 0);
    if (t == INVALID_SOCKET && WSAGetLastError() != WSAEPROVIDERFAILEDINIT) {
        fprintf(stderr, "itot socket: %d\n", WSAGetLastError());
        return 1;
    }
    /* b, e (and t) stay open: the last WSACleanup closes them */
    if (WSACleanup() != 0)
        return 1;
    if (closesocket(b) != SOCKET_ERROR || WSAGetLastError() != WSANOTINITIALISED)
        return 1;
    return 0;
}
