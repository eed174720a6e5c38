/* SPDX-License-Identifier: MIT */
/* `wsp conformance` catches broken providers: each module built from
 * broken.c breaks one thing in WSPSendDisconnect, and the run must fail the
 * clause that forbids it, say what it observed, go on with the other cases,
 * and end within a bounded time.  The real tcp and itot modules must pass,
 * installed (--entry) and not (MODULE --as). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tool/lib/json.h"
#include "tool/lib/spawn.h"

/* A whole run takes a few seconds; this bound is far above that and below
 * the spawn guard, so a runner that waits on a hung case fails here. */
#define RUN_BOUND_S 25.0

struct run {
    int status;
    double seconds;
    struct json *j;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The report being checked: freed by the teardown, also after a failure. */
static struct json *current;

static int free_report(void **state)
{
    (void)state;
    json_free(current);
    current = NULL;
    return 0;
}

static void run_tool(struct run *r, const char *const args[])
{
    free_report(NULL);
    struct proc p;
    double t0 = now();
    r->status = proc_run(&p, args);
    r->seconds = now() - t0;
    r->j = current = json_parse(p.out_buf.data);
    if (r->j == NULL)
        fail_msg("no JSON from wsp conformance (status %d)\nstdout: %s\nstderr: %s", r->status,
                 p.out_buf.data, p.err_buf.data);
    proc_free(&p);
    assert_true(r->seconds < RUN_BOUND_S);
}

static void run_entry(struct run *r, const char *entry)
{
    const char *const args[] = {"conformance", "--entry", entry, "--json", NULL};
    run_tool(r, args);
}

static void run_module(struct run *r, const char *module, const char *as, const char *timeout)
{
    const char *const args[] = {"conformance", module,      "--as",  as,
                                "--json",      "--timeout", timeout, NULL};
    run_tool(r, args);
}

static const char *str(const struct json *o, const char *key)
{
    const struct json *v = json_get(o, key);
    if (v == NULL || v->type != JSON_STRING)
        fail_msg("key '%s' missing or not a string", key);
    return v->string;
}

static const struct json *clause(const struct run *r, const char *id)
{
    const struct json *list = json_get(r->j, "clauses");
    assert_non_null(list);
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(str(list->items[i], "clause"), id) == 0)
            return list->items[i];
    fail_msg("clause %s not in the report", id);
    return NULL;
}

static const char *result(const struct run *r, const char *id)
{
    return str(clause(r, id), "result");
}

/* One of the failing cases of the clause says `observed`. */
static bool caught(const struct run *r, const char *id, const char *observed)
{
    const struct json *cases = json_get(clause(r, id), "cases");
    for (size_t i = 0; i < cases->count; i++)
        if (strcmp(str(cases->items[i], "result"), "fail") == 0 &&
            strstr(str(cases->items[i], "detail"), observed) != NULL)
            return true;
    return false;
}

/* The run failed, the clause failed, and one of its failing cases says
 * `observed`. */
static void expect_caught(const struct run *r, const char *id, const char *observed)
{
    assert_int_equal(r->status, 1);
    assert_string_equal(str(r->j, "verdict"), "fail");
    assert_string_equal(result(r, id), "fail");
    if (!caught(r, id, observed))
        fail_msg("no failing case of %s says '%s'", id, observed);
}

static void expect_all_pass(const struct run *r)
{
    assert_int_equal(r->status, 0);
    assert_string_equal(str(r->j, "verdict"), "pass");
    const struct json *list = json_get(r->j, "clauses");
    assert_int_equal(list->count, 27); /* C1-C12, D1-D12, O1-O3 */
    for (size_t i = 0; i < list->count; i++) {
        const char *res = str(list->items[i], "result");
        if (strcmp(res, "pass") != 0 && strcmp(res, "not_applicable") != 0)
            fail_msg("%s: %s", str(list->items[i], "clause"), res);
    }
}

static void done(struct run *r)
{
    r->j = NULL; /* current still owns it */
}

