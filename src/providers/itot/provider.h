/* SPDX-License-Identifier: MIT */
/* itot provider glue — internal interface shared by the module's files
 * (startup.c, sock.c, engine.c, listen.c, connect.c, data.c, options.c, events.c,
 * address.c).  The protocol itself is in conn.[ch]; this layer owns
 * sockets, locks, user memory and the progress engine; what every provider
 * module needs alike (entry prologue, start-up, option and address
 * copy-out) is the provider kit's, src/common/spi_*.h.
 *
 * Locking: each socket has its own mutex and condition variable; blocking
 * calls wait there.  Lock order: a pending (accepted, not yet handed out)
 * socket's lock before its listener's lock; a socket's lock before the
 * engine's registry lock.  Lifetime: a reference count; the handle holds one,
 * the engine's registration one, a listener's accept queue one per entry. */
#ifndef WSP_ITOT_PROVIDER_H
#define WSP_ITOT_PROVIDER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <wsp/itot.h>
#include <wsp/ws2spi.h>

#include "common/ovl.h"
#include "common/spi_addr.h"
#include "common/spi_call.h"
#include "common/spi_procs.h"

#include "conn.h"
#include "timer_heap.h"

enum itot_kind {
    ITOT_K_NEW,    /* created (maybe bound) */
    ITOT_K_LISTEN, /* listening */
    ITOT_K_CONN,   /* has a connection (any conn state) */
};

/* An address of the families itot runs on (IPv4, IPv6): 28 octets where a
 * sockaddr_storage takes 128, and a socket keeps four. */
union itot_addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/* A caller's address (ss: AF_INET or AF_INET6, checked) into a, and back. */
static inline void itot_addr_set(union itot_addr *a, const struct sockaddr_storage *ss)
{
    memcpy(a, ss, sizeof *a);
}

static inline void itot_addr_get(struct sockaddr_storage *ss, const union itot_addr *a)
{
    memset(ss, 0, sizeof *ss);
    memcpy(ss, a, sizeof *a);
}

#define ITOT_SOCK_MAGIC 0x746f7469u /* "itot": itot_sock.magic while the socket lives */

/* A thread that waits in poll() on a socket's descriptor (waiter.c). */
struct itot_waiter {
    int efd; /* eventfd: itot_wake writes it */
    /* On the waiters of one connection and of one listener at most (their
     * locks): an accept waiting for a CR polls both. */
    struct itot_waiter *next_on_sock, *next_on_listener;
    struct itot_waiter *all_next, *all_prev; /* every waiter (waiter.c's mutex) */
};

/* A listener's own state (listen.c), guarded by its lock. The options among
 * it (limits, the CR wait, the reject reason) may be set on a socket before
 * it listens. */
struct itot_listen_state {
    /* connections whose CR arrived, waiting for WSPAccept, oldest first */
    struct itot_sock *acc_head, *acc_tail;
    int n_pending;   /* TCP-accepted and not yet handed out */
    int max_pending; /* WSP_ITOT_MAX_PENDING: the limit on n_pending */
    /* pending connections with no CR yet, oldest first */
    struct itot_sock *silent_head, *silent_tail;
    uint32_t cr_wait_ms;        /* WSP_ITOT_CR_WAIT_MS */
    int max_silent_per_source;  /* WSP_ITOT_MAX_SILENT_PER_SOURCE */
    uint8_t reject_reason;      /* WSP_ITOT_REJECT_REASON: the DR reason of CF_REJECT */
    int reserve_fd;             /* spent to refuse connections when out of descriptors */
    uint64_t accept_resume_ms;  /* accepting paused until then (0: not paused) */
    uint32_t accept_backoff_ms; /* length of the last pause, doubled while failing */
    bool trim_due;              /* a trim stopped at a full batch */
};

/* A connection the engine accepted for a listener, from then until WSPAccept
 * (or AcceptEx) hands it out or it dies; its listener's lock guards it. */
struct itot_pending_state {
    struct itot_sock *listener; /* one reference */
    struct itot_sock *acc_next; /* on the listener's accept queue */
    bool counted;               /* in the listener's n_pending */
    bool silent;                /* on the listener's silent list */
    struct itot_sock *silent_prev, *silent_next;
    uint64_t accepted_ms; /* when the engine accepted it */
};

