/* SPDX-License-Identifier: MIT */
/* soak_net — the few socket chores of the soak test, through the public API
 * only (libwsp and whichever provider the catalog picks), on 127.0.0.1. */
#ifndef WSP_TEST_SOAK_NET_H
#define WSP_TEST_SOAK_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsp/itot.h>

#include "soak_payload.h"

const char *soak_prov_name(enum soak_prov prov);
const char *soak_ename(int wsa_error);

/* A new IPv4 stream socket of the provider (tcp: SOCK_STREAM/IPPROTO_TCP,
 * itot: SOCK_SEQPACKET/WSP_PROTO_ITOT); INVALID_SOCKET with the WSA error. */
SOCKET soak_socket(enum soak_prov prov, int *err);

/* Listens on 127.0.0.1, an ephemeral port.  Returns 0 or a WSA error. */
int soak_listen(enum soak_prov prov, int backlog, SOCKET *out, uint16_t *port);

/* Blocking connect to 127.0.0.1:port.  Returns 0 or a WSA error. */
int soak_connect(SOCKET s, uint16_t port);

/* Sends n octets: one WSASend (one TSDU on itot; tcp repeats a short one).
 * Returns 0, a WSA error, or -1 when a message-oriented send came up short. */
int soak_send(SOCKET s, bool message_oriented, const uint8_t *p, size_t n);

/* FIONBIO.  Returns 0 or a WSA error. */
int soak_nonblocking(SOCKET s, bool on);

/* WSAPoll for events (POLLRDNORM, ...).  Returns the revents, 0 on timeout,
 * -1 on failure. */
int soak_poll(SOCKET s, short events, int timeout_ms);

#endif
