/* SPDX-License-Identifier: MIT */
/* The test provider module of this folder (ovl_provider.c, whose path the
 * program gets as WS2OVL_MODULE) installed in the catalog, for the programs
 * that drive it: ws2_overlapped_*, ws2_iocp, ws2_faults. */
#ifndef WS2_OVL_INSTALL_H
#define WS2_OVL_INSTALL_H

#include <stddef.h>

#include <wsp/ws2spi.h>

/* The module's path, and its one stream entry for family. */
void ovl_module_path(WCHAR *path, size_t cap);
void ovl_entry(WSAPROTOCOL_INFOW *pi, int family);

/* Installs the module under id, one stream entry of family: 0, or the code
 * WSCInstallProvider gave. */
int ovl_install(GUID *id, int family);

/* A group setup: the module installed for AF_OVLTEST, then WSAStartup
 * (both asserted); ovl_teardown is its WSACleanup. */
int ovl_setup(GUID *id);
int ovl_teardown(void **state);

#endif
