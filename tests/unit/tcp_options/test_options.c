/* SPDX-License-Identifier: MIT */
/* tcp provider: the option and ioctl tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include <cmocka.h>

#include "fixtures.h"

static struct conf_ctx ctx4 = {&tcp_fixtures[0], &conf_level_spi};
static struct conf_ctx ctxu = {&tcp_fixtures[2], &conf_level_spi};
#define P (conf_spi_procs())

static int get_int(SOCKET s, int level, int name, int *err)
{
    int v = -1, len = sizeof v;
    if (P->lpWSPGetSockOpt(s, level, name, (char *)&v, &len, err) != 0)
        return -1000;
    assert_int_equal(len, sizeof v);
    return v;
}

static void set_int(SOCKET s, int level, int name, int v)
{
    int err = 0;
    assert_int_equal(P->lpWSPSetSockOpt(s, level, name, (char *)&v, sizeof v, &err), 0);
}

static void tcp_opt_type_and_acceptconn(void **state)
{
    (void)state;
    int err = 0;
    struct sockaddr_storage ss;
    int len;
    SOCKET l = conf_listener(&ctx4, 4, &ss, &len);
    SOCKET s = conf_socket(&ctx4);
    assert_int_equal(get_int(s, SOL_SOCKET, SO_TYPE, &err), SOCK_STREAM);
    assert_int_equal(get_int(s, SOL_SOCKET, SO_ACCEPTCONN, &err), 0);
    assert_int_equal(get_int(l, SOL_SOCKET, SO_ACCEPTCONN, &err), 1);
    assert_int_equal(get_int(s, SOL_SOCKET, SO_ERROR, &err), 0);
    int v = 1;
    assert_int_equal(P->lpWSPSetSockOpt(s, SOL_SOCKET, SO_TYPE, (char *)&v, sizeof v, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    conf_close(&ctx4, s);
    conf_close(&ctx4, l);
}

static void tcp_opt_protocol_info(void **state)
{
    (void)state;
    SOCKET s = conf_socket(&ctx4);
    WSAPROTOCOL_INFOW w;
    int len = sizeof w, err = 0;
    assert_int_equal(sizeof w, 628);
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&w, &len, &err),
                     0);
    assert_int_equal(len, sizeof w);
    assert_memory_equal(&w, conf_spi_info(), sizeof w);
    assert_int_equal(w.dwServiceFlags1 & XP1_DISCONNECT_DATA, 0);
    WSAPROTOCOL_INFOA a;
    len = sizeof a;
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_PROTOCOL_INFOA, (char *)&a, &len, &err),
                     0);
    assert_int_equal(a.dwCatalogEntryId, 1001);
    assert_string_equal(a.szProtocol, "wsp TCP/IPv4");
    len = 10; /* too small */
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&w, &len, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    conf_close(&ctx4, s);
}

static void tcp_opt_passthrough_roundtrip(void **state)
{
    (void)state;
    int err = 0;
    SOCKET s = conf_socket(&ctx4);
    set_int(s, IPPROTO_TCP, TCP_NODELAY, 1);
    assert_int_not_equal(get_int(s, IPPROTO_TCP, TCP_NODELAY, &err), 0);
    set_int(s, SOL_SOCKET, SO_KEEPALIVE, 1);
    assert_int_not_equal(get_int(s, SOL_SOCKET, SO_KEEPALIVE, &err), 0);
    set_int(s, SOL_SOCKET, SO_REUSEADDR, 1);
    assert_int_not_equal(get_int(s, SOL_SOCKET, SO_REUSEADDR, &err), 0);
    set_int(s, SOL_SOCKET, SO_RCVBUF, 65536);
    assert_true(get_int(s, SOL_SOCKET, SO_RCVBUF, &err) >= 65536);
    set_int(s, SOL_SOCKET, SO_SNDBUF, 65536);
    assert_true(get_int(s, SOL_SOCKET, SO_SNDBUF, &err) >= 65536);
    /* A one-byte BOOL is accepted, as Winsock does. */
    char off = 0;
    assert_int_equal(P->lpWSPSetSockOpt(s, IPPROTO_TCP, TCP_NODELAY, &off, 1, &err), 0);
    assert_int_equal(get_int(s, IPPROTO_TCP, TCP_NODELAY, &err), 0);

    struct linger lg = {1, 7}, got;
    int len = sizeof got;
    assert_int_equal(P->lpWSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof lg, &err), 0);
    assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, SO_LINGER, (char *)&got, &len, &err), 0);
    assert_int_equal(got.l_onoff != 0, 1);
    assert_int_equal(got.l_linger, 7);
    conf_close(&ctx4, s);
}

