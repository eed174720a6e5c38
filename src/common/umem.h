/* Safe access to caller memory (D4): an invalid address becomes WSAEFAULT,
 * never a crash.  The kernel does the touching (process_vm_readv/writev on our
 * own process), so no signal handler and no probing by dereference. */
#ifndef WSP_COMMON_UMEM_H
#define WSP_COMMON_UMEM_H

#include <stddef.h>

/* Copy n bytes from caller memory src into dst. 0 or WSAEFAULT (also for a
 * short read: a buffer running into an unmapped page). n == 0 always succeeds. */
int umem_read(void *dst, const void *src, size_t n);

/* Copy n bytes from src into caller memory dst. 0 or WSAEFAULT. */
int umem_write(void *dst, const void *src, size_t n);

/* 0 if all n bytes at p are readable, else WSAEFAULT. */
int umem_check_read(const void *p, size_t n);

/* 0 if all n bytes at p are writable, else WSAEFAULT (writes nothing: the
 * current content is read and written back only through the kernel). */
int umem_check_write(void *p, size_t n);

#endif
