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

#include <stddef.h>
#include <sys/uio.h>

#define UMEM_MUST_CHECK __attribute__((warn_unused_result))

/* Install the fault handler (once per module, thread-safe, idempotent).  The
 * startup paths (WSAStartup, every provider's WSPStartup) call it; each
 * function below also calls it on its first use, so it is never missing. */
void umem_init(void);

/* Copy n bytes from caller memory src into dst. 0 or WSAEFAULT (also for a
 * buffer running into an unmapped page). n == 0 always succeeds. */
UMEM_MUST_CHECK int umem_read(void *dst, const void *src, size_t n);

/* Copy n bytes from src into caller memory dst. 0 or WSAEFAULT; a failure
 * may leave a prefix written (up to the first bad page). */
UMEM_MUST_CHECK int umem_write(void *dst, const void *src, size_t n);

/* 0 if all n bytes at p are readable, else WSAEFAULT. */
UMEM_MUST_CHECK int umem_check_read(const void *p, size_t n);

/* 0 if all n bytes at p are writable, else WSAEFAULT.  Never changes the
 * content, not even under a concurrent writer: one atomic add of 0 per page
 * (a write access to the MMU, no change to the bytes). */
UMEM_MUST_CHECK int umem_check_write(void *p, size_t n);

/* 0 if all n bytes at p are writable, else WSAEFAULT: the cheap form for an
 * out-parameter or a receive buffer that the call itself is about to
 * overwrite.  It may store back the octet it read (one plain load and store
 * per page, no atomic operation), so a concurrent store by another thread to
 * that octet can be lost — a store that would race the call's own write
 * anyway.  For memory the call does not overwrite use umem_check_write. */
UMEM_MUST_CHECK int umem_check_out(void *p, size_t n);

/* Scatter/gather forms: several caller regions (the remote iovecs) and local
 * buffers, which need not line up one to one, only have the same total
 * length.  0 or WSAEFAULT; a region of length 0 is ignored, any other NULL or
 * wrapping remote one is WSAEFAULT.  A failure may leave a prefix copied. */
UMEM_MUST_CHECK int umem_readv(const struct iovec *local, int nl, const struct iovec *remote,
                               int nr);
UMEM_MUST_CHECK int umem_writev(const struct iovec *local, int nl, const struct iovec *remote,
                                int nr);

#endif
