/* SPDX-License-Identifier: MIT */
/* Provider modules: loaded once per provider GUID, lazily. */
#ifndef WSP_WS2_LOADER_H
#define WSP_WS2_LOADER_H

#include "catalog.h"
#include "debug.h"

/* Make sure the provider of entry e is loaded and started. 0,
 * WSAEPROVIDERFAILEDINIT (module/symbol missing, WSPStartup failed),
 * WSAEINVALIDPROCTABLE (a NULL entry in the proc table) or WSAEINPROGRESS
 * (called from a provider's WSPStartup/WSPCleanup and the provider is not
 * started yet: loading it would wait for ourselves). */
int ldr_ensure(struct cat_entry *e);

/* Nonzero when the calling thread is inside a provider's WSPStartup or
 * WSPCleanup. WSAStartup and WSACleanup refuse then (WSAEINPROGRESS): the
 * last WSACleanup runs WSPCleanup with the startup mutex held, and a
 * provider must not end or extend the session it is being started in. */
int ldr_busy(void);

/* Whether the module file at path may be loaded (loader_path.c): 0 and its
 * real name (symlinks resolved) in real[cap], or WSAEPROVIDERFAILEDINIT for a
 * relative path, a missing file or one that others could have written.
 * strict adds the checks for privileged (AT_SECURE) processes. */
int ldr_path_check(const char *path, int strict, char *real, size_t cap);

/* Procs of a started provider (valid while a handle of it is pinned). */
static inline const WSPPROC_TABLE *ldr_procs(const struct cat_entry *e)
{
    const WSPPROC_TABLE *t = &e->prov->procs;
    return dbg_on() ? dbg_procs(t) : t; /* the tracing shim (debug.h) */
}

/* WSPCleanup and dlclose every started provider (last WSACleanup). */
void ldr_unload_all(void);

#endif
