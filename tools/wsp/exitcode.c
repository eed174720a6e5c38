/* SPDX-License-Identifier: MIT */
/* Exit statuses: the table and the WSAE* -> status mapping. */
#include "exitcode.h"

#include <stdio.h>

#include <wsp/winsock2.h>

const struct tool_exit_info tool_exit_table[TOOL_EXIT_COUNT] = {
    {TOOL_EXIT_OK, "ok", "success: data copied and the connection released cleanly"},
    {TOOL_EXIT_FAILURE, "failure", "any other error (demo: a step did not behave as specified)"},
    {TOOL_EXIT_USAGE, "usage", "bad arguments"},
    {TOOL_EXIT_REFUSED, "refused", "connection refused (by TCP, or by the peer's ISO DR)"},
    {TOOL_EXIT_RESET, "reset", "connection reset or aborted by the peer"},
    {TOOL_EXIT_HOST, "host", "unknown host or unusable address"},
    {TOOL_EXIT_ADDRINUSE, "addrinuse", "local address/port already in use"},
    {TOOL_EXIT_NOPROTOOPT, "noprotoopt",
     "provider does not support connect/disconnect data (WSAENOPROTOOPT)"},
    {TOOL_EXIT_MSGSIZE, "msgsize", "connect/disconnect data too long (WSAEMSGSIZE)"},
    {TOOL_EXIT_UNDELIVERED, "undelivered",
     "input not delivered: the peer ended the connection before all of stdin was sent"},
    {TOOL_EXIT_TIMEOUT, "timeout", "no answer to the connect request in time (WSAETIMEDOUT)"},
};

/* Errors that have their own status; everything else is TOOL_EXIT_FAILURE. */
static const struct {
    int wsa;
    int status;
} exit_by_wsa[] = {
    {WSAECONNREFUSED, TOOL_EXIT_REFUSED},   {WSAECONNRESET, TOOL_EXIT_RESET},
    {WSAECONNABORTED, TOOL_EXIT_RESET},     {WSAENETRESET, TOOL_EXIT_RESET},
    {WSAHOST_NOT_FOUND, TOOL_EXIT_HOST},    {WSANO_DATA, TOOL_EXIT_HOST},
    {WSAEADDRNOTAVAIL, TOOL_EXIT_HOST},     {WSAEADDRINUSE, TOOL_EXIT_ADDRINUSE},
    {WSAENOPROTOOPT, TOOL_EXIT_NOPROTOOPT}, {WSAEMSGSIZE, TOOL_EXIT_MSGSIZE},
    {WSAETIMEDOUT, TOOL_EXIT_TIMEOUT},
};

int tool_exit_from_wsa(int wsa_error)
{
    for (size_t i = 0; i < sizeof exit_by_wsa / sizeof exit_by_wsa[0]; i++)
        if (exit_by_wsa[i].wsa == wsa_error)
            return exit_by_wsa[i].status;
    return TOOL_EXIT_FAILURE;
}

void tool_exit_print_help(void)
{
    printf("\nExit status:\n");
    for (int i = 0; i < TOOL_EXIT_COUNT; i++)
        printf("  %d  %s\n", tool_exit_table[i].code, tool_exit_table[i].meaning);
}
