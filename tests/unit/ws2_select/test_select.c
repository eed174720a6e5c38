/* SPDX-License-Identifier: MIT */
/* wsp_select with bad caller memory (D4): WSAEFAULT through WSAGetLastError,
 * never a crash; WSAPoll's entry limit. */
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

/* WSAPoll waits through the provider's WSPSelect, whose fd_sets hold
 * WSP_FD_SETSIZE sockets each. One more distinct socket asking to read is
 * WSAEINVAL ("an invalid parameter was passed", WSAPoll page), not an entry
 * silently left out that could never report. A socket listed twice counts
 * once, and reading and writing are separate sets. */
static void ws2_poll_entry_limit(void **state)
{
    (void)state;
    enum { N = WSP_FD_SETSIZE + 1 };
    SOCKET s[N];
    WSAPOLLFD p[N];
    for (int i = 0; i < N; i++) {
        s[i] = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        assert_true(s[i] != INVALID_SOCKET);
        p[i] = (WSAPOLLFD){.fd = s[i], .events = POLLRDNORM | POLLWRNORM};
    }
    /* the limit itself: every entry is answered (a new socket is writable) */
    p[N - 1] = (WSAPOLLFD){.fd = s[0], .events = POLLRDNORM | POLLWRNORM}; /* a duplicate */
    assert_int_equal(WSAPoll(p, N, 0), N);
    for (int i = 0; i < N; i++)
        assert_true(p[i].revents & POLLWRNORM);
    /* one socket more than a set holds */
    p[N - 1] = (WSAPOLLFD){.fd = s[N - 1], .events = POLLRDNORM};
    WSASetLastError(0);
    assert_int_equal(WSAPoll(p, N, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    /* the pins taken before the failure are released: close does not hang */
    for (int i = 0; i < N; i++)
        assert_int_equal(closesocket(s[i]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ws2_select_d4_bad_set),
        cmocka_unit_test(ws2_select_d4_bad_timeout),
        cmocka_unit_test(ws2_poll_entry_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
