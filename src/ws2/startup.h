/* SPDX-License-Identifier: MIT */
/* WSAStartup/WSACleanup state. */
#ifndef WSP_WS2_STARTUP_H
#define WSP_WS2_STARTUP_H

#include <stdatomic.h>

extern _Atomic int su_running_flag;

/* True between the first WSAStartup and the last WSACleanup (one atomic load:
 * every API call checks it). */
static inline int su_running(void)
{
    return atomic_load_explicit(&su_running_flag, memory_order_acquire);
}

#endif
