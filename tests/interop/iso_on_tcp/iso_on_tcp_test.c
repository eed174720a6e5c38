/* SPDX-License-Identifier: MIT */
/* wsp's itot against iso-on-tcp (npm), an independent RFC 1006 implementation
 * used only as a test peer.  Class 0 only: iso-on-tcp implements nothing else.
 *   a) iso-on-tcp connects to our listener, data both ways, then its DR with
 *      64 octets of user data reaches WSARecvDisconnect (D10, reason 128);
 *   b) the same, ended by iso-on-tcp's own close(): DR reason 0, no data (D10);
 *   c) our client connects to iso-on-tcp, data both ways, and the 64 octets of
 *      our WSASendDisconnect reach it in the DR (C1, C3).
 * iso-on-tcp runs exactly as published: it refuses a CR or CC with any
 * parameter but C0/C1/C2, so these pass only because our class 0 CR and CC
 * leave out the C6 parameter (docs/interop.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <wsp/itot.h>

#include "node_peer.h"

#define PEER_MSGS 7
#define PEER_TIMEOUT_MS 30000
static const size_t peer_sizes[] = {1, 2, 100, 1000, 1021, 4096, 8189}; /* peer_common.js */

static void peer_message(int dir, int i, uint8_t *buf, size_t *len)
{
    *len = peer_sizes[i % 7];
    for (size_t j = 0; j < *len; j++)
        buf[j] = (uint8_t)(dir * 101 + i * 7 + (int)j * 13);
}

static void peer_disc_data(uint8_t d[64])
{
    for (int j = 0; j < 64; j++)
        d[j] = (uint8_t)(0xd5 + j * 3);
}

static const char *ename(int e)
{
    const char *n = wsp_strerror_name(e);
    return n ? n : "?";
}

/* Fails the test with what the node peer printed, after reaping it. */
static void peer_fail(struct node_peer *p, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int st = node_peer_finish(p, 5000);
    for (size_t i = 0; i < p->log_len; i++)
        if (p->log[i] == 0)
            p->log[i] = '\n';
    fail_msg("%s\n--- iso-on-tcp peer (exit %d) printed:\n%s", what, st, p->log);
}

/* What the peer saw (its CR/CC view, the TPDUs it parsed), for the log. */
static void peer_show(struct node_peer *p)
{
    for (size_t i = 0; i < p->log_len; i++)
        if (p->log[i] == 0)
            p->log[i] = '\n';
    print_message("--- iso-on-tcp peer printed:\n%s", p->log);
}

static int setup(void **state)
{
    (void)state;
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d);
}

static int teardown(void **state)
{
    (void)state;
    return WSACleanup();
}

/* One TSDU, reassembled across MSG_PARTIAL pieces.  0 or the WSA error. */
static int recv_tsdu(SOCKET s, uint8_t *buf, size_t cap, size_t *len)
{
    size_t got = 0;
    for (;;) {
        WSABUF b = {(ULONG)(cap - got), (CHAR *)buf + got};
        DWORD n = 0, flags = 0;
        if (WSARecv(s, &b, 1, &n, &flags, NULL, NULL) != 0)
            return WSAGetLastError();
        got += n;
        if (!(flags & MSG_PARTIAL) || got == cap)
            break;
    }
    *len = got;
    return 0;
}

static int send_tsdu(SOCKET s, const uint8_t *buf, size_t len)
{
    WSABUF b = {(ULONG)len, (CHAR *)buf};
    DWORD sent = 0;
    if (WSASend(s, &b, 1, &sent, 0, NULL, NULL) != 0)
        return WSAGetLastError();
    return sent == len ? 0 : -1;
}

