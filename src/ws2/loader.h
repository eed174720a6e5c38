/* SPDX-License-Identifier: MIT */
/* Provider modules: loaded once per provider GUID, lazily. */
#ifndef WSP_WS2_LOADER_H
#define WSP_WS2_LOADER_H

#include "catalog.h"

/* Make sure the provider of entry e is loaded and started. 0,
 * WSAEPROVIDERFAILEDINIT (module/symbol missing, WSPStartup failed) or
 * WSAEINVALIDPROCTABLE (a NULL entry in the proc table). */
int ldr_ensure(struct cat_entry *e);

/* Procs of a started provider (valid while a handle of it is pinned). */
static inline const WSPPROC_TABLE *ldr_procs(const struct cat_entry *e)
{
    return &e->prov->procs;
}

/* WSPCleanup and dlclose every started provider (last WSACleanup). */
void ldr_unload_all(void);

#endif
