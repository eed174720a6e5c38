/* SPDX-License-Identifier: MIT */
/* The checks and conversions shared by the plain data path (data.c) and the
 * overlapped one (ovl_submit.c, ovl_engine.c). Static inline: the plain path
 * compiles exactly as when they were its own static functions. */
#ifndef WSP_TCP_DATA_CHECK_H
#define WSP_TCP_DATA_CHECK_H

#include <errno.h>
#include <sys/socket.h>

#include "common/errmap.h"
#include "common/umem.h"
#include "tcp.h"

#define TCP_MAX_IOV 64 /* WSABUFs per call; more is WSAENOBUFS (stack-bounded) */

/* Winsock flags we pass through; anything else is refused.  No flags (the
 * usual call) takes no walk through the table. */
static inline int tcp_map_flags(DWORD in, int *out)
{
    if (in == 0) {
        *out = 0;
        return 0;
    }
    static const struct {
        DWORD wsa;
        int sys;
    } map[] = {{0x1, MSG_OOB}, {0x2, MSG_PEEK}, {0x4, MSG_DONTROUTE}, {0x8, MSG_WAITALL}};
    int sys = 0;
    for (unsigned i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (in & map[i].wsa) {
            sys |= map[i].sys;
            in &= ~map[i].wsa;
        }
    }
    *out = sys;
    return in == 0 ? 0 : WSAEOPNOTSUPP; /* MSG_PARTIAL and unknown bits */
}

/* An out-parameter the call will write after the syscall: NULL is allowed
 * (not asked for), anything else must be writable now (umem_check_out: the
 * call overwrites it anyway). */
static inline int tcp_out_ok(void *p, size_t n)
{
    return p == NULL ? 0 : umem_check_out(p, n);
}

/* Write an out-parameter proved writable before the syscall.  Fails only if
 * the application unmapped it meanwhile (then WSAEFAULT). */
static inline int tcp_put(void *p, const void *v, size_t n)
{
    return p == NULL ? 0 : umem_write(p, v, n);
}

/* May this socket send now?  0 or the Winsock reason why not. */
static inline int tcp_send_allowed(struct tcp_sock *ts, bool has_dest)
{
    if (atomic_load_explicit(&ts->send_shut, memory_order_relaxed))
        return WSAESHUTDOWN;
    if (ts->type != SOCK_STREAM)
        return 0;
    (void)has_dest;
    int st = atomic_load_explicit(&ts->state, memory_order_relaxed);
    if (st == TCP_ST_CONNECTED)
        return 0;
    if (st == TCP_ST_SEND_SHUT || st == TCP_ST_RELEASED)
        return WSAESHUTDOWN;
    if (st == TCP_ST_CONNECTING && tcp_refresh_state(ts) == TCP_ST_CONNECTED)
        return 0;
    return WSAENOTCONN;
}

/* The Winsock code of a failed send/recv whose errno is err.  A blocking
 * call only sees EAGAIN when SO_SNDTIMEO/SO_RCVTIMEO ran out: WSAETIMEDOUT
 * (SOL_SOCKET options page).  A datagram socket told of an ICMP port
 * unreachable gets ECONNREFUSED from Linux; Windows reports WSAECONNRESET
 * (recv and recvfrom pages: "the remote host ... responded with a Port
 * Unreachable ICMP packet"). */
static inline int tcp_data_error(const struct tcp_sock *ts, int err, bool blocking)
{
    if (blocking && (err == EAGAIN || err == EWOULDBLOCK))
        return WSAETIMEDOUT;
    if (err == ECONNREFUSED && ts->type == SOCK_DGRAM)
        return WSAECONNRESET;
    return errmap_from_errno(err);
}

static inline int tcp_recv_allowed(struct tcp_sock *ts)
{
    if (atomic_load_explicit(&ts->recv_shut, memory_order_relaxed))
        return WSAESHUTDOWN;
    if (ts->type != SOCK_STREAM)
        return 0;
    int st = atomic_load_explicit(&ts->state, memory_order_relaxed);
    /* D6/C10: after our own FIN the receive side stays open. */
    if (st == TCP_ST_CONNECTED || st == TCP_ST_SEND_SHUT || st == TCP_ST_RELEASED)
        return 0;
    if (st == TCP_ST_CONNECTING && tcp_refresh_state(ts) == TCP_ST_CONNECTED)
        return 0;
    return WSAENOTCONN;
}

#endif
