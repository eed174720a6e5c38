/* SPDX-License-Identifier: MIT */
/* WPUCompleteOverlappedRequest: a provider reports the end of an overlapped
 * operation that has no completion routine (ws2spi.h, "Overlapped
 * operations"). Exported rather than in the upcall table, as ws2_32 does.
 * The completion goes to the WSAOVERLAPPED, its event and the socket's
 * completion port (iocp.h). */
#include <stddef.h>

#include "common/umem.h"
#include "event.h"
#include "handle.h"
#include "iocp.h"

/* The WSAOVERLAPPED is caller memory: its fields are checked writable first
 * (a bad pointer is WSAEFAULT, never a crash), then stored with atomics so
 * that a reader that loads Internal with acquire ordering also sees
 * InternalHigh (and the Offset the provider stored before calling). */
static int cmp_store(LPWSAOVERLAPPED ov, DWORD err, DWORD bytes, WSAEVENT *ev)
{
    if (umem_check_write(ov, sizeof *ov) != 0 || umem_read(ev, &ov->hEvent, sizeof *ev) != 0)
        return WSAEFAULT;
    __atomic_store_n(&ov->InternalHigh, (ULONG_PTR)bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&ov->Internal, (ULONG_PTR)err, __ATOMIC_RELEASE);
    return 0;
}

WSP_EXPORT int WSPAPI WPUCompleteOverlappedRequest(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                                   DWORD dwError, DWORD cbTransferred,
                                                   LPINT lpErrno)
{
    /* Microsoft's documentation: WSAEINVAL when s was not made by
     * WPUCreateSocketHandle. A closing socket (WSPCloseSocket aborting its
     * operations) still counts. */
    uintptr_t port = 0, key = 0;
    int err = hdl_get_port(s, &port, &key) != 0 ? WSAEINVAL : 0;
    WSAEVENT ev = NULL;
    if (err == 0)
        err = cmp_store(lpOverlapped, dwError, cbTransferred, &ev);
    if (err != 0) {
        if (lpErrno)
            *lpErrno = err;
        return SOCKET_ERROR;
    }
    /* the low bit of hEvent only says "not to the port" (Windows' rule); an
     * event the application closed meanwhile is its own loss */
    WSAEVENT h = (WSAEVENT)((uintptr_t)ev & ~(uintptr_t)1); // NOLINT(performance-no-int-to-ptr)
    if (h != NULL)
        (void)evt_set(h);
    /* the port s is associated with, if any; a port closed meanwhile takes
     * nothing (its handle no longer resolves) */
    if (port != 0 && ((uintptr_t)ev & 1) == 0)
        (void)iocp_post((HANDLE)port, key, lpOverlapped, cbTransferred, dwError); // NOLINT
    return 0;
}
