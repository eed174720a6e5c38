/* SPDX-License-Identifier: MIT */
/* Helpers for the clause tests: build sockets and connections through the
 * level under test, fill and drain buffers, guarded memory. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "conf_check.h"

DWORD conf_socket_flags;

SOCKET conf_socket(const struct conf_ctx *c)
{
    int err = 0;
    SOCKET s = c->lv->socket(&err);
    conf_assert_eq(err, 0);
    conf_assert_true(s != INVALID_SOCKET);
    return s;
}

SOCKET conf_listener(const struct conf_ctx *c, int backlog, struct sockaddr_storage *ss, int *len)
{
    int err = 0;
    SOCKET s = conf_socket(c);
    c->fx->loopback(ss, len);
    conf_assert_eq(c->lv->bind(s, (struct sockaddr *)ss, *len, &err), 0);
    conf_assert_eq(c->lv->listen(s, backlog, &err), 0);
    *len = sizeof *ss;
    conf_assert_eq(c->lv->getsockname(s, (struct sockaddr *)ss, len, &err), 0);
    return s;
}

void conf_pair(const struct conf_ctx *c, SOCKET *cl, SOCKET *sv)
{
    int err = 0, len;
    struct sockaddr_storage ss;
    if (c->fx->make_pair != NULL) {
        c->fx->make_pair(c, cl, sv);
        return;
    }
    if (c->fx->connectionless) {
        struct sockaddr_storage a, b;
        int alen, blen;
        *cl = conf_socket(c);
        *sv = conf_socket(c);
        c->fx->loopback(&a, &alen);
        c->fx->loopback(&b, &blen);
        conf_assert_eq(c->lv->bind(*cl, (struct sockaddr *)&a, alen, &err), 0);
        conf_assert_eq(c->lv->bind(*sv, (struct sockaddr *)&b, blen, &err), 0);
        alen = blen = sizeof a;
        conf_assert_eq(c->lv->getsockname(*cl, (struct sockaddr *)&a, &alen, &err), 0);
        conf_assert_eq(c->lv->getsockname(*sv, (struct sockaddr *)&b, &blen, &err), 0);
        conf_assert_eq(c->lv->connect(*cl, (struct sockaddr *)&b, blen, &err), 0);
        conf_assert_eq(c->lv->connect(*sv, (struct sockaddr *)&a, alen, &err), 0);
        return;
    }
    SOCKET l = conf_listener(c, 4, &ss, &len);
    *cl = conf_socket(c);
    conf_assert_eq(c->lv->connect(*cl, (struct sockaddr *)&ss, len, &err), 0);
    *sv = c->lv->accept(l, NULL, 0, &err);
    conf_assert_eq(err, 0);
    conf_assert_true(*sv != INVALID_SOCKET);
    conf_close(c, l);
}

struct conf_connector {
    const struct conf_ctx *c;
    SOCKET s;
    const struct sockaddr_storage *ss;
    int len, rc, err;
};

static void *conf_connect_thread(void *arg)
{
    struct conf_connector *k = arg;
    k->rc = k->c->lv->connect(k->s, (const struct sockaddr *)k->ss, k->len, &k->err);
    return NULL;
}

SOCKET conf_connect_accept(const struct conf_ctx *c, SOCKET l, const struct sockaddr_storage *ss,
                           int len, LPCONDITIONPROC cond, DWORD_PTR data, SOCKET *client)
{
    struct conf_connector k = {.c = c, .s = conf_socket(c), .ss = ss, .len = len};
    pthread_t t;
    int err = 0;
    conf_assert_eq(pthread_create(&t, NULL, conf_connect_thread, &k), 0);
    SOCKET s = c->lv->accept(l, cond, data, &err);
    pthread_join(t, NULL);
    conf_assert_eq(k.rc, 0);
    *client = k.s;
    return s;
}

void conf_pair_threaded(const struct conf_ctx *c, SOCKET *cl, SOCKET *sv)
{
    struct sockaddr_storage ss;
    int len;
    SOCKET l = conf_listener(c, 4, &ss, &len);
    *sv = conf_connect_accept(c, l, &ss, len, NULL, 0, cl);
    conf_assert_true(*sv != INVALID_SOCKET);
    conf_close(c, l);
}

void conf_loopback4(struct sockaddr_storage *ss, int *len)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof *ss);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof *in;
}

void conf_loopback6(struct sockaddr_storage *ss, int *len)
{
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    *len = sizeof *in6;
}

void conf_close(const struct conf_ctx *c, SOCKET s)
{
    int err = 0;
    conf_assert_eq(c->lv->close(s, &err), 0);
}

void conf_send_all(const struct conf_ctx *c, SOCKET s, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        int err = 0;
        int n = c->lv->send(s, p, len, &err);
        conf_assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

size_t conf_fill(const struct conf_ctx *c, SOCKET s)
{
    int err = 0;
    int small = 16 * 1024;
    /* Small buffers keep the fill short; the kernel may round them up. */
    c->lv->setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof small, &err);
    conf_assert_eq(c->lv->fionbio(s, 1, &err), 0);
    unsigned char chunk[4096];
    size_t total = 0;
    for (;;) {
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = (unsigned char)((total + i) % 251);
        err = 0;
        int n = c->lv->send(s, chunk, sizeof chunk, &err);
        if (n < 0) {
            conf_assert_eq(err, WSAEWOULDBLOCK);
            break;
        }
        total += (size_t)n;
    }
    conf_assert_true(total > 0);
    return total;
}

size_t conf_drain_pattern(const struct conf_ctx *c, SOCKET s)
{
    unsigned char buf[8192];
    size_t total = 0;
    conf_note("reading on %#lx until the peer's disconnect", (unsigned long)s);
    for (;;) {
        int err = 0;
        int n = c->lv->recv(s, buf, sizeof buf, &err);
        if (conf_is_end(c, n, err))
            return total;
        conf_assert_true(n > 0);
        for (int i = 0; i < n; i++)
            conf_assert_eq(buf[i], (unsigned char)((total + (size_t)i) % 251));
        total += (size_t)n;
    }
}

bool conf_is_end(const struct conf_ctx *c, int n, int err)
{
    return c->fx->stream ? n == 0 : (n < 0 && err == WSAEDISCON);
}

void conf_disconnect_ok(const struct conf_ctx *c, SOCKET s)
{
    int err = 0;
    conf_assert_eq(c->lv->send_disconnect(s, NULL, &err), 0);
}

void *conf_guarded(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t span = (size + page - 1) / page * page;
    char *base =
        mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    conf_assert_true(base != MAP_FAILED);
    conf_assert_eq(mprotect(base + span, page, PROT_NONE), 0);
    return base + span - size; /* the last usable byte touches the guard page */
}

void conf_guarded_free(void *p, size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t span = (size + page - 1) / page * page;
    munmap((char *)p + size - span, span + page);
}
