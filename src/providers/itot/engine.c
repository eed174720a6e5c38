/* SPDX-License-Identifier: MIT */
/* engine — the provider's progress engine and the I/O helpers it shares with
 * the API calls.  One engine per provider (started with the first connection
 * or listener, stopped at the last WSPCleanup) over a level-triggered epoll
 * set of its own: it accepts TCP connections for listeners, reads TCP into
 * the state machine, flushes output queues (so a DR queued by a non-blocking
 * SendDisconnect goes out after every DT before it, D5/C11), closes TCP when
 * a release is done and runs the CR/DC timers.
 *
 * It has no thread of its own: its set is one descriptor in the process's
 * poll set (common/poll_home.c; libwsp's thread, shared with the other
 * providers), and each report of it runs one pass of the engine
 * (engine_proc).  A pass takes the whole batch its set has ready before it
 * drops any socket (the reap), as a thread looping on the set did; reports
 * of single sockets would not tell where a batch ends.  The timers' wake-up
 * is a timerfd in the set, armed for the earliest deadline.
 *
 * A wake-up costs what its own events cost, not a walk over every socket:
 * timers sit in a heap only the engine thread touches (timer_heap.c), and a
 * socket whose TCP was closed is put on a reap list by the closer, so idle
 * sockets are never looked at. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/sys.h"
#include "common/errmap.h"
#include "common/poll_home.h"
#include "conn_pool.h"
#include "conn_verify.h"
#include "provider.h"

#define ENG_BATCH 64
/* The engine sleeps at most this long, so that a timer at least this far
 * away can be filed at its next wake-up instead of waking it now (a
 * SendDisconnect's DC timer: one eventfd write and one wake-up less). */
#define ENG_MAX_SLEEP_MS 5000

static struct {
    pthread_mutex_t lock; /* registry, start/stop, the eventfd's writes */
    /* Held for a pass of the engine (engine_proc), and by itot_engine_stop
     * and fork() to wait for the pass that runs: lock order pass, socket,
     * registry. */
    pthread_mutex_t pass;
    atomic_bool started; /* written under lock; read without it by kick_link */
    int ep, evfd, tfd;   /* the engine's set, its wake-up and its timer */
    /* Where ep is watched (poll_home.c): the procedure's registration, the
     * set and the tag ep went in with. */
    DWORD home_id;
    int home_fd;
    uint64_t home_tag;
    /* Engine only: when tfd is armed to fire (0: not armed). */
    uint64_t armed_ms;
    struct itot_sock *reg_head;
    /* Sockets to service, pushed without a lock (kick_link): the data path
     * (a SendDisconnect's timer) takes no global lock. */
    _Atomic(struct itot_sock *) kick_head;
    /* When the engine's current (or next) epoll_wait ends at the latest,
     * published before it checks kick_head and sleeps: a socket whose new
     * deadline is no sooner needs no wake-up now (kick_timer). */
    _Atomic uint64_t wake_at_ms;
    struct itot_sock *reap_head; /* registered sockets whose TCP was closed */
    /* A write to evfd is unread: set by the signaller that writes it,
     * cleared by the engine when it reads it, before it looks at its lists.
     * Any number of kicks in between cost one write (a close kicked the
     * engine three times: the reap, the socket's service, its timer). */
    atomic_bool signalled;
    /* Engine thread only (and itot_engine_stop / the fork child, when no
     * engine thread runs): the registered sockets' timers. */
    struct timer_heap timers;
    /* Memory for the heap ran out once: from then on timers are also found
     * by a scan of the registry, as a fallback that cannot lose one. */
    bool timers_scan;
} eng = {.lock = PTHREAD_MUTEX_INITIALIZER,
         .pass = PTHREAD_MUTEX_INITIALIZER,
         .ep = -1,
         .evfd = -1,
         .tfd = -1,
         .home_fd = -1};

/* Is the caller the engine thread, the one running a pass now? (No
 * thread-local: a module's TLS in every thread that calls in outlives a
 * dlclose in glibc's DTV.) */
static _Atomic uintptr_t eng_self; /* the passing thread's pthread_self(), 0 if none */
static bool eng_is_engine_thread(void)
{
    return atomic_load_explicit(&eng_self, memory_order_relaxed) == (uintptr_t)pthread_self();
}

static void WSPAPI engine_proc(ULONG_PTR cookie, DWORD events);
static void timer_refresh(struct itot_sock *s);

/* Whether the engine reads s's input: not while a receiver polls the
 * descriptor, nor in direct mode (waiter.c) unless the state is one the
 * engine drives (connecting, closing, the peer's release) or something
 * other than a plain receive waits for input (they leave direct mode:
 * itot_input_to_engine), or overlapped sends wait: nobody else would read
 * the DR that ends them. A connection whose CR a blocking accept read
 * (CR_RCVD, queued: accept_direct.c) is read by its accepted socket's
 * calls, like one a blocking connect made. Our own release (DR_SENT)
 * stays with the thread that reads: its receive reads the peer's answer and
 * runs TS2 (waiter.c); if nobody reads, the close hands it over, and TS2 is
 * the engine's timer either way. Handing it over at the WSASendDisconnect
 * cost an epoll_ctl in the call and a wake-up of the engine for the
 * answer. */
static bool engine_reads(const struct itot_sock *s)
{
    if (s->direct_readers > 0)
        return false;
    bool direct_state = s->conn.state == CONN_S_OPEN || s->conn.state == CONN_S_DR_SENT ||
                        s->conn.state == CONN_S_CR_RCVD;
    return !s->input_direct || s->closing || !direct_state || s->ev_mask != 0 ||
           s->ovl_rx.head != NULL || s->ovl_tx.head != NULL;
}

