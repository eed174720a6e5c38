/* SPDX-License-Identifier: MIT */
/* UTF-8 <-> UTF-16: a small decoder/encoder pair, enough for protocol names,
 * module paths and address strings. */
#include "wstr.h"

#include <stdint.h>

#define WSTR_REPLACEMENT 0xFFFDu

/* Decode one code point from s; advances *s. */
static uint32_t wstr_decode_utf8(const unsigned char **s)
{
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int extra = c < 0x80           ? 0
                : (c >> 5) == 0x6  ? 1
                : (c >> 4) == 0xE  ? 2
                : (c >> 3) == 0x1E ? 3
                                   : -1;
    if (extra < 0) {
        *s = p + 1;
        return WSTR_REPLACEMENT;
    }
    static const uint32_t wstr_lead_mask[4] = {0x7F, 0x1F, 0x0F, 0x07};
    static const uint32_t wstr_min[4] = {0, 0x80, 0x800, 0x10000};
    c &= wstr_lead_mask[extra];
    for (int i = 1; i <= extra; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *s = p + i;
            return WSTR_REPLACEMENT;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    *s = p + 1 + extra;
    if (c < wstr_min[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return WSTR_REPLACEMENT;
    return c;
}

int wstr_from_utf8(WCHAR *dst, size_t cap, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t n = 0;
    while (*s) {
        uint32_t c = wstr_decode_utf8(&s);
        size_t need = c >= 0x10000 ? 2 : 1;
        if (n + need + 1 > cap) {
            if (cap > 0)
                dst[n < cap ? n : cap - 1] = 0;
            return -1;
        }
        if (need == 2) {
            c -= 0x10000;
            dst[n++] = (WCHAR)(0xD800 | (c >> 10));
            dst[n++] = (WCHAR)(0xDC00 | (c & 0x3FF));
        } else {
            dst[n++] = (WCHAR)c;
        }
    }
    if (cap == 0)
        return -1;
    dst[n] = 0;
    return (int)n;
}

int wstr_to_utf8(char *dst, size_t cap, const WCHAR *src)
{
    size_t n = 0;
    for (size_t i = 0; src[i]; i++) {
        uint32_t c = src[i];
        if (c >= 0xD800 && c <= 0xDBFF && src[i + 1] >= 0xDC00 && src[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (src[i + 1] - 0xDC00);
            i++;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = WSTR_REPLACEMENT;
        }
        unsigned char buf[4];
        size_t k;
        if (c < 0x80) {
            buf[0] = (unsigned char)c;
            k = 1;
        } else if (c < 0x800) {
            buf[0] = (unsigned char)(0xC0 | (c >> 6));
            buf[1] = (unsigned char)(0x80 | (c & 0x3F));
            k = 2;
        } else if (c < 0x10000) {
            buf[0] = (unsigned char)(0xE0 | (c >> 12));
            buf[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            buf[2] = (unsigned char)(0x80 | (c & 0x3F));
            k = 3;
        } else {
            buf[0] = (unsigned char)(0xF0 | (c >> 18));
            buf[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            buf[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            buf[3] = (unsigned char)(0x80 | (c & 0x3F));
            k = 4;
        }
        if (n + k + 1 > cap) {
            if (cap > 0)
                dst[n < cap ? n : cap - 1] = 0;
            return -1;
        }
        for (size_t j = 0; j < k; j++)
            dst[n++] = (char)buf[j];
    }
    if (cap == 0)
        return -1;
    dst[n] = 0;
    return (int)n;
}

size_t wstr_len(const WCHAR *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
