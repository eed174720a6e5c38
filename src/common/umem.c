/* SPDX-License-Identifier: MIT */
/* umem: the set-up, and the scatter/gather forms (their iovec totals); the
 * single-range accessors are inline in umem.h.  The back end of umem_arch.h
 * does the touching. */
#include "umem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <wsp/winsock2.h>

#include "umem_arch.h"

static pthread_once_t umem_once = PTHREAD_ONCE_INIT;
atomic_bool umem_up; /* umem_arch_init has run: the fast test on every access (umem.h) */

void umem_init(void)
{
    pthread_once(&umem_once, umem_arch_init);
    atomic_store_explicit(&umem_up, true, memory_order_release);
}

/* The totals of both sides must be equal and must not wrap; remote regions
 * are checked one by one before anything is copied. */
static int umem_xferv_valid(const struct iovec *l, int nl, const struct iovec *r, int nr,
                            size_t *total)
{
    size_t lt = 0, rt = 0;
    if (nl < 0 || nr < 0)
        return WSAEFAULT;
    for (int i = 0; i < nl; i++) {
        if (lt + l[i].iov_len < lt)
            return WSAEFAULT; /* the total would wrap */
        lt += l[i].iov_len;
    }
    for (int i = 0; i < nr; i++) {
        if (r[i].iov_len > 0 && umem_bad_range(r[i].iov_base, r[i].iov_len))
            return WSAEFAULT;
        if (rt + r[i].iov_len < rt)
            return WSAEFAULT;
        rt += r[i].iov_len;
    }
    *total = rt;
    return lt == rt ? 0 : WSAEFAULT;
}

/* Walk both iovec arrays at once, one back-end copy per overlapping piece. */
static int umem_xferv(const struct iovec *l, int nl, const struct iovec *r, int nr, int write)
{
    size_t left;
    int err = umem_xferv_valid(l, nl, r, nr, &left);
    if (err != 0 || left == 0)
        return err;
    umem_ready();
    int i = 0, j = 0;
    size_t lo = 0, ro = 0;
    while (left > 0) {
        while (lo == l[i].iov_len) /* equal totals: never runs past the end */
            i++, lo = 0;
        while (ro == r[j].iov_len)
            j++, ro = 0;
        size_t k = l[i].iov_len - lo < r[j].iov_len - ro ? l[i].iov_len - lo : r[j].iov_len - ro;
        char *lp = (char *)l[i].iov_base + lo;
        char *rp = (char *)r[j].iov_base + ro;
        if (write ? umem_arch_write(rp, lp, k) : umem_arch_read(lp, rp, k))
            return WSAEFAULT;
        lo += k, ro += k, left -= k;
    }
    return 0;
}

int umem_readv(const struct iovec *local, int nl, const struct iovec *remote, int nr)
{
    return umem_xferv(local, nl, remote, nr, 0);
}

int umem_writev(const struct iovec *local, int nl, const struct iovec *remote, int nr)
{
    return umem_xferv(local, nl, remote, nr, 1);
}
