/* SPDX-License-Identifier: MIT */
/* A connected itot pair over loopback for the tests that watch the test
 * build of the module: made before any hook is installed, so its handshake
 * runs on the real calls. */
#ifndef WSP_TEST_ITOT_PAIR_H
#define WSP_TEST_ITOT_PAIR_H

#include <wsp/winsock2.h>

/* After WSAStartup: *cli (made with cli_flags, blocking) connected to *srv
 * (accepted, with SO_RCVTIMEO of wait_s so that a stalled case fails instead
 * of hanging); the listener is closed. 0, or -1 if a step failed. */
int itot_pair_open(DWORD cli_flags, int wait_s, SOCKET *cli, SOCKET *srv);

struct sys_hook;
/* The end of a case that hooked the module: its calls go back to the real
 * ones first, then both sockets are closed (a case may have closed them
 * already: WSAENOTSOCK is fine) and WSACleanup's result is returned. */
int itot_pair_close(const struct sys_hook *hook, SOCKET cli, SOCKET srv);

#endif
