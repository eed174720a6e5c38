/* SPDX-License-Identifier: MIT */
/* Finding and starting the next provider of a chain, the way a Windows LSP
 * does it: only through the exported catalog API (WSCEnumProtocols,
 * WSCGetProviderPath), never through libwsp's internals.
 *
 * A chain [L0, L1, ..., B] lists layered entries from the top down and its
 * base entry last. We find our own place in it (the first layered entry whose
 * module is this very file), and the entry after it is our next provider:
 *   - the base entry B: it gets B's own WSAPROTOCOL_INFOW, so the sockets it
 *     makes are B's (its WPUCreateSocketHandle names B's catalog id);
 *   - another layer: it gets the chain's info and finds itself in it.
 * The next provider is started with ws2's upcall table, as ws2 would. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* Chains served at once by this module; a socket's context points into one of
 * these, which live until our last WSPCleanup. */
#define TRACE_MAX_NEXT 32

static pthread_mutex_t trace_next_mu = PTHREAD_MUTEX_INITIALIZER;
static struct trace_next *trace_nexts[TRACE_MAX_NEXT];
static size_t trace_next_n;

/* The whole catalog, layered and hidden entries included. */
static WSAPROTOCOL_INFOW *trace_catalog(int *n)
{
    DWORD len = 0;
    int err = 0;
    if (WSCEnumProtocols(NULL, NULL, &len, &err) != SOCKET_ERROR || err != WSAENOBUFS)
        return NULL;
    WSAPROTOCOL_INFOW *all = malloc(len);
    if (all == NULL)
        return NULL;
    *n = WSCEnumProtocols(NULL, all, &len, &err);
    if (*n == SOCKET_ERROR) {
        free(all);
        return NULL;
    }
    return all;
}

static const WSAPROTOCOL_INFOW *trace_find(const WSAPROTOCOL_INFOW *all, int n, DWORD id)
{
    for (int i = 0; i < n; i++)
        if (all[i].dwCatalogEntryId == id)
            return &all[i];
    return NULL;
}

/* UTF-16 (the catalog's paths) to UTF-8 (the file system's); 0 or -1. */
static int trace_utf8(const WCHAR *w, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; w[i] != 0; i++) {
        unsigned long c = w[i];
        if (c >= 0xD800 && c <= 0xDBFF && w[i + 1] >= 0xDC00 && w[i + 1] <= 0xDFFF)
            c = 0x10000 + ((c - 0xD800) << 10) + (w[++i] - 0xDC00u);
        unsigned char b[4];
        size_t k = c < 0x80      ? (b[0] = (unsigned char)c, 1)
                   : c < 0x800   ? (b[0] = (unsigned char)(0xC0 | c >> 6), 2)
                   : c < 0x10000 ? (b[0] = (unsigned char)(0xE0 | c >> 12), 3)
                                 : (b[0] = (unsigned char)(0xF0 | c >> 18), 4);
        for (size_t j = 1; j < k; j++)
            b[j] = (unsigned char)(0x80 | ((c >> (6 * (k - 1 - j))) & 0x3F));
        if (o + k >= cap)
            return -1;
        memcpy(out + o, b, k);
        o += k;
    }
    out[o] = '\0';
    return 0;
}

/* The module file of a provider, as the catalog resolves it (real path). */
static int trace_module_of(const WSAPROTOCOL_INFOW *pi, char real[PATH_MAX])
{
    WCHAR w[PATH_MAX];
    int len = PATH_MAX, err = 0;
    GUID id = pi->ProviderId;
    char path[PATH_MAX * 3];
    if (WSCGetProviderPath(&id, w, &len, &err) != 0 || trace_utf8(w, path, sizeof path) != 0)
        return -1;
    return realpath(path, real) != NULL ? 0 : -1;
}

/* Our place in the chain: the first layered entry served by this file. */
static int trace_position(const WSAPROTOCOL_INFOW *chain, const WSAPROTOCOL_INFOW *all, int n)
{
    Dl_info self;
    char me[PATH_MAX], mod[PATH_MAX];
    if (dladdr((void *)(uintptr_t)&trace_position, &self) == 0 || self.dli_fname == NULL ||
        realpath(self.dli_fname, me) == NULL)
        return -1;
    for (int i = 0; i + 1 < chain->ProtocolChain.ChainLen; i++) {
        const WSAPROTOCOL_INFOW *e = trace_find(all, n, chain->ProtocolChain.ChainEntries[i]);
        if (e != NULL && e->ProtocolChain.ChainLen == LAYERED_PROTOCOL &&
            trace_module_of(e, mod) == 0 && strcmp(mod, me) == 0)
            return i;
    }
    return -1;
}

