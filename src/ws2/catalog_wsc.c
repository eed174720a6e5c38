/* SPDX-License-Identifier: MIT */
/* WSCInstallProvider / WSCDeinstallProvider / WSCUpdateProvider /
 * WSCWriteProviderOrder / WSCGetProviderPath / WSCEnumProtocols: the
 * installer side of the SPI, on the catalog file (see ws2spi.h and
 * docs/catalog.md). They work with or without WSAStartup, as on Windows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "catalog_enum.h"
#include "catalog_store.h"
#include "common/umem.h"
#include "wstr.h"

#define WSC_PATH_MAX 4096

/* lpErrno is caller memory like any other argument: a bad pointer loses the
 * code instead of crashing the caller (NULL is tolerated the same way). */
static int wsc_fail(LPINT lpErrno, int err)
{
    if (umem_write(lpErrno, &err, sizeof err) != 0) {
    } /* nowhere to report it: the failure itself still is */
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

/* The entries of an install or update, read from caller memory and checked
 * one by one (the catalog as a whole is checked at commit). */
static int wsc_read_infos(const WSAPROTOCOL_INFOW *user, DWORD n, WSAPROTOCOL_INFOW *out)
{
    for (DWORD i = 0; i < n; i++) {
        if (umem_read(&out[i], user + i, sizeof out[i]) != 0)
            return WSAEFAULT;
        out[i].szProtocol[WSAPROTOCOL_LEN] = 0;
        int chain = out[i].ProtocolChain.ChainLen;
        if (chain < 0 || chain > MAX_PROTOCOL_CHAIN)
            return WSAEINVAL;
    }
    return 0;
}

static long wsc_find_provider(const struct crec_list *l, const GUID *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (memcmp(&l->v[i].info.ProviderId, id, sizeof *id) == 0)
            return (long)i;
    return -1;
}

static DWORD wsc_next_id(const struct crec_list *l)
{
    DWORD next = CATS_FIRST_ID;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].info.dwCatalogEntryId >= next)
            next = l->v[i].info.dwCatalogEntryId + 1;
    return next;
}

/* Reads the arguments shared by install and update. */
static int wsc_args(const GUID *user_id, const WCHAR *user_path,
                    const WSAPROTOCOL_INFOW *user_infos, DWORD n, GUID *id, char *path, size_t cap,
                    WSAPROTOCOL_INFOW **infos)
{
    *infos = NULL;
    if (umem_read(id, user_id, sizeof *id) != 0)
        return WSAEFAULT;
    int err = wsc_read_path(user_path, path, cap);
    if (err != 0)
        return err;
    if (n == 0 || n > CREC_MAX_ENTRIES)
        return WSAEINVAL;
    *infos = calloc(n, sizeof **infos);
    if (*infos == NULL)
        return WSAENOBUFS;
    return wsc_read_infos(user_infos, n, *infos);
}

/* The preamble of install and update: the arguments read, then the catalog
 * file locked and read.  tx is ready for cats_end whatever is returned, and
 * *infos for free. */
static int wsc_begin(const GUID *user_id, const WCHAR *user_path,
                     const WSAPROTOCOL_INFOW *user_infos, DWORD n, GUID *id, char *path, size_t cap,
                     WSAPROTOCOL_INFOW **infos, struct cats_tx *tx)
{
    int err = wsc_args(user_id, user_path, user_infos, n, id, path, cap, infos);
    if (err == 0)
        return cats_begin(tx);
    tx->lockfd = -1;
    tx->recs = (struct crec_list){0};
    return err;
}

/* The end of a writer: what it changed is committed when nothing failed,
 * then the lock goes.  The writer's code, or the commit's. */
static int wsc_end(struct cats_tx *tx, int err)
{
    if (err == 0)
        err = cats_commit(tx);
    cats_end(tx);
    return err;
}

