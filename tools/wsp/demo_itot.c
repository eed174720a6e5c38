/* SPDX-License-Identifier: MIT */
/* wsp demo, parts 1 and 2: the ISO transport provider, with connect data,
 * messages that keep their boundaries, and disconnect data in the DR. */
#include <string.h>

#include <wsp/itot.h>

#include "demo.h"
#include "report.h"

static const char *const demo_itot_msgs[] = {"first message", "second message", "third message"};
#define DEMO_ITOT_MSGS (sizeof demo_itot_msgs / sizeof demo_itot_msgs[0])

static void demo_itot_messages(struct demo_pair *pair)
{
    char buf[256];
    DWORD got;
    demo_step("The client sends %zu messages; the server reads each with one WSARecv.",
              DEMO_ITOT_MSGS);
    for (size_t i = 0; i < DEMO_ITOT_MSGS; i++) {
        int err = demo_send(pair->client, demo_itot_msgs[i]);
        demo_check(err == 0, "client: WSASend %s -> %s",
                   demo_quote(demo_itot_msgs[i], strlen(demo_itot_msgs[i])), demo_outcome(err));
    }
    for (size_t i = 0; i < DEMO_ITOT_MSGS; i++) {
        int err = demo_recv(pair->server, buf, sizeof buf, &got);
        size_t want = strlen(demo_itot_msgs[i]);
        demo_check(err == 0 && got == want && memcmp(buf, demo_itot_msgs[i], want) == 0,
                   "server: WSARecv -> %s%s", err ? demo_outcome(err) : demo_quote(buf, got),
                   i == 0 ? " (one message, boundaries kept)" : "");
    }

    static const char reply[] = "reply from the server";
    demo_step("The server answers with one message.");
    int err = demo_send(pair->server, reply);
    demo_check(err == 0, "server: WSASend %s -> %s", demo_quote(reply, strlen(reply)),
               demo_outcome(err));
    err = demo_recv(pair->client, buf, sizeof buf, &got);
    demo_check(err == 0 && got == strlen(reply) && memcmp(buf, reply, got) == 0,
               "client: WSARecv -> %s", err ? demo_outcome(err) : demo_quote(buf, got));
}

static void demo_itot_release(const struct demo_proto *p, struct demo_pair *pair)
{
    static const char bye[] = "Goodbye, and thanks for all the data";
    char buf[256];
    DWORD got;
    demo_step("The client ends the connection with WSASendDisconnect and disconnect data.");
    demo_say("Client: WSASendDisconnect with %s.", demo_quote(bye, strlen(bye)));
    WSABUF b = {(ULONG)strlen(bye), (CHAR *)bye};
    demo_watchdog_arm("WSASendDisconnect");
    int err = WSASendDisconnect(pair->client, &b) == SOCKET_ERROR ? WSAGetLastError() : 0;
    demo_watchdog_disarm();
    demo_check(err == 0, "client: WSASendDisconnect -> %s (C1: returns at once, DR sent)",
               demo_outcome(err));
    err = demo_send(pair->client, "one more?");
    demo_check(err == WSAESHUTDOWN, "client: WSASend afterwards -> %s (C2: sends are refused)",
               demo_outcome(err));

    demo_step("The server reads on: the end of the connection, then the disconnect data.");
    err = demo_recv(pair->server, buf, sizeof buf, &got);
    demo_check(err == WSAEDISCON, "server: WSARecv -> %s (D10: the peer has disconnected)",
               demo_outcome(err));
    WSABUF in = {sizeof buf, buf};
    err = WSARecvDisconnect(pair->server, &in) == SOCKET_ERROR ? WSAGetLastError() : 0;
    demo_check(err == 0 && in.len == strlen(bye) && memcmp(buf, bye, in.len) == 0,
               "server: WSARecvDisconnect -> %s",
               err ? demo_outcome(err) : demo_quote(buf, in.len));
    int reason = -1, len = sizeof reason;
    err = wsp_getsockopt(pair->server, WSP_SOL_ITOT, WSP_ITOT_DISCREASON, (char *)&reason, &len) ==
                  SOCKET_ERROR
              ? WSAGetLastError()
              : 0;
    demo_check(err == 0 && reason == WSP_ITOT_DR_NORMAL, "server: DR reason %d (%s)%s", reason,
               report_dr_reason_name(reason), err ? " could not be read" : "");

    if (p->cls == 2)
        demo_step("The server's provider confirmed with a DC TPDU: the client's release "
                  "completes.");
    else
        demo_step("Class 0 has no confirmation: the server's provider closes TCP, and the "
                  "client sees the end.");
    err = demo_recv(pair->client, buf, sizeof buf, &got);
    demo_check(err == WSAEDISCON || (err == 0 && got == 0),
               "client: WSARecv -> %s: the connection is released",
               err ? demo_outcome(err) : "0 octets");

    demo_step("Both sides close their sockets: WSASendDisconnect never closes one (C10).");
    err = closesocket(pair->client) == SOCKET_ERROR ? WSAGetLastError() : 0;
    pair->client = INVALID_SOCKET;
    demo_check(err == 0, "client: closesocket -> %s", demo_outcome(err));
    err = closesocket(pair->server) == SOCKET_ERROR ? WSAGetLastError() : 0;
    pair->server = INVALID_SOCKET;
    demo_check(err == 0, "server: closesocket -> %s", demo_outcome(err));
}

int demo_part_itot(const struct demo_proto *p)
{
    int before = demo_failure_count();
    demo_part_begin(p->title);
    struct demo_pair pair;
    if (demo_pair_open(p, &pair) == 0) {
        demo_itot_messages(&pair);
        demo_itot_release(p, &pair);
        demo_pair_close(&pair);
    }
    return demo_failure_count() - before;
}
