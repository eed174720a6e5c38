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

#define EXPORT __attribute__((visibility("default")))

static WSPUPCALLTABLE up;

static void bump(const char *name)
{
    const char *v = getenv(name);
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (v ? atoi(v) : 0) + 1);
    setenv(name, buf, 1);
}

static int fail(LPINT e, int code)
{
    *e = code;
    return SOCKET_ERROR;
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
    return fail(e, WSAEDISCON);
}

static int WSPAPI f_senddisconnect(SOCKET s, LPWSABUF data, LPINT e)
{
    if (lookup(s, e) == NULL)
        return SOCKET_ERROR;
    return data != NULL && data->len > 0 ? fail(e, WSAENOPROTOOPT) : 0;
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
        return fail(e, WSAENOPROTOOPT);
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

/* The rest: not supported by this test provider. */
static SOCKET WSPAPI u_accept(SOCKET s, struct sockaddr *a, LPINT l, LPCONDITIONPROC c, DWORD_PTR d,
                              LPINT e)
{
    (void)s, (void)a, (void)l, (void)c, (void)d;
    *e = WSAEOPNOTSUPP;
    return INVALID_SOCKET;
}
static INT WSPAPI u_addrtostr(LPSOCKADDR a, DWORD l, LPWSAPROTOCOL_INFOW p, LPWSTR s, LPDWORD sl,
                              LPINT e)
{
    (void)a, (void)l, (void)p;
    /* "fake" when the buffer is large enough: WSAAddressToStringA's A/W glue */
    static const WCHAR name[] = {'f', 'a', 'k', 'e', 0};
    if (*sl < 5) {
        *sl = 5;
        return fail(e, WSAEFAULT);
    }
    memcpy(s, name, sizeof name);
    *sl = 5;
    return 0;
}
static int WSPAPI u_asyncselect(SOCKET s, HWND h, unsigned m, LONG ev, LPINT e)
{
    (void)s, (void)h, (void)m, (void)ev;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_bind(SOCKET s, const struct sockaddr *n, int l, LPINT e)
{
    (void)s, (void)n, (void)l;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_cancel(LPINT e)
{
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_connect(SOCKET s, const struct sockaddr *n, int l, LPWSABUF a, LPWSABUF b,
                            LPQOS q, LPQOS g, LPINT e)
{
    (void)s, (void)n, (void)l, (void)a, (void)b, (void)q, (void)g;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_dup(SOCKET s, DWORD p, LPWSAPROTOCOL_INFOW i, LPINT e)
{
    (void)s, (void)p, (void)i;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_enumev(SOCKET s, WSAEVENT ev, LPWSANETWORKEVENTS n, LPINT e)
{
    (void)s, (void)ev, (void)n;
    return fail(e, WSAEOPNOTSUPP);
}
static BOOL WSPAPI u_ovres(SOCKET s, LPWSAOVERLAPPED o, LPDWORD t, BOOL w, LPDWORD f, LPINT e)
{
    (void)s, (void)o, (void)t, (void)w, (void)f;
    *e = WSAEOPNOTSUPP;
    return FALSE;
}
static int WSPAPI u_name(SOCKET s, struct sockaddr *n, LPINT l, LPINT e)
{
    (void)s, (void)n, (void)l;
    return fail(e, WSAEOPNOTSUPP);
}
static BOOL WSPAPI u_qos(SOCKET s, LPWSABUF n, LPQOS q, LPINT e)
{
    (void)s, (void)n, (void)q;
    *e = WSAEOPNOTSUPP;
    return FALSE;
}
/* Echoes the control code into the output buffer (checks the code mapping). */
static int WSPAPI f_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD inl, LPVOID out, DWORD outl,
                          LPDWORD ret, LPWSAOVERLAPPED o, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                          LPWSATHREADID t, LPINT e)
{
    (void)s, (void)in, (void)inl, (void)o, (void)cr, (void)t;
    if (out == NULL || outl < sizeof(u_long))
        return fail(e, WSAEOPNOTSUPP);
    u_long v = code;
    memcpy(out, &v, sizeof v);
    *ret = sizeof v;
    return 0;
}
static SOCKET WSPAPI u_join(SOCKET s, const struct sockaddr *n, int l, LPWSABUF a, LPWSABUF b,
                            LPQOS q, LPQOS g, DWORD f, LPINT e)
{
    (void)s, (void)n, (void)l, (void)a, (void)b, (void)q, (void)g, (void)f;
    *e = WSAEOPNOTSUPP;
    return INVALID_SOCKET;
}
static int WSPAPI u_listen(SOCKET s, int b, LPINT e)
{
    (void)s, (void)b;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_recvdisc(SOCKET s, LPWSABUF d, LPINT e)
{
    (void)s, (void)d;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_recvfrom(SOCKET s, LPWSABUF b, DWORD n, LPDWORD g, LPDWORD f,
                             struct sockaddr *fr, LPINT fl, LPWSAOVERLAPPED o,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{
    (void)s, (void)b, (void)n, (void)g, (void)f, (void)fr, (void)fl, (void)o, (void)cr, (void)t;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_sendto(SOCKET s, LPWSABUF b, DWORD n, LPDWORD g, DWORD f,
                           const struct sockaddr *to, int tl, LPWSAOVERLAPPED o,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{
    (void)s, (void)b, (void)n, (void)g, (void)f, (void)to, (void)tl, (void)o, (void)cr, (void)t;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_setsockopt(SOCKET s, int lv, int n, const char *v, int l, LPINT e)
{
    (void)s, (void)lv, (void)n, (void)v, (void)l;
    return fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_shutdown(SOCKET s, int h, LPINT e)
{
    (void)s, (void)h;
    return fail(e, WSAEOPNOTSUPP);
}
static INT WSPAPI u_strtoaddr(LPWSTR s, INT af, LPWSAPROTOCOL_INFOW p, LPSOCKADDR a, LPINT l,
                              LPINT e)
{
    (void)af, (void)p, (void)a, (void)l;
    /* accepts exactly "fake" (checks the A->W conversion) */
    static const WCHAR name[] = {'f', 'a', 'k', 'e', 0};
    return memcmp(s, name, sizeof name) == 0 ? 0 : fail(e, WSAEINVAL);
}

EXPORT int WSPAPI WSPStartup(WORD version, LPWSPDATA data, LPWSAPROTOCOL_INFOW pi,
                             WSPUPCALLTABLE upcalls, LPWSPPROC_TABLE t)
{
    (void)version, (void)pi;
    bump("WS2TEST_STARTUPS");
    up = upcalls;
    data->wVersion = data->wHighVersion = MAKEWORD(2, 2);
    *t = (WSPPROC_TABLE){
        u_accept,         u_addrtostr, u_asyncselect, u_bind,     u_cancel,      f_cleanup,
        f_closesocket,    u_connect,   u_dup,         u_enumev,   f_eventselect, u_ovres,
        u_name,           u_name,      f_getsockopt,  u_qos,      f_ioctl,       u_join,
        u_listen,         f_recv,      u_recvdisc,    u_recvfrom, f_select,      f_send,
        f_senddisconnect, u_sendto,    u_setsockopt,  u_shutdown, f_socket,      u_strtoaddr,
    };
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
