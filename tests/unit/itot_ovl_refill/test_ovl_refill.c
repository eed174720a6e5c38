/* SPDX-License-Identifier: MIT */
/* Overlapped itot sends that wait for room in the output queue are taken as
 * soon as there is room, whoever made it. The case that once stalled for
 * good: the engine flushes part of the queue, takes the next waiting send
 * into the room, finds the one after it still too big, and then flushes
 * again — and this time TCP takes the whole queue. The queue is empty, so
 * the engine no longer asks for EPOLLOUT, and nobody looks at the waiting
 * sends again: the peer's receive waits forever (seen under load in the
 * TSan run of itot_overlapped, one run in a few hundred).
 *
 * Made deterministic through the test build of the module (lib/wsp-faults):
 * its send and sendmsg go through a script that says, call by call, how much
 * TCP takes — nothing while the sends are issued (they fill the queue), then
 * part of it, then nothing (the end of the first flush), then everything
 * (the second flush, which waits for the receiver to make room), then the
 * real calls again. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "../sys_faults/fault_util.h"
#include "../sys_faults/itot_pair.h"

#define TSDU_LEN 16000
#define N_SENDS 40 /* 640 kB: more than the 256 KiB output queue holds */
#define WAIT_S 10  /* bound on every wait of the test: a failure, never a hang */

/* ---- the module's send and sendmsg, scripted ------------------------------ */
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
static sendmsg_fn _Atomic real_sendmsg;
static const struct sys_hook *hook;

enum { MODE_PASS, MODE_BLOCK, MODE_SCRIPT };
static atomic_int mode = MODE_PASS;
static atomic_int step; /* the next entry of script (MODE_SCRIPT) */

#define TAKE_ALL (-1L)
/* What TCP takes at each call once armed: part of the queue (16 KiB: room
 * for one more TSDU, not two), nothing, everything. */
static const long script[] = {16384, 0, TAKE_ALL};
#define SCRIPT_LEN ((int)(sizeof script / sizeof script[0]))

/* The message's octets, flat (test code: a copy is fine). */
static size_t flatten(const struct msghdr *m, char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < m->msg_iovlen; i++)
        n += m->msg_iov[i].iov_len;
    char *b = malloc(n ? n : 1);
    assert_non_null(b);
    size_t at = 0;
    for (size_t i = 0; i < m->msg_iovlen; i++) {
        memcpy(b + at, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
        at += m->msg_iov[i].iov_len;
    }
    *out = b;
    return n;
}

/* Up to len octets of b, waiting for room (the receiver reads meanwhile). */
static ssize_t send_waiting(int fd, const char *b, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = send(fd, b + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return done > 0 ? (ssize_t)done : -1;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, WAIT_S * 1000) <= 0)
            break;
    }
    return (ssize_t)done;
}

static ssize_t sendmsg_scripted(int fd, const struct msghdr *m, int fl)
{
    int md = atomic_load(&mode);
    if (md == MODE_PASS)
        return atomic_load(&real_sendmsg)(fd, m, fl);
    int i = md == MODE_SCRIPT ? atomic_fetch_add(&step, 1) : -1;
    if (i >= SCRIPT_LEN) {
        atomic_store(&mode, MODE_PASS);
        return atomic_load(&real_sendmsg)(fd, m, fl);
    }
    if (i < 0 || script[i] == 0) {
        errno = EAGAIN;
        return -1;
    }
    char *b;
    size_t n = flatten(m, &b);
    ssize_t w;
    if (script[i] == TAKE_ALL) {
        w = send_waiting(fd, b, n);
    } else {
        w = send(fd, b, n < (size_t)script[i] ? n : (size_t)script[i], fl);
    }
    free(b);
    return w;
}

static ssize_t send_scripted(int fd, const void *buf, size_t len, int fl)
{
    struct iovec v = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
    struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
    return sendmsg_scripted(fd, &m, fl);
}

static void hook_install(void)
{
    hook = fault_hook_of("wsp_itot.so");
    atomic_store(&real_sendmsg, (sendmsg_fn)hook->dflt("sendmsg"));
    hook->override("sendmsg", (sys_fn)sendmsg_scripted);
    hook->override("send", (sys_fn)send_scripted);
}

/* ---- a connected pair: cli overlapped, srv plain ------------------------- */
static SOCKET cli, srv;

static int setup(void **state)
{
    (void)state;
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return -1;
    if (itot_pair_open(WSA_FLAG_OVERLAPPED, WAIT_S, &cli, &srv) != 0)
        return -1;
    atomic_store(&mode, MODE_PASS);
    hook_install();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return itot_pair_close(hook, cli, srv);
}

static void fill(char *b, int i)
{
    for (int k = 0; k < TSDU_LEN; k++)
        b[k] = (char)(i * 31 + k);
}

/* The sends waiting when a flush empties the whole queue are taken then:
 * the peer receives every TSDU, whole and in order, and every send
 * completes. */
static void waiting_sends_go_on_after_queue_empties(void **state)
{
    (void)state;
    static char data[N_SENDS][TSDU_LEN];
    static WSAOVERLAPPED ov[N_SENDS];
    WSABUF wb[N_SENDS];
    int at_once = 0, pending = 0;
    atomic_store(&mode, MODE_BLOCK); /* TCP takes nothing: the queue fills */
    for (int i = 0; i < N_SENDS; i++) {
        fill(data[i], i);
        wb[i] = (WSABUF){.len = TSDU_LEN, .buf = data[i]};
        memset(&ov[i], 0, sizeof ov[i]);
        ov[i].hEvent = WSACreateEvent();
        assert_true(ov[i].hEvent != NULL);
        DWORD n = 0;
        if (WSASend(cli, &wb[i], 1, &n, 0, &ov[i], NULL) == 0) {
            at_once++;
        } else {
            assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
            pending++;
        }
    }
    assert_true(at_once > 0); /* the queue took some */
    assert_true(pending > 1); /* and at least two wait: one taken by the room, one left */
    atomic_store(&step, 0);
    atomic_store(&mode, MODE_SCRIPT);
    static char got[TSDU_LEN + 1], want[TSDU_LEN];
    for (int i = 0; i < N_SENDS; i++) {
        WSABUF b = {.len = sizeof got, .buf = got};
        DWORD n = 0, flags = 0;
        if (WSARecv(srv, &b, 1, &n, &flags, NULL, NULL) != 0)
            fail_msg("TSDU %d of %d: error %d (the waiting sends stalled)", i, N_SENDS,
                     WSAGetLastError());
        assert_int_equal(n, TSDU_LEN);
        fill(want, i);
        assert_memory_equal(got, want, TSDU_LEN);
    }
    /* The script ran to its end: the queue did empty with sends waiting. */
    assert_true(atomic_load(&step) >= SCRIPT_LEN);
    for (int i = 0; i < N_SENDS; i++) {
        DWORD n = 0, flags = 0;
        assert_int_equal(WSAWaitForMultipleEvents(1, &ov[i].hEvent, FALSE, WAIT_S * 1000, FALSE),
                         WSA_WAIT_EVENT_0);
        assert_true(WSAGetOverlappedResult(cli, &ov[i], &n, FALSE, &flags));
        assert_int_equal(n, TSDU_LEN);
        WSACloseEvent(ov[i].hEvent);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(waiting_sends_go_on_after_queue_empties, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