struct itot_sock {
    uint32_t
        magic; /* ITOT_SOCK_MAGIC: tells an itot handle from another provider's (extension.c) */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* every change a blocked call may wait for */
    /* Threads polling fd themselves (waiter.c): in a plain receive (while
     * there are any, direct_readers, the engine does not read this socket),
     * a blocking connect, a blocking accept (on the listener, and on the
     * connection whose CR it waits for). */
    struct itot_waiter *waiters;
    unsigned direct_readers;
    /* A plain receive has polled, or a blocking connect or accept made the
     * connection: input is read by the API calls (receives, and a send or
     * FIONREAD looking first), not by the engine, until something needs the
     * engine to watch it (itot_input_to_engine).  On a listener: a blocking
     * WSPAccept takes its connections itself (accept_direct.c), the engine
     * accepts none, until select, WSAEventSelect, AcceptEx or a
     * non-blocking accept needs it to. */
    bool input_direct;
    /* A thread polls the descriptor and runs the handshake and its timer
     * itself (waiter.c, accept_direct.c): a blocking WSPConnect (CR, CC,
     * TS1), or a blocking WSPAccept waiting for the CR of the connection it
     * accepted (the listener's CR wait). The engine neither watches nor
     * times s meanwhile. */
    bool driven;
    atomic_int refs;
    unsigned fork_gen;     /* the process generation it was created in (see sock.c, fork) */
    int fd;                /* TCP socket, -1 once closed */
    atomic_bool fd_closed; /* fd was closed (read by the engine's reaper without the lock) */
    int af;
    SOCKET handle; /* INVALID_SOCKET while pending on a listener */
    enum itot_kind kind;
    bool nonblocking;
    bool bound;
    bool closing;        /* WSPCloseSocket started: wake and fail blocked calls */
    bool tcp_connecting; /* TCP connect() still in progress */
    bool tcp_wr_shut;    /* FIN sent for a class 0 release (conn.half_close) */
    bool has_conn;
    bool registered;  /* in the engine (epoll + registry) */
    bool send_busy;   /* a Send is in the middle of a TSDU */
    bool recv_shut;   /* Shutdown(SD_RECEIVE) / RecvDisconnect done */
    bool end_seen;    /* a Recv reported the disconnect: the release is complete for the user */
    bool overlapped;  /* WSA_FLAG_OVERLAPPED (or accepted): lpOverlapped is honoured */
    bool ovl_tx_busy; /* itot_ovl_progress is staging pending sends (no re-entry) */
    /* Pending overlapped operations, in issue order (overlapped.c). */
    struct ovl_list ovl_rx, ovl_tx;
    union itot_addr local; /* own address, kept for after the TCP close (C10) */
    socklen_t local_len;
    bool disc_deferred; /* SendDisconnect arrived during a Send: issued when it ends */
    uint8_t disc_deferred_len;
    uint8_t disc_deferred_data[TPDU_MAX_DISC_DATA];
    uint32_t ep_events; /* epoll interest now */
    int so_error;       /* SO_ERROR: last asynchronous failure */
    struct conn conn;
    struct conn_cfg cfg;

    /* Options set before connect / for close. */
    uint8_t conn_data_len, disc_data_len;
    uint8_t conn_data[TPDU_MAX_CONN_DATA];
    uint8_t disc_data[TPDU_MAX_DISC_DATA];
    uint32_t timeo_ms[2]; /* SO_RCVTIMEO, SO_SNDTIMEO: ms a blocking call waits (0: no limit) */

    /* Input bytes not yet consumed by the state machine (at most one TPKT + a
     * read), in a pooled buffer held only while there are some (or during a
     * read): NULL when empty.  in_starved: no buffer could be had for a read
     * (the engine retries; see engine.c). */
    uint8_t *in;
    size_t in_len;
    bool in_starved;

    /* The listener's side (kind ITOT_K_LISTEN) and the pending connection's
     * side of accepting: see their types. */
    struct itot_listen_state lst;
    struct itot_pending_state pend;
    union itot_addr peer;
    socklen_t peer_len;