static uint32_t interest(const struct itot_sock *s)
{
    /* A blocking WSPConnect drives its own handshake (waiter.c), a blocking
     * WSPAccept the wait for its connection's CR (accept_direct.c): the
     * engine watches nothing of it until the call ends. */
    if (s->fd < 0 || s->driven)
        return 0;
    /* A listener in direct mode: blocking accepts take its connections. */
    if (s->kind == ITOT_K_LISTEN)
        return !s->input_direct && itot_listen_may_accept(s, itot_now_ms()) ? EPOLLIN : 0;
    if (s->tcp_connecting)
        return EPOLLOUT;
    uint32_t ev = 0;
    if (s->has_conn && conn_rx_has_room(&s->conn) && engine_reads(s) && !itot_starved(s))
        ev |= EPOLLIN | EPOLLRDHUP;
    if (s->has_conn && conn_outq_len(&s->conn) > 0)
        ev |= EPOLLOUT;
    return ev;
}

/* An invariant of this file does not hold: say which and stop, rather than
 * run on with an engine that can no longer be woken. */
static _Noreturn void engine_bug(const char *what, int err)
{
    char msg[160];
    int n = snprintf(msg, sizeof msg, "wsp itot: %s: %s\n", what, strerror(err));
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        (void)w; /* nothing more to do if even stderr fails */
    }
    abort();
}

/* Wake the engine thread (eng.lock held, engine started).  The eventfd is
 * non-blocking, so the only expected failure is EAGAIN: its counter is at the
 * maximum, the engine has a wake-up pending that it has not read yet, which is
 * all a signal is for.  Anything else (EBADF, EINVAL) means eng.evfd is not a
 * live eventfd: a bug here, not a run-time condition. */
static void engine_signal_locked(void)
{
    /* A pass looks at its lists before it ends (timer_arm); others write
     * only the first signal the engine has not read. */
    if (eng_is_engine_thread() || atomic_exchange(&eng.signalled, true))
        return;
    const uint64_t one = 1;
    ssize_t w;
    do
        w = sys_write(eng.evfd, &one, sizeof one);
    while (w < 0 && errno == EINTR);
    if (w < 0 && errno != EAGAIN)
        engine_bug("engine eventfd write", errno);
    /* EAGAIN: the counter is full, so the engine wakes anyway; the next
     * kick writes again rather than trust a write that did not happen (a
     * failure the platform table injects has no pending wake-up behind it). */
    if (w < 0)
        atomic_store(&eng.signalled, false);
}

/* Have the engine look at s: push s on the kick list, without a lock (a
 * Treiber stack the engine empties at once with an exchange, so no ABA).
 * `kicked` keeps s on the list once: it is cleared by the engine only after
 * it has read kick_next, so no push can overwrite a link still needed. The
 * engine services s after it takes the list, so the kicker's change, made
 * under s's lock, is seen. No engine (stopped): nothing to do; the last
 * cleanup has closed every socket by then. */
static void kick_link(struct itot_sock *s)
{
    if (!atomic_load(&eng.started) || atomic_exchange(&s->kicked, true))
        return;
    itot_sock_ref(s);
    struct itot_sock *h = atomic_load(&eng.kick_head);
    do
        s->kick_next = h;
    while (!atomic_compare_exchange_weak(&eng.kick_head, &h, s));
}

/* Wake the engine now. The write is made under eng.lock: itot_engine_stop
 * clears `started` and closes the eventfd under the same lock, so a kicker
 * never writes into a closed (or already reused) descriptor. */
static void kick_signal(void)
{
    pthread_mutex_lock(&eng.lock);
    if (atomic_load(&eng.started))
        engine_signal_locked();
    pthread_mutex_unlock(&eng.lock);
}

static void kick_locked(struct itot_sock *s)
{
    kick_link(s);
    if (atomic_load(&eng.started))
        engine_signal_locked();
}

static void kick(struct itot_sock *s)
{
    kick_link(s);
    kick_signal();
}

/* s's deadline became d (0: none): the engine must file it before it is
 * due. A deadline no sooner than the engine's wake-up is filed then: s is
 * linked, the engine not woken, no lock taken. The engine publishes
 * wake_at_ms and then looks at kick_head before it sleeps (seq_cst both
 * sides): it sees this push, or this reads the time of that sleep. */
static void kick_timer(struct itot_sock *s, uint64_t d)
{
    kick_link(s);
    if (d != 0 && d < atomic_load(&eng.wake_at_ms))
        kick_signal();
}

/* Arm the engine's timer to fire at `at` (itot_now_ms's clock): 0, or -1
 * and armed_ms unchanged. */
