/* SPDX-License-Identifier: MIT */
/* wsp: one command for what a person can do with the library without writing C.
 * This file only dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include <wsp/winsock2.h>

#include "commands.h"
#include "exitcode.h"
#include "report.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"catalog", cmd_catalog, "show the protocol catalog (like netsh winsock show catalog)"},
    {"listen", cmd_listen, "accept one connection; stdin to the peer, the peer to stdout"},
    {"connect", cmd_connect, "connect; stdin to the peer, the peer to stdout"},
    {"demo", cmd_demo, "connect data, messages and disconnect data on loopback, explained"},
    {"conformance", cmd_conformance, "check a provider's WSPSendDisconnect clause by clause"},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "Usage: wsp COMMAND [OPTIONS] [ARGS]\n\n"
                 "Windows Sockets 2 on Linux, from the command line.\n\nCommands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'wsp COMMAND --help' describes a command; 'man wsp' describes them all.\n"
                 "Start with 'wsp demo'.\n");
}

int tool_winsock_start(void)
{
    WSADATA wsa;
    int rc = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (rc != 0) {
        report_wsa_error("WSAStartup", rc);
        return TOOL_EXIT_FAILURE;
    }
    return TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        tool_exit_print_help();
        return TOOL_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("wsp %s\nLicense: MIT (SPDX-License-Identifier: MIT); see the LICENSE file.\n"
               "This is free software: no warranty, see the license text.\n",
               WSP_TOOL_VERSION);
        return TOOL_EXIT_OK;
    }
    if (strcmp(argv[1], "-l") == 0) /* nc's spelling of listen */
        return cmd_listen(argc - 1, argv + 1);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    report_error("unknown command '%s' (try 'wsp --help')", argv[1]);
    return TOOL_EXIT_USAGE;
}
