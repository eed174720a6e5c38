/* SPDX-License-Identifier: MIT */
/* wsp listen: accept one connection (connect data checked and answered by the
 * WSAAccept condition function), then run the netcat session on it. */
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

/* What the condition function saw and decided; read by the command afterwards. */
struct listen_cond {
    const struct nc_opts *o;
    int called;
    unsigned char caller_data[256];
    size_t caller_len;
    int caller_data_present; /* the provider passed a caller-data buffer */
    int status;              /* exit status decided by the condition function */
};

static int CALLBACK listen_condition(LPWSABUF lpCallerId, LPWSABUF lpCallerData, LPQOS lpSQOS,
                                     LPQOS lpGQOS, LPWSABUF lpCalleeId, LPWSABUF lpCalleeData,
                                     GROUP *g, DWORD_PTR dwCallbackData)
{
    (void)lpCallerId, (void)lpSQOS, (void)lpGQOS, (void)lpCalleeId, (void)g;
    struct listen_cond *lc = (struct listen_cond *)dwCallbackData;
    const struct nc_opts *o = lc->o;
    lc->called = 1;
    if (lpCallerData && lpCallerData->buf) {
        lc->caller_data_present = 1;
        lc->caller_len =
            lpCallerData->len < sizeof lc->caller_data ? lpCallerData->len : sizeof lc->caller_data;
        memcpy(lc->caller_data, lpCallerData->buf, lc->caller_len);
    }
    /* The reply (accept data, or the refusal's user data) goes into the callee
     * buffer the provider offers; none offered means the provider has no
     * connect data at all. */
    const struct args_data *reply = o->reject_reason >= 0 ? &o->reject_data : &o->accept_data;
    ULONG room = lpCalleeData ? lpCalleeData->len : 0; /* what the provider offers */
    if (lpCalleeData)
        lpCalleeData->len = 0;
    if (reply->set && reply->len > 0) {
        if (!lpCalleeData || !lpCalleeData->buf) {
            report_error("the %s provider does not support %s data (%s); refusing",
                         nc_proto_name(o->proto), o->reject_reason >= 0 ? "refusal" : "accept",
                         report_wsa_name(WSAENOPROTOOPT));
            lc->status = TOOL_EXIT_NOPROTOOPT;
            return CF_REJECT;
        }
        if (reply->len > room) {
            report_error("%s data too long: %zu octets, the provider takes at most %u (%s); "
                         "refusing",
                         o->reject_reason >= 0 ? "refusal" : "accept", reply->len, (unsigned)room,
                         report_wsa_name(WSAEMSGSIZE));
            lc->status = TOOL_EXIT_MSGSIZE;
            return CF_REJECT;
        }
        memcpy(lpCalleeData->buf, reply->buf, reply->len);
        lpCalleeData->len = (ULONG)reply->len;
    }
    return o->reject_reason >= 0 ? CF_REJECT : CF_ACCEPT;
}

/* Asks the itot provider to refuse with `reason` (WSP_ITOT_REJECT_REASON on
 * the listening socket). A provider that does not take it (an older module,
 * or a reason it does not list) still refuses, with a reason of its own, so
 * this only warns. 1 if the provider took it. */
static int listen_set_reject_reason(SOCKET s, int reason)
{
    if (wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_REJECT_REASON, (const char *)&reason,
                       sizeof reason) != SOCKET_ERROR)
        return 1;
    report_error("warning: the provider cannot set the refusal reason (%s); it refuses with "
                 "its own",
                 report_wsa_name(WSAGetLastError()));
    return 0;
}

/* Opens the listening socket; *reason_set says whether the provider took the
 * refusal reason of --reject. */
static SOCKET listen_open(const struct nc_opts *o, int *status, int *reason_set)
{
    struct addrinfo *res = resolve_host(o->host, o->port, 1);
    if (!res) {
        *status = TOOL_EXIT_HOST;
        return INVALID_SOCKET;
    }
    SOCKET s = nc_socket(o, res->ai_family, status);
    if (s == INVALID_SOCKET) {
        freeaddrinfo(res);
        return s;
    }
    char where[80];
    nc_format_addr(res->ai_addr, where, sizeof where);
    if (wsp_bind(s, res->ai_addr, (int)res->ai_addrlen) == SOCKET_ERROR ||
        wsp_listen(s, 1) == SOCKET_ERROR) {
        int err = WSAGetLastError();
        if (err == WSAEADDRINUSE)
            report_error("cannot listen on %s: address already in use (%s)", where,
                         report_wsa_name(err));
        else
            report_error("cannot listen on %s: %s (%s)", where, wsp_strerror(err),
                         report_wsa_name(err));
        *status = tool_exit_from_wsa(err);
        closesocket(s);
        freeaddrinfo(res);
        return INVALID_SOCKET;
    }
    freeaddrinfo(res);
    *reason_set = 0;
    if (o->reject_reason >= 0 && o->proto == ARGS_PROTO_ITOT)
        *reason_set = listen_set_reject_reason(s, o->reject_reason);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (wsp_getsockname(s, (struct sockaddr *)&ss, &len) == SOCKET_ERROR) {
        int err = WSAGetLastError();
        report_wsa_error("getsockname", err);
        closesocket(s);
        *status = tool_exit_from_wsa(err);
        return INVALID_SOCKET;
    }
    nc_format_addr((struct sockaddr *)&ss, where, sizeof where);
    fprintf(stderr, "wsp: listening on %s (%s)\n", where, nc_proto_name(o->proto));
    *status = TOOL_EXIT_OK;
    return s;
}

