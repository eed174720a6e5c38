/* SPDX-License-Identifier: MIT */
/* common/addrstr: the sockaddr <-> UTF-16 text conversion both providers use,
 * with and without IPv6 zones (tcp passes ADDRSTR_SCOPE_ID, itot does not). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/addrstr.h"

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

static struct sockaddr_in6 v6(const char *addr, uint16_t port, uint32_t scope)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_scope_id = scope;
    assert_int_equal(inet_pton(AF_INET6, addr, &a.sin6_addr), 1);
    return a;
}

static void expect_text(const void *sa, DWORD len, unsigned flags, const char *want)
{
    WCHAR w[80];
    char got[80];
    DWORD n = 80;
    assert_int_equal(addrstr_to_text(sa, len, flags, w, &n), 0);
    narrow(w, got);
    assert_string_equal(got, want);
    assert_int_equal(n, strlen(want) + 1);
}

static void addrstr_to_text_forms(void **state)
{
    (void)state;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7f000001);
    expect_text(&a, sizeof a, 0, "127.0.0.1");
    a.sin_port = htons(102);
    expect_text(&a, sizeof a, 0, "127.0.0.1:102");
    struct sockaddr_in6 b = v6("fe80::1", 0, 3);
    expect_text(&b, sizeof b, ADDRSTR_SCOPE_ID, "fe80::1%3");
    expect_text(&b, sizeof b, 0, "fe80::1");
    b.sin6_port = htons(102);
    expect_text(&b, sizeof b, ADDRSTR_SCOPE_ID, "[fe80::1%3]:102");
    expect_text(&b, sizeof b, 0, "[fe80::1]:102");
}

static void addrstr_to_text_errors(void **state)
{
    (void)state;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    WCHAR w[80];
    DWORD n = 3;
    /* too small: WSAEFAULT and the length needed, terminator included */
    assert_int_equal(addrstr_to_text((struct sockaddr *)&a, sizeof a, 0, w, &n), WSAEFAULT);
    assert_int_equal(n, strlen("0.0.0.0") + 1);
    n = 80;
    assert_int_equal(addrstr_to_text((struct sockaddr *)&a, sizeof a - 1, 0, w, &n), WSAEFAULT);
    assert_int_equal(addrstr_to_text(NULL, sizeof a, 0, w, &n), WSAEFAULT);
    assert_int_equal(addrstr_to_text((struct sockaddr *)&a, sizeof a, 0, w, NULL), WSAEFAULT);
    a.sin_family = AF_UNIX;
    assert_int_equal(addrstr_to_text((struct sockaddr *)&a, sizeof a, 0, w, &n), WSAEINVAL);
}

static int from(const char *text, int af, unsigned flags, struct sockaddr_storage *ss, INT *len)
{
    WCHAR w[200];
    widen(text, w);
    *len = (INT)sizeof *ss;
    return addrstr_from_text(w, af, flags, (struct sockaddr *)ss, len);
}

static void addrstr_from_text_forms(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    INT len;
    assert_int_equal(from("10.1.2.3:102", AF_INET, 0, &ss, &len), 0);
    const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
    assert_int_equal(len, sizeof *a);
    assert_int_equal(ntohl(a->sin_addr.s_addr), 0x0a010203);
    assert_int_equal(ntohs(a->sin_port), 102);
    const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&ss;
    assert_int_equal(from("[::1]:8080", AF_INET6, 0, &ss, &len), 0);
    assert_int_equal(len, sizeof *b);
    assert_int_equal(ntohs(b->sin6_port), 8080);
    assert_int_equal(from("fe80::1%3", AF_INET6, ADDRSTR_SCOPE_ID, &ss, &len), 0);
    assert_int_equal(b->sin6_scope_id, 3);
    assert_int_equal(from("[fe80::1%4]:1", AF_INET6, ADDRSTR_SCOPE_ID, &ss, &len), 0);
    assert_int_equal(b->sin6_scope_id, 4);
    assert_int_equal(ntohs(b->sin6_port), 1);
}

static void addrstr_from_text_rejects(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    INT len;
    static const char *bad4[] = {"10.1.2", "10.1.2.3:", "10.1.2.3:65536", "10.1.2.3:x", "::1"};
    for (size_t i = 0; i < sizeof bad4 / sizeof bad4[0]; i++)
        assert_int_equal(from(bad4[i], AF_INET, ADDRSTR_SCOPE_ID, &ss, &len), WSAEINVAL);
    /* without ADDRSTR_SCOPE_ID a zone is not accepted */
    assert_int_equal(from("fe80::1%3", AF_INET6, 0, &ss, &len), WSAEINVAL);
    assert_int_equal(from("fe80::1%", AF_INET6, ADDRSTR_SCOPE_ID, &ss, &len), WSAEINVAL);
    assert_int_equal(from("[::1", AF_INET6, 0, &ss, &len), WSAEINVAL);
    assert_int_equal(from("::1", AF_UNIX, 0, &ss, &len), WSAEINVAL);
    char longest[80];
    memset(longest, '1', sizeof longest);
    longest[64] = '\0'; /* 64 characters: no room for the terminator */
    assert_int_equal(from(longest, AF_INET, 0, &ss, &len), WSAEINVAL);
    WCHAR wide[] = {'1', 0x100, 0};
    len = (INT)sizeof ss;
    assert_int_equal(addrstr_from_text(wide, AF_INET, 0, (struct sockaddr *)&ss, &len), WSAEINVAL);
    assert_int_equal(addrstr_from_text(NULL, AF_INET, 0, (struct sockaddr *)&ss, &len), WSAEFAULT);
}

static void addrstr_from_text_small_buffer(void **state)
{
    (void)state;
    WCHAR w[40];
    widen("::1", w);
    struct sockaddr_storage ss;
    INT len = (INT)sizeof(struct sockaddr_in6) - 1;
    assert_int_equal(addrstr_from_text(w, AF_INET6, 0, (struct sockaddr *)&ss, &len), WSAEFAULT);
    assert_int_equal(len, sizeof(struct sockaddr_in6));
    assert_int_equal(addrstr_from_text(w, AF_INET6, 0, NULL, &len), WSAEFAULT);
    assert_int_equal(addrstr_from_text(w, AF_INET6, 0, (struct sockaddr *)&ss, NULL), WSAEFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addrstr_to_text_forms),
        cmocka_unit_test(addrstr_to_text_errors),
        cmocka_unit_test(addrstr_from_text_forms),
        cmocka_unit_test(addrstr_from_text_rejects),
        cmocka_unit_test(addrstr_from_text_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
