/* SPDX-License-Identifier: MIT */
/* addrstr — the sockaddr <-> text conversion behind WSPAddressToString and
 * WSPStringToAddress: IPv4 "a.b.c.d[:port]", IPv6 "[addr]:port" or "addr",
 * as UTF-16 WCHARs in caller memory (read and written through umem). */
#ifndef WSP_COMMON_ADDRSTR_H
#define WSP_COMMON_ADDRSTR_H

#include <wsp/ws2spi.h>

/* Flags.  ADDRSTR_SCOPE_ID: IPv6 text carries the zone as "%<number>"
 * (sin6_scope_id); without it a zone is neither written nor accepted. */
enum { ADDRSTR_SCOPE_ID = 1u << 0 };

/* sizeof the sockaddr of family af (AF_INET, AF_INET6); 0 for any other. */
int addrstr_sockaddr_len(int af);

/* WSPAddressToString after the provider's own checks: 0 or a WSAE* code.  On
 * WSAEFAULT for a too small buffer *lpdwAddressStringLength gets the length
 * needed (characters, terminator included). */
int addrstr_to_text(const struct sockaddr *lpsaAddress, DWORD dwAddressLength, unsigned flags,
                    LPWSTR lpszAddressString, LPDWORD lpdwAddressStringLength);

/* WSPStringToAddress after the provider's own checks, AddressFamily already
 * resolved: 0 or a WSAE* code.  On WSAEFAULT for a too small buffer
 * *lpAddressLength gets the length needed. */
int addrstr_from_text(const WCHAR *AddressString, int AddressFamily, unsigned flags,
                      struct sockaddr *lpAddress, LPINT lpAddressLength);

#endif
