/* SPDX-License-Identifier: MIT */
/* `wsp demo` (the README's first command) runs to a passing verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tool/lib/spawn.h"

static void tool_demo_passes(void **state)
{
    (void)state;
    const char *args[] = {"demo", NULL};
    struct proc p;
    int st = proc_run(&p, args);
    if (st != 0 || !strstr(p.out_buf.data, "Verdict: PASS ") ||
        strstr(p.out_buf.data, "[UNEXPECTED]"))
        fail_msg("wsp demo: status %d\n%s\n%s", st, p.out_buf.data, p.err_buf.data);
    /* The three parts and the key facts are in the transcript. */
    static const char *const facts[] = {
        "Part 1: ISO transport over TCP (itot), class 2",
        "Part 2:",
        "Part 3: TCP",
        "server: WSARecvDisconnect -> \"Goodbye, and thanks for all the data\"",
        "WSAENOPROTOOPT (C6",
        "negotiated class: 2",
        "negotiated class: 0",
    };
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++)
        if (!strstr(p.out_buf.data, facts[i]))
            fail_msg("'%s' missing from the transcript:\n%s", facts[i], p.out_buf.data);
    proc_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(tool_demo_passes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
