/* SPDX-License-Identifier: MIT */
/* getaddrinfo with a message a person understands. */
#include "resolve.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "report.h"

struct addrinfo *resolve_host(const char *host, unsigned short port, int passive)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM; /* both providers run over TCP */
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    /* "[::1]" as in URLs and nc: the brackets are not part of the address. */
    char bare[256];
    size_t n = strlen(host);
    if (n >= 2 && n - 2 < sizeof bare && host[0] == '[' && host[n - 1] == ']') {
        memcpy(bare, host + 1, n - 2);
        bare[n - 2] = '\0';
        host = bare;
    }
    /* A numeric address is taken as it is; AI_ADDRCONFIG (names only) would
     * drop ::1 on a host whose only IPv6 address is the loopback. */
    hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST | (passive ? AI_PASSIVE : 0);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc == EAI_NONAME) {
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : AI_ADDRCONFIG);
        rc = getaddrinfo(host, service, &hints, &res);
    }
    if (rc != 0) {
        report_error("unknown host '%s': %s", host, gai_strerror(rc));
        return NULL;
    }
    return res;
}
