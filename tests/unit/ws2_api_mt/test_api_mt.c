/* SPDX-License-Identifier: MIT */
/* The ws2 API under concurrency. */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <wsp/ws2spi.h>

#define AF_FAKE AF_UNIX
#define THREADS 8

static GUID guid_fake = {0x55555555, 5, 5, {5, 5, 5, 5, 5, 5, 5, 5}};

static int setup(void **state)
{
    (void)state;
    const char *path = WS2TEST_FAKE;
    WCHAR w[1024];
    size_t i = 0;
    do
        w[i] = (WCHAR)(unsigned char)path[i];
    while (path[i++]);
    WSAPROTOCOL_INFOW pi;
    memset(&pi, 0, sizeof pi);
    pi.dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
    pi.ProtocolChain.ChainLen = BASE_PROTOCOL;
    pi.iAddressFamily = AF_FAKE;
    pi.iSocketType = SOCK_STREAM;
    int err;
    if (WSCInstallProvider(&guid_fake, w, &pi, 1, &err) != 0)
        return -1;
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d);
}

static int teardown(void **state)
{
    (void)state;
    int err;
    int rc = WSACleanup();
    return rc | WSCDeinstallProvider(&guid_fake, &err);
}

struct race {
    SOCKET s;
    pthread_barrier_t go;
    atomic_int ok, notsock, other;
};

static void *closer_main(void *arg)
{
    struct race *r = arg;
    pthread_barrier_wait(&r->go);
    if (closesocket(r->s) == 0)
        atomic_fetch_add(&r->ok, 1);
    else if (WSAGetLastError() == WSAENOTSOCK)
        atomic_fetch_add(&r->notsock, 1);
    else
        atomic_fetch_add(&r->other, 1);
    return NULL;
}

/* Many closesocket calls on one handle at once: exactly one closes it. */
static void ws2_api_racing_closes(void **state)
{
    (void)state;
    for (int round = 0; round < 200; round++) {
        struct race r = {.s = WSASocketW(AF_FAKE, SOCK_STREAM, 0, NULL, 0, 0)};
        assert_true(r.s != INVALID_SOCKET);
        pthread_barrier_init(&r.go, NULL, THREADS);
        pthread_t th[THREADS];
        for (int i = 0; i < THREADS; i++)
            assert_int_equal(pthread_create(&th[i], NULL, closer_main, &r), 0);
        for (int i = 0; i < THREADS; i++)
            assert_int_equal(pthread_join(th[i], NULL), 0);
        pthread_barrier_destroy(&r.go);
        assert_int_equal(atomic_load(&r.ok), 1);
        assert_int_equal(atomic_load(&r.notsock), THREADS - 1);
        assert_int_equal(atomic_load(&r.other), 0);
    }
}

static atomic_int mt_errors;

/* Each thread: its own sockets, used and closed; the last error is its own. */
static void *user_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        SOCKET s = wsp_socket(AF_FAKE, SOCK_STREAM, 0);
        if (s == INVALID_SOCKET) {
            atomic_fetch_add(&mt_errors, 1);
            continue;
        }
        if (wsp_send(s, "abc", 3, 0) != 3)
            atomic_fetch_add(&mt_errors, 1);
        DWORD sent = 0;
        int len = sizeof sent;
        if (wsp_getsockopt(s, SOL_SOCKET, SO_MAX_MSG_SIZE, (char *)&sent, &len) != 0 || sent != 3)
            atomic_fetch_add(&mt_errors, 1); /* a call reached another thread's socket */
        if (closesocket(s) != 0)
            atomic_fetch_add(&mt_errors, 1);
        /* a stale handle, maybe reused by another thread by now */
        if (wsp_send(s, "x", 1, 0) != SOCKET_ERROR || WSAGetLastError() != WSAENOTSOCK)
            atomic_fetch_add(&mt_errors, 1);
    }
    return NULL;
}

static void ws2_api_threads_create_use_close(void **state)
{
    (void)state;
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, user_main, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(atomic_load(&mt_errors), 0);
}

#ifdef WS2TEST_HAVE_TCP
struct reader {
    SOCKET s;
    int rc;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    char buf[16];
    r->rc = wsp_recv(r->s, buf, sizeof buf, 0);
    return NULL;
}

/* closesocket from another thread wakes a recv blocked on the socket (or
 * finds it not started yet: then the recv sees WSAENOTSOCK); it never hangs. */
static void ws2_api_close_wakes_blocked_recv(void **state)
{
    (void)state;
    SOCKET l = wsp_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int alen = sizeof a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(wsp_listen(l, 16), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&a, &alen), 0);
    for (int round = 0; round < 20; round++) {
        SOCKET c = wsp_socket(AF_INET, SOCK_STREAM, 0);
        assert_true(c != INVALID_SOCKET);
        assert_int_equal(wsp_connect(c, (struct sockaddr *)&a, sizeof a), 0);
        SOCKET srv = wsp_accept(l, NULL, NULL);
        assert_true(srv != INVALID_SOCKET);
        struct reader r = {.s = c, .rc = 0};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
        assert_int_equal(closesocket(c), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_int_equal(r.rc, SOCKET_ERROR);
        assert_int_equal(closesocket(c), SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
        assert_int_equal(closesocket(srv), 0);
    }
    assert_int_equal(closesocket(l), 0);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ws2_api_racing_closes),
        cmocka_unit_test(ws2_api_threads_create_use_close),
#ifdef WS2TEST_HAVE_TCP
        cmocka_unit_test(ws2_api_close_wakes_blocked_recv),
#endif
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
