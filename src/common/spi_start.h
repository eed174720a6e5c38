/* SPDX-License-Identifier: MIT */
/* spi_start — the WSPStartup / WSPCleanup bookkeeping every provider module
 * needs: version and upcall checks, a start count under a lock, the live flag
 * the entry points test (C9), the WSPDATA description and the proc table.
 * Each module keeps one struct spi_start and its own exported WSPStartup.
 * The first start also starts the overlapped kit (ovl_startup, ovl.h). */
#ifndef WSP_COMMON_SPI_START_H
#define WSP_COMMON_SPI_START_H

#include <pthread.h>
#include <stdatomic.h>

#include <wsp/ws2spi.h>

struct spi_start {
    pthread_mutex_t lock;       /* guards count, upcalls and live */
    unsigned count;             /* WSPStartup calls not yet matched by WSPCleanup */
    atomic_bool *live;          /* set at the first start, cleared at the last cleanup */
    WSPUPCALLTABLE *upcalls;    /* the module's copy of the ws2 upcall table */
    const char *description;    /* ASCII, copied into WSPDATA.szDescription */
    const WSPPROC_TABLE *procs; /* handed back to every WSPStartup caller */
    void (*last_cleanup)(void); /* releases what is left, under lock, live already false */
};

/* The body of WSPStartup: 0, or the WSAE* code to return. */
int spi_startup(struct spi_start *st, WORD wVersionRequested, LPWSPDATA lpWSPData,
                const WSPUPCALLTABLE *UpcallTable, LPWSPPROC_TABLE lpProcTable);

/* The body of WSPCleanup: 0, or SOCKET_ERROR with *lpErrno (when not NULL) set
 * to WSAEINPROGRESS (in_callback: called from a blocking hook, C8) or
 * WSANOTINITIALISED (more cleanups than starts). */
int spi_cleanup(struct spi_start *st, int in_callback, LPINT lpErrno);

#endif
