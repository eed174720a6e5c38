/* SPDX-License-Identifier: MIT */
/* Argument parsing shared by the subcommands: option values that several
 * subcommands accept, each checked with a one-line error on failure. */
#ifndef WSP_TOOL_ARGS_H
#define WSP_TOOL_ARGS_H

#include <stddef.h>

enum args_proto { ARGS_PROTO_TCP, ARGS_PROTO_ITOT };

/* Caller-supplied octets (TEXT or @FILE); `set` says whether the option was given. */
struct args_data {
    int set;
    unsigned char *buf; /* malloc'd, NULL when empty */
    size_t len;
};

/* Largest data the tool reads from @FILE: far above any protocol limit, so the
 * provider (not the tool) is the one that says WSAEMSGSIZE. */
#define ARGS_DATA_MAX 65536

/* Each returns 0 on success, or prints "wsp: ..." and returns -1. */
int args_proto(const char *text, enum args_proto *out);
int args_class(const char *text, int *out);
int args_port(const char *text, unsigned short *out);
/* TEXT is taken as is; "@FILE" reads the file (use "@@..." for a literal '@'). */
int args_data(const char *option, const char *text, struct args_data *out);
void args_data_free(struct args_data *d);
/* A decimal number in [min, max]; the message names the option. */
int args_number(const char *option, const char *text, long min, long max, long *out);
/* A TSAP selector: "0x" then hex digits (0x0102 = octets 01 02), or text
 * taken as its octets; at most 32 octets (ISO 8073). */
int args_tsap(const char *option, const char *text, struct args_data *out);

#endif
