/* SPDX-License-Identifier: MIT */
#ifndef WSP_CONF_TCP_FIXTURES_H
#define WSP_CONF_TCP_FIXTURES_H
#include "conf.h"
#define TCP_FIXTURES 4
extern const struct conf_fixture tcp_fixtures[TCP_FIXTURES];
#endif