static int cond_calls;
static ULONG cond_caller_len;
static int CALLBACK accept_all(LPWSABUF caller_id, LPWSABUF caller_data, LPQOS sqos, LPQOS gqos,
                               LPWSABUF callee_id, LPWSABUF callee_data, GROUP *g, DWORD_PTR cb)
{
    (void)caller_id, (void)sqos, (void)gqos, (void)callee_id, (void)g, (void)cb;
    cond_calls++;
    cond_caller_len = caller_data ? caller_data->len : 0;
    if (callee_data)
        callee_data->len = 0; /* iso-on-tcp ignores CC user data: send none */
    return CF_ACCEPT;
}

/* plain_close: the peer ends with iso-on-tcp's own close(), a DR with reason 0
 * and no user data; otherwise with reason 128 and the 64 octets. */
static void client_to_wsp_server(bool plain_close)
{
    SOCKET l = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int alen = (int)sizeof a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, alen), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&a, &alen), 0);
    char port[16];
    snprintf(port, sizeof port, "%u", ntohs(a.sin_port));

    struct node_peer p;
    const char *args[] = {"--port", port, "--send",        "7",
                          "--recv", "7",  "--plain-close", plain_close ? "1" : "0",
                          NULL};
    assert_int_equal(node_peer_start(&p, "peer_client.js", args), 0);

    cond_calls = 0;
    SOCKET s = WSAAccept(l, NULL, NULL, accept_all, 0);
    closesocket(l);
    if (s == INVALID_SOCKET)
        peer_fail(&p, "WSAAccept: %s", ename(WSAGetLastError()));
    assert_int_equal(cond_calls, 1);
    assert_int_equal(cond_caller_len, 0); /* iso-on-tcp's CR carries no user data */
    int cls = -1, olen = (int)sizeof cls;
    assert_int_equal(wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (char *)&cls, &olen), 0);
    assert_int_equal(cls, 0);

    uint8_t buf[16384], want[16384];
    size_t len = 0, wlen = 0;
    for (int i = 0; i < PEER_MSGS; i++) {
        int e = recv_tsdu(s, buf, sizeof buf, &len);
        if (e) {
            closesocket(s);
            peer_fail(&p, "receiving message %d from iso-on-tcp: %s", i, ename(e));
        }
        peer_message(1, i, want, &wlen);
        if (len != wlen || memcmp(buf, want, len) != 0) {
            closesocket(s);
            peer_fail(&p,
                      "message %d from iso-on-tcp: %zu octets, expected %zu (or content differs)",
                      i, len, wlen);
        }
    }
    for (int i = 0; i < PEER_MSGS; i++) {
        peer_message(2, i, want, &wlen);
        int e = send_tsdu(s, want, wlen);
        if (e) {
            closesocket(s);
            peer_fail(&p, "sending message %d to iso-on-tcp: %s", i, ename(e));
        }
    }
    /* iso-on-tcp now sends its DR (reason 128, 64 octets) and closes TCP. */
    WSABUF b = {sizeof buf, (CHAR *)buf};
    DWORD n = 0, flags = 0;
    int rc = WSARecv(s, &b, 1, &n, &flags, NULL, NULL);
    int e = rc == 0 ? 0 : WSAGetLastError();
    if (e != WSAEDISCON) {
        closesocket(s);
        peer_fail(&p, "WSARecv after the data: rc %d (%lu octets), error %s; expected WSAEDISCON",
                  rc, (unsigned long)n, ename(e));
    }
    uint8_t disc[64], exp[64];
    WSABUF db = {sizeof disc, (CHAR *)disc};
    if (WSARecvDisconnect(s, &db) != 0) {
        closesocket(s);
        peer_fail(&p, "WSARecvDisconnect: %s", ename(WSAGetLastError()));
    }
    int reason = -1;
    olen = (int)sizeof reason;
    assert_int_equal(wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_DISCREASON, (char *)&reason, &olen),
                     0);
    closesocket(s);
    int st = node_peer_finish(&p, PEER_TIMEOUT_MS);
    if (plain_close) {
        assert_int_equal(db.len, 0);
        assert_int_equal(reason, WSP_ITOT_DR_NOT_SPECIFIED);
    } else {
        peer_disc_data(exp);
        assert_int_equal(db.len, 64);
        assert_memory_equal(disc, exp, 64);
        assert_int_equal(reason, WSP_ITOT_DR_NORMAL);
    }
    if (st != 0)
        peer_fail(&p, "the iso-on-tcp peer exited with %d", st);
    peer_show(&p);
}

