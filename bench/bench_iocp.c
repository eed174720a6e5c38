/* SPDX-License-Identifier: MIT */
/* wsp-bench: a completion-port echo server on wsp against a raw epoll echo
 * server, both driven by the same 64 raw-socket clients in the same run.
 *
 * wsp server, written the Windows way: the accepted sockets (overlapped, as
 * accept's are) are associated with one completion port; every connection
 * has one overlapped WSARecv or one overlapped WSASend outstanding at a time
 * (recv completes -> WSASend of what came -> send completes -> WSARecv);
 * N worker threads (N = CPUs) take the completions with
 * GetQueuedCompletionStatusEx (or GetQueuedCompletionStatus, one per call).
 * Raw server, written the Linux way: N threads, each with its own epoll set
 * holding a share of the connections (level-triggered), recv then send.
 *
 * The clients are one thread of this process with its own epoll set over 64
 * raw TCP sockets: each client sends its message, reads the whole echo back,
 * checks it, and sends again, R times; a sample is the wall time of all
 * 64 x R round trips.  The figure is ns per message (1e9 / messages per
 * second); the target compares rates (raw time / wsp time).  Both servers
 * and the client thread run all the time on the same CPUs, so what differs
 * between the variants is only the server.  Each sample runs on worker
 * threads made for it (untimed), on the same connections. */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define ECHO_CLIENTS 64
#define ECHO_MAX_MSG 4096
#define ECHO_MAX_WORKERS 16
#define ECHO_BATCH 16 /* entries per GetQueuedCompletionStatusEx / epoll_wait */

/* ---- the wsp server ---- */

struct wecho_conn {
    SOCKET s;
    WSAOVERLAPPED rov, sov;
    char buf[ECHO_MAX_MSG];
};

struct wecho {
    HANDLE port;
    int nworkers;
    int batch; /* 1: GetQueuedCompletionStatus; else ...Ex with that many entries */
    pthread_t th[ECHO_MAX_WORKERS];
    struct wecho_conn conn[ECHO_CLIENTS];
    atomic_int failed; /* first unexpected WSAE* code of a worker, or 0 */
};

static void wecho_note(struct wecho *w, int err)
{
    int zero = 0;
    atomic_compare_exchange_strong(&w->failed, &zero, err);
}

static void wecho_recv(struct wecho *w, struct wecho_conn *c)
{
    WSABUF b = {ECHO_MAX_MSG, c->buf};
    DWORD flags = 0;
    memset(&c->rov, 0, sizeof c->rov);
    if (WSARecv(c->s, &b, 1, NULL, &flags, &c->rov, NULL) != 0 &&
        WSAGetLastError() != WSA_IO_PENDING)
        wecho_note(w, WSAGetLastError());
}

static void wecho_send(struct wecho *w, struct wecho_conn *c, DWORD n)
{
    WSABUF b = {n, c->buf};
    memset(&c->sov, 0, sizeof c->sov);
    /* a stream send completes when all n bytes are taken: no partial echo */
    if (WSASend(c->s, &b, 1, NULL, 0, &c->sov, NULL) != 0 && WSAGetLastError() != WSA_IO_PENDING)
        wecho_note(w, WSAGetLastError());
}

/* One completion; 1 for the quit packet (key 0). */
static int wecho_one(struct wecho *w, const OVERLAPPED_ENTRY *e)
{
    struct wecho_conn *c = (struct wecho_conn *)e->lpCompletionKey;
    if (c == NULL)
        return 1;
    if (e->Internal != 0) {
        /* closesocket at the end aborts the pending receives */
        if (e->Internal != WSA_OPERATION_ABORTED)
            wecho_note(w, (int)e->Internal);
        return 0;
    }
    if (e->lpOverlapped == &c->rov) {
        if (e->dwNumberOfBytesTransferred > 0) /* 0: the client closed */
            wecho_send(w, c, e->dwNumberOfBytesTransferred);
    } else {
        wecho_recv(w, c);
    }
    return 0;
}

