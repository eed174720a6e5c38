/* SPDX-License-Identifier: MIT */
/* tcp's overlapped engines (src/providers/tcp/ovl_uring.c, ovl_engine.c),
 * through the real API over loopback.
 *
 * Which engine runs is visible from outside: the io_uring engine owns one
 * ring, an "anon_inode:[io_uring]" descriptor, from the first operation that
 * has to wait until the last WSACleanup. A send that waits is in the ring
 * unless WSP_TCP_ENGINE=epoll; a receive only with WSP_TCP_ENGINE=uring (the
 * cases hold with every engine; they are about the ring where it holds them). It must run when the
 * kernel offers io_uring (probed here the same way: io_uring_setup with FAST_POLL) unless
 * WSP_TCP_ENGINE=epoll; with TEST_REFUSE_IO_URING=1 this program first
 * installs a seccomp filter that answers io_uring_setup with EPERM (what
 * Docker's default profile does), and the epoll engine must take over.
 *
 * The contract is the same with either engine: closesocket completes every
 * pending operation with WSA_OPERATION_ABORTED before it returns (the
 * closesocket page: "any pending overlapped send and receive operations
 * ... are canceled", completed with WSA_OPERATION_ABORTED), also those the
 * kernel holds in the ring; CancelIoEx completes the one it names with
 * ERROR_OPERATION_ABORTED and the next operation still completes; an
 * operation outlives the thread that issued it (since Windows Vista, I/O is
 * not cancelled when the issuing thread exits; io_uring would cancel the
 * requests of an exited submitter). */
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define WSP_WINSOCK_NAMES
#include <wsp/winsock2.h>

#include "../tcp_overlapped/ovl_pair.h"

#define WAIT_MS 10000u

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_HAS_TSAN 1
#endif
#endif
#ifndef TEST_HAS_TSAN
#define TEST_HAS_TSAN 0
#endif

static bool refuse_mode;  /* TEST_REFUSE_IO_URING=1: the seccomp filter is in place */
static bool ring_offered; /* the kernel lets this process use io_uring as the engine needs */

/* io_uring_setup answers EPERM, every other call passes (seccomp(2)). */
static void refuse_io_uring(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("seccomp");
        exit(1);
    }
}

static bool probe_io_uring(int *err)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    long fd = syscall(__NR_io_uring_setup, 4, &p);
    *err = fd < 0 ? errno : 0;
    if (fd < 0)
        return false;
    close((int)fd);
    return (p.features & IORING_FEAT_FAST_POLL) && (p.features & IORING_FEAT_NODROP);
}

static int count_rings(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[300], link[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(path, link, sizeof link - 1);
        if (len > 0) {
            link[len] = 0;
            n += strcmp(link, "anon_inode:[io_uring]") == 0;
        }
    }
    closedir(d);
    return n;
}

