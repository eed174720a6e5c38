/* SPDX-License-Identifier: MIT */
/* Waking a WSPSelect asleep in poll() when one of its sockets is closed.
 *
 * Why: the ws2 layer pins every handle of a select for the whole call, and
 * WSPCloseSocket's WPUCloseSocketHandle waits for those pins to drain. A
 * select asleep in poll() with no timeout would keep its pin forever and the
 * close would wait forever. shutdown() (which wakes a blocked recv) is not
 * used: it would send a FIN before an abortive close's RST, and a poll that
 * asked only for POLLPRI or POLLOUT may not even wake from a half shutdown.
 *
 * How: a select that may sleep lists itself here with an eventfd, which it
 * adds to its poll set; a close writes the eventfd of every listed select that
 * holds the closing socket. A select that cannot sleep (zero timeout) never
 * comes here, and a close reads only one atomic counter while no select is
 * listed: send and recv are not touched at all. The eventfds are kept in a
 * small pool, so a blocking select costs two uncontended lock round trips and
 * one more pollfd, not two more syscalls.
 *
 * No lost wake-up: the select lists itself and then reads each socket's
 * `closing`; the close sets `closing` and then reads the list. Either the
 * select sees `closing` (and does not sleep) or the close finds it listed. */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/sys.h"
#include "tcp.h"

#define TCP_SELWAKE_SPARE 8 /* eventfds kept for reuse */

static pthread_mutex_t tcp_selwake_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tcp_selwake *tcp_selwake_head;     /* listed selects (under the lock) */
static atomic_int tcp_selwake_listed;            /* their number, read by closers without it */
static int tcp_selwake_spare[TCP_SELWAKE_SPARE]; /* under the lock */
static int tcp_selwake_nspare;

int tcp_selwake_enter(struct tcp_selwake *w, struct tcp_sock *const *socks, int n)
{
    w->socks = socks;
    w->n = n;
    w->signalled = false;
    pthread_mutex_lock(&tcp_selwake_lock);
    if (tcp_selwake_nspare > 0) {
        w->fd = tcp_selwake_spare[--tcp_selwake_nspare];
    } else {
        w->fd = sys_eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->fd < 0) {
            pthread_mutex_unlock(&tcp_selwake_lock);
            return WSAENOBUFS;
        }
    }
    w->prev = NULL;
    w->next = tcp_selwake_head;
    if (w->next != NULL)
        w->next->prev = w;
    tcp_selwake_head = w;
    atomic_fetch_add(&tcp_selwake_listed, 1);
    pthread_mutex_unlock(&tcp_selwake_lock);
    return 0;
}

void tcp_selwake_leave(struct tcp_selwake *w)
{
    pthread_mutex_lock(&tcp_selwake_lock);
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        tcp_selwake_head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    atomic_fetch_sub(&tcp_selwake_listed, 1);
    uint64_t v;
    /* a signalled eventfd goes back to the pool drained, so that the next
     * select it serves does not wake at once */
    if (w->signalled && sys_read(w->fd, &v, sizeof v) < 0 && errno != EAGAIN) {
        sys_close(w->fd);
        w->fd = -1;
    }
    if (w->fd >= 0 && tcp_selwake_nspare < TCP_SELWAKE_SPARE)
        tcp_selwake_spare[tcp_selwake_nspare++] = w->fd;
    else if (w->fd >= 0)
        sys_close(w->fd);
    pthread_mutex_unlock(&tcp_selwake_lock);
}

bool tcp_selwake_closing(const struct tcp_selwake *w)
{
    for (int i = 0; i < w->n; i++)
        if (atomic_load(&w->socks[i]->closing))
            return true;
    return false;
}

void tcp_selwake_close(const struct tcp_sock *ts)
{
    if (atomic_load(&tcp_selwake_listed) == 0)
        return;
    pthread_mutex_lock(&tcp_selwake_lock);
    for (struct tcp_selwake *w = tcp_selwake_head; w != NULL; w = w->next) {
        if (w->signalled)
            continue;
        for (int i = 0; i < w->n; i++) {
            if (w->socks[i] != ts)
                continue;
            uint64_t one = 1;
            /* cannot fail short of a counter overflow: one write per waiter */
            if (sys_write(w->fd, &one, sizeof one) == (ssize_t)sizeof one)
                w->signalled = true;
            break;
        }
    }
    pthread_mutex_unlock(&tcp_selwake_lock);
}

void tcp_selwake_cleanup(void)
{
    pthread_mutex_lock(&tcp_selwake_lock);
    while (tcp_selwake_nspare > 0)
        sys_close(tcp_selwake_spare[--tcp_selwake_nspare]);
    pthread_mutex_unlock(&tcp_selwake_lock);
}
