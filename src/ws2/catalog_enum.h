/* SPDX-License-Identifier: MIT */
/* Copying catalog entries out to callers (WSAEnumProtocolsA/W, WSCEnumProtocols). */
#ifndef WSP_WS2_CATALOG_ENUM_H
#define WSP_WS2_CATALOG_ENUM_H

#include <wsp/ws2spi.h>

enum cat_enum_kind { CAT_ENUM_W, CAT_ENUM_A };

/* Number of entries written, or -1 with *err (WSAENOBUFS with the needed size
 * stored in *lpdwBufferLength, WSAEFAULT for bad caller memory).
 * all: include hidden and layered entries (WSCEnumProtocols). */
int cat_enum(const INT *lpiProtocols, void *buf, LPDWORD lpdwBufferLength, enum cat_enum_kind kind,
             int all, int *err);

/* WSAPROTOCOL_INFOA <-> W (szProtocol converted through UTF-8). */
void cat_info_w_to_a(WSAPROTOCOL_INFOA *a, const WSAPROTOCOL_INFOW *w);
void cat_info_a_to_w(WSAPROTOCOL_INFOW *w, const WSAPROTOCOL_INFOA *a);

#endif