static int timer_set(uint64_t at)
{
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(at / 1000), .tv_nsec = (long)(at % 1000) * 1000000L}};
    if (sys_timerfd_settime(eng.tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
        return -1;
    eng.armed_ms = at;
    return 0;
}

/* The report data of the engine's set in the home set, and of its timer in
 * its own set (its eventfd's is NULL, a socket's the socket). */
#define ENG_COOKIE 1
#define ENG_TIMER_MARK ((void *)&eng.tfd)

static void engine_close_fds(void)
{
    if (eng.ep >= 0)
        sys_close(eng.ep);
    if (eng.evfd >= 0)
        sys_close(eng.evfd);
    if (eng.tfd >= 0)
        sys_close(eng.tfd);
    eng.ep = eng.evfd = eng.tfd = -1;
}

static int engine_start_locked(void)
{
    if (eng.started)
        return 0;
    eng.ep = sys_epoll_create1(EPOLL_CLOEXEC);
    eng.evfd = sys_eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    eng.tfd = sys_timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (eng.ep < 0 || eng.evfd < 0 || eng.tfd < 0)
        goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    struct epoll_event tv = {.events = EPOLLIN, .data.ptr = ENG_TIMER_MARK};
    if (sys_epoll_ctl(eng.ep, EPOLL_CTL_ADD, eng.evfd, &ev) != 0 ||
        sys_epoll_ctl(eng.ep, EPOLL_CTL_ADD, eng.tfd, &tv) != 0)
        goto fail;
    atomic_store(&eng.signalled, false);
    /* Armed from the start, as a first pass would arm it: until the engine
     * has passed, a kicker compares its deadline with this wake-up
     * (kick_timer), not with a stale one of an earlier engine. */
    uint64_t first = itot_now_ms() + ENG_MAX_SLEEP_MS;
    if (timer_set(first) != 0)
        goto fail;
    atomic_store(&eng.wake_at_ms, first);
    /* Nothing in the set is ready yet (no kick before `started`), so no
     * report can come before the engine is started below. */
    if (poll_home_take(engine_proc, &eng.home_id, &eng.home_fd, &eng.home_tag) != 0)
        goto fail;
    struct epoll_event hv = {.events = EPOLLIN, .data.u64 = eng.home_tag | ENG_COOKIE};
    if (sys_epoll_ctl(eng.home_fd, EPOLL_CTL_ADD, eng.ep, &hv) != 0)
        goto fail;
    eng.started = true;
    return 0;
fail:
    engine_close_fds();
    return WSAENOBUFS;
}

int itot_engine_add(struct itot_sock *s)
{
    pthread_mutex_lock(&eng.lock);
    int err = engine_start_locked();
    if (err == 0) {
        /* Nothing asked for: not in the set (update_interest says why). */
        s->ep_events = interest(s);
        struct epoll_event ev = {.events = s->ep_events, .data.ptr = s};
        if (s->ep_events != 0 && sys_epoll_ctl(eng.ep, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
            err = errmap_from_errno(errno);
        } else {
            itot_sock_ref(s);
            s->registered = true;
            s->reg_prev = NULL;
            s->reg_next = eng.reg_head;
            if (eng.reg_head)
                eng.reg_head->reg_prev = s;
            eng.reg_head = s;
            /* A timer is filed by the engine thread: have it look at s even
             * if its TCP stays silent (the engine files its own additions). */
            if (atomic_load(&s->deadline_ms) != 0 && !eng_is_engine_thread())
                kick_locked(s);
        }
    }
    pthread_mutex_unlock(&eng.lock);
    return err;
}

/* Bring the kernel's interest in s->fd to interest(s).  ep_events records
 * what the kernel really has, and 0 means the descriptor is not in the set at
 * all: epoll reports EPOLLHUP and EPOLLERR whether asked for or not, and
 * level-triggered, so a dead TCP left in the set with nothing asked for (its
 * store full, a reader polling it directly) would wake the engine in a loop
 * until somebody reads.  Taken out, it is heard of when it is asked again.
 * Recording the wanted set after a failed
 * epoll_ctl (ENOMEM, ENOSPC) would leave a connection waiting for an EPOLLOUT
 * (EPOLLIN) that was never asked for, and both ends would wait for good.  So a
 * refused change takes the descriptor out of the set (DEL allocates nothing)
 * and leaves the change pending: sock_deadline then arms a short retry timer,
 * and the retry's MOD, finding no entry (ENOENT), adds it.  Out of the set,
 * the socket cannot wake the engine in a loop while the shortage lasts (the old
 * level-triggered interest could, for a refused removal of EPOLLOUT). */
static uint32_t update_interest(struct itot_sock *s)
{
    if (!s->registered || s->fd < 0)
        return s->ep_events;
    uint32_t want = interest(s);
    if (want == s->ep_events)
        return want;
    struct epoll_event ev = {.events = want, .data.ptr = s};
    int rc = -1;
    if (want != 0) {
        rc = sys_epoll_ctl(eng.ep, s->ep_events != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s->fd, &ev);
        /* MOD of an entry a refused change took out; ADD of one still in */
        if (rc != 0 && (errno == ENOENT || errno == EEXIST))
            rc = sys_epoll_ctl(eng.ep, errno == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, s->fd, &ev);
    }
    if (rc == 0)
        s->ep_events = want;
    else if (sys_epoll_ctl(eng.ep, EPOLL_CTL_DEL, s->fd, NULL) == 0 || errno == ENOENT)
        s->ep_events = 0;
    return want;
}

/* Retry period of an interest change the kernel refused: short enough that a
 * passing shortage costs a connection milliseconds, long enough that a lasting
 * one does not make the engine spin. */
#define ENG_INTEREST_RETRY_MS 10

/* The socket's next timer: its connection's, or a listener's own (listen.c),
 * or sooner the retry of an interest change still pending (update_interest)
 * or of a read that found no buffer (itot_starved: the same reasoning, for a
 * shortage of memory).  `want` is the interest s should have (interest());
 * `now` the caller's clock, or 0: read it only if needed (the plain update
 * of a connection needs none, and it runs two or three times per send and
 * receive). */
static uint64_t sock_deadline(const struct itot_sock *s, uint32_t want, uint64_t now)
{
    /* driven: the connecting or accepting thread runs the timer itself. */
    uint64_t d = s->kind == ITOT_K_LISTEN
                     ? itot_listen_deadline(s, now != 0 ? now : (now = itot_now_ms()))
                 : s->has_conn && !s->driven ? s->conn.deadline_ms
                                             : 0;
    bool refused = s->fd >= 0 && s->ep_events != want;
    if (s->registered && (refused || itot_starved(s))) {
        uint64_t retry = (now != 0 ? now : itot_now_ms()) + ENG_INTEREST_RETRY_MS;
        if (d == 0 || retry < d)
            d = retry;
    }
    return d;
}

/* A listener's interest and timer after its pending set changed (lock held).
 * Off the engine thread a new deadline needs the engine to file it. */
void itot_listen_refresh(struct itot_sock *l)
{
    uint64_t d = sock_deadline(l, update_interest(l), 0);
    atomic_store(&l->deadline_ms, d);
    if (!eng_is_engine_thread() && l->registered && d != atomic_load(&l->timer_filed_ms))
        kick(l);
}

void itot_engine_update(struct itot_sock *s)
{
    if (!s->registered)
        return;
    uint64_t d = sock_deadline(s, update_interest(s), 0);
    uint64_t old = atomic_exchange(&s->deadline_ms, d);
    /* Only a live TCP leaves the engine work to do now: a registered socket
     * without one is on the reap list already (close_tcp), dropped at the
     * next pass. */
    bool now = s->fd >= 0 &&
               (s->closing ||
                (s->has_conn && (s->conn.close_tcp || (s->conn.half_close && !s->tcp_wr_shut))));
    if (now)
        kick(s);
    else if (d != old || d != atomic_load(&s->timer_filed_ms))
        kick_timer(s, d);
}

/* Close TCP (lock held); the engine reaps the registration later. */
static void close_tcp(struct itot_sock *s)
{
    if (s->fd < 0)
        return;
    int fd = s->fd;
    /* Out of the set before the close: a fork's child may hold the same
     * socket open, and the entry would stay.  Only when it is in the set
     * (ep_events says so): a DEL of no entry is a wasted call. */
    if (s->registered && s->ep_events != 0)
        sys_epoll_ctl(eng.ep, EPOLL_CTL_DEL, fd, NULL);
    /* -1 before the close: a fork's child, which reads fd without the lock,
     * then never sees a number this process has already closed (and maybe
     * reused), only -1 or its own copy of the socket. */
    s->fd = -1;
    sys_close(fd);
    s->ep_events = 0;
    atomic_store(&s->fd_closed, true);
    /* The engine drops the registration (registry lock after the socket's)
     * at its next pass, without a wake-up of its own: nothing waits for
     * it, and the closed socket costs the engine nothing meanwhile (its
     * descriptor is out of the set; a pass comes at the latest with the
     * timer, ENG_MAX_SLEEP_MS).  A wake-up per closed connection was an
     * eventfd write and a pass for nothing. */
    pthread_mutex_lock(&eng.lock);
    if (s->registered && !s->reap_linked && eng.started) {
        s->reap_linked = true;
        s->reap_next = eng.reap_head;
        eng.reap_head = s;
    }
    pthread_mutex_unlock(&eng.lock);
}

void itot_engine_replace_fd(struct itot_sock *s, int fd)
{
    int old = s->fd;
    if (old >= 0) {
        if (s->registered && s->ep_events != 0)
            sys_epoll_ctl(eng.ep, EPOLL_CTL_DEL, old, NULL);
        s->fd = -1; /* as in close_tcp: never a closed number for a fork's child */
        sys_close(old);
    }
    s->fd = fd;
    s->ep_events = 0;
    if (s->registered) {
        s->ep_events = interest(s);
        struct epoll_event ev = {.events = s->ep_events, .data.ptr = s};
        if (s->ep_events != 0 && sys_epoll_ctl(eng.ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            s->ep_events = 0; /* only ENOMEM/ENOSPC: the timer (TS1) still ends the wait */
    }
}

/* MSG_MORE when a FIN follows the queue at once (class 0 release): the
 * kernel holds the last partial segment and shutdown() sends it with the
 * FIN, one segment instead of two. Partial writes are no risk: the loop, or
 * the next flush, writes the rest, and the shutdown comes when it is out. */
static int fin_follows(const struct itot_sock *s)
{
    return s->conn.half_close && !s->tcp_wr_shut && !s->conn.close_tcp ? MSG_MORE : 0;
}

/* One sendmsg of the head of the output queue (the queue is not empty). */
static ssize_t outq_send(struct itot_sock *s)
{
    const uint8_t *span[2];
    size_t len[2];
    int k = conn_outq_peek(&s->conn, span, len);
    struct iovec iov[2];
    for (int i = 0; i < k; i++) {
        iov[i].iov_base = (void *)(uintptr_t)span[i];
        iov[i].iov_len = len[i];
    }
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)k};
    return sys_sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT | fin_follows(s));
}

/* What is queued can never be delivered (a send failed with e).  The
 * peer's TCP gone is its end; a failure of our own (ENOBUFS, ...) is no act
 * of the peer, and the queued TSDUs cannot be withdrawn: this side aborts
 * (as a read failing for a local reason does, pull_once). */
static void outq_failed(struct itot_sock *s, int e)
{
    if (s->so_error == 0)
        s->so_error = errmap_from_errno(e);
    conn_outq_consume(&s->conn, conn_outq_len(&s->conn));
    if (s->conn.state == CONN_S_OPEN && !itot_peer_tcp_failed(e))
        conn_abort(&s->conn, false);
    else
        conn_eof(&s->conn);
}

/* TCP's connect ended (lock held): err 0, connected; else it failed with
 * err (errno), the connection's failure too. */
static void tcp_connect_ended(struct itot_sock *s, int err)
{
    s->tcp_connecting = false;
    if (err != 0) {
        s->so_error = errmap_from_errno(err);
        conn_tcp_failed(&s->conn, s->so_error);
    }
}

/* The errors of a connect that failed (connect(2), and what ICMP reports):
 * what SO_ERROR would have said, which a send returns instead. */
static bool connect_error(int e)
{
    static const int errs[] = {ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EHOSTUNREACH,
                               EHOSTDOWN,    EACCES,    EPERM};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        if (errs[i] == e)
            return true;
    return false;
}

bool itot_connect_try(struct itot_sock *s)
{
    if (s->fd < 0 || !s->tcp_connecting || !s->has_conn || conn_outq_len(&s->conn) == 0)
        return false;
    /* Linux: a send on a TCP socket whose connect is still under way fails
     * with EAGAIN (non-blocking) and takes nothing; on a failed connect it
     * returns the connect's error, as SO_ERROR would. */
    ssize_t w = outq_send(s);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return false;
    int e = w < 0 ? errno : 0;
    bool failed = connect_error(e);
    tcp_connect_ended(s, failed ? e : 0);
    if (w >= 0) {
        conn_outq_consume(&s->conn, (size_t)w);
        itot_flush(s); /* what the first send left, if anything */
    } else if (!failed) {
        outq_failed(s, e); /* connected; the send itself failed */
    }
    itot_apply(s);
    return true;
}

void itot_flush(struct itot_sock *s)
{
    if (s->fd < 0 || s->tcp_connecting || !s->has_conn)
        return;
    bool freed = false;
    while (conn_outq_len(&s->conn) > 0) {
        ssize_t w = outq_send(s);
        if (w > 0) {
            conn_outq_consume(&s->conn, (size_t)w);
            freed = true;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        outq_failed(s, errno);
        break;
    }
    if (freed)
        itot_wake(s); /* blocked senders wait for room */
}

/* Feed the input held to the state machine; an emptied input buffer goes
 * back to the pool. */
static void feed(struct itot_sock *s, uint64_t now)
{
    size_t used = conn_input(&s->conn, s->in, s->in_len, now);
    memmove(s->in, s->in + used, s->in_len - used);
    s->in_len -= used;
    itot_in_release(s);
}

static void pull_once(struct itot_sock *s, uint64_t now)
{
    s->in_starved = false;
    if (s->in_len > 0)
        feed(s, now);
    if (s->fd < 0 || s->tcp_connecting || !conn_rx_has_room(&s->conn) || s->conn.starved)
        return;
    if (s->in_len >= ITOT_IN_CAP)
        return;
    /* The buffer before the read: octets taken from TCP must have a place. */
    if (s->in == NULL && (s->in = conn_pool_take(ITOT_IN_CAP)) == NULL) {
        s->in_starved = true;
        return;
    }
    ssize_t n = sys_recv(s->fd, s->in + s->in_len, ITOT_IN_CAP - s->in_len, MSG_DONTWAIT);
    if (n > 0) {
        s->in_len += (size_t)n;
        feed(s, now);
        return;
    }
    int e = errno; /* a free may change it */
    itot_in_release(s);
    errno = e;
    if (n == 0) {
        conn_eof(&s->conn);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        if (s->so_error == 0)
            s->so_error = errmap_from_errno(errno);
        /* The peer's TCP failed (reset): a disconnect, as documented
         * (WSP_ITOT_PEER_END tells it from a DR).  Any other error is this
         * side's own and no act of the peer: on an open connection conn_eof
         * would invent a disconnect (recv 0) with the peer's data lost. */
        if (s->conn.state == CONN_S_OPEN && !itot_peer_tcp_failed(errno))
            conn_abort(&s->conn, false);
        else
            conn_eof(&s->conn);
    }
}

bool itot_peer_tcp_failed(int err)
{
    /* A timeout after ICMP said the peer or its network was unreachable is
     * reported with that error instead of ETIMEDOUT (the socket's soft
     * error): the connection is as dead. */
    return err == ECONNRESET || err == EPIPE || err == ETIMEDOUT || err == EHOSTUNREACH ||
           err == ENETUNREACH || err == EHOSTDOWN;
}

/* itot_pull with the caller's clock. */
static void pull_at(struct itot_sock *s, uint64_t now)
{
    if (!s->has_conn)
        return;
    pull_once(s, now);
    /* An API call's read that found no buffer: have the engine retry it
     * (the engine's own reads re-arm in service). */
    if (itot_starved(s) && !eng_is_engine_thread())
        itot_engine_update(s);
}

void itot_pull(struct itot_sock *s)
{
    pull_at(s, itot_now_ms());
}

/* A pending connection's CR arrived: queue it on its listener for WSPAccept. */
static void offer_to_listener(struct itot_sock *s)
{
    struct itot_sock *l = s->pend.listener;
    if (l == NULL)
        return;
    pthread_mutex_lock(&l->lock);
    itot_listen_unsilence(l, s); /* no longer evictable */
    itot_listen_refresh(l);
    if (l->closing) {
        pthread_mutex_unlock(&l->lock);
        conn_reject(&s->conn, WSP_ITOT_DR_NOT_ATTACHED, NULL, 0);
        return;
    }
    itot_sock_ref(s);
    /* An AcceptEx waiting on the listener takes it at once (extension.c). */
    struct ovl_op *op = itot_ext_accept_waiting(l);
    if (op != NULL) {
        pthread_mutex_unlock(&l->lock);
        itot_ext_accept_into(l, s, op);
        return;
    }
    itot_listen_enqueue(l, s);
    itot_post_event(l, FD_ACCEPT, 0);
    itot_wake(l);
    pthread_mutex_unlock(&l->lock);
}

/* A pending connection died before WSPAccept took it: free its slot. */
static void release_pending_slot(struct itot_sock *s)
{
    struct itot_sock *l = s->pend.listener;
    if (l == NULL || s->handle != INVALID_SOCKET)
        return;
    pthread_mutex_lock(&l->lock);
    itot_listen_unsilence(l, s);
    itot_listen_uncount(l, s);
    itot_listen_refresh(l);
    pthread_mutex_unlock(&l->lock);
}

/* The state machine's events, a few rounds while acting on them makes more. */
static inline __attribute__((always_inline)) void apply_events(struct itot_sock *s)
{
    for (int round = 0; round < 4; round++) {
        unsigned ev = conn_take_events(&s->conn);
        if (ev & CONN_EV_OUTPUT)
            itot_flush(s);
        /* A default CR refused for its parameters: one retry as a plain
         * class 0 CR on a new TCP connection; the user sees only its outcome. */
        if ((ev & (CONN_EV_REFUSED | CONN_EV_ABORTED)) && s->conn.fb_kind != CONN_FB_NONE &&
            itot_fallback_try(s)) {
            ev = conn_take_events(&s->conn);
            if (ev & CONN_EV_OUTPUT)
                itot_flush(s);
        }
        if (ev & CONN_EV_CONNECTED) {
            s->connected_ms = itot_now_ms(); /* SO_CONNECT_TIME */
            itot_post_event(s, FD_CONNECT, 0);
            itot_post_event(s, FD_WRITE, 0);
        }
        if (ev & (CONN_EV_REFUSED | CONN_EV_ABORTED)) {
            if (s->so_error == 0)
                s->so_error = s->conn.error;
            if (s->conn.role == CONN_INITIATOR && !(ev & CONN_EV_CONNECTED) && s->conn.cls < 0)
                itot_post_event(s, FD_CONNECT, s->conn.error);
            else
                itot_post_event(s, FD_CLOSE, s->conn.error);
        }
        if (ev & CONN_EV_CR_RECEIVED)
            offer_to_listener(s);
        if (ev & CONN_EV_TSDU)
            itot_post_event(s, FD_READ, 0);
        if (ev & CONN_EV_DISCONNECTED)
            itot_post_event(s, FD_CLOSE, 0);
        if (ev & CONN_EV_RELEASED)
            itot_post_event(s, FD_CLOSE, 0);
        if (ev)
            itot_wake(s);
        bool drained = conn_outq_len(&s->conn) == 0;
        if (s->fd >= 0 && s->conn.half_close && drained && !s->tcp_wr_shut && !s->conn.close_tcp) {
            sys_shutdown(s->fd, SHUT_WR); /* the FIN follows the DR; reading goes on */
            s->tcp_wr_shut = true;
        }
        if (s->fd >= 0 && (s->conn.close_now || (s->conn.close_tcp && drained))) {
            close_tcp(s);
            conn_eof(&s->conn); /* class 0 release ends here; no-op when already closed */
            release_pending_slot(s);
            continue;
        }
        if (!ev)
            break;
    }
}

void itot_apply(struct itot_sock *s)
{
    if (!s->has_conn)
        return;
    apply_events(s);
    /* Overlapped operations waiting for what just changed complete here,
     * directly from the receive and flush paths (overlapped.c); what they do
     * in turn (input pulled in, a DR queued, TCP failing) is applied before
     * they look again. One test on the plain path. */
    for (int i = 0; i < 4 && (s->ovl_rx.head != NULL || s->ovl_tx.head != NULL); i++) {
        itot_ovl_progress(s);
        if (s->conn.events == 0)
            break;
        apply_events(s);
    }
    CONN_VERIFY(&s->conn);
}

/* accept4 one TCP connection for l (its lock held) and make it a pending
 * connection, counted in l's n_pending, not yet registered: one reference,
 * or NULL (*again: an accept error that leaves the next connection worth a
 * try). */
static struct itot_sock *accept_tcp(struct itot_sock *l, uint64_t now, bool *again)
{
    *again = false;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = sys_accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        *again = itot_listen_accept_failed(l, errno, now);
        return NULL;
    }
    l->lst.accept_backoff_ms = 0; /* accepting works again */
    itot_listen_reserve_open(l);  /* used up (or never had) while out of descriptors */
    /* TCP_NODELAY and SO_KEEPALIVE come from the listener (listen.c,
     * itot_listen_prepare_fd): no call per connection. */
    struct itot_sock *c = itot_sock_alloc(l->af, l->proto, fd);
    if (c == NULL) {
        sys_close(fd);
        return NULL;
    }
    c->cfg = l->cfg;
    itot_addr_set(&c->peer, &ss);
    c->peer_len = sl;
    itot_listen_local_of(l, fd, c);
    if (itot_sock_start_conn(c, CONN_RESPONDER) != 0) {
        itot_sock_unref(c);
        return NULL;
    }
    /* The listener's CR wait, not TS1: a silent peer holds a slot (listen.c). */
    if (l->lst.cr_wait_ms)
        conn_limit_cr_wait(&c->conn, now + l->lst.cr_wait_ms);
    itot_sock_ref(l);
    c->pend.listener = l;
    c->pend.accepted_ms = now;
    l->lst.n_pending++;
    c->pend.counted = true;
    return c;
}

/* Accept TCP connections for a listener (its lock held); silent connections
 * to close once the lock is released go to ev (listen.c). */
static void accept_pending(struct itot_sock *l, uint64_t now, struct itot_evict *ev)
{
    while (ev->n < ITOT_EVICT_BATCH && itot_listen_may_accept(l, now)) {
        bool again;
        struct itot_sock *c = accept_tcp(l, now, &again);
        if (c == NULL) {
            if (again)
                continue;
            break;
        }
        atomic_store(&c->deadline_ms, c->conn.deadline_ms);
        /* Nobody else knows c yet: registering it without its lock is safe. */
        if (itot_engine_add(c) != 0) {
            itot_listen_uncount(l, c);
            itot_sock_unref(c);
            break;
        }
        timer_refresh(c); /* the CR wait, filed by us: this is the engine thread */
        itot_listen_admit(l, c, now, ev);
        itot_sock_unref(c); /* the engine's reference keeps it */
    }
    itot_listen_refresh(l);
}

struct itot_sock *itot_listen_take(struct itot_sock *l, uint64_t now)
{
    struct itot_sock *c = NULL;
    bool again = true;
    while (c == NULL && again && itot_listen_may_accept(l, now))
        c = accept_tcp(l, now, &again);
    if (c != NULL) {
        /* Registered with nothing asked for and no deadline (interest,
         * sock_deadline): no epoll_ctl, no wake-up of the engine. */
        c->driven = true;
        if (itot_engine_add(c) != 0) {
            itot_listen_uncount(l, c);
            itot_sock_unref(c);
            c = NULL;
        }
    }
    itot_listen_refresh(l);
    return c;
}

void itot_progress(struct itot_sock *s, uint32_t events, uint64_t now)
{
    if (s->has_conn && s->fd >= 0) {
        if (s->tcp_connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            int err = 0;
            socklen_t el = sizeof err;
            sys_getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
            tcp_connect_ended(s, err);
        }
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) || itot_starved(s))
            pull_at(s, now);
        itot_flush(s);
    }
    if (s->has_conn) {
        conn_timer(&s->conn, now);
        itot_apply(s);
    }
}

