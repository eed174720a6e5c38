/* SPDX-License-Identifier: MIT */
/* UTF-8 <-> UTF-16 conversion for the A and W variants (WCHAR is a UTF-16 code
 * unit, as on Windows). Pure functions on local buffers: callers validate user
 * memory first. */
#ifndef WSP_WS2_WSTR_H
#define WSP_WS2_WSTR_H

#include <stddef.h>

#include <wsp/wsptypes.h>

/* Convert NUL-terminated UTF-8 src into dst (cap units, NUL included).
 * Returns the number of units written without the NUL, or -1 if dst is too
 * small (dst then holds a truncated, terminated string when cap > 0).
 * Invalid UTF-8 bytes become U+FFFD. */
int wstr_from_utf8(WCHAR *dst, size_t cap, const char *src);

/* Convert NUL-terminated UTF-16 src into UTF-8 dst (cap bytes, NUL included).
 * Returns bytes written without the NUL, or -1 if too small. Lone surrogates
 * become U+FFFD. */
int wstr_to_utf8(char *dst, size_t cap, const WCHAR *src);

/* Length in units of a NUL-terminated UTF-16 string. */
size_t wstr_len(const WCHAR *s);

#endif
