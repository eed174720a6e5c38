/* SPDX-License-Identifier: MIT */
/* The persistent catalog (see catalog_store.h and docs/catalog.md). */
#include "catalog_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

static pthread_mutex_t cats_mu = PTHREAD_MUTEX_INITIALIZER;
static char cats_msg[CATF_PATH_MAX + 256];

static void cats_set_status(const char *path, const struct crec_error *err)
{
    pthread_mutex_lock(&cats_mu);
    if (err == NULL)
        cats_msg[0] = '\0';
    else if (err->line > 0)
        snprintf(cats_msg, sizeof cats_msg, "%s:%d: %s", path, err->line, err->msg);
    else
        snprintf(cats_msg, sizeof cats_msg, "%s: %s", path, err->msg);
    pthread_mutex_unlock(&cats_mu);
}

int cats_status(char *msg, size_t cap)
{
    pthread_mutex_lock(&cats_mu);
    int bad = cats_msg[0] != '\0';
    if (cap > 0)
        snprintf(msg, cap, "%s", cats_msg);
    pthread_mutex_unlock(&cats_mu);
    return bad ? WSASYSCALLFAILURE : 0;
}

long cats_find(const struct crec_list *l, DWORD id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].info.dwCatalogEntryId == id)
            return (long)i;
    return -1;
}

int cats_is_builtin(const struct crec *r)
{
    const struct cat_entry *b = cat_builtin_find(r->info.dwCatalogEntryId);
    return b != NULL && memcmp(&b->prov->guid, &r->info.ProviderId, sizeof(GUID)) == 0;
}

/* A module is an absolute path or a bare name (searched): a relative path
 * with a directory would depend on the working directory at load time. */
static int cats_module_ok(const char *m)
{
    return m != NULL && m[0] != '\0' && (m[0] == '/' || strchr(m, '/') == NULL);
}

static int cats_check_chain(const struct crec_list *l, const struct crec *r, struct crec_error *err)
{
    const WSAPROTOCOL_INFOW *pi = &r->info;
    int len = pi->ProtocolChain.ChainLen;
    if (len < 0 || len > MAX_PROTOCOL_CHAIN)
        return crec_fail(err, r->line, "entry %u: chain length %d (0 to %d)",
                         (unsigned)pi->dwCatalogEntryId, len, MAX_PROTOCOL_CHAIN);
    if (len <= BASE_PROTOCOL) {
        if (pi->ProtocolChain.ChainEntries[0] != pi->dwCatalogEntryId)
            return crec_fail(err, r->line, "entry %u: a %s names itself in its chain",
                             (unsigned)pi->dwCatalogEntryId, crec_entry_type(len));
        return 0;
    }
    /* a chain: layered entries from the top down, a base entry at the bottom */
    for (int i = 0; i < len; i++) {
        DWORD id = pi->ProtocolChain.ChainEntries[i];
        long at = cats_find(l, id);
        int want = i == len - 1 ? BASE_PROTOCOL : LAYERED_PROTOCOL;
        if (at < 0)
            return crec_fail(err, r->line, "chain %u names entry %u, which is not in the catalog",
                             (unsigned)pi->dwCatalogEntryId, (unsigned)id);
        if (l->v[at].info.ProtocolChain.ChainLen != want)
            return crec_fail(err, r->line, "chain %u: entry %u must be a %s",
                             (unsigned)pi->dwCatalogEntryId, (unsigned)id, crec_entry_type(want));
    }
    return 0;
}

/* The records as a catalog: unique ids, built-in ids only for the built-ins,
 * one module per provider, usable module paths, chains over existing entries. */
static int cats_check(const struct crec_list *l, struct crec_error *err)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct crec *r = &l->v[i];
        DWORD id = r->info.dwCatalogEntryId;
        if (cats_find(l, id) != (long)i)
            return crec_fail(err, r->line, "entry id %u appears twice", (unsigned)id);
        if (cats_is_builtin(r))
            continue;
        if (id < CATS_FIRST_ID)
            return crec_fail(err, r->line, "entry id %u is reserved for the built-in entries",
                             (unsigned)id);
        if (cat_builtin_provider(&r->info.ProviderId))
            return crec_fail(err, r->line, "entry %u uses a built-in provider's GUID",
                             (unsigned)id);
        if (!cats_module_ok(r->module))
            return crec_fail(err, r->line,
                             "entry %u: provider_path must be an absolute path or a file name",
                             (unsigned)id);
        for (size_t j = 0; j < i; j++)
            if (memcmp(&l->v[j].info.ProviderId, &r->info.ProviderId, sizeof(GUID)) == 0 &&
                strcmp(l->v[j].module ? l->v[j].module : "", r->module) != 0)
                return crec_fail(err, r->line, "entry %u: one provider, two module paths",
                                 (unsigned)id);
        if (cats_check_chain(l, r, err) != 0)
            return -1;
    }
    return 0;
}

