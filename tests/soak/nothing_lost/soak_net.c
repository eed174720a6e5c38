/* SPDX-License-Identifier: MIT */
#include "soak_net.h"

#include <arpa/inet.h>
#include <poll.h>
#include <string.h>

static const struct {
    const char *name;
    int type, protocol;
} soak_provs[] = {
    [SOAK_TCP] = {"tcp", SOCK_STREAM, IPPROTO_TCP},
    [SOAK_ITOT] = {"itot", SOCK_SEQPACKET, WSP_PROTO_ITOT},
};

const char *soak_prov_name(enum soak_prov prov)
{
    return soak_provs[prov].name;
}

const char *soak_ename(int wsa_error)
{
    const char *n = wsp_strerror_name(wsa_error);
    return n ? n : "?";
}

SOCKET soak_socket(enum soak_prov prov, int *err)
{
    SOCKET s = WSASocketA(AF_INET, soak_provs[prov].type, soak_provs[prov].protocol, NULL, 0, 0);
    *err = s == INVALID_SOCKET ? WSAGetLastError() : 0;
    return s;
}

static int soak_addr(uint16_t port, struct sockaddr_in *a)
{
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(port);
    return (int)sizeof *a;
}

int soak_listen(enum soak_prov prov, int backlog, SOCKET *out, uint16_t *port)
{
    int err;
    SOCKET s = soak_socket(prov, &err);
    if (s == INVALID_SOCKET)
        return err;
    if (prov == SOAK_ITOT) {
        /* Every connection may wait for its accept at the same moment. */
        if (wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_MAX_PENDING, (const char *)&backlog,
                           (int)sizeof backlog) != 0)
            goto fail;
        /* All the clients are one source (127.0.0.1). The listener's lockout
         * defence (tested by itot_listener) closes a source's fifth silent
         * connection once it has waited 250 ms for its CR, which a loaded
         * machine running sanitizers reaches in a burst of 64: the soak is about
         * what the accepted connections carry, so its source may be silent as
         * often as it has connections in flight. */
        if (wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_MAX_SILENT_PER_SOURCE, (const char *)&backlog,
                           (int)sizeof backlog) != 0)
            goto fail;
    }
    struct sockaddr_in a;
    int len = soak_addr(0, &a);
    if (wsp_bind(s, (struct sockaddr *)&a, len) != 0 || wsp_listen(s, backlog) != 0 ||
        wsp_getsockname(s, (struct sockaddr *)&a, &len) != 0)
        goto fail;
    *port = ntohs(a.sin_port);
    *out = s;
    return 0;
fail:
    err = WSAGetLastError();
    closesocket(s);
    return err;
}

int soak_connect(SOCKET s, uint16_t port)
{
    struct sockaddr_in a;
    int len = soak_addr(port, &a);
    return WSAConnect(s, (struct sockaddr *)&a, len, NULL, NULL, NULL, NULL) == 0
               ? 0
               : WSAGetLastError();
}

int soak_send(SOCKET s, bool message_oriented, const uint8_t *p, size_t n)
{
    do {
        WSABUF b = {(ULONG)n, (CHAR *)p};
        DWORD sent = 0;
        if (WSASend(s, &b, 1, &sent, 0, NULL, NULL) != 0)
            return WSAGetLastError();
        if (message_oriented)
            return sent == n ? 0 : -1;
        p += sent;
        n -= sent;
    } while (n);
    return 0;
}

int soak_nonblocking(SOCKET s, bool on)
{
    u_long v = on;
    return ioctlsocket(s, WSP_FIONBIO, &v) == 0 ? 0 : WSAGetLastError();
}

int soak_poll(SOCKET s, short events, int timeout_ms)
{
    WSAPOLLFD p = {s, events, 0};
    int n = WSAPoll(&p, 1, timeout_ms);
    if (n < 0)
        return -1;
    return n == 0 ? 0 : p.revents;
}
