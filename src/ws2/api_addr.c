/* SPDX-License-Identifier: MIT */
/* WSAAddressToStringA/W / WSAStringToAddressA/W: the provider does the work in
 * UTF-16 (WSPAddressToString / WSPStringToAddress); this layer picks the
 * provider and converts between the A and W strings on the stack. */
#include <stddef.h>
#include <string.h>

#include "api.h"
#include "catalog_enum.h"
#include "common/umem.h"
#include "loader.h"
#include "ustr.h"
#include "wstr.h"

/* Longest address string handled (an IPv6 address with scope and port is < 70). */
#define API_ADDRSTR_MAX 256

/* The entry to ask: the one named by the caller's protocol info (A or W: the
 * catalog id sits at the same offset in both), else the first public entry of
 * the address family. */
_Static_assert(offsetof(WSAPROTOCOL_INFOA, dwCatalogEntryId) ==
                   offsetof(WSAPROTOCOL_INFOW, dwCatalogEntryId),
               "A and W protocol info place the catalog id alike");
static int api_addr_entry(const void *user_info, int af, struct cat_entry **out,
                          WSAPROTOCOL_INFOW *info)
{
    struct cat_entry *e;
    if (user_info != NULL) {
        DWORD id;
        if (umem_read(&id, (const char *)user_info + offsetof(WSAPROTOCOL_INFOA, dwCatalogEntryId),
                      sizeof id) != 0)
            return WSAEFAULT;
        e = cat_find_id(id);
    } else {
        e = cat_first_of_family(af);
    }
    if (e == NULL)
        return WSAEINVAL;
    int err = ldr_ensure(e);
    if (err != 0)
        return err;
    *info = e->info;
    *out = e;
    return 0;
}

/* The provider's UTF-16 text for lpsaAddress into w (API_ADDRSTR_MAX units,
 * NUL-terminated); *cap is the caller's buffer size (*lpdwAddressStringLength).
 * 0 or a WSAE* code; a too-small answer from the provider has already had its
 * needed size written back. */
static int api_addr_text(LPSOCKADDR lpsaAddress, DWORD dwAddressLength, const void *lpProtocolInfo,
                         LPDWORD lpdwAddressStringLength, WCHAR *w, DWORD *cap)
{
    sa_family_t family;
    /* the family's address computed without a member access: lpsaAddress
     * may be NULL or bogus, and only umem may look at it */
    const char *family_at =
        lpsaAddress ? (const char *)lpsaAddress + offsetof(struct sockaddr, sa_family) : NULL;
    if (umem_read(&family, family_at, sizeof family) != 0 ||
        umem_read(cap, lpdwAddressStringLength, sizeof *cap) != 0)
        return WSAEFAULT;
    struct cat_entry *e;
    WSAPROTOCOL_INFOW info;
    int err = api_addr_entry(lpProtocolInfo, family, &e, &info);
    if (err != 0)
        return err;
    DWORD wlen = *cap < API_ADDRSTR_MAX ? *cap : API_ADDRSTR_MAX;
    if (ldr_procs(e)->lpWSPAddressToString(lpsaAddress, dwAddressLength, &info, w, &wlen, &err) !=
        0) {
        if (err == WSAEFAULT) /* too small: wlen is the size needed */
            if (umem_write(lpdwAddressStringLength, &wlen, sizeof wlen) != 0) {
            } /* best effort: WSAEFAULT all the same */
        return err != 0 ? err : WSASYSCALLFAILURE;
    }
    w[API_ADDRSTR_MAX - 1] = 0;
    return 0;
}

/* Hand need units of size unit (NUL included) to the caller, or say how many
 * are needed: WSAEFAULT with the size written back when cap is too small. */
static int api_addr_put(void *dst, const void *src, DWORD need, size_t unit, DWORD cap,
                        LPDWORD lpdwAddressStringLength)
{
    if (cap < need) {
        if (umem_write(lpdwAddressStringLength, &need, sizeof need) != 0) {
        } /* the size needed, if it can be written: WSAEFAULT all the same */
        return WSAEFAULT;
    }
    if (umem_write(dst, src, need * unit) != 0 ||
        umem_write(lpdwAddressStringLength, &need, sizeof need) != 0)
        return WSAEFAULT;
    return 0;
}

