/* SPDX-License-Identifier: MIT */
/* Catalog storage, lookup and (af, type, protocol) matching. */
#include "catalog.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_record.h"

static pthread_mutex_t cat_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t cat_once = PTHREAD_ONCE_INIT;
static struct cat_provider *cat_prov_head;
static struct cat_provider **cat_prov_tail = &cat_prov_head;
static struct cat_entry *cat_entry_head;
static struct cat_entry **cat_entry_tail = &cat_entry_head;

static void cat_append_provider(struct cat_provider *p)
{
    p->next = NULL;
    *cat_prov_tail = p;
    cat_prov_tail = &p->next;
}

static void cat_append_entry(struct cat_entry *e)
{
    e->next = NULL;
    *cat_entry_tail = e;
    cat_entry_tail = &e->next;
}

static void cat_init(void)
{
    cat_builtin_add(cat_append_provider, cat_append_entry);
}

void cat_lock(void)
{
    pthread_once(&cat_once, cat_init);
    pthread_mutex_lock(&cat_mu);
}

void cat_unlock(void)
{
    pthread_mutex_unlock(&cat_mu);
}

struct cat_entry *cat_entries(void)
{
    return cat_entry_head;
}

struct cat_provider *cat_providers(void)
{
    return cat_prov_head;
}

void cat_add_locked(struct cat_provider *p, struct cat_entry *const *entries, size_t n)
{
    cat_append_provider(p);
    for (size_t i = 0; i < n; i++)
        cat_append_entry(entries[i]);
}

/* The live installed provider for this record, made if there is none. */
static struct cat_provider *cat_sync_provider(const struct crec *rec)
{
    for (struct cat_provider *p = cat_prov_head; p; p = p->next)
        if (!p->builtin && !p->removed &&
            memcmp(&p->guid, &rec->info.ProviderId, sizeof p->guid) == 0 &&
            strcmp(p->module, rec->module) == 0)
            return p;
    struct cat_provider *p = calloc(1, sizeof *p);
    if (p == NULL || (p->module = strdup(rec->module)) == NULL) {
        free(p);
        return NULL;
    }
    p->guid = rec->info.ProviderId;
    cat_append_provider(p);
    return p;
}

/* The live entry equal to this record, made if there is none: a changed
 * entry is a new one (a handle keeps the old contents it was made with). */
static struct cat_entry *cat_sync_entry(struct cat_provider *p, const struct crec *rec)
{
    for (struct cat_entry *e = cat_entry_head; e; e = e->next)
        if (e->prov == p && !e->removed && !e->mark &&
            memcmp(&e->info, &rec->info, sizeof e->info) == 0)
            return e;
    struct cat_entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->prov = p;
    e->info = rec->info;
    cat_append_entry(e);
    return e;
}

void cat_sync_locked(const struct crec *r, size_t n)
{
    size_t total = n;
    for (struct cat_entry *e = cat_entry_head; e; e = e->next, total++)
        e->mark = 0;
    for (struct cat_provider *p = cat_prov_head; p; p = p->next)
        p->mark = 0;
    struct cat_entry **order = calloc(total ? total : 1, sizeof(struct cat_entry *));
    if (order == NULL)
        return;
    size_t placed = 0;
    for (size_t i = 0; i < n; i++) {
        struct cat_entry *e = cat_builtin_find(r[i].info.dwCatalogEntryId);
        if (e == NULL || memcmp(&e->prov->guid, &r[i].info.ProviderId, sizeof(GUID)) != 0) {
            struct cat_provider *p = cat_sync_provider(&r[i]);
            e = p ? cat_sync_entry(p, &r[i]) : NULL;
            if (e == NULL) {
                free(order); /* out of memory: keep what is there */
                return;
            }
        }
        e->mark = e->prov->mark = 1;
        order[placed++] = e;
    }
    /* what the file no longer has is removed (built-ins never are) */
    for (struct cat_provider *p = cat_prov_head; p; p = p->next)
        if (!p->builtin && !p->mark)
            p->removed = 1;
    for (struct cat_entry *e = cat_entry_head; e; e = e->next) {
        if (!e->mark) {
            e->removed = !e->prov->builtin;
            order[placed++] = e;
        }
    }
    /* relink in the file's order, the removed ones after */
    cat_entry_head = NULL;
    cat_entry_tail = &cat_entry_head;
    for (size_t i = 0; i < placed; i++)
        cat_append_entry(order[i]);
    free(order);
}

struct cat_provider *cat_find_provider_locked(const GUID *id)
{
    for (struct cat_provider *p = cat_prov_head; p; p = p->next)
        if (!p->removed && memcmp(&p->guid, id, sizeof *id) == 0)
            return p;
    return NULL;
}

int cat_entry_public(const struct cat_entry *e)
{
    return !e->removed && !(e->info.dwProviderFlags & PFL_HIDDEN) &&
           e->info.ProtocolChain.ChainLen != LAYERED_PROTOCOL;
}

