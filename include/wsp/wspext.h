/* SPDX-License-Identifier: MIT */
/* wsp's own extensions: what a POSIX program needs beyond the Winsock API.
 * Not in Windows. */
#ifndef WSP_WSPEXT_H
#define WSP_WSPEXT_H

#include <wsp/winsock2.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The file descriptor behind an event object, for foreign event loops (poll,
 * epoll, libuv, GLib, ...).  It is readable exactly while the event is
 * signalled.  The descriptor belongs to the event: never read, write or close
 * it (use WSAResetEvent / WSASetEvent / WSACloseEvent), and remove it from
 * the loop before WSACloseEvent.  To wait for a socket from a foreign loop:
 *     WSAEventSelect(s, ev, FD_READ | FD_WRITE | FD_CLOSE ...);
 *     watch wsp_event_fd(ev) for input;
 *     when it is readable: WSAEnumNetworkEvents(s, ev, &ne) (resets ev) and
 *     act on ne.lNetworkEvents.
 * Returns the descriptor, or -1 with WSAGetLastError() = WSA_INVALID_HANDLE
 * (not an event of this library) or WSANOTINITIALISED. */
WSP_EXPORT int wsp_event_fd(WSAEVENT hEvent);

/* The catalog file this process uses (see ws2spi.h, docs/catalog.md), as a
 * NUL-terminated path in buf (cap bytes). 0, or -1 if it does not fit. */
WSP_EXPORT int wsp_catalog_path(char *buf, size_t cap);

/* What is wrong with the catalog file, as "FILE:LINE: what" (or "FILE: what"
 * when no line is to blame), found by the last WSAStartup or WSC call; buf
 * gets an empty string when the file is fine. Returns 0 when it is fine,
 * else WSASYSCALLFAILURE (the code the WSC calls give). */
WSP_EXPORT int wsp_catalog_status(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
