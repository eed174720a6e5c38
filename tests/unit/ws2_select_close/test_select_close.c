/* SPDX-License-Identifier: MIT */
/* closesocket or WSACleanup on one thread wakes a select (no timeout) or a
 * WSAPoll(-1) blocked on the socket in another thread; neither side hangs.
 *
 * What the woken call reports follows the Windows pages:
 * - closesocket: "Any pending blocking, asynchronous calls issued by any
 *   thread in this process are canceled"; select lists WSAEINTR for a
 *   canceled blocking call and WSAENOTSOCK for "an entry that is not a
 *   socket". So a select canceled while it waits fails with WSAEINTR (as
 *   recv and accept do here), and one that starts after the close fails with
 *   WSAENOTSOCK.
 * - WSAPoll: POLLNVAL "The socket used is invalid" for that entry, in both
 *   orders; the call returns the number of entries with revents set.
 * - WSACleanup: "Sockets that were open when WSACleanup was called are reset
 *   and automatically deallocated as if closesocket was called", so the same.
 *
 * Order is made deterministic: the closer acts only once the waiter sleeps in
 * the wait syscall (read from /proc/self/task/TID/syscall), or before the
 * waiter starts. A watchdog turns a hang (the bug: the closer waits for the
 * waiter's pin, the waiter for poll()) into a failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/winsock2.h>

/* ---- watchdog: a hang becomes a failure --------------------------------- */

#define WD_SECONDS 30

static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv;
static bool wd_done;
static pthread_t wd_thread;

static void *wd_main(void *arg)
{
    const char *what = arg;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += WD_SECONDS;
    pthread_mutex_lock(&wd_mu);
    while (!wd_done) {
        if (pthread_cond_timedwait(&wd_cv, &wd_mu, &deadline) == ETIMEDOUT && !wd_done) {
            fprintf(stderr, "watchdog: %s: still blocked after %d s (close did not wake it)\n",
                    what, WD_SECONDS);
            _exit(3);
        }
    }
    pthread_mutex_unlock(&wd_mu);
    return NULL;
}

static void wd_arm(const char *what)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&wd_cv, &a);
    pthread_condattr_destroy(&a);
    wd_done = false;
    assert_int_equal(pthread_create(&wd_thread, NULL, wd_main, (void *)what), 0);
}

static void wd_disarm(void)
{
    pthread_mutex_lock(&wd_mu);
    wd_done = true;
    pthread_cond_signal(&wd_cv);
    pthread_mutex_unlock(&wd_mu);
    assert_int_equal(pthread_join(wd_thread, NULL), 0);
    pthread_cond_destroy(&wd_cv);
}

/* ---- the waiting thread -------------------------------------------------- */

enum { W_SELECT_READ, W_SELECT_EXCEPT, W_POLL };

struct waiter {
    int kind;
    SOCKET s[2];
    int n;
    _Atomic pid_t tid;
    int rc, err;
    WSAPOLLFD pfd[2];
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
    if (w->kind == W_POLL) {
        for (int i = 0; i < w->n; i++)
            w->pfd[i] = (WSAPOLLFD){.fd = w->s[i], .events = POLLIN};
        w->rc = WSAPoll(w->pfd, (ULONG)w->n, -1);
    } else {
        wsp_fd_set set;
        WSP_FD_ZERO(&set);
        for (int i = 0; i < w->n; i++)
            WSP_FD_SET(w->s[i], &set);
        w->rc = w->kind == W_SELECT_READ ? wsp_select(0, &set, NULL, NULL, NULL)
                                         : wsp_select(0, NULL, NULL, &set, NULL);
    }
    w->err = WSAGetLastError();
    return NULL;
}

/* The syscalls a waiter sleeps in: poll for tcp (ppoll where there is no
 * poll), a futex (condition variable) for itot. */
static const long tcp_waits[] = {
#ifdef SYS_poll
    SYS_poll,
#endif
    SYS_ppoll,
};
static const long itot_waits[] = {SYS_futex};

/* Until the kernel says the thread sleeps in one of the given syscalls. */
static void wait_sleeping_in(pid_t tid, const long *nr, size_t n)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    for (;;) {
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[got] = '\0';
        char *end;
        long cur = strtol(buf, &end, 10);
        if (end != buf)
            for (size_t i = 0; i < n; i++)
                if (cur == nr[i])
                    return;
        sched_yield();
    }
}

static void start_waiter(pthread_t *t, struct waiter *w, const long *nr, size_t n)
{
    atomic_store(&w->tid, 0);
    assert_int_equal(pthread_create(t, NULL, waiter_main, w), 0);
    while (atomic_load(&w->tid) == 0)
        sched_yield();
    wait_sleeping_in(atomic_load(&w->tid), nr, n);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- sockets ------------------------------------------------------------- */

static SOCKET listener(int type, struct sockaddr_in *a)
{
    SOCKET l = wsp_socket(AF_INET, type, 0);
    assert_true(l != INVALID_SOCKET);
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int alen = sizeof *a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)a, sizeof *a), 0);
    assert_int_equal(wsp_listen(l, 4), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)a, &alen), 0);
    return l;
}

