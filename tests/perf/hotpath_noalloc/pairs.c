/* SPDX-License-Identifier: MIT */
/* Connected wsp pairs: the accepts run on a helper thread, because an itot
 * connect completes only once the accepting side answers the CR. */
#include "pairs.h"

#include <wsp/itot.h>

#include <arpa/inet.h>
#include <pthread.h>

struct np_acceptor {
    SOCKET ls;
    struct np_pair *p;
    int n, got, err;
};

static void *np_accept_main(void *arg)
{
    struct np_acceptor *ac = arg;
    for (ac->got = 0; ac->got < ac->n; ac->got++) {
        SOCKET s = wsp_accept(ac->ls, NULL, NULL);
        if (s == INVALID_SOCKET) {
            ac->err = WSAGetLastError();
            break;
        }
        ac->p[ac->got].b = s;
    }
    return NULL;
}

static int np_socket(int type, int protocol, int itot_class, SOCKET *out)
{
    SOCKET s = wsp_socket(AF_INET, type, protocol);
    if (s == INVALID_SOCKET)
        return WSAGetLastError();
    if (itot_class >= 0 && wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS,
                                          (const char *)&itot_class, sizeof itot_class) != 0) {
        int e = WSAGetLastError();
        closesocket(s);
        return e;
    }
    *out = s;
    return 0;
}

int np_pairs_open(struct np_pair *p, int n, int type, int protocol, int itot_class)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int salen = sizeof sa;
    struct np_acceptor ac = {.p = p, .n = n};
    pthread_t th;
    int err, i;

    err = np_socket(type, protocol, itot_class, &ac.ls);
    if (err != 0)
        return err;
    if (wsp_bind(ac.ls, (struct sockaddr *)&sa, sizeof sa) != 0 || wsp_listen(ac.ls, n + 4) != 0 ||
        wsp_getsockname(ac.ls, (struct sockaddr *)&sa, &salen) != 0) {
        err = WSAGetLastError();
        closesocket(ac.ls);
        return err;
    }
    if (pthread_create(&th, NULL, np_accept_main, &ac) != 0) {
        closesocket(ac.ls);
        return WSAENOBUFS;
    }
    for (i = 0; i < n; i++) {
        err = np_socket(type, protocol, itot_class, &p[i].a);
        if (err != 0)
            break;
        if (wsp_connect(p[i].a, (struct sockaddr *)&sa, sizeof sa) != 0) {
            err = WSAGetLastError();
            closesocket(p[i].a);
            break;
        }
    }
    if (err != 0)
        closesocket(ac.ls); /* wakes the acceptor */
    pthread_join(th, NULL);
    if (err == 0) {
        closesocket(ac.ls);
        err = ac.got == n ? 0 : ac.err;
    }
    if (err != 0) {
        for (int k = 0; k < ac.got; k++)
            closesocket(p[k].b);
        for (int k = 0; k < i; k++)
            closesocket(p[k].a);
    }
    return err;
}

void np_pairs_close(struct np_pair *p, int n)
{
    for (int i = 0; i < n; i++) {
        closesocket(p[i].a);
        closesocket(p[i].b);
    }
}
