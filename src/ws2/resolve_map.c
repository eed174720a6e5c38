/* SPDX-License-Identifier: MIT */
/* Tables between Windows' resolver values (ws2tcpip.h) and glibc's, which
 * differ in every AI_ and NI_ bit above the first few and in every code. */
#include "resolve_map.h"

#include <errno.h>
#include <netdb.h>
#include <stddef.h>

#include <wsp/ws2tcpip.h>

struct rsv_bit {
    int win, sys;
};

/* Windows flags that only tune DNS or name-service details are accepted and
 * have no system equivalent (sys 0). AI_FQDN asks for the full name in
 * ai_canonname: the system's AI_CANONNAME gives it. */
static const struct rsv_bit rsv_ai_table[] = {
    {WSP_AI_PASSIVE, AI_PASSIVE},
    {WSP_AI_CANONNAME, AI_CANONNAME},
    {WSP_AI_NUMERICHOST, AI_NUMERICHOST},
    {WSP_AI_NUMERICSERV, AI_NUMERICSERV},
    {WSP_AI_DNS_ONLY, 0},
    {WSP_AI_ALL, AI_ALL},
    {WSP_AI_ADDRCONFIG, AI_ADDRCONFIG},
    {WSP_AI_V4MAPPED, AI_V4MAPPED},
    {WSP_AI_NON_AUTHORITATIVE, 0},
    {WSP_AI_SECURE, 0},
    {WSP_AI_RETURN_PREFERRED_NAMES, 0},
    {WSP_AI_FQDN, AI_CANONNAME},
    {WSP_AI_FILESERVER, 0},
    {WSP_AI_DISABLE_IDN_ENCODING, 0},
};

static const struct rsv_bit rsv_ni_table[] = {
    {WSP_NI_NOFQDN, NI_NOFQDN},     {WSP_NI_NUMERICHOST, NI_NUMERICHOST},
    {WSP_NI_NAMEREQD, NI_NAMEREQD}, {WSP_NI_NUMERICSERV, NI_NUMERICSERV},
    {WSP_NI_DGRAM, NI_DGRAM},
};

static int rsv_bits(int win, const struct rsv_bit *t, size_t n)
{
    int sys = 0;
    for (size_t i = 0; i < n; i++) {
        if (win & t[i].win) {
            sys |= t[i].sys;
            win &= ~t[i].win;
        }
    }
    return win != 0 ? -1 : sys;
}

int rsv_ai_flags(int win_flags)
{
    return rsv_bits(win_flags, rsv_ai_table, sizeof rsv_ai_table / sizeof rsv_ai_table[0]);
}

int rsv_ni_flags(int win_flags)
{
    return rsv_bits(win_flags, rsv_ni_table, sizeof rsv_ni_table / sizeof rsv_ni_table[0]);
}

/* getaddrinfo's documented codes (Windows: EAI_x is the WSA code beside it);
 * a name that exists without an address of the family is WSANO_DATA, as
 * Windows answers it. */
static const struct rsv_bit rsv_eai_table[] = {
    {WSATRY_AGAIN, EAI_AGAIN},
    {WSAEINVAL, EAI_BADFLAGS},
    {WSANO_RECOVERY, EAI_FAIL},
    {WSAEAFNOSUPPORT, EAI_FAMILY},
    {WSA_NOT_ENOUGH_MEMORY, EAI_MEMORY},
    {WSAHOST_NOT_FOUND, EAI_NONAME},
    {WSANO_DATA, EAI_NODATA},
    {WSANO_DATA, EAI_ADDRFAMILY},
    {WSATYPE_NOT_FOUND, EAI_SERVICE},
    {WSAESOCKTNOSUPPORT, EAI_SOCKTYPE},
    {WSAEFAULT, EAI_OVERFLOW}, /* getnameinfo: a buffer too small */
};

int rsv_eai_to_wsa(int eai)
{
    if (eai == 0)
        return 0;
    if (eai == EAI_SYSTEM)
        return errno == ENOMEM ? WSA_NOT_ENOUGH_MEMORY : WSANO_RECOVERY;
    for (size_t i = 0; i < sizeof rsv_eai_table / sizeof rsv_eai_table[0]; i++)
        if (rsv_eai_table[i].sys == eai)
            return rsv_eai_table[i].win;
    return WSANO_RECOVERY;
}

static const struct rsv_bit rsv_herr_table[] = {
    {WSAHOST_NOT_FOUND, HOST_NOT_FOUND},
    {WSATRY_AGAIN, TRY_AGAIN},
    {WSANO_RECOVERY, NO_RECOVERY},
    {WSANO_DATA, NO_DATA},
};

int rsv_herr_to_wsa(int herr)
{
    for (size_t i = 0; i < sizeof rsv_herr_table / sizeof rsv_herr_table[0]; i++)
        if (rsv_herr_table[i].sys == herr)
            return rsv_herr_table[i].win;
    return WSANO_RECOVERY;
}
