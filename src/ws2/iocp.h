/* SPDX-License-Identifier: MIT */
/* I/O completion ports: FIFO queues of completion packets (key, overlapped,
 * bytes, status) that threads wait on. A port handle is an encoded table
 * index + generation (never a pointer; its low two bits are 10, so it can
 * never be taken for a SOCKET, whose low bits are 00): a bogus or closed
 * handle is refused, never dereferenced. Lookups take no global lock. */
#ifndef WSP_WS2_IOCP_H
#define WSP_WS2_IOCP_H

#include <stdint.h>

#include <wsp/winsock2.h>

/* A port that lets at most `concurrent` threads run its packets at once (0:
 * as many as there are processors): 0 and *out, or ERROR_NOT_ENOUGH_MEMORY. */
int iocp_create(HANDLE *out, DWORD concurrent);

/* Is h an open port now? 0 or ERROR_INVALID_HANDLE. */
int iocp_check(HANDLE h);

/* Queue a packet: 0, ERROR_INVALID_HANDLE (not an open port) or
 * ERROR_NOT_ENOUGH_MEMORY. */
int iocp_post(HANDLE h, ULONG_PTR key, LPOVERLAPPED ov, DWORD bytes, DWORD status);

/* Take up to max packets (at least one unless it fails), waiting up to
 * timeout_ms (INFINITE), while fewer than the port's concurrent threads run
 * its packets: the calling thread runs them from then on, until it calls
 * this again (on any port) or exits; alertable: the calling thread's APCs run instead
 * (apc.h). 0 with *n packets, or WAIT_TIMEOUT, WAIT_IO_COMPLETION,
 * ERROR_ABANDONED_WAIT_0 (the port was closed before or during the wait),
 * ERROR_INVALID_HANDLE. */
int iocp_get(HANDLE h, OVERLAPPED_ENTRY *out, ULONG max, ULONG *n, DWORD timeout_ms,
             BOOL alertable);

/* CloseHandle: invalidate h at once, wake its waiters (ERROR_ABANDONED_WAIT_0);
 * queued packets are dropped. 0 or ERROR_INVALID_HANDLE. */
int iocp_close(HANDLE h);

/* The epoll set of port h, made (with the port's own thread) on the first
 * call (port polling, port_poll.c): 0 and *fd, or ERROR_INVALID_HANDLE,
 * ERROR_NOT_ENOUGH_MEMORY. */
int iocp_poll_set(HANDLE h, int *fd);

/* Threads asleep in a wait on h now (tests: to know a waiter is there). */
unsigned iocp_waiters(HANDLE h);

#endif
