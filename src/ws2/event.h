/* SPDX-License-Identifier: MIT */
/* WSAEVENT objects: manual-reset events on eventfd, owned by ws2 (providers
 * reach them only through the WPU*Event upcalls). A WSAEVENT is an encoded
 * table index + generation, never a pointer, so a bogus or closed handle is
 * refused instead of dereferenced. */
#ifndef WSP_WS2_EVENT_H
#define WSP_WS2_EVENT_H

#include <wsp/winsock2.h>

/* 0 or an error: WSA_NOT_ENOUGH_MEMORY / WSAEMFILE / WSA_INVALID_HANDLE. */
int evt_create(WSAEVENT *out);
int evt_close(WSAEVENT h);
int evt_set(WSAEVENT h);
int evt_reset(WSAEVENT h);

/* 0 if h is an open event now, else WSA_INVALID_HANDLE (it may be closed
 * right after: callers use it to refuse handles that were never valid). */
int evt_check(WSAEVENT h);

/* WSAWaitForMultipleEvents without the startup check: the result, and *err
 * set when the result is WSA_WAIT_FAILED. alertable: the calling thread's
 * queued APCs run (apc.h) and the result is WSA_WAIT_IO_COMPLETION. */
DWORD evt_wait(DWORD n, const WSAEVENT *events, BOOL all, DWORD timeout_ms, BOOL alertable,
               int *err);

/* The eventfd behind an event (readable exactly while it is signalled): 0 or
 * WSA_INVALID_HANDLE. */
int evt_fd(WSAEVENT h, int *fd);

/* Close every event and free the table (last WSACleanup). */
void evt_reset_all(void);

#endif