static void *wecho_worker(void *arg)
{
    struct wecho *w = arg;
    OVERLAPPED_ENTRY ent[ECHO_BATCH];
    pthread_setname_np(pthread_self(), "echo-iocp"); /* for perf report --sort comm */
    for (;;) {
        ULONG n = 0;
        if (w->batch == 1) {
            DWORD bytes = 0;
            ULONG_PTR key = 0;
            LPOVERLAPPED ov = NULL;
            BOOL ok = GetQueuedCompletionStatus(w->port, &bytes, &key, &ov, INFINITE);
            if (!ok && ov == NULL) {
                wecho_note(w, (int)GetLastError());
                return NULL;
            }
            ent[0] = (OVERLAPPED_ENTRY){key, ov, ok ? 0 : GetLastError(), bytes};
            n = 1;
        } else if (!GetQueuedCompletionStatusEx(w->port, ent, (ULONG)w->batch, &n, INFINITE,
                                                FALSE)) {
            wecho_note(w, (int)GetLastError());
            return NULL;
        }
        int quits = 0;
        for (ULONG i = 0; i < n; i++)
            quits += wecho_one(w, &ent[i]);
        if (quits > 0) {
            /* one quit packet per worker: give back the ones taken for others */
            for (int k = 1; k < quits; k++)
                PostQueuedCompletionStatus(w->port, 0, 0, NULL);
            return NULL;
        }
    }
}

/* ---- the raw epoll server ---- */

struct recho_worker {
    int ep;
    int quit; /* eventfd in ep */
    pthread_t th;
    atomic_int failed;
};

struct recho {
    int nworkers;
    int fd[ECHO_CLIENTS];
    struct recho_worker w[ECHO_MAX_WORKERS];
};

static int recho_send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void *recho_main(void *arg)
{
    struct recho_worker *w = arg;
    static __thread char buf[ECHO_MAX_MSG];
    struct epoll_event ev[ECHO_BATCH];
    pthread_setname_np(pthread_self(), "echo-epoll");
    for (;;) {
        int n = epoll_wait(w->ep, ev, ECHO_BATCH, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            atomic_store(&w->failed, errno);
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;
            if (fd == w->quit)
                return NULL;
            ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0 || recho_send_all(fd, buf, (size_t)r) != 0) {
                /* the client closed (the end of the run) */
                epoll_ctl(w->ep, EPOLL_CTL_DEL, fd, NULL);
            }
        }
    }
}

/* ---- the clients (one thread, the caller's) ---- */

struct echo_clients {
    int fd[ECHO_CLIENTS];
    int ep;
};

static char echo_msg[ECHO_MAX_MSG];

struct echo_state {
    int got;  /* bytes of the current echo */
    int left; /* round trips still to start */
};

/* 64 x rounds round trips of msg bytes; 0 or -1 with err set. */
static int echo_drive(struct echo_clients *cl, int msg, int rounds, char *err, size_t errlen)
{
    static char rbuf[ECHO_MAX_MSG];
    struct echo_state st[ECHO_CLIENTS];
    struct epoll_event ev[ECHO_BATCH];
    int active = ECHO_CLIENTS;
    for (int i = 0; i < ECHO_CLIENTS; i++) {
        st[i] = (struct echo_state){0, rounds - 1};
        if (recho_send_all(cl->fd[i], echo_msg, (size_t)msg) != 0)
            goto fail;
    }
    while (active > 0) {
        int n = epoll_wait(cl->ep, ev, ECHO_BATCH, 10000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "client: %s", n == 0 ? "no echo for 10 s" : strerror(errno));
            return -1;
        }
        for (int k = 0; k < n; k++) {
            int i = (int)ev[k].data.u32;
            struct echo_state *s = &st[i];
            ssize_t r = recv(cl->fd[i], rbuf + s->got, (size_t)(msg - s->got), MSG_DONTWAIT);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r == 0) {
                snprintf(err, errlen, "client %d: the server closed the connection", i);
                return -1;
            }
            if (r < 0)
                goto fail;
            s->got += (int)r;
            if (s->got < msg)
                continue;
            if (memcmp(rbuf, echo_msg, (size_t)msg) != 0) {
                snprintf(err, errlen, "client %d: the echo differs from the message", i);
                return -1;
            }
            s->got = 0;
            if (s->left == 0) {
                active--;
            } else {
                s->left--;
                if (recho_send_all(cl->fd[i], echo_msg, (size_t)msg) != 0)
                    goto fail;
            }
        }
    }
    return 0;
fail:
    snprintf(err, errlen, "client: %s", strerror(errno));
    return -1;
}

