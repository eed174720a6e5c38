/* SPDX-License-Identifier: MIT */
/* wsp — Windows' wspiapi.h: the Wspiapi* names that let old programs call
 * getaddrinfo on systems that lacked it. Here they are the library's own
 * resolver calls. */
#ifndef WSP_WSPIAPI_H
#define WSP_WSPIAPI_H

#include "ws2tcpip.h"

#define WspiapiGetAddrInfo wsp_getaddrinfo
#define WspiapiFreeAddrInfo wsp_freeaddrinfo
#define WspiapiGetNameInfo wsp_getnameinfo

#endif
