/* SPDX-License-Identifier: MIT */
/* wsp conformance: what the command's three parts share.  conformance.c
 * parses the arguments and runs the cases, conformance_fixture.c turns a
 * catalog entry into the suite's fixture, conformance_report.c prints the
 * clause table (text or JSON). */
#ifndef WSP_TOOL_CONFORMANCE_H
#define WSP_TOOL_CONFORMANCE_H

#include <stdbool.h>

#include <wsp/ws2spi.h>

#include "conf.h"
#include "runner.h"

#define CF_PATH_MAX 4096

/* ISO 8073's limit on DR user data, the protocol family XP1_DISCONNECT_DATA
 * exists for; the catalog has no field for it, so another limit is given
 * with --disc-max. */
#define CF_DISC_MAX_DEFAULT 64

struct cf_run {
    /* what is checked */
    WSAPROTOCOL_INFOW info;
    DWORD entry;
    bool installed; /* --entry (the catalog's module) or MODULE --as */
    char module[CF_PATH_MAX];
    char description[WSAPROTOCOL_LEN * 3 + 1];
    unsigned disc_max;
    bool disc_max_given;
    double timeout_s;
    /* how */
    struct conf_fixture fx;
    struct conf_ctx ctx;
    struct conf_result *results; /* one per conf_cases[] entry */
};

/* The catalog entry `entry` and its module's path (WSAEnumProtocolsW,
 * WSCGetProviderPath).  0, or an exit status after a one-line error. */
int cf_lookup_entry(struct cf_run *run, bool want_path);
/* The fixture for run->info (flags, family, --disc-max).  0, or an exit
 * status after a one-line error. */
int cf_make_fixture(struct cf_run *run);

/* Prints the clause table and returns the exit status: 0 only when every
 * applicable clause passed. */
int cf_report(const struct cf_run *run, bool json);

#endif
