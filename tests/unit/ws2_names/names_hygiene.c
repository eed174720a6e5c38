/* SPDX-License-Identifier: MIT */
/* Compiled, not run: without WSP_WINSOCK_NAMES the Windows headers leave
 * every libc name alone, whichever is included first. */
#include <wsp/winsock2.h>
#include <wsp/ws2tcpip.h>
#include <wsp/mstcpip.h>

#if defined(__has_include)
#if __has_include(<rpc/xdr.h>)
#include <rpc/xdr.h> /* prototypes in terms of the system's u_long */
#endif
#endif
#include <netdb.h>
#include <stddef.h>
#include <sys/select.h>
#include <sys/types.h>

/* the system's u_long: these two declarations agree only if it is unsigned long */
void names_hygiene_ulong(u_long *p);
void names_hygiene_ulong(unsigned long *p);

/* libc's resolver: its prototype, struct and constants */
_Static_assert(_Generic(&getaddrinfo,
                        int (*)(const char *restrict, const char *restrict,
                                const struct addrinfo *restrict, struct addrinfo **restrict) : 1,
                        default : 0),
               "getaddrinfo is libc's");
_Static_assert(offsetof(struct addrinfo, ai_addr) < offsetof(struct addrinfo, ai_canonname),
               "struct addrinfo is glibc's");
_Static_assert(AI_NUMERICSERV == 0x400 && NI_NUMERICHOST == 1 && EAI_NONAME < 0,
               "the resolver's constants are libc's");
_Static_assert(sizeof(fd_set) == FD_SETSIZE / 8 && FD_SETSIZE == 1024, "fd_set is libc's");
_Static_assert(sizeof(wsp_u_long) == 4, "Winsock's u_long stays reachable");