static void service(struct itot_sock *s, uint32_t events)
{
    pthread_mutex_lock(&s->lock);
    /* One clock read for the pass (the deadlines it files are in ms). */
    uint64_t now = itot_now_ms();
    if (s->kind == ITOT_K_LISTEN) {
        struct itot_evict ev = {.n = 0};
        if (s->closing) {
            close_tcp(s);
            itot_listen_reserve_close(s);
        } else if (s->fd >= 0) {
            /* Also without EPOLLIN: a timer (pause over, a silent connection
             * now evictable) may have made room for what the kernel queued. */
            itot_listen_tick(s, now, &ev);
            if (!s->input_direct) /* else blocking accepts take them */
                accept_pending(s, now, &ev);
        }
        atomic_store(&s->deadline_ms, sock_deadline(s, interest(s), now));
        timer_refresh(s);
        pthread_mutex_unlock(&s->lock);
        itot_listen_evict(&ev);
        return;
    }
    itot_progress(s, events, now);
    atomic_store(&s->deadline_ms, sock_deadline(s, update_interest(s), now));
    timer_refresh(s);
    pthread_mutex_unlock(&s->lock);
}

#define SOCK_OF_TIMER(e)                                                                           \
    ((struct itot_sock *)(void *)((char *)(e)-offsetof(struct itot_sock, timer)))

