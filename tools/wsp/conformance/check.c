/* SPDX-License-Identifier: MIT */
/* conf_check.h for `wsp conformance`: a failed assertion becomes one line
 * saying what was observed (values, with Winsock error names), and ends the
 * child that runs the case (runner.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <wsp/winsock2.h>

#include "conf_check.h"
#include "runner.h"

/* The codes the clauses speak of, so a report reads "WSAENOTCONN", not
 * "10057". */
static const struct {
    long long code;
    const char *name;
} check_names[] = {
    {WSAEINTR, "WSAEINTR"},
    {WSAEFAULT, "WSAEFAULT"},
    {WSAEINVAL, "WSAEINVAL"},
    {WSAEWOULDBLOCK, "WSAEWOULDBLOCK"},
    {WSAEINPROGRESS, "WSAEINPROGRESS"},
    {WSAEALREADY, "WSAEALREADY"},
    {WSAENOTSOCK, "WSAENOTSOCK"},
    {WSAEMSGSIZE, "WSAEMSGSIZE"},
    {WSAENOPROTOOPT, "WSAENOPROTOOPT"},
    {WSAEOPNOTSUPP, "WSAEOPNOTSUPP"},
    {WSAENETDOWN, "WSAENETDOWN"},
    {WSAECONNABORTED, "WSAECONNABORTED"},
    {WSAECONNRESET, "WSAECONNRESET"},
    {WSAENOBUFS, "WSAENOBUFS"},
    {WSAEISCONN, "WSAEISCONN"},
    {WSAENOTCONN, "WSAENOTCONN"},
    {WSAESHUTDOWN, "WSAESHUTDOWN"},
    {WSAETIMEDOUT, "WSAETIMEDOUT"},
    {WSAECONNREFUSED, "WSAECONNREFUSED"},
    {WSAEDISCON, "WSAEDISCON"},
    {WSANOTINITIALISED, "WSANOTINITIALISED"},
    {WSAEPROVIDERFAILEDINIT, "WSAEPROVIDERFAILEDINIT"},
};

/* "10057 (WSAENOTCONN)", "-1 (SOCKET_ERROR)", or just the number. */
static void check_value(char *out, size_t cap, long long v)
{
    for (size_t i = 0; i < sizeof check_names / sizeof check_names[0]; i++)
        if (check_names[i].code == v) {
            snprintf(out, cap, "%lld (%s)", v, check_names[i].name);
            return;
        }
    snprintf(out, cap, v == SOCKET_ERROR ? "%lld (SOCKET_ERROR)" : "%lld", v);
}

static const char *check_base(const char *file)
{
    const char *b = strrchr(file, '/');
    return b ? b + 1 : file;
}

_Noreturn void conf_fail_eq(const char *file, int line, const char *ea, long long a, const char *eb,
                            long long b, int want_equal)
{
    char va[64], vb[64], text[CONF_DETAIL_MAX];
    check_value(va, sizeof va, a);
    check_value(vb, sizeof vb, b);
    if (want_equal && strstr(vb, eb) != NULL) /* "WSAEFAULT" already in "10014 (WSAEFAULT)" */
        snprintf(text, sizeof text, "%s is %s, expected %s [%s:%d]", ea, va, vb, check_base(file),
                 line);
    else if (want_equal)
        snprintf(text, sizeof text, "%s is %s, expected %s (%s) [%s:%d]", ea, va, vb, eb,
                 check_base(file), line);
    else
        snprintf(text, sizeof text, "%s is %s, expected anything else [%s:%d]", ea, va,
                 check_base(file), line);
    conf_child_end(CONF_FAIL, text);
}

_Noreturn void conf_fail_true(const char *file, int line, const char *expr, int want)
{
    char text[CONF_DETAIL_MAX];
    snprintf(text, sizeof text, "expected %s to be %s [%s:%d]", expr, want ? "true" : "false",
             check_base(file), line);
    conf_child_end(CONF_FAIL, text);
}

_Noreturn void conf_fail_mem(const char *file, int line, const char *ea, const void *a,
                             const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    size_t i = 0;
    while (i < n && x[i] == y[i])
        i++;
    char text[CONF_DETAIL_MAX];
    snprintf(text, sizeof text, "%s differs at octet %zu of %zu: 0x%02x, expected 0x%02x [%s:%d]",
             ea, i, n, x[i], y[i], check_base(file), line);
    conf_child_end(CONF_FAIL, text);
}

_Noreturn void conf_fail_msg(const char *file, int line, const char *fmt, ...)
{
    char msg[CONF_DETAIL_MAX - 32], text[CONF_DETAIL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(text, sizeof text, "%s [%s:%d]", msg, check_base(file), line);
    conf_child_end(CONF_FAIL, text);
}

_Noreturn void conf_skip_msg(const char *fmt, ...)
{
    char text[CONF_DETAIL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    conf_child_end(CONF_NA, text);
}

void conf_note_msg(const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    conf_child_note(text);
}
