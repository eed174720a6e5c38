/* SPDX-License-Identifier: MIT */
/* wsp — Microsoft's Winsock extension functions (Windows' <mswsock.h>).
 *
 * A program does not link these: it asks the socket's provider for them with
 * WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &fn,
 * sizeof fn, &bytes, NULL, NULL) and calls the pointer it gets, exactly as on
 * Windows, so a layered provider can put its own in between. The GUIDs,
 * function types and option numbers are Windows'; WSAMSG and the control
 * message macros have Windows' layout. The MSG_* flag values a WSAMSG
 * reports are the platform's, like every MSG_* value in these headers. */
#ifndef WSP_MSWSOCK_H
#define WSP_MSWSOCK_H

#include "winsock2.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef PASCAL
#define PASCAL WSAAPI
#endif

/* setsockopt/getsockopt (SOL_SOCKET) */
#define SO_UPDATE_ACCEPT_CONTEXT 0x700B  /* after AcceptEx: the listener's handle */
#define SO_CONNECT_TIME 0x700C           /* seconds connected, or 0xFFFFFFFF */
#define SO_UPDATE_CONNECT_CONTEXT 0x7010 /* after ConnectEx: no value */

/* DisconnectEx / TransmitFile flags */
#define TF_DISCONNECT 0x01
#define TF_REUSE_SOCKET 0x02
#define TF_WRITE_BEHIND 0x04
#define TF_USE_DEFAULT_WORKER 0x00
#define TF_USE_SYSTEM_THREAD 0x10
#define TF_USE_KERNEL_APC 0x20

/* _WSAIORW(IOC_WS2, 6) */
#define SIO_GET_EXTENSION_FUNCTION_POINTER (WSP_IOC_INOUT | WSP_IOC_WS2 | 6u) /* 0xC8000006 */

/* ---- WSAMSG and control messages (Windows' ws2def.h) --------------------- */
typedef struct _WSAMSG {
    LPSOCKADDR name; /* the peer's address (datagrams), or NULL */
    INT namelen;
    LPWSABUF lpBuffers;
    ULONG dwBufferCount;
    WSABUF Control; /* ancillary data: WSACMSGHDR records */
    ULONG dwFlags;  /* MSG_TRUNC, MSG_CTRUNC ... on return */
} WSAMSG, *PWSAMSG, *LPWSAMSG;

typedef struct _WSACMSGHDR {
    size_t cmsg_len;
    INT cmsg_level;
    INT cmsg_type;
    /* followed by UCHAR cmsg_data[] */
} WSACMSGHDR, *PWSACMSGHDR, *LPWSACMSGHDR;

/* Windows aligns both the header and its data to the natural maximum (8). */
#define WSP_CMSG_ALIGN_TO 8u
#define WSA_CMSGHDR_ALIGN(length)                                                                  \
    (((length) + WSP_CMSG_ALIGN_TO - 1) & ~(size_t)(WSP_CMSG_ALIGN_TO - 1))
#define WSA_CMSGDATA_ALIGN(length)                                                                 \
    (((length) + WSP_CMSG_ALIGN_TO - 1) & ~(size_t)(WSP_CMSG_ALIGN_TO - 1))
#define WSA_CMSG_FIRSTHDR(msg)                                                                     \
    (((msg)->Control.len >= sizeof(WSACMSGHDR)) ? (LPWSACMSGHDR)(void *)(msg)->Control.buf         \
                                                : (LPWSACMSGHDR)NULL)
#define WSA_CMSG_NXTHDR(msg, cmsg)                                                                 \
    (((cmsg) == NULL)                                                                              \
         ? WSA_CMSG_FIRSTHDR(msg)                                                                  \
         : (((unsigned char *)(cmsg) + WSA_CMSGHDR_ALIGN((cmsg)->cmsg_len) + sizeof(WSACMSGHDR) >  \
             (unsigned char *)((msg)->Control.buf) + (msg)->Control.len)                           \
                ? (LPWSACMSGHDR)NULL                                                               \
                : (LPWSACMSGHDR)(void *)((unsigned char *)(cmsg) +                                 \
                                         WSA_CMSGHDR_ALIGN((cmsg)->cmsg_len))))
