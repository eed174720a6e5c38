/* SPDX-License-Identifier: MIT */
/* poll_local — a module's own poll set and thread when the host has no
 * process poll set (poll_local.c). */
#ifndef WSP_COMMON_POLL_LOCAL_H
#define WSP_COMMON_POLL_LOCAL_H

#include <stdint.h>

#include <wsp/ws2spi.h>

/* The set (made with its thread at the first call) and the tag to or into a
 * report's data; the thread runs proc(cookie, events) for each report.  0 or
 * a WSAE* code; WSAEINVAL for a second procedure. */
int poll_local_set(LPWPUPORTPOLLPROC proc, int *fd, uint64_t *tag);
/* Ends the thread and closes the set, if it runs (the module's last cleanup;
 * its descriptors are out of the set by then). */
void poll_local_stop(void);
/* Registers the fork handlers (once per module copy). */
void poll_local_atfork_init(void);

#endif
