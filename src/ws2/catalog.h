/* SPDX-License-Identifier: MIT */
/* The protocol catalog in memory: which providers exist, their entries
 * (WSAPROTOCOL_INFOW) and where their modules are. Built-in entries for
 * wsp_tcp.so and wsp_itot.so are known without installation; the others come
 * from the catalog file (catalog_store.c), mirrored here at WSAStartup and
 * after every WSC call (docs/catalog.md).
 *
 * Entries and providers are never freed while the library is in use (a handle
 * refers to its entry); deinstalled ones are only marked removed and are
 * reaped when no handle can refer to them any more. */
#ifndef WSP_WS2_CATALOG_H
#define WSP_WS2_CATALOG_H

#include <stdatomic.h>
#include <stddef.h>

#include <wsp/ws2spi.h>

struct cat_provider {
    GUID guid;
    char *module; /* as installed: a path, or a name searched (catalog_path.c) */
    int builtin;
    int removed;
    int mark; /* cat_sync_locked: still in the file */
    /* loader state (loader.c): procs is written before `started` is set
     * (release), and read only by calls that saw `started` or hold a handle */
    _Atomic int started;
    void *dl;
    WSPPROC_TABLE procs;
    WSPDATA data;
    struct cat_provider *next;
};

struct cat_entry {
    WSAPROTOCOL_INFOW info;
    struct cat_provider *prov;
    int removed;
    int mark; /* cat_sync_locked: placed */
    struct cat_entry *next;
};

/* Serialises catalog changes and walks (not a hot path). */
void cat_lock(void);
void cat_unlock(void);

/* First entry / provider of the catalog (built-ins are added on first use).
 * Walk with ->next under cat_lock; skip removed ones. */
struct cat_entry *cat_entries(void);
struct cat_provider *cat_providers(void);

/* Entry by catalog id (not removed), or NULL. Takes the lock. */
struct cat_entry *cat_find_id(DWORD id);

/* The entry WSASocket picks for (af, type, protocol), with Winsock's errors:
 * WSAEAFNOSUPPORT, WSAESOCKTNOSUPPORT, WSAEPROTONOSUPPORT, WSAEPROTOTYPE,
 * WSAEINVAL (FROM_PROTOCOL_INFO without protocol info). info, when not NULL,
 * is a validated local copy; its dwCatalogEntryId selects the entry. */
int cat_match(int af, int type, int protocol, const WSAPROTOCOL_INFOW *info,
              struct cat_entry **out);

/* First usable entry of an address family (WSAAddressToString without info). */
struct cat_entry *cat_first_of_family(int af);

/* Resolve a module name to a file path (see catalog_path.c). Always fills out
 * (the name itself when nothing is found). */
void cat_resolve_path(const char *module, char *out, size_t cap);

/* Under cat_lock: append an installed provider and its entries. */
void cat_add_locked(struct cat_provider *p, struct cat_entry *const *entries, size_t n);

/* Under cat_lock: the provider with this GUID that is not removed, or NULL. */
struct cat_provider *cat_find_provider_locked(const GUID *id);

/* Free removed entries/providers that are not loaded (last WSACleanup). */
void cat_reap(void);

/* The built-in providers and entries (catalog_builtin.c). */
void cat_builtin_add(void (*add_provider)(struct cat_provider *p),
                     void (*add_entry)(struct cat_entry *e));
size_t cat_builtin_count(void);
struct cat_entry *cat_builtin_at(size_t i);
struct cat_entry *cat_builtin_find(DWORD id); /* NULL if id is not a built-in's */
int cat_builtin_provider(const GUID *id);

struct crec;
/* Under cat_lock: make the catalog the n records r, in their order (the
 * whole catalog, built-ins included). Entries and providers that are no
 * longer there are only marked removed (handles may still refer to them);
 * unchanged ones keep their memory. */
void cat_sync_locked(const struct crec *r, size_t n);

/* Entries visible to WSAEnumProtocols: not removed, not hidden, not layered. */
int cat_entry_public(const struct cat_entry *e);

#endif
