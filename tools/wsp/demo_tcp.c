/* SPDX-License-Identifier: MIT */
/* wsp demo, part 3: tcp. WSASendDisconnect is a half-close there: the FIN
 * follows the data, the receive side stays open, and disconnect data gets
 * WSAENOPROTOOPT because TCP has no place to carry it. */
#include <string.h>
#include <sys/socket.h>

#include "demo.h"

/* Reads until `want` octets arrived (a stream keeps no boundaries). */
static int demo_tcp_read(SOCKET s, char *buf, size_t cap, size_t want, size_t *have)
{
    *have = 0;
    while (*have < want) {
        DWORD got;
        int err = demo_recv(s, buf + *have, cap - *have, &got);
        if (err || got == 0)
            return err ? err : WSAECONNRESET;
        *have += got;
    }
    return 0;
}

static void demo_tcp_data(struct demo_pair *pair)
{
    static const char *const msgs[] = {"first message", "second message"};
    char buf[256];
    size_t total = 0, have;
    demo_step("The client sends 2 messages; TCP is a stream, so the server just reads octets.");
    for (size_t i = 0; i < 2; i++) {
        int err = demo_send(pair->client, msgs[i]);
        total += strlen(msgs[i]);
        demo_check(err == 0, "client: WSASend %s -> %s", demo_quote(msgs[i], strlen(msgs[i])),
                   demo_outcome(err));
    }
    int err = demo_tcp_read(pair->server, buf, sizeof buf, total, &have);
    demo_check(err == 0 && have == total && memcmp(buf, "first messagesecond message", total) == 0,
               "server: WSARecv -> %s (no boundaries)",
               err ? demo_outcome(err) : demo_quote(buf, have));
}

static void demo_tcp_release(struct demo_pair *pair)
{
    static const char bye[] = "Goodbye";
    static const char still[] = "still here";
    static const char late[] = "reply after your FIN";
    char buf[256];
    size_t have;
    DWORD got;

    demo_step("The client tries WSASendDisconnect with disconnect data %s.",
              demo_quote(bye, strlen(bye)));
    demo_say("TCP has no field to carry it: the provider must refuse, and change nothing.");
    WSABUF b = {(ULONG)strlen(bye), (CHAR *)bye};
    int err = WSASendDisconnect(pair->client, &b) == SOCKET_ERROR ? WSAGetLastError() : 0;
    demo_check(err == WSAENOPROTOOPT,
               "client: WSASendDisconnect -> %s (C6: tcp cannot carry disconnect data)",
               demo_outcome(err));
    err = demo_send(pair->client, still);
    demo_check(err == 0, "client: WSASend %s -> %s (D1: nothing changed)",
               demo_quote(still, strlen(still)), demo_outcome(err));

    demo_step("The client calls WSASendDisconnect without data: a half-close (FIN).");
    err = WSASendDisconnect(pair->client, NULL) == SOCKET_ERROR ? WSAGetLastError() : 0;
    demo_check(err == 0, "client: WSASendDisconnect -> %s (C1)", demo_outcome(err));
    err = demo_send(pair->client, "one more?");
    demo_check(err == WSAESHUTDOWN, "client: WSASend afterwards -> %s (C2)", demo_outcome(err));
    err = demo_tcp_read(pair->server, buf, sizeof buf, strlen(still), &have);
    demo_check(err == 0 && have == strlen(still) && memcmp(buf, still, have) == 0,
               "server: WSARecv -> %s (D5: it precedes the FIN)",
               err ? demo_outcome(err) : demo_quote(buf, have));
    err = demo_recv(pair->server, buf, sizeof buf, &got);
    demo_check(err == 0 && got == 0, "server: WSARecv -> %s: the client has finished sending",
               err   ? demo_outcome(err)
               : got ? demo_quote(buf, got)
                     : "0 octets");

    demo_step("The server still answers: the client's receive side stays open (D6).");
    err = demo_send(pair->server, late);
    demo_check(err == 0, "server: WSASend %s -> %s", demo_quote(late, strlen(late)),
               demo_outcome(err));
    err = demo_tcp_read(pair->client, buf, sizeof buf, strlen(late), &have);
    demo_check(err == 0 && have == strlen(late) && memcmp(buf, late, have) == 0,
               "client: WSARecv -> %s", err ? demo_outcome(err) : demo_quote(buf, have));

    demo_step("The server half-closes too; the client sees the end, and both close.");
    err = WSASendDisconnect(pair->server, NULL) == SOCKET_ERROR ? WSAGetLastError() : 0;
    demo_check(err == 0, "server: WSASendDisconnect -> %s", demo_outcome(err));
    err = demo_recv(pair->client, buf, sizeof buf, &got);
    demo_check(err == 0 && got == 0, "client: WSARecv -> %s",
               err   ? demo_outcome(err)
               : got ? demo_quote(buf, got)
                     : "0 octets (end)");
    err = closesocket(pair->client) == SOCKET_ERROR ? WSAGetLastError() : 0;
    pair->client = INVALID_SOCKET;
    demo_check(err == 0, "client: closesocket -> %s", demo_outcome(err));
    err = closesocket(pair->server) == SOCKET_ERROR ? WSAGetLastError() : 0;
    pair->server = INVALID_SOCKET;
    demo_check(err == 0, "server: closesocket -> %s", demo_outcome(err));
}

int demo_part_tcp(void)
{
    static const struct demo_proto tcp = {
        "Part 3: TCP (the tcp provider)", SOCK_STREAM, IPPROTO_TCP, -1, NULL, NULL};
    int before = demo_failure_count();
    demo_part_begin(tcp.title);
    struct demo_pair pair;
    if (demo_pair_open(&tcp, &pair) == 0) {
        demo_tcp_data(&pair);
        demo_tcp_release(&pair);
        demo_pair_close(&pair);
    }
    return demo_failure_count() - before;
}
