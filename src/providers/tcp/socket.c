/* SPDX-License-Identifier: MIT */
/* Socket contexts: creation, lookup through the handle upcall, state refresh
 * and the close protocol (wake blocked calls, drop the handle, then free). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "tcp.h"

/* Every open context, so the last WSPCleanup can release what the
 * application left open.  Touched only on create and close. */
static pthread_mutex_t tcp_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tcp_sock *tcp_registry;

struct tcp_sock *tcp_sock_new(int fd, int af, int type, const WSAPROTOCOL_INFOW *proto, int state,
                              bool overlapped, int *err)
{
    struct tcp_sock *ts = calloc(1, sizeof *ts);
    if (ts == NULL) {
        sys_close(fd);
        *err = WSAENOBUFS;
        return NULL;
    }
    ts->magic = TCP_SOCK_MAGIC;
    ts->fd = fd;
    ts->af = af;
    if (state == TCP_ST_CONNECTED)
        tcp_mark_connected(ts);
    ts->type = type;
    ts->deferred_fd = -1;
    atomic_init(&ts->state, state);
    pthread_mutex_init(&ts->lock, NULL);
    ts->overlapped = overlapped;
    pthread_mutex_init(&ts->ovl_lock, NULL);
    ovl_list_init(&ts->ovl_q[TCP_OVL_SEND]);
    ovl_list_init(&ts->ovl_q[TCP_OVL_RECV]);
    ts->proto = *proto;
    ts->handle = tcp_upcalls.lpWPUCreateSocketHandle(proto->dwCatalogEntryId, (DWORD_PTR)ts, err);
    if (ts->handle == INVALID_SOCKET) {
        pthread_mutex_destroy(&ts->ovl_lock);
        pthread_mutex_destroy(&ts->lock);
        sys_close(fd);
        free(ts);
        return NULL;
    }
    pthread_mutex_lock(&tcp_registry_lock);
    ts->next = tcp_registry;
    if (tcp_registry != NULL)
        tcp_registry->prev = ts;
    tcp_registry = ts;
    pthread_mutex_unlock(&tcp_registry_lock);
    return ts;
}

void tcp_sock_close(struct tcp_sock *ts)
{
    /* Dekker pair with tcp_block_begin: either a blocking caller sees
     * `closing` and does not block, or we see it in `blocked` and wake it.
     * The exchange also makes a second, concurrent close a no-op. */
    if (atomic_exchange(&ts->closing, true))
        return;
    if (atomic_load(&ts->blocked) > 0)
        sys_shutdown(ts->fd, SHUT_RDWR);
    /* a select asleep on ts has no syscall on ts->fd to interrupt: it is
     * woken through its own descriptor (select_wake.c) */
    tcp_selwake_close(ts);
    tcp_events_forget(ts);
    /* no more progress from the watcher: every pending operation completes
     * now, while the handle still names the socket (its completion port) */
    tcp_ovl_close(ts);
    int err;
    tcp_upcalls.lpWPUCloseSocketHandle(ts->handle, &err);
    tcp_events_barrier();

    pthread_mutex_lock(&tcp_registry_lock);
    if (ts->prev != NULL)
        ts->prev->next = ts->next;
    else
        tcp_registry = ts->next;
    if (ts->next != NULL)
        ts->next->prev = ts->prev;
    pthread_mutex_unlock(&tcp_registry_lock);

    if (ts->deferred_fd >= 0)
        sys_close(ts->deferred_fd);
    sys_close(ts->fd); /* SO_LINGER applies here, as closesocket's does on Windows */
    pthread_mutex_destroy(&ts->ovl_lock);
    pthread_mutex_destroy(&ts->lock);
    ts->magic = 0;
    free(ts);
}

void tcp_sock_close_all(void)
{
    for (;;) {
        pthread_mutex_lock(&tcp_registry_lock);
        struct tcp_sock *ts = tcp_registry;
        pthread_mutex_unlock(&tcp_registry_lock);
        if (ts == NULL)
            return;
        tcp_sock_close(ts);
    }
}

