/* SPDX-License-Identifier: MIT */
/* `wsp catalog install|remove|order|reset`: changing the persistent catalog
 * through the WSC calls (docs/catalog.md). */
#ifndef WSP_TOOL_CATALOG_EDIT_H
#define WSP_TOOL_CATALOG_EDIT_H

#include <wsp/ws2spi.h>

/* argv[0] is the subcommand. Returns the exit status; -1 if argv[0] is not
 * one of them. */
int catalog_edit(int argc, char **argv);

/* The whole catalog (WSCEnumProtocols) in a malloc'd array; -1 on failure
 * (reported). */
int catalog_read_all(WSAPROTOCOL_INFOW **out);

/* Prints the catalog file's problem, if any ("wsp: catalog: FILE:LINE: what");
 * 1 if there was one. */
int catalog_report_file(void);

#endif
