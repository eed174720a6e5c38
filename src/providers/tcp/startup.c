/* SPDX-License-Identifier: MIT */
/* WSPStartup / WSPCleanup: the kit's start-up glue (common/spi_start.h) and
 * the entries tcp leaves out (common/spi_unsupported.h).  After the last
 * WSPCleanup every entry point answers WSAENETDOWN (C9) until the next
 * WSPStartup. */
#include "common/spi_start.h"
#include "common/spi_unsupported.h"
#include "tcp.h"

/* What the last WSPCleanup releases: sockets the application never closed,
 * then the event watcher and select's pooled wake descriptors. */
static void tcp_last_cleanup(void)
{
    tcp_sock_close_all();
    tcp_events_stop();
    tcp_selwake_cleanup();
}

SPI_START_DEFINE(tcp, "wsp tcp/udp base provider (POSIX sockets)", tcp_last_cleanup, NULL)

/* Window messages, Winsock 1 blocking hooks, socket duplication, QoS
 * templates and multipoint: the TCP/UDP catalog entries claim none of them
 * (no XP1_QOS_SUPPORTED, no XP1_SUPPORT_MULTIPOINT). */
SPI_UNSUPPORTED_DEFINE(tcp)
