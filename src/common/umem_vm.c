/* SPDX-License-Identifier: MIT */
/* umem back end for targets without the fault-catching copy: the kernel does
 * the touching.  process_vm_readv/writev on our own pid report an unmapped
 * page as a short count or EFAULT instead of a signal.  Slower (a syscall
 * per access) and refused under a seccomp filter that denies these
 * syscalls, hence only the fallback.
 *
 * The pid is cached (and refreshed in a forked child, where the cached value
 * would name the parent); the probes check one octet per page, 64 pages per
 * syscall.  The kernel offers no write probe that leaves the content alone,
 * so the write probe reads each octet and writes it back: a concurrent store
 * by another thread to that very octet between the two can be lost.  The
 * fault-catching back end has no such window (an atomic add of 0). */
#include "common/sys.h"
#include "umem_arch.h"

#if !UMEM_FAULT_COPY

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

#define UMEM_PAGE 4096u /* probe stride: never larger than the real page size */
#define UMEM_PROBES 64  /* pages probed per syscall */

static atomic_int umem_pid_cached;

static void umem_forget_pid(void)
{
    atomic_store_explicit(&umem_pid_cached, 0, memory_order_relaxed);
}

void umem_arch_init(void)
{
    pthread_atfork(NULL, NULL, umem_forget_pid);
}

static pid_t umem_pid(void)
{
    int pid = atomic_load_explicit(&umem_pid_cached, memory_order_relaxed);
    if (pid == 0) {
        pid = (int)getpid();
        atomic_store_explicit(&umem_pid_cached, pid, memory_order_relaxed);
    }
    return (pid_t)pid;
}

static ssize_t umem_syscall(const struct iovec *l, unsigned long nl, const struct iovec *r,
                            unsigned long nr, int write)
{
    ssize_t got;
    do {
        got = write ? sys_process_vm_writev(umem_pid(), l, nl, r, nr, 0)
                    : sys_process_vm_readv(umem_pid(), l, nl, r, nr, 0);
    } while (got < 0 && errno == EINTR);
    return got;
}

static int umem_vm_xfer(void *local, void *remote, size_t n, int write)
{
    struct iovec l = {.iov_base = local, .iov_len = n};
    struct iovec r = {.iov_base = remote, .iov_len = n};
    return umem_syscall(&l, 1, &r, 1, write) == (ssize_t)n ? 0 : -1;
}

int umem_arch_read(void *dst, const void *src, size_t n)
{
    return umem_vm_xfer(dst, (void *)(uintptr_t)src, n, 0);
}

int umem_arch_write(void *dst, const void *src, size_t n)
{
    return umem_vm_xfer((void *)(uintptr_t)src, dst, n, 1);
}

/* One octet in every UMEM_PAGE-aligned chunk that [p, p+n) touches.  A chunk
 * never straddles a real page (pages are at least UMEM_PAGE and aligned to
 * it), so one accessible octet proves the whole chunk. */
int umem_arch_probe(const void *p, size_t n, enum umem_probe_kind kind)
{
    int write = kind != UMEM_PROBE_READ;
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
            return -1;
        if (write && umem_syscall(local, k, remote, k, 1) != (ssize_t)k)
            return -1;
    }
    return 0;
}

#else
typedef int umem_vm_unused; /* ISO C wants a declaration in every file */
#endif