/* File s's current deadline (engine thread). A registered socket with a
 * deadline is in the heap under that deadline; any other is not. */
static void timer_refresh(struct itot_sock *s)
{
    uint64_t d = s->registered ? atomic_load(&s->deadline_ms) : 0;
    if (d == 0) {
        timer_heap_remove(&eng.timers, &s->timer);
    } else if (timer_heap_set(&eng.timers, &s->timer, d) != 0) {
        eng.timers_scan = true; /* out of memory: the scan finds it */
        d = 0;
    }
    atomic_store(&s->timer_filed_ms, d);
}

/* The heap's top, after re-filing entries whose socket moved its deadline
 * without the engine hearing of it (e.g. a listener changed by an API call
 * that kicked it, before the kick was serviced). */
static struct timer_entry *timer_next(void)
{
    struct timer_entry *t;
    while ((t = timer_heap_top(&eng.timers)) != NULL) {
        struct itot_sock *s = SOCK_OF_TIMER(t);
        if (atomic_load(&s->deadline_ms) == t->at)
            return t;
        timer_refresh(s);
    }
    return NULL;
}

/* The earliest deadline by walking the registry: only once the heap could
 * not grow (timers_scan). */
static uint64_t scan_next_deadline(void)
{
    uint64_t min = 0;
    pthread_mutex_lock(&eng.lock);
    for (struct itot_sock *s = eng.reg_head; s; s = s->reg_next) {
        uint64_t d = atomic_load(&s->deadline_ms);
        if (d && (min == 0 || d < min))
            min = d;
    }
    pthread_mutex_unlock(&eng.lock);
    return min;
}

