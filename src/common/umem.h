/* SPDX-License-Identifier: MIT */
/* Safe access to caller memory (D4): an invalid address becomes WSAEFAULT,
 * never a crash.  The kernel does the touching (process_vm_readv/writev on our
 * own process), so no signal handler and no probing by dereference. */
#ifndef WSP_COMMON_UMEM_H
#define WSP_COMMON_UMEM_H

#include <stddef.h>
#include <sys/uio.h>

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

/* Scatter/gather forms: one syscall for several caller regions (the remote
 * iovecs) and local buffers, which need not line up one to one, only have the
 * same total length.  0 or WSAEFAULT; a remote region of length 0 is ignored,
 * any other NULL or wrapping one is WSAEFAULT.  A failure may leave a prefix
 * copied. */
int umem_readv(const struct iovec *local, int nl, const struct iovec *remote, int nr);
int umem_writev(const struct iovec *local, int nl, const struct iovec *remote, int nr);

#endif
