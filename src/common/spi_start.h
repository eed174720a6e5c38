/* SPDX-License-Identifier: MIT */
/* spi_start — the WSPStartup / WSPCleanup glue every provider module needs
 * (part of the provider kit: docs/writing-a-provider.md): version and upcall
 * checks, a start count under a lock, the live flag the entry points test
 * (C9, spi_call.h), the WSPDATA description and the proc table.
 *
 * The rule it enforces: a module has exactly one WSPStartup (the only symbol
 * it exports) and one WSPCleanup, both written by SPI_START_DEFINE, so that
 * every module counts its starts the same way: the first start takes the
 * upcall table and turns the module live, the last cleanup turns it dead
 * (every entry then answers WSAENETDOWN) before it releases what is left;
 * and every successful start (re)connects the kit to libwsp: the overlapped
 * completion (ovl_startup, ovl.h) and the extension functions' last error
 * (ext_startup, ext.h), both looked up again in case libwsp was reloaded. */
#ifndef WSP_COMMON_SPI_START_H
#define WSP_COMMON_SPI_START_H

#include <pthread.h>
#include <stdatomic.h>

#include <wsp/ws2spi.h>

#include "common/spi_procs.h"

struct spi_start {
    pthread_mutex_t lock;       /* guards count, upcalls and live */
    unsigned count;             /* WSPStartup calls not yet matched by WSPCleanup */
    atomic_bool *live;          /* set at the first start, cleared at the last cleanup */
    WSPUPCALLTABLE *upcalls;    /* the module's copy of the ws2 upcall table */
    const char *description;    /* ASCII, copied into WSPDATA.szDescription */
    const WSPPROC_TABLE *procs; /* handed back to every WSPStartup caller */
    void (*last_cleanup)(void); /* releases what is left, under lock, live already false */
    void (*before_start)(void); /* optional: first thing of every WSPStartup (fork handlers) */
};

/* The body of WSPStartup: 0, or the WSAE* code to return. */
int spi_startup(struct spi_start *st, WORD wVersionRequested, LPWSPDATA lpWSPData,
                const WSPUPCALLTABLE *UpcallTable, LPWSPPROC_TABLE lpProcTable);

/* The body of WSPCleanup: 0, or SOCKET_ERROR with *lpErrno (when not NULL) set
 * to WSAEINPROGRESS (in_callback: called from a blocking hook, C8) or
 * WSANOTINITIALISED (more cleanups than starts). */
int spi_cleanup(struct spi_start *st, int in_callback, LPINT lpErrno);

/* The module's start-up glue, in one of its source files (after its
 * internal header, which declares prefix_live, prefix_in_callback and
 * prefix_upcalls and the entry points, spi_procs.h, and its guard with
 * spi_call.h, whose prefix_in_cb() the cleanup asks):
 *   prefix_upcalls, prefix_live, prefix_in_callback  the module's state
 *   WSPStartup                                       the exported entry
 *   prefix_WSPCleanup                                the table's cleanup
 * desc is the ASCII WSPDATA description; last_cleanup and before_start are
 * as in struct spi_start (before_start may be NULL). */
#define SPI_START_DEFINE(prefix, desc, last_cleanup_fn, before_start_fn)                           \
    WSPUPCALLTABLE prefix##_upcalls;                                                               \
    atomic_bool prefix##_live;                                                                     \
    _Thread_local int prefix##_in_callback;                                                        \
    atomic_int prefix##_callbacks; /* SPI_CALL_DECLARE_COUNTED (spi_call.h) */                     \
    static const WSPPROC_TABLE prefix##_procs = SPI_PROC_TABLE(prefix);                            \
    static struct spi_start prefix##_start = {                                                     \
        .lock = PTHREAD_MUTEX_INITIALIZER,                                                         \
        .live = &prefix##_live,                                                                    \
        .upcalls = &prefix##_upcalls,                                                              \
        .description = (desc),                                                                     \
        .procs = &prefix##_procs,                                                                  \
        .last_cleanup = (last_cleanup_fn),                                                         \
        .before_start = (before_start_fn),                                                         \
    };                                                                                             \
    /* lpProtocolInfo is not kept: each WSPSocket call brings its own entry */                     \
    __attribute__((visibility("default"))) int WSPAPI WSPStartup(                                  \
        WORD wVersionRequested, LPWSPDATA lpWSPData, LPWSAPROTOCOL_INFOW lpProtocolInfo,           \
        WSPUPCALLTABLE UpcallTable, LPWSPPROC_TABLE lpProcTable)                                   \
    {                                                                                              \
        (void)lpProtocolInfo;                                                                      \
        return spi_startup(&prefix##_start, wVersionRequested, lpWSPData, &UpcallTable,            \
                           lpProcTable);                                                           \
    }                                                                                              \
    int WSPAPI prefix##_WSPCleanup(LPINT lpErrno)                                                  \
    {                                                                                              \
        return spi_cleanup(&prefix##_start, prefix##_in_cb(), lpErrno);                            \
    }

#endif