static void tcp_opt_disc_family_noprotoopt(void **state)
{
    (void)state;
    SOCKET s = conf_socket(&ctx4);
    static const int names[] = {SO_CONNDATA,    SO_CONNOPT,    SO_DISCDATA,    SO_DISCOPT,
                                SO_CONNDATALEN, SO_CONNOPTLEN, SO_DISCDATALEN, SO_DISCOPTLEN};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char buf[8] = "data";
        int len = sizeof buf, err = 0;
        assert_int_equal(P->lpWSPSetSockOpt(s, SOL_SOCKET, names[i], buf, 4, &err), SOCKET_ERROR);
        assert_int_equal(err, WSAENOPROTOOPT);
        err = 0;
        assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, names[i], buf, &len, &err),
                         SOCKET_ERROR);
        assert_int_equal(err, WSAENOPROTOOPT);
    }
    int err = 0;
    assert_int_equal(get_int(s, SOL_SOCKET, 0x6543, &err), -1000);
    assert_int_equal(err, WSAENOPROTOOPT);
    conf_close(&ctx4, s);
}

static void tcp_opt_udp_has_no_tcp_options(void **state)
{
    (void)state;
    SOCKET s = conf_socket(&ctxu);
    int err = 0;
    assert_int_equal(get_int(s, SOL_SOCKET, SO_TYPE, &err), SOCK_DGRAM);
    assert_int_equal(get_int(s, IPPROTO_TCP, TCP_NODELAY, &err), -1000);
    assert_int_equal(err, WSAENOPROTOOPT);
    conf_close(&ctxu, s);
}

static int ioctl_ulong(SOCKET s, DWORD code, u_long in, u_long *out, int *err)
{
    DWORD ret = 0;
    return P->lpWSPIoctl(s, code, &in, sizeof in, out, out ? sizeof *out : 0, &ret, NULL, NULL,
                         NULL, err);
}

static void tcp_ioctl_fionbio_both_numbers(void **state)
{
    (void)state;
    const DWORD codes[] = {(DWORD)WSP_FIONBIO, (DWORD)FIONBIO};
    for (int i = 0; i < 2; i++) {
        SOCKET a, b;
        conf_pair(&ctx4, &a, &b);
        int err = 0;
        assert_int_equal(ioctl_ulong(a, codes[i], 1, NULL, &err), 0);
        char c;
        assert_int_equal(ctx4.lv->recv(a, &c, 1, &err), -1);
        assert_int_equal(err, WSAEWOULDBLOCK);
        assert_int_equal(ioctl_ulong(a, codes[i], 0, NULL, &err), 0);
        conf_send_all(&ctx4, b, "k", 1);
        assert_int_equal(ctx4.lv->recv(a, &c, 1, &err), 1); /* blocks until it arrives */
        conf_close(&ctx4, a);
        conf_close(&ctx4, b);
    }
}

