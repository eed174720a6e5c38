/* SPDX-License-Identifier: MIT */
/* Loading a provider: check that the module file is safe to load
 * (loader_path.c), dlopen, dlsym("WSPStartup"), call it with our upcall
 * table, and accept the proc table only when every entry is set (a NULL entry
 * would crash the first API call that reaches it, far from the cause).
 *
 * A protocol chain (ChainLen 2-7) is started as on Windows: the module of its
 * top layer (the layered entry ChainEntries[0]) gets the chain's own
 * WSAPROTOCOL_INFOW and our upcall table; that layer finds, loads and starts
 * the providers under it itself (docs/writing-a-provider.md). The started
 * table is kept on the chain's provider, which owns the chain's handles, so
 * API calls on a layered socket reach the layer. */
#include "loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>

#include "common/sys.h"
#include "upcalls.h"

/* Held while a provider starts: a second thread asking for the same provider
 * waits instead of loading it twice. Not on any hot path. */
static pthread_mutex_t ldr_mu = PTHREAD_MUTEX_INITIALIZER;

/* Nonzero while this thread runs a provider's WSPStartup or WSPCleanup, that
 * is, while it holds ldr_mu (and, in the last WSACleanup, the startup mutex).
 * A call back into the API from there that would take one of them again
 * gets WSAEINPROGRESS ("the service provider is still processing a callback
 * function", Windows' wording) instead of deadlocking: see ldr_busy. */
static _Thread_local int ldr_in_provider;

int ldr_busy(void)
{
    return ldr_in_provider;
}

static int ldr_call_startup(LPWSPSTARTUP start, LPWSPDATA data, LPWSAPROTOCOL_INFOW info,
                            LPWSPPROC_TABLE t)
{
    ldr_in_provider++;
    int rc = start(MAKEWORD(2, 2), data, info, upc_table, t);
    ldr_in_provider--;
    return rc;
}

static void ldr_call_cleanup(const WSPPROC_TABLE *t)
{
    int err = 0;
    ldr_in_provider++;
    (dbg_on() ? dbg_procs(t) : t)->lpWSPCleanup(&err);
    ldr_in_provider--;
}

_Static_assert(sizeof(WSPPROC_TABLE) == WSP_PROC_TABLE_ENTRIES * sizeof(void (*)(void)),
               "WSPPROC_TABLE is an array of function pointers");

static int ldr_table_complete(const WSPPROC_TABLE *t)
{
    void (*fns[WSP_PROC_TABLE_ENTRIES])(void);
    memcpy(fns, t, sizeof fns);
    for (size_t i = 0; i < WSP_PROC_TABLE_ENTRIES; i++)
        if (fns[i] == NULL)
            return 0;
    return 1;
}

static int ldr_start_locked(struct cat_provider *p, const char *module,
                            const WSAPROTOCOL_INFOW *info)
{
    char path[4096], real[4096];
    cat_resolve_path(module, path, sizeof path);
    /* a privileged process (setuid, setgid, capabilities) trusts fewer files */
    int err = ldr_path_check(path, getauxval(AT_SECURE) != 0, real, sizeof real);
    if (err != 0)
        return err;
    void *dl = sys_dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL)
        return WSAEPROVIDERFAILEDINIT;
    LPWSPSTARTUP start;
    *(void **)&start = sys_dlsym(dl, "WSPStartup");
    if (start == NULL) {
        sys_dlclose(dl);
        return WSAEPROVIDERFAILEDINIT;
    }
    WSPPROC_TABLE t;
    memset(&t, 0, sizeof t);
    WSPDATA data;
    memset(&data, 0, sizeof data);
    WSAPROTOCOL_INFOW copy = *info; /* the provider may not scribble on the catalog */
    if (ldr_call_startup(start, &data, &copy, &t) != 0) {
        sys_dlclose(dl);
        return WSAEPROVIDERFAILEDINIT;
    }
    if (!ldr_table_complete(&t)) {
        if (t.lpWSPCleanup)
            ldr_call_cleanup(&t);
        sys_dlclose(dl);
        return WSAEINVALIDPROCTABLE;
    }
    p->dl = dl;
    p->procs = t;
    p->data = data;
    atomic_store_explicit(&p->started, 1, memory_order_release);
    return 0;
}

/* Loading a provider is where a missing or broken module shows: traced. */
static int ldr_start_traced(struct cat_provider *p, const char *module,
                            const WSAPROTOCOL_INFOW *info)
{
    int err = ldr_start_locked(p, module, info);
    if (dbg_on()) {
        struct dbg_line l;
        dbg_begin(&l, "WSPStartup");
        dbg_put(&l, "module=%s", module);
        dbg_result_code(&l, err);
        dbg_emit(&l);
    }
    return err;
}

/* The module that serves entry e: its own provider's, or for a chain the
 * module of its top layer. A chain whose top is not a layered entry of the
 * catalog cannot operate: WSAEPROVIDERFAILEDINIT, WSASocket's code for a
 * layered provider "improperly installed". Entries are never freed while the
 * library is in use (catalog.h), so the module string stays valid. */
static int ldr_module_of(const struct cat_entry *e, const char **module)
{
    if (e->info.ProtocolChain.ChainLen <= BASE_PROTOCOL) {
        *module = e->prov->module;
        return 0;
    }
    const struct cat_entry *top = cat_find_id(e->info.ProtocolChain.ChainEntries[0]);
    if (top == NULL || top->info.ProtocolChain.ChainLen != LAYERED_PROTOCOL)
        return WSAEPROVIDERFAILEDINIT;
    *module = top->prov->module;
    return 0;
}

int ldr_ensure(struct cat_entry *e)
{
    struct cat_provider *p = e->prov;
    if (atomic_load_explicit(&p->started, memory_order_acquire))
        return 0;
    /* called back from a provider's WSPStartup/WSPCleanup: ldr_mu is ours */
    if (ldr_in_provider)
        return WSAEINPROGRESS;
    const char *module;
    int err = ldr_module_of(e, &module);
    if (err != 0)
        return err;
    pthread_mutex_lock(&ldr_mu);
    if (!atomic_load_explicit(&p->started, memory_order_relaxed))
        err = ldr_start_traced(p, module, &e->info);
    pthread_mutex_unlock(&ldr_mu);
    return err;
}

/* The next started provider, found under the catalog lock (its WSPCleanup then
 * runs without it: a provider may make upcalls that take the lock). */
static struct cat_provider *ldr_next_started(void)
{
    cat_lock();
    struct cat_provider *p = cat_providers();
    while (p && !atomic_load_explicit(&p->started, memory_order_acquire))
        p = p->next;
    cat_unlock();
    return p;
}

void ldr_unload_all(void)
{
    pthread_mutex_lock(&ldr_mu);
    for (struct cat_provider *p; (p = ldr_next_started()) != NULL;) {
        ldr_call_cleanup(&p->procs);
        atomic_store_explicit(&p->started, 0, memory_order_release);
        sys_dlclose(p->dl);
        p->dl = NULL;
        memset(&p->procs, 0, sizeof p->procs);
    }
    pthread_mutex_unlock(&ldr_mu);
}
