/* SPDX-License-Identifier: MIT */
/* umem back ends: how one range of caller memory is touched.  umem.c has
 * already refused NULL, wrapping and empty ranges; a back end only reports
 * whether the access faulted (0 ok, nonzero fault).
 *
 * UMEM_FAULT_COPY selects the fault-catching copy (umem_fault.c); without it
 * the kernel copies (umem_vm.c).  UMEM_FORCE_VM builds the latter on x86-64
 * too, so its tests run here. */
#ifndef WSP_COMMON_UMEM_ARCH_H
#define WSP_COMMON_UMEM_ARCH_H

#include <stddef.h>

#if defined(__x86_64__) && defined(__ELF__) && defined(__linux__) && !defined(UMEM_FORCE_VM)
#define UMEM_FAULT_COPY 1
#else
#define UMEM_FAULT_COPY 0
#endif

/* Once per module: install what the back end needs (the fault handler). */
void umem_arch_init(void);

/* dst <- src, n > 0; the caller side is src for read, dst for write. */
int umem_arch_read(void *dst, const void *src, size_t n);
int umem_arch_write(void *dst, const void *src, size_t n);

/* Are all n > 0 bytes at p readable (write == 0) or writable (write != 0)?
 * Never changes the content. */
int umem_arch_probe(const void *p, size_t n, int write);

#endif
