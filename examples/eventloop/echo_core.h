/* SPDX-License-Identifier: MIT */
/* The socket side of the event-loop examples: a listener, a client and the
 * accepted connection, each with an event object selected for its network
 * events.  A loop (poll_loop.c, uv_loop.c) watches the three descriptors that
 * wsp_event_fd gives and calls echo_service(i) when descriptor i is readable.
 * The client sends ECHO_TOTAL bytes, the server echoes them, the client checks
 * every byte, then releases with WSASendDisconnect; done when the server has
 * seen the end of the connection. */
#ifndef WSP_EXAMPLE_ECHO_CORE_H
#define WSP_EXAMPLE_ECHO_CORE_H

#define ECHO_TOTAL (256 * 1024)
#define ECHO_NFDS 3

/* proto: "tcp" or "itot". 0, or -1 with a message on stderr. */
int echo_open(const char *proto);
/* The descriptors to watch for input (from wsp_event_fd). */
void echo_fds(int fds[ECHO_NFDS]);
/* Descriptor i is readable: handle its socket's events. 0, or -1 on failure. */
int echo_service(int i);
/* 1 once the exchange is complete. */
int echo_done(void);
/* Closes everything; prints a summary. 0 if every byte came back. */
int echo_close(void);

#endif
