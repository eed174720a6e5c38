/* SPDX-License-Identifier: MIT */
/* poll_home — where a module's descriptors are watched (poll_home.c). */
#ifndef WSP_COMMON_POLL_HOME_H
#define WSP_COMMON_POLL_HOME_H

#include <stdint.h>

#include <wsp/ws2spi.h>

/* The set the module's descriptors go into, and the tag to or into a report's
 * data (cookie < 2^56): libwsp's process poll set, with proc registered as a
 * poll procedure (*id, kept across calls: 0 until the first registration),
 * or, when libwsp offers no sets or all of its procedure slots are taken
 * (*id stays 0), the module's own set and thread (poll_local.c).  Either way
 * one thread runs proc(cookie, events) for each report.  0 or a WSAE* code. */
int poll_home_take(LPWPUPORTPOLLPROC proc, DWORD *id, int *fd, uint64_t *tag);
/* The module's last cleanup, with its descriptors out of the set: returns
 * when proc runs no more (a report fetched before is dropped), *id is 0. */
void poll_home_leave(DWORD *id);
/* Call before the module registers its own fork handlers (pthread_atfork):
 * fork runs prepare handlers in the reverse order, so the home's run after
 * the module's, and a module lock held while taking the home comes before
 * the home's lock at a fork too, as everywhere else. */
void poll_home_atfork_init(void);

#endif
