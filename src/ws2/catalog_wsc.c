/* SPDX-License-Identifier: MIT */
/* WSCInstallProvider / WSCDeinstallProvider / WSCGetProviderPath /
 * WSCEnumProtocols: the installer side of the SPI, process-local (see
 * ws2spi.h). They work with or without WSAStartup, as on Windows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "catalog_enum.h"
#include "common/umem.h"
#include "wstr.h"

#define WSC_PATH_MAX 4096
/* Installed entries are numbered after the built-ins (1001-1006). */
static DWORD wsc_next_id = 2001;

/* lpErrno is caller memory like any other argument: a bad pointer loses the
 * code instead of crashing the caller (NULL is tolerated the same way). */
static int wsc_fail(LPINT lpErrno, int err)
{
    (void)umem_write(lpErrno, &err, sizeof err);
    return SOCKET_ERROR;
}

static int wsc_is_high(WCHAR c)
{
    return c >= 0xD800 && c <= 0xDBFF;
}

static int wsc_is_low(WCHAR c)
{
    return c >= 0xDC00 && c <= 0xDFFF;
}

/* Well-formed UTF-16: every surrogate is half of a high-low pair. A lone one
 * would be replaced by U+FFFD on conversion, so the module loaded would not
 * be the one named. */
static int wsc_utf16_valid(const WCHAR *w)
{
    for (size_t i = 0; w[i]; i++) {
        if (wsc_is_high(w[i]) && wsc_is_low(w[i + 1]))
            i++;
        else if (wsc_is_high(w[i]) || wsc_is_low(w[i]))
            return 0;
    }
    return 1;
}

/* A module is named by an absolute path or by a bare file name (searched, see
 * catalog_path.c). A relative path with a directory part would depend on the
 * working directory at load time: refused. */
static int wsc_path_acceptable(const char *path)
{
    return path[0] == '/' || strchr(path, '/') == NULL;
}

/* A NUL-terminated UTF-16 path from caller memory, as UTF-8. */
static int wsc_read_path(const WCHAR *user, char *out, size_t cap)
{
    WCHAR w[WSC_PATH_MAX];
    size_t n = 0;
    for (;; n++) {
        if (n == WSC_PATH_MAX)
            return WSAEINVAL;
        if (umem_read(&w[n], user + n, sizeof w[n]) != 0)
            return WSAEFAULT;
        if (w[n] == 0)
            break;
    }
    if (n == 0 || !wsc_utf16_valid(w) || wstr_to_utf8(out, cap, w) < 0)
        return WSAEINVAL;
    return wsc_path_acceptable(out) ? 0 : WSAEINVAL;
}

static void wsc_free_partial(struct cat_provider *p, struct cat_entry **es, DWORD n)
{
    for (DWORD i = 0; i < n; i++)
        free(es[i]);
    free(es);
    if (p) {
        free(p->module);
        free(p);
    }
}

WSP_EXPORT int WSPAPI WSCInstallProvider(LPGUID lpProviderId, const WCHAR *lpszProviderDllPath,
                                         LPWSAPROTOCOL_INFOW lpProtocolInfoList,
                                         DWORD dwNumberOfEntries, LPINT lpErrno)
{
    GUID id;
    char path[WSC_PATH_MAX * 3];
    if (umem_read(&id, lpProviderId, sizeof id) != 0)
        return wsc_fail(lpErrno, WSAEFAULT);
    int err = wsc_read_path(lpszProviderDllPath, path, sizeof path);
    if (err != 0)
        return wsc_fail(lpErrno, err);
    if (dwNumberOfEntries == 0 || dwNumberOfEntries > 1000)
        return wsc_fail(lpErrno, WSAEINVAL);

    struct cat_provider *p = calloc(1, sizeof *p);
    struct cat_entry **es = calloc(dwNumberOfEntries, sizeof(struct cat_entry *));
    if (p == NULL || es == NULL || (p->module = strdup(path)) == NULL) {
        wsc_free_partial(p, es, 0);
        return wsc_fail(lpErrno, WSAENOBUFS);
    }
    p->guid = id;
    for (DWORD i = 0; i < dwNumberOfEntries; i++) {
        es[i] = calloc(1, sizeof *es[i]);
        if (es[i] == NULL) {
            wsc_free_partial(p, es, i);
            return wsc_fail(lpErrno, WSAENOBUFS);
        }
        es[i]->prov = p;
        if (umem_read(&es[i]->info, lpProtocolInfoList + i, sizeof es[i]->info) != 0) {
            wsc_free_partial(p, es, i + 1);
            return wsc_fail(lpErrno, WSAEFAULT);
        }
        es[i]->info.szProtocol[WSAPROTOCOL_LEN] = 0;
        int chain = es[i]->info.ProtocolChain.ChainLen;
        if (chain < 0 || chain > MAX_PROTOCOL_CHAIN) {
            wsc_free_partial(p, es, i + 1);
            return wsc_fail(lpErrno, WSAEINVAL);
        }
    }

    cat_lock();
    if (cat_find_provider_locked(&id) != NULL) {
        cat_unlock();
        wsc_free_partial(p, es, dwNumberOfEntries);
        return wsc_fail(lpErrno, WSAEINVAL);
    }
    for (DWORD i = 0; i < dwNumberOfEntries; i++) {
        WSAPROTOCOL_INFOW *pi = &es[i]->info;
        pi->ProviderId = id;
        pi->dwCatalogEntryId = wsc_next_id++;
        /* a base or layered entry names itself first in its chain; a chain
         * entry (ChainLen > 1) keeps the ids its installer gave */
        if (pi->ProtocolChain.ChainLen <= BASE_PROTOCOL)
            pi->ProtocolChain.ChainEntries[0] = pi->dwCatalogEntryId;
        /* written back so the installer learns the ids (as WSCEnumProtocols would) */
        if (umem_write(&lpProtocolInfoList[i].dwCatalogEntryId, &pi->dwCatalogEntryId,
                       sizeof pi->dwCatalogEntryId) != 0) {
        } /* best effort: the installer's list may be read-only */
    }
    cat_add_locked(p, es, dwNumberOfEntries);
    cat_unlock();
    free(es);
    return 0;
}

