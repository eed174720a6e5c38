/* SPDX-License-Identifier: MIT */
/* WSAGetLastError / WSASetLastError: one value per thread, so concurrent calls
 * on other threads never overwrite the error a caller is about to read. */
#include "lasterror.h"

static _Thread_local int le_value;

void le_set(int err)
{
    le_value = err;
}

WSP_EXPORT int WSAAPI WSAGetLastError(void)
{
    return le_value;
}

WSP_EXPORT void WSAAPI WSASetLastError(int iError)
{
    le_value = iError;
}

/* kernel32's names for the same per-thread value, as on Windows (where
 * WSAGetLastError is GetLastError). */
WSP_EXPORT DWORD WINAPI GetLastError(void)
{
    return (DWORD)le_value;
}

WSP_EXPORT void WINAPI SetLastError(DWORD dwErrCode)
{
    le_value = (int)dwErrCode;
}
