/* SPDX-License-Identifier: MIT */
/* wsp connect: resolve HOST, connect with the connect data, report the peer's
 * accept data (or why it refused), then run the netcat session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "commands.h"
#include "exitcode.h"
#include "nc_args.h"
#include "netcat.h"
#include "report.h"
#include "resolve.h"
#include "tpdu_log.h"

#define CONNECT_DATA_MAX 256 /* far above the 32 octets of a CC */

/* The connect failed: say why, with the refusal's reason and data on itot. */
static int connect_report_failure(SOCKET s, const struct nc_opts *o, const char *where, int err)
{
    if (err == WSAECONNREFUSED && o->proto == ARGS_PROTO_ITOT) {
        char data[CONNECT_DATA_MAX];
        int dlen = sizeof data, reason = -1, rlen = sizeof reason;
        int have_data = wsp_getsockopt(s, SOL_SOCKET, SO_DISCDATA, data, &dlen) != SOCKET_ERROR;
        int have_reason = wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_DISCREASON, (char *)&reason,
                                         &rlen) != SOCKET_ERROR &&
                          reason >= 0;
        flockfile(stderr);
        fprintf(stderr, "wsp: connection to %s refused", where);
        if (have_reason)
            fprintf(stderr, " by the peer: DR reason %d (%s)", reason,
                    report_dr_reason_name(reason));
        if (have_data && dlen > 0) {
            fprintf(stderr, ", refusal data: ");
            report_data(stderr, data, (size_t)dlen);
        }
        fprintf(stderr, " (%s)\n", report_wsa_name(err));
        funlockfile(stderr);
    } else if (err == WSAETIMEDOUT && o->proto == ARGS_PROTO_ITOT) {
        report_error("no answer to the connect request from %s within %ld ms (%s)", where,
                     o->timeout_ms >= 0 ? o->timeout_ms : 30000L, report_wsa_name(err));
    } else if (err == WSAECONNREFUSED) {
        report_error("connection to %s refused (%s)", where, report_wsa_name(err));
    } else if (err == WSAENOPROTOOPT) {
        report_error("the %s provider does not support connect data (%s)", nc_proto_name(o->proto),
                     report_wsa_name(err));
    } else if (err == WSAEMSGSIZE) {
        report_error("connect data too long: %zu octets, the protocol allows at most 32 (%s)",
                     o->connect_data.len, report_wsa_name(err));
    } else {
        report_error("cannot connect to %s: %s (%s)", where, wsp_strerror(err),
                     report_wsa_name(err));
    }
    return tool_exit_from_wsa(err);
}

/* One address: a connected socket, or INVALID_SOCKET after the failure was
 * reported (*status set). */
static SOCKET connect_one(struct nc_opts *o, const struct addrinfo *ai, char *where,
                          size_t where_len, char *callee_buf, ULONG *callee_len, int *status)
{
    SOCKET s = nc_socket(o, ai->ai_family, status);
    if (s == INVALID_SOCKET)
        return s;
    nc_format_addr(ai->ai_addr, where, where_len);
    WSABUF caller = {(ULONG)o->connect_data.len, (CHAR *)o->connect_data.buf};
    WSABUF callee = {*callee_len, callee_buf};
    if (o->verbose)
        fprintf(stderr, "wsp: connecting to %s (%s)\n", where, nc_proto_name(o->proto));
    int rc = WSAConnect(s, ai->ai_addr, (int)ai->ai_addrlen, o->connect_data.set ? &caller : NULL,
                        o->proto == ARGS_PROTO_ITOT ? &callee : NULL, NULL, NULL);
    if (rc == SOCKET_ERROR) {
        int err = WSAGetLastError();
        if (o->verbose && o->proto == ARGS_PROTO_ITOT)
            tpdu_log_print(s); /* what the peer answered to our CR */
        *status = connect_report_failure(s, o, where, err);
        closesocket(s);
        return INVALID_SOCKET;
    }
    *callee_len = callee.len;
    return s;
}

static int connect_run(struct nc_opts *o)
{
    struct addrinfo *res = resolve_host(o->host, o->port, 0);
    if (!res)
        return TOOL_EXIT_HOST;
    int status = TOOL_EXIT_FAILURE;
    char where[80];
    char callee_buf[CONNECT_DATA_MAX];
    ULONG callee_len = 0;
    SOCKET s = INVALID_SOCKET;
    /* Every address the name has, in getaddrinfo's order, until one connects. */
    for (const struct addrinfo *ai = res; ai && s == INVALID_SOCKET; ai = ai->ai_next) {
        callee_len = sizeof callee_buf;
        s = connect_one(o, ai, where, sizeof where, callee_buf, &callee_len, &status);
        if (s == INVALID_SOCKET && ai->ai_next)
            fprintf(stderr, "wsp: trying the next address of '%s'\n", o->host);
    }
    freeaddrinfo(res);
    if (s == INVALID_SOCKET)
        return status;
    flockfile(stderr);
    fprintf(stderr, "wsp: connected to %s (%s)", where, nc_proto_name(o->proto));
    if (o->proto == ARGS_PROTO_ITOT) {
        fprintf(stderr, ", peer's accept data: ");
        report_data(stderr, callee_buf, callee_len <= sizeof callee_buf ? callee_len : 0);
    }
    fputc('\n', stderr);
    funlockfile(stderr);
    nc_report_class(s, o);
    return nc_session(s, o);
}

int cmd_connect(int argc, char **argv)
{
    struct nc_opts o;
    nc_opts_init(&o);
    int status = nc_args_parse(NC_ROLE_CONNECT, argc, argv, &o);
    if (status < 0) {
        status = tool_winsock_start();
        if (status == TOOL_EXIT_OK) {
            status = connect_run(&o);
            WSACleanup();
        }
    }
    nc_opts_free(&o);
    return status;
}
