/* SPDX-License-Identifier: MIT */
/* ioctlsocket / WSAIoctl. Providers see Windows' control codes only; the
 * platform's own FIONBIO/FIONREAD/SIOCATMARK numbers are translated here, so a
 * program that happens to include <sys/ioctl.h> first still works. */
#include <sys/ioctl.h>

#include "api.h"

static const struct {
    unsigned long platform;
    DWORD winsock;
} api_ioctl_map[] = {
    {FIONBIO, (DWORD)WSP_FIONBIO},
    {FIONREAD, (DWORD)WSP_FIONREAD},
    {SIOCATMARK, (DWORD)WSP_SIOCATMARK},
};

static DWORD api_ioctl_code(DWORD code)
{
    for (size_t i = 0; i < sizeof api_ioctl_map / sizeof api_ioctl_map[0]; i++)
        if (code == (DWORD)api_ioctl_map[i].platform)
            return api_ioctl_map[i].winsock;
    return code;
}

WSP_EXPORT int WSAAPI WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer,
                               DWORD cbInBuffer, LPVOID lpvOutBuffer, DWORD cbOutBuffer,
                               LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED lpOverlapped,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    API_ENTER(s, SOCKET_ERROR);
    WSATHREADID tid = {0};
    err = api_thread_id(lpOverlapped, lpCompletionRoutine, &tid);
    if (err != 0)
        return api_done(&a, SOCKET_ERROR, &err);
    int rc = api_procs(&a)->lpWSPIoctl(s, api_ioctl_code(dwIoControlCode), lpvInBuffer, cbInBuffer,
                                       lpvOutBuffer, cbOutBuffer, lpcbBytesReturned, lpOverlapped,
                                       lpCompletionRoutine, &tid, &err);
    return api_done(&a, rc, &err);
}

WSP_EXPORT int WSAAPI ioctlsocket(SOCKET s, long cmd, u_long *argp)
{
    DWORD code = api_ioctl_code((DWORD)cmd);
    DWORD returned = 0;
    /* FIONBIO is input only, the others output only; the provider reads or
     * writes argp through its own user-memory checks */
    int in = code == (DWORD)WSP_FIONBIO;
    return WSAIoctl(s, code, in ? argp : NULL, in ? sizeof *argp : 0, in ? NULL : argp,
                    in ? 0 : sizeof *argp, &returned, NULL, NULL);
}
