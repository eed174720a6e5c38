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

/* The trace hook: cb gets one line per API call, e.g.
 *     WSASendDisconnect(s=0x1004, data=64 octets) = SOCKET_ERROR WSAENOPROTOOPT (10042)
 * (no "wsp: " prefix, no newline), with the call's essential arguments, its
 * result and error, sizes and addresses but never the data.  ctx is passed
 * back unchanged.  Calls are serialised: cb never runs twice at once, and
 * the API calls cb itself makes are not traced.  NULL stops it.  May be
 * called at any time, before WSAStartup too; once it returns, the previous
 * callback is not running and will not be called again.  The environment
 * variable WSP_DEBUG=1 (2: with time and thread id) writes the same lines,
 * prefixed "wsp: ", to stderr or to the file WSP_DEBUG_FILE.
 * Returns 0, or SOCKET_ERROR with WSAGetLastError() = WSAEINPROGRESS when
 * called from inside the callback. */
typedef void (*wsp_debug_callback)(const char *line, void *ctx);
WSP_EXPORT int wsp_set_debug_callback(wsp_debug_callback cb, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
