/* SPDX-License-Identifier: MIT */
/* Per-thread APC queues: how a completion routine reaches the thread that
 * issued the overlapped call (WPUOpenCurrentThread / WPUQueueApc /
 * WPUCloseThread, run in that thread's alertable waits only).
 *
 * A thread's queue is made on its first WPUOpenCurrentThread (the API does it
 * for a call with a completion routine) and torn down when the thread exits.
 * The thread handle (WSATHREADID.ThreadHandle) is an encoded table index +
 * generation, never a pointer: a handle of an exited thread is refused. */
#ifndef WSP_WS2_APC_H
#define WSP_WS2_APC_H

#include <wsp/ws2spi.h>

/* Fill *tid with the calling thread's handle (creating its queue). 0 or
 * WSAENOBUFS / WSAEMFILE. */
int apc_open_current(LPWSATHREADID tid);

/* Queue fn(ctx) to the thread of *tid and wake it if it waits alertably.
 * 0, WSAEINVAL (not a thread handle, or the thread has exited) or
 * WSAENOBUFS. */
int apc_queue(const WSATHREADID *tid, LPWSAUSERAPC fn, DWORD_PTR ctx);

/* WPUCloseThread: 0 for a handle ws2 issued (even of an exited thread), else
 * WSAEINVAL. */
int apc_close(const WSATHREADID *tid);

/* The calling thread's wake-up descriptor (readable while APCs are queued),
 * or -1 when it has no queue (then nothing can be queued to it). */
int apc_self_fd(void);

/* Run the APCs queued to the calling thread, oldest first. Returns how many
 * ran. Only alertable waits call it. */
unsigned apc_run_self(void);

#endif
