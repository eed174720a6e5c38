/* SPDX-License-Identifier: MIT */
/* itot WSPAccept with a condition function: the callee id the function is
 * shown is the pending connection's local address, taken while the
 * connection's lock is held.  WSPAccept used to release the lock and then
 * getsockname() the connection's fd, which the engine may close (the peer
 * gave up) or replace (fall-back) meanwhile: then the call fails with EBADF,
 * or worse answers for another socket that reused the number.  The platform
 * table makes that outcome deterministic: every getsockname made by the
 * accepting thread fails with EBADF, as it would on a closed fd.
 *
 * Windows' WSAAccept page: lpCalleeId "contains the local address of the
 * connected entity" — a SOCKADDR of its family's length, never a blank
 * buffer of the storage's size. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
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

/* Set in the accepting thread only: the engine thread, which calls the hook
 * too, reads its own copy (no shared state between the two). */
static _Thread_local bool accepting_thread;

/* The accepting thread's getsockname finds its fd closed; the engine's work. */
static int getsockname_gone(int fd, struct sockaddr *sa, socklen_t *len)
{
    if (accepting_thread) {
        errno = EBADF;
        return -1;
    }
    return getsockname(fd, sa, len); /* libc's, the table's default */
}

struct cond_seen {
    ULONG callee_len;
    struct sockaddr_in callee;
    ULONG caller_len;
    struct sockaddr_in caller;
};

static int CALLBACK cond_record(LPWSABUF caller_id, LPWSABUF caller_data, LPQOS sqos, LPQOS gqos,
                                LPWSABUF callee_id, LPWSABUF callee_data, GROUP *g, DWORD_PTR data)
{
    (void)caller_data, (void)sqos, (void)gqos, (void)callee_data, (void)g;
    struct cond_seen *seen = (struct cond_seen *)data;
    seen->callee_len = callee_id->len;
    memcpy(&seen->callee, callee_id->buf,
           callee_id->len < sizeof seen->callee ? callee_id->len : sizeof seen->callee);
    seen->caller_len = caller_id->len;
    memcpy(&seen->caller, caller_id->buf,
           caller_id->len < sizeof seen->caller ? caller_id->len : sizeof seen->caller);
    return CF_ACCEPT;
}

static void condition_sees_recorded_local_address(void **state)
{
    (void)state;
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    SOCKET l = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof a;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&a, &len), 0);

    SOCKET c = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    assert_true(c != INVALID_SOCKET);
    wsp_u_long on = 1;
    assert_int_equal(ioctlsocket(c, WSP_FIONBIO, &on), 0);
    int rc = wsp_connect(c, (struct sockaddr *)&a, len);
    assert_true(rc == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    struct sockaddr_in me;
    int melen = sizeof me;
    assert_int_equal(wsp_getsockname(c, (struct sockaddr *)&me, &melen), 0);

    /* From here on (the client's connect made its own getsockname already),
     * the accepting thread cannot ask the kernel for any local address. */
    const struct sys_hook *hk = fault_hook_of("wsp_itot.so");
    accepting_thread = true;
    assert_non_null(hk->override("getsockname", (sys_fn)getsockname_gone));
    struct cond_seen seen;
    memset(&seen, 0, sizeof seen);
    SOCKET p = WSAAccept(l, NULL, NULL, cond_record, (DWORD_PTR)&seen); /* blocks for the CR */
    int err = p == INVALID_SOCKET ? WSAGetLastError() : 0;
    hk->restore_all();
    accepting_thread = false;
    assert_int_equal(err, 0);

    /* Before the fix: callee_len was sizeof(struct sockaddr_storage) and the
     * address all zero (the failed getsockname's result). */
    assert_int_equal(seen.callee_len, sizeof(struct sockaddr_in));
    assert_int_equal(seen.callee.sin_family, AF_INET);
    assert_int_equal(seen.callee.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    assert_int_equal(seen.callee.sin_port, a.sin_port);
    assert_int_equal(seen.caller_len, sizeof(struct sockaddr_in));
    assert_int_equal(seen.caller.sin_port, me.sin_port);

    closesocket(p);
    closesocket(c);
    closesocket(l);
    WSACleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(condition_sees_recorded_local_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