    /* Initiator: where WSPConnect went and what WSPBind asked for, so the
     * fall-back (fallback.c) can open a second TCP connection the same way. */
    union itot_addr remote, bind_addr;
    socklen_t remote_len, bind_len;
    uint8_t fb_kind; /* WSP_ITOT_FB_* of a fall-back that happened, else 0 */
    int fb_detail;

    /* WSPEventSelect. */
    WSAEVENT event;
    LONG ev_mask;
    LONG ev_pending;
    int ev_err[FD_MAX_EVENTS];

    /* All published sockets (guarded by the socket-list lock), for the last cleanup. */
    struct itot_sock *all_next, *all_prev;
    bool listed;
    /* Engine registry and kick list (guarded by the registry lock). */
    atomic_bool kicked; /* on the engine's kick list (engine.c, kick_link) */
    struct itot_sock *kick_next;
    struct itot_sock *reg_next, *reg_prev;
    struct itot_sock *reap_next;  /* on the engine's reap list (registry lock) */
    bool reap_linked;             /* (registry lock) */
    _Atomic uint64_t deadline_ms; /* the socket's next timer (conn.deadline_ms or a listener's) */
    /* The engine's filing of that timer: its heap entry (engine thread only)
     * and, for other threads to compare with, the deadline it is filed under
     * (0: none); a thread that changes deadline_ms kicks the engine when the
     * two differ, and the engine files the new one. */
    struct timer_entry timer;
    _Atomic uint64_t timer_filed_ms;

    /* Extension functions (extension.c). The handle's context is the socket
     * WSPSocket made (the root); after AcceptEx took a connection into it, or
     * DisconnectEx(TF_REUSE_SOCKET) gave it a fresh start, the root forwards
     * to the socket that now serves the handle (one reference, dropped when
     * the root is freed or forwards elsewhere). */
    _Atomic(struct itot_sock *) fwd;
    uint64_t connected_ms; /* when the connection was established (SO_CONNECT_TIME), else 0 */
    bool ext_accepting;    /* the accept socket of a pending AcceptEx */

    const WSAPROTOCOL_INFOW *proto; /* shared by the sockets of a catalog entry (sock.c) */
    bool proto_own;                 /* ... or this socket's own copy */
};

/* ---- startup.c ----------------------------------------------------------- */
extern WSPUPCALLTABLE itot_upcalls;
extern atomic_bool itot_live;
extern _Thread_local int itot_in_callback;

uint64_t itot_now_ms(void);

/* ---- sock.c -------------------------------------------------------------- */
/* The input buffer: a whole TPKT plus one more read. */
#define ITOT_IN_CAP ((size_t)2 * TPKT_MAX_LEN)
struct itot_sock *itot_sock_alloc(int af, const WSAPROTOCOL_INFOW *proto, int fd);
/* Give the input buffer back if it holds nothing (lock held). */
void itot_in_release(struct itot_sock *s);
/* Reading stopped for want of a buffer (the input buffer, or one the state
 * machine needed for the TPKT it holds, lock held): nobody reads the socket
 * until the engine's retry timer (engine.c, sock_deadline) tries again, and
 * a blocked receive waits for the engine, not on the descriptor.  Nothing is
 * lost: the octets read stay in the input buffer, the rest in TCP. */
static inline bool itot_starved(const struct itot_sock *s)
{
    return s->in_starved || (s->has_conn && s->conn.starved);
}
/* The provider's memory (WSP_ITOT_MEMORY): socket contexts and buffers. */
void itot_memory(WSP_ITOT_MEMORY_INFO *m);
void itot_sock_ref(struct itot_sock *s);
void itot_sock_unref(struct itot_sock *s);
/* Context of handle s (no reference taken: ws2 pins the handle for the call). */
struct itot_sock *itot_lookup(SOCKET s, int *err);
/* itot_guard() and itot_enter(h, &err): every entry's prologue (spi_call.h). */
SPI_CALL_DECLARE(itot, struct itot_sock)
/* Issue a handle for s (entry id from s->proto). 0 or WSAE*. */
int itot_sock_publish(struct itot_sock *s);
/* A fresh nonzero reference for a new connection. */
uint16_t itot_new_ref(void);
/* Start the state machine on s (lock held). 0 or WSAE*. */
int itot_sock_start_conn(struct itot_sock *s, enum conn_role role);
/* Wait on s->cond (lock held) until woken or deadline (0 = none). */
void itot_wait(struct itot_sock *s, uint64_t deadline_ms);
/* Notify waiters and selected events of s (lock held). */
void itot_wake(struct itot_sock *s);
void itot_post_event(struct itot_sock *s, LONG bit, int err);
/* Select waiters across sockets. */
void itot_select_kick(void);
/* fork(): register the handlers (once per module load); in a child, close
 * the inherited descriptor of a parent's socket. */
