/* SPDX-License-Identifier: MIT */
/* The extension-function kit (common/ext.h) without a provider: the answer
 * to SIO_GET_EXTENSION_FUNCTION_POINTER, AcceptEx's output buffer layout
 * (GetAcceptExSockaddrs), the argument checks and the last error.
 *
 * Error codes follow Microsoft's pages: WSAIoctl (WSAEFAULT for a buffer
 * outside the address space or too small, WSAEINVAL for an input that is not
 * acceptable, i.e. an unknown GUID), AcceptEx / ConnectEx (lpOverlapped
 * cannot be NULL; address blocks at least 16 octets more than the address),
 * DisconnectEx (WSAEINVAL for a flag other than TF_REUSE_SOCKET or a
 * nonzero dwReserved). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "common/ext.h"

/* ---- the last error, as libwsp would keep it --------------------------- */
static int last_error;

__attribute__((visibility("default"))) void WSPAPI WPUSetLastError(int iError)
{
    last_error = iError;
}

static void f_one(void)
{
}
static void f_two(void)
{
}

static const struct ext_fn tab[] = {
    {WSAID_ACCEPTEX, f_one},
    {WSAID_CONNECTEX, f_two},
};

static void *unmapped_page(void)
{
    void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    return p;
}

static void get_pointer_known(void **state)
{
    (void)state;
    GUID g = WSAID_CONNECTEX;
    ext_proc fn = NULL;
    DWORD cb = 0;
    assert_int_equal(ext_get_pointer(tab, 2, &g, sizeof g, &fn, sizeof fn, &cb), 0);
    assert_ptr_equal(fn, f_two);
    assert_int_equal(cb, sizeof fn);
}

static void get_pointer_errors(void **state)
{
    (void)state;
    GUID g = WSAID_DISCONNECTEX, a = WSAID_ACCEPTEX;
    ext_proc fn = NULL;
    DWORD cb = 0;
    assert_int_equal(ext_get_pointer(tab, 2, &g, sizeof g, &fn, sizeof fn, &cb), WSAEINVAL);
    assert_int_equal(ext_get_pointer(tab, 2, NULL, sizeof g, &fn, sizeof fn, &cb), WSAEFAULT);
    assert_int_equal(ext_get_pointer(tab, 2, &a, sizeof a - 1, &fn, sizeof fn, &cb), WSAEFAULT);
    assert_int_equal(ext_get_pointer(tab, 2, &a, sizeof a, &fn, sizeof fn - 1, &cb), WSAEFAULT);
    assert_int_equal(ext_get_pointer(tab, 2, &a, sizeof a, &fn, sizeof fn, NULL), WSAEFAULT);
    void *bad = unmapped_page();
    assert_int_equal(ext_get_pointer(tab, 2, bad, sizeof a, &fn, sizeof fn, &cb), WSAEFAULT);
    assert_int_equal(ext_get_pointer(tab, 2, &a, sizeof a, bad, sizeof fn, &cb), WSAEFAULT);
    assert_int_equal(ext_get_pointer(tab, 2, &a, sizeof a, &fn, sizeof fn, bad), WSAEFAULT);
    assert_null(fn); /* nothing written on any failure */
    munmap(bad, 4096);
}

/* Addresses written by the provider side come back through GetAcceptExSockaddrs,
 * aligned, for every position of the blocks (odd receive lengths included). */
static void sockaddrs_round_trip(void **state)
{
    (void)state;
    struct sockaddr_in6 l6 = {.sin6_family = AF_INET6, .sin6_port = htons(102)};
    l6.sin6_addr = in6addr_loopback;
    struct sockaddr_in r4 = {.sin_family = AF_INET, .sin_port = htons(4242)};
    r4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const DWORD blk = sizeof(struct sockaddr_in6) + EXT_ADDR_EXTRA;
    for (DWORD recv = 0; recv < 24; recv++) {
        unsigned char buf[24 + 2 * (sizeof(struct sockaddr_in6) + EXT_ADDR_EXTRA)];
        memset(buf, 0xAA, sizeof buf);
        assert_int_equal(ext_put_addrs(buf, recv, blk, blk, (struct sockaddr *)&l6, sizeof l6,
                                       (struct sockaddr *)&r4, sizeof r4),
                         0);
        for (DWORD i = 0; i < recv; i++)
            assert_int_equal(buf[i], 0xAA); /* the receive data area is not touched */
        struct sockaddr *ls = NULL, *rs = NULL;
        int ll = 0, rl = 0;
        ext_GetAcceptExSockaddrs(buf, recv, blk, blk, &ls, &ll, &rs, &rl);
        assert_non_null(ls);
        assert_non_null(rs);
        assert_int_equal((uintptr_t)ls % 8, 0);
        assert_int_equal((uintptr_t)rs % 8, 0);
        assert_true((unsigned char *)ls >= buf + recv && (unsigned char *)ls < buf + recv + blk);
        assert_true((unsigned char *)rs >= buf + recv + blk);
        assert_int_equal(ll, sizeof l6);
        assert_int_equal(rl, sizeof r4);
        assert_memory_equal(ls, &l6, sizeof l6);
        assert_memory_equal(rs, &r4, sizeof r4);
    }
}

