/* SPDX-License-Identifier: MIT */
/* The whole send-disconnect conformance suite through trace: `wsp
 * conformance --entry CHAIN` over tcp and over itot must pass every
 * applicable clause, the overlapped ones (O1-O3) included, and the trace
 * file must show that the calls went through the layer (a run that bypassed
 * it would pass without a line).
 *
 * The tool plays ws2 itself, with socket handles of its own that libwsp's
 * completion ports cannot take: there trace passes overlapped calls through
 * unchanged (src/providers/trace/overlapped.c), and the O rows check that
 * this path keeps the rules. The layer's own overlapped engine is checked
 * through the real API by tests/unit/trace_overlapped. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain.h"
#include "tool/lib/json.h"
#include "tool/lib/spawn.h"

static struct chains ch;
/* The report being checked: freed by the teardown, also after a failure. */
static struct json *current;

static int free_report(void **state)
{
    (void)state;
    json_free(current);
    current = NULL;
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return chains_install(&ch);
}

static int group_teardown(void **state)
{
    (void)state;
    chains_remove(&ch);
    return 0;
}

static const char *str(const struct json *o, const char *key)
{
    const struct json *v = json_get(o, key);
    assert_non_null(v);
    assert_int_equal(v->type, JSON_STRING);
    return v->string;
}

static bool is_one_of(const char *clause, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(clause, *list) == 0)
            return true;
    return false;
}

/* Runs the suite on entry id; every clause passes or does not apply, and
 * every clause of must_pass (NULL-terminated) is there and passes. */
static void suite_passes(DWORD id, const char *const *must_pass)
{
    chains_trace_clear();
    char entry[16];
    snprintf(entry, sizeof entry, "%lu", (unsigned long)id);
    const char *const args[] = {"conformance", "--entry", entry, "--json", NULL};
    struct proc p;
    int status = proc_run(&p, args);
    struct json *j = current = json_parse(p.out_buf.data);
    if (j == NULL || status != 0)
        print_message("stdout: %s\nstderr: %s\n", p.out_buf.data, p.err_buf.data);
    proc_free(&p);
    assert_non_null(j);
    assert_string_equal(str(j, "verdict"), "pass");
    const struct json *list = json_get(j, "clauses");
    assert_non_null(list);
    int seen = 0;
    for (size_t i = 0; i < list->count; i++) {
        const char *res = str(list->items[i], "result");
        if (strcmp(res, "pass") != 0 && strcmp(res, "not_applicable") != 0)
            fail_msg("clause %s: %s", str(list->items[i], "clause"), res);
        seen += is_one_of(str(list->items[i], "clause"), must_pass) && strcmp(res, "pass") == 0;
    }
    int want = 0;
    while (must_pass[want] != NULL)
        want++;
    assert_int_equal(seen, want);
    assert_int_equal(status, 0);

    char *text = chains_trace_read();
    assert_true(chains_count_lines(text, "WSPStartup s=0 result=0") > 0);
    assert_true(chains_count_lines(text, "WSPSendDisconnect ") > 0);
    free(text);
}

static void suite_over_tcp(void **state)
{
    (void)state;
    /* D9: WSAENOPROTOOPT for data on tcp; O1-O3: the overlapped rules */
    static const char *const must[] = {"D9", "O1", "O2", "O3", NULL};
    suite_passes(ch.over_tcp, must);
}

static void suite_over_itot(void **state)
{
    (void)state;
    /* C3: the disconnect data arrives; O1-O3: the overlapped rules */
    static const char *const must[] = {"C3", "O1", "O2", "O3", NULL};
    suite_passes(ch.over_itot, must);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(suite_over_tcp, free_report),
        cmocka_unit_test_teardown(suite_over_itot, free_report),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
