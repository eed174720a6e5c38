/* SPDX-License-Identifier: MIT */
/* spi_start — shared WSPStartup / WSPCleanup bookkeeping (see spi_start.h). */
#include "common/spi_start.h"

#include <stdbool.h>
#include <stddef.h>

#include "common/ext.h"
#include "common/ovl.h"
#include "common/umem.h"

int spi_startup(struct spi_start *st, WORD wVersionRequested, LPWSPDATA lpWSPData,
                const WSPUPCALLTABLE *UpcallTable, LPWSPPROC_TABLE lpProcTable)
{
    if (st->before_start != NULL)
        st->before_start();
    if (lpWSPData == NULL || lpProcTable == NULL)
        return WSAEFAULT;
    /* 2.2 is the only SPI version there is; an older request cannot be served. */
    if (LOBYTE(wVersionRequested) < 2 ||
        (LOBYTE(wVersionRequested) == 2 && HIBYTE(wVersionRequested) < 2))
        return WSAVERNOTSUPPORTED;
    if (UpcallTable->lpWPUCreateSocketHandle == NULL ||
        UpcallTable->lpWPUQuerySocketHandleContext == NULL ||
        UpcallTable->lpWPUCloseSocketHandle == NULL)
        return WSAEINVALIDPROCTABLE;

    umem_init(); /* a bad caller pointer is WSAEFAULT from the first call on */
    pthread_mutex_lock(&st->lock);
    if (st->count++ == 0)
        *st->upcalls = *UpcallTable;
    /* the overlapped kit needs WPUQueueApc and libwsp's
     * WPUCompleteOverlappedRequest; without the latter ovl_available() is
     * false and the provider refuses overlapped calls (WSAEOPNOTSUPP) */
    (void)ovl_startup(st->upcalls);
    /* extension functions: WPUSetLastError, routine threads */
    (void)ext_startup(st->upcalls);
    /* last: an entry that sees the module live finds the kit connected */
    atomic_store_explicit(st->live, true, memory_order_release);
    pthread_mutex_unlock(&st->lock);

    lpWSPData->wVersion = MAKEWORD(2, 2);
    lpWSPData->wHighVersion = MAKEWORD(2, 2);
    size_t i = 0;
    for (; st->description[i] != '\0' && i < WSPDESCRIPTION_LEN; i++)
        lpWSPData->szDescription[i] = (WCHAR)st->description[i];
    lpWSPData->szDescription[i] = 0;
    *lpProcTable = *st->procs;
    return 0;
}

static int spi_start_fail(LPINT lpErrno, int code)
{
    if (lpErrno != NULL)
        *lpErrno = code;
    return SOCKET_ERROR;
}

int spi_cleanup(struct spi_start *st, int in_callback, LPINT lpErrno)
{
    if (in_callback)
        return spi_start_fail(lpErrno, WSAEINPROGRESS);
    pthread_mutex_lock(&st->lock);
    if (st->count == 0) {
        pthread_mutex_unlock(&st->lock);
        return spi_start_fail(lpErrno, WSANOTINITIALISED);
    }
    if (--st->count == 0) {
        /* Refuse new calls first, then release what is left. */
        atomic_store_explicit(st->live, false, memory_order_release);
        st->last_cleanup();
    }
    pthread_mutex_unlock(&st->lock);
    return 0;
}
