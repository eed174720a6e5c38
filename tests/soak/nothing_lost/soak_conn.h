/* SPDX-License-Identifier: MIT */
/* soak_conn — the two ends of one soak connection on a connected socket:
 *
 *   sender:   header, payload in sends of the plan's sizes, trailer, then
 *             WSASendDisconnect at once (itot: with the plan's 0..64 octets,
 *             in the call or through SO_DISCDATA); the caller closes the
 *             socket right after it, without waiting for anything.
 *   receiver: reads to the end (tcp: a receive of 0 octets; itot:
 *             WSAEDISCON), checking everything on the way (soak_check), then
 *             on itot the exact disconnect data and reason 128.
 *
 * Each end reports its progress in a soak_side so that a stalled run can say
 * which connection stalled where.  Failures are written to why. */
#ifndef WSP_TEST_SOAK_CONN_H
#define WSP_TEST_SOAK_CONN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "soak_net.h"
#include "soak_payload.h"

enum soak_phase {
    SOAK_PH_IDLE,
    SOAK_PH_CONNECT,
    SOAK_PH_REQUEST, /* sending or reading the client's header */
    SOAK_PH_SEND,
    SOAK_PH_DISCONNECT,
    SOAK_PH_RECV,
    SOAK_PH_DISCDATA,
    SOAK_PH_CLOSED,
    SOAK_PH_FAILED,
};

const char *soak_phase_name(int phase);

struct soak_side {
    atomic_int phase;
    atomic_uint_fast64_t moved; /* octets sent or received so far */
};

struct soak_io {
    struct soak_side *side;         /* NULL before the connection is known */
    atomic_uint_fast64_t *progress; /* the run's progress counter (watchdog) */
};

/* The client's first message: its header.  0 or -1. */
int soak_conn_request(SOCKET s, enum soak_prov prov, const struct soak_plan *p, char *why,
                      size_t why_len);
/* The server reads exactly the client's header.  0 or -1. */
int soak_conn_identify(SOCKET s, enum soak_prov prov, struct soak_hdr *h, char *why,
                       size_t why_len);

int soak_conn_send(SOCKET s, enum soak_prov prov, const struct soak_plan *p,
                   const struct soak_io *io, char *why, size_t why_len);

/* buf/cap: the thread's receive buffer.  header_done: the server already
 * read the sender's header with soak_conn_identify. */
int soak_conn_recv(SOCKET s, enum soak_prov prov, const struct soak_plan *p, bool header_done,
                   uint8_t *buf, size_t cap, const struct soak_io *io, char *why, size_t why_len);

#endif
