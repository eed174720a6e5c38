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

/* Are all n > 0 bytes at p readable or writable? */
enum umem_probe_kind {
    UMEM_PROBE_READ,  /* a load */
    UMEM_PROBE_WRITE, /* an atomic store of the same value: never changes the content */
    UMEM_PROBE_OUT,   /* a load and a plain store back: may lose a concurrent store */
};

#if UMEM_FAULT_COPY
#include <stdint.h>

/* The routines of umem_fault.c whose faulting instructions are in its fixup
 * table; inline wrappers, so an access costs one call. */
#define UMEM_HIDDEN __attribute__((visibility("hidden")))
UMEM_HIDDEN size_t umem_x86_copy(void *dst, const void *src, size_t n); /* 0 or fault */
UMEM_HIDDEN int umem_x86_copy4(void *dst, const void *src);             /* 0 or 1 */
UMEM_HIDDEN int umem_x86_copy16(void *dst, const void *src);
UMEM_HIDDEN int umem_x86_inout4(void *dst, void *p); /* dst <- *p, *p stored back: 0 or 1 */
/* probe [p, last] per 4 KiB chunk: 0 or 1 */
UMEM_HIDDEN int umem_x86_load(const void *p, const void *last);
UMEM_HIDDEN int umem_x86_lockadd(void *p, const void *last);
UMEM_HIDDEN int umem_x86_rewrite(void *p, const void *last);

#define UMEM_PAGE 4096u /* probe stride: never larger than the real page size */

/* dst <- src, n > 0, 0 or nonzero for a fault.  The two sizes every call
 * moves (a DWORD, a WSABUF) go to routines without the size tests when the
 * size is known at compile time. */
static inline int umem_x86_copy_n(void *dst, const void *src, size_t n)
{
    if (__builtin_constant_p(n) && n == 4)
        return umem_x86_copy4(dst, src);
    if (__builtin_constant_p(n) && n == 16)
        return umem_x86_copy16(dst, src);
    return umem_x86_copy(dst, src, n) != 0;
}

/* The caller side is src for read, dst for write. */
static inline int umem_arch_read(void *dst, const void *src, size_t n)
{
    return umem_x86_copy_n(dst, src, n);
}

static inline int umem_arch_write(void *dst, const void *src, size_t n)
{
    return umem_x86_copy_n(dst, src, n);
}

/* The first octet, then the first octet of every later UMEM_PAGE chunk (the
 * loop is in the routine: one call per range). */
static inline int umem_arch_probe(const void *p, size_t n, enum umem_probe_kind kind)
{
    const char *last = (const char *)p + n - 1;
    return kind == UMEM_PROBE_READ    ? umem_x86_load(p, last)
           : kind == UMEM_PROBE_WRITE ? umem_x86_lockadd((void *)p, last)
                                      : umem_x86_rewrite((void *)p, last);
}
#else
int umem_arch_read(void *dst, const void *src, size_t n);
int umem_arch_write(void *dst, const void *src, size_t n);
int umem_arch_probe(const void *p, size_t n, enum umem_probe_kind kind);
#endif

#endif
