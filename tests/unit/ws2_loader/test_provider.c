/* SPDX-License-Identifier: MIT */
/* A small provider module for the ws2 tests, built three ways:
 *   ws2test_fake.so       a working provider (handles, a few calls, counters)
 *   ws2test_nullproc.so   -DWS2TEST_NULL_ENTRY: lpWSPSendDisconnect left NULL
 *   ws2test_failstart.so  -DWS2TEST_FAIL_STARTUP: WSPStartup fails
 *   ws2test_reenter.so    -DWS2TEST_REENTER: WSPStartup (or WSPCleanup) calls
 *                         back into libwsp, as $WS2TEST_REENTER says
 * It reports what happened to it through environment variables, the one
 * channel that survives its own dlclose: WS2TEST_STARTUPS, WS2TEST_CLEANUPS,
 * WS2TEST_CLOSES (decimal counters), WS2TEST_NESTED (the nested call's
 * result and error, "rc err"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsp/ws2spi.h>

#include "stub_procs.h"

#define EXPORT __attribute__((visibility("default")))

static WSPUPCALLTABLE up;

static void bump(const char *name)
{
    const char *v = getenv(name);
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (v ? atoi(v) : 0) + 1);
    setenv(name, buf, 1);
}

struct fake_sock {
    int af, type, protocol;
    DWORD sent;
};

static struct fake_sock *lookup(SOCKET s, LPINT e)
{
    DWORD_PTR ctx;
    if (up.lpWPUQuerySocketHandleContext(s, &ctx, e) != 0)
        return NULL;
    return (struct fake_sock *)ctx;
}

static SOCKET WSPAPI f_socket(int af, int type, int protocol, LPWSAPROTOCOL_INFOW pi, GROUP g,
                              DWORD flags, LPINT e)
{
    (void)g, (void)flags;
    struct fake_sock *fs = calloc(1, sizeof *fs);
    if (fs == NULL) {
        *e = WSAENOBUFS;
        return INVALID_SOCKET;
    }
    *fs = (struct fake_sock){af, type, protocol, 0};
    SOCKET s = up.lpWPUCreateSocketHandle(pi->dwCatalogEntryId, (DWORD_PTR)fs, e);
    if (s == INVALID_SOCKET)
        free(fs);
    return s;
}

static int WSPAPI f_closesocket(SOCKET s, LPINT e)
{
    struct fake_sock *fs = lookup(s, e);
    if (fs == NULL)
        return SOCKET_ERROR;
    if (up.lpWPUCloseSocketHandle(s, e) != 0)
        return SOCKET_ERROR;
    free(fs);
    bump("WS2TEST_CLOSES");
    return 0;
}

static int WSPAPI f_send(SOCKET s, LPWSABUF b, DWORD n, LPDWORD sent, DWORD flags,
                         LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                         LPWSATHREADID tid, LPINT e)
{
    (void)flags, (void)ov, (void)cr, (void)tid;
    struct fake_sock *fs = lookup(s, e);
    if (fs == NULL)
        return SOCKET_ERROR;
    DWORD total = 0;
    for (DWORD i = 0; i < n; i++)
        total += b[i].len;
    fs->sent += total;
    *sent = total;
    return 0;
}

/* Every receive is the graceful end of a message-oriented connection. */
static int WSPAPI f_recv(SOCKET s, LPWSABUF b, DWORD n, LPDWORD got, LPDWORD flags,
                         LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                         LPWSATHREADID tid, LPINT e)
{
    (void)b, (void)n, (void)flags, (void)ov, (void)cr, (void)tid;
    if (lookup(s, e) == NULL)
        return SOCKET_ERROR;
    *got = 0;
    return stub_fail(e, WSAEDISCON);
}

static int WSPAPI f_senddisconnect(SOCKET s, LPWSABUF data, LPINT e)
{
    if (lookup(s, e) == NULL)
        return SOCKET_ERROR;
    return data != NULL && data->len > 0 ? stub_fail(e, WSAENOPROTOOPT) : 0;
}

/* Reports the bytes sent so far through SO_MAX_MSG_SIZE, so tests can see
 * that a call reached the socket they meant. */
static int WSPAPI f_getsockopt(SOCKET s, int level, int name, char *val, LPINT len, LPINT e)
{
    (void)level;
    struct fake_sock *fs = lookup(s, e);
    if (fs == NULL)
        return SOCKET_ERROR;
    if (name != SO_MAX_MSG_SIZE || *len < (int)sizeof(DWORD))
        return stub_fail(e, WSAENOPROTOOPT);
    memcpy(val, &fs->sent, sizeof(DWORD));
    *len = sizeof(DWORD);
    return 0;
}

/* Every socket is always readable and writable. */
static int WSPAPI f_select(int nfds, wsp_fd_set *r, wsp_fd_set *w, wsp_fd_set *x,
                           const struct timeval *t, LPINT e)
{
    (void)nfds, (void)t, (void)e;
    if (x)
        x->fd_count = 0;
    return (int)((r ? r->fd_count : 0) + (w ? w->fd_count : 0));
}

/* Signals the event at once through the upcall, as a provider does when a
 * selected network event is already pending. */
static int WSPAPI f_eventselect(SOCKET s, WSAEVENT ev, LONG events, LPINT e)
{
    (void)events;
    if (lookup(s, e) == NULL)
        return SOCKET_ERROR;
    return up.lpWPUSetEvent(ev, e) ? 0 : SOCKET_ERROR;
}