/* ---- the real providers pass ------------------------------------------------ */
static void real_entries_pass(void **state)
{
    (void)state;
    static const char *const entries[] = {"1001", "1002", "1003", "1004", "1005", "1006"};
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        struct run r;
        run_entry(&r, entries[i]);
        expect_all_pass(&r);
        assert_true(json_get(r.j, "installed")->boolean);
        /* Not applicable, and why: disconnect data decides C3 against C6. */
        bool itot = strcmp(entries[i], "1005") >= 0, stream = !itot && (i % 2) == 0;
        if (itot) {
            assert_string_equal(result(&r, "C3"), "pass");
            assert_string_equal(result(&r, "C6"), "not_applicable");
        } else if (stream) {
            assert_string_equal(result(&r, "C3"), "not_applicable");
            assert_non_null(strstr(str(clause(&r, "C3"), "why"), "XP1_DISCONNECT_DATA"));
            assert_string_equal(result(&r, "C6"), "pass");
        } else {
            assert_string_equal(result(&r, "D8"), "pass");
            assert_string_equal(result(&r, "C1"), "not_applicable");
        }
        done(&r);
    }
}

static void real_module_not_installed_passes(void **state)
{
    (void)state;
    struct run r;
    run_module(&r, WSP_BUILD_MODULE_DIR "/wsp_itot.so", "1006", "10");
    expect_all_pass(&r);
    assert_false(json_get(r.j, "installed")->boolean);
    assert_string_equal(result(&r, "C3"), "pass");
    done(&r);
}

/* ---- broken providers are caught, clause by clause ---------------------------- */
static void broken_drop_data_fails_c3(void **state)
{
    (void)state;
    struct run r;
    run_module(&r, BROKEN_DIR "/wsp_broken_drop_data.so", "1005", "10");
    expect_caught(&r, "C3", "64 were sent");
    assert_string_equal(result(&r, "C1"), "pass"); /* only what is broken fails */
    done(&r);
    /* Without disconnect data the same bug is a success where WSAENOPROTOOPT
     * is due. */
    run_module(&r, BROKEN_DIR "/wsp_broken_drop_data.so", "1001", "10");
    expect_caught(&r, "C6", "WSAENOPROTOOPT");
    done(&r);
}

static void broken_slow_fails_c11(void **state)
{
    (void)state;
    struct run r;
    run_module(&r, BROKEN_DIR "/wsp_broken_slow.so", "1001", "10");
    expect_caught(&r, "C11", "WSPSendDisconnect took");
    assert_string_equal(result(&r, "C1"), "pass");
    done(&r);
}

static void broken_hang_fails_c11_and_run_goes_on(void **state)
{
    (void)state;
    struct run r;
    run_module(&r, BROKEN_DIR "/wsp_broken_hang.so", "1005", "3");
    expect_caught(&r, "C11", "did not finish within 3 s");
    expect_caught(&r, "C11", "inside WSPSendDisconnect"); /* where it hung */
    /* The cases after it ran and passed. */
    assert_string_equal(result(&r, "C12"), "pass");
    assert_string_equal(result(&r, "D7"), "pass");
    done(&r);
}

static void broken_unknown_ok_fails_c5(void **state)
{
    (void)state;
    struct run r;
    run_module(&r, BROKEN_DIR "/wsp_broken_unknown_ok.so", "1001", "10");
    expect_caught(&r, "C5", "WSAENOTSOCK");
    assert_string_equal(result(&r, "C4"), "pass");
    done(&r);
}

static void broken_noop_fails_c1_c2(void **state)
{
    (void)state;
    struct run r;
    /* Nothing ends: every case that waits for the peer's end is stopped by
     * its time limit, kept short here. */
    run_module(&r, BROKEN_DIR "/wsp_broken_noop.so", "1001", "2");
    expect_caught(&r, "C1", "waiting in recv"); /* for an end that never comes */
    expect_caught(&r, "C2", "WSAESHUTDOWN");
    done(&r);
}

