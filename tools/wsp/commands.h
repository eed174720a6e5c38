/* SPDX-License-Identifier: MIT */
/* The subcommands: each parses its own arguments and returns an exit status
 * (exitcode.h). */
#ifndef WSP_TOOL_COMMANDS_H
#define WSP_TOOL_COMMANDS_H

int cmd_catalog(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_conformance(int argc, char **argv);

/* WSAStartup(2.2) with a one-line error; 0 or an exit status. */
int tool_winsock_start(void);

#endif