void itot_sock_atfork_init(void);
void itot_sock_orphan_fd(struct itot_sock *s);

/* ---- engine.c ------------------------------------------------------------ */
/* Register s (lock held, fd set): the engine then reads, flushes and times it. */
int itot_engine_add(struct itot_sock *s);
/* Re-evaluate epoll interest and the timer of s after a change (lock held). */
void itot_engine_update(struct itot_sock *s);
/* Write what the output queue holds, as far as TCP takes it (lock held). */
void itot_flush(struct itot_sock *s);
/* Read once from TCP and feed the state machine (lock held). */
void itot_pull(struct itot_sock *s);
/* A read or write of TCP failed with errno err because the peer's TCP did
 * (reset, gone, timed out, or unreachable at the timeout: EHOSTUNREACH,
 * ENETUNREACH, EHOSTDOWN): the peer's end, read as its disconnect
 * (WSP_ITOT_PEER_END).  Any other err is this side's own failure (ENOBUFS,
 * ENOMEM, ENETDOWN, ...), no act of the peer: never its disconnect. */
bool itot_peer_tcp_failed(int err);
/* Act on the state machine's events (lock held): wake, post events, close TCP. */
void itot_apply(struct itot_sock *s);
/* What the engine does for s when its descriptor reports events (EPOLL*
 * bits, equal to poll's) or its timer may have expired: finish a TCP
 * connect, read, flush, fire the timer, apply (lock held). Also called by a
 * thread that drives s itself (waiter.c). now: itot_now_ms() read by the
 * caller, one clock read for the whole pass. */
void itot_progress(struct itot_sock *s, uint32_t events, uint64_t now);
/* TCP's connect returned EINPROGRESS with the CR queued (lock held): try
 * the CR at once. Where the handshake completes within connect() (loopback)
 * it goes, and neither a poll for writability nor the SO_ERROR read (nor a
 * wake-up of the engine) is needed; a connect that failed is failed here.
 * false: TCP is still connecting, nothing changed (the caller waits for
 * writability as before). */
bool itot_connect_try(struct itot_sock *s);
/* Put fd in place of s's TCP socket (lock held): the old one leaves the
 * epoll set and is closed, fd joins it with s's interest. */
void itot_engine_replace_fd(struct itot_sock *s, int fd);
void itot_engine_stop(void);

/* waiter.c */
/* A plain receive waits for input on s (lock held): polls s's descriptor and
 * this thread's wake descriptor, with s's lock released meanwhile, until
 * input, an itot_wake of s, or deadline_ms (0: none); while our release runs
 * (CONN_S_DR_SENT) it also flushes, fires TS2 and applies, as the engine
 * would. false (nothing done, lock still held) unless s is connected or
 * releasing with its descriptor open and room for input, and the thread has
 * a wake descriptor: the caller then waits for the engine. */
bool itot_wait_input(struct itot_sock *s, uint64_t deadline_ms);
/* A blocking WSPConnect (lock held, CR queued, s->driven set before
 * the connect started) waits for TCP's connect, sends the CR, reads the CC
 * and runs TS1 itself, polling s's descriptor and this thread's wake
 * descriptor with s's lock released meanwhile, until the CR is answered, the
 * socket closes or TS1 fires. false (nothing done, lock still held) when the
 * thread has no wake descriptor: the caller then waits for the engine. */
bool itot_drive_connect(struct itot_sock *s);
/* The calling thread's waiter, made on its first wait; NULL when it cannot
 * be (no descriptor or memory): the caller waits for the engine. */
