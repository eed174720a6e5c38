/* SPDX-License-Identifier: MIT */
/* WSPStartup / WSPCleanup of the itot module: start count, upcall table, proc
 * table.  After the last WSPCleanup every entry answers WSAENETDOWN (C9). */
#include <time.h>

#include "common/ext.h"
#include "common/spi_start.h"
#include "provider.h"

WSPUPCALLTABLE itot_upcalls;
atomic_bool itot_live;
_Thread_local int itot_in_callback;

static const WSPPROC_TABLE itot_procs = SPI_PROC_TABLE(itot);

uint64_t itot_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* What the last WSPCleanup releases: sockets the application never closed,
 * then the engine thread. */
static void itot_last_cleanup(void)
{
    itot_close_all();
    itot_engine_stop();
    itot_waiters_stop();
}

static struct spi_start itot_start = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .live = &itot_live,
    .upcalls = &itot_upcalls,
    .description = "wsp itot provider (ISO transport over TCP, RFC 1006/2126)",
    .procs = &itot_procs,
    .last_cleanup = itot_last_cleanup,
};

__attribute__((visibility("default"))) int WSPAPI WSPStartup(WORD wVersionRequested,
                                                             LPWSPDATA lpWSPData,
                                                             LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                                             WSPUPCALLTABLE UpcallTable,
                                                             LPWSPPROC_TABLE lpProcTable)
{
    (void)lpProtocolInfo;    /* each WSPSocket call brings its own catalog entry */
    itot_sock_atfork_init(); /* before any socket or engine exists */
    int err = spi_startup(&itot_start, wVersionRequested, lpWSPData, &UpcallTable, lpProcTable);
    /* Without libwsp's WPUCompleteOverlappedRequest, overlapped calls are
     * refused (WSAEOPNOTSUPP); everything else works. */
    if (err == 0) {
        ovl_startup(&itot_upcalls);
        ext_startup(&itot_upcalls); /* extension functions: last error, routine threads */
    }
    return err;
}

int WSPAPI itot_WSPCleanup(LPINT lpErrno)
{
    return spi_cleanup(&itot_start, itot_in_callback, lpErrno);
}