/* Arm the timer for the earliest deadline, at most ENG_MAX_SLEEP_MS away
 * (engine).  A later deadline than the one armed changes nothing: the timer
 * fires early, the pass finds nothing due and arms it again; so a pass costs a
 * timerfd_settime only when a deadline comes sooner.  true when the engine
 * must pass again now: a deadline is due, or a socket was kicked. */
static bool timer_arm(void)
{
    uint64_t now = itot_now_ms();
    struct timer_entry *t = timer_next();
    uint64_t min = t != NULL ? t->at : 0;
    if (eng.timers_scan) {
        uint64_t m = scan_next_deadline();
        if (m && (min == 0 || m < min))
            min = m;
    }
    if (min != 0 && min <= now)
        return true;
    uint64_t want = min != 0 && min - now < ENG_MAX_SLEEP_MS ? min : now + ENG_MAX_SLEEP_MS;
    /* armed_ms 0 (fired) or past: not armed for anything ahead */
    if ((eng.armed_ms <= now || want < eng.armed_ms) && timer_set(want) != 0)
        return true; /* not armed: pass again rather than miss the deadline */
    /* A socket linked since the kick list was taken is serviced now; any
     * later one sees this wake-up time (kick_timer). */
    atomic_store(&eng.wake_at_ms, eng.armed_ms);
    if (atomic_load(&eng.kick_head) != NULL) {
        atomic_store(&eng.wake_at_ms, now);
        return true;
    }
    return false;
}

