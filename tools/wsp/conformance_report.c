/* SPDX-License-Identifier: MIT */
/* The clause table of `wsp conformance`: one row per clause (C1-C12,
 * D1-D12, and O1-O3 for overlapped calls), built from the results of the cases that check it.  A
 * clause fails when one of its cases failed, is not applicable when none of its cases applies (with
 * the reason of the case named after it), and passes otherwise. */
#include <stdio.h>
#include <string.h>

#include "conformance.h"
#include "exitcode.h"

static const char *const cf_clause_ids[] = {
    "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8",  "C9",  "C10", "C11", "C12", "D1", "D2",
    "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10", "D11", "D12", "O1",  "O2",  "O3"};
#define CF_CLAUSES (sizeof cf_clause_ids / sizeof cf_clause_ids[0])

/* Clauses no case can check on a provider, and why. */
static const struct {
    const char *id;
    const char *why;
} cf_not_provider[] = {
    {"D12", "a decision about the headers (compile time), not a property of a provider"},
};

struct cf_row {
    enum conf_status status;
    unsigned cases, passed, failed;
    const char *why; /* n/a */
};

/* Is id one of the space-separated ids in list? */
static bool cf_has_clause(const char *list, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, id, n) == 0)
            return true;
        p += len;
        p += strspn(p, " ");
    }
    return false;
}

static bool cf_primary(const char *list, const char *id)
{
    size_t n = strlen(id);
    return strncmp(list, id, n) == 0 && (list[n] == ' ' || list[n] == '\0');
}

static struct cf_row cf_row_of(const struct cf_run *run, const char *id)
{
    struct cf_row row = {.status = CONF_NA};
    for (size_t i = 0; i < conf_case_count; i++) {
        if (!cf_has_clause(conf_cases[i].clauses, id))
            continue;
        const struct conf_result *r = &run->results[i];
        if (r->status == CONF_NA) {
            if (row.why == NULL || cf_primary(conf_cases[i].clauses, id))
                row.why = r->detail;
            continue;
        }
        row.cases++;
        if (r->status == CONF_FAIL)
            row.failed++;
        else
            row.passed++;
    }
    if (row.cases > 0)
        row.status = row.failed > 0 ? CONF_FAIL : CONF_PASS;
    for (size_t i = 0; i < sizeof cf_not_provider / sizeof cf_not_provider[0]; i++)
        if (row.why == NULL && strcmp(cf_not_provider[i].id, id) == 0)
            row.why = cf_not_provider[i].why;
    if (row.status == CONF_NA && row.why == NULL)
        row.why = "no case of the suite checks it";
    return row;
}

static const char *const cf_status_text[] = {
    [CONF_PASS] = "pass", [CONF_FAIL] = "FAIL", [CONF_NA] = "n/a"};
static const char *const cf_status_json[] = {
    [CONF_PASS] = "pass", [CONF_FAIL] = "fail", [CONF_NA] = "not_applicable"};

static void cf_json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void cf_header_text(const struct cf_run *run)
{
    const struct conf_fixture *fx = &run->fx;
    printf("wsp conformance: WSPSendDisconnect of %s\n", run->module);
    printf("  started as catalog entry %lu%s: %s\n", (unsigned long)run->entry,
           run->installed ? "" : " (module not installed: --as)", run->description);
    printf("  address family %d, socket type %d, protocol %d; %s, %s\n", fx->af, fx->type,
           fx->protocol, fx->connectionless ? "connectionless" : "connection-oriented",
           fx->stream ? "byte stream" : "messages");
    if (fx->disc_data)
        printf("  disconnect data: yes, at most %u octets (%s)\n", fx->max_disc_data,
               run->disc_max_given ? "--disc-max" : "default; else give --disc-max");
    else
        printf("  disconnect data: no (XP1_DISCONNECT_DATA not set)\n");
    printf("  each case in a process of its own, time limit %.0f s; SPI level\n\n", run->timeout_s);
    printf("%-7s %-5s %-6s %s\n", "clause", "result", "cases", "observed / why");
}

