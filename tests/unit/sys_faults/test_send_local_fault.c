/* SPDX-License-Identifier: MIT */
/* itot: a send that fails on this side for a reason of its own (ENOBUFS,
 * injected through the module's platform table) is not the peer's
 * disconnect.  The peer's TCP failing (ECONNRESET, EPIPE, a timeout) is read
 * as its end; a local failure is not an act of the peer, and taking it for
 * one ends the connection as if the peer had released — every later receive
 * says WSAEDISCON, and what the peer had sent in the meantime is lost with
 * nothing reported.  (Found by the api_seq fuzzer's FAULT op; the read path
 * had the same defect, fixed before: docs/reliability.md.)
 *   - the caller's own send (nothing of the TSDU reached TCP): it fails with
 *     WSAENOBUFS and the connection stays usable (providers-itot.md, "When
 *     memory is short": the call can be made again);
 *   - the engine's flush of queued TSDUs: they cannot be withdrawn, so the
 *     connection is aborted by this side — later calls fail with
 *     WSAECONNABORTED (Windows: "the virtual circuit was terminated due to a
 *     time-out or other failure" on this side; WSAECONNRESET would name the
 *     peer), and WSP_ITOT_PEER_END says the peer did not end it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "common/sys.h"
#include "fault_util.h"

/* The next sendmsg fails with fail_errno (ENOBUFS unless a case says
 * otherwise) having sent nothing; the later ones are libc's. */
static atomic_int enobufs_left;
static atomic_int fail_errno = ENOBUFS;

static ssize_t sendmsg_enobufs_once(int fd, const struct msghdr *mh, int flags)
{
    int one = 1;
    if (atomic_compare_exchange_strong(&enobufs_left, &one, 0)) {
        errno = atomic_load(&fail_errno);
        return -1;
    }
    return sendmsg(fd, mh, flags);
}

static SOCKET listener, client, server;
static const struct sys_hook *hook;

static bool wait_for(SOCKET s, bool write, int ms)
{
    wsp_fd_set set;
    set.fd_count = 1;
    set.fd_array[0] = s;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return wsp_select(0, write ? NULL : &set, write ? &set : NULL, NULL, &tv) == 1;
}