static int trace_table_complete(const WSPPROC_TABLE *t)
{
    void (*fns[WSP_PROC_TABLE_ENTRIES])(void);
    memcpy(fns, t, sizeof fns);
    for (size_t i = 0; i < WSP_PROC_TABLE_ENTRIES; i++)
        if (fns[i] == NULL)
            return 0;
    return 1;
}

/* dlopen the next provider's module and call its WSPStartup. */
static int trace_next_start(struct trace_next *nx, const char *module)
{
    nx->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (nx->dl == NULL)
        return WSAEPROVIDERFAILEDINIT;
    LPWSPSTARTUP start;
    *(void **)&start = dlsym(nx->dl, "WSPStartup");
    WSPDATA data;
    WSAPROTOCOL_INFOW copy = nx->info; /* the next provider may write to it */
    if (start == NULL || start(MAKEWORD(2, 2), &data, &copy, trace_upcalls, &nx->procs) != 0) {
        dlclose(nx->dl);
        return WSAEPROVIDERFAILEDINIT;
    }
    if (!trace_table_complete(&nx->procs)) {
        int err;
        if (nx->procs.lpWSPCleanup != NULL)
            nx->procs.lpWSPCleanup(&err);
        dlclose(nx->dl);
        return WSAEINVALIDPROCTABLE;
    }
    return 0;
}

/* Everything a chain needs, found in the catalog: 0 or a WSAE code. */
static int trace_next_find(const WSAPROTOCOL_INFOW *chain, struct trace_next *nx)
{
    if (chain->ProtocolChain.ChainLen <= BASE_PROTOCOL ||
        chain->ProtocolChain.ChainLen > MAX_PROTOCOL_CHAIN)
        return WSAEPROVIDERFAILEDINIT; /* we only ever serve chains */
    int n = 0;
    WSAPROTOCOL_INFOW *all = trace_catalog(&n);
    if (all == NULL)
        return WSAEPROVIDERFAILEDINIT;
    int err = WSAEPROVIDERFAILEDINIT;
    char module[PATH_MAX];
    int pos = trace_position(chain, all, n);
    const WSAPROTOCOL_INFOW *next =
        pos < 0 ? NULL : trace_find(all, n, chain->ProtocolChain.ChainEntries[pos + 1]);
    if (next != NULL && trace_module_of(next, module) == 0) {
        nx->chain_id = chain->dwCatalogEntryId;
        nx->info = next->ProtocolChain.ChainLen == BASE_PROTOCOL ? *next : *chain;
        err = trace_next_start(nx, module);
    }
    free(all);
    return err;
}

const struct trace_next *trace_next_for(const WSAPROTOCOL_INFOW *info, int *err)
{
    struct trace_next *nx = NULL;
    if (!trace_live()) {
        trace_set_err(err, WSAENETDOWN);
        return NULL;
    }
    pthread_mutex_lock(&trace_next_mu);
    for (size_t i = 0; i < trace_next_n && nx == NULL; i++)
        if (trace_nexts[i]->chain_id == info->dwCatalogEntryId)
            nx = trace_nexts[i];
    if (nx == NULL) {
        int e = WSAENOBUFS;
        nx = trace_next_n < TRACE_MAX_NEXT ? calloc(1, sizeof *nx) : NULL;
        if (nx != NULL)
            nx->chain = *info;
        if (nx != NULL && (e = trace_next_find(info, nx)) != 0) {
            free(nx);
            nx = NULL;
        }
        if (nx == NULL)
            trace_set_err(err, e);
        if (nx != NULL)
            trace_nexts[trace_next_n++] = nx;
    }
    pthread_mutex_unlock(&trace_next_mu);
    return nx;
}

/* WSPCleanup runs down the chain: each next provider's own WSPCleanup, then
 * its module is released (it stays mapped while ws2 or another layer still
 * holds it: dlopen counts). */
void trace_next_cleanup_all(void)
{
    pthread_mutex_lock(&trace_next_mu);
    for (size_t i = trace_next_n; i-- > 0;) {
        struct trace_next *nx = trace_nexts[i];
        int err = 0;
        int rc = nx->procs.lpWSPCleanup(&err);
        struct trace_rec r = {"WSPCleanup(next)", 0, rc, rc == 0 ? 0 : err, -1, -1};
        trace_log(&r);
        dlclose(nx->dl);
        free(nx);
        trace_nexts[i] = NULL;
    }
    trace_next_n = 0;
    pthread_mutex_unlock(&trace_next_mu);
}
