/* SPDX-License-Identifier: MIT */
/* spi_opt — option values between a provider and the caller's memory
 * (WSPGetSockOpt / WSPSetSockOpt; part of the provider kit:
 * docs/writing-a-provider.md).
 *
 * The rule it enforces — caller memory: every pointer the caller passes
 * (optval, optlen) is read or written only through umem, and every umem
 * result is checked, so a bad pointer is WSAEFAULT, never a crash (D4).
 *   Out: *optlen is read first (the room); a value that does not fit is
 *        WSAEFAULT with the length needed written into *optlen when it can
 *        be (D10's rule, the same for every option of every module); a
 *        value that fits is written together with its length in one
 *        umem_writev, so the caller sees both or neither (D1).
 *   In:  optlen must cover the value (WSAEFAULT otherwise, as Windows'
 *        setsockopt); a larger optlen is fine, only the value is read.
 * Every function returns 0 or a WSAE* code for spi_fail. */
#ifndef WSP_COMMON_SPI_OPT_H
#define WSP_COMMON_SPI_OPT_H

#include <stddef.h>

#include <wsp/ws2spi.h>

#include "common/umem.h"

/* The value v (n octets) and n into optval / *optlen. */
UMEM_MUST_CHECK int spi_opt_out(char *optval, LPINT optlen, const void *v, int n);
/* The same when the caller has read *optlen into cap already. */
UMEM_MUST_CHECK int spi_opt_out_cap(char *optval, LPINT optlen, int cap, const void *v, int n);
/* An int / BOOL value. */
UMEM_MUST_CHECK int spi_opt_out_int(char *optval, LPINT optlen, int v);
/* SO_PROTOCOL_INFOW (w as it is) or SO_PROTOCOL_INFOA (w with its name in
 * ASCII, '?' for what is not), by optname. */
UMEM_MUST_CHECK int spi_opt_out_proto(char *optval, LPINT optlen, const WSAPROTOCOL_INFOW *w,
                                      int optname);
/* A value of need octets does not fit the room: WSAEFAULT, and need into
 * *optlen if it can be written (for a module that fills optval itself). */
int spi_opt_too_small(LPINT optlen, int need);

/* need octets of optval into v. */
UMEM_MUST_CHECK int spi_opt_in(const char *optval, int optlen, void *v, size_t need);
/* An int, exactly (the WSP_SOL_ITOT options). */
UMEM_MUST_CHECK int spi_opt_in_int(const char *optval, int optlen, int *v);
/* A BOOL / DWORD: an int, or a single octet, as Winsock accepts for BOOL
 * options (a one-byte value is read as 0 or its octet). */
UMEM_MUST_CHECK int spi_opt_in_bool(const char *optval, int optlen, int *v);

#endif
