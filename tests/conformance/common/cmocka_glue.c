/* SPDX-License-Identifier: MIT */
/* The clause tests as cmocka tests: one named test per applicable case of
 * the shared table (tools/wsp/conformance/sd_tests.c), the level started and
 * stopped around each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf.h"

int conf_setup(void **state)
{
    const struct conf_ctx *c = *state;
    return c->lv->start(c->fx);
}

int conf_teardown(void **state)
{
    const struct conf_ctx *c = *state;
    int err = 0;
    return c->lv->stop(&err);
}

size_t conf_sd_tests(struct conf_ctx *ctx, struct CMUnitTest *tests, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < conf_case_count && n < cap; i++) {
        /* Not applicable: not registered (rather than skipped). */
        if (conf_case_not_applicable(ctx, &conf_cases[i]) != NULL)
            continue;
        tests[n++] = (struct CMUnitTest){
            .name = conf_cases[i].name,
            .test_func = conf_cases[i].fn,
            .setup_func = conf_setup,
            .teardown_func = conf_teardown,
            .initial_state = ctx,
        };
    }
    return n;
}
