/* SPDX-License-Identifier: MIT */
/* Names and one-line descriptions of the Winsock error codes, from one table. */
#include <wsp/winsock2.h>

#define E(code, text)                                                                              \
    {                                                                                              \
        code, #code, text                                                                          \
    }

static const struct {
    int code;
    const char *name;
    const char *text;
} se_table[] = {
    E(WSAEINTR, "A blocking call was interrupted."),
    E(WSAEBADF, "The file handle supplied is not valid."),
    E(WSAEACCES, "Permission denied."),
    E(WSAEFAULT, "A pointer argument is not wholly inside valid user memory."),
    E(WSAEINVAL, "An invalid argument was supplied."),
    E(WSAEMFILE, "Too many open sockets."),
    E(WSAEWOULDBLOCK, "The operation would block on a non-blocking socket."),
    E(WSAEINPROGRESS, "A blocking operation is in progress."),
    E(WSAEALREADY, "An operation is already in progress on this socket."),
    E(WSAENOTSOCK, "The descriptor is not a socket."),
    E(WSAEDESTADDRREQ, "A destination address is required."),
    E(WSAEMSGSIZE, "The message is too long."),
    E(WSAEPROTOTYPE, "The protocol is the wrong type for this socket."),
    E(WSAENOPROTOOPT, "The option or protocol feature is not supported."),
    E(WSAEPROTONOSUPPORT, "The protocol is not supported."),
    E(WSAESOCKTNOSUPPORT, "The socket type is not supported in this address family."),
    E(WSAEOPNOTSUPP, "The operation is not supported."),
    E(WSAEPFNOSUPPORT, "The protocol family is not supported."),
    E(WSAEAFNOSUPPORT, "The address family is not supported."),
    E(WSAEADDRINUSE, "The address is already in use."),
    E(WSAEADDRNOTAVAIL, "The requested address is not available."),
    E(WSAENETDOWN, "The network subsystem has failed."),
    E(WSAENETUNREACH, "The network is unreachable."),
    E(WSAENETRESET, "The connection was broken by a network reset."),
    E(WSAECONNABORTED, "The connection was aborted locally."),
    E(WSAECONNRESET, "The connection was reset by the peer."),
    E(WSAENOBUFS, "No buffer space is available."),
    E(WSAEISCONN, "The socket is already connected."),
    E(WSAENOTCONN, "The socket is not connected."),
    E(WSAESHUTDOWN, "Cannot send after the socket was shut down."),
    E(WSAETOOMANYREFS, "Too many references."),
    E(WSAETIMEDOUT, "The operation timed out."),
    E(WSAECONNREFUSED, "The connection was refused."),
    E(WSAELOOP, "Cannot translate the name."),
    E(WSAENAMETOOLONG, "The name is too long."),
    E(WSAEHOSTDOWN, "The host is down."),
    E(WSAEHOSTUNREACH, "No route to the host."),
    E(WSAENOTEMPTY, "The directory is not empty."),
    E(WSAEPROCLIM, "Too many processes."),
    E(WSAEUSERS, "The user quota was exceeded."),
    E(WSAEDQUOT, "The disk quota was exceeded."),
    E(WSAESTALE, "The handle is stale."),
    E(WSAEREMOTE, "The item is remote."),
    E(WSASYSNOTREADY, "The network subsystem is not ready."),
    E(WSAVERNOTSUPPORTED, "The requested Windows Sockets version is not supported."),
    E(WSANOTINITIALISED, "WSAStartup has not been called successfully."),
    E(WSAEDISCON, "The peer is gracefully closing the connection."),
    E(WSAENOMORE, "No more results."),
    E(WSAECANCELLED, "The call was cancelled."),
    E(WSAEINVALIDPROCTABLE, "The service provider's procedure table is invalid."),
    E(WSAEINVALIDPROVIDER, "The service provider is invalid."),
    E(WSAEPROVIDERFAILEDINIT, "The service provider failed to initialise."),
    E(WSASYSCALLFAILURE, "A system call failed."),
    E(WSASERVICE_NOT_FOUND, "The service was not found."),
    E(WSATYPE_NOT_FOUND, "The class type was not found."),
    E(WSA_E_NO_MORE, "No more results."),
    E(WSA_E_CANCELLED, "The call was cancelled."),
    E(WSAEREFUSED, "The query was refused."),
    E(WSAHOST_NOT_FOUND, "The host was not found."),
    E(WSATRY_AGAIN, "A temporary failure in name resolution; try again."),
    E(WSANO_RECOVERY, "A non-recoverable name resolution error."),
    E(WSANO_DATA, "The name has no data of the requested type."),
    E(WSA_INVALID_HANDLE, "The event handle is not valid."),
    E(WSA_NOT_ENOUGH_MEMORY, "Not enough memory."),
    E(WSA_INVALID_PARAMETER, "One or more parameters are not valid."),
    E(WSA_OPERATION_ABORTED, "The overlapped operation was aborted."),
    E(WSA_IO_INCOMPLETE, "The overlapped operation has not completed yet."),
    E(WSA_IO_PENDING, "The overlapped operation will complete later."),
};

#define SE_N (sizeof se_table / sizeof se_table[0])

WSP_EXPORT const char *wsp_strerror_name(int code)
{
    if (code == 0)
        return "NO_ERROR";
    for (size_t i = 0; i < SE_N; i++)
        if (se_table[i].code == code)
            return se_table[i].name;
    return NULL;
}

WSP_EXPORT const char *wsp_strerror(int code)
{
    if (code == 0)
        return "The operation completed successfully.";
    for (size_t i = 0; i < SE_N; i++)
        if (se_table[i].code == code)
            return se_table[i].text;
    return "Unknown error.";
}
