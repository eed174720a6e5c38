/* SPDX-License-Identifier: MIT */
/* WSPEventSelect / WSPEnumNetworkEvents.  The sockets are watched in libwsp's
 * process poll set (WPUGetProcessPollSet): one thread per process, not ours,
 * runs our poll procedure for each edge-triggered report, which records FD_*
 * events per socket and signals the socket's WSAEVENT through the WPUSetEvent
 * upcall (events belong to ws2).  The set and the procedure are taken on the
 * first WSPEventSelect (or overlapped wait) and given back at the last
 * WSPCleanup.
 *
 * The epoll entries carry the SOCKET handle, not the context pointer: a handle
 * carries a generation, so an event fetched for a socket that was closed in
 * the meantime finds nothing.  The procedure resolves handles and touches
 * contexts only under tcp_ev_lock; tcp_sock_close() unregisters under the same
 * lock and passes a barrier after dropping the handle, before freeing.
 *
 * The same procedure is the overlapped progress engine: a socket with queued
 * overlapped operations is in the set too (ovl_watch, set once), and each
 * report of it also runs its queues (tcp_ovl_progress, ovl_engine.c).
 *
 * Port polling (ws2spi.h, WPURegisterPortPoller): a socket associated with a
 * completion port when it enters a set goes into that port's set instead,
 * and the threads waiting on the port run the same procedure for its
 * reports: a completion is then made by the thread that takes it. */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/ovl.h"
#include "common/poll_home.h"
#include "common/umem.h"
#include "ovl_tcp.h"
#include "tcp.h"

static pthread_mutex_t tcp_ev_lock = PTHREAD_MUTEX_INITIALIZER;
/* All under tcp_ev_lock: */
static int tcp_ev_epoll = -1; /* libwsp's process poll set, -1: not taken */
static uint64_t tcp_ev_tag;   /* our procedure's tag in it */
static bool tcp_ev_running;   /* set and procedure taken */
static DWORD tcp_ev_port_id;  /* our poll procedure's id, 0: none */

void tcp_events_post(struct tcp_sock *ts, LONG bits, int err)
{
    pthread_mutex_lock(&ts->lock);
    LONG fresh = bits & ts->ev_mask & ~ts->ev_pending;
    for (int i = 0; i < FD_MAX_EVENTS; i++)
        if (fresh & (1 << i))
            ts->ev_err[i] = err;
    ts->ev_pending |= fresh;
    WSAEVENT ev = ts->event;
    pthread_mutex_unlock(&ts->lock);
    if (fresh != 0 && ev != NULL && tcp_upcalls.lpWPUSetEvent != NULL) {
        int e;
        tcp_upcalls.lpWPUSetEvent(ev, &e);
    }
}

static int tcp_so_error(struct tcp_sock *ts)
{
    int v = 0;
    socklen_t n = sizeof v;
    if (sys_getsockopt(ts->fd, SOL_SOCKET, SO_ERROR, &v, &n) != 0)
        v = errno;
    return v ? errmap_from_errno(v) : 0;
}

void tcp_events_connect_check(struct tcp_sock *ts)
{
    /* Live kernel state, not the (possibly stale) epoll bits. */
    int st = tcp_refresh_state(ts);
    if (st == TCP_ST_CONNECTING || !(atomic_load(&ts->ev_mask) & FD_CONNECT))
        return;
    int err = st == TCP_ST_CONNECTED ? 0 : tcp_so_error(ts);
    if (st != TCP_ST_CONNECTED && err == 0)
        err = WSAECONNREFUSED; /* failed, but the error was already collected */
    if (!atomic_exchange(&ts->connect_told, true))
        tcp_events_post(ts, FD_CONNECT, err);
}

