/* SPDX-License-Identifier: MIT */
/* Event objects and network-event selection. */
#include "api.h"
#include "event.h"

/* The event calls never reach a provider: traced here (debug.h). */
static void api_event_trace(const char *name, WSAEVENT h, BOOL ok, int err)
{
    struct dbg_line l;
    dbg_begin(&l, name);
    dbg_put(&l, "event=%p", h);
    dbg_result_bool(&l, ok, err);
    dbg_emit(&l);
}

WSP_EXPORT WSAEVENT WSAAPI WSACreateEvent(void)
{
    WSAEVENT h = WSA_INVALID_EVENT;
    int err = su_running() ? evt_create(&h) : WSANOTINITIALISED;
    if (dbg_on()) {
        struct dbg_line l;
        dbg_begin(&l, "WSACreateEvent");
        if (err == 0)
            dbg_put(&l, ") = %p", h);
        else
            dbg_result_fail(&l, "WSA_INVALID_EVENT", err);
        dbg_emit(&l);
    }
    if (err != 0) {
        le_set(err);
        return WSA_INVALID_EVENT;
    }
    return h;
}

static BOOL api_event_result(const char *name, WSAEVENT h, int err)
{
    if (dbg_on())
        api_event_trace(name, h, err == 0, err);
    if (err != 0) {
        le_set(err);
        return FALSE;
    }
    return TRUE;
}

WSP_EXPORT BOOL WSAAPI WSACloseEvent(WSAEVENT hEvent)
{
    return api_event_result("WSACloseEvent", hEvent,
                            su_running() ? evt_close(hEvent) : WSANOTINITIALISED);
}

WSP_EXPORT BOOL WSAAPI WSASetEvent(WSAEVENT hEvent)
{
    return api_event_result("WSASetEvent", hEvent,
                            su_running() ? evt_set(hEvent) : WSANOTINITIALISED);
}

WSP_EXPORT BOOL WSAAPI WSAResetEvent(WSAEVENT hEvent)
{
    return api_event_result("WSAResetEvent", hEvent,
                            su_running() ? evt_reset(hEvent) : WSANOTINITIALISED);
}

/* fAlertable: the completion routines queued to this thread run inside the
 * wait, which then returns WSA_WAIT_IO_COMPLETION (apc.h). */
WSP_EXPORT DWORD WSAAPI WSAWaitForMultipleEvents(DWORD cEvents, const WSAEVENT *lphEvents,
                                                 BOOL fWaitAll, DWORD dwTimeout, BOOL fAlertable)
{
    if (!su_running()) {
        le_set(WSANOTINITIALISED);
        return WSA_WAIT_FAILED;
    }
    int err = 0;
    DWORD r = evt_wait(cEvents, lphEvents, fWaitAll, dwTimeout, fAlertable, &err);
    if (dbg_on()) {
        struct dbg_line l;
        dbg_begin(&l, "WSAWaitForMultipleEvents");
        dbg_put(&l, "count=%lu, all=%d, timeout=%lu", (unsigned long)cEvents, fWaitAll ? 1 : 0,
                (unsigned long)dwTimeout);
        if (r == WSA_WAIT_FAILED)
            dbg_result_fail(&l, "WSA_WAIT_FAILED", err);
        else if (r == WSA_WAIT_TIMEOUT)
            dbg_put(&l, ") = WSA_WAIT_TIMEOUT");
        else if (r == WSA_WAIT_IO_COMPLETION)
            dbg_put(&l, ") = WSA_WAIT_IO_COMPLETION");
        else
            dbg_put(&l, ") = WSA_WAIT_EVENT_0+%lu", (unsigned long)(r - WSA_WAIT_EVENT_0));
        dbg_emit(&l);
    }
    if (r == WSA_WAIT_FAILED)
        le_set(err);
    return r;
}

/* An event handle ws2 never issued (or already closed) is refused here, before
 * the provider stores it: the provider's later WPUSetEvent would fail
 * silently and the application would wait forever. WSAEINVAL is the code the
 * WSAEventSelect and WSAEnumNetworkEvents documentation give for an invalid
 * parameter (neither lists WSA_INVALID_HANDLE). */
static int api_event_refuse(struct api_sock *a)
{
    int err = WSAEINVAL;
    return api_done(a, SOCKET_ERROR, &err);
}

WSP_EXPORT int WSAAPI WSAEventSelect(SOCKET s, WSAEVENT hEventObject, LONG lNetworkEvents)
{
    API_ENTER(s, SOCKET_ERROR);
    /* lNetworkEvents == 0 cancels the selection: the handle is ignored then */
    if (lNetworkEvents != 0 && evt_check(hEventObject) != 0)
        return api_event_refuse(&a);
    return api_done(&a, api_procs(&a)->lpWSPEventSelect(s, hEventObject, lNetworkEvents, &err),
                    &err);
}

WSP_EXPORT int WSAAPI WSAEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
                                           LPWSANETWORKEVENTS lpNetworkEvents)
{
    API_ENTER(s, SOCKET_ERROR);
    /* hEventObject is optional (NULL: nothing to reset) */
    if (hEventObject != NULL && evt_check(hEventObject) != 0)
        return api_event_refuse(&a);
    return api_done(
        &a, api_procs(&a)->lpWSPEnumNetworkEvents(s, hEventObject, lpNetworkEvents, &err), &err);
}