/* A tcp listener and a connection to it: *c the client, *srv the server end. */
static SOCKET tcp_pair(SOCKET *c, SOCKET *srv)
{
    struct sockaddr_in a;
    SOCKET l = listener(SOCK_STREAM, &a);
    *c = wsp_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*c != INVALID_SOCKET);
    assert_int_equal(wsp_connect(*c, (struct sockaddr *)&a, sizeof a), 0);
    *srv = wsp_accept(l, NULL, NULL);
    assert_true(*srv != INVALID_SOCKET);
    return l;
}

static int setup(void **state)
{
    (void)state;
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d);
}

static int teardown(void **state)
{
    (void)state;
    return WSACleanup();
}

/* ---- closesocket, tcp ---------------------------------------------------- */

/* select on a listener and a connected socket; the connected one is closed. */
static void tcp_select_close_wakes(void **state)
{
    (void)state;
    SOCKET c, srv;
    SOCKET l = tcp_pair(&c, &srv);
    struct waiter w = {.kind = W_SELECT_READ, .s = {l, c}, .n = 2};
    pthread_t t;
    wd_arm("tcp select(read, no timeout) vs closesocket");
    start_waiter(&t, &w, tcp_waits, N_OF(tcp_waits));
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    wd_disarm();
    assert_int_equal(w.rc, SOCKET_ERROR);
    assert_int_equal(w.err, WSAEINTR);
    /* the other socket is untouched */
    assert_int_equal(closesocket(srv), 0);
    assert_int_equal(closesocket(l), 0);
}

/* Only the exception set: close must wake it too (no readiness to lean on). */
static void tcp_select_except_close_wakes(void **state)
{
    (void)state;
    SOCKET c, srv;
    SOCKET l = tcp_pair(&c, &srv);
    struct waiter w = {.kind = W_SELECT_EXCEPT, .s = {c}, .n = 1};
    pthread_t t;
    wd_arm("tcp select(except, no timeout) vs closesocket");
    start_waiter(&t, &w, tcp_waits, N_OF(tcp_waits));
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    wd_disarm();
    assert_int_equal(w.rc, SOCKET_ERROR);
    assert_int_equal(w.err, WSAEINTR);
    assert_int_equal(closesocket(srv), 0);
    assert_int_equal(closesocket(l), 0);
}

/* The other order: a select that starts after the close sees no socket. */
static void tcp_select_after_close_is_notsock(void **state)
{
    (void)state;
    struct sockaddr_in a;
    SOCKET l = listener(SOCK_STREAM, &a);
    assert_int_equal(closesocket(l), 0);
    struct waiter w = {.kind = W_SELECT_READ, .s = {l}, .n = 1};
    wd_arm("tcp select on a closed socket");
    waiter_main(&w);
    wd_disarm();
    assert_int_equal(w.rc, SOCKET_ERROR);
    assert_int_equal(w.err, WSAENOTSOCK);
}

static void tcp_poll_close_wakes(void **state)
{
    (void)state;
    SOCKET c, srv;
    SOCKET l = tcp_pair(&c, &srv);
    struct waiter w = {.kind = W_POLL, .s = {l, c}, .n = 2};
    pthread_t t;
    wd_arm("tcp WSAPoll(-1) vs closesocket");
    start_waiter(&t, &w, tcp_waits, N_OF(tcp_waits));
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    wd_disarm();
    assert_int_equal(w.rc, 1);
    assert_int_equal(w.pfd[0].revents, 0);
    assert_int_equal(w.pfd[1].revents, POLLNVAL);
    assert_int_equal(closesocket(srv), 0);
    assert_int_equal(closesocket(l), 0);
}

static void tcp_poll_after_close_is_nval(void **state)
{
    (void)state;
    SOCKET c, srv;
    SOCKET l = tcp_pair(&c, &srv);
    assert_int_equal(closesocket(c), 0);
    struct waiter w = {.kind = W_POLL, .s = {l, c}, .n = 2};
    wd_arm("tcp WSAPoll(-1) with a closed socket");
    waiter_main(&w);
    wd_disarm();
    assert_int_equal(w.rc, 1);
    assert_int_equal(w.pfd[0].revents, 0);
    assert_int_equal(w.pfd[1].revents, POLLNVAL);
    assert_int_equal(closesocket(srv), 0);
    assert_int_equal(closesocket(l), 0);
}

/* Close racing the start of the wait, in no particular order: each round
 * ends, with one of the documented answers. Meant for TSan. */
struct racer {
    struct waiter w;
    pthread_barrier_t go;
};

static void *racer_main(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(&r->go);
    return waiter_main(&r->w);
}

