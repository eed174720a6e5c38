/* SPDX-License-Identifier: MIT */
/* Allocation counters for the hot-path test.
 *
 * The test executable defines malloc, calloc, realloc, free and the aligned
 * allocators itself (alloc_count.c) and forwards to glibc's __libc_* entry
 * points; being exported from the executable, they come first in the global
 * lookup scope, so libwsp and the dlopen'ed provider modules call them too.
 * Under sanitizers the sanitizer owns malloc, so nothing is counted and
 * alloc_count_enabled() is false. */
#ifndef WSP_TEST_ALLOC_COUNT_H
#define WSP_TEST_ALLOC_COUNT_H

#include <stdbool.h>

struct alloc_snapshot {
    unsigned long all_allocs;  /* every thread */
    unsigned long all_frees;   /* every thread, non-NULL pointers only */
    unsigned long self_allocs; /* the calling thread */
};

bool alloc_count_enabled(void);
/* True when the global symbol scope (where libwsp and dlopen'ed modules find
 * malloc) resolves malloc and free to the counting ones. */
bool alloc_count_interposed(void);
void alloc_snapshot(struct alloc_snapshot *s);
/* Opens a window: remembers the code address of the first allocation made
 * while it is open, for the failure message. */
void alloc_window_open(void);
void alloc_window_close(void);
/* "libwsp.so.0+0x1234 (function)" of the first allocation in the last window,
 * or "none". */
const char *alloc_first_caller(void);

#endif