/* Built-in entries get their real contents (the file only places them);
 * missing ones go first, in their usual order. */
static int cats_complete(struct crec_list *l)
{
    struct crec_list out = {0};
    for (size_t i = 0; i < cat_builtin_count(); i++) {
        const struct cat_entry *b = cat_builtin_at(i);
        if (cats_find(l, b->info.dwCatalogEntryId) < 0 &&
            crec_push(&out, &b->info, b->prov->module) != 0)
            goto oom;
    }
    for (size_t i = 0; i < l->n; i++) {
        const struct crec *r = &l->v[i];
        const struct cat_entry *b =
            cats_is_builtin(r) ? cat_builtin_find(r->info.dwCatalogEntryId) : NULL;
        if (crec_push(&out, b ? &b->info : &r->info, b ? b->prov->module : r->module) != 0)
            goto oom;
        out.v[out.n - 1].line = r->line;
    }
    crec_clear(l);
    *l = out;
    return 0;
oom:
    crec_clear(&out);
    return -1;
}

/* A base or layered entry read from a file has no chain printed for a
 * layered one ([]): it names itself, as on install. */
static void cats_fix_self(struct crec_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        WSAPROTOCOL_INFOW *pi = &l->v[i].info;
        if (pi->ProtocolChain.ChainLen == LAYERED_PROTOCOL)
            pi->ProtocolChain.ChainEntries[0] = pi->dwCatalogEntryId;
    }
}

static int cats_load(const char *path, struct crec_list *l, struct crec_error *err)
{
    int exists;
    if (catf_read(path, l, &exists, err) != 0)
        return -1;
    cats_fix_self(l);
    if (cats_complete(l) != 0) {
        crec_clear(l);
        err->line = 0;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return -1;
    }
    if (cats_check(l, err) != 0) {
        crec_clear(l);
        return -1;
    }
    return 0;
}

int cats_refresh(void)
{
    char path[CATF_PATH_MAX];
    struct crec_list l = {0};
    struct crec_error err = {0, "path too long"};
    int rc = 0;
    if (catf_path(path, sizeof path) != 0 || cats_load(path, &l, &err) != 0) {
        cats_set_status(path, &err);
        rc = WSASYSCALLFAILURE;
        crec_clear(&l);
        if (cats_complete(&l) != 0) /* the built-in entries alone */
            return rc;
    } else {
        cats_set_status(path, NULL);
    }
    cat_lock();
    cat_sync_locked(l.v, l.n);
    cat_unlock();
    crec_clear(&l);
    return rc;
}

int cats_begin(struct cats_tx *tx)
{
    memset(tx, 0, sizeof *tx);
    tx->lockfd = -1;
    struct crec_error err = {0, "path too long"};
    if (catf_path(tx->path, sizeof tx->path) != 0) {
        cats_set_status(tx->path, &err);
        return WSASYSCALLFAILURE;
    }
    tx->lockfd = catf_lock(tx->path);
    if (tx->lockfd < 0) {
        snprintf(err.msg, sizeof err.msg, "cannot lock: %s", strerror(errno));
        cats_set_status(tx->path, &err);
        return WSASYSCALLFAILURE;
    }
    if (cats_load(tx->path, &tx->recs, &err) != 0) {
        cats_set_status(tx->path, &err);
        return WSASYSCALLFAILURE;
    }
    cats_set_status(tx->path, NULL);
    return 0;
}

/* The built-in entries alone in their usual order: stored as no file. */
static int cats_is_default(const struct crec_list *l)
{
    if (l->n != cat_builtin_count())
        return 0;
    for (size_t i = 0; i < l->n; i++)
        if (!cats_is_builtin(&l->v[i]) ||
            l->v[i].info.dwCatalogEntryId != cat_builtin_at(i)->info.dwCatalogEntryId)
            return 0;
    return 1;
}

int cats_commit(struct cats_tx *tx)
{
    struct crec_error err;
    if (cats_check(&tx->recs, &err) != 0)
        return WSAEINVAL;
    if (catf_replace(tx->path, tx->recs.v, cats_is_default(&tx->recs) ? 0 : tx->recs.n) != 0) {
        snprintf(err.msg, sizeof err.msg, "cannot write: %s", strerror(errno));
        err.line = 0;
        cats_set_status(tx->path, &err);
        return WSASYSCALLFAILURE;
    }
    cat_lock();
    cat_sync_locked(tx->recs.v, tx->recs.n);
    cat_unlock();
    return 0;
}

void cats_end(struct cats_tx *tx)
{
    catf_unlock(tx->lockfd);
    tx->lockfd = -1;
    crec_clear(&tx->recs);
}
