/* Caller memory through the kernel.  process_vm_readv/writev on our own pid
 * report an unmapped page as a short count or EFAULT instead of a signal, so a
 * bad pointer from an application can never crash the library. */
#include "umem.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <wsp/winsock2.h>

static int umem_xfer(void *local, const void *remote, size_t n, int write)
{
    if (n == 0)
        return 0;
    if (remote == NULL || (uintptr_t)remote + n < (uintptr_t)remote)
        return WSAEFAULT;
    struct iovec l = {.iov_base = local, .iov_len = n};
    struct iovec r = {.iov_base = (void *)(uintptr_t)remote, .iov_len = n};
    ssize_t got;
    do {
        got = write ? process_vm_writev(getpid(), &l, 1, &r, 1, 0)
                    : process_vm_readv(getpid(), &l, 1, &r, 1, 0);
    } while (got < 0 && errno == EINTR);
    return got == (ssize_t)n ? 0 : WSAEFAULT;
}

int umem_read(void *dst, const void *src, size_t n)
{
    return umem_xfer(dst, src, n, 0);
}

int umem_write(void *dst, const void *src, size_t n)
{
    return umem_xfer((void *)(uintptr_t)src, dst, n, 1);
}

int umem_check_read(const void *p, size_t n)
{
    char chunk[256];
    const char *c = p;
    while (n > 0) {
        size_t k = n < sizeof chunk ? n : sizeof chunk;
        if (umem_read(chunk, c, k) != 0)
            return WSAEFAULT;
        c += k;
        n -= k;
    }
    return 0;
}

int umem_check_write(void *p, size_t n)
{
    /* Read then write back the same bytes: proves writability without
     * changing content.  Not atomic against a concurrent writer of the same
     * caller buffer, which would be a caller race anyway. */
    char chunk[256];
    char *c = p;
    while (n > 0) {
        size_t k = n < sizeof chunk ? n : sizeof chunk;
        if (umem_read(chunk, c, k) != 0 || umem_write(c, chunk, k) != 0)
            return WSAEFAULT;
        c += k;
        n -= k;
    }
    return 0;
}
