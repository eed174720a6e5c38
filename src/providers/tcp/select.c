/* WSPSelect on poll(): Winsock's fd_set is an array of handles, so each entry
 * is resolved to its context and the ready ones are written back in place.
 * Exception set: urgent data (POLLPRI) or a failed non-blocking connect. */
#include <errno.h>
#include <poll.h>

#include "common/errmap.h"
#include "tcp.h"

#define TCP_SELECT_MAX (3 * WSP_FD_SETSIZE)

struct tcp_sel_entry {
    wsp_fd_set *set;
    short mask;
};

int WSPAPI tcp_WSPSelect(int nfds, wsp_fd_set *readfds, wsp_fd_set *writefds, wsp_fd_set *exceptfds,
                         const struct timeval *timeout, LPINT lpErrno)
{
    (void)nfds; /* ignored, as in Winsock */
    int err = tcp_guard();
    if (err != 0)
        return tcp_fail(lpErrno, err);
    const struct tcp_sel_entry sets[3] = {
        {readfds, POLLIN | POLLHUP | POLLERR},
        {writefds, POLLOUT | POLLERR},
        {exceptfds, POLLPRI | POLLERR},
    };
    struct pollfd pfd[TCP_SELECT_MAX];
    struct tcp_sock *who[TCP_SELECT_MAX];
    int n = 0;
    for (int k = 0; k < 3; k++) {
        if (sets[k].set == NULL)
            continue;
        if (sets[k].set->fd_count > WSP_FD_SETSIZE)
            return tcp_fail(lpErrno, WSAEINVAL);
        for (u_int i = 0; i < sets[k].set->fd_count; i++) {
            struct tcp_sock *ts = tcp_lookup(sets[k].set->fd_array[i], &err);
            if (ts == NULL)
                return tcp_fail(lpErrno, WSAENOTSOCK);
            who[n] = ts;
            pfd[n].fd = ts->fd;
            pfd[n].events = (short)(k == 0 ? POLLIN : k == 1 ? POLLOUT : POLLPRI);
            pfd[n].revents = 0;
            n++;
        }
    }
    if (n == 0 && timeout == NULL)
        return tcp_fail(lpErrno, WSAEINVAL); /* Winsock: nothing to wait for, forever */
    int ms = -1;
    if (timeout != NULL)
        ms = (int)(timeout->tv_sec * 1000 + (timeout->tv_usec + 999) / 1000);
    int rc;
    do {
        rc = poll(pfd, (nfds_t)n, ms);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return tcp_fail(lpErrno, errmap_from_errno(errno));

    int total = 0, at = 0;
    for (int k = 0; k < 3; k++) {
        if (sets[k].set == NULL)
            continue;
        u_int kept = 0, count = sets[k].set->fd_count;
        for (u_int i = 0; i < count; i++, at++) {
            short ready = (short)(pfd[at].revents & sets[k].mask);
            /* A failed connect shows in the exception set, not as writable. */
            if (k == 1 && (pfd[at].revents & POLLERR) &&
                atomic_load(&who[at]->state) == TCP_ST_CONNECTING)
                ready = 0;
            if (k == 2 && (pfd[at].revents & POLLERR) &&
                atomic_load(&who[at]->state) != TCP_ST_CONNECTING)
                ready &= (short)~POLLERR;
            if (ready)
                sets[k].set->fd_array[kept++] = sets[k].set->fd_array[i];
        }
        sets[k].set->fd_count = kept;
        total += (int)kept;
    }
    return total;
}