/* Installs append to the catalog file under its lock (docs/catalog.md). */
WSP_EXPORT int WSPAPI WSCInstallProvider(LPGUID lpProviderId, const WCHAR *lpszProviderDllPath,
                                         LPWSAPROTOCOL_INFOW lpProtocolInfoList,
                                         DWORD dwNumberOfEntries, LPINT lpErrno)
{
    GUID id;
    char path[WSC_PATH_MAX * 3];
    WSAPROTOCOL_INFOW *infos;
    struct cats_tx tx;
    int err = wsc_begin(lpProviderId, lpszProviderDllPath, lpProtocolInfoList, dwNumberOfEntries,
                        &id, path, sizeof path, &infos, &tx);
    /* Windows: WSAEINVAL for a provider GUID that is already installed */
    if (err == 0 && (wsc_find_provider(&tx.recs, &id) >= 0 || cat_builtin_provider(&id)))
        err = WSAEINVAL;
    DWORD next = err == 0 ? wsc_next_id(&tx.recs) : 0;
    for (DWORD i = 0; err == 0 && i < dwNumberOfEntries; i++) {
        WSAPROTOCOL_INFOW *pi = &infos[i];
        pi->ProviderId = id;
        pi->dwCatalogEntryId = next + i;
        /* a base or layered entry names itself first in its chain; a chain
         * entry (ChainLen > 1) keeps the ids its installer gave */
        if (pi->ProtocolChain.ChainLen <= BASE_PROTOCOL)
            pi->ProtocolChain.ChainEntries[0] = pi->dwCatalogEntryId;
        if (crec_push(&tx.recs, pi, path) != 0)
            err = WSAENOBUFS;
    }
    err = wsc_end(&tx, err);
    /* written back so the installer learns the ids (as WSCEnumProtocols would) */
    for (DWORD i = 0; err == 0 && i < dwNumberOfEntries; i++)
        if (umem_write(&lpProtocolInfoList[i].dwCatalogEntryId, &infos[i].dwCatalogEntryId,
                       sizeof infos[i].dwCatalogEntryId) != 0) {
        } /* best effort: the installer's list may be read-only */
    free(infos);
    return err != 0 ? wsc_fail(lpErrno, err) : 0;
}

/* An entry of another provider whose chain names one of this provider's
 * entries: removing this one would leave that chain dangling. */
static int wsc_used_by_chain(const struct crec_list *l, const GUID *id)
{
    for (size_t i = 0; i < l->n; i++) {
        const WSAPROTOCOL_INFOW *c = &l->v[i].info;
        if (c->ProtocolChain.ChainLen <= BASE_PROTOCOL ||
            memcmp(&c->ProviderId, id, sizeof *id) == 0)
            continue;
        for (int k = 0; k < c->ProtocolChain.ChainLen; k++) {
            long at = cats_find(l, c->ProtocolChain.ChainEntries[k]);
            if (at >= 0 && memcmp(&l->v[at].info.ProviderId, id, sizeof *id) == 0)
                return 1;
        }
    }
    return 0;
}

/* Refused (WSAEINVAL, nothing changes) for a built-in provider and for one
 * that a chain of another provider still uses: remove the chain first. */
WSP_EXPORT int WSPAPI WSCDeinstallProvider(LPGUID lpProviderId, LPINT lpErrno)
{
    GUID id;
    if (umem_read(&id, lpProviderId, sizeof id) != 0)
        return wsc_fail(lpErrno, WSAEFAULT);
    struct cats_tx tx;
    int err = cats_begin(&tx);
    if (err == 0 && (cat_builtin_provider(&id) || wsc_find_provider(&tx.recs, &id) < 0 ||
                     wsc_used_by_chain(&tx.recs, &id)))
        err = WSAEINVAL;
    if (err == 0) {
        size_t k = 0;
        for (size_t i = 0; i < tx.recs.n; i++) {
            if (memcmp(&tx.recs.v[i].info.ProviderId, &id, sizeof id) == 0)
                free(tx.recs.v[i].module);
            else
                tx.recs.v[k++] = tx.recs.v[i];
        }
        tx.recs.n = k;
    }
    err = wsc_end(&tx, err);
    return err != 0 ? wsc_fail(lpErrno, err) : 0;
}

/* Windows' WSCUpdateProvider replaces a provider's path and entries. Here the
 * entries are replaced one for one, in catalog order: dwNumberOfEntries must
 * be the provider's number of entries (else WSAEINVAL), and each keeps its
 * catalog id and GUID. */
