/* SPDX-License-Identifier: MIT */
/* The MSG_* flags a ported program passes, under WSP_WINSOCK_NAMES: they must
 * carry Winsock's values (winsock2.h: MSG_OOB 0x1, MSG_PEEK 0x2,
 * MSG_DONTROUTE 0x4, MSG_WAITALL 0x8), which providers understand, and not
 * libc's where the two differ (Linux's MSG_WAITALL is 0x100, which a provider
 * refuses with WSAEOPNOTSUPP as an unknown bit). Run on a tcp pair. */
#define WSP_WINSOCK_NAMES
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wsp/winsock2.h>

_Static_assert(MSG_OOB == 0x1 && MSG_PEEK == 0x2 && MSG_DONTROUTE == 0x4 && MSG_WAITALL == 0x8,
               "Winsock's MSG_* values");

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

static void tcp_pair(SOCKET *c, SOCKET *a)
{
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
    *c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_int_equal(connect(*c, (struct sockaddr *)&sa, sizeof sa), 0);
    *a = accept(l, NULL, NULL);
    assert_true(*a != INVALID_SOCKET);
    assert_int_equal(closesocket(l), 0);
}

/* recv(MSG_WAITALL) fills the whole buffer from two sends; MSG_PEEK leaves
 * the data for the next call. */
static void waitall_and_peek(void **state)
{
    (void)state;
    SOCKET c, a;
    tcp_pair(&c, &a);
    assert_int_equal(send(c, "hello", 5, 0), 5);
    assert_int_equal(send(c, "world", 5, 0), 5);
    char buf[16];
    assert_int_equal(recv(a, buf, 3, MSG_PEEK), 3);
    assert_memory_equal(buf, "hel", 3);
    assert_int_equal(recv(a, buf, 10, MSG_WAITALL), 10);
    assert_memory_equal(buf, "helloworld", 10);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(a), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(waitall_and_peek),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
