/* SPDX-License-Identifier: MIT */
/* Compiled, not run: on Windows, winsock2.h alone (through ws2def.h) already
 * gives struct addrinfo and the AI_/NI_ values; so does ours, in Windows'
 * layout, and a later <netdb.h> changes nothing. */
#define WSP_WINSOCK_NAMES
#include <winsock2.h>

#include <netdb.h>
#include <stddef.h>

_Static_assert(offsetof(struct addrinfo, ai_canonname) < offsetof(struct addrinfo, ai_addr),
               "struct addrinfo has Windows' layout with winsock2.h alone");
_Static_assert(sizeof(struct addrinfo) == sizeof(ADDRINFOA), "addrinfo is ADDRINFOA");
_Static_assert(AI_NUMERICSERV == 0x8 && AI_V4MAPPED == 0x800 && NI_NUMERICHOST == 0x2,
               "Windows' AI_/NI_ values");
