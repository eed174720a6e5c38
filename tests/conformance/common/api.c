/* SPDX-License-Identifier: MIT */
/* The API level: the same operations through libwsp, the way an application
 * makes them.  Errors come from the thread's last error (D11). */
#include <string.h>

#include <wsp/winsock2.h>

#include "conf.h"

static const struct conf_fixture *api_fx;

static int api_err(int rc, int *err)
{
    if (rc == SOCKET_ERROR && err != NULL)
        *err = WSAGetLastError();
    return rc;
}

static int api_start(const struct conf_fixture *fx)
{
    WSADATA d;
    api_fx = fx;
    conf_socket_flags = 0;
    return WSAStartup(MAKEWORD(2, 2), &d);
}

static int api_stop(int *err)
{
    return api_err(WSACleanup(), err);
}

static SOCKET api_socket(int *err)
{
    SOCKET s = WSASocketA(api_fx->af, api_fx->type, api_fx->protocol, NULL, 0, conf_socket_flags);
    if (s == INVALID_SOCKET && err != NULL)
        *err = WSAGetLastError();
    return s;
}

static int api_bind(SOCKET s, const struct sockaddr *a, int len, int *err)
{
    return api_err(wsp_bind(s, a, len), err);
}

static int api_listen(SOCKET s, int backlog, int *err)
{
    return api_err(wsp_listen(s, backlog), err);
}

static int api_connect(SOCKET s, const struct sockaddr *a, int len, int *err)
{
    return api_err(WSAConnect(s, a, len, NULL, NULL, NULL, NULL), err);
}

static SOCKET api_accept(SOCKET s, LPCONDITIONPROC cond, DWORD_PTR data, int *err)
{
    SOCKET r = WSAAccept(s, NULL, NULL, cond, data);
    if (r == INVALID_SOCKET && err != NULL)
        *err = WSAGetLastError();
    return r;
}

static int api_send(SOCKET s, const void *buf, size_t len, int *err)
{
    return api_err(wsp_send(s, buf, (int)len, 0), err);
}

/* WSARecv, not recv: a message provider reports its disconnect as WSAEDISCON
 * there (D10), while recv maps it to 0; for a stream both read 0 at the end. */
static int api_recv(SOCKET s, void *buf, size_t len, int *err)
{
    WSABUF b = {.len = (ULONG)len, .buf = buf};
    DWORD n = 0, flags = 0;
    if (api_err(WSARecv(s, &b, 1, &n, &flags, NULL, NULL), err) != 0)
        return SOCKET_ERROR;
    return (int)n;
}

static int api_send_disconnect(SOCKET s, LPWSABUF data, int *err)
{
    return api_err(WSASendDisconnect(s, data), err);
}

static int api_recv_disconnect(SOCKET s, LPWSABUF data, int *err)
{
    return api_err(WSARecvDisconnect(s, data), err);
}

static int api_shutdown(SOCKET s, int how, int *err)
{
    return api_err(wsp_shutdown(s, how), err);
}

static int api_close(SOCKET s, int *err)
{
    return api_err(closesocket(s), err);
}

static int api_getsockname(SOCKET s, struct sockaddr *a, int *len, int *err)
{
    return api_err(wsp_getsockname(s, a, len), err);
}

static int api_getpeername(SOCKET s, struct sockaddr *a, int *len, int *err)
{
    return api_err(wsp_getpeername(s, a, len), err);
}

static int api_setsockopt(SOCKET s, int level, int name, const void *v, int len, int *err)
{
    return api_err(wsp_setsockopt(s, level, name, v, len), err);
}

static int api_fionbio(SOCKET s, unsigned long on, int *err)
{
    u_long v = (u_long)on;
    return api_err(ioctlsocket(s, WSP_FIONBIO, &v), err);
}

static int api_wait_writable(SOCKET s, int *err)
{
    wsp_fd_set ws = {1, {s}}, es = {1, {s}};
    if (api_err(wsp_select(0, NULL, &ws, &es, NULL), err) <= 0)
        return -1;
    return ws.fd_count == 1 ? 1 : 0;
}

static int api_last_error(void)
{
    return WSAGetLastError();
}

static void api_set_last_error(int code)
{
    WSASetLastError(code);
}

/* ---- overlapped calls ------------------------------------------------------ */
static int api_ovl_send(SOCKET s, LPWSABUF b, DWORD nb, LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, DWORD *n, int *err)
{
    return api_err(WSASend(s, b, nb, n, 0, ov, routine), err);
}

static int api_ovl_recv(SOCKET s, LPWSABUF b, DWORD nb, LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, DWORD *n, DWORD *flags,
                        int *err)
{
    return api_err(WSARecv(s, b, nb, n, flags, ov, routine), err);
}

static BOOL api_ovl_result(SOCKET s, LPWSAOVERLAPPED ov, DWORD *n, BOOL wait, DWORD *flags,
                           int *err)
{
    BOOL ok = WSAGetOverlappedResult(s, ov, n, wait, flags);
    if (!ok && err != NULL)
        *err = WSAGetLastError();
    return ok;
}

static WSAEVENT api_ovl_event_new(void)
{
    return WSACreateEvent();
}

static bool api_ovl_event_wait(WSAEVENT e, DWORD ms)
{
    return WSAWaitForMultipleEvents(1, &e, TRUE, ms, FALSE) == WSA_WAIT_EVENT_0;
}

static void api_ovl_event_free(WSAEVENT e)
{
    WSACloseEvent(e);
}

static DWORD api_ovl_alertable(DWORD ms)
{
    return SleepEx(ms, TRUE);
}

static const struct conf_ovl api_ovl = {
    .send = api_ovl_send,
    .recv = api_ovl_recv,
    .result = api_ovl_result,
    .event_new = api_ovl_event_new,
    .event_wait = api_ovl_event_wait,
    .event_free = api_ovl_event_free,
    .alertable = api_ovl_alertable,
};

const struct conf_level conf_level_api = {
    .name = "api",
    .start = api_start,
    .stop = api_stop,
    .socket = api_socket,
    .bind = api_bind,
    .listen = api_listen,
    .connect = api_connect,
    .accept = api_accept,
    .send = api_send,
    .recv = api_recv,
    .send_disconnect = api_send_disconnect,
    .recv_disconnect = api_recv_disconnect,
    .shutdown = api_shutdown,
    .close = api_close,
    .getsockname = api_getsockname,
    .getpeername = api_getpeername,
    .setsockopt = api_setsockopt,
    .fionbio = api_fionbio,
    .wait_writable = api_wait_writable,
    .last_error = api_last_error,
    .set_last_error = api_set_last_error,
    .ovl = &api_ovl,
    .can_cleanup_provider = false,
    .null_errno = false,
};
