/* SPDX-License-Identifier: MIT */
/* select() must sleep while nothing it was asked about is ready, even when
 * poll() keeps reporting a condition that no set asked for: a peer's hang-up
 * (POLLHUP) when the socket is only in the exception set, a failed connect
 * (POLLERR) when it is only in the write set. Winsock reports neither there
 * (select: exceptfds = a failed connect or OOB data; writefds = connected or
 * sendable), so the call returns 0 at its timeout. Before, each poll() came
 * back at once and the call spun for the whole timeout. The test counts the
 * provider's poll() calls through its platform table: a sleeping select
 * makes a handful, a spinning one thousands. */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/winsock2.h>

#include "common/sys.h"

#define WAIT_US 200000 /* the select timeout */
#define MAX_POLLS 4    /* the first poll, one after the condition, EINTR slack */

static atomic_uint polls;
static int (*real_poll)(struct pollfd *, nfds_t, int);

static int counting_poll(struct pollfd *p, nfds_t n, int ms)
{
    atomic_fetch_add(&polls, 1);
    return real_poll(p, n, ms);
}

static const struct sys_hook *tcp_hook(void)
{
    const char *dir = getenv("WSP_PROVIDER_PATH");
    assert_non_null(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/wsp_tcp.so", dir);
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD); /* the instance the loader opened */
    assert_non_null(h);
    const struct sys_hook *hk = dlsym(h, SYS_HOOK_SYMBOL);
    assert_non_null(hk);
    dlclose(h);
    return hk;
}

/* select(0, rd, wr, ex, 200 ms) with poll() counted. */
static int counted_select(wsp_fd_set *rd, wsp_fd_set *wr, wsp_fd_set *ex, unsigned *n_polls)
{
    const struct sys_hook *hk = tcp_hook();
    real_poll = (int (*)(struct pollfd *, nfds_t, int))hk->dflt("poll");
    atomic_store(&polls, 0);
    assert_non_null(hk->override("poll", (sys_fn)counting_poll));
    struct timeval tv = {0, WAIT_US};
    int rc = wsp_select(0, rd, wr, ex, &tv);
    hk->restore_all();
    *n_polls = atomic_load(&polls);
    return rc;
}

static SOCKET listener(struct sockaddr_in *a)
{
    SOCKET l = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    int len = sizeof *a;
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(wsp_bind(l, (struct sockaddr *)a, len), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)a, &len), 0);
    return l;
}

static int setup(void **state)
{
    (void)state;
    WSADATA wd;
    return WSAStartup(MAKEWORD(2, 2), &wd);
}

static int teardown(void **state)
{
    (void)state;
    return WSACleanup();
}

/* The peer closed and we shut down too: POLLHUP on every poll(). */
static void hangup_in_exception_set_only_waits(void **state)
{
    (void)state;
    struct sockaddr_in a;
    SOCKET l = listener(&a);
    SOCKET c = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&a, sizeof a), 0);
    SOCKET p = wsp_accept(l, NULL, NULL);
    assert_true(p != INVALID_SOCKET);
    assert_int_equal(closesocket(p), 0);
    char b;
    assert_int_equal(wsp_recv(c, &b, 1, 0), 0);    /* the peer's FIN is here */
    assert_int_equal(wsp_shutdown(c, SD_SEND), 0); /* both ways shut: hang-up */
    wsp_fd_set ex = {1, {c}};
    unsigned n = 0;
    assert_int_equal(counted_select(NULL, NULL, &ex, &n), 0);
    assert_int_equal(ex.fd_count, 0);
    assert_in_range(n, 1, MAX_POLLS);
    closesocket(c);
    closesocket(l);
}

/* A refused non-blocking connect: POLLERR, which is no "writable". */
static void connect_error_in_write_set_only_waits(void **state)
{
    (void)state;
    struct sockaddr_in a;
    SOCKET l = listener(&a);
    closesocket(l); /* nobody listens on a now */
    SOCKET c = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    wsp_u_long on = 1;
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &on), 0);
    int rc = wsp_connect(c, (struct sockaddr *)&a, sizeof a);
    assert_true(rc == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    /* Wait for the refusal where Winsock shows it: the exception set. */
    wsp_fd_set ex = {1, {c}};
    struct timeval tv = {10, 0}; /* a guard only */
    assert_int_equal(wsp_select(0, NULL, NULL, &ex, &tv), 1);
    wsp_fd_set wr = {1, {c}};
    unsigned n = 0;
    assert_int_equal(counted_select(NULL, &wr, NULL, &n), 0);
    assert_int_equal(wr.fd_count, 0);
    assert_in_range(n, 1, MAX_POLLS);
    closesocket(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hangup_in_exception_set_only_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(connect_error_in_write_set_only_waits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
