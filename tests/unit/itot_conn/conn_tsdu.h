/* SPDX-License-Identifier: MIT */
/* What the state machine's tests share: one TSDU queued as the glue queues it
 * (DT headers + data into the output queue), and the next TSDU read out of the
 * receive store. Asserted with cmocka. */
#ifndef WSP_TEST_CONN_TSDU_H
#define WSP_TEST_CONN_TSDU_H

#include <stddef.h>
#include <stdint.h>

#include "providers/itot/conn.h"

void send_tsdu(struct conn *c, const uint8_t *d, size_t n);
/* The ready TSDU (or part) into out (at most cap octets, asserted), consumed. */
size_t read_tsdu(struct conn *c, uint8_t *out, size_t cap);

#endif
