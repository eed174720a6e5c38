/* SPDX-License-Identifier: MIT */
/* WSAGetOverlappedResult and SleepEx: reading a completion back, and the
 * plain alertable sleep in which completion routines run. */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "api.h"
#include "apc.h"
#include "common/sys.h"

WSP_EXPORT BOOL WSAAPI WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                              LPDWORD lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags)
{
    API_ENTER(s, FALSE);
    BOOL ok = api_procs(&a)->lpWSPGetOverlappedResult(s, lpOverlapped, lpcbTransfer, fWait,
                                                      lpdwFlags, &err);
    int rc = ok ? 0 : SOCKET_ERROR;
    api_done(&a, rc, &err);
    return ok ? TRUE : FALSE;
}

static int64_t api_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms (INFINITE: for ever); alertable: the APCs queued to this thread
 * run, and it returns WAIT_IO_COMPLETION at once after them. A thread that
 * never opened a queue (no completion routine issued) can be sent none, so
 * it just sleeps. No WSAStartup needed: it is a kernel32 call on Windows. */
WSP_EXPORT DWORD WSAAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable)
{
    if (bAlertable && apc_run_self() > 0)
        return WAIT_IO_COMPLETION;
    int fd = bAlertable ? apc_self_fd() : -1;
    int64_t deadline = dwMilliseconds == INFINITE ? -1 : api_now_ms() + dwMilliseconds;
    for (;;) {
        int timeout = -1;
        if (deadline >= 0) {
            int64_t left = deadline - api_now_ms();
            if (left <= 0)
                return 0;
            timeout = left > 0x7FFFFFFF ? 0x7FFFFFFF : (int)left;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        /* a negative fd is ignored by poll: a plain sleep */
        int r = sys_poll(&p, 1, timeout);
        if (r > 0 && (p.revents & POLLIN) && apc_run_self() > 0)
            return WAIT_IO_COMPLETION;
    }
}
