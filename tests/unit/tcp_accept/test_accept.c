/* SPDX-License-Identifier: MIT */
/* tcp provider: WSPAccept and its condition function (CF_ACCEPT, CF_REJECT,
 * CF_DEFER; caller id = the peer's address, callee id = ours). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sys/mman.h>

#include "fixtures.h"

static struct conf_ctx ctx4 = {&tcp_fixtures[0], &conf_level_spi};
static struct conf_ctx ctx6 = {&tcp_fixtures[1], &conf_level_spi};
#define P (conf_spi_procs())

struct verdict {
    int answer;
    int calls;
    struct sockaddr_storage caller, callee;
    ULONG caller_len, callee_len;
};

static int CALLBACK decide(LPWSABUF caller, LPWSABUF callerData, LPQOS sqos, LPQOS gqos,
                           LPWSABUF callee, LPWSABUF calleeData, GROUP *g, DWORD_PTR data)
{
    (void)callerData, (void)sqos, (void)gqos, (void)calleeData, (void)g;
    struct verdict *v = (struct verdict *)data;
    v->calls++;
    v->caller_len = caller->len;
    memcpy(&v->caller, caller->buf, caller->len);
    v->callee_len = callee->len;
    memcpy(&v->callee, callee->buf, callee->len);
    return v->answer;
}

static SOCKET connect_to(const struct conf_ctx *c, struct sockaddr_storage *ss, int len)
{
    int err = 0;
    SOCKET s = conf_socket(c);
    assert_int_equal(c->lv->connect(s, (struct sockaddr *)ss, len, &err), 0);
    return s;
}

static void tcp_accept_condition_sees_addresses(void **state)
{
    const struct conf_ctx *c = *state;
    struct sockaddr_storage ss, mine, got;
    int len, err = 0;
    SOCKET l = conf_listener(c, 4, &ss, &len);
    SOCKET cl = connect_to(c, &ss, len);
    int mlen = sizeof mine;
    assert_int_equal(c->lv->getsockname(cl, (struct sockaddr *)&mine, &mlen, &err), 0);

    struct verdict v = {.answer = CF_ACCEPT};
    int glen = sizeof got;
    SOCKET s = P->lpWSPAccept(l, (struct sockaddr *)&got, &glen, decide, (DWORD_PTR)&v, &err);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(v.calls, 1);
    assert_int_equal(v.caller_len, (ULONG)mlen);
    assert_memory_equal(&v.caller, &mine, (size_t)mlen); /* caller id = the peer */
    assert_int_equal(glen, mlen);
    assert_memory_equal(&got, &mine, (size_t)mlen);
    assert_int_equal(v.callee_len, (ULONG)len);
    assert_memory_equal(&v.callee, &ss, (size_t)len); /* callee id = our address */
    conf_send_all(c, s, "a", 1);
    char b;
    assert_int_equal(c->lv->recv(cl, &b, 1, &err), 1);
    conf_close(c, s);
    conf_close(c, cl);
    conf_close(c, l);
}

