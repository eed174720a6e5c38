/* SPDX-License-Identifier: MIT */
/* -v on itot: the provider's TPDU log (WSP_ITOT_TPDU_LOG), decoded for people. */
#ifndef WSP_TOOL_TPDU_LOG_H
#define WSP_TOOL_TPDU_LOG_H

#include <wsp/winsock2.h>

/* Asks the provider to keep the log (before connect/listen). 0 or the WSAE* error. */
int tpdu_log_enable(SOCKET s);

/* Prints every entry logged since the last call, one line each on stderr:
 * "wsp: TPDU > CR class 2, dst 0x0000 src 0x0003: C0 8192, F0 65408, ...". */
void tpdu_log_print(SOCKET s);

#endif
