/* SPDX-License-Identifier: MIT */
/* Thread-local last error (D11): the only error channel of the API level. */
#ifndef WSP_WS2_LASTERROR_H
#define WSP_WS2_LASTERROR_H

#include <wsp/winsock2.h>

void le_set(int err);

/* Store err as the last error and return SOCKET_ERROR: the common tail of a failed call. */
static inline int le_fail(int err)
{
    le_set(err);
    return SOCKET_ERROR;
}

#endif
