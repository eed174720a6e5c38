/* SPDX-License-Identifier: MIT */
/* itot_pair — see itot_pair.h. The connect is non-blocking and the accept
 * sends the CC, so one thread makes the whole pair. */
#include "itot_pair.h"

#include "fault_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/itot.h>

int itot_pair_open(DWORD cli_flags, int wait_s, SOCKET *cli, SOCKET *srv)
{
    SOCKET l = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof a;
    if (l == INVALID_SOCKET || wsp_bind(l, (struct sockaddr *)&a, len) != 0 ||
        wsp_listen(l, 1) != 0 || wsp_getsockname(l, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *cli = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, cli_flags);
    wsp_u_long on = 1, off = 0;
    if (*cli == INVALID_SOCKET || ioctlsocket(*cli, WSP_FIONBIO, &on) != 0)
        return -1;
    if (wsp_connect(*cli, (struct sockaddr *)&a, len) != 0 && WSAGetLastError() != WSAEWOULDBLOCK)
        return -1;
    *srv = wsp_accept(l, NULL, NULL); /* sends the CC */
    wsp_fd_set w = {.fd_count = 1, .fd_array = {*cli}};
    struct timeval tv = {wait_s, 0};
    if (*srv == INVALID_SOCKET || wsp_select(0, NULL, &w, NULL, &tv) != 1 ||
        ioctlsocket(*cli, WSP_FIONBIO, &off) != 0 || closesocket(l) != 0)
        return -1;
    DWORD ms = (DWORD)wait_s * 1000;
    return wsp_setsockopt(*srv, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms) == 0 ? 0
                                                                                            : -1;
}

int itot_pair_close(const struct sys_hook *hook, SOCKET cli, SOCKET srv)
{
    hook->restore_all();
    closesocket(cli);
    closesocket(srv);
    return WSACleanup();
}