/* Sockets whose timer expired, with a reference each (at most max). */
static int collect_expired(struct itot_sock **out, int max)
{
    uint64_t now = itot_now_ms();
    int n = 0;
    struct timer_entry *t;
    while (n < max && (t = timer_next()) != NULL && t->at <= now) {
        struct itot_sock *s = SOCK_OF_TIMER(t);
        timer_heap_remove(&eng.timers, t); /* service files it again */
        atomic_store(&s->timer_filed_ms, 0);
        itot_sock_ref(s);
        out[n++] = s;
    }
    if (eng.timers_scan && n < max) {
        pthread_mutex_lock(&eng.lock);
        for (struct itot_sock *s = eng.reg_head; s && n < max; s = s->reg_next) {
            uint64_t d = atomic_load(&s->deadline_ms);
            if (d && d <= now && !timer_heap_has(&s->timer)) {
                itot_sock_ref(s);
                out[n++] = s;
            }
        }
        pthread_mutex_unlock(&eng.lock);
    }
    return n;
}

/* Registered sockets whose TCP was closed, off the registry; the
 * registration's reference moves to the caller (at most max). */
static int collect_reaped(struct itot_sock **out, int max)
{
    int n = 0;
    pthread_mutex_lock(&eng.lock);
    while (n < max && eng.reap_head != NULL) {
        struct itot_sock *s = eng.reap_head;
        eng.reap_head = s->reap_next;
        s->reap_linked = false;
        if (s->reg_prev)
            s->reg_prev->reg_next = s->reg_next;
        else
            eng.reg_head = s->reg_next;
        if (s->reg_next)
            s->reg_next->reg_prev = s->reg_prev;
        out[n++] = s;
    }
    pthread_mutex_unlock(&eng.lock);
    return n;
}

/* One pass: what the engine's set has ready (the whole batch before any
 * socket is dropped), the kicked sockets, the expired timers, then the
 * reaped registrations. */
static void engine_pass(void)
{
    struct epoll_event evs[ENG_BATCH];
    struct itot_sock *batch[ENG_BATCH];
    int n = sys_epoll_wait(eng.ep, evs, ENG_BATCH, 0);
    for (int i = 0; i < n; i++) {
        uint64_t v;
        if (evs[i].data.ptr == ENG_TIMER_MARK) {
            if (sys_read(eng.tfd, &v, sizeof v) == (ssize_t)sizeof v)
                eng.armed_ms = 0; /* fired: timer_arm arms it again */
            continue;
        }
        if (evs[i].data.ptr == NULL) {
            ssize_t r = sys_read(eng.evfd, &v, sizeof v);
            (void)r;
            /* before the lists are looked at: a kick after this writes */
            atomic_store(&eng.signalled, false);
            continue;
        }
        service(evs[i].data.ptr, evs[i].events);
    }
    /* Sockets the API calls asked us to look at. */
    struct itot_sock *k = atomic_exchange(&eng.kick_head, NULL);
    while (k) {
        /* kicked stays true until here, so no kick can re-link k (and
         * overwrite kick_next) while it is on this private list. */
        struct itot_sock *next = k->kick_next;
        atomic_store(&k->kicked, false);
        service(k, 0);
        itot_sock_unref(k);
        k = next;
    }
    int m = collect_expired(batch, ENG_BATCH);
    for (int i = 0; i < m; i++) {
        service(batch[i], 0);
        itot_sock_unref(batch[i]);
    }
    while ((m = collect_reaped(batch, ENG_BATCH)) > 0) {
        for (int i = 0; i < m; i++) {
            pthread_mutex_lock(&batch[i]->lock);
            batch[i]->registered = false;
            timer_refresh(batch[i]); /* out of the heap */
            pthread_mutex_unlock(&batch[i]->lock);
            itot_sock_unref(batch[i]);
        }
    }
}