static void recv_pending(SOCKET s, WSAOVERLAPPED *ov, char *buf, ULONG len)
{
    memset(ov, 0, sizeof *ov);
    WSABUF b = {len, buf};
    DWORD fl = 0;
    assert_int_equal(WSARecv(s, &b, 1, NULL, &fl, ov, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
}

/* The ring runs unless WSP_TCP_ENGINE=epoll or the kernel refuses it. */
static bool uring_expected(void)
{
    const char *want = getenv("WSP_TCP_ENGINE");
    return ring_offered && !(want != NULL && strcmp(want, "epoll") == 0);
}

/* The peer reads nothing, so a send this big fills both socket buffers and
 * waits (in the ring, with io_uring): what went at once is less than all. */
#define BIG (64u << 20)

static void send_pending(SOCKET s, WSAOVERLAPPED *ov, char *buf, ULONG len)
{
    memset(ov, 0, sizeof *ov);
    WSABUF b = {len, buf};
    assert_int_equal(WSASend(s, &b, 1, NULL, 0, ov, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
}

/* Read exactly n bytes on s (blocking). */
static void drain(SOCKET s, size_t n)
{
    static char sink[1 << 16];
    while (n > 0) {
        int r = recv(s, sink, n < sizeof sink ? (int)n : (int)sizeof sink, 0);
        assert_true(r > 0);
        n -= (size_t)r;
    }
}

/* The engine the environment asks for is the one that runs (a send that
 * waits is in the ring), and the ring goes with the last WSACleanup. */
static void the_expected_engine_runs(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(a, 1);
    char *data = calloc(1, BIG);
    assert_non_null(data);
    WSAOVERLAPPED so;
    send_pending(a, &so, data, BIG);
    assert_int_equal(count_rings(), uring_expected() ? 1 : 0);
    drain(c, BIG);
    DWORD n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &so);
    assert_int_equal(n, BIG);
    free(data);
    closesocket(c);
    closesocket(a);
    CloseHandle(port);
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(count_rings(), 0);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

/* Receives and sends waiting (in the ring, with that engine), then
 * closesocket: every one is completed, aborted, before it returns, once. */
static void close_aborts_what_the_ring_holds(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(a, 2);
    enum { NRECV = 4, NSEND = 3 };
    WSAOVERLAPPED ro[NRECV], so[NSEND];
    char in[NRECV][16];
    for (int i = 0; i < NRECV; i++)
        recv_pending(a, &ro[i], in[i], sizeof in[i]);
    const ULONG big = BIG;
    char *data = calloc(1, big);
    assert_non_null(data);
    for (int i = 0; i < NSEND; i++) {
        memset(&so[i], 0, sizeof so[i]);
        WSABUF b = {i == 0 ? big : 16, data};
        int r = WSASend(a, &b, 1, NULL, 0, &so[i], NULL);
        assert_int_equal(r, SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    }
    assert_int_equal(closesocket(a), 0);
    bool seen_r[NRECV] = {false}, seen_s[NSEND] = {false};
    for (int k = 0; k < NRECV + NSEND; k++) {
        DWORD n = 0;
        ULONG_PTR key = 0;
        LPOVERLAPPED got = NULL;
        /* no wait: the completions are there when closesocket returns */
        assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, 0));
        assert_non_null(got);
        assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
        assert_int_equal(key, 2);
        bool found = false;
        for (int i = 0; i < NRECV; i++)
            if (got == &ro[i]) {
                assert_false(seen_r[i]);
                seen_r[i] = found = true;
                assert_int_equal(n, 0);
            }
        for (int i = 0; i < NSEND; i++)
            if (got == &so[i]) {
                assert_false(seen_s[i]);
                seen_s[i] = found = true;
                if (i == 0) /* part went at once, not all (the count reports it) */
                    assert_true(n > 0 && n < big);
                else
                    assert_int_equal(n, 0);
            }
        assert_true(found);
    }
    DWORD n;
    ULONG_PTR key;
    LPOVERLAPPED got = NULL;
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, 0));
    assert_null(got); /* nothing twice */
    free(data);
    closesocket(c);
    CloseHandle(port);
}

/* CancelIoEx on the receive the ring holds: aborted; the next one, queued
 * behind it, takes the ring's place and gets the data. */
static void cancel_of_the_ring_head_lets_the_next_run(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(a, 3);
    WSAOVERLAPPED r1, r2;
    char in1[8], in2[8];
    recv_pending(a, &r1, in1, sizeof in1);
    recv_pending(a, &r2, in2, sizeof in2);
    assert_true(CancelIoEx((HANDLE)(uintptr_t)a, &r1));
    DWORD n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, 0));
    assert_ptr_equal(got, &r1);
    assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
    assert_int_equal(send(c, "next", 4, 0), 4);
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &r2);
    assert_int_equal(n, 4);
    assert_memory_equal(in2, "next", 4);
    closesocket(c);
    closesocket(a);
    CloseHandle(port);
}

static SOCKET udp_bound(struct sockaddr_in *sa)
{
    SOCKET s = WSASocketW(AF_INET, SOCK_DGRAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    *sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof *sa;
    assert_int_equal(bind(s, (struct sockaddr *)sa, sizeof *sa), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)sa, &len), 0);
    return s;
}

/* Datagrams wait in the ring as a poll, then take the usual attempt: a
 * datagram larger than the buffer completes the pending receive with
 * WSAEMSGSIZE and the part that fits (WSARecv page: "the message was too
 * large ... and was truncated"); closesocket aborts the next one. */
static void datagram_waits_truncates_and_aborts(void **state)
{
    (void)state;
    struct sockaddr_in ra, wa;
    SOCKET r = udp_bound(&ra), w = udp_bound(&wa);
    HANDLE port = ovl_port_for(r, 5);
    WSAOVERLAPPED r1, r2;
    char in1[4], in2[4];
    recv_pending(r, &r1, in1, sizeof in1);
    recv_pending(r, &r2, in2, sizeof in2);
    assert_int_equal(sendto(w, "12345678", 8, 0, (struct sockaddr *)&ra, sizeof ra), 8);
    DWORD n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &r1);
    assert_int_equal(n, 4);
    assert_memory_equal(in1, "1234", 4);
    DWORD fl = 0;
    assert_false(WSAGetOverlappedResult(r, &r1, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSAEMSGSIZE);
    assert_int_equal(closesocket(r), 0);
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &got, 0));
    assert_ptr_equal(got, &r2);
    assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
    closesocket(w);
    CloseHandle(port);
}

/* CancelIoEx on the send the ring holds: aborted with the count that went;
 * the send queued behind it takes its place and goes once the peer reads. */
static void cancel_of_the_ring_send_lets_the_next_go(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(a, 8);
    char *data = calloc(1, BIG);
    assert_non_null(data);
    WSAOVERLAPPED s1, s2;
    send_pending(a, &s1, data, BIG);
    send_pending(a, &s2, data, 16);
    assert_true(CancelIoEx((HANDLE)(uintptr_t)a, &s1));
    DWORD n1 = 0, n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_false(GetQueuedCompletionStatus(port, &n1, &key, &got, 0));
    assert_ptr_equal(got, &s1);
    assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
    assert_true(n1 > 0 && n1 < BIG);
    drain(c, (size_t)n1 + 16); /* nothing lost or doubled on the wire */
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &s2);
    assert_int_equal(n, 16);
    free(data);
    closesocket(c);
    closesocket(a);
    CloseHandle(port);
}

