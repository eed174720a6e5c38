/* SPDX-License-Identifier: MIT */
/* WSPAddressToString / WSPStringToAddress for IPv4 and IPv6 through the shared
 * addrstr conversion, with IPv6 zones ("%scope") in the text. */
#include "common/addrstr.h"
#include "tcp.h"

INT WSPAPI tcp_WSPAddressToString(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                                  LPWSAPROTOCOL_INFOW lpProtocolInfo, LPWSTR lpszAddressString,
                                  LPDWORD lpdwAddressStringLength, LPINT lpErrno)
{
    (void)lpProtocolInfo;
    int err = tcp_guard();
    if (err == 0)
        err = addrstr_to_text(lpsaAddress, dwAddressLength, ADDRSTR_SCOPE_ID, lpszAddressString,
                              lpdwAddressStringLength);
    return err ? spi_fail(lpErrno, err) : 0;
}

INT WSPAPI tcp_WSPStringToAddress(LPWSTR AddressString, INT AddressFamily,
                                  LPWSAPROTOCOL_INFOW lpProtocolInfo, LPSOCKADDR lpAddress,
                                  LPINT lpAddressLength, LPINT lpErrno)
{
    int err = tcp_guard();
    if (err != 0)
        return spi_fail(lpErrno, err);
    if (AddressFamily == FROM_PROTOCOL_INFO && lpProtocolInfo != NULL)
        AddressFamily = lpProtocolInfo->iAddressFamily;
    if (AddressString == NULL)
        return spi_fail(lpErrno, WSAEINVAL); /* tcp: a missing string is invalid, not a fault */
    err = addrstr_from_text(AddressString, AddressFamily, ADDRSTR_SCOPE_ID, lpAddress,
                            lpAddressLength);
    return err ? spi_fail(lpErrno, err) : 0;
}
