/* SPDX-License-Identifier: MIT */
/* wsp conformance: the WSPSendDisconnect clause tests (the same code as the
 * project's SPI-level conformance tests) against any provider, an installed
 * catalog entry (--entry ID) or a module not installed yet (MODULE --as ID:
 * started with entry ID's protocol info).  Each case runs in a child of its
 * own with a time limit, so a provider that hangs or crashes fails that case
 * and the run goes on. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "conformance.h"
#include "exitcode.h"
#include "report.h"

#define CF_TIMEOUT_DEFAULT 10.0

static void cf_help(void)
{
    printf("Usage: wsp conformance --entry ID [OPTIONS]\n"
           "       wsp conformance MODULE --as ID [OPTIONS]\n\n"
           "Checks a provider's WSPSendDisconnect clause by clause (C1-C12, D1-D12, O1-O3 of\n"
           "docs/conformance.md) at the SPI level: the tool loads the module, calls its\n"
           "WSPStartup with the catalog entry's protocol info and its own upcalls, and runs\n"
           "each case on loopback in a process of its own with a time limit. A table says\n"
           "per clause: pass, FAIL (with what was observed) or n/a (with why).\n\n"
           "  --entry ID       check the installed catalog entry ID (see 'wsp catalog')\n"
           "  MODULE --as ID   check the module file MODULE (not installed yet), started\n"
           "                   with catalog entry ID's protocol info\n"
           "  --disc-max N     the most disconnect data the protocol carries (default %d,\n"
           "                   ISO 8073's DR limit, when the entry has XP1_DISCONNECT_DATA)\n"
           "  --timeout S      time limit of each case in seconds (default %.0f)\n"
           "  --json           one JSON object (keys in 'man wsp')\n"
           "  --help           this text\n\n"
           "Exit status 0 only when every applicable clause passed, 1 when one failed or\n"
           "the provider could not be started, 2 for bad arguments.\n",
           CF_DISC_MAX_DEFAULT, CF_TIMEOUT_DEFAULT);
}

static int cf_number(const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
        report_error("conformance: %s: '%s' is not a number from %ld to %ld", opt, text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* Options into run; MODULE into *module.  0, or an exit status. */
static int cf_parse(int argc, char **argv, struct cf_run *run, const char **module, bool *json)
{
    static const struct option opts[] = {{"entry", required_argument, NULL, 'e'},
                                         {"as", required_argument, NULL, 'a'},
                                         {"disc-max", required_argument, NULL, 'd'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    bool entry = false, as = false;
    long v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
        case 'a':
            if (entry || as) {
                report_error("conformance: give one of --entry and --as, once");
                return TOOL_EXIT_USAGE;
            }
            if (cf_number(c == 'e' ? "--entry" : "--as", optarg, 1, 0xFFFFFFFFL, &v))
                return TOOL_EXIT_USAGE;
            run->entry = (DWORD)v;
            entry = c == 'e';
            as = c == 'a';
            break;
        case 'd':
            if (cf_number("--disc-max", optarg, 1, 1024, &v))
                return TOOL_EXIT_USAGE;
            run->disc_max = (unsigned)v;
            run->disc_max_given = true;
            break;
        case 't':
            if (cf_number("--timeout", optarg, 1, 3600, &v))
                return TOOL_EXIT_USAGE;
            run->timeout_s = (double)v;
            break;
        case 'j':
            *json = true;
            break;
        case 'h':
            cf_help();
            return -1;
        default:
            report_error("conformance: unknown option or missing value '%s' (try 'wsp "
                         "conformance --help')",
                         argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    *module = optind < argc ? argv[optind] : NULL;
    if (optind + (*module != NULL) < argc) {
        report_error("conformance: unexpected argument '%s'", argv[optind + 1]);
        return TOOL_EXIT_USAGE;
    }
    if (!entry && !as) {
        report_error("conformance: give --entry ID, or MODULE --as ID (try 'wsp conformance "
                     "--help')");
        return TOOL_EXIT_USAGE;
    }
    if (as != (*module != NULL)) {
        report_error(as ? "conformance: --as ID needs the MODULE to check"
                        : "conformance: MODULE needs --as ID (the entry whose protocol info "
                          "starts it)");
        return TOOL_EXIT_USAGE;
    }
    run->installed = entry;
    return TOOL_EXIT_OK;
}

static int cf_module_path(struct cf_run *run, const char *module)
{
    /* Absolute, so that dlopen loads this file and searches nothing. */
    if (realpath(module, run->module) == NULL) {
        report_error("conformance: cannot use module '%s': %s", module, strerror(errno));
        return TOOL_EXIT_USAGE;
    }
    return TOOL_EXIT_OK;
}

int cmd_conformance(int argc, char **argv)
{
    struct cf_run run = {.timeout_s = CF_TIMEOUT_DEFAULT};
    const char *module = NULL;
    bool json = false;
    int rc = cf_parse(argc, argv, &run, &module, &json);
    if (rc != TOOL_EXIT_OK)
        return rc < 0 ? TOOL_EXIT_OK : rc;
    if (module != NULL && (rc = cf_module_path(&run, module)) != TOOL_EXIT_OK)
        return rc;
    if ((rc = cf_lookup_entry(&run, module == NULL)) != TOOL_EXIT_OK)
        return rc;
    if ((rc = cf_make_fixture(&run)) != TOOL_EXIT_OK)
        return rc;
    run.results = calloc(conf_case_count, sizeof *run.results);
    if (run.results == NULL) {
        report_error("conformance: out of memory");
        return TOOL_EXIT_FAILURE;
    }
    struct conf_result pre;
    if (conf_run_preflight(&run.ctx, run.timeout_s, &pre) != 0) {
        report_error("conformance: cannot check %s: %s", run.module, pre.detail);
        free(run.results);
        return TOOL_EXIT_FAILURE;
    }
    for (size_t i = 0; i < conf_case_count; i++) {
        const char *why = conf_case_not_applicable(&run.ctx, &conf_cases[i]);
        if (why != NULL) {
            run.results[i].status = CONF_NA;
            snprintf(run.results[i].detail, sizeof run.results[i].detail, "%s", why);
            continue;
        }
        conf_run_case(&run.ctx, &conf_cases[i], run.timeout_s, &run.results[i]);
    }
    rc = cf_report(&run, json);
    free(run.results);
    return rc;
}
