/* SPDX-License-Identifier: MIT */
/* The WSPUPCALLTABLE handed to every provider's WSPStartup. */
#ifndef WSP_WS2_UPCALLS_H
#define WSP_WS2_UPCALLS_H

#include <wsp/ws2spi.h>

extern const WSPUPCALLTABLE upc_table;

#endif
