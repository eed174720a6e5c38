/* SPDX-License-Identifier: MIT */
/* spi_opt — option values in and out of the caller's memory (spi_opt.h). */
#include "common/spi_opt.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

int spi_opt_too_small(LPINT optlen, int need)
{
    if (optlen != NULL && umem_write(optlen, &need, sizeof need) != 0) {
    } /* the size needed, if it can be written: WSAEFAULT all the same */
    return WSAEFAULT;
}

int spi_opt_out_cap(char *optval, LPINT optlen, int cap, const void *v, int n)
{
    if (cap < n)
        return spi_opt_too_small(optlen, n);
    if (n > 0 && optval == NULL)
        return WSAEFAULT;
    /* value and length in one syscall */
    struct iovec l[2] = {{(void *)(uintptr_t)v, (size_t)n}, {&n, sizeof n}};
    struct iovec r[2] = {{optval, (size_t)n}, {optlen, sizeof n}};
    return umem_writev(l, 2, r, 2) != 0 ? WSAEFAULT : 0;
}

int spi_opt_out(char *optval, LPINT optlen, const void *v, int n)
{
    int cap;
    if (optlen == NULL || umem_read(&cap, optlen, sizeof cap) != 0)
        return WSAEFAULT;
    return spi_opt_out_cap(optval, optlen, cap, v, n);
}

int spi_opt_out_int(char *optval, LPINT optlen, int v)
{
    return spi_opt_out(optval, optlen, &v, sizeof v);
}

int spi_opt_out_proto(char *optval, LPINT optlen, const WSAPROTOCOL_INFOW *w, int optname)
{
    if (optname == SO_PROTOCOL_INFOW)
        return spi_opt_out(optval, optlen, w, sizeof *w);
    /* the two layouts differ only in szProtocol, the last field */
    WSAPROTOCOL_INFOA a;
    memcpy(&a, w, offsetof(WSAPROTOCOL_INFOA, szProtocol));
    for (int i = 0; i < WSAPROTOCOL_LEN; i++)
        a.szProtocol[i] = (CHAR)(w->szProtocol[i] < 0x80 ? w->szProtocol[i] : '?');
    a.szProtocol[WSAPROTOCOL_LEN] = '\0';
    return spi_opt_out(optval, optlen, &a, sizeof a);
}

int spi_opt_in(const char *optval, int optlen, void *v, size_t need)
{
    if (optval == NULL || optlen < 0 || (size_t)optlen < need)
        return WSAEFAULT;
    return umem_read(v, optval, need) != 0 ? WSAEFAULT : 0;
}

int spi_opt_in_int(const char *optval, int optlen, int *v)
{
    return spi_opt_in(optval, optlen, v, sizeof *v);
}

int spi_opt_in_bool(const char *optval, int optlen, int *v)
{
    if (optlen < 1)
        return WSAEFAULT;
    if (optlen < (int)sizeof *v) {
        unsigned char c;
        if (umem_read(&c, optval, 1) != 0)
            return WSAEFAULT;
        *v = c;
        return 0;
    }
    return umem_read(v, optval, sizeof *v) != 0 ? WSAEFAULT : 0;
}
