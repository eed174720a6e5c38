/* SPDX-License-Identifier: MIT */
/* spi_addr — socket addresses out to the caller's memory (spi_addr.h). */
#include "common/spi_addr.h"

#include <stdint.h>
#include <sys/uio.h>

#include "common/addrstr.h"

int spi_addr_len(int af)
{
    return addrstr_sockaddr_len(af);
}

int spi_addr_out(const struct sockaddr_storage *ss, socklen_t len, struct sockaddr *name,
                 LPINT namelen)
{
    int cap;
    if (namelen == NULL || umem_read(&cap, namelen, sizeof cap) != 0)
        return WSAEFAULT;
    if (cap < (int)len || name == NULL)
        return WSAEFAULT;
    int out = (int)len;
    /* address and length in one syscall */
    struct iovec l[2] = {{(void *)(uintptr_t)ss, (size_t)len}, {&out, sizeof out}};
    struct iovec r[2] = {{name, (size_t)len}, {namelen, sizeof out}};
    return umem_writev(l, 2, r, 2) != 0 ? WSAEFAULT : 0;
}
