/* SPDX-License-Identifier: MIT */
/* wsp — the itot provider: ISO transport (ISO 8073 class 0 and class 2) over
 * TCP, RFC 1006 / RFC 2126.  Sockets: WSASocketA(AF_INET or AF_INET6,
 * SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0). */
#ifndef WSP_ITOT_H
#define WSP_ITOT_H

#include "winsock2.h"

/* Never an IP protocol number (those stop at 255). */
#define WSP_PROTO_ITOT 1006

/* Option level for setsockopt/getsockopt of itot sockets. */
#define WSP_SOL_ITOT 0x1006

#define WSP_ITOT_CLASS                                                                             \
    1 /* int: 0 or 2 forces the class; -1 (default) proposes 2 with 0 as alternative; after        \
         connect: the negotiated class */
#define WSP_ITOT_CALLING_TSAP 2 /* bytes (<= 32): our TSAP selector */
#define WSP_ITOT_CALLED_TSAP 3  /* bytes (<= 32): the peer's TSAP selector */
#define WSP_ITOT_DISCREASON 4   /* int, read only: reason of the last DR received */
#define WSP_ITOT_TPDU_SIZE 5    /* int: largest TPDU proposed / negotiated (128..65531) */
#define WSP_ITOT_MAX_TSDU 6     /* int: largest TSDU reassembled before the connection is aborted */
#define WSP_ITOT_CR_TIMEOUT_MS 7 /* int: connect establishment timer (TS1) */
#define WSP_ITOT_DC_TIMEOUT_MS 8 /* int: release timer (TS2), waiting for the DC */
#define WSP_ITOT_MAX_PENDING 9   /* int: pending unaccepted connections on a listener */
#define WSP_ITOT_REJECT_REASON                                                                     \
    10 /* int, listener: DR reason when a condition function says CF_REJECT (default 0; only the   \
          listed reasons below) */
#define WSP_ITOT_CR_WAIT_MS                                                                        \
    11 /* int, listener: how long an accepted TCP connection may stay silent before its CR         \
          (default 5000; 0 = no limit) */
#define WSP_ITOT_MAX_SILENT_PER_SOURCE                                                             \
    12 /* int, listener: silent (no CR yet) connections one source address may hold; beyond, its   \
          oldest are closed (default 4) */
#define WSP_ITOT_FALLBACK                                                                          \
    13 /* WSP_ITOT_FALLBACK_INFO, read only: whether and why the default CR was retried as a plain \
          class 0 CR */
#define WSP_ITOT_PEER_END                                                                          \
    14 /* int, read only: how the peer ended the connection (WSP_ITOT_END_*) */
#define WSP_ITOT_TPDU_LOG                                                                          \
    15 /* set: int 1 before connect/listen keeps a log of the TPDUs; get: WSP_ITOT_TPDU_LOG_ENTRY  \
          array, drained */
#define WSP_ITOT_MEMORY                                                                            \
    16 /* WSP_ITOT_MEMORY_INFO, read only: the provider's memory, all its sockets together */

/* getsockopt(WSP_SOL_ITOT, WSP_ITOT_MEMORY) on any itot socket: what the
 * provider holds in user space for all its sockets in this process, by its
 * own count.  An idle connection holds no buffer: only its socket context.
 * Buffers are taken while a connection has octets to queue or keep and go
 * back to a bounded cache of free ones (cached_bytes, part of buffer_bytes)
 * or to malloc. */
typedef struct wsp_itot_memory {
    unsigned long long sockets;      /* socket contexts alive (pending connections included) */
    unsigned long long socket_bytes; /* their size */
    unsigned long long buffer_bytes; /* buffers allocated: output queues, receive stores, input */
    unsigned long long cached_bytes; /* of buffer_bytes, free ones kept for reuse */
} WSP_ITOT_MEMORY_INFO;

/* getsockopt(WSP_SOL_ITOT, WSP_ITOT_TPDU_LOG): the TPDUs logged since the
 * last call, oldest first, as many whole entries as *optlen holds (*optlen
 * is set to the octets written; 0: none).  Logged: every TPDU received, and
 * the control TPDUs sent (CR, CC, DR, DC, ER; not the DTs, which leave from
 * the caller's buffers without a copy).  The log keeps the last 64 entries;
 * `lost` says how many older ones were dropped before this one.  Enabled by
 * setsockopt(..., 1) before WSAConnect, or on a listener (its connections
 * inherit it). */
typedef struct wsp_itot_tpdu_log_entry {
    unsigned char dir;     /* 0: sent by us, 1: received */
    unsigned char hdr_len; /* octets of hdr used */
    unsigned short lost;   /* entries dropped just before this one */
    unsigned int tpdu_len; /* the whole TPDU (header and user data), without its TPKT */
    unsigned char hdr[48]; /* the TPDU header (LI, code, fixed part, parameters), cut at 48 */
} WSP_ITOT_TPDU_LOG_ENTRY;

/* getsockopt(WSP_SOL_ITOT, WSP_ITOT_PEER_END): a DR is the transport's own
 * release; a TCP end without one is what a crashed or killed peer leaves
 * (and, in class 0, what some stacks do instead of a DR).  WSARecv reports
 * both as the disconnect (WSAEDISCON, reason 0 for a TCP end). */
#define WSP_ITOT_END_NONE 0      /* the peer has not ended the connection */
#define WSP_ITOT_END_DR 1        /* by a DR (its reason: WSP_ITOT_DISCREASON) */
#define WSP_ITOT_END_TCP_CLOSE 2 /* by closing TCP (FIN) without a DR */
#define WSP_ITOT_END_TCP_RESET 3 /* TCP failed (reset) without a DR */

/* getsockopt(WSP_SOL_ITOT, WSP_ITOT_FALLBACK).  A connect with the default
 * class (class 2 with class 0 as alternative) whose CR the peer refused for
 * its parameters is retried once, on a new TCP connection, with a plain
 * class 0 CR (TSAPs and C0 only); kind says why, detail gives the DR reason,
 * the ER cause, or for a TCP end 0 (FIN) or WSAECONNRESET.  kind is
 * WSP_ITOT_FB_NONE when no retry happened. */
typedef struct wsp_itot_fallback {
    int kind;
    int detail;
} WSP_ITOT_FALLBACK_INFO;

#define WSP_ITOT_FB_NONE 0
#define WSP_ITOT_FB_DR 1         /* refused with a DR, reason 130, 133 or 138 */
#define WSP_ITOT_FB_ER 2         /* answered with an ER (any cause) */
#define WSP_ITOT_FB_TCP_CLOSED 3 /* TCP ended (FIN or RST) after it connected, before any CC */

/* DR reasons (ISO 8073). */
#define WSP_ITOT_DR_NOT_SPECIFIED 0
#define WSP_ITOT_DR_CONGESTION 1
#define WSP_ITOT_DR_NOT_ATTACHED 2
#define WSP_ITOT_DR_ADDRESS_UNKNOWN 3
#define WSP_ITOT_DR_NORMAL 128
#define WSP_ITOT_DR_REMOTE_CONGESTION 129
#define WSP_ITOT_DR_NEGOTIATION_FAILED 130
#define WSP_ITOT_DR_DUPLICATE_REF 131
#define WSP_ITOT_DR_MISMATCHED_REF 132
#define WSP_ITOT_DR_PROTOCOL_ERROR 133
#define WSP_ITOT_DR_REF_OVERFLOW 135
#define WSP_ITOT_DR_REFUSED 136
#define WSP_ITOT_DR_LENGTH_INVALID 138

#endif
