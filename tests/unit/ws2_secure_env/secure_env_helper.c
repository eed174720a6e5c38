/* SPDX-License-Identifier: MIT */
/* Run by the ws2_secure_env test, once plain and once setgid: installs a
 * provider by the bare name "ws2test_decoy.so" (searched, WSP_PROVIDER_PATH
 * first), asks for a socket of it and prints one line:
 *   secure=<AT_SECURE> decoy=<1 if the decoy's WSPStartup ran> err=<error>
 * Exit 0 when the line could be printed. The catalog persists: a privileged
 * run ignores WSP_CATALOG and uses the system catalog, so the helper takes a
 * GUID of its own (its pid) and deinstalls it before it ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <wsp/ws2spi.h>

#define AF_DECOY 206

int main(void)
{
    static const char name[] = "ws2test_decoy.so";
    WCHAR wname[sizeof name];
    for (size_t i = 0; i < sizeof name; i++)
        wname[i] = (WCHAR)name[i];
    GUID g = {(unsigned)getpid(), 6, 6, {6, 6, 6}};
    WSAPROTOCOL_INFOW pi;
    memset(&pi, 0, sizeof pi);
    pi.dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
    pi.ProtocolChain.ChainLen = BASE_PROTOCOL;
    pi.iVersion = 2;
    pi.iAddressFamily = AF_DECOY;
    pi.iSocketType = SOCK_STREAM;
    int err = 0;
    WSADATA d;
    if (WSCInstallProvider(&g, wname, &pi, 1, &err) != 0 || WSAStartup(MAKEWORD(2, 2), &d) != 0) {
        fprintf(stderr, "set-up failed: %d\n", err);
        return 1;
    }
    SOCKET s = WSASocketW(AF_DECOY, SOCK_STREAM, 0, NULL, 0, 0);
    err = s == INVALID_SOCKET ? WSAGetLastError() : 0;
    printf("secure=%lu decoy=%d err=%d\n", getauxval(AT_SECURE),
           getenv("WS2TEST_DECOY_STARTED") != NULL, err);
    WSACleanup();
    (void)WSCDeinstallProvider(&g, &err);
    return 0;
}