#define WSA_CMSG_DATA(cmsg) ((unsigned char *)(cmsg) + WSA_CMSGDATA_ALIGN(sizeof(WSACMSGHDR)))
#define WSA_CMSG_SPACE(length) (WSA_CMSGDATA_ALIGN(sizeof(WSACMSGHDR) + WSA_CMSGHDR_ALIGN(length)))
#define WSA_CMSG_LEN(length) (WSA_CMSGDATA_ALIGN(sizeof(WSACMSGHDR)) + (length))

/* ---- the extension functions ---------------------------------------------- */
typedef BOOL(PASCAL *LPFN_ACCEPTEX)(SOCKET sListenSocket, SOCKET sAcceptSocket,
                                    PVOID lpOutputBuffer, DWORD dwReceiveDataLength,
                                    DWORD dwLocalAddressLength, DWORD dwRemoteAddressLength,
                                    LPDWORD lpdwBytesReceived, LPOVERLAPPED lpOverlapped);
#define WSAID_ACCEPTEX                                                                             \
    {                                                                                              \
        0xb5367df1, 0xcbac, 0x11cf,                                                                \
        {                                                                                          \
            0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92                                         \
        }                                                                                          \
    }

typedef void(PASCAL *LPFN_GETACCEPTEXSOCKADDRS)(
    PVOID lpOutputBuffer, DWORD dwReceiveDataLength, DWORD dwLocalAddressLength,
    DWORD dwRemoteAddressLength, struct sockaddr **LocalSockaddr, LPINT LocalSockaddrLength,
    struct sockaddr **RemoteSockaddr, LPINT RemoteSockaddrLength);
#define WSAID_GETACCEPTEXSOCKADDRS                                                                 \
    {                                                                                              \
        0xb5367df2, 0xcbac, 0x11cf,                                                                \
        {                                                                                          \
            0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92                                         \
        }                                                                                          \
    }

typedef BOOL(PASCAL *LPFN_CONNECTEX)(SOCKET s, const struct sockaddr *name, int namelen,
                                     PVOID lpSendBuffer, DWORD dwSendDataLength,
                                     LPDWORD lpdwBytesSent, LPOVERLAPPED lpOverlapped);
#define WSAID_CONNECTEX                                                                            \
    {                                                                                              \
        0x25a207b9, 0xddf3, 0x4660,                                                                \
        {                                                                                          \
            0x8e, 0xe9, 0x76, 0xe5, 0x8c, 0x74, 0x06, 0x3e                                         \
        }                                                                                          \
    }

typedef BOOL(PASCAL *LPFN_DISCONNECTEX)(SOCKET s, LPOVERLAPPED lpOverlapped, DWORD dwFlags,
                                        DWORD dwReserved);
#define WSAID_DISCONNECTEX                                                                         \
    {                                                                                              \
        0x7fda2e11, 0x8630, 0x436f,                                                                \
        {                                                                                          \
            0xa0, 0x31, 0xf5, 0x36, 0xa6, 0xee, 0xc1, 0x57                                         \
        }                                                                                          \
    }
#define DE_REUSE_SOCKET TF_REUSE_SOCKET

typedef INT(PASCAL *LPFN_WSARECVMSG)(SOCKET s, LPWSAMSG lpMsg, LPDWORD lpdwNumberOfBytesRecvd,
                                     LPWSAOVERLAPPED lpOverlapped,
                                     LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
#define WSAID_WSARECVMSG                                                                           \
    {                                                                                              \
        0xf689d7c8, 0x6f1f, 0x436b,                                                                \
        {                                                                                          \
            0x8a, 0x53, 0xe5, 0x4f, 0xe3, 0x51, 0xc3, 0x22                                         \
        }                                                                                          \
    }

typedef INT(PASCAL *LPFN_WSASENDMSG)(SOCKET s, LPWSAMSG lpMsg, DWORD dwFlags,
                                     LPDWORD lpNumberOfBytesSent, LPWSAOVERLAPPED lpOverlapped,
                                     LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
#define WSAID_WSASENDMSG                                                                           \
    {                                                                                              \
        0xa441e712, 0x754f, 0x43ca,                                                                \
        {                                                                                          \
            0x84, 0xa7, 0x0d, 0xee, 0x44, 0xcf, 0x60, 0x6d                                         \
        }                                                                                          \
    }

#ifdef __cplusplus
}
#endif

#endif
