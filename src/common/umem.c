/* SPDX-License-Identifier: MIT */
/* Caller memory through the kernel.  process_vm_readv/writev on our own pid
 * report an unmapped page as a short count or EFAULT instead of a signal, so a
 * bad pointer from an application can never crash the library.
 *
 * Cost matters because providers check caller buffers on every send and recv:
 * the pid is cached (and refreshed in a forked child, where the cached value
 * would name the parent), and the check functions probe one octet per page in
 * a single syscall instead of copying the whole buffer. */
#include "umem.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

#include <wsp/winsock2.h>

#define UMEM_PAGE 4096u /* probe stride: never larger than the real page size */
#define UMEM_PROBES 64  /* pages probed per syscall */

static atomic_int umem_pid_cached;
static pthread_once_t umem_once = PTHREAD_ONCE_INIT;

static void umem_forget_pid(void)
{
    atomic_store_explicit(&umem_pid_cached, 0, memory_order_relaxed);
}

static void umem_register_atfork(void)
{
    pthread_atfork(NULL, NULL, umem_forget_pid);
}

static pid_t umem_pid(void)
{
    int pid = atomic_load_explicit(&umem_pid_cached, memory_order_relaxed);
    if (pid == 0) {
        pthread_once(&umem_once, umem_register_atfork);
        pid = (int)getpid();
        atomic_store_explicit(&umem_pid_cached, pid, memory_order_relaxed);
    }
    return (pid_t)pid;
}

static int umem_bad_range(const void *p, size_t n)
{
    return p == NULL || (uintptr_t)p + n < (uintptr_t)p;
}

static ssize_t umem_syscall(const struct iovec *l, unsigned long nl, const struct iovec *r,
                            unsigned long nr, int write)
{
    ssize_t got;
    do {
        got = write ? process_vm_writev(umem_pid(), l, nl, r, nr, 0)
                    : process_vm_readv(umem_pid(), l, nl, r, nr, 0);
    } while (got < 0 && errno == EINTR);
    return got;
}

static int umem_xferv(const struct iovec *l, int nl, const struct iovec *r, int nr, int write)
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
    if (lt != rt)
        return WSAEFAULT;
    if (rt == 0)
        return 0;
    return umem_syscall(l, (unsigned long)nl, r, (unsigned long)nr, write) == (ssize_t)rt
               ? 0
               : WSAEFAULT;
}

/* One caller region: the one-iovec case of umem_xferv. */
static int umem_xfer(void *local, const void *remote, size_t n, int write)
{
    struct iovec l = {.iov_base = local, .iov_len = n};
    struct iovec r = {.iov_base = (void *)(uintptr_t)remote, .iov_len = n};
    return umem_xferv(&l, 1, &r, 1, write);
}

int umem_read(void *dst, const void *src, size_t n)
{
    return umem_xfer(dst, src, n, 0);
}

int umem_write(void *dst, const void *src, size_t n)
{
    return umem_xfer((void *)(uintptr_t)src, dst, n, 1);
}

int umem_readv(const struct iovec *local, int nl, const struct iovec *remote, int nr)
{
    return umem_xferv(local, nl, remote, nr, 0);
}

int umem_writev(const struct iovec *local, int nl, const struct iovec *remote, int nr)
{
    return umem_xferv(local, nl, remote, nr, 1);
}

/* Probe one octet in every UMEM_PAGE-aligned chunk that [p, p+n) touches,
 * UMEM_PROBES chunks per syscall.  A chunk never straddles a real page (pages
 * are at least UMEM_PAGE and aligned to it), so one readable octet proves the
 * whole chunk readable.  With write set, the octets read are written back
 * unchanged, which proves the pages writable; a concurrent writer of the same
 * caller buffer would be racing the caller's own call anyway. */
static int umem_probe(const void *p, size_t n, int write)
{
    if (n == 0)
        return 0;
    if (umem_bad_range(p, n))
        return WSAEFAULT;
    uintptr_t at = (uintptr_t)p;
    const uintptr_t last = at + n - 1;
    unsigned char octets[UMEM_PROBES];
    struct iovec local[UMEM_PROBES];
    struct iovec remote[UMEM_PROBES];
    int done = 0;
    while (!done) {
        unsigned k = 0;
        while (k < UMEM_PROBES && !done) {
            local[k] = (struct iovec){.iov_base = &octets[k], .iov_len = 1};
            remote[k] = (struct iovec){.iov_base = (void *)at, .iov_len = 1};
            k++;
            uintptr_t next = (at & ~(uintptr_t)(UMEM_PAGE - 1)) + UMEM_PAGE;
            if (next == 0 || next > last)
                done = 1; /* the chunk holding the last octet is probed */
            else
                at = next;
        }
        if (umem_syscall(local, k, remote, k, 0) != (ssize_t)k)
            return WSAEFAULT;
        if (write && umem_syscall(local, k, remote, k, 1) != (ssize_t)k)
            return WSAEFAULT;
    }
    return 0;
}

int umem_check_read(const void *p, size_t n)
{
    return umem_probe(p, n, 0);
}

int umem_check_write(void *p, size_t n)
{
    return umem_probe(p, n, 1);
}
