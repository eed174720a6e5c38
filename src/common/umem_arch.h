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

/* The general copy of umem_fault.c, whose faulting instructions are in its
 * fixup table: one call per access of a size not known at compile time. */
#define UMEM_HIDDEN __attribute__((visibility("hidden")))
UMEM_HIDDEN size_t umem_x86_copy(void *dst, const void *src, size_t n); /* 0 or fault */

#define UMEM_PAGE 4096u /* probe stride: never larger than the real page size */

/* The accesses of every send and receive (a DWORD, a WSABUF, the probe of a
 * buffer) are inline: a call into umem_fault.c and back cost more than the
 * access itself (callgrind, docs/performance.md).  Each faulting instruction
 * of an asm goto below gets an entry in the module's section umem_extable:
 * its address and the C label to resume at, as offsets from the entry (so
 * no relocation), found by the fault handler (umem_fault.c) like the fixup
 * table.  asm goto lets the code jump to that label from inside the asm
 * with the registers as they are there, which is what the handler's resume
 * does.  Each returns 0, or 1 when an access faulted. */
#define UMEM_EX(insn)                                                                              \
    ".pushsection umem_extable,\"a\"\n.balign 4\n.long " insn " - .\n.long %l[fault] - .\n"        \
    ".popsection\n"

/* The body of every access below: the asm, then 0, or 1 from the label
 * the fault handler resumes at.  inputs and clobbers are parenthesised
 * lists. NOLINTBEGIN(bugprone-macro-parentheses) */
#define UMEM_LIST(...) __VA_ARGS__
#define UMEM_ASM_TRY(tmpl, inputs, clobbers)                                                       \
    __asm__ goto(tmpl : : UMEM_LIST inputs : UMEM_LIST clobbers : fault);                          \
    return 0;                                                                                      \
    fault:                                                                                         \
    return 1
/* NOLINTEND(bugprone-macro-parentheses) */

/* dst <- src, 4 octets */
static inline __attribute__((always_inline)) int umem_x86_copy4(void *dst, const void *src)
{
    UMEM_ASM_TRY("1: movl (%[s]), %%ecx\n"
                 "2: movl %%ecx, (%[d])\n" UMEM_EX("1b") UMEM_EX("2b"),
                 ([s] "r"(src), [d] "r"(dst)), ("rcx", "memory"));
}

/* dst <- src, 16 octets (a WSABUF), both loads before the stores */
static inline __attribute__((always_inline)) int umem_x86_copy16(void *dst, const void *src)
{
    UMEM_ASM_TRY("1: movq (%[s]), %%rcx\n"
                 "2: movq 8(%[s]), %%rdx\n"
                 "3: movq %%rcx, (%[d])\n"
                 "4: movq %%rdx, 8(%[d])\n" UMEM_EX("1b") UMEM_EX("2b") UMEM_EX("3b") UMEM_EX("4b"),
                 ([s] "r"(src), [d] "r"(dst)), ("rcx", "rdx", "memory"));
}

/* An in/out DWORD: dst <- *p, and *p stored back (a write access, as the
 * OUT probe) */
static inline __attribute__((always_inline)) int umem_x86_inout4(void *dst, void *p)
{
    UMEM_ASM_TRY("1: movl (%[p]), %%ecx\n"
                 "2: movl %%ecx, (%[p])\n"
                 "   movl %%ecx, (%[d])\n" UMEM_EX("1b") UMEM_EX("2b"),
                 ([p] "r"(p), [d] "r"(dst)), ("rcx", "memory"));
}

/* The probes: p, then the first octet of every later 4 KiB chunk up to the
 * one holding last (a chunk never straddles a real page, so one access
 * proves it).  The next chunk cannot wrap to 0: that would need a
 * successful access to the top page, which is the kernel's.  READ is a
 * load; WRITE a `lock addb $0`, a write access for the MMU (it faults on a
 * read-only page) that stores back the value it read atomically, so a
 * concurrent writer's store is never lost; OUT a plain load and store back,
 * cheaper, for memory the call overwrites anyway. */
#define UMEM_PROBE_LOOP(access, extra)                                                             \
    "movq %[p], %%rcx\n"                                                                           \
    "1: " access "\n" extra "andq $-4096, %%rcx\n"                                                 \
    "addq $4096, %%rcx\n"                                                                          \
    "cmpq %[last], %%rcx\n"                                                                        \
    "jbe 1b\n"

static inline __attribute__((always_inline)) int umem_x86_load(const void *p, const void *last)
{
    UMEM_ASM_TRY(UMEM_PROBE_LOOP("movb (%%rcx), %%al", "") UMEM_EX("1b"),
                 ([p] "r"(p), [last] "r"(last)), ("rax", "rcx", "memory"));
}

static inline __attribute__((always_inline)) int umem_x86_lockadd(void *p, const void *last)
{
    UMEM_ASM_TRY(UMEM_PROBE_LOOP("lock addb $0, (%%rcx)", "") UMEM_EX("1b"),
                 ([p] "r"(p), [last] "r"(last)), ("rcx", "memory", "cc"));
}

static inline __attribute__((always_inline)) int umem_x86_rewrite(void *p, const void *last)
{
    UMEM_ASM_TRY(UMEM_PROBE_LOOP("movb (%%rcx), %%al", "2: movb %%al, (%%rcx)\n") UMEM_EX("1b")
                     UMEM_EX("2b"),
                 ([p] "r"(p), [last] "r"(last)), ("rax", "rcx", "memory"));
}

/* dst <- src, n > 0, 0 or nonzero for a fault.  The two sizes every call
 * moves (a DWORD, a WSABUF) are inline when the size is known at compile
 * time; any other size calls the general copy. */
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