/* How our client is set up against iso-on-tcp's server. */
enum client_setup {
    CLIENT_DEFAULT,      /* no option at all: the CR offers class 2 + alternative 0 */
    CLIENT_CLASS0_TSAPS, /* WSP_ITOT_CLASS 0 and 2-octet TSAPs, default TPDU size */
};

/* The number of report lines equal to line. */
static int peer_count(const struct node_peer *p, const char *prefix)
{
    int n = 0;
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < p->log_len;) {
        if (strncmp(p->log + i, prefix, plen) == 0)
            n++;
        const char *nl = memchr(p->log + i, '\n', p->log_len - i);
        const char *nul = memchr(p->log + i, 0, p->log_len - i);
        const char *end = nl && (!nul || nl < nul) ? nl : nul;
        if (end == NULL)
            break;
        i = (size_t)(end - p->log) + 1;
    }
    return n;
}

static void wsp_client_to_server(enum client_setup setup)
{
    struct node_peer p;
    const char *args[] = {"--recv", "7", "--send", "7", NULL};
    assert_int_equal(node_peer_start(&p, "peer_server.js", args), 0);
    const char *line = node_peer_line(&p, PEER_TIMEOUT_MS);
    unsigned port = 0;
    if (!line || sscanf(line, "{\"event\":\"listening\",\"port\":%u}", &port) != 1)
        peer_fail(&p, "the iso-on-tcp server did not report its port");

    SOCKET s = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    if (setup == CLIENT_CLASS0_TSAPS) {
        /* Class 0 with the default TPDU size (65531): the CR must carry C0
         * 8192 alone, no F0 (iso-on-tcp knows only C0, C1, C2). */
        int cls = 0;
        assert_int_equal(wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (char *)&cls, sizeof cls),
                         0);
        /* iso-on-tcp reads TSAPs as exactly two octets. */
        assert_int_equal(wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CALLING_TSAP, "\x01\x00", 2), 0);
        assert_int_equal(wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CALLED_TSAP, "\x01\x02", 2), 0);
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (WSAConnect(s, (struct sockaddr *)&a, sizeof a, NULL, NULL, NULL, NULL) != 0) {
        int e = WSAGetLastError();
        closesocket(s);
        peer_fail(&p, "WSAConnect to iso-on-tcp: %s", ename(e));
    }
    /* Class 0 negotiated, size 8192 (its C0 answer to our C0 8192). */
    int cls = -1, size = 0, olen = (int)sizeof cls;
    assert_int_equal(wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (char *)&cls, &olen), 0);
    assert_int_equal(cls, 0);
    olen = (int)sizeof size;
    assert_int_equal(wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_TPDU_SIZE, (char *)&size, &olen), 0);
    assert_int_equal(size, 8192);
    WSP_ITOT_FALLBACK_INFO fb = {-1, -1};
    olen = (int)sizeof fb;
    assert_int_equal(wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_FALLBACK, (char *)&fb, &olen), 0);
    assert_int_equal(olen, (int)sizeof fb);
    if (setup == CLIENT_DEFAULT) {
        /* iso-on-tcp cannot parse C6/C7/F0 and destroys the TCP connection
         * before any CC: one retry with a plain class 0 CR. */
        assert_int_equal(fb.kind, WSP_ITOT_FB_TCP_CLOSED);
    } else {
        assert_int_equal(fb.kind, WSP_ITOT_FB_NONE);
    }
    uint8_t buf[16384], want[16384];
    size_t len = 0, wlen = 0;
    for (int i = 0; i < PEER_MSGS; i++) {
        peer_message(1, i, want, &wlen);
        int e = send_tsdu(s, want, wlen);
        if (e) {
            closesocket(s);
            peer_fail(&p, "sending message %d to iso-on-tcp: %s", i, ename(e));
        }
    }
    for (int i = 0; i < PEER_MSGS; i++) {
        int e = recv_tsdu(s, buf, sizeof buf, &len);
        peer_message(2, i, want, &wlen);
        if (e || len != wlen || memcmp(buf, want, len) != 0) {
            closesocket(s);
            peer_fail(&p, "message %d from iso-on-tcp: error %s, %zu octets, expected %zu", i,
                      e ? ename(e) : "none", len, wlen);
        }
    }
    uint8_t disc[64];
    peer_disc_data(disc);
    WSABUF db = {sizeof disc, (CHAR *)disc};
    if (WSASendDisconnect(s, &db) != 0) {
        int e = WSAGetLastError();
        closesocket(s);
        peer_fail(&p, "WSASendDisconnect: %s", ename(e));
    }
    /* The peer reports the DR it parsed and exits when TCP closes. */
    int st = node_peer_finish(&p, PEER_TIMEOUT_MS);
    closesocket(s);
    char expect[256];
    int o = snprintf(expect, sizeof expect, "{\"event\":\"dr\",\"reason\":128,\"data\":\"");
    for (int j = 0; j < 64; j++)
        o += snprintf(expect + o, sizeof expect - (size_t)o, "%02x", disc[j]);
    snprintf(expect + o, sizeof expect - (size_t)o, "\"}");
    if (!node_peer_printed(&p, expect) || st != 0)
        peer_fail(&p, "iso-on-tcp did not report the DR %s (exit %d)", expect, st);
    /* The default CR took two TCP connections (refused, then the plain one);
     * a class 0 CR one, accepted at once. */
    int want_tcp = setup == CLIENT_DEFAULT ? 2 : 1;
    if (peer_count(&p, "{\"event\":\"tcp-accepted\"") != want_tcp ||
        peer_count(&p, "{\"event\":\"refused-cr\"") != want_tcp - 1)
        peer_fail(&p, "expected %d TCP connection(s), %d refused CR(s)", want_tcp, want_tcp - 1);
    /* The CR iso-on-tcp accepted carried C0 8192 (code 13) and nothing it refuses. */
    if (peer_count(&p, "{\"event\":\"cr\",\"class\":0,") != 1)
        peer_fail(&p, "iso-on-tcp did not report one class 0 CR");
    peer_show(&p);
}

