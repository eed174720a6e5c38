/* SPDX-License-Identifier: MIT */
/* WSAStartup / WSACleanup: a use count. The last WSACleanup closes every handle
 * still open, cleans up and unloads every provider started, and frees the
 * handle table, the events and deinstalled catalog entries, so that nothing
 * is left behind (valgrind-clean after WSACleanup).
 *
 * As on Windows, API calls that race the last WSACleanup on other threads are
 * the application's bug: new calls get WSANOTINITIALISED from the moment the
 * count reaches zero, but a call already past that check may find its
 * provider gone. Installed catalog entries survive WSACleanup (they live in
 * the catalog file, docs/catalog.md).
 *
 * Both refuse with WSAEINPROGRESS when called from a provider's WSPStartup or
 * WSPCleanup (loader.h: ldr_busy): the loader, and in the last WSACleanup
 * su_mu, are held further up the same thread. */
#include <pthread.h>
#include <string.h>

#include "api.h"
#include "catalog_store.h"
#include "common/umem.h"
#include "debug.h"
#include "event.h"
#include "loader.h"
#include "proc_poll.h"

_Atomic int su_running_flag;
static pthread_mutex_t su_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned su_count;

static int su_startup(WORD wVersionRequested, LPWSADATA lpWSAData);

/* Traced here: WSAStartup never reaches a provider. The trace settings are
 * read once, before the first WSAStartup's own line. */
WSP_EXPORT int WSAAPI WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData)
{
    dbg_env_init();
    int rc = su_startup(wVersionRequested, lpWSAData);
    if (dbg_on()) {
        struct dbg_line l;
        dbg_begin(&l, "WSAStartup");
        dbg_put(&l, "version=%u.%u", LOBYTE(wVersionRequested), HIBYTE(wVersionRequested));
        dbg_result_code(&l, rc);
        dbg_emit(&l);
    }
    return rc;
}

static int su_startup(WORD wVersionRequested, LPWSADATA lpWSAData)
{
    BYTE major = LOBYTE(wVersionRequested), minor = HIBYTE(wVersionRequested);
    /* only Winsock 2: 1.x has no SPI and different semantics */
    if (major < 2)
        return WSAVERNOTSUPPORTED;
    if (ldr_busy())
        return WSAEINPROGRESS; /* from a provider's WSPStartup/WSPCleanup */
    umem_init();               /* a bad caller pointer is WSAEFAULT from the first call on */
    proc_poll_atfork_init();   /* before any provider's fork handlers (proc_poll.h) */
    WSADATA d;
    memset(&d, 0, sizeof d);
    d.wVersion = major > 2 ? MAKEWORD(2, 2) : MAKEWORD(2, minor > 2 ? 2 : minor);
    d.wHighVersion = MAKEWORD(2, 2);
    strcpy(d.szDescription, "wsp "
                            "Windows Sockets 2 on POSIX");
    strcpy(d.szSystemStatus, "Running");
    if (umem_write(lpWSAData, &d, sizeof d) != 0)
        return WSAEFAULT;
    /* another process's installs show from the next WSAStartup on, as on
     * Windows; a bad file leaves the built-in entries (wsp_catalog_status) */
    (void)cats_refresh();
    pthread_mutex_lock(&su_mu);
    su_count++;
    atomic_store_explicit(&su_running_flag, 1, memory_order_release);
    pthread_mutex_unlock(&su_mu);
    return 0;
}

static void su_close_one(SOCKET s, void *owner, void *arg)
{
    const struct cat_entry *e = owner;
    int chains_only = *(const int *)arg;
    if (!chains_only || e->info.ProtocolChain.ChainLen > BASE_PROTOCOL)
        (void)api_close_handle(s);
}

static int su_cleanup(void);

WSP_EXPORT int WSAAPI WSACleanup(void)
{
    int rc = su_cleanup();
    if (dbg_on()) {
        struct dbg_line l;
        dbg_begin(&l, "WSACleanup");
        dbg_result(&l, rc, WSAGetLastError());
        dbg_emit(&l);
    }
    return rc;
}

static int su_cleanup(void)
{
    /* from a provider's WSPStartup/WSPCleanup: the last WSACleanup would wait
     * for the loader (or this very mutex) held further up this thread */
    if (ldr_busy())
        return le_fail(WSAEINPROGRESS);
    pthread_mutex_lock(&su_mu);
    if (su_count == 0) {
        pthread_mutex_unlock(&su_mu);
        return le_fail(WSANOTINITIALISED);
    }
    if (--su_count == 0) {
        atomic_store_explicit(&su_running_flag, 0, memory_order_release);
        /* layered sockets first: closing one closes the base socket under it */
        int chains_only = 1;
        hdl_for_each_live(su_close_one, &chains_only);
        chains_only = 0;
        hdl_for_each_live(su_close_one, &chains_only);
        ldr_unload_all();
        hdl_reset();
        evt_reset_all();
        cat_reap();
    }
    pthread_mutex_unlock(&su_mu);
    return 0;
}