/* The provider parses the UTF-16 text w. */
static int api_addr_parse(const WCHAR *w, INT AddressFamily, const void *lpProtocolInfo,
                          LPSOCKADDR lpAddress, LPINT lpAddressLength)
{
    struct cat_entry *e;
    WSAPROTOCOL_INFOW info;
    int err = api_addr_entry(lpProtocolInfo, AddressFamily, &e, &info);
    if (err != 0)
        return err;
    if (ldr_procs(e)->lpWSPStringToAddress((LPWSTR)w, AddressFamily, &info, lpAddress,
                                           lpAddressLength, &err) != 0)
        return err != 0 ? err : WSASYSCALLFAILURE;
    return 0;
}

static int api_addr_result(int err)
{
    return err != 0 ? le_fail(err) : 0;
}

WSP_EXPORT int WSAAPI WSAAddressToStringA(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                          LPWSAPROTOCOL_INFOA lpProtocolInfo,
                                          LPSTR lpszAddressString, LPDWORD lpdwAddressStringLength)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    WCHAR w[API_ADDRSTR_MAX];
    DWORD cap;
    int err = api_addr_text(lpsaAddress, dwAddressLength, lpProtocolInfo, lpdwAddressStringLength,
                            w, &cap);
    if (err != 0)
        return le_fail(err);
    char s[API_ADDRSTR_MAX * 3];
    int n = wstr_to_utf8(s, sizeof s, w);
    if (n < 0)
        return le_fail(WSAEINVAL);
    return api_addr_result(
        api_addr_put(lpszAddressString, s, (DWORD)n + 1, 1, cap, lpdwAddressStringLength));
}

WSP_EXPORT int WSAAPI WSAAddressToStringW(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                          LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                          LPWSTR lpszAddressString, LPDWORD lpdwAddressStringLength)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    WCHAR w[API_ADDRSTR_MAX];
    DWORD cap;
    int err = api_addr_text(lpsaAddress, dwAddressLength, lpProtocolInfo, lpdwAddressStringLength,
                            w, &cap);
    if (err != 0)
        return le_fail(err);
    return api_addr_result(api_addr_put(lpszAddressString, w, (DWORD)wstr_len(w) + 1, sizeof(WCHAR),
                                        cap, lpdwAddressStringLength));
}

WSP_EXPORT int WSAAPI WSAStringToAddressA(LPSTR AddressString, INT AddressFamily,
                                          LPWSAPROTOCOL_INFOA lpProtocolInfo, LPSOCKADDR lpAddress,
                                          LPINT lpAddressLength)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    char s[API_ADDRSTR_MAX];
    for (size_t i = 0;; i++) {
        if (i == sizeof s)
            return le_fail(WSAEINVAL);
        if (umem_read(&s[i], AddressString + i, 1) != 0)
            return le_fail(WSAEFAULT);
        if (s[i] == 0)
            break;
    }
    WCHAR w[API_ADDRSTR_MAX];
    if (wstr_from_utf8(w, API_ADDRSTR_MAX, s) < 0)
        return le_fail(WSAEINVAL);
    return api_addr_result(
        api_addr_parse(w, AddressFamily, lpProtocolInfo, lpAddress, lpAddressLength));
}

WSP_EXPORT int WSAAPI WSAStringToAddressW(LPWSTR AddressString, INT AddressFamily,
                                          LPWSAPROTOCOL_INFOW lpProtocolInfo, LPSOCKADDR lpAddress,
                                          LPINT lpAddressLength)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    char s[API_ADDRSTR_MAX * 3];
    int err = ustr_in_w(s, sizeof s, AddressString);
    if (err != 0)
        return le_fail(err);
    WCHAR w[API_ADDRSTR_MAX];
    if (wstr_from_utf8(w, API_ADDRSTR_MAX, s) < 0)
        return le_fail(WSAEINVAL);
    return api_addr_result(
        api_addr_parse(w, AddressFamily, lpProtocolInfo, lpAddress, lpAddressLength));
}
