/* SPDX-License-Identifier: MIT */
/* select and WSAPoll. Both go to the WSPSelect of the one provider that owns
 * the sockets: a provider can only wait on its own sockets, so sockets of
 * different providers (tcp and itot, say) in one call are refused with
 * WSAEINVAL. Windows' ws2_32 has the same limit for non-IFS providers.
 *
 * WSAPoll limits: at most 3 * WSP_FD_SETSIZE entries and at most
 * WSP_FD_SETSIZE distinct sockets per set (WSAEINVAL beyond);
 * POLLIN/POLLRDNORM go to the read set, POLLOUT/POLLWRNORM to the write set,
 * POLLPRI to the except set, and revents reports back the requested bits of a
 * ready set; an unknown handle gets POLLNVAL and makes the call return at
 * once; an INVALID_SOCKET entry is ignored (like a negative fd for poll()).
 * POLLERR and POLLHUP are reported whenever they hold, asked for or not
 * (WSAPOLLFD page): an entry that does not ask to read also waits in the
 * except set (where a failed connect shows), and after the wait the provider
 * is asked for the two bits with a private ioctl (common/pollstate.h).
 *
 * Closing a socket on another thread while a call waits for it: the pins of
 * the call keep the handle's slot (closesocket waits for them), and the
 * provider's WSPSelect ends its wait with WSAEINTR once the close has begun.
 * select returns that; WSAPoll turns it into POLLNVAL for the closed entries
 * (whichever came first, the close or the call, the answer is the same). */
#include <stddef.h>
#include <string.h>

#include "api.h"
#include "common/pollstate.h"
#include "common/umem.h"
#include "debug.h"

WSP_EXPORT int WSAAPI __WSAFDIsSet(SOCKET s, wsp_fd_set *set)
{
    if (set == NULL)
        return 0;
    u_int n = set->fd_count < WSP_FD_SETSIZE ? set->fd_count : WSP_FD_SETSIZE;
    for (u_int i = 0; i < n; i++)
        if (set->fd_array[i] == s)
            return 1;
    return 0;
}

/* Pins taken for the duration of one select or poll. */
/* A provider's procs as the call should see them: through the tracing shim
 * when WSP_DEBUG or a debug callback is on (debug.h), else direct. */
static const WSPPROC_TABLE *prov_procs(const struct cat_provider *p)
{
    return dbg_on() ? dbg_procs(&p->procs) : &p->procs;
}

struct api_pins {
    SOCKET s[3 * WSP_FD_SETSIZE];
    unsigned n;
    struct cat_provider *prov;
};

static void api_unpin_all(struct api_pins *p)
{
    for (unsigned i = 0; i < p->n; i++)
        hdl_unpin(p->s[i]);
    p->n = 0;
}

/* Pin s and check it belongs to the same provider as the others: 0,
 * WSAENOTSOCK or WSAEINVAL (another provider). */
static int api_pin_one(struct api_pins *p, SOCKET s)
{
    void *owner;
    int err = hdl_pin(s, &owner);
    if (err != 0)
        return err;
    struct cat_provider *prov = ((struct cat_entry *)owner)->prov;
    if (p->prov != NULL && p->prov != prov) {
        hdl_unpin(s);
        return WSAEINVAL;
    }
    p->prov = prov;
    p->s[p->n++] = s;
    return 0;
}

static int api_pin_set(struct api_pins *p, wsp_fd_set *set)
{
    if (set == NULL)
        return 0;
    /* caller memory (D4): the count through umem, then the used part of the
     * set checked once, since the provider writes the result back into it */
    u_int count;
    if (umem_read(&count, &set->fd_count, sizeof count) != 0)
        return WSAEFAULT;
    if (count > WSP_FD_SETSIZE)
        return WSAEINVAL;
    if (umem_check_write(set, offsetof(wsp_fd_set, fd_array) + count * sizeof(SOCKET)) != 0)
        return WSAEFAULT;
    for (u_int i = 0; i < count; i++) {
        int err = api_pin_one(p, set->fd_array[i]);
        if (err != 0)
            return err;
    }
    return 0;
}

