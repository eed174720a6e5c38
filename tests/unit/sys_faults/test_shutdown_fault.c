/* SPDX-License-Identifier: MIT */
/* D1 for shutdown(SD_BOTH) on itot: when the DR cannot be written (the peer's
 * TCP is gone: EPIPE, injected through the module's platform table), the call
 * fails with WSAECONNRESET and changes nothing — in particular receiving has
 * not ended: a non-blocking receive says WSAEWOULDBLOCK, not WSAESHUTDOWN.
 * (Found by the api_seq fuzzer, where it depended on timing; the table makes
 * it deterministic.) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "common/sys.h"
#include "fault_util.h"

static ssize_t send_epipe(int fd, const void *buf, size_t len, int flags)
{
    (void)fd, (void)buf, (void)len, (void)flags;
    errno = EPIPE;
    return -1;
}

static void wait_writable(SOCKET s)
{
    wsp_fd_set w;
    w.fd_count = 1;
    w.fd_array[0] = s;
    struct timeval tv = {10, 0}; /* a guard only */
    assert_int_equal(wsp_select(0, NULL, &w, NULL, &tv), 1);
}

static void shutdown_both_failing_release_keeps_receiving(void **state)
{
    (void)state;
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    SOCKET l = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&a, &len), 0);
    SOCKET c = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    wsp_u_long on = 1;
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &on), 0);
    int rc = wsp_connect(c, (struct sockaddr *)&a, len);
    assert_true(rc == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    SOCKET p = wsp_accept(l, NULL, NULL); /* sends the CC */
    assert_true(p != INVALID_SOCKET);
    wait_writable(c);

    const struct sys_hook *hk = fault_hook_of("wsp_itot.so");
    assert_non_null(hk->override("send", (sys_fn)send_epipe));
    rc = wsp_shutdown(c, SD_BOTH);
    int err = WSAGetLastError();
    hk->restore_all();
    assert_int_equal(rc, SOCKET_ERROR);
    assert_int_equal(err, WSAECONNRESET);

    char buf[8];
    assert_int_equal(wsp_recv(c, buf, sizeof buf, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK); /* WSAESHUTDOWN before the fix */

    closesocket(p);
    closesocket(c);
    closesocket(l);
    WSACleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shutdown_both_failing_release_keeps_receiving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
