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
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : AI_ADDRCONFIG);
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        report_error("unknown host '%s': %s", host, gai_strerror(rc));
        return NULL;
    }
    return res;
}
