/* SPDX-License-Identifier: MIT */
/* WSPSelect on poll(): Winsock's fd_set is an array of handles, so each entry
 * is resolved to its context and the ready ones are written back in place.
 * Exception set: urgent data (POLLPRI) or a pending error, which is how a
 * failed non-blocking connect shows. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "tcp.h"

#define TCP_SELECT_MAX (3 * WSP_FD_SETSIZE)

/* Is an entry of set k (0 read, 1 write, 2 except) ready for these revents?
 * Readable also on hangup or error (the recv then reports it); writable only
 * without an error, so a failed connect is not "writable"; exceptional on
 * urgent data or an error (Winsock: a failed non-blocking connect). */
static bool tcp_select_ready(short revents, int k)
{
    static const short want[3] = {POLLIN | POLLHUP | POLLERR, POLLOUT, POLLPRI | POLLERR};
    if (k == 1 && (revents & POLLERR))
        return false;
    return (revents & want[k]) != 0;
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC), for poll(). */
static int tcp_select_ms_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long left = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
                     (deadline->tv_nsec - now.tv_nsec + 999999) / 1000000;
    return left > 0 ? (int)(left < INT32_MAX ? left : INT32_MAX) : 0;
}

/* Poll until something in the caller's sets is ready, the time is up, or a
 * socket of the call is being closed (w listed: WSAEINTR). poll() also wakes
 * for conditions no set asked about (POLLHUP when only the exception set was
 * given, POLLERR when only the write set was), which must not end the wait.
 * Those conditions are final — a hung-up socket gets no urgent data, a failed
 * connect never becomes writable — and poll() would report them again at
 * once, so such an entry leaves the poll set (fd -1: ignored, revents 0) for
 * the rest of the call instead of turning the wait into a spin. 0 or a WSAE*
 * code. */
static int tcp_select_wait(struct pollfd *pfd, const unsigned char *sel_kind, int n,
                           const struct timeval *timeout, const struct tcp_selwake *w)
{
    struct timespec deadline = {0, 0};
    if (timeout != NULL) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout->tv_sec;
        deadline.tv_nsec += (long)timeout->tv_usec * 1000;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    for (;;) {
        /* Windows: closesocket cancels "any pending blocking ... calls issued
         * by any thread", and select reports a canceled blocking call as
         * WSAEINTR (select and closesocket pages) */
        if (w != NULL && tcp_selwake_closing(w))
            return WSAEINTR;
        int ms = timeout != NULL ? tcp_select_ms_left(&deadline) : -1;
        int rc = sys_poll(pfd, (nfds_t)n + (w != NULL), ms);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return errmap_from_errno(errno);
        int ready = 0;
        for (int i = 0; i < n; i++)
            ready += tcp_select_ready(pfd[i].revents, sel_kind[i]) != 0;
        if (ready > 0 || ms == 0)
            return 0;
        for (int i = 0; i < n; i++)
            if (pfd[i].revents != 0)
                pfd[i].fd = -1;
    }
}

int WSPAPI tcp_WSPSelect(int nfds, wsp_fd_set *readfds, wsp_fd_set *writefds, wsp_fd_set *exceptfds,
                         const struct timeval *timeout, LPINT lpErrno)
{
    (void)nfds; /* ignored, as in Winsock */
    int err = tcp_guard();
    if (err != 0)
        return spi_fail(lpErrno, err);
    const struct {
        wsp_fd_set *set;
    } sets[3] = {{readfds}, {writefds}, {exceptfds}};
    struct pollfd pfd[TCP_SELECT_MAX + 1]; /* + the wake descriptor */
    struct tcp_sock *socks[TCP_SELECT_MAX];
    unsigned char sel_kind[TCP_SELECT_MAX];
    int n = 0;
    for (int k = 0; k < 3; k++) {
        if (sets[k].set == NULL)
            continue;
        if (sets[k].set->fd_count > WSP_FD_SETSIZE)
            return spi_fail(lpErrno, WSAEINVAL);
        for (u_int i = 0; i < sets[k].set->fd_count; i++) {
            struct tcp_sock *ts = tcp_lookup(sets[k].set->fd_array[i], &err);
            if (ts == NULL)
                return spi_fail(lpErrno, WSAENOTSOCK);
            socks[n] = ts;
            sel_kind[n] = (unsigned char)k;
            pfd[n].fd = ts->fd;
            pfd[n].events = (short)(k == 0 ? POLLIN : k == 1 ? POLLOUT : POLLPRI);
            pfd[n].revents = 0;
            n++;
        }
    }
    if (n == 0 && timeout == NULL)
        return spi_fail(lpErrno, WSAEINVAL); /* Winsock: nothing to wait for, forever */
    /* Only a call that may sleep is listed for a close to wake (select_wake.c). */
    struct tcp_selwake wake, *w = NULL;
    if (n > 0 && (timeout == NULL || timeout->tv_sec != 0 || timeout->tv_usec != 0)) {
        if ((err = tcp_selwake_enter(&wake, socks, n)) != 0)
            return spi_fail(lpErrno, err);
        w = &wake;
        pfd[n] = (struct pollfd){.fd = wake.fd, .events = POLLIN};
    }
    err = tcp_select_wait(pfd, sel_kind, n, timeout, w);
    if (w != NULL)
        tcp_selwake_leave(w);
    if (err != 0)
        return spi_fail(lpErrno, err);

    int total = 0, at = 0;
    for (int k = 0; k < 3; k++) {
        if (sets[k].set == NULL)
            continue;
        u_int kept = 0, count = sets[k].set->fd_count;
        for (u_int i = 0; i < count; i++, at++)
            if (tcp_select_ready(pfd[at].revents, k))
                sets[k].set->fd_array[kept++] = sets[k].set->fd_array[i];
        sets[k].set->fd_count = kept;
        total += (int)kept;
    }
    return total;
}
