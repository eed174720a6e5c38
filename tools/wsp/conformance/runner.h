/* SPDX-License-Identifier: MIT */
/* Runs one clause test in a child process of its own, with a time limit:
 * a provider that hangs, blocks or crashes in one case fails that case, and
 * the caller goes on with the next.  Used by `wsp conformance`. */
#ifndef WSP_CONF_RUNNER_H
#define WSP_CONF_RUNNER_H

#include "conf.h"

enum conf_status { CONF_PASS, CONF_FAIL, CONF_NA };

#define CONF_DETAIL_MAX 640

struct conf_result {
    enum conf_status status;
    double seconds;               /* wall time of the case, start to verdict */
    char detail[CONF_DETAIL_MAX]; /* fail: what was observed; n/a: why */
};

/* Runs case k against ctx: fork, start the level, run, stop, report.  A case
 * that does not finish within limit_s seconds is killed (with every process
 * of its group) and fails.  Never returns in the child. */
void conf_run_case(const struct conf_ctx *ctx, const struct conf_case *k, double limit_s,
                   struct conf_result *r);

/* Only the provider's start and stop, in a child as well: whether the module
 * can be checked at all.  0, or -1 with the reason in r. */
int conf_run_preflight(const struct conf_ctx *ctx, double limit_s, struct conf_result *r);

/* ---- for check.c: the child's side ---------------------------------------- */
/* Ends the child with this verdict (CONF_FAIL or CONF_NA) and text. */
_Noreturn void conf_child_end(enum conf_status status, const char *text);
/* Records what the child is doing now (shown if it hangs or crashes). */
void conf_child_note(const char *text);

#endif