int tcp_set_nonblocking(struct tcp_sock *ts, bool on)
{
    int fl = sys_fcntl(ts->fd, F_GETFL, 0);
    if (fl < 0 || sys_fcntl(ts->fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
        return errmap_from_errno(errno);
    atomic_store(&ts->nonblocking, on);
    return 0;
}

/* A pending connect that failed reports POLLERR/POLLHUP; polling does not
 * consume SO_ERROR, which FD_CONNECT and getsockopt still report. */
static bool tcp_connect_failed(struct tcp_sock *ts)
{
    struct pollfd p = {.fd = ts->fd, .events = POLLOUT};
    return sys_poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

int tcp_refresh_state(struct tcp_sock *ts)
{
    int st = atomic_load(&ts->state);
    if (st != TCP_ST_CONNECTING && st != TCP_ST_SEND_SHUT)
        return st;
    /* Linux answers getpeername() with ENOTCONN both while the SYN is
     * unanswered and once the connection is fully released (TCP_CLOSE). */
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    bool has_peer = sys_getpeername(ts->fd, (struct sockaddr *)&ss, &len) == 0;
    int next = st;
    if (st == TCP_ST_CONNECTING && has_peer)
        next = TCP_ST_CONNECTED;
    else if (st == TCP_ST_CONNECTING && tcp_connect_failed(ts))
        next = TCP_ST_BOUND; /* a failed connect leaves an (implicitly) bound socket */
    else if (st == TCP_ST_SEND_SHUT && !has_peer && ts->type == SOCK_STREAM)
        next = TCP_ST_RELEASED;
    if (next != st && !atomic_compare_exchange_strong(&ts->state, &st, next))
        return st; /* another thread moved it; st holds the fresh value */
    if (next == TCP_ST_CONNECTED && st == TCP_ST_CONNECTING)
        tcp_mark_connected(ts);
    return next;
}

static int tcp_pick(int requested, int from_info)
{
    return requested == FROM_PROTOCOL_INFO ? from_info : requested;
}

SOCKET WSPAPI tcp_WSPSocket(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                            GROUP g, DWORD dwFlags, LPINT lpErrno)
{
    int err = tcp_guard();
    if (err != 0)
        return spi_fail_socket(lpErrno, err);
    if (lpProtocolInfo == NULL)
        return spi_fail_socket(lpErrno, WSAEINVAL);
    af = tcp_pick(af, lpProtocolInfo->iAddressFamily);
    type = tcp_pick(type, lpProtocolInfo->iSocketType);
    protocol = tcp_pick(protocol, lpProtocolInfo->iProtocol);
    int want = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    if ((af != AF_INET && af != AF_INET6) || af != lpProtocolInfo->iAddressFamily)
        err = WSAEAFNOSUPPORT;
    else if ((type != SOCK_STREAM && type != SOCK_DGRAM) || type != lpProtocolInfo->iSocketType)
        err = WSAESOCKTNOSUPPORT;
    else if (protocol != 0 && protocol != want)
        err = WSAEPROTONOSUPPORT;
    else if (g != 0 || (dwFlags & (WSA_FLAG_MULTIPOINT_C_ROOT | WSA_FLAG_MULTIPOINT_C_LEAF |
                                   WSA_FLAG_MULTIPOINT_D_ROOT | WSA_FLAG_MULTIPOINT_D_LEAF)))
        err = WSAEINVAL; /* no socket groups, no multipoint */
    if (err != 0)
        return spi_fail_socket(lpErrno, err);
    int fd = sys_socket(af, type | SOCK_CLOEXEC, want);
    if (fd < 0)
        return spi_fail_socket(lpErrno, errmap_from_errno(errno));
    /* IPPROTO_IPV6 options page: IPV6_V6ONLY is on by default on Windows
     * (Linux's default is net.ipv6.bindv6only, normally off). */
    int on = 1;
    if (af == AF_INET6 && sys_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) {
        spi_fail(lpErrno, errmap_from_errno(errno));
        sys_close(fd);
        return INVALID_SOCKET;
    }
    struct tcp_sock *ts = tcp_sock_new(fd, af, type, lpProtocolInfo, TCP_ST_NEW,
                                       (dwFlags & WSA_FLAG_OVERLAPPED) != 0, &err);
    if (ts == NULL)
        return spi_fail_socket(lpErrno, err);
    return ts->handle;
}

int WSPAPI tcp_WSPCloseSocket(SOCKET s, LPINT lpErrno)
{
    int err;
    struct tcp_sock *ts = tcp_enter(s, &err);
    if (ts == NULL)
        return spi_fail(lpErrno, err);
    tcp_sock_close(ts);
    return 0;
}
