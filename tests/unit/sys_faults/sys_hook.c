/* SPDX-License-Identifier: MIT */
/* The test hook: exports this module's platform table under one symbol.
 * Not part of wsp_common: only the test builds of the modules
 * (tests/unit/sys_faults) compile it in, so the shipped modules still export
 * WSPStartup alone. */
#include "common/sys.h"

__attribute__((visibility("default"))) const struct sys_hook wsp_sys_test_hook = {
    .count = sys_count,
    .name = sys_name,
    .override = sys_override,
    .dflt = sys_default,
    .restore_all = sys_restore_all,
};