static void broken_crash_fails_d4_and_run_goes_on(void **state)
{
    (void)state;
    struct run r;
    run_module(&r, BROKEN_DIR "/wsp_broken_crash.so", "1005", "10");
    /* The SIGSEGV kills the child; under a sanitizer its handler reports
     * the crash and exits instead: the same failure, seen from outside. */
    assert_int_equal(r.status, 1);
    assert_string_equal(result(&r, "D4"), "fail");
    if (!caught(&r, "D4", "crashed: signal 11") &&
        !caught(&r, "D4", "without a verdict (a sanitizer"))
        fail_msg("D4 failed, but not by the crash");
    assert_string_equal(result(&r, "D5"), "pass");
    done(&r);
}

/* ---- the text form: one row per clause, n/a with why, then the verdict ---- */
static void text_table_has_every_clause(void **state)
{
    (void)state;
    static const char *const ids[] = {"C1",  "C2",  "C3",  "C4",  "C5",  "C6",  "C7", "C8", "C9",
                                      "C10", "C11", "C12", "D1",  "D2",  "D3",  "D4", "D5", "D6",
                                      "D7",  "D8",  "D9",  "D10", "D11", "D12", "O1", "O2", "O3"};
    const char *const args[] = {"conformance", "--entry", "1001", NULL};
    struct proc p;
    assert_int_equal(proc_run(&p, args), 0);
    const char *out = p.out_buf.data;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char row[16];
        snprintf(row, sizeof row, "\n%-7s ", ids[i]);
        if (strstr(out, row) == NULL)
            fail_msg("no row for %s in:\n%s", ids[i], out);
    }
    assert_non_null(strstr(out, "\nC6      pass"));
    assert_non_null(strstr(out, "\nC3      n/a           no disconnect data"));
    assert_non_null(strstr(out, "\nVerdict: PASS: all 23 applicable clauses passed"));
    proc_free(&p);
}

/* ---- bad input: a one-line error, exit status 2, nothing run --------------- */
static void bad_arguments_exit_2(void **state)
{
    (void)state;
    static const struct {
        const char *args[8];
        const char *says;
    } bad[] = {
        {{"conformance", NULL}, "give --entry ID, or MODULE --as ID"},
        {{"conformance", "--entry", "4242", NULL}, "no catalog entry 4242"},
        {{"conformance", "--entry", "x", NULL}, "--entry: 'x' is not a number"},
        {{"conformance", "--entry", "1001", "--as", "1001", NULL}, "one of --entry and --as"},
        {{"conformance", "--as", "1005", NULL}, "--as ID needs the MODULE"},
        {{"conformance", BROKEN_DIR "/no_such_module.so", "--as", "1005", NULL},
         "cannot use module"},
        {{"conformance", "--entry", "1001", "--disc-max", "16", NULL},
         "does not claim disconnect data"},
        {{"conformance", "--entry", "1005", "--timeout", "0", NULL}, "--timeout: '0'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct proc p;
        int status = proc_run(&p, bad[i].args);
        if (status != 2 || strstr(p.err_buf.data, bad[i].says) == NULL ||
            strncmp(p.err_buf.data, "wsp: ", 5) != 0 || p.out_buf.len != 0)
            fail_msg("case %zu: status %d, stderr: %s", i, status, p.err_buf.data);
        proc_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(real_entries_pass, free_report),
        cmocka_unit_test_teardown(real_module_not_installed_passes, free_report),
        cmocka_unit_test_teardown(broken_drop_data_fails_c3, free_report),
        cmocka_unit_test_teardown(broken_slow_fails_c11, free_report),
        cmocka_unit_test_teardown(broken_hang_fails_c11_and_run_goes_on, free_report),
        cmocka_unit_test_teardown(broken_unknown_ok_fails_c5, free_report),
        cmocka_unit_test_teardown(broken_noop_fails_c1_c2, free_report),
        cmocka_unit_test_teardown(broken_crash_fails_d4_and_run_goes_on, free_report),
        cmocka_unit_test(text_table_has_every_clause),
        cmocka_unit_test(bad_arguments_exit_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
