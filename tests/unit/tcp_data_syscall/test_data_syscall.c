/* SPDX-License-Identifier: MIT */
/* The tcp data path issues the kernel's shortest call: send(2)/recv(2) for one
 * buffer without an address, sendmsg(2)/recvmsg(2) only for several buffers,
 * a destination, a datagram receive (its MSG_TRUNC is in the msghdr) or a
 * source address.  recvmsg costs the kernel ~80 ns more than recv for a
 * 64-byte receive (docs/performance.md), which was most of wsp_recv's gap to
 * recv().  Counted through the module's platform table (common/sys.h): each
 * wrapper counts and forwards to libc's call. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/winsock2.h>

#include "common/sys.h"

/* Windows' MSG_WAITALL (winsock2.h); <sys/socket.h> has Linux's value. */
#define WS_MSG_WAITALL 0x8

static const struct sys_hook *hk;
static int n_send, n_sendmsg, n_recv, n_recvmsg;

static ssize_t count_send(int fd, const void *buf, size_t len, int fl)
{
    n_send++;
    return ((ssize_t(*)(int, const void *, size_t, int))hk->dflt("send"))(fd, buf, len, fl);
}
static ssize_t count_sendmsg(int fd, const struct msghdr *mh, int fl)
{
    n_sendmsg++;
    return ((ssize_t(*)(int, const struct msghdr *, int))hk->dflt("sendmsg"))(fd, mh, fl);
}
static ssize_t count_recv(int fd, void *buf, size_t len, int fl)
{
    n_recv++;
    return ((ssize_t(*)(int, void *, size_t, int))hk->dflt("recv"))(fd, buf, len, fl);
}
static ssize_t count_recvmsg(int fd, struct msghdr *mh, int fl)
{
    n_recvmsg++;
    return ((ssize_t(*)(int, struct msghdr *, int))hk->dflt("recvmsg"))(fd, mh, fl);
}

static void hook_on(void)
{
    const char *dir = getenv("WSP_PROVIDER_PATH");
    assert_non_null(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/wsp_tcp.so", dir);
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD); /* the instance the loader opened */
    assert_non_null(h);
    hk = dlsym(h, SYS_HOOK_SYMBOL);
    assert_non_null(hk);
    dlclose(h);
    assert_non_null(hk->override("send", (sys_fn)count_send));
    assert_non_null(hk->override("sendmsg", (sys_fn)count_sendmsg));
    assert_non_null(hk->override("recv", (sys_fn)count_recv));
    assert_non_null(hk->override("recvmsg", (sys_fn)count_recvmsg));
    n_send = n_sendmsg = n_recv = n_recvmsg = 0;
}

static void counts_are(int send, int sendmsg, int recv, int recvmsg)
{
    assert_int_equal(n_send, send);
    assert_int_equal(n_sendmsg, sendmsg);
    assert_int_equal(n_recv, recv);
    assert_int_equal(n_recvmsg, recvmsg);
    n_send = n_sendmsg = n_recv = n_recvmsg = 0;
}

/* A connected TCP pair over loopback: *a connects, *b is accepted. */
static void tcp_pair(SOCKET *a, SOCKET *b)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    SOCKET l = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(l != INVALID_SOCKET);
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&sa, len), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&sa, &len), 0);
    *a = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(*a != INVALID_SOCKET);
    assert_int_equal(wsp_connect(*a, (struct sockaddr *)&sa, len), 0);
    *b = wsp_accept(l, NULL, NULL);
    assert_true(*b != INVALID_SOCKET);
    assert_int_equal(closesocket(l), 0);
}

static void stream_one_buffer_uses_send_and_recv(void **state)
{
    (void)state;
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    SOCKET a, b;
    tcp_pair(&a, &b);
    hook_on();

    char out[64], in[64];
    memset(out, 'x', sizeof out);
    assert_int_equal(wsp_send(a, out, sizeof out, 0), (int)sizeof out);
    counts_are(1, 0, 0, 0);
    assert_int_equal(wsp_recv(b, in, sizeof in, WS_MSG_WAITALL), (int)sizeof in);
    counts_are(0, 0, 1, 0);
    assert_memory_equal(in, out, sizeof in);

    /* WSASend/WSARecv with one WSABUF: the same calls. */
    WSABUF wb = {sizeof out, out};
    DWORD n = 0, flags = 0;
    assert_int_equal(WSASend(a, &wb, 1, &n, 0, NULL, NULL), 0);
    assert_int_equal(n, sizeof out);
    counts_are(1, 0, 0, 0);
    WSABUF rb = {sizeof in, in};
    flags = WS_MSG_WAITALL;
    assert_int_equal(WSARecv(b, &rb, 1, &n, &flags, NULL, NULL), 0);
    assert_int_equal(n, sizeof in);
    counts_are(0, 0, 1, 0);

    /* Two buffers: the msghdr forms (a WSABUF array is an iovec array). */
    WSABUF two[2] = {{32, out}, {32, out + 32}};
    assert_int_equal(WSASend(a, two, 2, &n, 0, NULL, NULL), 0);
    assert_int_equal(n, 64);
    counts_are(0, 1, 0, 0);
    WSABUF rtwo[2] = {{32, in}, {32, in + 32}};
    flags = WS_MSG_WAITALL;
    assert_int_equal(WSARecv(b, rtwo, 2, &n, &flags, NULL, NULL), 0);
    assert_int_equal(n, 64);
    counts_are(0, 0, 0, 1);

    hk->restore_all();
    closesocket(a);
    closesocket(b);
    WSACleanup();
}

/* A datagram receive keeps recvmsg (its truncation is reported in msg_flags:
 * WSAEMSGSIZE); a send with a destination keeps sendmsg (the address goes in
 * the msghdr). */
static void datagram_keeps_the_msghdr_forms(void **state)
{
    (void)state;
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    SOCKET r = wsp_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    SOCKET s = wsp_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    assert_true(r != INVALID_SOCKET && s != INVALID_SOCKET);
    assert_int_equal(wsp_bind(r, (struct sockaddr *)&sa, len), 0);
    assert_int_equal(wsp_getsockname(r, (struct sockaddr *)&sa, &len), 0);
    hook_on();

    char out[16] = "datagram", in[4];
    assert_int_equal(wsp_sendto(s, out, sizeof out, 0, (struct sockaddr *)&sa, len),
                     (int)sizeof out);
    counts_are(0, 1, 0, 0);
    /* Windows' recv page: a datagram larger than the buffer is WSAEMSGSIZE */
    assert_int_equal(wsp_recv(r, in, sizeof in, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEMSGSIZE);
    counts_are(0, 0, 0, 1);

    hk->restore_all();
    closesocket(r);
    closesocket(s);
    WSACleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stream_one_buffer_uses_send_and_recv),
        cmocka_unit_test(datagram_keeps_the_msghdr_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