struct issuer {
    SOCKET s;
    WSAOVERLAPPED ov, sov;
    char buf[8];
    char *data;
};

static void *issue_and_exit(void *arg)
{
    struct issuer *is = arg;
    recv_pending(is->s, &is->ov, is->buf, sizeof is->buf);
    send_pending(is->s, &is->sov, is->data, BIG);
    return NULL;
}

/* A receive and a send issued by a thread that has exited still complete. */
static void operation_outlives_its_thread(void **state)
{
    (void)state;
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(a, 4);
    struct issuer is = {.s = a, .data = calloc(1, BIG)};
    assert_non_null(is.data);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, issue_and_exit, &is), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(send(c, "late", 4, 0), 4);
    drain(c, BIG);
    for (int k = 0; k < 2; k++) {
        DWORD n = 0;
        ULONG_PTR key = 0;
        LPOVERLAPPED got = NULL;
        assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
        if (got == &is.ov) {
            assert_int_equal(n, 4);
            assert_memory_equal(is.buf, "late", 4);
        } else {
            assert_ptr_equal(got, &is.sov);
            assert_int_equal(n, BIG);
        }
    }
    free(is.data);
    closesocket(c);
    closesocket(a);
    CloseHandle(port);
}

/* The child's half of forked_child_gets_its_own_engine: 0 when all held. */
static int child_exchange(void)
{
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(a, 6);
    char *data = calloc(1, BIG);
    WSAOVERLAPPED so;
    memset(&so, 0, sizeof so);
    WSABUF b = {BIG, data};
    if (data == NULL || WSASend(a, &b, 1, NULL, 0, &so, NULL) != SOCKET_ERROR ||
        WSAGetLastError() != WSA_IO_PENDING)
        return 2;
    /* the parent's ring is not the child's: one ring, its own */
    if (count_rings() != (uring_expected() ? 1 : 0))
        return 3;
    static char sink[1 << 16];
    for (size_t left = BIG; left > 0;) {
        int r = recv(c, sink, left < sizeof sink ? (int)left : (int)sizeof sink, 0);
        if (r <= 0)
            return 4;
        left -= (size_t)r;
    }
    DWORD n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    if (!GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS) || got != &so || n != BIG)
        return 5;
    return 0;
}

/* fork() with the engine running: the child makes its own ring and thread
 * at its first wait and completes its operations; the parent's keep going
 * (docs/providers-tcp.md: the ring belongs to the process that made it). */
static void forked_child_gets_its_own_engine(void **state)
{
    (void)state;
#if defined(__SANITIZE_THREAD__) || TEST_HAS_TSAN
    /* TSan cannot start threads in the child of a multi-threaded fork
     * ("starting new threads after multi-threaded fork is not supported"):
     * this case runs in the plain and ASan builds. */
    skip();
#endif
    SOCKET c, a;
    ovl_pair(&c, &a);
    HANDLE port = ovl_port_for(a, 7);
    char *data = calloc(1, BIG);
    assert_non_null(data);
    WSAOVERLAPPED so;
    send_pending(a, &so, data, BIG);
    assert_int_equal(count_rings(), uring_expected() ? 1 : 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_exchange());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    drain(c, BIG);
    DWORD n = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &so);
    assert_int_equal(n, BIG);
    free(data);
    closesocket(c);
    closesocket(a);
    CloseHandle(port);
}

int main(void)
{
    const char *refuse = getenv("TEST_REFUSE_IO_URING");
    refuse_mode = refuse != NULL && strcmp(refuse, "1") == 0;
    if (refuse_mode)
        refuse_io_uring(); /* before any thread: every later one inherits it */
    int err = 0;
    ring_offered = probe_io_uring(&err);
    if (refuse_mode && (ring_offered || err != EPERM)) {
        fprintf(stderr, "the seccomp filter did not refuse io_uring_setup\n");
        return 1; /* else this run would not test the fallback */
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_expected_engine_runs, ovl_pair_setup,
                                        ovl_pair_teardown),
        cmocka_unit_test_setup_teardown(close_aborts_what_the_ring_holds, ovl_pair_setup,
                                        ovl_pair_teardown),
        cmocka_unit_test_setup_teardown(cancel_of_the_ring_head_lets_the_next_run, ovl_pair_setup,
                                        ovl_pair_teardown),
        cmocka_unit_test_setup_teardown(cancel_of_the_ring_send_lets_the_next_go, ovl_pair_setup,
                                        ovl_pair_teardown),
        cmocka_unit_test_setup_teardown(operation_outlives_its_thread, ovl_pair_setup,
                                        ovl_pair_teardown),
        cmocka_unit_test_setup_teardown(datagram_waits_truncates_and_aborts, ovl_pair_setup,
                                        ovl_pair_teardown),
        cmocka_unit_test_setup_teardown(forked_child_gets_its_own_engine, ovl_pair_setup,
                                        ovl_pair_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
