/* SPDX-License-Identifier: MIT */
/* WSPSelect: the sets hold our handles; the next provider knows only its
 * own. Each set is translated down, the next provider's select runs, and
 * what it reports is translated back. As on Windows, one select serves one
 * provider: sockets of two different next providers in one call are
 * WSAEINVAL. */
#include <string.h>

#include "trace.h"

/* Replace each of our handles in set by the next provider's; the originals
 * stay in ours[] for the way back. 0, or WSAENOTSOCK / WSAEINVAL. */
static int trace_set_down(wsp_fd_set *set, SOCKET *ours, const struct trace_next **next)
{
    if (set == NULL)
        return 0;
    for (u_int i = 0; i < set->fd_count && i < WSP_FD_SETSIZE; i++) {
        int err = WSAENOTSOCK;
        struct trace_sock *ts = trace_sock_of(set->fd_array[i], &err);
        if (ts == NULL)
            return err;
        if (*next != NULL && *next != ts->next)
            return WSAEINVAL;
        *next = ts->next;
        ours[i] = set->fd_array[i];
        set->fd_array[i] = ts->lower;
    }
    return 0;
}

/* After the call: the next provider kept the ready ones (in any order) in
 * set; map each back to ours. With n set on the way down, the lower handles
 * are unique, so a linear search over ours is exact. */
static void trace_set_up(wsp_fd_set *set, const wsp_fd_set *down, const SOCKET *ours, u_int n)
{
    if (set == NULL)
        return;
    if (n > WSP_FD_SETSIZE)
        n = WSP_FD_SETSIZE; /* trace_set_down filled no more */
    for (u_int i = 0; i < set->fd_count && i < WSP_FD_SETSIZE; i++)
        for (u_int k = 0; k < n; k++)
            if (down->fd_array[k] == set->fd_array[i]) {
                set->fd_array[i] = ours[k];
                break;
            }
}

int WSPAPI trace_WSPSelect(int nfds, wsp_fd_set *readfds, wsp_fd_set *writefds,
                           wsp_fd_set *exceptfds, const struct timeval *timeout, LPINT lpErrno)
{
    wsp_fd_set *sets[3] = {readfds, writefds, exceptfds};
    wsp_fd_set orig[3], down[3];            /* ours as given; the next provider's */
    SOCKET ours[3][WSP_FD_SETSIZE] = {{0}}; /* (the analyzer cannot tie it to fd_count) */
    const struct trace_next *next = NULL;
    int err = 0;
    for (int k = 0; k < 3; k++) {
        if (sets[k] == NULL)
            continue;
        memcpy(&orig[k], sets[k], sizeof orig[k]);
        if (err == 0)
            err = trace_set_down(sets[k], ours[k], &next);
        memcpy(&down[k], sets[k], sizeof down[k]);
    }
    if (err == 0 && next == NULL)
        err = WSAEINVAL; /* ws2 sends us a select only with one of ours in it */
    if (err != 0) {
        for (int k = 0; k < 3; k++) /* a failure changes nothing */
            if (sets[k] != NULL)
                memcpy(sets[k], &orig[k], sizeof orig[k]);
        trace_set_err(lpErrno, err);
        return trace_done("WSPSelect", 0, SOCKET_ERROR, lpErrno);
    }
    int rc = next->procs.lpWSPSelect(nfds, readfds, writefds, exceptfds, timeout, lpErrno);
    for (int k = 0; k < 3; k++)
        if (sets[k] != NULL)
            trace_set_up(sets[k], &down[k], ours[k], down[k].fd_count);
    struct trace_rec r = {"WSPSelect", 0, rc, trace_err_of(rc == SOCKET_ERROR, lpErrno), -1, -1};
    trace_log(&r);
    return rc;
}