static void sd_d10_iso_on_tcp_client_dr_data_to_wsp_server(void **state)
{
    (void)state;
    client_to_wsp_server(false);
}

/* iso-on-tcp's own disconnect: DR reason 0, both references 0, no user data. */
static void sd_d10_iso_on_tcp_client_plain_close_to_wsp_server(void **state)
{
    (void)state;
    client_to_wsp_server(true);
}

/* Our client with every option at its default: the default CR is refused by
 * iso-on-tcp (TCP closed), the plain class 0 retry connects (issue 12). */
static void sd_c1_c3_wsp_client_dr_data_to_iso_on_tcp_server(void **state)
{
    (void)state;
    wsp_client_to_server(CLIENT_DEFAULT);
}

/* Class 0 forced, default TPDU size: the first CR is accepted (no F0). */
static void wsp_class0_client_default_size_to_iso_on_tcp_server(void **state)
{
    (void)state;
    wsp_client_to_server(CLIENT_CLASS0_TSAPS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sd_d10_iso_on_tcp_client_dr_data_to_wsp_server),
        cmocka_unit_test(sd_d10_iso_on_tcp_client_plain_close_to_wsp_server),
        cmocka_unit_test(sd_c1_c3_wsp_client_dr_data_to_iso_on_tcp_server),
        cmocka_unit_test(wsp_class0_client_default_size_to_iso_on_tcp_server),
    };
    return cmocka_run_group_tests_name("iso_on_tcp", tests, setup, teardown);
}