struct itot_waiter *itot_waiter_self(void);
/* Poll s's descriptor for events and w's wake descriptor, with s's lock
 * released meanwhile and w on s's waiters (itot_wake ends the poll): the
 * descriptor's revents, 0 when woken, timed out (deadline_ms, 0: none), or
 * the descriptor changed meanwhile (the caller looks again under the lock). */
uint32_t itot_waiter_poll(struct itot_sock *s, struct itot_waiter *w, short events,
                          uint64_t deadline_ms);
/* The same for a pending connection c (its lock held) and its listener l
 * (its lock taken inside, after c's: the lock order) together: c's revents
 * returned, l's in *lrev. */
uint32_t itot_waiter_poll_pair(struct itot_sock *c, short cev, struct itot_sock *l, short lev,
                               struct itot_waiter *w, uint64_t deadline_ms, uint32_t *lrev);
/* A blocking WSPAccept found l's queue empty (l's lock held, and held again
 * on return): wait for a connection on this thread, accepting the TCP
 * connection and reading its CR as the engine would (accept_direct.c).  true
 * when it waited (the caller looks at the queue again), false when it cannot
 * (l is watched for select events or an AcceptEx, or no wake descriptor):
 * the caller waits for the engine. */
bool itot_accept_drive(struct itot_sock *l);
/* Part of itot_wake: end the poll of every thread waiting on s (lock held). */
void itot_wake_waiters(struct itot_sock *s);
/* The last WSPCleanup (no thread waits any more) and a forked child. */
void itot_waiters_stop(void);
void itot_waiters_atfork_child(void);
/* s's input goes back to the engine (lock held): called by what waits for
 * input other than a plain receive (select, WSAEventSelect, an overlapped
 * receive), and on a listener by what waits for connections other than a
 * blocking accept (those two, AcceptEx, a non-blocking accept). */
void itot_input_to_engine(struct itot_sock *s);
/* In direct mode, read what TCP holds now (lock held): a send or FIONREAD
 * sees the state an engine would have seen (a DR, a TSDU). */
void itot_input_look(struct itot_sock *s);
/* fork(): the parent keeps its engine, the child forgets it (sock.c calls these). */
void itot_engine_atfork_pass(void); /* first: a pass takes the other locks */
void itot_engine_atfork_prepare(void);
void itot_engine_atfork_parent(void);
void itot_engine_atfork_child(void);

/* ---- listen.c: admission of TCP connections on a listener ---------------- */
#define ITOT_DEFAULT_CR_WAIT_MS 5000u
#define ITOT_DEFAULT_MAX_SILENT_PER_SOURCE 4
#define ITOT_SILENT_GRACE_MS 250u /* silent this long: evictable */
#define ITOT_ACCEPT_BACKOFF_MIN_MS 20u
#define ITOT_ACCEPT_BACKOFF_MAX_MS 1000u
#define ITOT_EVICT_BATCH 32  /* victims closed per engine pass over a listener */
#define ITOT_REFUSE_BATCH 64 /* connections refused per pass while out of descriptors */

/* Silent connections chosen for eviction, closed once the listener's lock is released. */
struct itot_evict {
    struct itot_sock *v[ITOT_EVICT_BATCH];
    int n;
};

/* All with the listener's lock held, except forget and evict (no lock). */
bool itot_listen_may_accept(const struct itot_sock *l, uint64_t now);
/* c (accepted at c->pend.accepted_ms, counted in n_pending) joins the
 * silent list; may pick a victim. */
void itot_listen_admit(struct itot_sock *l, struct itot_sock *c, uint64_t now,
                       struct itot_evict *ev);
/* The accept queue (connections whose CR arrived): c joins at the end, or
 * goes back to the front (a hand-out that failed: it is taken first again);
 * the first one leaves it (NULL: empty). */
void itot_listen_enqueue(struct itot_sock *l, struct itot_sock *c);
void itot_listen_requeue(struct itot_sock *l, struct itot_sock *c);
struct itot_sock *itot_listen_dequeue(struct itot_sock *l);
/* c leaves l's pending count if it is in it: true if it was. */
bool itot_listen_uncount(struct itot_sock *l, struct itot_sock *c);
/* The same for a pending connection being handed out (c's lock held, not its
 * listener's): the listener may take another connection now. */
