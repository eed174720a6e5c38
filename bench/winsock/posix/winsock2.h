/* SPDX-License-Identifier: MIT */
/* The thinnest possible <winsock2.h> over POSIX sockets, for the raw build of
 * bench/winsock/wsbench.c: the same source, no wsp in between.  Only what
 * wsbench uses. */
#ifndef WSBENCH_POSIX_WINSOCK2_H
#define WSBENCH_POSIX_WINSOCK2_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

typedef int SOCKET;
typedef struct {
    int unused;
} WSADATA;
#define INVALID_SOCKET (-1)
#define SD_SEND SHUT_WR
#define MAKEWORD(a, b) ((unsigned short)(((a)&0xff) | (((b)&0xff) << 8)))
#define closesocket close
#define WSAStartup(v, d) ((void)(v), (void)(d), 0)
#define WSACleanup() ((void)0)
#define WSAGetLastError() errno
/* Winsock's lengths are int where POSIX has socklen_t (same size here). */
#define getsockname(s, a, l) getsockname((s), (a), (socklen_t *)(l))

#endif
