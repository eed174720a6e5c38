/* SPDX-License-Identifier: MIT */
/* The counting allocator of the hot-path test (see alloc_count.h). */
#include "alloc_count.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_ulong all_allocs;
static atomic_ulong all_frees;
static __thread unsigned long self_allocs;
static atomic_int window_open;
static _Atomic(void *) first_caller;

__attribute__((unused)) static void note_alloc(void *caller)
{
    atomic_fetch_add_explicit(&all_allocs, 1, memory_order_relaxed);
    self_allocs++;
    if (atomic_load_explicit(&window_open, memory_order_relaxed)) {
        void *none = NULL;
        atomic_compare_exchange_strong(&first_caller, &none, caller);
    }
}

void alloc_snapshot(struct alloc_snapshot *s)
{
    s->all_allocs = atomic_load(&all_allocs);
    s->all_frees = atomic_load(&all_frees);
    s->self_allocs = self_allocs;
}

void alloc_window_open(void)
{
    atomic_store(&first_caller, NULL);
    atomic_store(&window_open, 1);
}

void alloc_window_close(void)
{
    atomic_store(&window_open, 0);
}

const char *alloc_first_caller(void)
{
    static char buf[256];
    void *pc = atomic_load(&first_caller);
    Dl_info info;
    if (pc == NULL)
        return "none";
    if (dladdr(pc, &info) == 0 || info.dli_fname == NULL) {
        snprintf(buf, sizeof buf, "%p", pc);
    } else {
        snprintf(buf, sizeof buf, "%s+%#lx (%s)", info.dli_fname,
                 (unsigned long)((uintptr_t)pc - (uintptr_t)info.dli_fbase),
                 info.dli_sname ? info.dli_sname : "?");
    }
    return buf;
}

#ifdef WSP_TEST_SANITIZED

bool alloc_count_enabled(void)
{
    return false;
}

bool alloc_count_interposed(void)
{
    return false;
}

#else

bool alloc_count_enabled(void)
{
    return true;
}

/* glibc's own entry points: calling them never comes back here. */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

#define ALLOC_EXPORT __attribute__((visibility("default")))

bool alloc_count_interposed(void)
{
    return dlsym(RTLD_DEFAULT, "malloc") == (void *)malloc &&
           dlsym(RTLD_DEFAULT, "calloc") == (void *)calloc &&
           dlsym(RTLD_DEFAULT, "free") == (void *)free;
}

ALLOC_EXPORT void *malloc(size_t n)
{
    note_alloc(__builtin_return_address(0));
    return __libc_malloc(n);
}

ALLOC_EXPORT void *calloc(size_t n, size_t m)
{
    note_alloc(__builtin_return_address(0));
    return __libc_calloc(n, m);
}

ALLOC_EXPORT void *realloc(void *p, size_t n)
{
    note_alloc(__builtin_return_address(0));
    return __libc_realloc(p, n);
}

ALLOC_EXPORT void free(void *p)
{
    if (p != NULL)
        atomic_fetch_add_explicit(&all_frees, 1, memory_order_relaxed);
    __libc_free(p);
}

ALLOC_EXPORT void *memalign(size_t align, size_t n)
{
    note_alloc(__builtin_return_address(0));
    return __libc_memalign(align, n);
}

ALLOC_EXPORT void *aligned_alloc(size_t align, size_t n)
{
    note_alloc(__builtin_return_address(0));
    return __libc_memalign(align, n);
}

ALLOC_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    note_alloc(__builtin_return_address(0));
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return 22; /* EINVAL */
    void *p = __libc_memalign(align, n);
    if (p == NULL)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

#endif
