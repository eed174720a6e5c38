/* SPDX-License-Identifier: MIT */
/* tcp provider: the data path, receive-side shutdown, connect refusals and
 * WSPSelect; bad caller pointers on the data path (WSAEFAULT, nothing sent
 * or consumed, the socket still works). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sys/mman.h>

#include "fixtures.h"

static struct conf_ctx ctx4 = {&tcp_fixtures[0], &conf_level_spi};
static struct conf_ctx ctxu = {&tcp_fixtures[2], &conf_level_spi};
static struct conf_ctx ctxu6 = {&tcp_fixtures[3], &conf_level_spi};
#define P (conf_spi_procs())

static void tcp_data_gather_send_and_peek(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    char p1[] = "abc", p2[] = "defg";
    WSABUF out[2] = {{3, p1}, {4, p2}};
    DWORD n = 0, flags;
    int err = 0;
    assert_int_equal(P->lpWSPSend(a, out, 2, &n, 0, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, 7);
    char got[8] = {0};
    WSABUF in = {7, got};
    size_t have = 0;
    flags = 0x2; /* MSG_PEEK: wait until all 7 are there, without consuming */
    while (have < 7) {
        assert_int_equal(P->lpWSPRecv(b, &in, 1, &n, &flags, NULL, NULL, NULL, &err), 0);
        have = n;
        flags = 0x2;
    }
    assert_memory_equal(got, "abcdefg", 7);
    memset(got, 0, sizeof got);
    flags = 0;
    assert_int_equal(P->lpWSPRecv(b, &in, 1, &n, &flags, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, 7); /* the peeked bytes are still there */
    assert_memory_equal(got, "abcdefg", 7);
    flags = 0x8000; /* MSG_PARTIAL */
    assert_int_equal(P->lpWSPRecv(b, &in, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEOPNOTSUPP);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

static void tcp_data_not_connected(void **state)
{
    (void)state;
    SOCKET s = conf_socket(&ctx4);
    int err = 0;
    char c = 0;
    assert_int_equal(ctx4.lv->send(s, &c, 1, &err), -1);
    assert_int_equal(err, WSAENOTCONN);
    assert_int_equal(ctx4.lv->recv(s, &c, 1, &err), -1);
    assert_int_equal(err, WSAENOTCONN);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    assert_int_equal(ctx4.lv->getsockname(s, (struct sockaddr *)&ss, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL); /* Winsock: not bound yet */
    conf_close(&ctx4, s);
}

static void tcp_data_shutdown_receive(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    int err = 0;
    assert_int_equal(P->lpWSPShutdown(a, SD_RECEIVE, &err), 0);
    char c;
    assert_int_equal(ctx4.lv->recv(a, &c, 1, &err), -1);
    assert_int_equal(err, WSAESHUTDOWN);
    conf_send_all(&ctx4, a, "s", 1); /* sending is untouched */
    assert_int_equal(ctx4.lv->recv(b, &c, 1, &err), 1);
    assert_int_equal(P->lpWSPShutdown(a, 7, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    assert_int_equal(P->lpWSPShutdown(a, SD_BOTH, &err), 0);
    assert_int_equal(ctx4.lv->send(a, "s", 1, &err), -1);
    assert_int_equal(err, WSAESHUTDOWN);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

static void tcp_data_recv_disconnect(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    int err = 0;
    char buf[16];
    WSABUF in = {sizeof buf, buf};
    assert_int_equal(P->lpWSPRecvDisconnect(a, &in, &err), 0);
    assert_int_equal(in.len, 0); /* never any inbound disconnect data on TCP */
    char c;
    assert_int_equal(ctx4.lv->recv(a, &c, 1, &err), -1);
    assert_int_equal(err, WSAESHUTDOWN);
    SOCKET n = conf_socket(&ctx4);
    assert_int_equal(P->lpWSPRecvDisconnect(n, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOTCONN);
    conf_close(&ctx4, n);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

/* C12 as this provider resolves it: WSAEISCONN while releasing, WSAEINVAL
 * once released. */
static void tcp_data_connect_after_disconnect(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = conf_listener(&ctx4, 4, &ss, &len);
    conf_disconnect_ok(&ctx4, a);
    assert_int_equal(ctx4.lv->connect(a, (struct sockaddr *)&ss, len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEISCONN);
    conf_close(&ctx4, b);
    char c;
    assert_int_equal(ctx4.lv->recv(a, &c, 1, &err), 0);
    assert_int_equal(ctx4.lv->connect(a, (struct sockaddr *)&ss, len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    conf_close(&ctx4, a);
    conf_close(&ctx4, l);
}

static void tcp_data_udp_sendto_recvfrom(void **state)
{
    const struct conf_ctx *c = *state;
    struct sockaddr_storage sa, sb, from;
    int alen, blen, err = 0;
    SOCKET a = conf_socket(c), b = conf_socket(c);
    c->fx->loopback(&sa, &alen);
    c->fx->loopback(&sb, &blen);
    assert_int_equal(c->lv->bind(a, (struct sockaddr *)&sa, alen, &err), 0);
    assert_int_equal(c->lv->bind(b, (struct sockaddr *)&sb, blen, &err), 0);
    alen = blen = sizeof sa;
    assert_int_equal(c->lv->getsockname(a, (struct sockaddr *)&sa, &alen, &err), 0);
    assert_int_equal(c->lv->getsockname(b, (struct sockaddr *)&sb, &blen, &err), 0);

    char msg[] = "datagram";
    WSABUF out = {sizeof msg, msg};
    DWORD n = 0, flags = 0;
    assert_int_equal(
        P->lpWSPSendTo(a, &out, 1, &n, 0, (struct sockaddr *)&sb, blen, NULL, NULL, NULL, &err), 0);
    assert_int_equal(n, sizeof msg);
    char got[32];
    WSABUF in = {sizeof got, got};
    int flen = sizeof from;
    assert_int_equal(P->lpWSPRecvFrom(b, &in, 1, &n, &flags, (struct sockaddr *)&from, &flen, NULL,
                                      NULL, NULL, &err),
                     0);
    assert_int_equal(n, sizeof msg);
    assert_memory_equal(got, msg, sizeof msg);
    assert_int_equal(flen, alen);
    assert_memory_equal(&from, &sa, (size_t)alen);

    /* A datagram larger than the buffer: Winsock's WSAEMSGSIZE. */
    assert_int_equal(
        P->lpWSPSendTo(a, &out, 1, &n, 0, (struct sockaddr *)&sb, blen, NULL, NULL, NULL, &err), 0);
    WSABUF tiny = {3, got};
    flags = 0;
    assert_int_equal(P->lpWSPRecv(b, &tiny, 1, &n, &flags, NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEMSGSIZE);
    conf_close(c, a);
    conf_close(c, b);
}

static void tcp_data_select(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    int err = 0;
    struct timeval zero = {0, 0};
    wsp_fd_set rs = {1, {a}}, ws = {1, {a}};
    assert_int_equal(P->lpWSPSelect(0, &rs, &ws, NULL, &zero, &err), 1);
    assert_int_equal(rs.fd_count, 0); /* nothing to read yet */
    assert_int_equal(ws.fd_count, 1);
    assert_true(ws.fd_array[0] == a);
    conf_send_all(&ctx4, b, "x", 1);
    rs = (wsp_fd_set){1, {a}};
    assert_int_equal(P->lpWSPSelect(0, &rs, NULL, NULL, NULL, &err), 1);
    assert_true(rs.fd_array[0] == a);
    rs = (wsp_fd_set){1, {(SOCKET)0x7ffff3a2}};
    assert_int_equal(P->lpWSPSelect(0, &rs, NULL, NULL, &zero, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

/* A refused non-blocking connect does not leave the socket stuck "pending":
 * it may connect again. */
static void tcp_data_connect_after_refused(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = conf_listener(&ctx4, 4, &ss, &len);
    conf_close(&ctx4, l); /* nobody listens there now */
    SOCKET s = conf_socket(&ctx4);
    assert_int_equal(ctx4.lv->fionbio(s, 1, &err), 0);
    int rc = ctx4.lv->connect(s, (struct sockaddr *)&ss, len, &err);
    assert_true(rc == SOCKET_ERROR && (err == WSAEWOULDBLOCK || err == WSAECONNREFUSED));
    /* Wait for the outcome: the exception set reports a failed connect. */
    wsp_fd_set es = {1, {s}};
    assert_int_equal(P->lpWSPSelect(0, NULL, NULL, &es, NULL, &err), 1);
    int so = -1, olen = sizeof so;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, (char *)&so, &olen, &err), 0);
    assert_int_equal(so, rc == SOCKET_ERROR && err == WSAECONNREFUSED ? 0 : WSAECONNREFUSED);
    l = conf_listener(&ctx4, 4, &ss, &len);
    assert_int_equal(ctx4.lv->fionbio(s, 0, &err), 0);
    assert_int_equal(ctx4.lv->connect(s, (struct sockaddr *)&ss, len, &err), 0);
    conf_close(&ctx4, s);
    conf_close(&ctx4, l);
}

/* ---- bad caller pointers ---------------------------------------------------
 * Windows, WSASend/WSARecv/WSASendTo/WSARecvFrom: WSAEFAULT when lpBuffers,
 * lpNumberOfBytesSent/Recvd, lpFlags, lpTo/lpFrom or lpFromlen "is not
 * totally contained in a valid part of the user address space" (and for
 * WSARecvFrom when *lpFromlen is too small for the peer address).  Nothing is
 * sent or consumed: a later correct call sees the same data. */
#define PG 4096

/* Three pages: read-write, read-only, none.  The read-only one holds a
 * plausible *lpFromlen at BAD_LEN and zero flags at BAD_FLAGS. */
struct bad {
    char *rw, *ro, *none;
};
#define BAD_LEN 0
#define BAD_FLAGS 64

static struct bad bad_map(void)
{
    char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    memset(m, 0, 2 * PG);
    int len = (int)sizeof(struct sockaddr_storage);
    memcpy(m + PG + BAD_LEN, &len, sizeof len);
    assert_int_equal(mprotect(m + PG, PG, PROT_READ), 0);
    assert_int_equal(mprotect(m + 2 * PG, PG, PROT_NONE), 0);
    return (struct bad){m, m + PG, m + 2 * PG};
}

static void bad_unmap(struct bad b)
{
    assert_int_equal(munmap(b.rw, 3 * PG), 0);
}

static void wait_readable(SOCKET s)
{
    int err = 0;
    wsp_fd_set rs = {1, {s}};
    assert_int_equal(P->lpWSPSelect(0, &rs, NULL, NULL, NULL, &err), 1);
}

static int send_err(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD sent)
{
    int err = 0;
    if (P->lpWSPSend(s, bufs, count, sent, 0, NULL, NULL, NULL, &err) == 0)
        return 0;
    return err;
}

static void tcp_data_send_bad_pointers_fault_and_send_nothing(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    struct bad m = bad_map();
    DWORD n = 0;
    char abc[] = "abc";
    assert_int_equal(send_err(a, (LPWSABUF)(void *)m.none, 1, &n), WSAEFAULT);
    /* the array's second entry is on the PROT_NONE page */
    assert_int_equal(send_err(a, (LPWSABUF)(void *)(m.none - sizeof(WSABUF)), 2, &n), WSAEFAULT);
    WSABUF gone = {4, m.none};
    assert_int_equal(send_err(a, &gone, 1, &n), WSAEFAULT);
    WSABUF crossing = {8, m.none - 4};
    assert_int_equal(send_err(a, &crossing, 1, &n), WSAEFAULT);
    WSABUF second_bad[2] = {{3, abc}, {4, m.none}}; /* the kernel would send "abc" */
    assert_int_equal(send_err(a, second_bad, 2, &n), WSAEFAULT);
    WSABUF ok = {3, abc};
    assert_int_equal(send_err(a, &ok, 1, (LPDWORD)(void *)m.none), WSAEFAULT);
    assert_int_equal(send_err(a, &ok, 1, (LPDWORD)(void *)m.ro), WSAEFAULT);
    /* NULL count without lpOverlapped: Windows' WSASend page allows NULL only
     * with an lpOverlapped; nothing may be sent */
    assert_int_equal(send_err(a, &ok, 1, NULL), WSAEFAULT);
    /* read-only memory is fine where the call only reads: the array and data */
    WSABUF *ro_array = (WSABUF *)(void *)(m.ro + 256); /* {0, NULL}: nothing to send */
    assert_int_equal(send_err(a, ro_array, 1, &n), 0);
    assert_int_equal(n, 0);
    WSABUF ro_data = {2, m.ro + BAD_FLAGS}; /* two zero octets */
    assert_int_equal(send_err(a, &ro_data, 1, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(send_err(a, &ok, 1, &n), 0);
    assert_int_equal(n, 3);
    /* b sees exactly the two octets and "abc": nothing from the failed calls */
    char got[8];
    size_t have = 0;
    int err = 0;
    while (have < 5) {
        int r = ctx4.lv->recv(b, got + have, sizeof got - have, &err);
        assert_true(r > 0);
        have += (size_t)r;
    }
    assert_int_equal(have, 5);
    assert_memory_equal(got, "\0\0abc", 5);
    assert_int_equal(ctx4.lv->fionbio(b, 1, &err), 0);
    assert_int_equal(ctx4.lv->recv(b, got, sizeof got, &err), -1);
    assert_int_equal(err, WSAEWOULDBLOCK);
    bad_unmap(m);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

/* After the peer reset the connection, sends fail with WSAECONNRESET — also
 * the later ones, where Linux answers EPIPE: WSAESHUTDOWN would claim that
 * this side shut its sending down, which it never did (WSASend page:
 * WSAESHUTDOWN only after shutdown(SD_SEND|SD_BOTH)). */
static void tcp_data_send_after_peer_reset_is_connreset(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    int err = 0;
    struct linger abortive = {1, 0};
    assert_int_equal(
        ctx4.lv->setsockopt(b, SOL_SOCKET, SO_LINGER, (char *)&abortive, sizeof abortive, &err), 0);
    conf_close(&ctx4, b); /* RST */
    wait_readable(a);
    char x[64] = {0};
    WSABUF one = {sizeof x, x};
    DWORD n = 0;
    for (int i = 0; i < 3; i++)
        assert_int_equal(send_err(a, &one, 1, &n), WSAECONNRESET);
    conf_close(&ctx4, a);
}

static int recv_err(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got, LPDWORD flags)
{
    int err = 0;
    if (P->lpWSPRecv(s, bufs, count, got, flags, NULL, NULL, NULL, &err) == 0)
        return 0;
    return err;
}

static void tcp_data_recv_bad_pointers_fault_and_consume_nothing(void **state)
{
    (void)state;
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    conf_send_all(&ctx4, a, "xyz", 3);
    wait_readable(b);
    struct bad m = bad_map();
    char buf[8];
    DWORD n = 0, flags = 0;
    WSABUF in = {sizeof buf, buf};
    assert_int_equal(recv_err(b, (LPWSABUF)(void *)m.none, 1, &n, &flags), WSAEFAULT);
    WSABUF ro = {4, m.ro};
    assert_int_equal(recv_err(b, &ro, 1, &n, &flags), WSAEFAULT);
    WSABUF gone = {4, m.none};
    assert_int_equal(recv_err(b, &gone, 1, &n, &flags), WSAEFAULT);
    WSABUF second_bad[2] = {{1, buf}, {4, m.ro}}; /* the kernel would fill buf[0] */
    assert_int_equal(recv_err(b, second_bad, 2, &n, &flags), WSAEFAULT);
    assert_int_equal(recv_err(b, &in, 1, (LPDWORD)(void *)m.none, &flags), WSAEFAULT);
    assert_int_equal(recv_err(b, &in, 1, (LPDWORD)(void *)m.ro, &flags), WSAEFAULT);
    assert_int_equal(recv_err(b, &in, 1, &n, (LPDWORD)(void *)m.none), WSAEFAULT);
    assert_int_equal(recv_err(b, &in, 1, &n, (LPDWORD)(void *)(m.ro + BAD_FLAGS)), WSAEFAULT);
    /* NULL count (allowed only with an lpOverlapped) or NULL flags (a required
     * in/out parameter, WSARecv page): WSAEFAULT, nothing consumed */
    assert_int_equal(recv_err(b, &in, 1, NULL, &flags), WSAEFAULT);
    assert_int_equal(recv_err(b, &in, 1, &n, NULL), WSAEFAULT);
    /* all three octets are still there, and the socket works */
    n = 0;
    flags = 0;
    size_t have = 0;
    while (have < 3) {
        WSABUF rest = {(ULONG)(sizeof buf - have), buf + have};
        assert_int_equal(recv_err(b, &rest, 1, &n, &flags), 0);
        assert_true(n > 0);
        have += n;
    }
    assert_int_equal(have, 3);
    assert_memory_equal(buf, "xyz", 3);
    bad_unmap(m);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

static int recvfrom_err(SOCKET s, LPWSABUF bufs, LPDWORD got, LPDWORD flags, struct sockaddr *from,
                        LPINT fromlen)
{
    int err = 0;
    if (P->lpWSPRecvFrom(s, bufs, 1, got, flags, from, fromlen, NULL, NULL, NULL, &err) == 0)
        return 0;
    return err;
}

/* Defect 9 too: a *lpFromlen too small for the address is WSAEFAULT before
 * the datagram is taken (it was taken, then refused). */
static void tcp_data_udp_recvfrom_bad_pointers_keep_datagram(void **state)
{
    const struct conf_ctx *c = *state;
    struct sockaddr_storage sa, sb, from;
    int alen, blen, err = 0;
    SOCKET a = conf_socket(c), b = conf_socket(c);
    c->fx->loopback(&sa, &alen);
    c->fx->loopback(&sb, &blen);
    assert_int_equal(c->lv->bind(a, (struct sockaddr *)&sa, alen, &err), 0);
    assert_int_equal(c->lv->bind(b, (struct sockaddr *)&sb, blen, &err), 0);
    alen = blen = sizeof sa;
    assert_int_equal(c->lv->getsockname(a, (struct sockaddr *)&sa, &alen, &err), 0);
    assert_int_equal(c->lv->getsockname(b, (struct sockaddr *)&sb, &blen, &err), 0);
    struct bad m = bad_map();
    char msg[] = "dgram";
    WSABUF out = {sizeof msg, msg};
    DWORD n = 0, flags = 0;
    assert_int_equal(P->lpWSPSendTo(a, &out, 1, &n, 0, (struct sockaddr *)(void *)m.none, blen,
                                    NULL, NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(
        P->lpWSPSendTo(a, &out, 1, &n, 0, (struct sockaddr *)&sb, blen, NULL, NULL, NULL, &err), 0);
    wait_readable(b);
    assert_int_equal(c->lv->fionbio(b, 1, &err), 0); /* a lost datagram: WSAEWOULDBLOCK */

    char got[32];
    WSABUF in = {sizeof got, got};
    int flen = sizeof from;
    int small = 4;
    struct sockaddr *f = (struct sockaddr *)&from;
    assert_int_equal(recvfrom_err(b, &in, &n, &flags, f, &small), WSAEFAULT);
    assert_int_equal(recvfrom_err(b, &in, &n, &flags, f, NULL), WSAEFAULT);
    assert_int_equal(recvfrom_err(b, &in, &n, &flags, f, (LPINT)(void *)m.none), WSAEFAULT);
    assert_int_equal(recvfrom_err(b, &in, &n, &flags, f, (LPINT)(void *)(m.ro + BAD_LEN)),
                     WSAEFAULT);
    assert_int_equal(recvfrom_err(b, &in, &n, &flags, (struct sockaddr *)(void *)m.ro, &flen),
                     WSAEFAULT);
    assert_int_equal(recvfrom_err(b, &in, &n, &flags, (struct sockaddr *)(void *)m.none, &flen),
                     WSAEFAULT);
    WSABUF ro = {sizeof got, m.ro}; /* the kernel would drop the datagram it cannot copy */
    assert_int_equal(recvfrom_err(b, &ro, &n, &flags, f, &flen), WSAEFAULT);
    assert_int_equal(recvfrom_err(b, (LPWSABUF)(void *)m.none, &n, &flags, f, &flen), WSAEFAULT);
    assert_int_equal(recvfrom_err(b, &in, (LPDWORD)(void *)m.ro, &flags, f, &flen), WSAEFAULT);
    assert_int_equal(recvfrom_err(b, &in, &n, (LPDWORD)(void *)(m.ro + BAD_FLAGS), f, &flen),
                     WSAEFAULT);
    assert_int_equal(small, 4);
    /* the datagram is still queued: a correct call gets it and its sender */
    flen = sizeof from;
    assert_int_equal(recvfrom_err(b, &in, &n, &flags, f, &flen), 0);
    assert_int_equal(n, sizeof msg);
    assert_memory_equal(got, msg, sizeof msg);
    assert_int_equal(flen, alen);
    assert_memory_equal(&from, &sa, (size_t)alen);
    bad_unmap(m);
    conf_close(c, a);
    conf_close(c, b);
}

#define T(fn, c) cmocka_unit_test_prestate_setup_teardown(fn, conf_setup, conf_teardown, c)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(tcp_data_gather_send_and_peek, &ctx4),
        T(tcp_data_not_connected, &ctx4),
        T(tcp_data_shutdown_receive, &ctx4),
        T(tcp_data_recv_disconnect, &ctx4),
        T(tcp_data_connect_after_disconnect, &ctx4),
        T(tcp_data_udp_sendto_recvfrom, &ctxu),
        T(tcp_data_udp_sendto_recvfrom, &ctxu6),
        T(tcp_data_select, &ctx4),
        T(tcp_data_connect_after_refused, &ctx4),
        T(tcp_data_send_bad_pointers_fault_and_send_nothing, &ctx4),
        T(tcp_data_send_after_peer_reset_is_connreset, &ctx4),
        T(tcp_data_recv_bad_pointers_fault_and_consume_nothing, &ctx4),
        T(tcp_data_udp_recvfrom_bad_pointers_keep_datagram, &ctxu),
        T(tcp_data_udp_recvfrom_bad_pointers_keep_datagram, &ctxu6),
    };
    return cmocka_run_group_tests_name("tcp_data", tests, NULL, NULL);
}
