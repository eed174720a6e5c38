/* SPDX-License-Identifier: MIT */
/* A decoy provider module: its WSPStartup only marks, in the environment of
 * the process that loaded it, that it ran (WS2TEST_DECOY_STARTED=1), and
 * fails. Loaded at all is what the ws2_secure_env test looks for. */
#include <stdlib.h>

#include <wsp/ws2spi.h>

__attribute__((visibility("default"))) int WSPAPI WSPStartup(WORD version, LPWSPDATA data,
                                                             LPWSAPROTOCOL_INFOW pi,
                                                             WSPUPCALLTABLE upcalls,
                                                             LPWSPPROC_TABLE t)
{
    (void)version, (void)data, (void)pi, (void)upcalls, (void)t;
    setenv("WS2TEST_DECOY_STARTED", "1", 1);
    return WSAEPROVIDERFAILEDINIT;
}