WSP_EXPORT int WSAAPI wsp_select(int nfds, wsp_fd_set *readfds, wsp_fd_set *writefds,
                                 wsp_fd_set *exceptfds, const struct timeval *timeout)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    struct api_pins pins = {.n = 0};
    wsp_fd_set *sets[3] = {readfds, writefds, exceptfds};
    int err = 0;
    for (int i = 0; i < 3 && err == 0; i++)
        err = api_pin_set(&pins, sets[i]);
    if (err == 0 && pins.n == 0)
        err = WSAEINVAL; /* nothing to wait for, as on Windows */
    /* the provider gets a copy of the timeout: only umem may read caller memory */
    struct timeval tv;
    if (err == 0 && timeout != NULL && umem_read(&tv, timeout, sizeof tv) != 0)
        err = WSAEFAULT;
    if (err != 0) {
        api_unpin_all(&pins);
        return le_fail(err);
    }
    int rc = prov_procs(pins.prov)->lpWSPSelect(nfds, readfds, writefds, exceptfds,
                                                timeout != NULL ? &tv : NULL, &err);
    api_unpin_all(&pins);
    if (rc == SOCKET_ERROR)
        le_set(err != 0 ? err : WSASYSCALLFAILURE);
    return rc;
}

/* Which select set a poll event goes to; a ready set reports back the bits
 * of that row that the caller asked for. */
static const struct {
    SHORT events;
    int set; /* 0 read, 1 write, 2 except */
} api_poll_map[] = {
    {POLLIN | POLLRDNORM, 0},
    {POLLOUT | POLLWRNORM, 1},
    {POLLPRI, 2},
};
#define API_POLL_MAP_N (sizeof api_poll_map / sizeof api_poll_map[0])

/* Fill the three select sets from the entries still to wait on (not
 * INVALID_SOCKET, not POLLNVAL). A set holds WSP_FD_SETSIZE distinct sockets:
 * beyond that the call is WSAEINVAL ("an invalid parameter was passed",
 * WSAPoll page), rather than leaving entries out, which would never report. */
static int api_poll_sets(const WSAPOLLFD *fdArray, ULONG fds, wsp_fd_set sets[3])
{
    for (int i = 0; i < 3; i++)
        sets[i].fd_count = 0;
    for (ULONG i = 0; i < fds; i++) {
        const WSAPOLLFD *p = &fdArray[i];
        if (p->fd == INVALID_SOCKET || p->revents == POLLNVAL)
            continue;
        /* the read set wakes on an error or hang-up too; an entry that does
         * not read waits in the except set for them */
        SHORT events = p->events;
        if (!(events & (POLLIN | POLLRDNORM)))
            events = (SHORT)(events | POLLPRI);
        for (size_t k = 0; k < API_POLL_MAP_N; k++) {
            wsp_fd_set *set = &sets[api_poll_map[k].set];
            if (!(events & api_poll_map[k].events) || __WSAFDIsSet(p->fd, set))
                continue;
            if (set->fd_count == WSP_FD_SETSIZE)
                return WSAEINVAL;
            set->fd_array[set->fd_count++] = p->fd;
        }
    }
    return 0;
}

/* A close on another thread cut the WSPSelect short (WSAEINTR; WSAENOTSOCK
 * when the handle died before the provider looked it up): the entries whose
 * socket is no longer live get POLLNVAL ("the socket used is invalid", WSAPoll
 * page), as if it had been closed before the call. Every entry looked at is
 * still pinned. Returns how many entries were marked. */
static int api_poll_mark_closed(WSAPOLLFD *fdArray, ULONG fds)
{
    int marked = 0;
    for (ULONG i = 0; i < fds; i++) {
        WSAPOLLFD *p = &fdArray[i];
        if (p->fd != INVALID_SOCKET && p->revents != POLLNVAL && !hdl_is_live(p->fd)) {
            p->revents = POLLNVAL;
            marked++;
        }
    }
    return marked;
}

