/* SPDX-License-Identifier: MIT */
/* Half-close with WSASendDisconnect over TCP on loopback.
 *
 * The client sends a request and then WSASendDisconnect(s, NULL): its sending
 * side is finished (the server sees end-of-stream) but, on a stream socket,
 * its receiving side stays open (D6), so it still reads the server's answer.
 * Then it asks for disconnect data, which TCP cannot carry: WSAENOPROTOOPT (C6).
 * Exits 0 only if every step behaved as the contract says. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <wsp/winsock2.h>

static int failures;

static void check(int ok, const char *what)
{
    printf("  %s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok)
        failures++;
}

static const char *last_error_name(void)
{
    const char *n = wsp_strerror_name(WSAGetLastError());
    return n ? n : "?";
}

struct server {
    SOCKET listener;
    int ok;
};

/* Read until end-of-stream, then answer with the byte count and close. */
static void *server_main(void *arg)
{
    struct server *sv = arg;
    SOCKET c = accept(sv->listener, NULL, NULL);
    if (c == INVALID_SOCKET) {
        printf("server: accept failed: %s\n", last_error_name());
        return NULL;
    }
    char buf[256], request[256] = "";
    size_t total = 0;
    int n;
    while ((n = recv(c, buf, sizeof buf, 0)) > 0) {
        if (total + (size_t)n < sizeof request)
            memcpy(request + total, buf, (size_t)n);
        total += (size_t)n;
    }
    request[total < sizeof request ? total : sizeof request - 1] = 0;
    printf("server: read \"%s\" (%zu bytes), then end-of-stream (recv returned %d)\n", request,
           total, n);
    char answer[64];
    int len = snprintf(answer, sizeof answer, "answer: got %zu bytes", total);
    int sent = send(c, answer, len, 0);
    printf("server: sent \"%s\" after the client's half-close\n", answer);
    sv->ok = n == 0 && sent == len;
    closesocket(c);
    return NULL;
}

int main(void)
{
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        printf("WSAStartup failed\n");
        return 1;
    }
    struct server sv = {.listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)};
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int alen = sizeof addr;
    if (sv.listener == INVALID_SOCKET ||
        bind(sv.listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(sv.listener, 1) != 0 ||
        getsockname(sv.listener, (struct sockaddr *)&addr, &alen) != 0) {
        printf("server set-up failed: %s\n", last_error_name());
        WSACleanup();
        return 1;
    }
    printf("server: listening on 127.0.0.1:%u\n", ntohs(addr.sin_port));
    pthread_t th;
    pthread_create(&th, NULL, server_main, &sv);

    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    check(s != INVALID_SOCKET && connect(s, (struct sockaddr *)&addr, sizeof addr) == 0,
          "client: connected");
    const char *request = "hello, half-close";
    check(send(s, request, (int)strlen(request), 0) == (int)strlen(request),
          "client: sent the request");

    int rc = WSASendDisconnect(s, NULL);
    check(rc == 0, "client: WSASendDisconnect(s, NULL) = 0 (sending side finished, C1)");

    rc = send(s, "x", 1, 0);
    printf("client: send after the disconnect -> %d, %s\n", rc, last_error_name());
    check(rc == SOCKET_ERROR && WSAGetLastError() == WSAESHUTDOWN,
          "client: later sends are refused with WSAESHUTDOWN (C2)");

    char answer[256];
    size_t got = 0;
    int n;
    while (got < sizeof answer - 1 &&
           (n = recv(s, answer + got, (int)(sizeof answer - 1 - got), 0)) > 0)
        got += (size_t)n;
    answer[got] = 0;
    printf("client: read \"%s\" after its own half-close\n", answer);
    check(strncmp(answer, "answer: got", 11) == 0, "client: the receive side stayed open (D6)");

    pthread_join(th, NULL);
    check(sv.ok, "server: saw end-of-stream and answered");

    char data[] = "bye";
    WSABUF disc = {.len = 3, .buf = data};
    rc = WSASendDisconnect(s, &disc);
    int err = WSAGetLastError();
    printf("client: WSASendDisconnect(s, \"bye\") -> %d, %s: %s\n", rc, last_error_name(),
           wsp_strerror(err));
    check(rc == SOCKET_ERROR && err == WSAENOPROTOOPT,
          "client: TCP has no disconnect data: WSAENOPROTOOPT (C6)");

    check(closesocket(s) == 0, "client: closesocket releases the socket (C10)");
    closesocket(sv.listener);
    WSACleanup();
    printf("%s\n", failures ? "halfclose: FAILED" : "halfclose: everything as the contract says");
    return failures ? 1 : 0;
}
