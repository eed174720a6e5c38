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

#endif