static void sockaddrs_bad_blocks(void **state)
{
    (void)state;
    unsigned char buf[64] = {0};
    struct sockaddr_in a = {.sin_family = AF_INET};
    /* A block smaller than its address: refused when writing ... */
    assert_int_equal(
        ext_put_addrs(buf, 0, 8, 8, (struct sockaddr *)&a, sizeof a, (struct sockaddr *)&a, 8),
        WSAEINVAL);
    /* ... and a length that does not fit its block reads as nothing. */
    uint32_t huge = 1000;
    memcpy(buf, &huge, sizeof huge);
    struct sockaddr *ls = (struct sockaddr *)buf, *rs = (struct sockaddr *)buf;
    int ll = -1, rl = -1;
    ext_GetAcceptExSockaddrs(buf, 0, 32, 32, &ls, &ll, &rs, &rl);
    assert_null(ls);
    assert_int_equal(ll, 0);
    assert_null(rs); /* a zero length: no address */
    assert_int_equal(rl, 0);
    ext_GetAcceptExSockaddrs(NULL, 0, 32, 32, &ls, &ll, &rs, &rl);
    assert_null(ls);
    assert_null(rs);
}

static void acceptex_checks(void **state)
{
    (void)state;
    unsigned char out[256];
    DWORD n;
    WSAOVERLAPPED ov;
    const int amax = sizeof(struct sockaddr_in6);
    const DWORD blk = (DWORD)amax + EXT_ADDR_EXTRA;
    assert_int_equal(ext_acceptex_check(amax, out, 16, blk, blk, &n, &ov), 0);
    assert_int_equal(ext_acceptex_check(amax, out, 16, blk, blk, NULL, &ov), 0);
    assert_int_equal(ext_acceptex_check(amax, out, 16, blk, blk, &n, NULL), WSAEINVAL);
    assert_int_equal(ext_acceptex_check(amax, out, 16, blk - 1, blk, &n, &ov), WSAEINVAL);
    assert_int_equal(ext_acceptex_check(amax, out, 16, blk, blk - 1, &n, &ov), WSAEINVAL);
    void *bad = unmapped_page();
    assert_int_equal(ext_acceptex_check(amax, bad, 16, blk, blk, &n, &ov), WSAEFAULT);
    assert_int_equal(ext_acceptex_check(amax, NULL, 0, blk, blk, &n, &ov), WSAEFAULT);
    assert_int_equal(ext_acceptex_check(amax, out, 16, blk, blk, bad, &ov), WSAEFAULT);
    assert_int_equal(ext_acceptex_check(amax, out, 16, blk, blk, &n, bad), WSAEFAULT);
    munmap(bad, 4096);
}

static void connectex_checks(void **state)
{
    (void)state;
    struct sockaddr_in a = {.sin_family = AF_INET};
    char data[8] = "hello";
    DWORD n;
    WSAOVERLAPPED ov;
    const struct sockaddr *sa = (struct sockaddr *)&a;
    assert_int_equal(ext_connectex_check(sizeof a, sa, sizeof a, data, 5, &n, &ov), 0);
    assert_int_equal(ext_connectex_check(sizeof a, sa, sizeof a, NULL, 0, NULL, &ov), 0);
    assert_int_equal(ext_connectex_check(sizeof a, sa, sizeof a, data, 5, &n, NULL), WSAEINVAL);
    assert_int_equal(ext_connectex_check(sizeof a, sa, sizeof a - 1, data, 5, &n, &ov), WSAEFAULT);
    assert_int_equal(ext_connectex_check(sizeof a, NULL, sizeof a, data, 5, &n, &ov), WSAEFAULT);
    assert_int_equal(ext_connectex_check(sizeof a, sa, sizeof a, NULL, 5, &n, &ov), WSAEFAULT);
    void *bad = unmapped_page();
    assert_int_equal(ext_connectex_check(sizeof a, bad, sizeof a, data, 5, &n, &ov), WSAEFAULT);
    assert_int_equal(ext_connectex_check(sizeof a, sa, sizeof a, bad, 5, &n, &ov), WSAEFAULT);
    assert_int_equal(ext_connectex_check(sizeof a, sa, sizeof a, data, 5, bad, &ov), WSAEFAULT);
    munmap(bad, 4096);
}

static void disconnectex_checks(void **state)
{
    (void)state;
    assert_int_equal(ext_disconnectex_check(0, 0), 0);
    assert_int_equal(ext_disconnectex_check(TF_REUSE_SOCKET, 0), 0);
    assert_int_equal(ext_disconnectex_check(TF_DISCONNECT, 0), WSAEINVAL);
    assert_int_equal(ext_disconnectex_check(TF_WRITE_BEHIND, 0), WSAEINVAL);
    assert_int_equal(ext_disconnectex_check(0, 1), WSAEINVAL);
}

static void last_error_reported(void **state)
{
    (void)state;
    assert_true(ext_startup(NULL));
    last_error = 0;
    assert_int_equal(ext_fail_bool(WSAENOTSOCK), FALSE);
    assert_int_equal(last_error, WSAENOTSOCK);
    assert_int_equal(ext_fail_int(WSA_IO_PENDING), SOCKET_ERROR);
    assert_int_equal(last_error, WSA_IO_PENDING);
    WSATHREADID tid = {.ThreadHandle = (HANDLE)1, .Reserved = 1};
    assert_int_equal(ext_thread(NULL, &tid), 0); /* no routine: all zero */
    assert_null(tid.ThreadHandle);
    assert_int_equal(tid.Reserved, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_pointer_known),    cmocka_unit_test(get_pointer_errors),
        cmocka_unit_test(sockaddrs_round_trip), cmocka_unit_test(sockaddrs_bad_blocks),
        cmocka_unit_test(acceptex_checks),      cmocka_unit_test(connectex_checks),
        cmocka_unit_test(disconnectex_checks),  cmocka_unit_test(last_error_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
