/* SPDX-License-Identifier: MIT */
/* tcp provider: WSPStartup/WSPCleanup, the proc table and the entry points
 * that refuse on purpose. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixtures.h"

static const struct conf_fixture *tcp4 = &tcp_fixtures[0];

static void tcp_startup_rejects_old_versions(void **state)
{
    (void)state;
    WSPDATA d;
    WSPPROC_TABLE t;
    assert_int_equal(conf_spi_startup(tcp4, MAKEWORD(1, 1), &d, &t), WSAVERNOTSUPPORTED);
    assert_int_equal(conf_spi_startup(tcp4, MAKEWORD(2, 0), &d, &t), WSAVERNOTSUPPORTED);
    /* Nothing was started: a cleanup has nobody to clean up. */
    int err = 0;
    assert_int_equal(conf_spi_startup(tcp4, MAKEWORD(2, 2), &d, &t), 0);
    assert_int_equal(t.lpWSPCleanup(&err), 0);
    assert_int_equal(t.lpWSPCleanup(&err), SOCKET_ERROR);
    assert_int_equal(err, WSANOTINITIALISED);
}

static void tcp_startup_fills_all_30_entries(void **state)
{
    (void)state;
    WSPDATA d = {0};
    WSPPROC_TABLE t;
    assert_int_equal(conf_spi_startup(tcp4, MAKEWORD(2, 2), &d, &t), 0);
    void *const *p = (void *const *)&t;
    assert_int_equal(sizeof t / sizeof(void *), WSP_PROC_TABLE_ENTRIES);
    for (int i = 0; i < WSP_PROC_TABLE_ENTRIES; i++)
        assert_non_null(p[i]);
    assert_int_equal(d.wVersion, MAKEWORD(2, 2));
    assert_int_equal(d.wHighVersion, MAKEWORD(2, 2));
    assert_int_not_equal(d.szDescription[0], 0);
    int err;
    assert_int_equal(t.lpWSPCleanup(&err), 0);
}

static void tcp_startup_count_and_netdown(void **state)
{
    (void)state;
    WSPDATA d;
    WSPPROC_TABLE t;
    int err = 0;
    assert_int_equal(conf_spi_startup(tcp4, MAKEWORD(2, 2), &d, &t), 0);
    assert_int_equal(conf_spi_startup(tcp4, MAKEWORD(2, 2), &d, &t), 0);
    SOCKET s = t.lpWSPSocket(AF_INET, SOCK_STREAM, 0, conf_spi_info(), 0, 0, &err);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(t.lpWSPCleanup(&err), 0); /* one user left */
    assert_int_equal(t.lpWSPShutdown(s, SD_SEND, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOTCONN);
    assert_int_equal(t.lpWSPCleanup(&err), 0); /* the last user: C9 from now on */
    assert_true(t.lpWSPSocket(AF_INET, SOCK_STREAM, 0, conf_spi_info(), 0, 0, &err) ==
                INVALID_SOCKET);
    assert_int_equal(err, WSAENETDOWN);
    err = 0;
    assert_int_equal(t.lpWSPCloseSocket(s, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENETDOWN);
    err = 0;
    wsp_fd_set rs = {0};
    struct timeval tv = {0, 0};
    assert_int_equal(t.lpWSPSelect(0, &rs, NULL, NULL, &tv, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENETDOWN);
}

static void tcp_unsupported_entries_say_opnotsupp(void **state)
{
    (void)state;
    WSPDATA d;
    WSPPROC_TABLE t;
    int err = 0;
    assert_int_equal(conf_spi_startup(tcp4, MAKEWORD(2, 2), &d, &t), 0);
    SOCKET s = t.lpWSPSocket(AF_INET, SOCK_STREAM, 0, conf_spi_info(), 0, 0, &err);
    assert_true(s != INVALID_SOCKET);

    assert_int_equal(t.lpWSPAsyncSelect(s, NULL, 0, FD_READ, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEOPNOTSUPP);
    err = 0;
    assert_int_equal(t.lpWSPCancelBlockingCall(&err), SOCKET_ERROR);
    assert_int_equal(err, WSAEOPNOTSUPP);
    err = 0;
    WSAPROTOCOL_INFOW pi;
    assert_int_equal(t.lpWSPDuplicateSocket(s, 1, &pi, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEOPNOTSUPP);
    err = 0;
    assert_int_equal(t.lpWSPGetQOSByName(s, NULL, NULL, &err), FALSE);
    assert_int_equal(err, WSAEOPNOTSUPP);
    err = 0;
    assert_true(t.lpWSPJoinLeaf(s, NULL, 0, NULL, NULL, NULL, NULL, 0, &err) == INVALID_SOCKET);
    assert_int_equal(err, WSAEOPNOTSUPP);
    /* overlapped I/O is supported now: tests/unit/tcp_overlapped */

    assert_int_equal(t.lpWSPCloseSocket(s, &err), 0);
    assert_int_equal(t.lpWSPCleanup(&err), 0);
}

static void tcp_socket_checks_arguments(void **state)
{
    (void)state;
    WSPDATA d;
    WSPPROC_TABLE t;
    int err = 0;
    assert_int_equal(conf_spi_startup(tcp4, MAKEWORD(2, 2), &d, &t), 0);
    assert_true(t.lpWSPSocket(AF_INET6, SOCK_STREAM, 0, conf_spi_info(), 0, 0, &err) ==
                INVALID_SOCKET);
    assert_int_equal(err, WSAEAFNOSUPPORT);
    assert_true(t.lpWSPSocket(AF_INET, SOCK_STREAM, IPPROTO_UDP, conf_spi_info(), 0, 0, &err) ==
                INVALID_SOCKET);
    assert_int_equal(err, WSAEPROTONOSUPPORT);
    assert_true(t.lpWSPSocket(AF_INET, SOCK_STREAM, 0, conf_spi_info(), 7, 0, &err) ==
                INVALID_SOCKET);
    assert_int_equal(err, WSAEINVAL);
    SOCKET s = t.lpWSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                             conf_spi_info(), 0, 0, &err);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(t.lpWSPCloseSocket(s, &err), 0);
    assert_int_equal(t.lpWSPCleanup(&err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcp_startup_rejects_old_versions),
        cmocka_unit_test(tcp_startup_fills_all_30_entries),
        cmocka_unit_test(tcp_startup_count_and_netdown),
        cmocka_unit_test(tcp_unsupported_entries_say_opnotsupp),
        cmocka_unit_test(tcp_socket_checks_arguments),
    };
    return cmocka_run_group_tests_name("tcp_startup", tests, NULL, NULL);
}