/* Connects the 64 clients to port (network order) of 127.0.0.1 (the
 * server's listener holds them in its backlog until it accepts them). */
static int echo_clients_open(struct echo_clients *cl, uint16_t port, char *err, size_t errlen)
{
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = port, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    for (int i = 0; i < ECHO_CLIENTS; i++)
        cl->fd[i] = -1;
    cl->ep = epoll_create1(EPOLL_CLOEXEC);
    if (cl->ep < 0)
        goto fail;
    for (int i = 0; i < ECHO_CLIENTS; i++) {
        cl->fd[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (cl->fd[i] < 0)
            goto fail;
        setsockopt(cl->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(cl->fd[i], (struct sockaddr *)&sa, sizeof sa) != 0)
            goto fail;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(cl->ep, EPOLL_CTL_ADD, cl->fd[i], &ev) != 0)
            goto fail;
    }
    return 0;
fail:
    snprintf(err, errlen, "clients: %s", strerror(errno));
    return -1;
}

static void echo_clients_close(struct echo_clients *cl)
{
    for (int i = 0; i < ECHO_CLIENTS; i++)
        if (cl->fd[i] >= 0)
            close(cl->fd[i]);
    if (cl->ep >= 0)
        close(cl->ep);
}

/* ---- setup of the two servers ---- */

static int echo_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > ECHO_MAX_WORKERS ? ECHO_MAX_WORKERS : (int)n;
}

static int recho_open(struct recho *r, struct echo_clients *cl, char *err, size_t errlen)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t salen = sizeof sa;
    int one = 1, k = 0;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    r->nworkers = echo_ncpus();
    for (int i = 0; i < ECHO_CLIENTS; i++)
        r->fd[i] = -1;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(lfd, ECHO_CLIENTS + 8) != 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &salen) != 0 ||
        echo_clients_open(cl, sa.sin_port, err, errlen) != 0)
        goto fail;
    for (int i = 0; i < ECHO_CLIENTS; i++) {
        r->fd[i] = accept(lfd, NULL, NULL);
        if (r->fd[i] < 0)
            goto fail;
        setsockopt(r->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    close(lfd);
    lfd = -1;
    for (k = 0; k < r->nworkers; k++) {
        struct recho_worker *w = &r->w[k];
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        w->quit = eventfd(0, EFD_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = w->quit};
        if (w->ep < 0 || w->quit < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, w->quit, &ev) != 0)
            goto fail;
        /* connection i belongs to worker i mod N */
        for (int i = k; i < ECHO_CLIENTS; i += r->nworkers) {
            ev = (struct epoll_event){.events = EPOLLIN, .data.fd = r->fd[i]};
            if (epoll_ctl(w->ep, EPOLL_CTL_ADD, r->fd[i], &ev) != 0)
                goto fail;
        }
        if (pthread_create(&w->th, NULL, recho_main, w) != 0)
            goto fail;
    }
    return 0;
fail:
    /* setup failures end the case; the few descriptors left open are the
     * process's last act of this section */
    snprintf(err, errlen, "raw epoll server (worker %d): %s", k, strerror(errno));
    if (lfd >= 0)
        close(lfd);
    r->nworkers = k;
    return -1;
}

static void recho_close(struct recho *r)
{
    uint64_t one = 1;
    for (int k = 0; k < r->nworkers; k++) {
        if (write(r->w[k].quit, &one, sizeof one) != sizeof one) {
            /* cannot fail on a fresh eventfd */
        }
        pthread_join(r->w[k].th, NULL);
        close(r->w[k].quit);
        close(r->w[k].ep);
    }
    for (int i = 0; i < ECHO_CLIENTS; i++)
        if (r->fd[i] >= 0)
            close(r->fd[i]);
}

