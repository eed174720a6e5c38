/* SPDX-License-Identifier: MIT */
/* tcp provider: WSPAddressToString / WSPStringToAddress (WCHAR = UTF-16). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"

static struct conf_ctx ctx4 = {&tcp_fixtures[0], &conf_level_spi};
#define P (conf_spi_procs())

static void widen(const char *s, WCHAR *w)
{
    do
        *w++ = (WCHAR)(unsigned char)*s;
    while (*s++);
}

static void narrow(const WCHAR *w, char *s)
{
    do
        *s++ = (char)*w;
    while (*w++);
}

static void to_string(const struct sockaddr *sa, DWORD len, const char *expect)
{
    WCHAR w[80];
    char got[80];
    DWORD n = 80;
    int err = 0;
    assert_int_equal(P->lpWSPAddressToString((LPSOCKADDR)sa, len, NULL, w, &n, &err), 0);
    narrow(w, got);
    assert_string_equal(got, expect);
    assert_int_equal(n, strlen(expect) + 1);
}

static void tcp_addr_to_string(void **state)
{
    (void)state;
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(102)};
    inet_pton(AF_INET, "192.0.2.7", &in.sin_addr);
    to_string((struct sockaddr *)&in, sizeof in, "192.0.2.7:102");
    in.sin_port = 0;
    to_string((struct sockaddr *)&in, sizeof in, "192.0.2.7");
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(8080)};
    inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
    to_string((struct sockaddr *)&in6, sizeof in6, "[2001:db8::1]:8080");
    in6.sin6_port = 0;
    to_string((struct sockaddr *)&in6, sizeof in6, "2001:db8::1");
}

static void tcp_addr_to_string_small_buffer(void **state)
{
    (void)state;
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(102)};
    inet_pton(AF_INET, "192.0.2.7", &in.sin_addr);
    WCHAR w[4];
    DWORD n = 4;
    int err = 0;
    assert_int_equal(P->lpWSPAddressToString((LPSOCKADDR)&in, sizeof in, NULL, w, &n, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(n, strlen("192.0.2.7:102") + 1);
    n = 80;
    assert_int_equal(P->lpWSPAddressToString((LPSOCKADDR)&in, 4, NULL, w, &n, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
}

static int from_string(const char *s, int af, struct sockaddr_storage *ss, int *len, int *err)
{
    WCHAR w[80];
    widen(s, w);
    *len = sizeof *ss;
    return P->lpWSPStringToAddress(w, af, NULL, (LPSOCKADDR)ss, len, err);
}

static void tcp_string_to_addr(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    int len, err = 0;
    assert_int_equal(from_string("127.0.0.1:102", AF_INET, &ss, &len, &err), 0);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    assert_int_equal(len, sizeof *in);
    assert_int_equal(in->sin_family, AF_INET);
    assert_int_equal(ntohs(in->sin_port), 102);
    assert_int_equal(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);

    assert_int_equal(from_string("[::1]:443", AF_INET6, &ss, &len, &err), 0);
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    assert_int_equal(len, sizeof *in6);
    assert_int_equal(ntohs(in6->sin6_port), 443);
    assert_memory_equal(&in6->sin6_addr, &in6addr_loopback, sizeof in6addr_loopback);
    assert_int_equal(from_string("fe80::1%3", AF_INET6, &ss, &len, &err), 0);
    assert_int_equal(in6->sin6_scope_id, 3);
    assert_int_equal(in6->sin6_port, 0);
}

static void tcp_string_to_addr_rejects(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int af;
    } bad[] = {{"127.0.0.1:", AF_INET}, {"127.0.0.1:70000", AF_INET},
               {"300.1.1.1", AF_INET},  {"::1", AF_INET},
               {"[::1", AF_INET6},      {"[::1]:x", AF_INET6},
               {"1.2.3.4", 77},         {"", AF_INET}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sockaddr_storage ss;
        int len, err = 0;
        assert_int_equal(from_string(bad[i].s, bad[i].af, &ss, &len, &err), SOCKET_ERROR);
        assert_int_equal(err, WSAEINVAL);
    }
    struct sockaddr_in in;
    int len = 4, err = 0; /* too small for a sockaddr_in */
    WCHAR w[20];
    widen("10.0.0.1", w);
    assert_int_equal(P->lpWSPStringToAddress(w, AF_INET, NULL, (LPSOCKADDR)&in, &len, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(len, sizeof in);
}

static void tcp_addr_roundtrip(void **state)
{
    (void)state;
    const char *forms[] = {"10.1.2.3:65535", "0.0.0.0", "[2001:db8::42]:1", "::"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        struct sockaddr_storage ss;
        int len, err = 0;
        int af = forms[i][0] == '[' || strchr(forms[i], ':') != strrchr(forms[i], ':') ? AF_INET6
                                                                                       : AF_INET;
        assert_int_equal(from_string(forms[i], af, &ss, &len, &err), 0);
        to_string((struct sockaddr *)&ss, (DWORD)len, forms[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(tcp_addr_to_string, conf_setup, conf_teardown,
                                                 &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_addr_to_string_small_buffer, conf_setup,
                                                 conf_teardown, &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_string_to_addr, conf_setup, conf_teardown,
                                                 &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_string_to_addr_rejects, conf_setup,
                                                 conf_teardown, &ctx4),
        cmocka_unit_test_prestate_setup_teardown(tcp_addr_roundtrip, conf_setup, conf_teardown,
                                                 &ctx4),
    };
    return cmocka_run_group_tests_name("tcp_address", tests, NULL, NULL);
}
