/* SPDX-License-Identifier: MIT */
/* The assertions of the clause tests, compiled two ways from the same source:
 *   - CONF_WITH_CMOCKA (the ctest programs): cmocka's own asserts, so each
 *     clause stays a named cmocka test;
 *   - otherwise (`wsp conformance`): a failure formats what was observed and
 *     ends the forked child that runs the case (check.c), so the tool needs
 *     no test framework at run time.
 * Test bodies and helpers use only these macros. */
#ifndef WSP_CONF_CHECK_H
#define WSP_CONF_CHECK_H

#ifdef CONF_WITH_CMOCKA

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <stdint.h>

#include <cmocka.h>

#define conf_assert_eq(a, b) assert_int_equal((a), (b))
#define conf_assert_ne(a, b) assert_int_not_equal((a), (b))
#define conf_assert_true(x) assert_true(x)
#define conf_assert_false(x) assert_false(x)
#define conf_assert_mem_eq(a, b, n) assert_memory_equal((a), (b), (n))
#define conf_assert_msg(x, ...)                                                                    \
    do {                                                                                           \
        if (!(x))                                                                                  \
            fail_msg(__VA_ARGS__);                                                                 \
    } while (0)
/* The case cannot be checked here (cmocka reports it as skipped). */
#define conf_skip(...) skip()
/* What the case is doing now: only the tool shows it (after a hang or crash). */
#define conf_note(...) ((void)0)

#else

#include <stddef.h>
#include <string.h>

_Noreturn void conf_fail_eq(const char *file, int line, const char *ea, long long a, const char *eb,
                            long long b, int want_equal);
_Noreturn void conf_fail_true(const char *file, int line, const char *expr, int want);
_Noreturn void conf_fail_mem(const char *file, int line, const char *ea, const void *a,
                             const void *b, size_t n);
_Noreturn void conf_fail_msg(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn void conf_skip_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void conf_note_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define conf_assert_eq(a, b)                                                                       \
    do {                                                                                           \
        long long conf_a_ = (long long)(a), conf_b_ = (long long)(b);                              \
        if (conf_a_ != conf_b_)                                                                    \
            conf_fail_eq(__FILE__, __LINE__, #a, conf_a_, #b, conf_b_, 1);                         \
    } while (0)
#define conf_assert_ne(a, b)                                                                       \
    do {                                                                                           \
        long long conf_a_ = (long long)(a), conf_b_ = (long long)(b);                              \
        if (conf_a_ == conf_b_)                                                                    \
            conf_fail_eq(__FILE__, __LINE__, #a, conf_a_, #b, conf_b_, 0);                         \
    } while (0)
#define conf_assert_true(x)                                                                        \
    do {                                                                                           \
        if (!(x))                                                                                  \
            conf_fail_true(__FILE__, __LINE__, #x, 1);                                             \
    } while (0)
#define conf_assert_false(x)                                                                       \
    do {                                                                                           \
        if (x)                                                                                     \
            conf_fail_true(__FILE__, __LINE__, #x, 0);                                             \
    } while (0)
#define conf_assert_mem_eq(a, b, n)                                                                \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0)                                                            \
            conf_fail_mem(__FILE__, __LINE__, #a, (a), (b), (n));                                  \
    } while (0)
#define conf_assert_msg(x, ...)                                                                    \
    do {                                                                                           \
        if (!(x))                                                                                  \
            conf_fail_msg(__FILE__, __LINE__, __VA_ARGS__);                                        \
    } while (0)
#define conf_skip(...) conf_skip_msg(__VA_ARGS__)
#define conf_note(...) conf_note_msg(__VA_ARGS__)

#endif

#endif