void tcp_events_rearm(struct tcp_sock *ts, LONG bit)
{
    if (!(atomic_load_explicit(&ts->ev_mask, memory_order_relaxed) & bit))
        return;
    struct pollfd p = {.fd = ts->fd, .events = POLLIN};
    if (sys_poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
        tcp_events_post(ts, bit, 0);
}

/* Translate one epoll report into FD_* events for ts. */
static void tcp_events_dispatch(struct tcp_sock *ts, uint32_t what)
{
    int st = atomic_load(&ts->state);
    if (st == TCP_ST_CONNECTING) {
        tcp_events_connect_check(ts);
        st = atomic_load(&ts->state);
        if (st != TCP_ST_CONNECTED)
            return; /* still pending, or failed: nothing else to report */
    }
    if (what & EPOLLIN)
        tcp_events_post(ts, st == TCP_ST_LISTENING ? FD_ACCEPT : FD_READ, 0);
    if (what & EPOLLOUT)
        tcp_events_post(ts, FD_WRITE, 0);
    if (ts->type == SOCK_STREAM && st != TCP_ST_LISTENING && st != TCP_ST_CONNECTING &&
        (what & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        tcp_events_post(ts, FD_CLOSE, (what & EPOLLERR) ? tcp_so_error(ts) : 0);
}

/* One report for handle s; called with tcp_ev_lock held. */
static void tcp_events_one(SOCKET s, uint32_t events)
{
    int err;
    struct tcp_sock *ts = tcp_lookup(s, &err);
    if (ts != NULL && ts->ev_registered)
        tcp_events_dispatch(ts, events);
    if (ts != NULL && atomic_load_explicit(&ts->ovl_watch, memory_order_relaxed))
        tcp_ovl_progress(ts, events);
}

/* A report from the process's poll set (libwsp's thread) or from a port's
 * (a thread waiting on the port). */
static void WSPAPI tcp_events_port_proc(ULONG_PTR cookie, DWORD events)
{
    pthread_mutex_lock(&tcp_ev_lock);
    tcp_events_one((SOCKET)cookie, events);
    pthread_mutex_unlock(&tcp_ev_lock);
}

/* fork(): the child's libwsp drops its copy of the parent's process set (the
 * same kernel object: adding the child's sockets to it would report them to
 * the parent) and makes its own at the next request; so the child forgets
 * the set it had, keeps its registration (a copy of the parent's, valid in
 * it), and asks again at its first WSPEventSelect; event selections are not
 * inherited. */
static void tcp_ev_atfork_prepare(void)
{
    pthread_mutex_lock(&tcp_ev_lock);
}

static void tcp_ev_atfork_parent(void)
{
    pthread_mutex_unlock(&tcp_ev_lock);
}

static void tcp_ev_atfork_child(void)
{
    tcp_ev_epoll = -1;
    tcp_ev_running = false;
    pthread_mutex_unlock(&tcp_ev_lock);
}

static pthread_once_t tcp_ev_atfork_once = PTHREAD_ONCE_INIT;

static void tcp_ev_atfork_register(void)
{
    poll_home_atfork_init(); /* first: its prepare then runs after ours */
    pthread_atfork(tcp_ev_atfork_prepare, tcp_ev_atfork_parent, tcp_ev_atfork_child);
}

/* Take our procedure's registration and the process set once; called with
 * tcp_ev_lock held. */
static int tcp_events_start(void)
{
    if (tcp_ev_running)
        return 0;
    /* Registered here, not at fork time; glibc drops it at the module's dlclose. */
    pthread_once(&tcp_ev_atfork_once, tcp_ev_atfork_register);
    int fd;
    uint64_t tag;
    /* Without a registration (no libwsp sets, or all slots taken) the home
     * is a thread of our own, and there is no port polling. */
    int err = poll_home_take(tcp_events_port_proc, &tcp_ev_port_id, &fd, &tag);
    if (err != 0)
        return err;
    tcp_ev_epoll = fd;
    tcp_ev_tag = tag;
    tcp_ev_running = true;
    return 0;
}

void tcp_events_stop(void)
{
    tcp_ur_stop(); /* the io_uring engine's thread (ovl_uring.c) */
    pthread_mutex_lock(&tcp_ev_lock);
    tcp_ev_running = false;
    tcp_ev_epoll = -1; /* libwsp's: it stays for the next start */
    DWORD port_id = tcp_ev_port_id;
    tcp_ev_port_id = 0;
    pthread_mutex_unlock(&tcp_ev_lock);
    /* outside the lock, which a running procedure takes; returns when none
     * runs any more (our sockets are gone: the last cleanup closed them) */
    poll_home_leave(&port_id);
}

void tcp_events_forget(struct tcp_sock *ts)
{
    pthread_mutex_lock(&tcp_ev_lock);
    if (ts->ep_added)
        sys_epoll_ctl(ts->ep_fd, EPOLL_CTL_DEL, ts->fd, NULL);
    ts->ep_added = false;
    ts->ev_registered = false;
    atomic_store_explicit(&ts->ovl_watch, false, memory_order_relaxed);
    pthread_mutex_unlock(&tcp_ev_lock);
}

/* The one epoll entry of a socket serves WSPEventSelect and the overlapped
 * queues alike: edge-triggered, all directions. */
static int tcp_ev_add(struct tcp_sock *ts, int op)
{
    if (op == EPOLL_CTL_ADD) {
        /* the set of the socket's completion port if it is on one */
        int fd;
        uint64_t tag;
        bool port =
            tcp_ev_port_id != 0 && ovl_port_poll_set(ts->handle, tcp_ev_port_id, &fd, &tag) == 0;
        ts->ep_fd = port ? fd : tcp_ev_epoll;
        ts->ep_data = (port ? tag : tcp_ev_tag) | (uint64_t)ts->handle;
    }
    struct epoll_event ee = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.u64 = ts->ep_data};
    if (sys_epoll_ctl(ts->ep_fd, op, ts->fd, &ee) != 0)
        return errmap_from_errno(errno);
    ts->ep_added = true;
    return 0;
}

int tcp_events_ovl_watch(struct tcp_sock *ts)
{
    if (atomic_load_explicit(&ts->ovl_watch, memory_order_acquire))
        return 0; /* the steady state: no lock */
    int err = 0;
    pthread_mutex_lock(&tcp_ev_lock);
    /* closing: tcp_sock_close has forgotten ts (or will) and aborts the queues */
    if (!atomic_load(&ts->closing) && !atomic_load(&ts->ovl_watch) &&
        (err = tcp_events_start()) == 0) {
        /* Both ADD and MOD report readiness that is already there: an edge
         * the watcher saw before it was told to progress ts is not lost. */
        err = tcp_ev_add(ts, ts->ep_added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD);
        if (err == 0)
            atomic_store_explicit(&ts->ovl_watch, true, memory_order_release);
    }
    pthread_mutex_unlock(&tcp_ev_lock);
    return err;
}

int tcp_events_ovl_kick_locked(struct tcp_sock *ts)
{
    int err = 0;
    if (!atomic_load(&ts->closing) && (err = tcp_events_start()) == 0) {
        /* MOD re-arms the edge: what is ready now is reported once more. */
        err = tcp_ev_add(ts, ts->ep_added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD);
        if (err == 0)
            atomic_store_explicit(&ts->ovl_watch, true, memory_order_release);
    }
    return err;
}

int tcp_events_ovl_kick(struct tcp_sock *ts)
{
    pthread_mutex_lock(&tcp_ev_lock);
    int err = tcp_events_ovl_kick_locked(ts);
    pthread_mutex_unlock(&tcp_ev_lock);
    return err;
}

void tcp_events_fd_gone_locked(struct tcp_sock *ts)
{
    if (ts->ep_added)
        sys_epoll_ctl(ts->ep_fd, EPOLL_CTL_DEL, ts->fd, NULL);
    ts->ep_added = false;
    ts->ev_registered = false;
    atomic_store_explicit(&ts->ovl_watch, false, memory_order_relaxed);
}

void tcp_events_barrier(void)
{
    pthread_mutex_lock(&tcp_ev_lock);
    pthread_mutex_unlock(&tcp_ev_lock);
}

int WSPAPI tcp_WSPEventSelect(SOCKET s, WSAEVENT hEventObject, LONG lNetworkEvents, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (lNetworkEvents != 0 && hEventObject == NULL)
        return spi_fail(lpErrno, WSAEINVAL);
    /* Winsock: WSPEventSelect makes the socket non-blocking. */
    if (lNetworkEvents != 0 && (err = tcp_set_nonblocking(ts, true)) != 0)
        return spi_fail(lpErrno, err);

    pthread_mutex_lock(&tcp_ev_lock);
    pthread_mutex_lock(&ts->lock);
    ts->event = lNetworkEvents != 0 ? hEventObject : NULL;
    atomic_store(&ts->ev_mask, lNetworkEvents & FD_ALL_EVENTS);
    ts->ev_pending &= lNetworkEvents;
    pthread_mutex_unlock(&ts->lock);
    if (lNetworkEvents == 0) {
        /* the entry stays while the overlapped queues need it */
        if (ts->ep_added && !atomic_load(&ts->ovl_watch)) {
            sys_epoll_ctl(ts->ep_fd, EPOLL_CTL_DEL, ts->fd, NULL);
            ts->ep_added = false;
        }
        ts->ev_registered = false;
    } else if ((err = tcp_events_start()) == 0) {
        /* Re-adding reports the current readiness once (edge-triggered), as
         * Winsock posts already-true conditions on a new EventSelect. */
        if (ts->ep_added)
            sys_epoll_ctl(ts->ep_fd, EPOLL_CTL_DEL, ts->fd, NULL);
        ts->ep_added = false;
        err = tcp_ev_add(ts, EPOLL_CTL_ADD);
        ts->ev_registered = err == 0;
    }
    pthread_mutex_unlock(&tcp_ev_lock);
    return err ? spi_fail(lpErrno, err) : 0;
}

int WSPAPI tcp_WSPEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
                                    LPWSANETWORKEVENTS lpNetworkEvents, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    if (lpNetworkEvents == NULL)
        return spi_fail(lpErrno, WSAEFAULT);
    WSANETWORKEVENTS ne = {0};
    pthread_mutex_lock(&ts->lock);
    ne.lNetworkEvents = ts->ev_pending;
    for (int i = 0; i < FD_MAX_EVENTS; i++)
        ne.iErrorCode[i] = (ts->ev_pending & (1 << i)) ? ts->ev_err[i] : 0;
    if (umem_write(lpNetworkEvents, &ne, sizeof ne) != 0) {
        pthread_mutex_unlock(&ts->lock);
        return spi_fail(lpErrno, WSAEFAULT);
    }
    ts->ev_pending = 0;
    /* Reset under the socket lock so a post racing with us re-sets it after. */
    if (hEventObject != NULL && tcp_upcalls.lpWPUResetEvent != NULL)
        tcp_upcalls.lpWPUResetEvent(hEventObject, &err);
    pthread_mutex_unlock(&ts->lock);
    return 0;
}
