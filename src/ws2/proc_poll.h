/* SPDX-License-Identifier: MIT */
/* The process's poll set and its thread (proc_poll.c). */
#ifndef WSP_WS2_PROC_POLL_H
#define WSP_WS2_PROC_POLL_H

/* The set's descriptor (made with its thread at the first call in this
 * process): 0, or an errno (EMFILE, ENOMEM, EAGAIN ...). */
int proc_poll_set(int *fd);
/* Registers the set's fork handlers (once).  WSAStartup calls it before any
 * provider registers its own: fork runs prepare handlers in the reverse
 * order, so ours then run after every provider's, and a provider lock held
 * while asking for the set (tcp_ev_lock, an itot socket's) comes before
 * this set's lock at a fork too, as everywhere else. */
void proc_poll_atfork_init(void);

#endif
