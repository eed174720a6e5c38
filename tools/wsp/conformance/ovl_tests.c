/* SPDX-License-Identifier: MIT */
/* The overlapped part of the suite (docs/conformance.md, "Overlapped calls"):
 * the send-disconnect clauses with overlapped sends queued and receives
 * pending across the disconnect, and the three rules every overlapped
 * provider keeps (O1 a completion is reported even when the call completed
 * at once, O2 closing a socket completes its pending operations with
 * WSA_OPERATION_ABORTED, O3 a completion routine runs only in an alertable
 * wait of the thread that issued the call). Written once, like sd_tests.c,
 * against any level whose conf_level.ovl is set. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "conf_check.h"

#define CTX ((const struct conf_ctx *)*state)
#define LV (CTX->lv)
#define OV (CTX->lv->ovl)

#define OVL_WAIT_MS 10000 /* far above any completion on loopback */
#define OVL_CHUNK 65536   /* one overlapped send */
#define OVL_CHUNKS 16     /* 1 MiB in all: more than the buffers hold */
#define OVL_WAIT_IO_COMPLETION 0xC0u

static void ovl_pair(const struct conf_ctx *c, SOCKET *a, SOCKET *b)
{
    conf_socket_flags = WSA_FLAG_OVERLAPPED;
    conf_pair(c, a, b);
}

/* rc/err of an overlapped call: completed at once (true) or pending (false). */
static bool ovl_started(int rc, int err)
{
    if (rc == 0)
        return true;
    conf_assert_eq(rc, SOCKET_ERROR);
    conf_assert_eq(err, WSA_IO_PENDING);
    return false;
}

/* Wait for ov's event, then its result: TRUE with *n, or FALSE with the error. */
static int ovl_finish(const struct conf_ctx *c, SOCKET s, WSAOVERLAPPED *ov, DWORD *n)
{
    conf_assert_msg(c->lv->ovl->event_wait(ov->hEvent, OVL_WAIT_MS),
                    "an overlapped operation did not complete within %d ms", OVL_WAIT_MS);
    DWORD flags = 0;
    int err = 0;
    if (c->lv->ovl->result(s, ov, n, FALSE, &flags, &err))
        return 0;
    conf_assert_ne(err, 0);
    return err;
}