/* POLLERR/POLLHUP of a pinned socket from its provider, or 0 when the
 * provider does not answer the private ioctl. */
static SHORT api_poll_errhup(struct cat_provider *prov, SOCKET s)
{
    DWORD bits = 0, got = 0;
    int err = 0;
    WSATHREADID tid = {0};
    if (prov->procs.lpWSPIoctl(s, WSP_SIO_POLL_STATE, NULL, 0, &bits, sizeof bits, &got, NULL, NULL,
                               &tid, &err) != 0 ||
        got != sizeof bits)
        return 0;
    return (SHORT)(bits & (POLLERR | POLLHUP));
}

WSP_EXPORT int WSAAPI WSAPoll(LPWSAPOLLFD fdArray, ULONG fds, INT timeout)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    if (fds == 0 || fds > 3 * WSP_FD_SETSIZE)
        return le_fail(WSAEINVAL);
    if (umem_check_write(fdArray, fds * sizeof *fdArray) != 0)
        return le_fail(WSAEFAULT);
    struct api_pins pins = {.n = 0};
    int nval = 0;
    for (ULONG i = 0; i < fds; i++) {
        WSAPOLLFD *p = &fdArray[i];
        p->revents = 0;
        if (p->fd == INVALID_SOCKET)
            continue; /* ignored, like a negative fd for poll() */
        int err = api_pin_one(&pins, p->fd);
        if (err == WSAENOTSOCK) {
            p->revents = POLLNVAL;
            nval++;
            continue;
        }
        if (err != 0) {
            api_unpin_all(&pins);
            return le_fail(err);
        }
    }
    if (pins.n == 0)
        return nval;
    wsp_fd_set sets[3];
    wsp_fd_set *sp[3];
    int rc, err;
    for (;;) {
        if ((err = api_poll_sets(fdArray, fds, sets)) != 0) {
            rc = SOCKET_ERROR;
            break;
        }
        for (int i = 0; i < 3; i++)
            sp[i] = sets[i].fd_count ? &sets[i] : NULL;
        if (!sp[0] && !sp[1] && !sp[2]) {
            rc = 0; /* only sockets with no events asked for */
            break;
        }
        /* an invalid entry makes the call return at once, like poll() does */
        struct timeval tv = {.tv_sec = timeout / 1000, .tv_usec = (long)(timeout % 1000) * 1000};
        int wait_forever = timeout < 0 && nval == 0;
        if (nval > 0)
            tv = (struct timeval){0, 0};
        err = 0;
        rc = prov_procs(pins.prov)->lpWSPSelect(0, sp[0], sp[1], sp[2], wait_forever ? NULL : &tv,
                                                &err);
        if (rc != SOCKET_ERROR || (err != WSAEINTR && err != WSAENOTSOCK))
            break;
        int closed = api_poll_mark_closed(fdArray, fds);
        if (closed == 0)
            break;
        /* the others are polled once more, without waiting, for their revents */
        nval += closed;
    }
    int count = nval;
    for (ULONG i = 0; rc != SOCKET_ERROR && i < fds; i++) {
        WSAPOLLFD *p = &fdArray[i];
        if (p->fd == INVALID_SOCKET || p->revents == POLLNVAL)
            continue;
        for (size_t k = 0; k < API_POLL_MAP_N; k++)
            if (sp[api_poll_map[k].set] && __WSAFDIsSet(p->fd, sp[api_poll_map[k].set]))
                p->revents = (SHORT)(p->revents | (p->events & api_poll_map[k].events));
        p->revents = (SHORT)(p->revents | api_poll_errhup(pins.prov, p->fd));
        count += p->revents != 0;
    }
    api_unpin_all(&pins);
    if (rc == SOCKET_ERROR)
        return le_fail(err != 0 ? err : WSASYSCALLFAILURE);
    return count;
}
