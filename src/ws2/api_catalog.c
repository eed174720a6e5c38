/* SPDX-License-Identifier: MIT */
/* WSAEnumProtocolsA/W: the public view of the catalog (hidden and layered
 * entries are left out; WSCEnumProtocols shows them). */
#include "api.h"
#include "catalog_enum.h"

static int api_enum(LPINT lpiProtocols, void *buf, LPDWORD len, enum cat_enum_kind kind)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    int err;
    int n = cat_enum(lpiProtocols, buf, len, kind, 0, &err);
    return n < 0 ? le_fail(err) : n;
}

WSP_EXPORT int WSAAPI WSAEnumProtocolsW(LPINT lpiProtocols, LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                                        LPDWORD lpdwBufferLength)
{
    return api_enum(lpiProtocols, lpProtocolBuffer, lpdwBufferLength, CAT_ENUM_W);
}

WSP_EXPORT int WSAAPI WSAEnumProtocolsA(LPINT lpiProtocols, LPWSAPROTOCOL_INFOA lpProtocolBuffer,
                                        LPDWORD lpdwBufferLength)
{
    return api_enum(lpiProtocols, lpProtocolBuffer, lpdwBufferLength, CAT_ENUM_A);
}
