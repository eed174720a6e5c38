/* SPDX-License-Identifier: MIT */
/* Port polling: the providers' poll procedures (ws2spi.h,
 * WPURegisterPortPoller) and the run of one report from a port's epoll set.
 *
 * A report's data is tag | cookie: the top 8 bits name the procedure (its
 * index + 1; 0xFF is the port's own eventfd), the rest is the provider's
 * cookie. A procedure is looked up and entered without a lock: an entry
 * counts itself in `running` before it tests `live`, and deregistration
 * clears `live` before it waits for `running` to reach 0 (both sequentially
 * consistent), so after WPUDeregisterPortPoller returns nobody is inside the
 * provider's code, which may then be unloaded. */
#include "port_poll.h"

#include <sched.h>
#include <stdatomic.h>
#include <sys/epoll.h>

#include "handle.h"
#include "iocp.h"
#include "proc_poll.h"

#define PP_MAX 16u

struct pp_entry {
    _Atomic(LPWPUPORTPOLLPROC) proc; /* NULL: free */
    atomic_bool live;
    atomic_uint running;
};

static struct pp_entry pp_tab[PP_MAX];

bool port_poll_run(uint64_t data, uint32_t events)
{
    unsigned id = (unsigned)(data >> PORT_POLL_TAG_SHIFT);
    if (id == 0 || id > PP_MAX)
        return false; /* the port's eventfd (or nothing of ours) */
    struct pp_entry *e = &pp_tab[id - 1];
    atomic_fetch_add(&e->running, 1);
    if (atomic_load(&e->live)) {
        LPWPUPORTPOLLPROC proc = atomic_load_explicit(&e->proc, memory_order_acquire);
        proc((ULONG_PTR)(data & PORT_POLL_COOKIE_MASK), events);
    }
    atomic_fetch_sub(&e->running, 1);
    return true;
}

int port_poll_run_set(int ep, int max, int timeout_ms)
{
    struct epoll_event evs[64];
    int n = epoll_wait(ep, evs, max < 64 ? max : 64, timeout_ms);
    for (int i = 0; i < n; i++)
        (void)port_poll_run(evs[i].data.u64, evs[i].events);
    return n;
}

WSP_EXPORT int WSPAPI WPURegisterPortPoller(LPWPUPORTPOLLPROC proc, LPDWORD lpId)
{
    if (proc == NULL || lpId == NULL)
        return WSAEINVAL;
    for (unsigned i = 0; i < PP_MAX; i++) {
        LPWPUPORTPOLLPROC none = NULL;
        /* a slot is taken once its proc is set; it is free again only after
         * its deregistration has waited out every run */
        if (atomic_load(&pp_tab[i].running) == 0 &&
            atomic_compare_exchange_strong(&pp_tab[i].proc, &none, proc)) {
            atomic_store(&pp_tab[i].live, true);
            *lpId = i + 1;
            return 0;
        }
    }
    return WSAENOBUFS;
}

WSP_EXPORT void WSPAPI WPUDeregisterPortPoller(DWORD id)
{
    if (id == 0 || id > PP_MAX)
        return;
    struct pp_entry *e = &pp_tab[id - 1];
    atomic_store(&e->live, false);
    /* runs are short (one report's work); deregistration is rare (a
     * provider's last cleanup) */
    while (atomic_load(&e->running) != 0)
        sched_yield();
    atomic_store_explicit(&e->proc, NULL, memory_order_release);
}

/* The arguments both set queries share: a registered procedure, two places. */
static bool pp_query_ok(DWORD id, const int *lpFd, const unsigned long long *lpTag)
{
    return id != 0 && id <= PP_MAX && lpFd != NULL && lpTag != NULL &&
           atomic_load(&pp_tab[id - 1].live);
}

static unsigned long long pp_tag(DWORD id)
{
    return (unsigned long long)id << PORT_POLL_TAG_SHIFT;
}

WSP_EXPORT int WSPAPI WPUGetPortPollSet(SOCKET s, DWORD id, int *lpFd, unsigned long long *lpTag)
{
    if (!pp_query_ok(id, lpFd, lpTag))
        return WSAEINVAL;
    uintptr_t port = 0, key = 0;
    if (hdl_get_port(s, &port, &key) != 0 || port == 0)
        return WSAEINVAL;
    int err = iocp_poll_set((HANDLE)port, lpFd); // NOLINT(performance-no-int-to-ptr)
    if (err != 0)
        return err == ERROR_NOT_ENOUGH_MEMORY ? WSAENOBUFS : WSAEINVAL;
    *lpTag = pp_tag(id);
    return 0;
}

WSP_EXPORT int WSPAPI WPUGetProcessPollSet(DWORD id, int *lpFd, unsigned long long *lpTag)
{
    if (!pp_query_ok(id, lpFd, lpTag))
        return WSAEINVAL;
    if (proc_poll_set(lpFd) != 0)
        return WSAENOBUFS;
    *lpTag = pp_tag(id);
    return 0;
}
