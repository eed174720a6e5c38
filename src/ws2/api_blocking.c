/* SPDX-License-Identifier: MIT */
/* Winsock 1.1 pseudo-blocking (WSAIsBlocking & co.). Winsock 2 never blocks
 * in the 1.1 sense ("Windows Sockets Compatibility Issues"), so these answer
 * for a thread with no blocking call outstanding; a hook is remembered for
 * WSASetBlockingHook's return value and never called. */
#include "lasterror.h"
#include "startup.h"

static _Thread_local FARPROC blk_hook; /* NULL: the default hook */

WSP_EXPORT BOOL WSAAPI WSAIsBlocking(void)
{
    return FALSE;
}

/* 1.1: WSAEINVAL "Indicates that there is no outstanding blocking call". */
WSP_EXPORT int WSAAPI WSACancelBlockingCall(void)
{
    return le_fail(su_running() ? WSAEINVAL : WSANOTINITIALISED);
}

WSP_EXPORT FARPROC WSAAPI WSASetBlockingHook(FARPROC lpBlockFunc)
{
    if (!su_running()) {
        le_set(WSANOTINITIALISED);
        return NULL;
    }
    FARPROC old = blk_hook;
    blk_hook = lpBlockFunc;
    return old;
}

WSP_EXPORT int WSAAPI WSAUnhookBlockingHook(void)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    blk_hook = NULL;
    return 0;
}