static void tcp_select_close_race(void **state)
{
    (void)state;
    struct sockaddr_in a;
    SOCKET l = listener(SOCK_STREAM, &a);
    wd_arm("tcp select / WSAPoll vs closesocket, racing");
    for (int round = 0; round < 200; round++) {
        /* a connected socket with nothing to read: only the close ends the wait */
        SOCKET c = wsp_socket(AF_INET, SOCK_STREAM, 0);
        assert_true(c != INVALID_SOCKET);
        assert_int_equal(wsp_connect(c, (struct sockaddr *)&a, sizeof a), 0);
        SOCKET srv = wsp_accept(l, NULL, NULL);
        assert_true(srv != INVALID_SOCKET);
        static const int kinds[] = {W_SELECT_READ, W_SELECT_EXCEPT, W_POLL};
        struct racer r = {.w = {.kind = kinds[round % 3], .s = {c}, .n = 1}};
        pthread_barrier_init(&r.go, NULL, 2);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, racer_main, &r), 0);
        pthread_barrier_wait(&r.go);
        assert_int_equal(closesocket(c), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        pthread_barrier_destroy(&r.go);
        if (r.w.kind == W_POLL) {
            assert_int_equal(r.w.rc, 1);
            assert_int_equal(r.w.pfd[0].revents, POLLNVAL);
        } else {
            assert_int_equal(r.w.rc, SOCKET_ERROR);
            assert_true(r.w.err == WSAEINTR || r.w.err == WSAENOTSOCK);
        }
        assert_int_equal(closesocket(srv), 0);
    }
    wd_disarm();
    assert_int_equal(closesocket(l), 0);
}

/* ---- WSACleanup, tcp ----------------------------------------------------- */

static void cleanup_wakes(int kind)
{
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    SOCKET c, srv;
    SOCKET l = tcp_pair(&c, &srv);
    (void)srv; /* left open: WSACleanup closes it */
    struct waiter w = {.kind = kind, .s = {l, c}, .n = 2};
    pthread_t t;
    wd_arm(kind == W_POLL ? "tcp WSAPoll(-1) vs WSACleanup" : "tcp select vs WSACleanup");
    start_waiter(&t, &w, tcp_waits, N_OF(tcp_waits));
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    wd_disarm();
    if (kind == W_POLL) {
        /* WSACleanup closes the sockets one after the other: the first close
         * ends the wait, the other socket may still be open at that moment */
        int nval = 0;
        for (int i = 0; i < 2; i++) {
            assert_true(w.pfd[i].revents == 0 || w.pfd[i].revents == POLLNVAL);
            nval += w.pfd[i].revents == POLLNVAL;
        }
        assert_true(nval >= 1);
        assert_int_equal(w.rc, nval);
    } else {
        assert_int_equal(w.rc, SOCKET_ERROR);
        assert_int_equal(w.err, WSAEINTR);
    }
}

static void tcp_cleanup_wakes_select(void **state)
{
    (void)state;
    cleanup_wakes(W_SELECT_READ);
}

static void tcp_cleanup_wakes_poll(void **state)
{
    (void)state;
    cleanup_wakes(W_POLL);
}

/* ---- closesocket, itot --------------------------------------------------- */

#ifdef WS2TEST_HAVE_ITOT
static void itot_close_wakes(int kind)
{
    struct sockaddr_in a;
    SOCKET l = listener(SOCK_SEQPACKET, &a);
    SOCKET other = listener(SOCK_SEQPACKET, &a);
    struct waiter w = {.kind = kind, .s = {other, l}, .n = 2};
    pthread_t t;
    wd_arm(kind == W_POLL ? "itot WSAPoll(-1) vs closesocket" : "itot select vs closesocket");
    start_waiter(&t, &w, itot_waits, N_OF(itot_waits));
    assert_int_equal(closesocket(l), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    wd_disarm();
    if (kind == W_POLL) {
        assert_int_equal(w.rc, 1);
        assert_int_equal(w.pfd[0].revents, 0);
        assert_int_equal(w.pfd[1].revents, POLLNVAL);
    } else {
        assert_int_equal(w.rc, SOCKET_ERROR);
        assert_int_equal(w.err, WSAEINTR);
    }
    assert_int_equal(closesocket(other), 0);
}

static void itot_select_close_wakes(void **state)
{
    (void)state;
    itot_close_wakes(W_SELECT_READ);
}

static void itot_poll_close_wakes(void **state)
{
    (void)state;
    itot_close_wakes(W_POLL);
}
#endif

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* argv[1]: optional cmocka filter pattern, to run one case */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        T(tcp_select_close_wakes),
        T(tcp_select_except_close_wakes),
        T(tcp_select_after_close_is_notsock),
        T(tcp_poll_close_wakes),
        T(tcp_poll_after_close_is_nval),
        T(tcp_select_close_race),
        cmocka_unit_test(tcp_cleanup_wakes_select),
        cmocka_unit_test(tcp_cleanup_wakes_poll),
#ifdef WS2TEST_HAVE_ITOT
        T(itot_select_close_wakes),
        T(itot_poll_close_wakes),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
