/* SPDX-License-Identifier: MIT */
#ifndef WSP_CONF_ITOT_FIXTURES_H
#define WSP_CONF_ITOT_FIXTURES_H
#include "conf.h"
#define ITOT_FIXTURES 4
extern const struct conf_fixture itot_fixtures[ITOT_FIXTURES];
#endif