static int wecho_open(struct wecho *w, struct echo_clients *cl, char *err, size_t errlen)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int salen = sizeof sa, one = 1, k = 0;
    const char *what = "WSASocket";
    SOCKET l = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    w->nworkers = 0;
    w->port = NULL;
    for (int i = 0; i < ECHO_CLIENTS; i++)
        w->conn[i].s = INVALID_SOCKET;
    if (l == INVALID_SOCKET)
        goto fail;
    what = "bind/listen";
    if (wsp_bind(l, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        wsp_listen(l, ECHO_CLIENTS + 8) != 0 ||
        wsp_getsockname(l, (struct sockaddr *)&sa, &salen) != 0)
        goto fail;
    if (echo_clients_open(cl, sa.sin_port, err, errlen) != 0) {
        closesocket(l);
        return -1;
    }
    what = "CreateIoCompletionPort";
    w->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    if (w->port == NULL)
        goto fail;
    for (int i = 0; i < ECHO_CLIENTS; i++) {
        struct wecho_conn *c = &w->conn[i];
        what = "accept";
        c->s = wsp_accept(l, NULL, NULL); /* an accepted socket is overlapped */
        if (c->s == INVALID_SOCKET)
            goto fail;
        wsp_setsockopt(c->s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
        what = "CreateIoCompletionPort(socket)";
        if (CreateIoCompletionPort((HANDLE)(uintptr_t)c->s, w->port, (ULONG_PTR)c, 0) != w->port)
            goto fail;
    }
    closesocket(l);
    l = INVALID_SOCKET;
    w->nworkers = echo_ncpus();
    for (k = 0; k < w->nworkers; k++)
        if (pthread_create(&w->th[k], NULL, wecho_worker, w) != 0) {
            w->nworkers = k;
            snprintf(err, errlen, "pthread_create: %s", strerror(errno));
            return -1;
        }
    for (int i = 0; i < ECHO_CLIENTS; i++)
        wecho_recv(w, &w->conn[i]);
    if (atomic_load(&w->failed) != 0) {
        WSASetLastError(atomic_load(&w->failed));
        what = "WSARecv";
        goto fail;
    }
    return 0;
fail:
    snprintf(err, errlen, "wsp completion-port server: %s: %s", what, bench_wsa_err());
    if (l != INVALID_SOCKET)
        closesocket(l);
    return -1;
}

static void wecho_close(struct wecho *w)
{
    /* closing aborts each pending receive: its completion goes to the port
     * first, then the quit packets */
    for (int i = 0; i < ECHO_CLIENTS; i++)
        if (w->conn[i].s != INVALID_SOCKET)
            closesocket(w->conn[i].s);
    for (int k = 0; k < w->nworkers; k++)
        PostQueuedCompletionStatus(w->port, 0, 0, NULL);
    for (int k = 0; k < w->nworkers; k++)
        pthread_join(w->th[k], NULL);
    if (w->port != NULL)
        CloseHandle(w->port);
}

/* New worker threads for the next sample, on the same connections.  Why:
 * with three busy threads (the client and two workers) on two CPUs, the
 * rate depends on where the scheduler keeps them, and a placement tends to
 * last as long as the threads do.  Kept for a whole case, it made the first
 * case of a process (whose epoll workers were the first threads made) run
 * its epoll server at 130,000-180,000 messages a second against about
 * 100,000 in every later case, with the same code; with threads made anew
 * per sample every case shows the later figure. */
static int recho_restart(struct recho *r)
{
    uint64_t v = 1;
    for (int k = 0; k < r->nworkers; k++) {
        struct recho_worker *w = &r->w[k];
        if (write(w->quit, &v, sizeof v) != sizeof v)
            return -1;
        pthread_join(w->th, NULL);
        if (read(w->quit, &v, sizeof v) != sizeof v) /* back to 0 */
            return -1;
        if (pthread_create(&w->th, NULL, recho_main, w) != 0)
            return -1;
    }
    return 0;
}

static int wecho_restart(struct wecho *w)
{
    for (int k = 0; k < w->nworkers; k++)
        PostQueuedCompletionStatus(w->port, 0, 0, NULL);
    for (int k = 0; k < w->nworkers; k++)
        pthread_join(w->th[k], NULL);
    for (int k = 0; k < w->nworkers; k++)
        if (pthread_create(&w->th[k], NULL, wecho_worker, w) != 0)
            return -1;
    return 0;
}

/* ---- the case ---- */

struct echo_ctx {
    struct echo_clients raw_cl, wsp_cl;
    struct recho *raw;
    struct wecho *wsp;
    int msg;
    int rounds;
};

static int echo_run(struct bench_case *bc, enum bench_variant v, double *out)
{
    struct echo_ctx *c = bc->ctx;
    struct echo_clients *cl = v == BENCH_RAW ? &c->raw_cl : &c->wsp_cl;
    /* Untimed: the server's worker threads are made anew for every sample
     * (recho_restart, wecho_restart), so no case keeps one placement of its threads on the
     * CPUs for all its samples. */
    if ((v == BENCH_RAW ? recho_restart(c->raw) : wecho_restart(c->wsp)) != 0) {
        snprintf(bc->err, sizeof bc->err, "%s server: restarting its threads failed",
                 v == BENCH_RAW ? "epoll" : "wsp");
        return -1;
    }
    uint64_t t0 = bench_now_ns();
    if (echo_drive(cl, c->msg, c->rounds, bc->err, sizeof bc->err) != 0)
        return -1;
    out[0] = (double)(bench_now_ns() - t0) / ((double)ECHO_CLIENTS * c->rounds);
    return 0;
}

static void echo_print_rates(const struct bench_case *bc)
{
    if (bc->err[0] != '\0' || bc->raw_med[0] <= 0 || bc->wsp_med[0] <= 0)
        return;
    printf("|  | (%s: messages per second) | epoll %.0f | %d | | | | | wsp %.0f |\n", bc->metric[0],
           1e9 / bc->raw_med[0], bc->reps, 1e9 / bc->wsp_med[0]);
}

static int echo_one(const struct bench_opts *o, int msg, int batch, const char *label)
{
    static struct echo_ctx c;
    static struct recho raw;
    static struct wecho wsp;
    static char group[64], metric[96], raw_name[64];
    struct bench_case bc = {
        .group = group,
        .metric = {metric},
        .raw_name = {raw_name},
        .nmetrics = 1,
        .run = echo_run,
        .ctx = &c,
        .bytes_per_op = {msg},
    };
    int n = echo_ncpus();
    /* the thread count goes in the group: the target rows match any machine */
    snprintf(group, sizeof group, "iocp echo, 64 clients, %d threads", n);
    snprintf(metric, sizeof metric, "%s echo, %s", label,
             batch == 1 ? "GetQueuedCompletionStatus" : "GetQueuedCompletionStatusEx");
    snprintf(raw_name, sizeof raw_name, "epoll echo %s", label);
    memset(&raw, 0, sizeof raw);
    memset(&wsp, 0, sizeof wsp);
    /* nothing open yet: a failed setup closes only what it opened */
    c.raw_cl.ep = c.wsp_cl.ep = -1;
    for (int i = 0; i < ECHO_CLIENTS; i++) {
        c.raw_cl.fd[i] = c.wsp_cl.fd[i] = raw.fd[i] = -1;
        wsp.conn[i].s = INVALID_SOCKET;
    }
    c.msg = msg;
    c.raw = &raw;
    c.wsp = &wsp;
    c.rounds = o->quick ? 20 : 50;
    bc.reps = o->reps * 2;
    wsp.batch = batch;
    for (int i = 0; i < ECHO_MAX_MSG; i++)
        echo_msg[i] = (char)('a' + i % 26);

    int rc = -1;
    if (recho_open(&raw, &c.raw_cl, bc.err, sizeof bc.err) == 0 &&
        wecho_open(&wsp, &c.wsp_cl, bc.err, sizeof bc.err) == 0) {
        /* one untimed pass of each: connections, pools and rings warm */
        double warm[BENCH_MAX_METRICS];
        if (echo_run(&bc, BENCH_RAW, warm) == 0 && echo_run(&bc, BENCH_WSP, warm) == 0)
            rc = bench_run_case(&bc);
        if (rc == 0 && atomic_load(&wsp.failed) != 0) {
            WSASetLastError(atomic_load(&wsp.failed));
            bench_fail(&bc, "wsp worker: %s", bench_wsa_err());
        }
    }
    bench_report_case(&bc);
    if (bc.err[0] == '\0')
        echo_print_rates(&bc);
    /* clients first: the servers see their FIN and stop serving them */
    echo_clients_close(&c.raw_cl);
    echo_clients_close(&c.wsp_cl);
    recho_close(&raw);
    wecho_close(&wsp);
    return bc.err[0] ? -1 : 0;
}

int bench_iocp(const struct bench_opts *o)
{
    int rc = echo_one(o, 64, ECHO_BATCH, "64 B");
    rc |= echo_one(o, 4096, ECHO_BATCH, "4 KiB");
    rc |= echo_one(o, 64, 1, "64 B");
    return rc;
}
