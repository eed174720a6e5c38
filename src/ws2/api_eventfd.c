/* SPDX-License-Identifier: MIT */
/* wsp_event_fd: the descriptor behind a WSAEVENT, so that a foreign event loop
 * (poll, epoll, libuv, GLib) can wait for wsp sockets next to its own
 * descriptors: WSAEventSelect(s, ev, ...), watch wsp_event_fd(ev) for input,
 * then WSAEnumNetworkEvents(s, ev, ...) to learn what happened and reset. */
#include <wsp/wspext.h>

#include "api.h"
#include "event.h"

WSP_EXPORT int wsp_event_fd(WSAEVENT hEvent)
{
    if (!su_running()) {
        le_set(WSANOTINITIALISED);
        return -1;
    }
    int fd = -1;
    int err = evt_fd(hEvent, &fd);
    if (err != 0) {
        le_set(err);
        return -1;
    }
    return fd;
}