WSP_EXPORT int WSPAPI WSCUpdateProvider(LPGUID lpProviderId, const WCHAR *lpszProviderDllPath,
                                        const LPWSAPROTOCOL_INFOW lpProtocolInfoList,
                                        DWORD dwNumberOfEntries, LPINT lpErrno)
{
    GUID id;
    char path[WSC_PATH_MAX * 3];
    WSAPROTOCOL_INFOW *infos;
    struct cats_tx tx;
    int err = wsc_begin(lpProviderId, lpszProviderDllPath, lpProtocolInfoList, dwNumberOfEntries,
                        &id, path, sizeof path, &infos, &tx);
    DWORD have = 0;
    for (size_t i = 0; err == 0 && i < tx.recs.n; i++)
        have += memcmp(&tx.recs.v[i].info.ProviderId, &id, sizeof id) == 0;
    if (err == 0 && (cat_builtin_provider(&id) || have == 0 || have != dwNumberOfEntries))
        err = WSAEINVAL;
    for (size_t i = 0, k = 0; err == 0 && i < tx.recs.n; i++) {
        struct crec *r = &tx.recs.v[i];
        if (memcmp(&r->info.ProviderId, &id, sizeof id) != 0)
            continue;
        WSAPROTOCOL_INFOW pi = infos[k++];
        pi.ProviderId = id;
        pi.dwCatalogEntryId = r->info.dwCatalogEntryId;
        if (pi.ProtocolChain.ChainLen <= BASE_PROTOCOL)
            pi.ProtocolChain.ChainEntries[0] = pi.dwCatalogEntryId;
        char *m = strdup(path);
        if (m == NULL) {
            err = WSAENOBUFS;
            break;
        }
        free(r->module);
        r->module = m;
        r->info = pi;
    }
    err = wsc_end(&tx, err);
    free(infos);
    return err != 0 ? wsc_fail(lpErrno, err) : 0;
}

/* Windows: the array must name every catalog entry exactly once; the result
 * is the error code itself (ERROR_SUCCESS = 0), not SOCKET_ERROR. */
WSP_EXPORT int WSPAPI WSCWriteProviderOrder(LPDWORD lpwdCatalogEntryId, DWORD dwNumberOfEntries)
{
    if (dwNumberOfEntries == 0 || dwNumberOfEntries > CREC_MAX_ENTRIES)
        return WSAEINVAL;
    DWORD *ids = calloc(dwNumberOfEntries, sizeof *ids);
    if (ids == NULL)
        return WSA_NOT_ENOUGH_MEMORY;
    if (umem_read(ids, lpwdCatalogEntryId, dwNumberOfEntries * sizeof *ids) != 0) {
        free(ids);
        return WSAEFAULT;
    }
    struct cats_tx tx;
    int err = cats_begin(&tx);
    struct crec_list out = {0};
    if (err == 0 && tx.recs.n != dwNumberOfEntries)
        err = WSAEINVAL;
    for (DWORD i = 0; err == 0 && i < dwNumberOfEntries; i++) {
        long at = cats_find(&tx.recs, ids[i]);
        if (at < 0 || tx.recs.v[at].line < 0) { /* unknown, or named twice */
            err = WSAEINVAL;
            break;
        }
        if (crec_push(&out, &tx.recs.v[at].info, tx.recs.v[at].module) != 0)
            err = WSA_NOT_ENOUGH_MEMORY;
        tx.recs.v[at].line = -1;
    }
    if (err == 0) {
        crec_clear(&tx.recs);
        tx.recs = out;
        out = (struct crec_list){0};
    }
    crec_clear(&out);
    err = wsc_end(&tx, err);
    free(ids);
    return err;
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
    (void)cats_refresh(); /* the file as it is now; a bad one leaves the built-ins */
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
    (void)cats_refresh(); /* the file as it is now; a bad one leaves the built-ins */
    int n = cat_enum(lpiProtocols, lpProtocolBuffer, lpdwBufferLength, CAT_ENUM_W, 1, &err);
    return n < 0 ? wsc_fail(lpErrno, err) : n;
}
