/* SPDX-License-Identifier: MIT */
/* sock — the life of an itot socket context: allocation, references, handle,
 * waits and notifications, WSPCloseSocket and the last cleanup. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/poll_home.h"
#include "common/sys.h"
#include "common/umem.h"
#include "conn_pool.h"
#include "provider.h"

static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static struct itot_sock *all_head;

static pthread_mutex_t sel_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sel_cond = PTHREAD_COND_INITIALIZER;
static atomic_int sel_waiters;
static atomic_uint ref_counter;

/* Which process a context belongs to: bumped in a forked child (written only
 * there, before the child has a second thread), compared by itot_lookup. */
static unsigned itot_fork_gen;
/* The parent's sockets, as a forked child inherited them (never used again,
 * kept reachable). */
static struct itot_sock *all_orphans;

/* Socket contexts alive, for the provider's accounting (WSP_ITOT_MEMORY). */
static atomic_size_t n_socks;

/* The buffer pool's misses go through the platform table (fault tests make
 * them fail); WSP_ITOT_BUF_CACHE sets the cache's budget in bytes. */
static void *pool_alloc(size_t n)
{
    return sys_malloc(n);
}

static void pool_setup(void)
{
    const char *env = secure_getenv("WSP_ITOT_BUF_CACHE");
    char *end = NULL;
    unsigned long long v = env != NULL ? strtoull(env, &end, 10) : 0;
    bool set = env != NULL && *env != '\0' && end != NULL && *end == '\0';
    conn_pool_setup(pool_alloc, set ? (size_t)v : CONN_POOL_DEFAULT_CACHE);
}

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* Protocol infos: the sockets of one catalog entry all carry the same 628
 * octets, so each socket points to one shared copy.  The copies stay until
 * the module is unloaded; an info beyond the table's size (an application
 * passing infos of its own to WSASocket) gets a copy of its own socket's. */
#define ITOT_PROTOS 16
static pthread_mutex_t proto_lock = PTHREAD_MUTEX_INITIALIZER;
static WSAPROTOCOL_INFOW proto_tab[ITOT_PROTOS];
static int n_protos;

static const WSAPROTOCOL_INFOW *proto_intern(const WSAPROTOCOL_INFOW *p, bool *own)
{
    static const WSAPROTOCOL_INFOW none;
    *own = false;
    if (p == NULL)
        return &none;
    pthread_mutex_lock(&proto_lock);
    for (int i = 0; i < n_protos; i++) {
        if (memcmp(&proto_tab[i], p, sizeof *p) == 0) {
            pthread_mutex_unlock(&proto_lock);
            return &proto_tab[i];
        }
    }
    if (n_protos < ITOT_PROTOS) {
        proto_tab[n_protos] = *p;
        const WSAPROTOCOL_INFOW *r = &proto_tab[n_protos++];
        pthread_mutex_unlock(&proto_lock);
        return r;
    }
    pthread_mutex_unlock(&proto_lock);
    WSAPROTOCOL_INFOW *c = malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    *c = *p;
    *own = true;
    return c;
}

struct itot_sock *itot_sock_alloc(int af, const WSAPROTOCOL_INFOW *proto, int fd)
{
    pthread_once(&pool_once, pool_setup);
    /* No buffer here: an idle socket holds none (conn_pool.h). */
    struct itot_sock *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->proto = proto_intern(proto, &s->proto_own);
    if (s->proto == NULL) {
        free(s);
        return NULL;
    }
    atomic_fetch_add_explicit(&n_socks, 1, memory_order_relaxed);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&s->refs, 1);
    s->magic = ITOT_SOCK_MAGIC;
    s->fork_gen = itot_fork_gen;
    s->fd = fd;
    s->af = af;
    s->handle = INVALID_SOCKET;
    s->kind = ITOT_K_NEW;
    s->lst.max_pending = 16;
    s->lst.cr_wait_ms = ITOT_DEFAULT_CR_WAIT_MS;
    s->lst.max_silent_per_source = ITOT_DEFAULT_MAX_SILENT_PER_SOURCE;
    s->lst.reserve_fd = -1;
    conn_cfg_default(&s->cfg);
    ovl_list_init(&s->ovl_rx);
    ovl_list_init(&s->ovl_tx);
    return s;
}

