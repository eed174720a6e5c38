/* SPDX-License-Identifier: MIT */
/* Option parsing for `wsp listen` and `wsp connect` (they share most options). */
#ifndef WSP_TOOL_NC_ARGS_H
#define WSP_TOOL_NC_ARGS_H

#include "netcat.h"

enum nc_role { NC_ROLE_LISTEN, NC_ROLE_CONNECT };

/* Fills o from argv (two positionals: ADDR/HOST and PORT). Returns -1 when the
 * command may go on, or the exit status to return now (help printed: 0). */
int nc_args_parse(enum nc_role role, int argc, char **argv, struct nc_opts *o);

#endif
