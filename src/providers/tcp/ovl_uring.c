/* SPDX-License-Identifier: MIT */
/* The io_uring engine for tcp's waiting overlapped operations.
 *
 * The attempt at issue stays (ovl_submit.c: Windows completes at once when
 * it can). An operation that must wait and heads its queue is handed to the
 * ring instead of waiting for the epoll watcher's next edge: a stream send or
 * receive as IORING_OP_SENDMSG / RECVMSG on its own iovecs (the kernel moves
 * the bytes when the socket is ready, no second syscall), a datagram one as
 * a one-shot POLL_ADD followed by the usual attempt (so MSG_TRUNC and the
 * sender's address are handled exactly as on the epoll path).
 *
 * Which waits go to the ring: sends always; receives only with
 * WSP_TCP_ENGINE=uring. By default (auto) a waiting receive stays with the
 * epoll watcher: it waits for the peer, and the ring's one submitter would
 * cost a wake-up of the ring thread per re-armed receive (see tcp_ur_hand).
 *
 * Order: only the head of each queue is ever in the ring (one slot per
 * direction and socket), and the next one is tried only after the head's
 * completion was handled — so sends go on the wire in issue order without
 * linked SQEs (a link breaks on a short send, which a stream send may do),
 * completions are reported in issue order, and the deferred FIN
 * (tcp_ovl_run) still goes right after the last queued byte.
 *
 * One thread per provider owns the ring: it is the only one that prepares and
 * submits SQEs, so the ring needs no lock, the kernel's deferred work runs in
 * that thread (IORING_SETUP_DEFER_TASKRUN where the kernel has it) and an
 * operation does not depend on the thread that issued it (io_uring cancels a
 * thread's requests when the thread exits; Windows does not cancel a socket's
 * overlapped I/O then). Other threads hand it work through a lock-free stack
 * of nodes embedded in the slots (nothing is allocated per operation) and
 * wake it through an eventfd the ring polls, only when it sleeps.
 *
 * Close and cancel "recall" a slot: a cancel SQE is sent for it and the
 * caller waits (on the socket's ovl_lock) until the operation's own CQE was
 * handled — the kernel may write into the caller's buffers until then, so no
 * operation is completed or freed while its CQE can still come.
 *
 * This file is the ring thread's half; the socket side (handing over,
 * completions, recall) is ovl_uring_sock.c. */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/sys.h"
#include "data_check.h"
#include "ovl_tcp.h"
#include "ovl_uring.h"
#include "tcp.h"

/* user_data of the SQEs that are no slot's operation */
enum { TCP_UR_TAG_WAKE = 1, TCP_UR_TAG_CANCEL = 2 };

enum { TCP_UR_UNDECIDED, TCP_UR_ON, TCP_UR_OFF };

static pthread_mutex_t tcp_ur_lock = PTHREAD_MUTEX_INITIALIZER; /* start and stop */
static atomic_int tcp_ur_mode;                                  /* TCP_UR_* */
unsigned tcp_ur_gen;                /* bumped in a forked child (ring gone) */
static struct io_uring tcp_ur_ring; /* only the ring thread touches it */
static int tcp_ur_wakefd = -1;      /* eventfd the ring polls */
static pthread_t tcp_ur_thread;
static _Atomic(struct tcp_ur_node *) tcp_ur_stack; /* requests, newest first */
static atomic_bool tcp_ur_sleeping;                /* the thread may be in io_uring_enter */
static atomic_bool tcp_ur_quit;
/* Receives wait in the ring too (WSP_TCP_ENGINE=uring), not only sends
 * (auto). Written before tcp_ur_mode is published, read after. */
bool tcp_ur_recv_too;

/* The start handshake: the ring is made by the thread that owns it
 * (IORING_SETUP_SINGLE_ISSUER binds the ring to its creator). */
