/* SPDX-License-Identifier: MIT */
/* What the ws2_overlapped tests and their provider module share. */
#ifndef WS2_OVL_TEST_H
#define WS2_OVL_TEST_H

#include <wsp/winsock2.h>

#define AF_OVLTEST 205 /* the test provider's family (no built-in entry has it) */

/* WSAIoctl codes of the test provider. COMPLETE: in = a DWORD error (0: each
 * operation's own), completes every pending operation of the socket from a
 * provider thread before returning. STATS: out = struct ovltest_stats (then
 * reset). */
#define OVLTEST_COMPLETE 0x98007001u
#define OVLTEST_STATS 0x58007002u

struct ovltest_stats {
    int complete_errors;     /* WPUCompleteOverlappedRequest refused */
    int queue_errors;        /* WPUQueueApc refused */
    int last_error;          /* the last refusal's code */
    int discarded;           /* APCs ws2 dropped unrun (discard function called) */
    int tid_without_routine; /* a WSATHREADID filled for a call without routine */
};

#endif
