/* SPDX-License-Identifier: MIT */
/* A private WSPIoctl between libwsp's WSAPoll and the providers of this tree.
 *
 * WSAPoll reports POLLERR and POLLHUP whether asked for or not (WSAPoll
 * page), but WSPSelect's three sets cannot tell an error or a hang-up from
 * readability.  A provider that knows this code answers it with a DWORD
 * holding the platform's POLLERR / POLLHUP bits that hold for the socket now,
 * without consuming anything (SO_ERROR stays for the application).  A
 * provider that does not know it fails it (WSAEINVAL): WSAPoll then reports
 * only what the sets say. */
#ifndef WSP_COMMON_POLLSTATE_H
#define WSP_COMMON_POLLSTATE_H

/* IOC_OUT | IOC_VENDOR | a function number no Windows header uses */
#define WSP_SIO_POLL_STATE 0x5800E501u

#endif