static pthread_mutex_t tcp_ur_start_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tcp_ur_start_cv = PTHREAD_COND_INITIALIZER;
static int tcp_ur_start_state; /* 0 pending, 1 ready, -1 refused */

/* ---- the request stack ---------------------------------------------------- */

void tcp_ur_push(struct tcp_ur_node *n)
{
    struct tcp_ur_node *top = atomic_load(&tcp_ur_stack);
    do
        n->next = top;
    while (!atomic_compare_exchange_weak(&tcp_ur_stack, &top, n));
    /* Dekker pair with the thread's sleeping flag (seq_cst both sides):
     * either it sees the node before it sleeps, or we see it asleep. */
    if (atomic_exchange(&tcp_ur_sleeping, false)) {
        uint64_t one = 1;
        (void)!sys_write(tcp_ur_wakefd, &one, sizeof one);
    }
}

static struct io_uring_sqe *tcp_ur_sqe(void)
{
    struct io_uring_sqe *sqe;
    while ((sqe = io_uring_get_sqe(&tcp_ur_ring)) == NULL)
        (void)io_uring_submit(&tcp_ur_ring); /* the SQ is full: hand it over first */
    return sqe;
}

/* A multishot poll (5.13): every write to the eventfd wakes the ring (eventfd
 * wakes its waiters on each write, read or not), so the thread neither reads
 * it nor re-arms per wake-up; the count cannot reach its 2^64 - 2 limit. A
 * kernel without multishot polls gets a one-shot poll and a read per wake. */
static bool tcp_ur_wake_multi = true; /* only the ring thread */

static void tcp_ur_arm_wake(void)
{
    struct io_uring_sqe *sqe = tcp_ur_sqe();
    if (tcp_ur_wake_multi)
        io_uring_prep_poll_multishot(sqe, tcp_ur_wakefd, POLLIN);
    else
        io_uring_prep_poll_add(sqe, tcp_ur_wakefd, POLLIN);
    io_uring_sqe_set_data64(sqe, TCP_UR_TAG_WAKE);
}

static void tcp_ur_woken(const struct io_uring_cqe *cqe)
{
    if (cqe->res < 0 && tcp_ur_wake_multi) {
        tcp_ur_wake_multi = false; /* EINVAL: no multishot on this kernel */
    } else if (!tcp_ur_wake_multi) {
        uint64_t v;
        (void)!sys_read(tcp_ur_wakefd, &v, sizeof v);
    } else if (cqe->flags & IORING_CQE_F_MORE) {
        return; /* still armed */
    }
    tcp_ur_arm_wake();
}

static void tcp_ur_prep(struct tcp_ur_slot *s)
{
    struct io_uring_sqe *sqe = tcp_ur_sqe();
    int fd = s->ts->fd;
    if (s->poll) {
        io_uring_prep_poll_add(sqe, fd, s->q == TCP_OVL_SEND ? POLLOUT : POLLIN);
    } else {
        int flags = 0;
        (void)tcp_map_flags(s->op->flags, &flags); /* checked at submission */
        if (s->q == TCP_OVL_SEND)
            io_uring_prep_sendmsg(sqe, fd, &s->mh, (unsigned)(flags | MSG_NOSIGNAL));
        else
            io_uring_prep_recvmsg(sqe, fd, &s->mh, (unsigned)flags);
    }
    io_uring_sqe_set_data(sqe, s);
}

static void tcp_ur_prep_cancel(struct tcp_ur_slot *s)
{
    struct io_uring_sqe *sqe = tcp_ur_sqe();
    io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)s, 0);
    io_uring_sqe_set_data64(sqe, TCP_UR_TAG_CANCEL);
    struct tcp_sock *ts = s->ts;
    pthread_mutex_lock(&ts->ovl_lock);
    s->can_queued = false;
    pthread_cond_broadcast(&ts->ur->cond);
    pthread_mutex_unlock(&ts->ovl_lock); /* the recall may free s from here on */
}

