/* SPDX-License-Identifier: MIT */
/* Child of the ws2_debug test: a few calls with whatever WSP_DEBUG and
 * WSP_DEBUG_FILE it was given.  Prints the socket handle on stdout so that the
 * test can tell which lines to expect on stderr. */
#include <stdint.h>
#include <stdio.h>

#include <netinet/in.h>

#include <wsp/winsock2.h>

int main(void)
{
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return 2;
    SOCKET s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return 3;
    if (closesocket(s) != 0)
        return 4;
    if (closesocket(s) != SOCKET_ERROR) /* WSAENOTSOCK: a line too */
        return 5;
    if (WSACleanup() != 0)
        return 6;
    printf("%#jx\n", (uintmax_t)s);
    return 0;
}