static void tcp_ioctl_fionread_both_numbers(void **state)
{
    (void)state;
    const DWORD codes[] = {(DWORD)WSP_FIONREAD, (DWORD)FIONREAD};
    SOCKET a, b;
    conf_pair(&ctx4, &a, &b);
    conf_send_all(&ctx4, b, "hello", 5);
    /* Wait for readability through the provider's own select. */
    wsp_fd_set rs = {1, {a}};
    int err = 0;
    assert_int_equal(P->lpWSPSelect(0, &rs, NULL, NULL, NULL, &err), 1);
    for (int i = 0; i < 2; i++) {
        u_long n = 0;
        assert_int_equal(ioctl_ulong(a, codes[i], 0, &n, &err), 0);
        assert_int_equal(n, 5);
    }
    assert_int_equal(ioctl_ulong(a, 0x12345678, 0, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    conf_close(&ctx4, a);
    conf_close(&ctx4, b);
}

/* D4 on the paths that hand the caller's pointers straight to the kernel
 * (SO_TYPE, FIONREAD) and on the one that writes optval and optlen together
 * (SO_ERROR): a bad pointer is WSAEFAULT, never a crash, and a too small
 * optlen is WSAEFAULT rather than Linux's truncation. */
static void tcp_opt_bad_pointers_are_fault(void **state)
{
    (void)state;
    SOCKET s = conf_socket(&ctx4);
    char *g = conf_guarded(sizeof(int));
    char *off = g + sizeof(int); /* the PROT_NONE page */
    const int names[] = {SO_TYPE, SO_ERROR, SO_RCVBUF};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        int err = 0, len = sizeof(int), v = -1;
        assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, names[i], off, &len, &err),
                         SOCKET_ERROR);
        assert_int_equal(err, WSAEFAULT);
        err = 0;
        assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, names[i], (char *)&v, (LPINT)off, &err),
                         SOCKET_ERROR);
        assert_int_equal(err, WSAEFAULT);
        err = 0;
        assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, names[i], NULL, &len, &err),
                         SOCKET_ERROR);
        assert_int_equal(err, WSAEFAULT);
        err = 0;
        len = sizeof(int) - 1;
        assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, names[i], (char *)&v, &len, &err),
                         SOCKET_ERROR);
        assert_int_equal(err, WSAEFAULT);
        assert_int_equal(v, -1);
        /* optval running into the guard page */
        err = 0;
        len = sizeof(int);
        assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, names[i], off - 2, &len, &err),
                         SOCKET_ERROR);
        assert_int_equal(err, WSAEFAULT);
    }
    int err = 0;
    DWORD ret = 0;
    assert_int_equal(P->lpWSPIoctl(s, (DWORD)WSP_FIONREAD, NULL, 0, off, sizeof(u_long), &ret, NULL,
                                   NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = 0;
    assert_int_equal(P->lpWSPIoctl(s, (DWORD)WSP_FIONREAD, NULL, 0, NULL, sizeof(u_long), &ret,
                                   NULL, NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    u_long n = 7;
    err = 0;
    assert_int_equal(P->lpWSPIoctl(s, (DWORD)WSP_FIONREAD, NULL, 0, &n, sizeof n - 1, &ret, NULL,
                                   NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(n, 7);
    /* lpcbBytesReturned itself unmapped (D4): WSAEFAULT, no crash */
    err = 0;
    assert_int_equal(P->lpWSPIoctl(s, (DWORD)WSP_FIONREAD, NULL, 0, &n, sizeof n, (LPDWORD)off,
                                   NULL, NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    conf_guarded_free(g, sizeof(int));
    conf_close(&ctx4, s);
}

/* The kit's one rule for option output (src/common/spi_opt.h), the same as
 * itot's: a value that does not fit is WSAEFAULT with the length needed in
 * *optlen (D10's rule for SO_DISCDATA, applied to every option; Windows'
 * getsockopt page: WSAEFAULT when "the optlen parameter is too small"), and
 * nothing written to optval.  tcp used to leave *optlen as it was. */
static void tcp_opt_too_small_reports_needed_length(void **state)
{
    (void)state;
    SOCKET s = conf_socket(&ctx4);
    struct {
        int name;
        int need;
    } cases[] = {
        {SO_PROTOCOL_INFOW, (int)sizeof(WSAPROTOCOL_INFOW)}, /* kept by the provider */
        {SO_LINGER, (int)sizeof(struct linger)},             /* read from the kernel */
        {SO_RCVTIMEO, (int)sizeof(DWORD)},                   /* kept by the provider */
        {SO_RCVBUF, (int)sizeof(int)},                       /* the kernel writes optval */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char buf[sizeof(WSAPROTOCOL_INFOW)];
        memset(buf, 0xA5, sizeof buf);
        int len = 1, err = 0;
        assert_int_equal(P->lpWSPGetSockOpt(s, SOL_SOCKET, cases[i].name, (char *)buf, &len, &err),
                         SOCKET_ERROR);
        assert_int_equal(err, WSAEFAULT);
        assert_int_equal(len, cases[i].need);
        assert_int_equal(buf[0], 0xA5);
    }
    conf_close(&ctx4, s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(tcp_opt_bad_pointers_are_fault, conf_setup,
                                                 conf_teardown, &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_opt_type_and_acceptconn, conf_setup,
                                                 conf_teardown, &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_opt_protocol_info, conf_setup, conf_teardown,
                                                 &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_opt_too_small_reports_needed_length,
                                                 conf_setup, conf_teardown, &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_opt_passthrough_roundtrip, conf_setup,
                                                 conf_teardown, &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_opt_disc_family_noprotoopt, conf_setup,
                                                 conf_teardown, &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_opt_udp_has_no_tcp_options, conf_setup,
                                                 conf_teardown, &ctxu),
        cmocka_unit_test_prestate_setup_teardown(tcp_ioctl_fionbio_both_numbers, conf_setup,
                                                 conf_teardown, &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_ioctl_fionread_both_numbers, conf_setup,
                                                 conf_teardown, &ctx4),
    };
    return cmocka_run_group_tests_name("tcp_options", tests, NULL, NULL);
}
