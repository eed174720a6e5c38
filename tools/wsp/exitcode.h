/* SPDX-License-Identifier: MIT */
/* Exit statuses of the wsp command: one enum, one table (help text, man page and
 * docs/wsp.md list the same values). */
#ifndef WSP_TOOL_EXITCODE_H
#define WSP_TOOL_EXITCODE_H

enum tool_exit {
    TOOL_EXIT_OK = 0,          /* clean run / clean release */
    TOOL_EXIT_FAILURE = 1,     /* any other failure (also: demo saw a contract violation) */
    TOOL_EXIT_USAGE = 2,       /* bad arguments */
    TOOL_EXIT_REFUSED = 3,     /* connection refused (TCP RST or ISO DR in answer to the CR) */
    TOOL_EXIT_RESET = 4,       /* connection reset or aborted by the peer */
    TOOL_EXIT_HOST = 5,        /* unknown host or address */
    TOOL_EXIT_ADDRINUSE = 6,   /* the local port is already in use */
    TOOL_EXIT_NOPROTOOPT = 7,  /* the provider does not support connect/disconnect data */
    TOOL_EXIT_MSGSIZE = 8,     /* connect or disconnect data longer than the protocol allows */
    TOOL_EXIT_UNDELIVERED = 9, /* input not delivered: the peer ended the connection first */
    TOOL_EXIT_TIMEOUT = 10,    /* the connect request was not answered in time (--timeout) */
    TOOL_EXIT_COUNT
};

struct tool_exit_info {
    int code;
    const char *name;
    const char *meaning;
};

/* The table, indexed by code. */
extern const struct tool_exit_info tool_exit_table[TOOL_EXIT_COUNT];

/* The exit status for a failed Winsock call with error `wsa_error`. */
int tool_exit_from_wsa(int wsa_error);

/* Writes the "EXIT STATUS" block used by every --help. */
void tool_exit_print_help(void);

#endif
