/* SPDX-License-Identifier: MIT */
/* wsp-bench: pools of connected pairs over loopback, raw and through wsp.
 *
 * wsp pairs are accepted on a helper thread: an itot connect completes only
 * when the accepting side answers the CR, so connect and accept cannot run one
 * after the other on the same thread. */
#include "bench.h"

#include <wsp/itot.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void raw_set_opts(int fd, int sockbuf)
{
    int one = 1;
    if (sockbuf > 0) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sockbuf, sizeof sockbuf);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sockbuf, sizeof sockbuf);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int raw_pairs_open(struct raw_pair *p, int n, int sockbuf, char *err, size_t errlen)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t salen = sizeof sa;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int i = 0;

    if (lfd < 0)
        goto fail;
    raw_set_opts(lfd, sockbuf);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, n + 8) != 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &salen) != 0)
        goto fail;
    for (i = 0; i < n; i++) {
        p[i].a = socket(AF_INET, SOCK_STREAM, 0);
        if (p[i].a < 0)
            goto fail;
        raw_set_opts(p[i].a, sockbuf);
        if (connect(p[i].a, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(p[i].a);
            goto fail;
        }
        p[i].b = accept(lfd, NULL, NULL);
        if (p[i].b < 0) {
            close(p[i].a);
            goto fail;
        }
        raw_set_opts(p[i].b, 0);
    }
    close(lfd);
    return 0;
fail:
    snprintf(err, errlen, "raw pair %d: %s", i, strerror(errno));
    raw_pairs_close(p, i);
    if (lfd >= 0)
        close(lfd);
    return -1;
}

void raw_pairs_close(struct raw_pair *p, int n)
{
    for (int i = 0; i < n; i++) {
        close(p[i].a);
        close(p[i].b);
    }
}

/* Options every wsp socket of a pair gets; 0 or -1 with the last error set. */
static int wsp_set_opts(SOCKET s, const struct pair_opts *o)
{
    if (o->protocol == WSP_PROTO_ITOT) {
        int cls = o->itot_class;
        if (wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&cls, sizeof cls) != 0)
            return -1;
    } else {
        int one = 1;
        if (wsp_setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one) != 0)
            return -1;
    }
    if (o->sockbuf > 0) {
        /* A provider may refuse buffer sizes; the cases size their batches so
         * that the defaults suffice, so this is best effort. */
        wsp_setsockopt(s, SOL_SOCKET, SO_SNDBUF, (const char *)&o->sockbuf, sizeof o->sockbuf);
        wsp_setsockopt(s, SOL_SOCKET, SO_RCVBUF, (const char *)&o->sockbuf, sizeof o->sockbuf);
    }
    return 0;
}

struct acceptor {
    SOCKET lsock;
    struct wsp_pair *p;
    int n;
    int got;
    char err[96];
};

static void *acceptor_main(void *arg)
{
    struct acceptor *ac = arg;
    for (ac->got = 0; ac->got < ac->n; ac->got++) {
        SOCKET s = wsp_accept(ac->lsock, NULL, NULL);
        if (s == INVALID_SOCKET) {
            snprintf(ac->err, sizeof ac->err, "accept: %s", bench_wsa_err());
            break;
        }
        ac->p[ac->got].b = s;
    }
    return NULL;
}

int wsp_pairs_open(struct wsp_pair *p, int n, const struct pair_opts *o, char *err, size_t errlen)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int salen = sizeof sa;
    struct acceptor ac = {.p = p, .n = n};
    pthread_t th;
    int i = 0;
    const char *what = "socket";

    ac.lsock = wsp_socket(AF_INET, o->type, o->protocol);
    if (ac.lsock == INVALID_SOCKET)
        goto fail_early;
    what = "listener options";
    if (wsp_set_opts(ac.lsock, o) != 0)
        goto fail_early;
    what = "bind/listen";
    if (wsp_bind(ac.lsock, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        wsp_listen(ac.lsock, n + 8) != 0 ||
        wsp_getsockname(ac.lsock, (struct sockaddr *)&sa, &salen) != 0)
        goto fail_early;
    if (pthread_create(&th, NULL, acceptor_main, &ac) != 0) {
        what = "pthread_create";
        goto fail_early;
    }
    for (i = 0; i < n; i++) {
        p[i].a = wsp_socket(AF_INET, o->type, o->protocol);
        what = "socket";
        if (p[i].a == INVALID_SOCKET)
            break;
        what = "options";
        if (wsp_set_opts(p[i].a, o) != 0) {
            closesocket(p[i].a);
            break;
        }
        what = "connect";
        if (wsp_connect(p[i].a, (struct sockaddr *)&sa, sizeof sa) != 0) {
            closesocket(p[i].a);
            break;
        }
    }
    if (i < n) {
        snprintf(err, errlen, "wsp pair %d: %s: %s", i, what, bench_wsa_err());
        /* Closing the listener wakes the acceptor if it waits for a connect
         * that will never come. */
        closesocket(ac.lsock);
        pthread_join(th, NULL);
        for (int k = 0; k < ac.got; k++)
            closesocket(p[k].b);
        for (int k = 0; k < i; k++)
            closesocket(p[k].a);
        return -1;
    }
    pthread_join(th, NULL);
    closesocket(ac.lsock);
    if (ac.got < n) {
        snprintf(err, errlen, "wsp pair %d: %s", ac.got, ac.err);
        for (int k = 0; k < ac.got; k++)
            closesocket(p[k].b);
        for (int k = 0; k < n; k++)
            closesocket(p[k].a);
        return -1;
    }
    return 0;
fail_early:
    snprintf(err, errlen, "wsp listener: %s: %s", what, bench_wsa_err());
    if (ac.lsock != INVALID_SOCKET)
        closesocket(ac.lsock);
    return -1;
}

void wsp_pairs_close(struct wsp_pair *p, int n)
{
    for (int i = 0; i < n; i++) {
        closesocket(p[i].a);
        closesocket(p[i].b);
    }
}

int raw_recv_all(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = recv(fd, buf + got, len - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

int wsp_recv_all(SOCKET s, char *buf, int len)
{
    int got = 0;
    while (got < len) {
        int r = wsp_recv(s, buf + got, len - got, 0);
        if (r <= 0)
            return -1;
        got += r;
    }
    return 0;
}
