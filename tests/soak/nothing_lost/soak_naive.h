/* SPDX-License-Identifier: MIT */
/* soak_naive — what SendDisconnect is for, shown on one connection.
 *
 * The peer sends a short request that the closer never reads; the closer
 * sends until its buffers are full (a non-blocking send says
 * WSAEWOULDBLOCK), so some of its data has not reached the peer yet; then
 *
 *   naive:    the closer calls closesocket at once, its request unread;
 *   graceful: the closer calls WSASendDisconnect, reads to the end (the
 *             request, then the peer's own disconnect), then closesocket.
 *
 * The peer reads to the end in both cases.  On tcp the naive close is the
 * classic abortive close: Linux answers a close with unread input with a RST
 * (RFC 2525 section 2.17; RFC 1122 4.2.2.13), which discards what was still
 * queued, and the peer's receive fails with WSAECONNRESET.  The graceful one
 * loses nothing.  On itot closesocket itself releases with a DR queued behind
 * the data (D5), so both must lose nothing. */
#ifndef WSP_TEST_SOAK_NAIVE_H
#define WSP_TEST_SOAK_NAIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "soak_payload.h"

struct soak_naive_result {
    uint64_t sent;     /* octets the closer's sends accepted */
    uint64_t received; /* octets the peer read before its end */
    bool content_ok;   /* what the peer read is exactly the start of what was sent */
    int peer_end;      /* how the peer's reading ended: 0 = the clean end, else the error */
    int closer_end;    /* graceful: how the closer's reading ended (0 = the clean end) */
    unsigned disc_len; /* itot: disconnect data the peer got */
    bool disc_ok;      /* itot: it is the closer's */
    char err[512];     /* a failure of the set-up itself, "" if none */
};

/* itot_class: -1, 0 or 2 (ignored for tcp).  Returns 0, or -1 with r->err. */
int soak_naive_run(enum soak_prov prov, int itot_class, bool graceful, struct soak_naive_result *r);

#endif