struct cat_entry *cat_find_id(DWORD id)
{
    cat_lock();
    struct cat_entry *e = cat_entry_head;
    while (e && (e->removed || e->info.dwCatalogEntryId != id))
        e = e->next;
    cat_unlock();
    return e;
}

struct cat_entry *cat_first_of_family(int af)
{
    cat_lock();
    struct cat_entry *e = cat_entry_head;
    while (e && (!cat_entry_public(e) || e->info.iAddressFamily != af))
        e = e->next;
    cat_unlock();
    return e;
}

static int cat_protocol_matches(const WSAPROTOCOL_INFOW *pi, int protocol)
{
    if (protocol == 0)
        return (pi->dwProviderFlags & PFL_MATCHES_PROTOCOL_ZERO) != 0;
    /* in long long: an installer's iProtocol + iProtocolMaxOffset may not fit an int */
    return protocol >= pi->iProtocol &&
           (long long)protocol <= (long long)pi->iProtocol + pi->iProtocolMaxOffset;
}

/* A chain entry is matched like a base entry (by its triple, in catalog order,
 * or named by its protocol info); the loader then starts the module of the
 * chain's top layer (loader.c). A layered entry alone is never a socket's
 * entry: it is only reached through a chain that names it. */
int cat_match(int af, int type, int protocol, const WSAPROTOCOL_INFOW *info, struct cat_entry **out)
{
    if (info != NULL) {
        struct cat_entry *e = cat_find_id(info->dwCatalogEntryId);
        /* a layered entry is only reached through a chain that names it */
        if (e == NULL || e->info.ProtocolChain.ChainLen == LAYERED_PROTOCOL)
            return WSAEINVAL;
        *out = e;
        return 0;
    }
    if (af == FROM_PROTOCOL_INFO || type == FROM_PROTOCOL_INFO || protocol == FROM_PROTOCOL_INFO)
        return WSAEINVAL;
    /* What was found on the way decides which error a miss gets: the family
     * first, then the type, then whether the protocol exists with another type. */
    int have_af = 0, have_type = 0, proto_other_type = 0;
    struct cat_entry *found = NULL;
    cat_lock();
    for (struct cat_entry *e = cat_entry_head; e && !found; e = e->next) {
        const WSAPROTOCOL_INFOW *pi = &e->info;
        if (e->removed || pi->ProtocolChain.ChainLen == LAYERED_PROTOCOL)
            continue;
        if (af != AF_UNSPEC && pi->iAddressFamily != af)
            continue;
        have_af = 1;
        int proto_ok = cat_protocol_matches(pi, protocol);
        if (type != 0 && pi->iSocketType != type) {
            proto_other_type |= protocol != 0 && proto_ok;
            continue;
        }
        have_type = 1;
        if (proto_ok)
            found = e;
    }
    cat_unlock();
    if (found) {
        *out = found;
        return 0;
    }
    if (!have_af)
        return WSAEAFNOSUPPORT;
    if (proto_other_type)
        return WSAEPROTOTYPE;
    return have_type ? WSAEPROTONOSUPPORT : WSAESOCKTNOSUPPORT;
}

static void cat_free_provider(struct cat_provider *p)
{
    if (!p->builtin) {
        free(p->module);
        free(p);
    }
}

/* Unlink and free removed, unloaded, non-built-in providers and their entries. */
static void cat_reap_locked(int all)
{
    struct cat_provider **pp = &cat_prov_head;
    while (*pp) {
        struct cat_provider *p = *pp;
        int dead = !p->builtin && (all || (p->removed && !atomic_load(&p->started)));
        if (!dead) {
            pp = &p->next;
            continue;
        }
        for (struct cat_entry **ep = &cat_entry_head; *ep;) {
            struct cat_entry *e = *ep;
            if (e->prov == p) {
                *ep = e->next;
                free(e);
            } else {
                ep = &e->next;
            }
        }
        *pp = p->next;
        cat_free_provider(p);
    }
    /* entries replaced while their provider lives on (WSCUpdateProvider, a
     * change seen in the file): no handle refers to them at the last WSACleanup */
    for (struct cat_entry **ep = &cat_entry_head; *ep;) {
        struct cat_entry *e = *ep;
        if (e->removed && !e->prov->builtin) {
            *ep = e->next;
            free(e);
        } else {
            ep = &e->next;
        }
    }
    /* re-derive the tails */
    cat_prov_tail = &cat_prov_head;
    while (*cat_prov_tail)
        cat_prov_tail = &(*cat_prov_tail)->next;
    cat_entry_tail = &cat_entry_head;
    while (*cat_entry_tail)
        cat_entry_tail = &(*cat_entry_tail)->next;
}

void cat_reap(void)
{
    cat_lock();
    cat_reap_locked(0);
    cat_unlock();
}

/* Process exit: free every installed provider's memory (they live on in the
 * file; this keeps leak checkers quiet). */
__attribute__((destructor)) static void cat_fini(void)
{
    pthread_mutex_lock(&cat_mu);
    cat_reap_locked(1);
    pthread_mutex_unlock(&cat_mu);
}