/* A class 0 pair (no AK TPDUs: only the sender writes), both non-blocking. */
static int pair_setup(void **state)
{
    (void)state;
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    listener = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof a;
    assert_int_equal(wsp_bind(listener, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(listener, 1), 0);
    assert_int_equal(wsp_getsockname(listener, (struct sockaddr *)&a, &len), 0);
    client = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    int cls = 0;
    assert_int_equal(
        wsp_setsockopt(client, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&cls, sizeof cls), 0);
    wsp_u_long on = 1;
    assert_int_equal(ioctlsocket(client, WSP_FIONBIO, &on), 0);
    int rc = wsp_connect(client, (struct sockaddr *)&a, len);
    assert_true(rc == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    server = wsp_accept(listener, NULL, NULL); /* sends the CC */
    assert_true(server != INVALID_SOCKET);
    assert_int_equal(ioctlsocket(server, WSP_FIONBIO, &on), 0);
    assert_true(wait_for(client, true, 10000));
    hook = fault_hook_of("wsp_itot.so");
    atomic_store(&fail_errno, ENOBUFS);
    return 0;
}

static int pair_teardown(void **state)
{
    (void)state;
    hook->restore_all();
    closesocket(server);
    closesocket(client);
    closesocket(listener);
    WSACleanup();
    return 0;
}

/* One TSDU of n octets of v, sent whole. */
static void send_tsdu(SOCKET s, char v, int n)
{
    char buf[512];
    memset(buf, v, sizeof buf);
    assert_int_equal(wsp_send(s, buf, n, 0), n);
}

/* The next TSDU on s, waited for (a guard of 10 s); its length. */
static int recv_tsdu(SOCKET s, char *buf, int cap)
{
    for (int i = 0; i < 100; i++) {
        int n = wsp_recv(s, buf, cap, 0);
        if (n != SOCKET_ERROR || WSAGetLastError() != WSAEWOULDBLOCK)
            return n;
        wait_for(s, false, 100);
    }
    fail_msg("no TSDU within 10 s");
    return -1;
}

static void direct_send_enobufs_keeps_connection(void **state)
{
    (void)state;
    atomic_store(&enobufs_left, 1);
    assert_non_null(hook->override("sendmsg", (sys_fn)sendmsg_enobufs_once));
    char buf[512];
    memset(buf, 'a', sizeof buf);
    assert_int_equal(wsp_send(client, buf, 100, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOBUFS);
    assert_int_equal(atomic_load(&enobufs_left), 0);
    hook->restore_all();

    /* The peer's TSDU still arrives (WSAEDISCON before the fix) ... */
    send_tsdu(server, 'b', 300);
    assert_int_equal(recv_tsdu(client, buf, sizeof buf), 300);
    assert_int_equal(buf[0], 'b');
    int end = -1, len = sizeof end;
    assert_int_equal(wsp_getsockopt(client, WSP_SOL_ITOT, WSP_ITOT_PEER_END, (char *)&end, &len),
                     0);
    assert_int_equal(end, WSP_ITOT_END_NONE);
    /* ... and the call can be made again: the TSDU arrives once, whole. */
    send_tsdu(client, 'c', 100);
    assert_int_equal(recv_tsdu(server, buf, sizeof buf), 100);
    assert_int_equal(buf[99], 'c');
}

/* TCP reports a connection's death to the next call on it: a reset, a
 * retransmission timeout (ETIMEDOUT), or, when ICMP had said the peer or its
 * network was unreachable, that error at the timeout instead (Linux keeps it
 * as the socket's soft error and reports it then: EHOSTUNREACH, ENETUNREACH,
 * EHOSTDOWN). Each is the peer's TCP gone: the send fails with the mapped
 * code, and the connection reads as ended by TCP (WSP_ITOT_END_TCP_RESET),
 * not as still usable (which a local failure leaves it). */
static void direct_send_peer_gone_ends_connection(void **state)
{
    (void)state;
    static const struct {
        int err, wsa;
    } gone[] = {
        {ECONNRESET, WSAECONNRESET},   {ETIMEDOUT, WSAETIMEDOUT}, {EHOSTUNREACH, WSAEHOSTUNREACH},
        {ENETUNREACH, WSAENETUNREACH}, {EHOSTDOWN, WSAEHOSTDOWN},
    };
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
        if (i > 0) {
            pair_teardown(state);
            pair_setup(state);
        }
        atomic_store(&fail_errno, gone[i].err);
        atomic_store(&enobufs_left, 1);
        assert_non_null(hook->override("sendmsg", (sys_fn)sendmsg_enobufs_once));
        char buf[512];
        memset(buf, 'a', sizeof buf);
        assert_int_equal(wsp_send(client, buf, 100, 0), SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), gone[i].wsa);
        hook->restore_all();
        int end = -1, len = sizeof end;
        assert_int_equal(
            wsp_getsockopt(client, WSP_SOL_ITOT, WSP_ITOT_PEER_END, (char *)&end, &len), 0);
        if (end != WSP_ITOT_END_TCP_RESET)
            fail_msg("errno %d: peer end %d, not WSP_ITOT_END_TCP_RESET", gone[i].err, end);
    }
}

static void flush_enobufs_aborts_connection(void **state)
{
    (void)state;
    /* Fill TCP and the output queue: the peer does not read yet. */
    char buf[512];
    memset(buf, 'q', sizeof buf);
    int queued = 0;
    while (wsp_send(client, buf, sizeof buf, 0) == (int)sizeof buf)
        assert_true(++queued < 1000000);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);

    /* The engine's next write of the queue fails; the peer reads to make room. */
    atomic_store(&enobufs_left, 1);
    assert_non_null(hook->override("sendmsg", (sys_fn)sendmsg_enobufs_once));
    long long deadline = fault_now_ns() + 10000000000LL;
    int err = WSAEWOULDBLOCK;
    while (err == WSAEWOULDBLOCK) {
        assert_true(fault_now_ns() < deadline);
        int n = wsp_recv(server, buf, sizeof buf, 0); /* room: the engine flushes */
        if (n == SOCKET_ERROR)
            wait_for(server, false, 10);
        n = wsp_recv(client, buf, sizeof buf, 0);
        if (n == SOCKET_ERROR)
            err = WSAGetLastError();
        else if (n == 0)
            err = 0; /* the peer's disconnect (recv's 0) */
        else
            fail_msg("the client received data nobody sent");
    }
    hook->restore_all();
    assert_int_equal(atomic_load(&enobufs_left), 0);
    assert_int_equal(err, WSAECONNABORTED); /* 0, the disconnect, before the fix */
    int end = -1, len = sizeof end;
    assert_int_equal(wsp_getsockopt(client, WSP_SOL_ITOT, WSP_ITOT_PEER_END, (char *)&end, &len),
                     0);
    assert_int_equal(end, WSP_ITOT_END_NONE);
    assert_int_equal(wsp_send(client, buf, 10, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAECONNABORTED);
}

int main(void)
{
    fault_watchdog_start("itot_send_local_fault");
    fault_arm(60000);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(direct_send_enobufs_keeps_connection, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(direct_send_peer_gone_ends_connection, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(flush_enobufs_aborts_connection, pair_setup, pair_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    fault_disarm();
    return rc;
}
