/* SPDX-License-Identifier: MIT */
/* Caller strings: read page by page (a string may end just before an
 * unmapped page, so no read may cross into the next page before the NUL is
 * seen). */
#include "ustr.h"

#include <stdint.h>
#include <string.h>

#include <wsp/winsock2.h>

#include "common/umem.h"
#include "wstr.h"

#define USTR_PAGE 4096u /* the smallest page size: a chunk never crosses a page */

/* Bytes from p to the end of its (smallest) page. */
static size_t ustr_to_page_end(const void *p)
{
    return USTR_PAGE - ((uintptr_t)p & (USTR_PAGE - 1));
}

/* Copy up to the first NUL unit of size `unit` (1 or 2); returns 0 with the
 * string in dst, WSAEFAULT or WSAEINVAL. */
static int ustr_copy(void *dst, size_t cap_bytes, const void *src, size_t unit)
{
    if (src == NULL)
        return WSAEFAULT;
    size_t n = 0;
    while (n < cap_bytes) {
        size_t chunk = ustr_to_page_end((const char *)src + n);
        if (chunk > cap_bytes - n)
            chunk = cap_bytes - n;
        if (umem_read((char *)dst + n, (const char *)src + n, chunk) != 0)
            return WSAEFAULT;
        for (size_t i = n - n % unit; i + unit <= n + chunk; i += unit) {
            if (unit == 1 ? ((char *)dst)[i] == 0 : ((WCHAR *)dst)[i / 2] == 0)
                return 0;
        }
        n += chunk;
    }
    return WSAEINVAL;
}

int ustr_in(char *dst, size_t cap, const char *src)
{
    return ustr_copy(dst, cap, src, 1);
}

int ustr_in_w(char *dst, size_t cap, const WCHAR *src)
{
    WCHAR w[1100];
    int err = ustr_copy(w, sizeof w, src, sizeof(WCHAR));
    if (err != 0)
        return err;
    return wstr_to_utf8(dst, cap, w) < 0 ? WSAEINVAL : 0;
}

int ustr_out_w(WCHAR *dst, size_t cap, const char *src)
{
    WCHAR w[1100];
    int n = wstr_from_utf8(w, sizeof w / sizeof w[0], src);
    if (n < 0 || (size_t)n + 1 > cap)
        return WSAEFAULT;
    return umem_write(dst, w, ((size_t)n + 1) * sizeof(WCHAR));
}