/* Take every request, oldest first (a submit before the cancel of it). */
static void tcp_ur_drain(void)
{
    struct tcp_ur_node *n = atomic_exchange(&tcp_ur_stack, NULL), *fifo = NULL;
    while (n != NULL) {
        struct tcp_ur_node *next = n->next;
        n->next = fifo;
        fifo = n;
        n = next;
    }
    while (fifo != NULL) {
        struct tcp_ur_node *next = fifo->next;
        if (fifo->cancel)
            tcp_ur_prep_cancel(TCP_UR_SLOT_OF(fifo, can));
        else
            tcp_ur_prep(TCP_UR_SLOT_OF(fifo, sub));
        fifo = next;
    }
}

/* ---- the ring thread -------------------------------------------------------- */

/* What the engine needs from the kernel: the opcodes, and FAST_POLL (else a
 * waiting operation would hold an io-wq worker: a thread per operation). */
static int tcp_ur_setup(void)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL;
    int r = io_uring_queue_init_params(1024, &tcp_ur_ring, &p);
    if (r == -EINVAL) { /* an older kernel: without the newer flags */
        memset(&p, 0, sizeof p);
        r = io_uring_queue_init_params(1024, &tcp_ur_ring, &p);
    }
    if (r != 0)
        return r;
    struct io_uring_probe *probe = io_uring_get_probe_ring(&tcp_ur_ring);
    static const int need[] = {IORING_OP_SENDMSG, IORING_OP_RECVMSG, IORING_OP_POLL_ADD,
                               IORING_OP_ASYNC_CANCEL};
    bool ok =
        probe != NULL && (p.features & IORING_FEAT_FAST_POLL) && (p.features & IORING_FEAT_NODROP);
    for (size_t i = 0; ok && i < sizeof need / sizeof need[0]; i++)
        ok = io_uring_opcode_supported(probe, need[i]);
    if (probe != NULL)
        io_uring_free_probe(probe);
    if (!ok) {
        io_uring_queue_exit(&tcp_ur_ring);
        return -EOPNOTSUPP;
    }
    return 0;
}

static void tcp_ur_started(int state)
{
    pthread_mutex_lock(&tcp_ur_start_mu);
    tcp_ur_start_state = state;
    pthread_cond_broadcast(&tcp_ur_start_cv);
    pthread_mutex_unlock(&tcp_ur_start_mu);
}

static void *tcp_ur_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "wsp-tcp-uring"); /* for ps, perf, strace -f */
    if (tcp_ur_setup() != 0) {
        tcp_ur_started(-1);
        return NULL;
    }
    tcp_ur_arm_wake();
    tcp_ur_started(1);
    while (!atomic_load(&tcp_ur_quit)) {
        tcp_ur_drain();
        atomic_store(&tcp_ur_sleeping, true);
        int r;
        if (atomic_load(&tcp_ur_stack) != NULL || atomic_load(&tcp_ur_quit))
            r = io_uring_submit(&tcp_ur_ring); /* more work: do not wait */
        else
            r = io_uring_submit_and_wait(&tcp_ur_ring, 1);
        atomic_store(&tcp_ur_sleeping, false);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY && r != -ETIME)
            continue; /* nothing else to do than try again */
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&tcp_ur_ring, head, cqe)
        {
            seen++;
            uint64_t ud = io_uring_cqe_get_data64(cqe);
            if (ud == TCP_UR_TAG_WAKE)
                tcp_ur_woken(cqe);
            else if (ud != TCP_UR_TAG_CANCEL) {
                tcp_ur_complete((struct tcp_ur_slot *)(uintptr_t)ud, cqe->res);
            }
        }
        io_uring_cq_advance(&tcp_ur_ring, seen);
    }
    io_uring_queue_exit(&tcp_ur_ring);
    return NULL;
}

/* ---- start, stop, fork ------------------------------------------------------ */