/* One connection: accept (or refuse) it and run its session.  *broken: the
 * listening socket itself failed (-k must not go round again). */
static int listen_one(SOCKET ls, struct nc_opts *o, int reason_set, int *broken)
{
    struct listen_cond lc = {.o = o, .status = TOOL_EXIT_OK};
    struct sockaddr_storage peer;
    int plen = sizeof peer;
    SOCKET s = WSAAccept(ls, (struct sockaddr *)&peer, &plen, listen_condition, (DWORD_PTR)&lc);
    int err = s == INVALID_SOCKET ? WSAGetLastError() : 0;
    /* A refused or vanished peer ends one connection, not the listener. */
    *broken = s == INVALID_SOCKET && err != WSAECONNREFUSED && err != WSAECONNRESET &&
              err != WSAECONNABORTED && err != WSATRY_AGAIN;
    if (!o->keep_listening)
        closesocket(ls); /* one connection: later ones are refused by the closed port */
    /* itot hands no caller-data buffer when the CR carried none; tcp has none. */
    if (lc.called && (lc.caller_data_present || o->proto == ARGS_PROTO_ITOT)) {
        fprintf(stderr, "wsp: peer's connect data: ");
        report_data(stderr, lc.caller_data, lc.caller_len);
        fputc('\n', stderr);
    }
    if (s == INVALID_SOCKET) {
        if (lc.status != TOOL_EXIT_OK)
            return lc.status;
        if (o->reject_reason >= 0 && err == WSAECONNREFUSED) {
            flockfile(stderr);
            fprintf(stderr, "wsp: refused the connection");
            if (reason_set)
                fprintf(stderr, " with DR reason %d (%s)", o->reject_reason,
                        report_dr_reason_name(o->reject_reason));
            else if (o->proto == ARGS_PROTO_ITOT)
                fprintf(stderr, " (DR reason chosen by the provider)");
            if (o->reject_data.set) {
                fprintf(stderr, ", refusal data ");
                report_data(stderr, o->reject_data.buf, o->reject_data.len);
            }
            fputc('\n', stderr);
            funlockfile(stderr);
            return TOOL_EXIT_OK;
        }
        report_wsa_error("WSAAccept", err);
        return tool_exit_from_wsa(err);
    }
    char where[80];
    nc_format_addr((struct sockaddr *)&peer, where, sizeof where);
    fprintf(stderr, "wsp: accepted a connection from %s", where);
    if (o->accept_data.set) {
        fprintf(stderr, ", sent accept data ");
        report_data(stderr, o->accept_data.buf, o->accept_data.len);
    }
    fputc('\n', stderr);
    nc_report_class(s, o);
    return nc_session(s, o);
}

static int listen_run(struct nc_opts *o)
{
    int status, reason_set;
    SOCKET ls = listen_open(o, &status, &reason_set);
    if (ls == INVALID_SOCKET)
        return status;
    int broken = 0;
    if (!o->keep_listening)
        return listen_one(ls, o, reason_set, &broken);
    /* -k, as nc -k: one connection at a time, each with its own session and
     * status line; only a failure of the listening socket itself ends it. */
    for (;;) {
        status = listen_one(ls, o, reason_set, &broken);
        if (broken)
            break;
        fprintf(stderr, "wsp: connection ended (status %d); listening for the next\n", status);
    }
    closesocket(ls);
    return status;
}

int cmd_listen(int argc, char **argv)
{
    struct nc_opts o;
    nc_opts_init(&o);
    int status = nc_args_parse(NC_ROLE_LISTEN, argc, argv, &o);
    if (status < 0) {
        status = tool_winsock_start();
        if (status == TOOL_EXIT_OK) {
            status = listen_run(&o);
            WSACleanup();
        }
    }
    nc_opts_free(&o);
    return status;
}
