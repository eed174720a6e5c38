/* SPDX-License-Identifier: MIT */
/* fallback — a default CR (class 2 with class 0 as alternative) that the peer
 * refused for its parameters is retried once as a plain class 0 CR.
 *
 * Why: ISO 8073 tells a receiver to ignore CR parameters it does not know,
 * but the stacks met in the field (PLC firmware, small RFC 1006 libraries
 * such as npm iso-on-tcp) refuse C6, C7 or F0 with a DR or an ER, or just
 * close TCP.  The refusal ends the TCP connection, so the retry opens a new
 * one to the same address (from the same bound address, if the user bound
 * the socket) and sends a CR with the TSAPs and C0 only
 * (docs/providers-itot.md lists what each CR carries).  The state machine
 * decides whether a refusal qualifies (conn.fb_kind); this file does the I/O.
 * Never a second retry: the new connection forces class 0. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sys.h"
#include "provider.h"

/* A non-blocking TCP socket connecting (or connected) to s->remote; -1 if the
 * system refuses at once (then there is nothing to retry on). */
static int fallback_open(struct itot_sock *s, bool *connecting)
{
    int fd = sys_socket(s->af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    if (s->bind_len > 0) {
        /* The first connection's port may still be in TIME_WAIT. */
        sys_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (sys_bind(fd, (struct sockaddr *)&s->bind_addr, s->bind_len) != 0) {
            sys_close(fd);
            return -1;
        }
    }
    sys_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sys_setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    int rc = sys_connect(fd, (struct sockaddr *)&s->remote, s->remote_len);
    if (rc != 0 && errno != EINPROGRESS) {
        sys_close(fd);
        return -1;
    }
    *connecting = rc != 0;
    return fd;
}

bool itot_fallback_try(struct itot_sock *s)
{
    struct conn *old = &s->conn;
    if (old->fb_kind == CONN_FB_NONE || old->role != CONN_INITIATOR || s->closing ||
        s->remote_len == 0 || s->fb_kind != WSP_ITOT_FB_NONE)
        return false;
    struct conn_cfg cfg = old->cfg;
    cfg.class_pref = 0;        /* a plain class 0 CR: no C6, no C7 ... */
    cfg.tpdu_size_set = false; /* ... and no F0, whatever size was asked */
    struct conn fresh;
    if (conn_init(&fresh, CONN_INITIATOR, &cfg, itot_new_ref()) != 0)
        return false;
    uint64_t now = itot_now_ms();
    if (conn_connect(&fresh, old->conn_data, old->conn_data_len, now) != 0) {
        conn_free(&fresh);
        return false;
    }
    bool connecting = false;
    int fd = fallback_open(s, &connecting);
    if (fd < 0) {
        conn_free(&fresh);
        return false;
    }
    /* The TPDU log goes on: the refused CR and its refusal stay in it. */
    free(fresh.log);
    fresh.log = old->log;
    old->log = NULL;
    s->fb_kind = old->fb_kind;
    s->fb_detail = old->fb_kind == CONN_FB_TCP_CLOSED ? s->so_error : old->fb_code;
    conn_free(old);
    s->conn = fresh; /* the rings move with the struct; fresh is not used again */
    s->so_error = 0;
    s->in_len = 0;
    itot_in_release(s); /* the refused connection's input is dropped */
    s->tcp_wr_shut = false;
    s->tcp_connecting = connecting;
    itot_engine_replace_fd(s, fd);
    s->local_len = sizeof s->local;
    sys_getsockname(fd, (struct sockaddr *)&s->local, &s->local_len);
    /* A connect its caller drives runs TS1 itself (waiter.c). */
    atomic_store(&s->deadline_ms, s->driven ? 0 : s->conn.deadline_ms);
    return true;
}
