/* SPDX-License-Identifier: MIT */
/* <mswsock.h>: Windows' numbers and layouts, checked at compile time. The
 * same file compiles against wsp's headers and (when mingw-w64 is present)
 * against the Windows SDK's, so a value that differs fails one of the two.
 * 64-bit targets: WSAMSG is 56 bytes on Win64 and on LP64 Linux alike. */
#include <winsock2.h>
#include <mswsock.h>

#include <stddef.h>

_Static_assert(SO_UPDATE_ACCEPT_CONTEXT == 0x700B, "SO_UPDATE_ACCEPT_CONTEXT");
_Static_assert(SO_CONNECT_TIME == 0x700C, "SO_CONNECT_TIME");
_Static_assert(SO_UPDATE_CONNECT_CONTEXT == 0x7010, "SO_UPDATE_CONNECT_CONTEXT");
_Static_assert(TF_DISCONNECT == 1 && TF_REUSE_SOCKET == 2, "TF_*");
_Static_assert(SIO_GET_EXTENSION_FUNCTION_POINTER == 0xC8000006u, "SIO_GET_EXTENSION_...");
_Static_assert(sizeof(void *) != 8 || sizeof(WSAMSG) == 56, "WSAMSG size");
_Static_assert(sizeof(void *) != 8 || offsetof(WSAMSG, Control) == 32, "WSAMSG.Control");
_Static_assert(sizeof(void *) != 8 || offsetof(WSAMSG, dwFlags) == 48, "WSAMSG.dwFlags");
_Static_assert(sizeof(void *) != 8 || sizeof(WSACMSGHDR) == 16, "WSACMSGHDR size");
_Static_assert(sizeof(void *) != 8 || WSA_CMSG_LEN(4) == 20, "WSA_CMSG_LEN");
_Static_assert(sizeof(void *) != 8 || WSA_CMSG_SPACE(4) == 24, "WSA_CMSG_SPACE");
_Static_assert(sizeof(void *) != 8 || WSA_CMSG_SPACE(9) == 32, "WSA_CMSG_SPACE");

/* The GUIDs: one initializer each, the fields compared where they are used. */
static const GUID ids[] = {WSAID_ACCEPTEX,     WSAID_GETACCEPTEXSOCKADDRS, WSAID_CONNECTEX,
                           WSAID_DISCONNECTEX, WSAID_WSARECVMSG,           WSAID_WSASENDMSG};
static LPFN_ACCEPTEX acceptex;
static LPFN_GETACCEPTEXSOCKADDRS getaddrs;
static LPFN_CONNECTEX connectex;
static LPFN_DISCONNECTEX disconnectex;
static LPFN_WSARECVMSG recvmsg_fn;
static LPFN_WSASENDMSG sendmsg_fn;

int names_mswsock_use(void);
int names_mswsock_use(void)
{
    return (int)ids[0].Data1 + (acceptex != NULL) + (getaddrs != NULL) + (connectex != NULL) +
           (disconnectex != NULL) + (recvmsg_fn != NULL) + (sendmsg_fn != NULL);
}
