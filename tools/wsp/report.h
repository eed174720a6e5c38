/* SPDX-License-Identifier: MIT */
/* Human-readable output shared by every subcommand: data as text or hex, DR reason
 * names, Winsock error names, one-line error messages. */
#ifndef WSP_TOOL_REPORT_H
#define WSP_TOOL_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <wsp/wsptypes.h>

/* Writes `data` as a quoted string when every octet is printable ASCII, otherwise
 * as hex octets; always followed by the length, e.g. "BYE" (3 octets). */
void report_data(FILE *out, const void *data, size_t len);

/* "normal disconnect" for 128, "not specified" for 0, "unknown reason" else. */
const char *report_dr_reason_name(int reason);

/* Parses a DR reason given as a number or a name from the table (e.g. "3",
 * "address-unknown"); -1 if unknown. */
int report_dr_reason_parse(const char *text);

/* Writes every DR reason name and number (for --help). */
void report_dr_reason_list(FILE *out);

/* "WSAENOPROTOOPT (10042)": a name the user can search for. Static storage. */
const char *report_wsa_name(int code);

/* "wsp: <message>\n" on stderr; message printf-style. */
void report_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "wsp: <what> failed: <description> (WSAE... NNNNN)" on stderr. */
void report_wsa_error(const char *what, int code);

/* UTF-16 (WCHAR) string, NUL-terminated or at most `max` units, into UTF-8. */
void report_utf16_to_utf8(const WCHAR *in, size_t max, char *out, size_t outlen);

/* GUID in the registry form {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}. out >= 39 octets. */
void report_guid(const GUID *g, char *out, size_t outlen);

#endif
