/* SPDX-License-Identifier: MIT */
/* Connection set-up and teardown, names and options: one provider call each. */
#include "api.h"

WSP_EXPORT int WSAAPI wsp_bind(SOCKET s, const struct sockaddr *name, int namelen)
{
    API_ENTER(s, SOCKET_ERROR);
    return api_done(&a, api_procs(&a)->lpWSPBind(s, name, namelen, &err), &err);
}

WSP_EXPORT int WSAAPI wsp_listen(SOCKET s, int backlog)
{
    API_ENTER(s, SOCKET_ERROR);
    return api_done(&a, api_procs(&a)->lpWSPListen(s, backlog, &err), &err);
}

WSP_EXPORT int WSAAPI WSAConnect(SOCKET s, const struct sockaddr *name, int namelen,
                                 LPWSABUF lpCallerData, LPWSABUF lpCalleeData, LPQOS lpSQOS,
                                 LPQOS lpGQOS)
{
    API_ENTER(s, SOCKET_ERROR);
    int rc = api_procs(&a)->lpWSPConnect(s, name, namelen, lpCallerData, lpCalleeData, lpSQOS,
                                         lpGQOS, &err);
    return api_done(&a, rc, &err);
}

WSP_EXPORT int WSAAPI wsp_connect(SOCKET s, const struct sockaddr *name, int namelen)
{
    return WSAConnect(s, name, namelen, NULL, NULL, NULL, NULL);
}

WSP_EXPORT int WSAAPI wsp_shutdown(SOCKET s, int how)
{
    API_ENTER(s, SOCKET_ERROR);
    return api_done(&a, api_procs(&a)->lpWSPShutdown(s, how, &err), &err);
}

WSP_EXPORT int WSAAPI WSASendDisconnect(SOCKET s, LPWSABUF lpOutboundDisconnectData)
{
    API_ENTER(s, SOCKET_ERROR);
    return api_done(&a, api_procs(&a)->lpWSPSendDisconnect(s, lpOutboundDisconnectData, &err),
                    &err);
}

WSP_EXPORT int WSAAPI WSARecvDisconnect(SOCKET s, LPWSABUF lpInboundDisconnectData)
{
    API_ENTER(s, SOCKET_ERROR);
    return api_done(&a, api_procs(&a)->lpWSPRecvDisconnect(s, lpInboundDisconnectData, &err), &err);
}

WSP_EXPORT int WSAAPI wsp_getsockname(SOCKET s, struct sockaddr *name, int *namelen)
{
    API_ENTER(s, SOCKET_ERROR);
    return api_done(&a, api_procs(&a)->lpWSPGetSockName(s, name, namelen, &err), &err);
}

WSP_EXPORT int WSAAPI wsp_getpeername(SOCKET s, struct sockaddr *name, int *namelen)
{
    API_ENTER(s, SOCKET_ERROR);
    return api_done(&a, api_procs(&a)->lpWSPGetPeerName(s, name, namelen, &err), &err);
}

WSP_EXPORT int WSAAPI wsp_getsockopt(SOCKET s, int level, int optname, char *optval, int *optlen)
{
    API_ENTER(s, SOCKET_ERROR);
    return api_done(&a, api_procs(&a)->lpWSPGetSockOpt(s, level, optname, optval, optlen, &err),
                    &err);
}

WSP_EXPORT int WSAAPI wsp_setsockopt(SOCKET s, int level, int optname, const char *optval,
                                     int optlen)
{
    API_ENTER(s, SOCKET_ERROR);
    return api_done(&a, api_procs(&a)->lpWSPSetSockOpt(s, level, optname, optval, optlen, &err),
                    &err);
}