void itot_pending_uncount(struct itot_sock *c);
/* c's CR arrived or c died: it leaves the silent list. */
void itot_listen_unsilence(struct itot_sock *l, struct itot_sock *c);
/* The last reference of a pending connection is dropped: unlink it. */
void itot_listen_forget(struct itot_sock *c);
/* Timer work: end an expired pause, evict over-bound sources. */
void itot_listen_tick(struct itot_sock *l, uint64_t now, struct itot_evict *ev);
/* When the listener's state changes by itself (0: never). */
uint64_t itot_listen_deadline(const struct itot_sock *l, uint64_t now);
/* A blocking accept's own TCP accept (accept_direct.c): one connection
 * accepted for l and registered with the engine, driven by the caller (the
 * engine neither reads nor times it, it is on no silent list), counted in
 * n_pending; one reference for the caller. NULL when none can be. */
struct itot_sock *itot_listen_take(struct itot_sock *l, uint64_t now);
/* l's interest and timer after its pending set changed. */
void itot_listen_refresh(struct itot_sock *l);
/* accept4 failed with err: true to try the next connection now. */
bool itot_listen_accept_failed(struct itot_sock *l, int err, uint64_t now);
void itot_listen_evict(struct itot_evict *ev);
void itot_listen_reserve_open(struct itot_sock *l);
void itot_listen_reserve_close(struct itot_sock *l);
/* WSPListen (lock held): the options every accepted TCP connection
 * inherits from the listener, and the listener's address when it listens on
 * one (local_len 0 for a wildcard). */
void itot_listen_prepare_fd(struct itot_sock *l);
/* The local address of c, accepted on l as fd (l's lock held): l's kept
 * address, else the kernel's answer for fd. */
void itot_listen_local_of(const struct itot_sock *l, int fd, struct itot_sock *c);

/* ---- fallback.c: the default CR refused for its parameters --------------- */
/* The connection s->conn was just refused in a way that allows one retry
 * with a plain class 0 CR (conn.fb_kind): open a new TCP connection to the
 * same address and send that CR on it (lock held).  true when the retry is
 * under way (s->conn is the new connection), false to report the refusal. */
bool itot_fallback_try(struct itot_sock *s);

/* ---- data.c: the pieces of the data path overlapped.c shares ------------ */
#define ITOT_MAX_BUFS 64
/* The TSDU in bufs accepted whole now (into TCP and the output queue), or
 * WSAEWOULDBLOCK having sent nothing; any other code is a failed send (lock
 * held; the rules of a non-blocking send, which never waits). */
int itot_tx_now(struct itot_sock *s, const WSABUF *bufs, DWORD nbufs);
/* The next TSDU (or what fits of it, *flags MSG_PARTIAL) into bufs (room
 * octets), and the count and flags into *lpN, *lpF when not NULL; consumed
 * unless peek (lock held, conn_rx_ready).  0 or WSAEFAULT (nothing consumed).
 * *was_full: the receive store had no room before (the caller pulls). */
int itot_rx_take(struct itot_sock *s, const WSABUF *bufs, DWORD nbufs, size_t room, bool peek,
                 LPDWORD lpN, LPDWORD lpF, DWORD *got, DWORD *flags, bool *was_full);
/* A receive's answer when no TSDU is there (lock held): 0 means wait. */
int itot_recv_state(struct itot_sock *s);
/* A SendDisconnect that waited for the sends before it: queue its DR once
 * no send is left before it (lock held). */
void itot_tx_settle(struct itot_sock *s);

/* ---- overlapped.c: pending overlapped operations ------------------------- */
/* Submissions (lock not held; s->overlapped, lpOverlapped != NULL). */
int itot_ovl_send(struct itot_sock *s, LPWSABUF bufs, DWORD nbufs, LPDWORD lpN, DWORD flags,
                  LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                  LPWSATHREADID tid);
int itot_ovl_recv(struct itot_sock *s, LPWSABUF bufs, DWORD nbufs, LPDWORD lpN, LPDWORD lpFlags,
                  LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                  LPWSATHREADID tid);
/* Complete what the connection's state allows now: queued receives from the
 * receive store (or with the end), queued sends into the output queue (lock
 * held; called by itot_apply). */
void itot_ovl_progress(struct itot_sock *s);
/* WSPCloseSocket / the last cleanup: every pending operation completes with
 * WSA_OPERATION_ABORTED (lock held). */
