/* SPDX-License-Identifier: MIT */
/* Port polling: reports from a completion port's epoll set run the
 * provider's poll procedure (port_poll.c; the exports are in ws2spi.h). */
#ifndef WSP_WS2_PORT_POLL_H
#define WSP_WS2_PORT_POLL_H

#include <stdbool.h>
#include <stdint.h>

#include <wsp/ws2spi.h>

#define PORT_POLL_TAG_SHIFT 56
#define PORT_POLL_COOKIE_MASK ((UINT64_C(1) << PORT_POLL_TAG_SHIFT) - 1)
/* the data of the port's own eventfd in its set: no procedure */
#define PORT_POLL_SELF (UINT64_C(0xFF) << PORT_POLL_TAG_SHIFT)

/* Run the procedure a report names: true if it named one (even one
 * deregistered meanwhile, whose report is dropped), false for the port's
 * own eventfd. */
bool port_poll_run(uint64_t data, uint32_t events);

/* Wait up to timeout_ms (-1: no limit) on the set ep for at most max
 * (<= 64) reports and run each: their number, or -1 with errno. */
int port_poll_run_set(int ep, int max, int timeout_ms);

#endif
