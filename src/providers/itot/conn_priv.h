/* SPDX-License-Identifier: MIT */
/* conn_priv — helpers shared by the files of the state machine (conn.c,
 * conn_input.c, conn_store.c); not for the glue. */
#ifndef WSP_ITOT_CONN_PRIV_H
#define WSP_ITOT_CONN_PRIV_H

#include <string.h>

#include "conn.h"
#include "conn_ring.h"

#define CONN_RX_RING 16384 /* the receive store's first size; it grows on demand */

/* memcpy that accepts a NULL source with n == 0 (empty user data decodes as NULL). */
static inline void conn_copy(void *dst, const void *src, size_t n)
{
    if (n > 0)
        memcpy(dst, src, n);
}

/* Encode t and append it to the output queue (control TPDUs: always fit in
 * the reserve; if they do not, the stream is given up). */
void conn_emit(struct conn *c, const struct tpdu *t);
/* Queue a DR (dst_ref, src_ref given) with reason and data. */
void conn_emit_dr(struct conn *c, uint16_t dst, uint16_t src, uint8_t reason, const uint8_t *data,
                  size_t len);
/* Queue an ER with cause and the rejected header octets. */
void conn_emit_er(struct conn *c, uint8_t cause, const uint8_t *rejected, size_t rejected_len);

/* End the connection: state CLOSED, TCP to be closed (after the queue, or at once),
 * error (0 keeps it) and events raised. */
void conn_finish(struct conn *c, int error, unsigned events, bool at_once);

/* The TPDU size our CR proposes, in octets, as the peer reads it. */
uint32_t conn_proposed_size(const struct conn *c);

/* Receive store: append DT data to the open TSDU (opening one if needed);
 * close it at EOT.  -1 if the TSDU would exceed max_tsdu. */
int conn_store_append(struct conn *c, const uint8_t *p, size_t n, bool eot);
/* Room in the receive store's buffer for n more data octets (a DT's),
 * taken or grown now: 0, or -1 when memory is short.  Past the limit
 * nothing is reserved (conn_store_append refuses that TSDU). */
int conn_rx_reserve(struct conn *c, size_t n);
/* The store is empty: its buffer goes back. */
void conn_rx_drop(struct conn *c);

#endif
