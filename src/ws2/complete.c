/* SPDX-License-Identifier: MIT */
/* WPUCompleteOverlappedRequest: a provider reports the end of an overlapped
 * operation that has no completion routine (ws2spi.h, "Overlapped
 * operations"). Exported rather than in the upcall table, as ws2_32 does. */
#include <stddef.h>

#include "common/umem.h"
#include "event.h"
#include "handle.h"

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
    int err = hdl_query(s, NULL, NULL) != 0 ? WSAEINVAL : 0;
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
    /* completion ports: stage 2 posts (key, ov, cbTransferred, dwError) to the
     * port s is associated with, unless ((uintptr_t)ev & 1) */
    return 0;
}