static void tcp_ur_atfork_child(void)
{
    /* The parent's ring and thread are not the child's (see events.c for the
     * watcher): forget them; the child decides again at its first wait. Its
     * copies of the parent's busy slots are stale (tcp_ur_gen). */
    if (atomic_load(&tcp_ur_mode) == TCP_UR_ON) {
        io_uring_queue_exit(&tcp_ur_ring);
        sys_close(tcp_ur_wakefd);
    }
    tcp_ur_wakefd = -1;
    atomic_store(&tcp_ur_stack, NULL);
    atomic_store(&tcp_ur_mode, TCP_UR_UNDECIDED);
    tcp_ur_gen++;
    pthread_mutex_init(&tcp_ur_lock, NULL);
}

static pthread_once_t tcp_ur_atfork_once = PTHREAD_ONCE_INIT;

static void tcp_ur_atfork_register(void)
{
    pthread_atfork(NULL, NULL, tcp_ur_atfork_child);
}

static bool tcp_ur_start(void)
{
    /* WSP_TCP_ENGINE=epoll|uring|auto (default auto): secure_getenv, so a
     * set-user-ID program is not steered by its caller's environment. */
    const char *want = secure_getenv("WSP_TCP_ENGINE");
    if (want != NULL && strcmp(want, "epoll") == 0)
        return false;
    tcp_ur_recv_too = want != NULL && strcmp(want, "uring") == 0;
    pthread_once(&tcp_ur_atfork_once, tcp_ur_atfork_register);
    tcp_ur_wakefd = sys_eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (tcp_ur_wakefd < 0)
        return false;
    atomic_store(&tcp_ur_quit, false);
    tcp_ur_start_state = 0;
    if (pthread_create(&tcp_ur_thread, NULL, tcp_ur_main, NULL) != 0) {
        sys_close(tcp_ur_wakefd);
        tcp_ur_wakefd = -1;
        return false;
    }
    pthread_mutex_lock(&tcp_ur_start_mu);
    while (tcp_ur_start_state == 0)
        pthread_cond_wait(&tcp_ur_start_cv, &tcp_ur_start_mu);
    int state = tcp_ur_start_state;
    pthread_mutex_unlock(&tcp_ur_start_mu);
    if (state > 0)
        return true;
    pthread_join(tcp_ur_thread, NULL); /* refused: the epoll engine stays */
    sys_close(tcp_ur_wakefd);
    tcp_ur_wakefd = -1;
    return false;
}

bool tcp_ur_enabled(void)
{
    int m = atomic_load_explicit(&tcp_ur_mode, memory_order_acquire);
    if (m != TCP_UR_UNDECIDED)
        return m == TCP_UR_ON;
    pthread_mutex_lock(&tcp_ur_lock);
    if (atomic_load(&tcp_ur_mode) == TCP_UR_UNDECIDED)
        atomic_store_explicit(&tcp_ur_mode, tcp_ur_start() ? TCP_UR_ON : TCP_UR_OFF,
                              memory_order_release);
    m = atomic_load(&tcp_ur_mode);
    pthread_mutex_unlock(&tcp_ur_lock);
    return m == TCP_UR_ON;
}

void tcp_ur_stop(void)
{
    pthread_mutex_lock(&tcp_ur_lock);
    if (atomic_load(&tcp_ur_mode) == TCP_UR_ON) {
        /* every socket is closed: nothing is in the ring but the wake poll */
        atomic_store(&tcp_ur_quit, true);
        uint64_t one = 1;
        (void)!sys_write(tcp_ur_wakefd, &one, sizeof one);
        pthread_join(tcp_ur_thread, NULL);
        sys_close(tcp_ur_wakefd);
        tcp_ur_wakefd = -1;
    }
    atomic_store(&tcp_ur_mode, TCP_UR_UNDECIDED); /* decided again after the next startup */
    pthread_mutex_unlock(&tcp_ur_lock);
}
