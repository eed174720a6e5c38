/* SPDX-License-Identifier: MIT */
/* A TSDU larger than the negotiated TPDU leaves as several DTs. While
 * nothing is queued they go from the caller's buffers straight to TCP, and
 * they go in one sendmsg (a header and the data of each DT as iovecs), not
 * one syscall per DT: on raw TCP the same bytes are one send, and a 64 KiB
 * TSDU in class 0 was nine (docs/performance.md). What TCP does not take
 * goes to the queue, whole DTs or the rest of one; the peer gets every
 * octet in order either way.
 *
 * Seen through the test build of the module (lib/wsp-faults): its
 * platform table records the sendmsg calls this thread makes on the
 * client's descriptor. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "../sys_faults/fault_util.h"
#include "../sys_faults/itot_pair.h"

#define WAIT_S 10

typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
static sendmsg_fn _Atomic real_sendmsg;
static const struct sys_hook *hook;

/* The first sendmsg of the TSDU: its iovecs and the octets they hold. */
static _Thread_local bool watching;
static _Thread_local int calls;
static _Thread_local size_t first_iovs, first_len, first_took;

static ssize_t sendmsg_watched(int fd, const struct msghdr *mh, int fl)
{
    ssize_t r = atomic_load(&real_sendmsg)(fd, mh, fl);
    if (watching && calls++ == 0) {
        first_iovs = mh->msg_iovlen;
        first_len = 0;
        for (size_t i = 0; i < mh->msg_iovlen; i++)
            first_len += mh->msg_iov[i].iov_len;
        first_took = r > 0 ? (size_t)r : 0;
    }
    return r;
}

static SOCKET cli, srv;

static int setup(void **state)
{
    (void)state;
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0 || itot_pair_open(0, WAIT_S, &cli, &srv) != 0)
        return -1;
    hook = fault_hook_of("wsp_itot.so");
    atomic_store(&real_sendmsg, (sendmsg_fn)hook->dflt("sendmsg"));
    hook->override("sendmsg", (sys_fn)sendmsg_watched);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return itot_pair_close(hook, cli, srv);
}

struct rx {
    char *buf;
    int len, got, err;
};

static void *rx_main(void *arg)
{
    struct rx *r = arg;
    WSABUF b = {(ULONG)r->len + 1, r->buf};
    DWORD n = 0, fl = 0;
    if (WSARecv(srv, &b, 1, &n, &fl, NULL, NULL) != 0)
        r->err = WSAGetLastError();
    r->got = (int)n;
    return NULL;
}

static void several_dts_go_in_one_sendmsg(void **state)
{
    (void)state;
    int tpdu = 0, len = sizeof tpdu;
    assert_int_equal(wsp_getsockopt(cli, WSP_SOL_ITOT, WSP_ITOT_TPDU_SIZE, (char *)&tpdu, &len), 0);
    assert_true(tpdu >= 128);
    /* two and a half TPDUs of data: three DTs, whatever the header size */
    int n = 2 * tpdu + tpdu / 2;
    char *out = malloc((size_t)n), *in = malloc((size_t)n + 1);
    assert_non_null(out);
    assert_non_null(in);
    for (int i = 0; i < n; i++)
        out[i] = (char)(i * 7 + 3);
    struct rx r = {.buf = in, .len = n};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rx_main, &r), 0);

    watching = true;
    calls = 0;
    assert_int_equal(wsp_send(cli, out, n, 0), n);
    watching = false;
    assert_int_equal(pthread_join(th, NULL), 0);

    assert_true(calls >= 1);
    assert_int_equal(first_iovs, 6);    /* header and data of each of the three DTs */
    assert_true(first_len > (size_t)n); /* all of the TSDU, headers included */
    assert_true(first_took <= first_len);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.got, n); /* one TSDU, whole and in order */
    assert_memory_equal(in, out, (size_t)n);
    free(out);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(several_dts_go_in_one_sendmsg, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
