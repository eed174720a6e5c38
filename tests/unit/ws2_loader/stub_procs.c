/* SPDX-License-Identifier: MIT */
/* The refusals of stub_procs.h, one per entry of WSPPROC_TABLE. */
#include "stub_procs.h"

int stub_fail(LPINT e, int code)
{
    *e = code;
    return SOCKET_ERROR;
}

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
    (void)a, (void)l, (void)p, (void)s, (void)sl;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_asyncselect(SOCKET s, HWND h, unsigned m, LONG ev, LPINT e)
{
    (void)s, (void)h, (void)m, (void)ev;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_bind(SOCKET s, const struct sockaddr *n, int l, LPINT e)
{
    (void)s, (void)n, (void)l;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_cancel(LPINT e)
{
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_cleanup(LPINT e)
{
    (void)e;
    return 0;
}
static int WSPAPI u_closesocket(SOCKET s, LPINT e)
{
    (void)s;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_connect(SOCKET s, const struct sockaddr *n, int l, LPWSABUF a, LPWSABUF b,
                            LPQOS q, LPQOS g, LPINT e)
{
    (void)s, (void)n, (void)l, (void)a, (void)b, (void)q, (void)g;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_dup(SOCKET s, DWORD p, LPWSAPROTOCOL_INFOW i, LPINT e)
{
    (void)s, (void)p, (void)i;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_enumev(SOCKET s, WSAEVENT ev, LPWSANETWORKEVENTS n, LPINT e)
{
    (void)s, (void)ev, (void)n;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_eventselect(SOCKET s, WSAEVENT ev, LONG n, LPINT e)
{
    (void)s, (void)ev, (void)n;
    return stub_fail(e, WSAEOPNOTSUPP);
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
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_getsockopt(SOCKET s, int lv, int n, char *v, LPINT l, LPINT e)
{
    (void)s, (void)lv, (void)n, (void)v, (void)l;
    return stub_fail(e, WSAENOPROTOOPT);
}
static BOOL WSPAPI u_qos(SOCKET s, LPWSABUF n, LPQOS q, LPINT e)
{
    (void)s, (void)n, (void)q;
    *e = WSAEOPNOTSUPP;
    return FALSE;
}
static int WSPAPI u_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD inl, LPVOID out, DWORD outl,
                          LPDWORD ret, LPWSAOVERLAPPED o, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                          LPWSATHREADID t, LPINT e)
{
    (void)s, (void)code, (void)in, (void)inl, (void)out, (void)outl, (void)ret, (void)o, (void)cr,
        (void)t;
    return stub_fail(e, WSAEOPNOTSUPP);
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
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_recv(SOCKET s, LPWSABUF b, DWORD n, LPDWORD g, LPDWORD f, LPWSAOVERLAPPED o,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{
    (void)s, (void)b, (void)n, (void)g, (void)f, (void)o, (void)cr, (void)t;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_recvdisc(SOCKET s, LPWSABUF d, LPINT e)
{
    (void)s, (void)d;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_recvfrom(SOCKET s, LPWSABUF b, DWORD n, LPDWORD g, LPDWORD f,
                             struct sockaddr *fr, LPINT fl, LPWSAOVERLAPPED o,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{
    (void)s, (void)b, (void)n, (void)g, (void)f, (void)fr, (void)fl, (void)o, (void)cr, (void)t;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_select(int nfds, wsp_fd_set *r, wsp_fd_set *w, wsp_fd_set *x,
                           const struct timeval *t, LPINT e)
{
    (void)nfds, (void)r, (void)w, (void)x, (void)t;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_send(SOCKET s, LPWSABUF b, DWORD n, LPDWORD g, DWORD f, LPWSAOVERLAPPED o,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{
    (void)s, (void)b, (void)n, (void)g, (void)f, (void)o, (void)cr, (void)t;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_senddisc(SOCKET s, LPWSABUF d, LPINT e)
{
    (void)s, (void)d;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_sendto(SOCKET s, LPWSABUF b, DWORD n, LPDWORD g, DWORD f,
                           const struct sockaddr *to, int tl, LPWSAOVERLAPPED o,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{
    (void)s, (void)b, (void)n, (void)g, (void)f, (void)to, (void)tl, (void)o, (void)cr, (void)t;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_setsockopt(SOCKET s, int lv, int n, const char *v, int l, LPINT e)
{
    (void)s, (void)lv, (void)n, (void)v, (void)l;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static int WSPAPI u_shutdown(SOCKET s, int h, LPINT e)
{
    (void)s, (void)h;
    return stub_fail(e, WSAEOPNOTSUPP);
}
static SOCKET WSPAPI u_socket(int af, int type, int protocol, LPWSAPROTOCOL_INFOW pi, GROUP g,
                              DWORD flags, LPINT e)
{
    (void)af, (void)type, (void)protocol, (void)pi, (void)g, (void)flags;
    *e = WSAEOPNOTSUPP;
    return INVALID_SOCKET;
}
static INT WSPAPI u_strtoaddr(LPWSTR s, INT af, LPWSAPROTOCOL_INFOW p, LPSOCKADDR a, LPINT l,
                              LPINT e)
{
    (void)s, (void)af, (void)p, (void)a, (void)l;
    return stub_fail(e, WSAEOPNOTSUPP);
}

void stub_procs(LPWSPPROC_TABLE t)
{
    *t = (WSPPROC_TABLE){
        u_accept,      u_addrtostr, u_asyncselect, u_bind,     u_cancel,      u_cleanup,
        u_closesocket, u_connect,   u_dup,         u_enumev,   u_eventselect, u_ovres,
        u_name,        u_name,      u_getsockopt,  u_qos,      u_ioctl,       u_join,
        u_listen,      u_recv,      u_recvdisc,    u_recvfrom, u_select,      u_send,
        u_senddisc,    u_sendto,    u_setsockopt,  u_shutdown, u_socket,      u_strtoaddr,
    };
}
