/* SPDX-License-Identifier: MIT */
/* xchg — one complete itot exchange between a client and a server thread of
 * this process, through the public API only:
 *
 *   connect with 32 octets of caller data, callee data filled by the WSAAccept
 *   condition function; N self-checking TSDUs in both directions at once;
 *   the client's WSASendDisconnect with 64 octets; on the server every TSDU,
 *   then WSAEDISCON, the 64 octets from WSARecvDisconnect and reason 128.
 *
 * Threads never call cmocka: the first failure is written to the result and
 * every socket is closed, which wakes the other threads, so a broken provider
 * makes the test fail instead of hang. */
#ifndef WSP_TEST_XCHG_H
#define WSP_TEST_XCHG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsp/itot.h>

#define XCHG_CONN_DATA_LEN 32 /* CR / CC user data: the ISO maximum */
#define XCHG_DISC_DATA_LEN 64 /* DR user data: the ISO maximum */

enum xchg_dir { XCHG_C2S = 1, XCHG_S2C = 2 };

struct xchg_cfg {
    int family;           /* AF_INET (127.0.0.1) or AF_INET6 (::1) */
    int itot_class;       /* 0 or 2: forced on the client with WSP_ITOT_CLASS */
    unsigned ntsdu;       /* TSDUs in each direction */
    size_t max_tsdu;      /* largest TSDU (the first one has exactly this size) */
    uint64_t seed;        /* everything random derives from it */
    SOCKET listener;      /* INVALID_SOCKET: xchg_run listens on an ephemeral port */
    bool check_msgsize;   /* D3/D1: 65 octets -> WSAEMSGSIZE first, then the exchange */
    bool check_small_buf; /* D10: RecvDisconnect into 16 octets -> WSAEFAULT, len 64 */
};

struct xchg_result {
    char err[1024]; /* first failure, "" if none */
    uint16_t port;
    unsigned c2s_verified;          /* TSDUs the server received intact */
    unsigned s2c_verified;          /* TSDUs the client received intact */
    int client_class, server_class; /* WSP_ITOT_CLASS after connect / accept */
    int cond_calls;                 /* condition function calls */
    bool got_discon;                /* the server's WSARecv failed with WSAEDISCON */
    int discreason;                 /* WSP_ITOT_DISCREASON on the server */
    unsigned long disc_len;         /* len after WSARecvDisconnect */
    bool disc_data_ok;              /* exactly the client's 64 octets */
    unsigned long small_buf_len;    /* len after the too-small RecvDisconnect */
    int small_buf_err, msgsize_err, shutdown_err;
};

/* The connect and disconnect data an exchange with this seed uses. */
void xchg_data(uint64_t seed, uint8_t caller[XCHG_CONN_DATA_LEN],
               uint8_t callee[XCHG_CONN_DATA_LEN], uint8_t disc[XCHG_DISC_DATA_LEN]);

/* A listening itot socket on the loopback address of family, port 0. */
int xchg_listen(int family, SOCKET *out, uint16_t *port, char *err, size_t err_len);

void xchg_run(const struct xchg_cfg *cfg, struct xchg_result *res);

#endif