void itot_ovl_abort(struct itot_sock *s);
/* WSPIoctl(SIO_WSP_CANCEL_OVERLAPPED: ov, or every operation when NULL;
 * SIO_WSP_CANCEL_OVERLAPPED_THREAD: mine, the calling thread's) (lock not
 * held): 0 or WSP_ERROR_NOT_FOUND. */
int itot_ovl_cancel(struct itot_sock *s, LPWSAOVERLAPPED ov, bool mine);
/* WSPIoctl with an lpOverlapped: the record, completed by the caller once
 * the control ran (ovl_complete), or dropped when it failed (ovl_op_drop). */
int itot_ovl_ioctl(struct itot_sock *s, LPWSAOVERLAPPED ov,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID tid,
                   struct ovl_op **out);

/* ---- extension.c: Microsoft's extension functions (mswsock.h) ----------- */
enum itot_ovl_kind {
    ITOT_OVL_RECV = 1,
    ITOT_OVL_SEND,
    ITOT_OVL_IOCTL,
    ITOT_OVL_CONNECT, /* ConnectEx: in ovl_tx until the CC (then a send of its buffer) */
    ITOT_OVL_ACCEPT,  /* AcceptEx: in the listener's ovl_rx, then the connection's */
};
/* WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER). 0 or WSAE*. */
int itot_ext_pointer(const void *in, DWORD cb_in, void *out, DWORD cb_out, LPDWORD lpcb);
/* A CR arrived on pending connection c (c's lock held) while an AcceptEx
 * waits on listener l (l's lock held): the AcceptEx it takes, or NULL. */
struct ovl_op *itot_ext_accept_waiting(struct itot_sock *l);
/* Hand c (lock held, a queue reference taken) to the AcceptEx op. */
void itot_ext_accept_into(struct itot_sock *l, struct itot_sock *c, struct ovl_op *op);
/* Complete an operation, dropping what an AcceptEx holds (any kind). */
void itot_ovl_finish(struct ovl_op *op, DWORD err, DWORD bytes, DWORD flags);
/* A ConnectEx at the head of ovl_tx: 0 connected, WSAEWOULDBLOCK still
 * connecting, else the connection's failure (lock held). */
int itot_connect_outcome(struct itot_sock *s);
/* Start a non-blocking connect to ss with SO_CONNDATA (lock held). 0 or WSAE*. */
int itot_connect_start(struct itot_sock *s, const struct sockaddr_storage *ss, const uint8_t *data,
                       size_t dlen);
/* SendDisconnect's release (lock held). 0 or WSAE*. */
int itot_release(struct itot_sock *s, const uint8_t *data, size_t len);
/* The root of handle h (its own context) or NULL; sock.c. */
struct itot_sock *itot_root(SOCKET h);
/* itot_root / itot_lookup for a handle that may belong to another provider
 * (an extension function is called directly by the application, perhaps
 * with a layered provider's handle): its context is read through umem and
 * must carry ITOT_SOCK_MAGIC, else NULL and WSAENOTSOCK. */
struct itot_sock *itot_root_ours(SOCKET h);
struct itot_sock *itot_lookup_ours(SOCKET h, int *err);
SPI_CALL_DECLARE_OURS(itot, struct itot_sock)
/* Close what s serves like closesocket does, but keep the handle (lock held). */
void itot_sock_close_begin(struct itot_sock *s);

/* ---- helpers shared by the SPI files ------------------------------------ */
/* Length of a sockaddr for af, 0 if af is not ours (the kit's, spi_addr.h). */
static inline int itot_sockaddr_len(int af)
{
    return spi_addr_len(af);
}
/* Copy a caller's WSABUF (NULL: none) of at most max octets into d: WSAEFAULT
 * for unreadable memory, WSAEMSGSIZE when longer than max; *n = octets taken. */
int itot_take_data(LPWSABUF in, uint8_t *d, size_t max, size_t *n);
void itot_close_all(void);

/* ---- SPI entry points ----------------------------------------------------- */
/* itot_WSPAccept ... itot_WSPStringToAddress, typed as in ws2spi.h */
SPI_PROC_DECLARE(itot)

#endif
