/* SPDX-License-Identifier: MIT */
/* Name resolution for listen/connect (getaddrinfo), with the one-line error. */
#ifndef WSP_TOOL_RESOLVE_H
#define WSP_TOOL_RESOLVE_H

#include <netdb.h>

/* The addresses of host:port (passive: for bind). NULL after "wsp: unknown host". */
struct addrinfo *resolve_host(const char *host, unsigned short port, int passive);

#endif
