/* SPDX-License-Identifier: MIT */
/* WSPStartup / WSPCleanup: the start count, the upcall table and the proc
 * table.  After the last WSPCleanup every entry point answers WSAENETDOWN (C9)
 * until the next WSPStartup. */
#include "common/ext.h"
#include "common/spi_start.h"
#include "tcp.h"

WSPUPCALLTABLE tcp_upcalls;
atomic_bool tcp_live;
_Thread_local int tcp_in_callback;

static const WSPPROC_TABLE tcp_procs = SPI_PROC_TABLE(tcp);

/* What the last WSPCleanup releases: sockets the application never closed,
 * then the event watcher and select's pooled wake descriptors. */
static void tcp_last_cleanup(void)
{
    tcp_sock_close_all();
    tcp_events_stop();
    tcp_selwake_cleanup();
}

static struct spi_start tcp_start = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .live = &tcp_live,
    .upcalls = &tcp_upcalls,
    .description = "wsp tcp/udp base provider (POSIX sockets)",
    .procs = &tcp_procs,
    .last_cleanup = tcp_last_cleanup,
};

__attribute__((visibility("default"))) int WSPAPI WSPStartup(WORD wVersionRequested,
                                                             LPWSPDATA lpWSPData,
                                                             LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                                             WSPUPCALLTABLE UpcallTable,
                                                             LPWSPPROC_TABLE lpProcTable)
{
    (void)lpProtocolInfo; /* each WSPSocket call brings its own catalog entry */
    int err = spi_startup(&tcp_start, wVersionRequested, lpWSPData, &UpcallTable, lpProcTable);
    if (err == 0)
        ext_startup(&tcp_upcalls); /* extension functions: last error, routine threads */
    return err;
}

int WSPAPI tcp_WSPCleanup(LPINT lpErrno)
{
    return spi_cleanup(&tcp_start, tcp_in_callback, lpErrno);
}
