/* SPDX-License-Identifier: MIT */
/* Safe access to caller memory (D4): an invalid address becomes WSAEFAULT,
 * never a crash.
 *
 * On x86-64 the copy is a plain `rep movsb` (and a load or a `lock add $0`
 * for the checks) whose faulting instructions are listed in a table known to
 * a SIGSEGV/SIGBUS handler: a fault at one of them resumes at its fixup and
 * becomes WSAEFAULT, any other fault goes on to the handler that was
 * installed before ours (see umem_fault.c).  Elsewhere the kernel does the
 * touching (process_vm_readv/writev on our own process, umem_vm.c).
 *
 * Every result must be looked at: ignoring one would turn a bad pointer into
 * silently missing output. */
#ifndef WSP_COMMON_UMEM_H
#define WSP_COMMON_UMEM_H

#ifdef __clang_analyzer__
#include <string.h> /* memcpy: the analyzer's model of the copy */
#endif
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <wsp/winsock2.h>

#include "umem_arch.h"

#define UMEM_MUST_CHECK __attribute__((warn_unused_result))

/* Install the fault handler (once per module, thread-safe, idempotent).  The
 * startup paths (WSAStartup, every provider's WSPStartup) call it; each
 * function below also calls it on its first use, so it is never missing. */
void umem_init(void);

/* The accessors below are inline: they are on every send and receive (the
 * WSABUF array, the byte count, the flags), where a call into umem.c and
 * back cost more than the access itself.  Each is the shared checks (empty,
 * NULL, wrapping range, back end installed), then one call into the back
 * end (umem_arch.h). */

/* umem_init has run in this module (hidden: one per module, like the
 * handler it stands for). */
extern __attribute__((visibility("hidden"))) atomic_bool umem_up;

static inline void umem_ready(void)
{
    if (__builtin_expect(!atomic_load_explicit(&umem_up, memory_order_acquire), 0))
        umem_init();
}

/* NULL, or a range that wraps past the end of the address space: for n > 0
 * both are p - 1 >= UINTPTR_MAX - n (NULL - 1 is UINTPTR_MAX), one compare. */
static inline bool umem_bad_range(const void *p, size_t n)
{
    return (uintptr_t)p - 1 >= UINTPTR_MAX - n;
}

/* The accessors without the back-end test, for a hot path that makes
 * several accesses per call: it calls umem_ready() once, then these (the
 * tcp data path: up to seven accesses per receive).  Each is the public
 * accessor of the same name without _up, below. */
static inline UMEM_MUST_CHECK int umem_read_up(void *dst, const void *src, size_t n)
{
#ifdef __clang_analyzer__
    /* The fault-catching copy is assembly clang-tidy's analyzer cannot
     * follow: show it what the copy does (or that it fails), so that it does
     * not take every destination for uninitialised. Never compiled. */
    if (umem_bad_range(src, n))
        return WSAEFAULT;
    memcpy(dst, src, n);
    return 0;
#else
    if (n == 0)
        return 0;
    if (umem_bad_range(src, n))
        return WSAEFAULT;
    return umem_arch_read(dst, src, n) == 0 ? 0 : WSAEFAULT;
#endif
}

static inline UMEM_MUST_CHECK int umem_write_up(void *dst, const void *src, size_t n)
{
    if (n == 0)
        return 0;
    if (umem_bad_range(dst, n))
        return WSAEFAULT;
    return umem_arch_write(dst, src, n) == 0 ? 0 : WSAEFAULT;
}

static inline int umem_probe_up(const void *p, size_t n, enum umem_probe_kind kind)
{
    if (n == 0)
        return 0;
    if (umem_bad_range(p, n))
        return WSAEFAULT;
    return umem_arch_probe(p, n, kind) == 0 ? 0 : WSAEFAULT;
}

static inline UMEM_MUST_CHECK int umem_check_read_up(const void *p, size_t n)
{
    return umem_probe_up(p, n, UMEM_PROBE_READ);
}

static inline UMEM_MUST_CHECK int umem_check_out_up(void *p, size_t n)
{
    return umem_probe_up(p, n, UMEM_PROBE_OUT);
}

/* An in/out parameter the call will overwrite (a receive's *lpFlags): copy
 * its n octets into dst and prove them writable, as umem_read_up then
 * umem_check_out_up (the same possible loss of a concurrent store), in one
 * access for a DWORD. */
static inline UMEM_MUST_CHECK int umem_read_out_up(void *dst, void *src, size_t n)
{
#if UMEM_FAULT_COPY
    if (__builtin_constant_p(n) && n == 4)
        return umem_bad_range(src, n) || umem_x86_inout4(dst, src) != 0 ? WSAEFAULT : 0;
#endif
    return umem_read_up(dst, src, n) != 0 || umem_check_out_up(src, n) != 0 ? WSAEFAULT : 0;
}

/* Copy n bytes from caller memory src into dst. 0 or WSAEFAULT (also for a
 * buffer running into an unmapped page). n == 0 always succeeds. */
static inline UMEM_MUST_CHECK int umem_read(void *dst, const void *src, size_t n)
{
    umem_ready();
    return umem_read_up(dst, src, n);
}

/* Copy n bytes from src into caller memory dst. 0 or WSAEFAULT; a failure
 * may leave a prefix written (up to the first bad page). */
static inline UMEM_MUST_CHECK int umem_write(void *dst, const void *src, size_t n)
{
    umem_ready();
    return umem_write_up(dst, src, n);
}

static inline int umem_probe(const void *p, size_t n, enum umem_probe_kind kind)
{
    umem_ready();
    return umem_probe_up(p, n, kind);
}

/* 0 if all n bytes at p are readable, else WSAEFAULT. */
static inline UMEM_MUST_CHECK int umem_check_read(const void *p, size_t n)
{
    return umem_probe(p, n, UMEM_PROBE_READ);
}

/* 0 if all n bytes at p are writable, else WSAEFAULT.  Never changes the
 * content, not even under a concurrent writer: one atomic add of 0 per page
 * (a write access to the MMU, no change to the bytes). */
static inline UMEM_MUST_CHECK int umem_check_write(void *p, size_t n)
{
    return umem_probe(p, n, UMEM_PROBE_WRITE);
}

/* 0 if all n bytes at p are writable, else WSAEFAULT: the cheap form for an
 * out-parameter or a receive buffer that the call itself is about to
 * overwrite.  It may store back the octet it read (one plain load and store
 * per page, no atomic operation), so a concurrent store by another thread to
 * that octet can be lost — a store that would race the call's own write
 * anyway.  For memory the call does not overwrite use umem_check_write. */
static inline UMEM_MUST_CHECK int umem_check_out(void *p, size_t n)
{
    return umem_probe(p, n, UMEM_PROBE_OUT);
}

/* Scatter/gather forms: several caller regions (the remote iovecs) and local
 * buffers, which need not line up one to one, only have the same total
 * length.  0 or WSAEFAULT; a region of length 0 is ignored, any other NULL or
 * wrapping remote one is WSAEFAULT.  A failure may leave a prefix copied. */
UMEM_MUST_CHECK int umem_readv(const struct iovec *local, int nl, const struct iovec *remote,
                               int nr);
UMEM_MUST_CHECK int umem_writev(const struct iovec *local, int nl, const struct iovec *remote,
                                int nr);

#endif
