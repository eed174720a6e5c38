/* SPDX-License-Identifier: MIT */
/* umem: the checks every access to caller memory shares (NULL, a range that
 * wraps, iovec totals), then the back end of umem_arch.h does the touching. */
#include "umem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <wsp/winsock2.h>

#include "umem_arch.h"

static pthread_once_t umem_once = PTHREAD_ONCE_INIT;
static atomic_bool umem_up; /* umem_arch_init has run: the fast test on every access */

void umem_init(void)
{
    pthread_once(&umem_once, umem_arch_init);
    atomic_store_explicit(&umem_up, true, memory_order_release);
}

/* Every access starts here: a plain load once the back end is up. */
static inline void umem_ready(void)
{
    if (!atomic_load_explicit(&umem_up, memory_order_acquire))
        umem_init();
}

static inline int umem_bad_range(const void *p, size_t n)
{
    return p == NULL || (uintptr_t)p + n < (uintptr_t)p;
}

int umem_read(void *dst, const void *src, size_t n)
{
    if (n == 0)
        return 0;
    if (umem_bad_range(src, n))
        return WSAEFAULT;
    umem_ready();
    return umem_arch_read(dst, src, n) == 0 ? 0 : WSAEFAULT;
}

int umem_write(void *dst, const void *src, size_t n)
{
    if (n == 0)
        return 0;
    if (umem_bad_range(dst, n))
        return WSAEFAULT;
    umem_ready();
    return umem_arch_write(dst, src, n) == 0 ? 0 : WSAEFAULT;
}

static inline int umem_probe(const void *p, size_t n, enum umem_probe_kind kind)
{
    if (n == 0)
        return 0;
    if (umem_bad_range(p, n))
        return WSAEFAULT;
    umem_ready();
    return umem_arch_probe(p, n, kind) == 0 ? 0 : WSAEFAULT;
}

int umem_check_read(const void *p, size_t n)
{
    return umem_probe(p, n, UMEM_PROBE_READ);
}

int umem_check_write(void *p, size_t n)
{
    return umem_probe(p, n, UMEM_PROBE_WRITE);
}

int umem_check_out(void *p, size_t n)
{
    return umem_probe(p, n, UMEM_PROBE_OUT);
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