static void cf_row_text(const struct cf_run *run, const char *id, const struct cf_row *row)
{
    char cases[16] = "";
    if (row->status != CONF_NA)
        snprintf(cases, sizeof cases, "%u/%u", row->passed, row->cases);
    if (row->status == CONF_NA)
        printf("%-7s %-6s %-6s %s\n", id, cf_status_text[row->status], "", row->why);
    else
        printf("%-7s %-6s %s\n", id, cf_status_text[row->status], cases);
    if (row->status != CONF_FAIL)
        return;
    for (size_t i = 0; i < conf_case_count; i++) {
        const struct conf_result *r = &run->results[i];
        if (r->status == CONF_FAIL && cf_has_clause(conf_cases[i].clauses, id))
            printf("          %s (%.2f s): %s\n", conf_cases[i].name, r->seconds, r->detail);
    }
}

static void cf_row_json(const struct cf_run *run, const char *id, const struct cf_row *row,
                        bool first)
{
    printf("%s\n    {\"clause\": \"%s\", \"result\": \"%s\"", first ? "" : ",", id,
           cf_status_json[row->status]);
    if (row->status == CONF_NA) {
        printf(", \"why\": ");
        cf_json_string(row->why);
    }
    printf(", \"cases\": [");
    bool first_case = true;
    for (size_t i = 0; i < conf_case_count; i++) {
        const struct conf_result *r = &run->results[i];
        if (!cf_has_clause(conf_cases[i].clauses, id))
            continue;
        printf("%s\n      {\"name\": \"%s\", \"result\": \"%s\", \"seconds\": %.3f, \"detail\": ",
               first_case ? "" : ",", conf_cases[i].name, cf_status_json[r->status], r->seconds);
        cf_json_string(r->detail);
        printf("}");
        first_case = false;
    }
    printf("]}");
}

int cf_report(const struct cf_run *run, bool json)
{
    unsigned passed = 0, failed = 0, na = 0;
    char failed_ids[CF_CLAUSES * 5] = ""; /* "C10 " per clause at most */
    size_t ids_len = 0;
    if (json) {
        printf("{\"module\": ");
        cf_json_string(run->module);
        printf(", \"entry\": %lu, \"installed\": %s, \"protocol\": ", (unsigned long)run->entry,
               run->installed ? "true" : "false");
        cf_json_string(run->description);
        printf(", \"disconnect_data\": %s, \"disc_max\": %u, \"timeout_seconds\": %.0f,"
               "\n  \"clauses\": [",
               run->fx.disc_data ? "true" : "false", run->fx.max_disc_data, run->timeout_s);
    } else {
        cf_header_text(run);
    }
    for (size_t c = 0; c < CF_CLAUSES; c++) {
        struct cf_row row = cf_row_of(run, cf_clause_ids[c]);
        if (json)
            cf_row_json(run, cf_clause_ids[c], &row, c == 0);
        else
            cf_row_text(run, cf_clause_ids[c], &row);
        passed += row.status == CONF_PASS;
        na += row.status == CONF_NA;
        if (row.status == CONF_FAIL) {
            failed++;
            int k = snprintf(failed_ids + ids_len, sizeof failed_ids - ids_len, "%s%s",
                             ids_len ? " " : "", cf_clause_ids[c]);
            if (k > 0 && (size_t)k < sizeof failed_ids - ids_len)
                ids_len += (size_t)k;
        }
    }
    if (json) {
        printf("],\n  \"passed\": %u, \"failed\": %u, \"not_applicable\": %u, \"failed_clauses\": ",
               passed, failed, na);
        cf_json_string(failed_ids);
        printf(", \"verdict\": \"%s\"}\n", failed ? "fail" : "pass");
    } else if (failed) {
        printf("\nVerdict: FAIL: %u of %u applicable clauses failed (%s)\n", failed,
               passed + failed, failed_ids);
    } else {
        printf("\nVerdict: PASS: all %u applicable clauses passed (%u not applicable)\n", passed,
               na);
    }
    return failed ? TOOL_EXIT_FAILURE : TOOL_EXIT_OK;
}
