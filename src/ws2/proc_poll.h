/* SPDX-License-Identifier: MIT */
/* The process's poll set and its thread (proc_poll.c). */
#ifndef WSP_WS2_PROC_POLL_H
#define WSP_WS2_PROC_POLL_H

/* The set's descriptor (made with its thread at the first call in this
 * process): 0, or an errno (EMFILE, ENOMEM, EAGAIN ...). */
int proc_poll_set(int *fd);

#endif