void itot_sock_ref(struct itot_sock *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void itot_sock_unref(struct itot_sock *s)
{
    if (atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    if (s->has_conn)
        conn_free(&s->conn);
    if (s->fd >= 0)
        sys_close(s->fd);
    itot_listen_reserve_close(s);
    if (s->pend.listener != NULL) {
        itot_listen_forget(s);
        itot_sock_unref(s->pend.listener);
    }
    struct itot_sock *fwd = atomic_load(&s->fwd);
    if (fwd != NULL)
        itot_sock_unref(fwd); /* the root's reference (extension.c) */
    conn_pool_give(s->in, ITOT_IN_CAP);
    if (s->proto_own)
        free((void *)(uintptr_t)s->proto);
    s->magic = 0;
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
    atomic_fetch_sub_explicit(&n_socks, 1, memory_order_relaxed);
}

void itot_in_release(struct itot_sock *s)
{
    if (s->in_len == 0 && s->in != NULL) {
        conn_pool_give(s->in, ITOT_IN_CAP);
        s->in = NULL;
    }
}

void itot_memory(WSP_ITOT_MEMORY_INFO *m)
{
    size_t n = atomic_load_explicit(&n_socks, memory_order_relaxed);
    m->sockets = n;
    m->socket_bytes = (unsigned long long)n * sizeof(struct itot_sock);
    m->buffer_bytes = conn_pool_bytes();
    m->cached_bytes = conn_pool_cached_bytes();
}

/* The context behind a handle, whichever process made it; NULL if none. */
static struct itot_sock *handle_ctx(SOCKET s)
{
    DWORD_PTR ctx = 0;
    int e = 0;
    if (s == INVALID_SOCKET || itot_upcalls.lpWPUQuerySocketHandleContext(s, &ctx, &e) != 0)
        return NULL;
    return (struct itot_sock *)ctx;
}

struct itot_sock *itot_root(SOCKET s)
{
    struct itot_sock *x = handle_ctx(s);
    /* fork_gen: a socket inherited across fork() is the parent's connection. */
    return x != NULL && x->fork_gen == itot_fork_gen ? x : NULL;
}

struct itot_sock *itot_lookup(SOCKET s, int *err)
{
    struct itot_sock *x = itot_root(s);
    if (x == NULL) {
        *err = WSAENOTSOCK;
        return NULL;
    }
    /* AcceptEx / DisconnectEx(TF_REUSE_SOCKET) moved the handle to another
     * socket (extension.c): one load and a branch on the hot path. */
    struct itot_sock *t = atomic_load_explicit(&x->fwd, memory_order_acquire);
    return t != NULL ? t : x;
}

struct itot_sock *itot_root_ours(SOCKET h)
{
    struct itot_sock *p = handle_ctx(h);
    uint32_t magic = 0;
    /* Another provider's context may be anything: read it as caller memory
     * (a bad pointer is WSAEFAULT, never a crash); only then is p ours. */
    if (p == NULL || umem_read(&magic, &p->magic, sizeof magic) != 0 || magic != ITOT_SOCK_MAGIC)
        return NULL;
    return p->fork_gen == itot_fork_gen ? p : NULL;
}

struct itot_sock *itot_lookup_ours(SOCKET h, int *err)
{
    struct itot_sock *x = itot_root_ours(h);
    if (x == NULL) {
        *err = WSAENOTSOCK;
        return NULL;
    }
    struct itot_sock *t = atomic_load_explicit(&x->fwd, memory_order_acquire);
    return t != NULL ? t : x;
}

int itot_sock_publish(struct itot_sock *s)
{
    int err = 0;
    SOCKET h = itot_upcalls.lpWPUCreateSocketHandle(s->proto->dwCatalogEntryId, (DWORD_PTR)s, &err);
    if (h == INVALID_SOCKET)
        return err ? err : WSAENOBUFS;
    s->handle = h;
    pthread_mutex_lock(&all_lock);
    s->all_next = all_head;
    s->all_prev = NULL;
    if (all_head)
        all_head->all_prev = s;
    all_head = s;
    s->listed = true;
    pthread_mutex_unlock(&all_lock);
    return 0;
}

static void unlist(struct itot_sock *s)
{
    pthread_mutex_lock(&all_lock);
    if (s->listed) {
        if (s->all_prev)
            s->all_prev->all_next = s->all_next;
        else
            all_head = s->all_next;
        if (s->all_next)
            s->all_next->all_prev = s->all_prev;
        s->listed = false;
    }
    pthread_mutex_unlock(&all_lock);
}

uint16_t itot_new_ref(void)
{
    /* Nonzero and different from the last 65535 (spec 3: not in use by another connection). */
    unsigned r;
    do {
        r = (atomic_fetch_add(&ref_counter, 1) + 1) & 0xFFFF;
    } while (r == 0);
    return (uint16_t)r;
}

int itot_sock_start_conn(struct itot_sock *s, enum conn_role role)
{
    if (conn_init(&s->conn, role, &s->cfg, itot_new_ref()) != 0)
        return WSAENOBUFS;
    s->has_conn = true;
    s->kind = ITOT_K_CONN;
    return 0;
}

void itot_wait(struct itot_sock *s, uint64_t deadline_ms)
{
    if (deadline_ms == 0) {
        pthread_cond_wait(&s->cond, &s->lock);
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(deadline_ms / 1000),
                          .tv_nsec = (long)(deadline_ms % 1000) * 1000000L};
    pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}

void itot_select_kick(void)
{
    if (atomic_load(&sel_waiters) == 0)
        return;
    pthread_mutex_lock(&sel_lock);
    pthread_cond_broadcast(&sel_cond);
    pthread_mutex_unlock(&sel_lock);
}

/* Select's wait: until some socket of ours changed or the deadline. */
void itot_select_wait(uint64_t deadline_ms, unsigned *seen_gen);
static atomic_uint sel_gen;

void itot_wake(struct itot_sock *s)
{
    pthread_cond_broadcast(&s->cond);
    if (s->waiters != NULL)
        itot_wake_waiters(s);
    atomic_fetch_add(&sel_gen, 1);
    itot_select_kick();
}

void itot_select_wait(uint64_t deadline_ms, unsigned *seen_gen)
{
    pthread_mutex_lock(&sel_lock);
    atomic_fetch_add(&sel_waiters, 1);
    if (atomic_load(&sel_gen) == *seen_gen) {
        if (deadline_ms == 0) {
            pthread_cond_wait(&sel_cond, &sel_lock);
        } else {
            struct timespec ts;
            /* sel_cond uses CLOCK_REALTIME: convert the monotonic deadline. */
            uint64_t now = itot_now_ms();
            struct timespec rt;
            clock_gettime(CLOCK_REALTIME, &rt);
            uint64_t left = deadline_ms > now ? deadline_ms - now : 0;
            uint64_t ns = (uint64_t)rt.tv_nsec + (left % 1000) * 1000000u;
            ts.tv_sec = rt.tv_sec + (time_t)(left / 1000) + (time_t)(ns / 1000000000u);
            ts.tv_nsec = (long)(ns % 1000000000u);
            pthread_cond_timedwait(&sel_cond, &sel_lock, &ts);
        }
    }
    atomic_fetch_sub(&sel_waiters, 1);
    *seen_gen = atomic_load(&sel_gen);
    pthread_mutex_unlock(&sel_lock);
}

unsigned itot_select_gen(void)
{
    return atomic_load(&sel_gen);
}

void itot_post_event(struct itot_sock *s, LONG bit, int err)
{
    if (!(s->ev_mask & bit) || s->event == NULL)
        return;
    int idx = __builtin_ctz((unsigned)bit);
    s->ev_pending |= bit;
    s->ev_err[idx] = err;
    int e;
    if (itot_upcalls.lpWPUSetEvent)
        itot_upcalls.lpWPUSetEvent(s->event, &e);
}

/* Drop every connection waiting in a listener's accept queue (lock of l held). */
static void drop_accept_queue(struct itot_sock *l)
{
    struct itot_sock *c;
    while ((c = itot_listen_dequeue(l)) != NULL) {
        pthread_mutex_unlock(&l->lock);
        pthread_mutex_lock(&c->lock);
        c->closing = true;
        if (c->has_conn && c->conn.state == CONN_S_CR_RCVD)
            conn_reject(&c->conn, WSP_ITOT_DR_NOT_ATTACHED, NULL, 0);
        conn_close_tcp(&c->conn, false);
        itot_flush(c);
        itot_engine_update(c);
        pthread_mutex_unlock(&c->lock);
        itot_sock_unref(c);
        pthread_mutex_lock(&l->lock);
    }
}

/* Start the release a close implies (D9) and mark s closing (lock held). */
void itot_sock_close_begin(struct itot_sock *s)
{
    /* Before the handle goes, every pending overlapped operation completes
     * with WSA_OPERATION_ABORTED (closesocket, ws2spi.h); a waiting send has
     * nothing of it sent, so the DR a SendDisconnect deferred behind it can
     * go now, with that call's data. */
    itot_ovl_abort(s);
    if (s->has_conn && s->conn.state == CONN_S_OPEN)
        itot_tx_settle(s);
    s->closing = true;
    if (s->has_conn) {
        struct conn *c = &s->conn;
        /* The handle goes: what arrives can never be read (see conn.h). */
        conn_rx_discard(c);
        if (c->state == CONN_S_OPEN && !s->send_busy) {
            /* No buffer for the DR (memory short): the close cannot fail,
             * so TCP is closed at once and the peer sees its end. */
            if (conn_disconnect(c, s->disc_data, s->disc_data_len, itot_now_ms()) == WSAENOBUFS)
                conn_close_tcp(c, true);
        } else if (c->state == CONN_S_OPEN || c->state == CONN_S_DR_SENT)
            conn_close_tcp(c, false);
        else
            conn_close_tcp(c, true); /* abandon a pending connect */
        if (s->fd >= 0)
            itot_flush(s);
        /* What can be done now is done here (a connection already over
         * closes its TCP at once); the engine gets only what must wait. */
        itot_apply(s);
    }
    if (s->kind == ITOT_K_LISTEN)
        drop_accept_queue(s);
    itot_wake(s);
    if (s->registered)
        itot_engine_update(s);
}

/* closesocket of a socket a forked child inherited: only the handle goes.
 * The context is a copy of the parent's (its lock may have been held by a
 * parent thread at the fork), its descriptor was closed at the fork, and the
 * connection goes on in the parent: nothing is sent, nothing touched. */
static int close_inherited(SOCKET h)
{
    int e = 0;
    itot_upcalls.lpWPUCloseSocketHandle(h, &e);
    return 0;
}

int WSPAPI itot_WSPCloseSocket(SOCKET h, LPINT lpErrno)
{
    int err = itot_guard();
    if (err != 0)
        return spi_fail(lpErrno, err);
    struct itot_sock *s = handle_ctx(h);
    if (s == NULL)
        return spi_fail(lpErrno, WSAENOTSOCK);
    if (s->fork_gen != itot_fork_gen)
        return close_inherited(h);
    /* The socket serving the handle closes; a root that forwards (extension.c)
     * has nothing of its own left but its handle (a reused root's old
     * connection is already closing). */
    struct itot_sock *t, *x;
    for (;;) {
        t = atomic_load_explicit(&s->fwd, memory_order_acquire);
        x = t != NULL ? t : s;
        pthread_mutex_lock(&x->lock);
        /* The forward changes only with the socket serving the handle locked
         * (extension.c): the same one now means it stays until we unlock. */
        if (atomic_load_explicit(&s->fwd, memory_order_acquire) == t)
            break;
        pthread_mutex_unlock(&x->lock);
    }
    if (x->closing) {
        pthread_mutex_unlock(&x->lock);
        return spi_fail(lpErrno, WSAENOTSOCK);
    }
    itot_sock_close_begin(x);
    if (!x->registered && x->fd >= 0 && x->has_conn)
        sys_shutdown(x->fd, SHUT_RDWR);
    pthread_mutex_unlock(&x->lock);
    /* The handle dies now; waits until no other call is inside on it. */
    int e2 = 0;
    itot_upcalls.lpWPUCloseSocketHandle(h, &e2);
    unlist(s);
    itot_sock_unref(s);
    return 0;
}

void itot_close_all(void)
{
    for (;;) {
        pthread_mutex_lock(&all_lock);
        struct itot_sock *s = all_head;
        if (s == NULL) {
            pthread_mutex_unlock(&all_lock);
            return;
        }
        itot_sock_ref(s);
        pthread_mutex_unlock(&all_lock);
        /* already: a closesocket of the handle has begun (it closes the
         * socket serving the handle: the root's forward, else the root). */
        struct itot_sock *t = atomic_load(&s->fwd);
        bool already = false;
        if (t != NULL) { /* extension.c */
            pthread_mutex_lock(&t->lock);
            already = t->closing;
            if (!t->closing)
                itot_sock_close_begin(t);
            pthread_mutex_unlock(&t->lock);
        }
        pthread_mutex_lock(&s->lock);
        if (t == NULL)
            already = s->closing;
        if (!s->closing)
            itot_sock_close_begin(s);
        pthread_mutex_unlock(&s->lock);
        int e = 0;
        if (!already)
            itot_upcalls.lpWPUCloseSocketHandle(s->handle, &e);
        unlist(s);
        if (!already)
            itot_sock_unref(s); /* the handle's reference */
        /* Ours, taken above, so s outlived the handle's: the analyzer cannot
         * see the count and assumes the unref before freed it. */
        itot_sock_unref(s); // NOLINT(clang-analyzer-unix.Malloc)
    }
}

/* ---- fork ------------------------------------------------------------------
 * A forked child gets a copy of every socket context but none of the threads
 * that used them: the parent's sockets are the parent's.  In the child they
 * answer WSAENOTSOCK (closesocket only releases the handle), their TCP
 * descriptors are closed at once (the parent's copies keep the connections:
 * no FIN, no DR, and the parent's FIN is not held back by the child), and
 * the child's own sockets and engine start from nothing. */

/* Close the child's copy of s's descriptor (child, single-threaded).  Read
 * without s's lock: close_tcp sets fd to -1 before it closes, so fd is -1 or
 * a descriptor the child inherited. */
void itot_sock_orphan_fd(struct itot_sock *s)
{
    int fd = s->fd;
    if (fd >= 0) {
        s->fd = -1;
        sys_close(fd);
    }
}

static void itot_atfork_prepare(void)
{
    itot_engine_atfork_pass(); /* a pass takes the locks below */
    pthread_mutex_lock(&proto_lock);
    pthread_mutex_lock(&all_lock);
    itot_engine_atfork_prepare();
}

static void itot_atfork_parent(void)
{
    itot_engine_atfork_parent();
    pthread_mutex_unlock(&all_lock);
    pthread_mutex_unlock(&proto_lock);
}

static void itot_atfork_child(void)
{
    itot_fork_gen++;
    itot_engine_atfork_child();
    itot_waiters_atfork_child();
    for (struct itot_sock *s = all_head, *next; s; s = next) {
        next = s->all_next;
        s->all_next = all_orphans;
        all_orphans = s;
        itot_sock_orphan_fd(s);
    }
    all_head = NULL;
    /* A parent thread may have been in select's wait: its lock and condition
     * variable are copies with owners and waiters that do not exist here. */
    pthread_mutex_init(&sel_lock, NULL);
    pthread_cond_init(&sel_cond, NULL);
    atomic_store(&sel_waiters, 0);
    pthread_mutex_unlock(&all_lock);
    pthread_mutex_unlock(&proto_lock);
}

static pthread_once_t itot_atfork_once = PTHREAD_ONCE_INIT;

static void itot_atfork_register(void)
{
    poll_home_atfork_init(); /* first: its prepare then runs after ours */
    pthread_atfork(itot_atfork_prepare, itot_atfork_parent, itot_atfork_child);
}

void itot_sock_atfork_init(void)
{
    /* Once per loaded copy of the module: glibc drops the handlers of a
     * module at its dlclose, and a new dlopen brings a fresh once flag. */
    pthread_once(&itot_atfork_once, itot_atfork_register);
}
