/* SPDX-License-Identifier: MIT */
/* raw_peer — an RFC 1006 class 0 peer on a plain loopback TCP socket, so a
 * test sees exactly the TPDUs the itot provider puts on the wire and decides
 * itself when the peer reads (a provider peer would read into its own store). */
#ifndef WSP_TEST_RAW_PEER_H
#define WSP_TEST_RAW_PEER_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct raw_peer {
    int lfd, fd;
    struct sockaddr_in addr; /* where the provider connects */
};

/* What raw_next_tsdu met. */
enum raw_what {
    RAW_TSDU, /* a whole TSDU (DTs up to EOT) */
    RAW_DR,   /* a DR (after *len octets of a TSDU that never got its EOT) */
    RAW_EOF,  /* TCP end (idem) */
    RAW_BAD,  /* anything else: an undecodable TPKT, another TPDU, a timeout */
};

/* Listen on 127.0.0.1 with a small receive buffer (set before listen, so the
 * accepted socket inherits it and TCP's window stays small). */
void raw_listen(struct raw_peer *p, int rcvbuf);
/* Accept, read the CR and answer with a class 0 CC for TPDU size 2^size_code. */
void raw_accept_cc(struct raw_peer *p, uint8_t size_code);
/* Read DTs into buf (cap octets) until EOT; *len is the TSDU's length.  A DR
 * stores its reason in *reason (may be NULL).  Every read waits at most
 * timeout_s seconds (RAW_BAD after that). */
enum raw_what raw_next_tsdu(struct raw_peer *p, uint8_t *buf, size_t cap, size_t *len,
                            uint8_t *reason, int timeout_s);
/* Send one class 0 DT with EOT carrying len (<= 64) octets: a whole TSDU. */
void raw_send_tsdu(struct raw_peer *p, const void *data, size_t len);
/* Send whole 4096-octet TSDUs (class 0 DTs with EOT) until the other side
 * stops reading: no octet accepted for stall_ms. Returns the octets sent
 * (TPKT headers included; the last TPKT may be cut short). */
size_t raw_flood(struct raw_peer *p, int stall_ms);
/* End the connection with a TCP reset (SO_LINGER 0), no DR. */
void raw_reset(struct raw_peer *p);
void raw_close(struct raw_peer *p);

#endif
