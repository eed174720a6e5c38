/* SPDX-License-Identifier: MIT */
/* ext — Microsoft's extension functions (<wsp/mswsock.h>): the parts every
 * provider shares, so that tcp, itot and third-party providers answer
 * SIO_GET_EXTENSION_FUNCTION_POINTER, lay out AcceptEx's output buffer and
 * check the arguments one way.
 *
 * The application gets the functions from the socket's provider (its
 * WSPIoctl) and calls them directly, not through libwsp: the provider finds
 * its socket with WPUQuerySocketHandleContext as usual and reports errors
 * through the application's last error (WPUSetLastError, ws2spi.h).
 *
 * AcceptEx's output buffer (lpOutputBuffer), as GetAcceptExSockaddrs reads it:
 *
 *   [ receive data: dwReceiveDataLength octets ]
 *   [ local address block: dwLocalAddressLength octets ]
 *   [ remote address block: dwRemoteAddressLength octets ]
 *
 * Each address block holds a 4-octet length L (native byte order, at the
 * block's first octet, any alignment), then zero padding up to the next
 * address that is a multiple of 8 (so the sockaddr a program reads through
 * the returned pointer is aligned), then the sockaddr of L octets. Header and
 * padding take at most 11 octets: the 16 octets Windows requires on top of
 * the address length always leave room. */
#ifndef WSP_COMMON_EXT_H
#define WSP_COMMON_EXT_H

#include <stdbool.h>
#include <stddef.h>

#include <wsp/mswsock.h>
#include <wsp/ws2spi.h>

#define EXT_ADDR_EXTRA 16u /* Windows: each address block is >= address length + 16 */

/* A generic function pointer: what the table holds (cast to the LPFN_* type). */
typedef void (*ext_proc)(void);

struct ext_fn {
    GUID guid;
    ext_proc fn;
};

/* WSPStartup: remember the upcalls (WPUOpenCurrentThread) and find
 * WPUSetLastError (dlsym(RTLD_DEFAULT)). false when libwsp does not export it:
 * then the functions still work but cannot report a last error. */
bool ext_startup(const WSPUPCALLTABLE *upcalls);

/* The body of WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER): the GUID in
 * in/cb_in is looked up in tab[0..n) and its pointer written to out, the size
 * to *lpcb. 0, or WSAEFAULT (in or out not readable/writable, cb_in smaller
 * than a GUID, cb_out smaller than a pointer, lpcb NULL or not writable) or
 * WSAEINVAL (a GUID the provider does not know), as WSAIoctl documents. */
int ext_get_pointer(const struct ext_fn *tab, size_t n, const void *in, DWORD cb_in, void *out,
                    DWORD cb_out, LPDWORD lpcb);

/* The application's last error: err, and the failure value of the function
 * type (FALSE for the BOOL ones, SOCKET_ERROR for WSARecvMsg/WSASendMsg).
 * WSA_IO_PENDING is reported the same way. */
BOOL ext_fail_bool(int err);
int ext_fail_int(int err);

/* The completion routine's thread (WPUOpenCurrentThread) for a call with a
 * routine made directly by the application (ws2 fills it for API calls);
 * all zero without a routine. 0 or a WSAE* code. */
int ext_thread(LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID tid);

/* GetAcceptExSockaddrs (the layout above; pure). A block too small for its
 * length gives NULL and 0. */
void PASCAL ext_GetAcceptExSockaddrs(PVOID lpOutputBuffer, DWORD dwReceiveDataLength,
                                     DWORD dwLocalAddressLength, DWORD dwRemoteAddressLength,
                                     struct sockaddr **LocalSockaddr, LPINT LocalSockaddrLength,
                                     struct sockaddr **RemoteSockaddr, LPINT RemoteSockaddrLength);

/* Write both address blocks into the caller's output buffer (umem: a bad
 * buffer is WSAEFAULT, never a crash). 0 or WSAEFAULT / WSAEINVAL (an
 * address too long for its block). */
int ext_put_addrs(void *out, DWORD recv_len, DWORD local_len, DWORD remote_len,
                  const struct sockaddr *local, int llen, const struct sockaddr *remote, int rlen);

/* AcceptEx's own argument checks, for a protocol whose addresses are at most
 * addr_max octets: lpOverlapped required (WSAEINVAL, AcceptEx page: "cannot
 * be NULL"), address blocks >= addr_max + 16 (WSAEINVAL), the whole output
 * buffer and lpdwBytesReceived (when not NULL) writable (WSAEFAULT). */
int ext_acceptex_check(int addr_max, PVOID out, DWORD recv_len, DWORD local_len, DWORD remote_len,
                       LPDWORD lpdwBytes, LPWSAOVERLAPPED ov);

/* ConnectEx's: lpOverlapped required (WSAEINVAL), name readable and at least
 * addr_min octets (WSAEFAULT, as connect), the send buffer readable and
 * lpdwBytesSent writable when given (WSAEFAULT). */
int ext_connectex_check(int addr_min, const struct sockaddr *name, int namelen, PVOID send,
                        DWORD send_len, LPDWORD lpdwBytes, LPWSAOVERLAPPED ov);

/* DisconnectEx's: dwReserved must be 0 and dwFlags only TF_REUSE_SOCKET
 * (WSAEINVAL, DisconnectEx page). */
int ext_disconnectex_check(DWORD flags, DWORD reserved);

/* The common part of WSARecvMsg and WSASendMsg, neither provider mapping
 * control messages: the caller's WSAMSG copied into *out (WSAEFAULT), the
 * routine's thread in *tid for an overlapped call (ext_thread), and
 * - receiving: msg->Control.len set to 0 (none produced; WSAEFAULT);
 * - sending: control data refused (WSAEINVAL).
 * 0 or the WSAE* code. */
int ext_recvmsg_args(LPWSAMSG msg, WSAMSG *out, LPWSAOVERLAPPED ov,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID tid);
int ext_sendmsg_args(LPWSAMSG msg, WSAMSG *out, LPWSAOVERLAPPED ov,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID tid);

#endif
