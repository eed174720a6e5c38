/* SPDX-License-Identifier: MIT */
/* spi_addr — socket addresses between a provider and the caller's memory
 * (WSPGetSockName, WSPGetPeerName; part of the provider kit:
 * docs/writing-a-provider.md).
 *
 * The rule it enforces — caller memory and the length rules of Windows'
 * getsockname/getpeername pages: name and namelen are touched only through
 * umem and every result is checked (a bad pointer is WSAEFAULT, D4); *namelen
 * is read first and must hold the whole address (else WSAEFAULT, nothing
 * written); then the address and its length are written together in one
 * umem_writev, so the caller sees both or neither (D1).
 * Functions return 0 or a WSAE* code for spi_fail. */
#ifndef WSP_COMMON_SPI_ADDR_H
#define WSP_COMMON_SPI_ADDR_H

#include <sys/socket.h>

#include <wsp/ws2spi.h>

#include "common/umem.h"

/* sizeof the sockaddr of family af (AF_INET, AF_INET6); 0 for any other:
 * the least namelen a call with an address of that family accepts. */
int spi_addr_len(int af);

/* The len octets of ss out to the caller's name / *namelen. */
UMEM_MUST_CHECK int spi_addr_out(const struct sockaddr_storage *ss, socklen_t len,
                                 struct sockaddr *name, LPINT namelen);

#endif