WSP_EXPORT int WSPAPI WSCDeinstallProvider(LPGUID lpProviderId, LPINT lpErrno)
{
    GUID id;
    if (umem_read(&id, lpProviderId, sizeof id) != 0)
        return wsc_fail(lpErrno, WSAEFAULT);
    cat_lock();
    struct cat_provider *p = cat_find_provider_locked(&id);
    if (p != NULL) {
        /* only marked: open handles still refer to the entries; the memory
         * goes at the last WSACleanup (cat_reap) */
        p->removed = 1;
        for (struct cat_entry *e = cat_entries(); e; e = e->next)
            if (e->prov == p)
                e->removed = 1;
    }
    cat_unlock();
    return p != NULL ? 0 : wsc_fail(lpErrno, WSAEINVAL);
}

WSP_EXPORT int WSPAPI WSCGetProviderPath(LPGUID lpProviderId, WCHAR *lpszProviderDllPath,
                                         LPINT lpProviderDllPathLen, LPINT lpErrno)
{
    GUID id;
    INT cap;
    if (umem_read(&id, lpProviderId, sizeof id) != 0 ||
        umem_read(&cap, lpProviderDllPathLen, sizeof cap) != 0)
        return wsc_fail(lpErrno, WSAEFAULT);
    char module[WSC_PATH_MAX * 3];
    cat_lock();
    struct cat_provider *p = cat_find_provider_locked(&id);
    if (p != NULL)
        snprintf(module, sizeof module, "%s", p->module);
    cat_unlock();
    if (p == NULL)
        return wsc_fail(lpErrno, WSAEINVAL);

    char path[WSC_PATH_MAX * 3];
    cat_resolve_path(module, path, sizeof path);
    WCHAR w[WSC_PATH_MAX];
    int n = wstr_from_utf8(w, WSC_PATH_MAX, path);
    if (n < 0)
        return wsc_fail(lpErrno, WSAEINVAL);
    INT need = n + 1;
    if (cap < need) {
        if (umem_write(lpProviderDllPathLen, &need, sizeof need) != 0) {
        } /* the size needed, if it can be written: WSAEFAULT all the same */
        return wsc_fail(lpErrno, WSAEFAULT);
    }
    if (umem_write(lpszProviderDllPath, w, (size_t)need * sizeof w[0]) != 0 ||
        umem_write(lpProviderDllPathLen, &need, sizeof need) != 0)
        return wsc_fail(lpErrno, WSAEFAULT);
    return 0;
}

WSP_EXPORT int WSPAPI WSCEnumProtocols(LPINT lpiProtocols, LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                                       LPDWORD lpdwBufferLength, LPINT lpErrno)
{
    int err;
    int n = cat_enum(lpiProtocols, lpProtocolBuffer, lpdwBufferLength, CAT_ENUM_W, 1, &err);
    return n < 0 ? wsc_fail(lpErrno, err) : n;
}