/* Passes in a row before the engine lets the home's thread run the other
 * providers' reports: work that keeps coming (kicks, due timers) then waits
 * one round of the home set, as the engine's own descriptors do. */
#define ENG_PASSES 16

/* A report of the engine's set in the home set (its thread): pass while
 * there is work, if the engine runs; a report fetched before a stop finds it
 * stopped and does nothing. */
static void WSPAPI engine_proc(ULONG_PTR cookie, DWORD events)
{
    (void)cookie;
    (void)events;
    pthread_mutex_lock(&eng.pass);
    if (atomic_load(&eng.started)) {
        atomic_store_explicit(&eng_self, (uintptr_t)pthread_self(), memory_order_relaxed);
        int passes = 0;
        do
            engine_pass();
        while (timer_arm() && ++passes < ENG_PASSES);
        atomic_store_explicit(&eng_self, 0, memory_order_relaxed);
        /* Left with work: a signal brings the engine back at the next round
         * (this thread is no longer the engine, so it writes). */
        if (passes == ENG_PASSES)
            kick_signal();
    }
    pthread_mutex_unlock(&eng.pass);
}

void itot_engine_stop(void)
{
    /* After the pass that runs, if one does: no pass runs again (a report
     * already fetched finds the engine stopped). */
    pthread_mutex_lock(&eng.pass);
    pthread_mutex_lock(&eng.lock);
    bool was = eng.started;
    if (was) {
        sys_epoll_ctl(eng.home_fd, EPOLL_CTL_DEL, eng.ep, NULL);
        eng.started = false;
    }
    pthread_mutex_unlock(&eng.lock);
    pthread_mutex_unlock(&eng.pass);
    /* Returns when the home's thread runs our procedure no more: this module
     * may be unloaded next.  Also when the engine never started: a start
     * may have registered and then failed. */
    poll_home_leave(&eng.home_id);
    eng.home_fd = -1;
    if (!was)
        return;

    /* No pass now: the timers and reap list are ours to drop (every socket
     * on them is on the registry, whose references go below). */
    timer_heap_clear(&eng.timers);
    eng.timers_scan = false;
    pthread_mutex_lock(&eng.lock);
    for (struct itot_sock *r = eng.reap_head; r != NULL; r = r->reap_next)
        r->reap_linked = false;
    eng.reap_head = NULL;
    struct itot_sock *reg = eng.reg_head, *kicks = atomic_exchange(&eng.kick_head, NULL);
    eng.reg_head = NULL;
    engine_close_fds();
    pthread_mutex_unlock(&eng.lock);
    while (kicks) {
        struct itot_sock *next = kicks->kick_next;
        atomic_store(&kicks->kicked, false);
        itot_sock_unref(kicks);
        kicks = next;
    }
    /* Whatever is still releasing is cut short: the provider is going away. */
    while (reg) {
        struct itot_sock *next = reg->reg_next;
        pthread_mutex_lock(&reg->lock);
        reg->registered = false;
        if (reg->fd >= 0) {
            sys_close(reg->fd);
            reg->fd = -1;
        }
        /* A pending connection still in an accept queue holds a reference to
         * its listener and the listener one to it: break that cycle. */
        pthread_mutex_unlock(&reg->lock);
        itot_sock_unref(reg);
        reg = next;
    }
}

/* ---- fork ------------------------------------------------------------------
 * The engine belongs to the process that started it.  A forked child shares
 * the epoll set, the eventfd and the timer with the parent (the descriptors
 * are copies of the same kernel objects), and the home set it was in is the
 * parent's: registering the child's sockets there would hand the parent's
 * engine pointers into the child's heap.  So the child forgets the parent's
 * engine: it closes its copies of the three descriptors (the parent's stay
 * open, and so does the parent's home entry) and starts an engine of its
 * own, in a home set of its own, with its first connection or listener.  The parent's
 * registered sockets are parked on `orphans`, never serviced in the child;
 * their descriptors are closed by itot_sock_atfork_child with the others. */

static struct itot_sock *eng_orphans; /* the parent's registry, as the child inherited it */

void itot_engine_atfork_pass(void)
{
    pthread_mutex_lock(&eng.pass); /* no pass half done in the child */
}

void itot_engine_atfork_prepare(void)
{
    pthread_mutex_lock(&eng.lock); /* a consistent registry in the child */
}

void itot_engine_atfork_parent(void)
{
    pthread_mutex_unlock(&eng.lock);
    pthread_mutex_unlock(&eng.pass);
}

void itot_engine_atfork_child(void)
{
    engine_close_fds();
    eng.home_fd = -1; /* the registration (home_id) is the child's copy: kept */
    eng.started = false;
    for (struct itot_sock *s = eng.reg_head, *next; s; s = next) {
        next = s->reg_next;
        s->reg_next = eng_orphans;
        eng_orphans = s;
        itot_sock_orphan_fd(s);
    }
    eng.reg_head = NULL;
    atomic_store(&eng.kick_head, NULL); /* the kicked sockets are on the registry too */
    eng.reap_head = NULL;               /* so are these */
    timer_heap_abandon(&eng.timers);    /* the parent's engine filed them */
    atomic_store_explicit(&eng_self, 0, memory_order_relaxed);
    eng.timers_scan = false;
    pthread_mutex_unlock(&eng.lock);
    pthread_mutex_unlock(&eng.pass);
}
