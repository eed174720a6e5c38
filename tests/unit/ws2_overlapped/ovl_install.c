/* SPDX-License-Identifier: MIT */
/* Installing the test provider module (ovl_install.h). */
#include "ovl_install.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ovl_test.h"

void ovl_module_path(WCHAR *path, size_t cap)
{
    const char *m = WS2OVL_MODULE;
    size_t i = 0;
    while (i + 1 < cap && (path[i] = (WCHAR)(unsigned char)m[i]) != 0)
        i++;
    path[i] = 0;
}

void ovl_entry(WSAPROTOCOL_INFOW *pi, int family)
{
    memset(pi, 0, sizeof *pi);
    pi->dwServiceFlags1 = XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER;
    pi->dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
    pi->ProtocolChain.ChainLen = BASE_PROTOCOL;
    pi->iVersion = 2;
    pi->iAddressFamily = family;
    pi->iSocketType = SOCK_STREAM;
}

int ovl_install(GUID *id, int family)
{
    WSAPROTOCOL_INFOW pi;
    ovl_entry(&pi, family);
    WCHAR path[1024];
    ovl_module_path(path, sizeof path / sizeof path[0]);
    int err = 0;
    if (WSCInstallProvider(id, path, &pi, 1, &err) == 0)
        return 0;
    return err != 0 ? err : -1;
}

int ovl_setup(GUID *id)
{
    assert_int_equal(ovl_install(id, AF_OVLTEST), 0);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    return 0;
}

int ovl_teardown(void **state)
{
    (void)state;
    assert_int_equal(WSACleanup(), 0);
    return 0;
}
