/* SPDX-License-Identifier: MIT */
/* Caller strings (D4): copy a NUL-terminated narrow or UTF-16 string out of
 * caller memory, and a result string into it, without ever dereferencing a
 * caller pointer ourselves. */
#ifndef WSP_WS2_USTR_H
#define WSP_WS2_USTR_H

#include <stddef.h>

#include <wsp/wsptypes.h>

/* Copy the string at src (NUL included) into dst of cap bytes.
 * 0, WSAEFAULT (unreadable) or WSAEINVAL (longer than cap - 1). */
int ustr_in(char *dst, size_t cap, const char *src);

/* The same for UTF-16, converted to UTF-8 into dst (cap bytes). */
int ustr_in_w(char *dst, size_t cap, const WCHAR *src);

/* Write UTF-8 src into caller dst as UTF-16 (cap units, NUL included).
 * 0, WSAEFAULT (unwritable or too small). */
int ustr_out_w(WCHAR *dst, size_t cap, const char *src);

#endif