static double ovl_seconds(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- C11 and D5 with overlapped sends queued ------------------------------ */
/* Sixteen overlapped sends the peer does not read yet, then SendDisconnect:
 * it returns at once (C11), the peer reads every byte in issue order and
 * then the end (D5), and every send completes whole. */
void sd_c11_ovl_queued_sends(void **state)
{
    SOCKET a, b;
    ovl_pair(CTX, &a, &b);
    int small = 16 * 1024, err = 0;
    LV->setsockopt(a, SOL_SOCKET, SO_SNDBUF, &small, sizeof small, &err);
    LV->setsockopt(b, SOL_SOCKET, SO_RCVBUF, &small, sizeof small, &err);
    unsigned char *data = malloc((size_t)OVL_CHUNK * OVL_CHUNKS);
    conf_assert_true(data != NULL);
    if (data == NULL)
        return;
    for (size_t i = 0; i < (size_t)OVL_CHUNK * (size_t)OVL_CHUNKS; i++)
        data[i] = (unsigned char)(i % 251);
    WSAOVERLAPPED ov[OVL_CHUNKS];
    WSABUF buf[OVL_CHUNKS];
    for (int k = 0; k < OVL_CHUNKS; k++) {
        memset(&ov[k], 0, sizeof ov[k]);
        ov[k].hEvent = OV->event_new();
        buf[k].buf = (CHAR *)data + (size_t)k * OVL_CHUNK;
        buf[k].len = OVL_CHUNK;
        DWORD n = 0;
        err = 0;
        conf_note("overlapped send %d of %d on %#lx", k + 1, OVL_CHUNKS, (unsigned long)a);
        int rc = OV->send(a, &buf[k], 1, &ov[k], NULL, &n, &err);
        if (ovl_started(rc, err))
            conf_assert_eq(n, OVL_CHUNK); /* a stream send completes whole */
    }
    static char bye[] = "overlapped-bye";
    WSABUF disc = {.len = sizeof bye - 1, .buf = bye};
    bool with_data = CTX->fx->disc_data;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    err = 0;
    conf_note("SendDisconnect with the sends queued");
    int rc = LV->send_disconnect(a, with_data ? &disc : NULL, &err);
    double took = ovl_seconds(&t0);
    conf_assert_eq(rc, 0);
    conf_assert_msg(took < CONF_C11_LIMIT_S,
                    "SendDisconnect took %.3f s with overlapped sends queued (limit %.1f s)", took,
                    CONF_C11_LIMIT_S);
    conf_assert_eq(conf_drain_pattern(CTX, b), (size_t)OVL_CHUNK * OVL_CHUNKS);
    if (with_data) {
        char got[64];
        WSABUF in = {.len = sizeof got, .buf = got};
        err = 0;
        conf_assert_eq(LV->recv_disconnect(b, &in, &err), 0);
        conf_assert_eq(in.len, sizeof bye - 1);
        conf_assert_mem_eq(got, bye, sizeof bye - 1);
    }
    for (int k = 0; k < OVL_CHUNKS; k++) {
        DWORD n = 0;
        conf_assert_eq(ovl_finish(CTX, a, &ov[k], &n), 0);
        conf_assert_eq(n, OVL_CHUNK);
        OV->event_free(ov[k].hEvent);
    }
    free(data);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- D10 with a receive pending ------------------------------------------- */
/* A receive posted before anything was sent gets the data; the next one gets
 * the peer's disconnect: 0 bytes on a stream, WSAEDISCON on messages. */
void sd_d10_ovl_pending_recv_sees_end(void **state)
{
    SOCKET a, b;
    ovl_pair(CTX, &a, &b);
    char got[16];
    WSABUF in = {.len = sizeof got, .buf = got};
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = OV->event_new();
    DWORD n = 0, flags = 0;
    int err = 0, rc;
    conf_note("overlapped receive on %#lx with nothing sent yet", (unsigned long)b);
    rc = OV->recv(b, &in, 1, &ov, NULL, &n, &flags, &err);
    conf_assert_false(ovl_started(rc, err));
    conf_send_all(CTX, a, "hello", 5);
    conf_disconnect_ok(CTX, a);
    conf_assert_eq(ovl_finish(CTX, b, &ov, &n), 0);
    conf_assert_eq(n, 5);
    conf_assert_mem_eq(got, "hello", 5);

    OV->event_free(ov.hEvent);
    memset(&ov, 0, sizeof ov);
    ov.hEvent = OV->event_new();
    n = 0;
    flags = 0;
    err = 0;
    rc = OV->recv(b, &in, 1, &ov, NULL, &n, &flags, &err);
    if (rc == SOCKET_ERROR && err != WSA_IO_PENDING) {
        conf_assert_msg(conf_is_end(CTX, -1, err), "receive after the disconnect failed with %d",
                        err); /* the end reported at submission */
    } else {
        int e = ovl_finish(CTX, b, &ov, &n);
        conf_assert_msg(conf_is_end(CTX, e == 0 ? (int)n : -1, e),
                        "pending receive across the disconnect: %lu bytes, error %d, expected %s",
                        (unsigned long)n, e, CTX->fx->stream ? "0 bytes" : "WSAEDISCON (10101)");
    }
    OV->event_free(ov.hEvent);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- C3 with a receive pending -------------------------------------------- */
/* The disconnect data reaches the peer although its receive was pending when
 * the disconnect came: the receive ends with WSAEDISCON, the data is there. */
void sd_c3_ovl_pending_recv_then_disc_data(void **state)
{
    SOCKET a, b;
    ovl_pair(CTX, &a, &b);
    char got[16];
    WSABUF in = {.len = sizeof got, .buf = got};
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = OV->event_new();
    DWORD n = 0, flags = 0;
    int err = 0, rc;
    rc = OV->recv(b, &in, 1, &ov, NULL, &n, &flags, &err);
    conf_assert_false(ovl_started(rc, err));
    static char dd[] = "pending-disc";
    WSABUF out = {.len = sizeof dd - 1, .buf = dd};
    conf_assert_eq(LV->send_disconnect(a, &out, &err), 0);
    conf_assert_eq(ovl_finish(CTX, b, &ov, &n), WSAEDISCON);
    char data[64];
    WSABUF dis = {.len = sizeof data, .buf = data};
    err = 0;
    conf_assert_eq(LV->recv_disconnect(b, &dis, &err), 0);
    conf_assert_eq(dis.len, sizeof dd - 1);
    conf_assert_mem_eq(data, dd, sizeof dd - 1);
    OV->event_free(ov.hEvent);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- completion routines --------------------------------------------------- */
struct ovl_seen {
    int calls;
    DWORD err, n;
    LPWSAOVERLAPPED ov;
    pthread_t thread;
};
static struct ovl_seen ovl_seen;

static void CALLBACK ovl_routine(DWORD err, DWORD n, LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)flags;
    ovl_seen.calls++;
    ovl_seen.err = err;
    ovl_seen.n = n;
    ovl_seen.ov = ov;
    ovl_seen.thread = pthread_self();
}

/* ---- O1: completed at once, still reported --------------------------------- */
/* Data is already there: the receive completes at once (return 0 with the
 * count), and yet its event is set and its routine is queued, as Windows
 * does for every overlapped call that does not fail. */
void ovl_o1_immediate_still_reported(void **state)
{
    SOCKET a, b;
    ovl_pair(CTX, &a, &b);
    conf_send_all(CTX, a, "xyz", 3);
    char c;
    int err = 0, rc;
    conf_assert_eq(LV->recv(b, &c, 1, &err), 1); /* the rest is readable now */
    char got[2];
    WSABUF in = {.len = 1, .buf = got};
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = OV->event_new();
    DWORD n = 0, flags = 0;
    rc = OV->recv(b, &in, 1, &ov, NULL, &n, &flags, &err);
    conf_assert_true(ovl_started(rc, err));
    conf_assert_eq(n, 1);
    conf_assert_true(OV->event_wait(ov.hEvent, 0)); /* set before the call returned */
    conf_assert_eq(ovl_finish(CTX, b, &ov, &n), 0);
    conf_assert_eq(n, 1);
    conf_assert_eq(got[0], 'y');

    WSAOVERLAPPED ov2;
    memset(&ov2, 0, sizeof ov2);
    memset(&ovl_seen, 0, sizeof ovl_seen);
    in.buf = got + 1;
    rc = OV->recv(b, &in, 1, &ov2, ovl_routine, &n, &flags, &err);
    conf_assert_true(ovl_started(rc, err));
    conf_assert_eq(ovl_seen.calls, 0); /* queued, not run inside the call */
    conf_assert_eq(OV->alertable(OVL_WAIT_MS), OVL_WAIT_IO_COMPLETION);
    conf_assert_eq(ovl_seen.calls, 1);
    conf_assert_eq(ovl_seen.err, 0);
    conf_assert_eq(ovl_seen.n, 1);
    conf_assert_true(ovl_seen.ov == &ov2);
    conf_assert_eq(got[1], 'z');
    OV->event_free(ov.hEvent);
    conf_close(CTX, a);
    conf_close(CTX, b);
}

/* ---- O2: closing aborts what is pending ------------------------------------ */
void ovl_o2_close_aborts_pending(void **state)
{
    SOCKET a, b;
    ovl_pair(CTX, &a, &b);
    char got[2][8];
    WSABUF in[2] = {{.len = 8, .buf = got[0]}, {.len = 8, .buf = got[1]}};
    WSAOVERLAPPED ov[2];
    memset(ov, 0, sizeof ov);
    ov[0].hEvent = OV->event_new();
    memset(&ovl_seen, 0, sizeof ovl_seen);
    DWORD n = 0, flags = 0;
    int err = 0, rc;
    rc = OV->recv(b, &in[0], 1, &ov[0], NULL, &n, &flags, &err);
    conf_assert_false(ovl_started(rc, err));
    flags = 0;
    rc = OV->recv(b, &in[1], 1, &ov[1], ovl_routine, &n, &flags, &err);
    conf_assert_false(ovl_started(rc, err));
    conf_note("closing %#lx with two receives pending", (unsigned long)b);
    conf_close(CTX, b);
    /* The handle is gone, so the status is read where the contract puts it. */
    conf_assert_true(OV->event_wait(ov[0].hEvent, OVL_WAIT_MS));
    conf_assert_eq(ov[0].Internal, WSA_OPERATION_ABORTED);
    conf_assert_eq(OV->alertable(OVL_WAIT_MS), OVL_WAIT_IO_COMPLETION);
    conf_assert_eq(ovl_seen.calls, 1);
    conf_assert_eq(ovl_seen.err, WSA_OPERATION_ABORTED);
    conf_assert_true(ovl_seen.ov == &ov[1]);
    OV->event_free(ov[0].hEvent);
    conf_close(CTX, a);
}

/* ---- O3: routines run only in the issuing thread's alertable wait ---------- */
static void *ovl_other_alertable(void *arg)
{
    const struct conf_ovl *ops = arg;
    return (void *)(uintptr_t)ops->alertable(0);
}

void ovl_o3_routine_only_in_alertable_wait(void **state)
{
    SOCKET a, b;
    ovl_pair(CTX, &a, &b);
    char got[4];
    WSABUF in = {.len = sizeof got, .buf = got};
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    memset(&ovl_seen, 0, sizeof ovl_seen);
    DWORD n = 0, flags = 0;
    int err = 0, rc;
    rc = OV->recv(b, &in, 1, &ov, ovl_routine, &n, &flags, &err);
    conf_assert_false(ovl_started(rc, err));
    conf_send_all(CTX, a, "q", 1);
    /* A non-alertable wait for the completion: the routine must not run. */
    conf_assert_true(OV->result(b, &ov, &n, TRUE, &flags, &err));
    conf_assert_eq(n, 1);
    conf_assert_eq(ovl_seen.calls, 0);
    /* Another thread's alertable wait: not its routine either. */
    pthread_t t;
    void *other = NULL;
    conf_assert_eq(pthread_create(&t, NULL, ovl_other_alertable, (void *)OV), 0);
    conf_assert_eq(pthread_join(t, &other), 0);
    conf_assert_eq((uintptr_t)other, 0);
    conf_assert_eq(ovl_seen.calls, 0);
    /* This thread's alertable wait runs it, here. */
    conf_assert_eq(OV->alertable(0), OVL_WAIT_IO_COMPLETION);
    conf_assert_eq(ovl_seen.calls, 1);
    conf_assert_true(pthread_equal(ovl_seen.thread, pthread_self()));
    conf_assert_eq(ovl_seen.n, 1);
    conf_assert_eq(got[0], 'q');
    conf_close(CTX, a);
    conf_close(CTX, b);
}