static void tcp_accept_reject(void **state)
{
    const struct conf_ctx *c = *state;
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = conf_listener(c, 4, &ss, &len);
    SOCKET cl = connect_to(c, &ss, len);
    struct verdict v = {.answer = CF_REJECT};
    assert_true(c->lv->accept(l, decide, (DWORD_PTR)&v, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSAECONNREFUSED);
    /* The rejected peer sees its connection end (EOF or reset). */
    char b;
    int n = c->lv->recv(cl, &b, 1, &err);
    assert_true(n == 0 || (n < 0 && err == WSAECONNRESET));
    conf_close(c, cl);
    conf_close(c, l);
}

static void tcp_accept_defer_then_accept(void **state)
{
    const struct conf_ctx *c = *state;
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = conf_listener(c, 4, &ss, &len);
    SOCKET cl = connect_to(c, &ss, len);
    struct verdict v = {.answer = CF_DEFER};
    assert_true(c->lv->accept(l, decide, (DWORD_PTR)&v, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSATRY_AGAIN);
    v.answer = CF_ACCEPT;
    SOCKET s = c->lv->accept(l, decide, (DWORD_PTR)&v, &err);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(v.calls, 2);
    conf_send_all(c, cl, "d", 1); /* it is the deferred connection */
    char b;
    assert_int_equal(c->lv->recv(s, &b, 1, &err), 1);
    assert_int_equal(b, 'd');
    conf_close(c, s);
    conf_close(c, cl);
    conf_close(c, l);
}

static void tcp_accept_needs_listener(void **state)
{
    const struct conf_ctx *c = *state;
    int err = 0;
    SOCKET s = conf_socket(c);
    assert_true(c->lv->accept(s, NULL, 0, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSAEINVAL);
    conf_close(c, s);
}

static void tcp_accept_inherits_nonblocking(void **state)
{
    const struct conf_ctx *c = *state;
    struct sockaddr_storage ss;
    int len, err = 0;
    SOCKET l = conf_listener(c, 4, &ss, &len);
    assert_int_equal(c->lv->fionbio(l, 1, &err), 0);
    assert_true(c->lv->accept(l, NULL, 0, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSAEWOULDBLOCK);
    SOCKET cl = connect_to(c, &ss, len);
    wsp_fd_set rs = {1, {l}};
    assert_int_equal(P->lpWSPSelect(0, &rs, NULL, NULL, NULL, &err), 1);
    SOCKET s = c->lv->accept(l, NULL, 0, &err);
    assert_true(s != INVALID_SOCKET);
    char b;
    assert_int_equal(c->lv->recv(s, &b, 1, &err), -1);
    assert_int_equal(err, WSAEWOULDBLOCK);
    conf_close(c, s);
    conf_close(c, cl);
    conf_close(c, l);
}

/* Defect 9: an address buffer that cannot take the peer's address is
 * WSAEFAULT (Windows' accept/WSAAccept: "The addrlen parameter is too small
 * or addr is not a valid part of the user address space") and decided before
 * a connection is taken: the connection stays queued, and a correct call
 * then gets that very connection. */
static void tcp_accept_bad_address_keeps_connection(void **state)
{
    const struct conf_ctx *c = *state;
    struct sockaddr_storage ss, mine, got;
    int len, err = 0;
    SOCKET l = conf_listener(c, 4, &ss, &len);
    assert_int_equal(c->lv->fionbio(l, 1, &err), 0); /* a lost connection: WSAEWOULDBLOCK */
    SOCKET cl = connect_to(c, &ss, len);
    int mlen = sizeof mine;
    assert_int_equal(c->lv->getsockname(cl, (struct sockaddr *)&mine, &mlen, &err), 0);
    wsp_fd_set rs = {1, {l}};
    assert_int_equal(P->lpWSPSelect(0, &rs, NULL, NULL, NULL, &err), 1);

    char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    int big = sizeof got;
    memcpy(m, &big, sizeof big);
    assert_int_equal(mprotect(m, 4096, PROT_READ), 0); /* holds a valid *addrlen */
    assert_int_equal(mprotect(m + 4096, 4096, PROT_NONE), 0);
    struct sockaddr *ro_addr = (struct sockaddr *)(void *)(m + 64);
    struct sockaddr *no_addr = (struct sockaddr *)(void *)(m + 4096);
    int glen = sizeof got, small = 4;
    struct sockaddr *g = (struct sockaddr *)&got;
    assert_true(P->lpWSPAccept(l, ro_addr, &glen, NULL, 0, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSAEFAULT);
    assert_true(P->lpWSPAccept(l, no_addr, &glen, NULL, 0, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSAEFAULT);
    assert_true(P->lpWSPAccept(l, g, (LPINT)(void *)m, NULL, 0, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSAEFAULT); /* read-only *addrlen */
    assert_true(P->lpWSPAccept(l, g, (LPINT)(void *)no_addr, NULL, 0, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSAEFAULT);
    assert_true(P->lpWSPAccept(l, g, &small, NULL, 0, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSAEFAULT);
    assert_true(P->lpWSPAccept(l, g, NULL, NULL, 0, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSAEFAULT);

    glen = sizeof got;
    SOCKET s = P->lpWSPAccept(l, g, &glen, NULL, 0, &err);
    assert_true(s != INVALID_SOCKET); /* the same connection, still queued */
    assert_int_equal(glen, mlen);
    assert_memory_equal(&got, &mine, (size_t)mlen);
    conf_send_all(c, s, "a", 1);
    char b;
    assert_int_equal(c->lv->recv(cl, &b, 1, &err), 1);
    assert_int_equal(munmap(m, 2 * 4096), 0);
    conf_close(c, s);
    conf_close(c, cl);
    conf_close(c, l);
}

#define T(fn, ctx) cmocka_unit_test_prestate_setup_teardown(fn, conf_setup, conf_teardown, ctx)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(tcp_accept_condition_sees_addresses, &ctx4),
        T(tcp_accept_condition_sees_addresses, &ctx6),
        T(tcp_accept_reject, &ctx4),
        T(tcp_accept_defer_then_accept, &ctx4),
        T(tcp_accept_needs_listener, &ctx4),
        T(tcp_accept_inherits_nonblocking, &ctx4),
        T(tcp_accept_bad_address_keeps_connection, &ctx4),
        T(tcp_accept_bad_address_keeps_connection, &ctx6),
    };
    return cmocka_run_group_tests_name("tcp_accept", tests, NULL, NULL);
}
