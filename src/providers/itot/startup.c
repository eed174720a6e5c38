/* SPDX-License-Identifier: MIT */
/* WSPStartup / WSPCleanup of the itot module: the kit's start-up glue
 * (common/spi_start.h) and the entries itot leaves out
 * (common/spi_unsupported.h).  After the last WSPCleanup every entry answers
 * WSAENETDOWN (C9). */
#include <time.h>

#include "common/spi_start.h"
#include "common/spi_unsupported.h"
#include "provider.h"

uint64_t itot_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* What the last WSPCleanup releases: sockets the application never closed,
 * then the engine (its place in the process poll set). */
static void itot_last_cleanup(void)
{
    itot_close_all();
    itot_engine_stop();
    itot_waiters_stop();
}

/* The fork handlers are registered before any socket or engine exists. */
SPI_START_DEFINE(itot, "wsp itot provider (ISO transport over TCP, RFC 1006/2126)",
                 itot_last_cleanup, itot_sock_atfork_init)

/* Window messages, Winsock 1 blocking hooks, socket duplication across
 * processes, QoS and multipoint. */
SPI_UNSUPPORTED_DEFINE(itot)
