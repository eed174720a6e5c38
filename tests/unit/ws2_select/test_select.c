/* SPDX-License-Identifier: MIT */
/* wsp_select with bad caller memory (D4): WSAEFAULT through WSAGetLastError,
 * never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/winsock2.h>

static void *unmapped_page(void)
{
    long sz = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, (size_t)sz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    assert_int_equal(munmap(p, (size_t)sz), 0);
    return p;
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

static void ws2_select_d4_bad_set(void **state)
{
    (void)state;
    struct timeval tv = {0, 0};
    wsp_fd_set *bad = unmapped_page();
    WSASetLastError(0);
    assert_int_equal(wsp_select(0, bad, NULL, NULL, &tv), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    WSASetLastError(0);
    assert_int_equal(wsp_select(0, NULL, NULL, bad, &tv), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

static void ws2_select_d4_bad_timeout(void **state)
{
    (void)state;
    SOCKET s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(s != INVALID_SOCKET);
    wsp_fd_set w;
    WSP_FD_ZERO(&w);
    WSP_FD_SET(s, &w);
    WSASetLastError(0);
    assert_int_equal(wsp_select(0, NULL, &w, NULL, unmapped_page()), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    /* the pins taken before the failure are released: close does not hang */
    assert_int_equal(closesocket(s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ws2_select_d4_bad_set),
        cmocka_unit_test(ws2_select_d4_bad_timeout),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
