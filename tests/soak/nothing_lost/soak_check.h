/* SPDX-License-Identifier: MIT */
/* soak_check — the receiver's verdict on one connection, fed with whatever
 * the receives return: header, payload (every octet compared with the plan),
 * trailer (the sender's checksum against ours), nothing after it; on itot
 * also the length of every message, in order.  No sockets here. */
#ifndef WSP_TEST_SOAK_CHECK_H
#define WSP_TEST_SOAK_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "soak_payload.h"

enum soak_part { SOAK_PART_HDR, SOAK_PART_PAYLOAD, SOAK_PART_TRL, SOAK_PART_DONE };

struct soak_check {
    const struct soak_plan *plan;
    bool msg; /* message oriented: check the boundaries too */
    enum soak_part part;
    uint8_t hold[SOAK_HDR_LEN]; /* header or trailer octets collected so far */
    size_t have;
    uint64_t payload; /* payload octets received and verified */
    struct soak_sum sum;
    /* message boundaries: the expected sequence is header, chunks, trailer */
    struct soak_chunks chunks;
    int next_kind;     /* 0 header, 1 chunk, 2 trailer, 3 nothing more */
    uint64_t messages; /* complete messages so far */
    size_t msg_len;    /* octets of the message being received */
    char *why;
    size_t why_len;
};

/* header_done: the header was already read (and checked) by the caller. */
void soak_check_init(struct soak_check *c, const struct soak_plan *p, bool message_oriented,
                     bool header_done, char *why, size_t why_len);
/* Octets received, in order.  0, or -1 with the reason in why. */
int soak_check_data(struct soak_check *c, const uint8_t *p, size_t n);
/* Message oriented: the current message is complete. */
int soak_check_eom(struct soak_check *c);
/* The end of the connection arrived (tcp: 0 octets; itot: WSAEDISCON). */
int soak_check_end(struct soak_check *c);
/* "payload, payload 123/456, message #7 (12 octets so far)": where the receiver is, for failure
 * reports. */
void soak_check_where(const struct soak_check *c, char *buf, size_t len);

#endif
