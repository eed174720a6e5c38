/* SPDX-License-Identifier: MIT */
/* A complete procedure table of refusals, for the small test provider
 * modules (ws2_loader's test_provider.c, ws2_overlapped's ovl_provider.c):
 * a module fills its table with stub_procs, then sets the entries it
 * implements. */
#ifndef WS2TEST_STUB_PROCS_H
#define WS2TEST_STUB_PROCS_H

#include <wsp/ws2spi.h>

/* Every entry refuses: WSAEOPNOTSUPP (getsockopt: WSAENOPROTOOPT, an option
 * it does not know); WSPCleanup succeeds. */
void stub_procs(LPWSPPROC_TABLE t);

/* *e = code; SOCKET_ERROR. */
int stub_fail(LPINT e, int code);

#endif