#ifdef WS2TEST_REENTER
static void record_nested(long long rc, int err)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%lld %d", rc, err);
    setenv("WS2TEST_NESTED", buf, 1);
}

/* The call back into the API named by $WS2TEST_REENTER when it equals `when`
 * (e.g. "startup:socket" runs WSASocketW from WSPStartup). Returns the error
 * the nested call got, 0 if it succeeded. */
static int reenter(const char *when, const WSAPROTOCOL_INFOW *pi)
{
    const char *what = getenv("WS2TEST_REENTER");
    size_t n = strlen(when);
    if (what == NULL || strncmp(what, when, n) != 0 || what[n] != ':')
        return 0;
    what += n + 1;
    WSASetLastError(0);
    if (strcmp(what, "socket") == 0) {
        SOCKET s = WSASocketW(pi ? pi->iAddressFamily : AF_INET, pi ? pi->iSocketType : SOCK_STREAM,
                              0, NULL, 0, 0);
        int err = s == INVALID_SOCKET ? WSAGetLastError() : 0;
        record_nested(s == INVALID_SOCKET ? -1 : 0, err);
        return err;
    }
    if (strcmp(what, "wsastartup") == 0) {
        WSADATA d;
        int rc = WSAStartup(MAKEWORD(2, 2), &d);
        record_nested(rc, rc);
        return rc;
    }
    if (strcmp(what, "wsacleanup") == 0) {
        int rc = WSACleanup();
        int err = rc != 0 ? WSAGetLastError() : 0;
        record_nested(rc, err);
        return err;
    }
    return 0;
}
#endif

static int WSPAPI f_cleanup(LPINT e)
{
    (void)e;
    bump("WS2TEST_CLEANUPS");
#ifdef WS2TEST_REENTER
    (void)reenter("cleanup", NULL);
#endif
    return 0;
}

/* The address strings: "fake" alone (the A/W glue of WSAAddressToString and
 * WSAStringToAddress); the other entries refuse (stub_procs.c). */
static INT WSPAPI f_addrtostr(LPSOCKADDR a, DWORD l, LPWSAPROTOCOL_INFOW p, LPWSTR s, LPDWORD sl,
                              LPINT e)
{
    (void)a, (void)l, (void)p;
    /* "fake" when the buffer is large enough: WSAAddressToStringA's A/W glue */
    static const WCHAR name[] = {'f', 'a', 'k', 'e', 0};
    if (*sl < 5) {
        *sl = 5;
        return stub_fail(e, WSAEFAULT);
    }
    memcpy(s, name, sizeof name);
    *sl = 5;
    return 0;
}
/* Echoes the control code into the output buffer (checks the code mapping). */
static int WSPAPI f_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD inl, LPVOID out, DWORD outl,
                          LPDWORD ret, LPWSAOVERLAPPED o, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                          LPWSATHREADID t, LPINT e)
{
    (void)s, (void)in, (void)inl, (void)o, (void)cr, (void)t;
    if (out == NULL || outl < sizeof(u_long))
        return stub_fail(e, WSAEOPNOTSUPP);
    u_long v = code;
    memcpy(out, &v, sizeof v);
    *ret = sizeof v;
    return 0;
}
static INT WSPAPI f_strtoaddr(LPWSTR s, INT af, LPWSAPROTOCOL_INFOW p, LPSOCKADDR a, LPINT l,
                              LPINT e)
{
    (void)af, (void)p, (void)a, (void)l;
    /* accepts exactly "fake" (checks the A->W conversion) */
    static const WCHAR name[] = {'f', 'a', 'k', 'e', 0};
    return memcmp(s, name, sizeof name) == 0 ? 0 : stub_fail(e, WSAEINVAL);
}

EXPORT int WSPAPI WSPStartup(WORD version, LPWSPDATA data, LPWSAPROTOCOL_INFOW pi,
                             WSPUPCALLTABLE upcalls, LPWSPPROC_TABLE t)
{
    (void)version, (void)pi;
    bump("WS2TEST_STARTUPS");
    up = upcalls;
    data->wVersion = data->wHighVersion = MAKEWORD(2, 2);
    stub_procs(t);
    t->lpWSPAddressToString = f_addrtostr;
    t->lpWSPCleanup = f_cleanup;
    t->lpWSPCloseSocket = f_closesocket;
    t->lpWSPEventSelect = f_eventselect;
    t->lpWSPGetSockOpt = f_getsockopt;
    t->lpWSPIoctl = f_ioctl;
    t->lpWSPRecv = f_recv;
    t->lpWSPSelect = f_select;
    t->lpWSPSend = f_send;
    t->lpWSPSendDisconnect = f_senddisconnect;
    t->lpWSPSocket = f_socket;
    t->lpWSPStringToAddress = f_strtoaddr;
#ifdef WS2TEST_NULL_ENTRY
    t->lpWSPSendDisconnect = NULL;
#endif
#ifdef WS2TEST_REENTER
    int nested = reenter("startup", pi);
    /* WS2TEST_REENTER_FAIL: the provider gives up when its nested call failed */
    if (nested != 0 && getenv("WS2TEST_REENTER_FAIL") != NULL)
        return nested;
#endif
#ifdef WS2TEST_FAIL_STARTUP
    return WSAEINVAL; /* a complete table, but a failed start: must not be used */
#else
    return 0;
#endif
}
