/* SPDX-License-Identifier: MIT */
/* Runs the clause suite against every itot fixture at one level (chosen at
 * build time: CONF_LEVEL is conf_level_spi or conf_level_api).  One cmocka
 * group per fixture, so the output reads "itot4: sd_c4_notconn_new". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixtures.h"

int main(void)
{
    static struct conf_ctx ctx[ITOT_FIXTURES];
    static struct CMUnitTest tests[ITOT_FIXTURES][64];
    int failed = 0;
    for (int i = 0; i < ITOT_FIXTURES; i++) {
        ctx[i] = (struct conf_ctx){.fx = &itot_fixtures[i], .lv = &CONF_LEVEL};
        size_t n = conf_sd_tests(&ctx[i], tests[i], 64);
        failed += _cmocka_run_group_tests(itot_fixtures[i].name, tests[i], n, NULL, NULL);
    }
    return failed;
}
