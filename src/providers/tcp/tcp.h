/* SPDX-License-Identifier: MIT */
/* tcp provider — internal interface shared by the files of the module.
 *
 * One tcp_sock per SOCKET handed out through WPUCreateSocketHandle.  The
 * explicit state exists because the kernel's answers alone are not enough: on
 * Linux shutdown() on a connecting socket aborts the connect, and a socket
 * that has sent its FIN looks "connected" to most calls. */
#ifndef WSP_TCP_TCP_H
#define WSP_TCP_TCP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <wsp/mswsock.h>
#include <wsp/ws2spi.h>

#include "common/ovl.h"
#include "common/spi_addr.h"
#include "common/spi_call.h"
#include "common/spi_procs.h"

struct tcp_ur_sock;

enum tcp_state {
    TCP_ST_NEW,        /* created, not bound */
    TCP_ST_BOUND,      /* bound, not listening or connecting */
    TCP_ST_LISTENING,  /* listen() done */
    TCP_ST_CONNECTING, /* non-blocking connect pending */
    TCP_ST_CONNECTED,  /* connected (UDP: default peer set) */
    TCP_ST_SEND_SHUT,  /* our FIN is queued: SendDisconnect / Shutdown(SD_SEND) done */
    TCP_ST_RELEASED,   /* both FINs exchanged: the kernel released the connection */
};

#define TCP_SOCK_MAGIC 0x77737074u /* "tpsw": tcp_sock.magic while the socket lives */

struct tcp_sock {
    uint32_t magic; /* TCP_SOCK_MAGIC: tells a tcp handle from another provider's (extension.c) */
    int fd;
    int af;
    int type; /* SOCK_STREAM or SOCK_DGRAM */
    SOCKET handle;
    _Atomic int state;         /* enum tcp_state */
    atomic_bool send_shut;     /* sends refused with WSAESHUTDOWN */
    atomic_bool recv_shut;     /* receives refused with WSAESHUTDOWN */
    atomic_bool nonblocking;   /* Winsock's FIONBIO mode, mirrored on the fd */
    atomic_int blocked;        /* threads inside a blocking syscall on fd */
    atomic_bool closing;       /* WSPCloseSocket has started */
    atomic_bool connect_told;  /* FD_CONNECT already recorded for this connect attempt */
    atomic_bool reuse_addr;    /* Windows' SO_REUSEADDR: applied at bind (options.c) */
    atomic_bool excl_addr;     /* SO_EXCLUSIVEADDRUSE */
    atomic_bool cond_accept;   /* SO_CONDITIONAL_ACCEPT (recorded; see providers-tcp.md) */
    _Atomic DWORD timeo_ms[2]; /* SO_RCVTIMEO, SO_SNDTIMEO as set (the kernel rounds to ticks) */
    int deferred_fd;           /* a connection the condition function deferred, or -1 */
    pthread_mutex_t lock;      /* guards the event fields and deferred_fd */
    WSAEVENT event;            /* WSPEventSelect target, or NULL */
    _Atomic LONG ev_mask;      /* FD_* selected */
    LONG ev_pending;           /* FD_* recorded, not yet enumerated */
    int ev_err[FD_MAX_EVENTS]; /* error code per recorded event */
    bool ev_registered;        /* WSPEventSelect wants the watcher (guarded by the events mutex) */
    bool ep_added;             /* fd is in an epoll set (likewise): */
    int ep_fd;                 /* libwsp's process set, or the port's (port polling) */
    uint64_t ep_data;          /* its reports' data: the handle, tagged with our procedure */
    /* Overlapped I/O (ovl_submit.c, ovl_engine.c). */
    bool overlapped;          /* WSA_FLAG_OVERLAPPED, or accepted: lpOverlapped is honoured */
    atomic_bool ovl_watch;    /* the watcher progresses its queues (set once, events mutex) */
    pthread_mutex_t ovl_lock; /* guards the queues and shut_pending */
    struct ovl_list ovl_q[2]; /* pending operations, TCP_OVL_SEND / TCP_OVL_RECV, FIFO */
    bool shut_pending;        /* SHUT_WR waits for the last queued send */
    struct tcp_ur_sock *ur;   /* the io_uring engine's slots (ovl_uring.c), or NULL */
    /* Extension functions (extension.c). */
    _Atomic uint64_t connected_ms; /* when the connection was made (SO_CONNECT_TIME), else 0 */
    atomic_bool ext_accepting;     /* the accept socket of a pending AcceptEx */
    struct tcp_sock *next;         /* registry list (guarded by the registry mutex) */
    struct tcp_sock *prev;
    WSAPROTOCOL_INFOW proto; /* the catalog entry this socket was created for */
};

/* ---- startup.c ----------------------------------------------------------- */
extern WSPUPCALLTABLE tcp_upcalls;
extern atomic_bool tcp_live;              /* false before startup and after the last cleanup */
extern _Thread_local int tcp_in_callback; /* this thread runs a condition function of ours */

/* ---- socket.c ------------------------------------------------------------ */
/* The context of handle s, or NULL with *err set (WSAENOTSOCK).  Inline:
 * every entry's prologue (tcp_enter) makes this upcall, and a call frame of
 * its own cost as much as the upcall's answer for the handle the API has
 * pinned for this call (callgrind, docs/performance.md). */
static inline struct tcp_sock *tcp_lookup(SOCKET s, int *err)
{
    DWORD_PTR ctx = 0;
    if (s == INVALID_SOCKET || tcp_upcalls.lpWPUQuerySocketHandleContext(s, &ctx, err) != 0 ||
        ctx == 0) {
        *err = WSAENOTSOCK;
        return NULL;
    }
    return (struct tcp_sock *)ctx;
}
/* tcp_guard() and tcp_enter(s, &err): every entry's prologue (spi_call.h);
 * the condition function runs between SPI_CALLBACK_ENTER/LEAVE (accept.c). */
SPI_CALL_DECLARE_COUNTED(tcp, struct tcp_sock)
/* Wrap an open fd into a new context and handle; on failure the fd is closed. */
struct tcp_sock *tcp_sock_new(int fd, int af, int type, const WSAPROTOCOL_INFOW *proto, int state,
                              bool overlapped, int *err);
/* Close a context fully: wake blocked calls, drop the handle, free. */
void tcp_sock_close(struct tcp_sock *ts);
/* Close every socket still open (the last WSPCleanup). */
void tcp_sock_close_all(void);
/* Set the fd's O_NONBLOCK to match Winsock's mode. 0 or a WSAE* code. */
int tcp_set_nonblocking(struct tcp_sock *ts, bool on);
/* Move CONNECTING -> CONNECTED and SEND_SHUT -> RELEASED when the kernel says
 * so; returns the state after the refresh. */
int tcp_refresh_state(struct tcp_sock *ts);

/* Bracket a syscall that may block, so WSPCloseSocket can wake it.  Returns
 * false (do not block) when the socket is already closing. */
static inline bool tcp_block_begin(struct tcp_sock *ts)
{
    atomic_fetch_add(&ts->blocked, 1);
    if (atomic_load(&ts->closing)) {
        atomic_fetch_sub(&ts->blocked, 1);
        return false;
    }
    return true;
}
static inline void tcp_block_end(struct tcp_sock *ts)
{
    atomic_fetch_sub(&ts->blocked, 1);
}

/* ---- select_wake.c ------------------------------------------------------- */
/* A WSPSelect that may sleep in poll(): listed so that closing one of its
 * sockets wakes it through fd (an eventfd it polls for POLLIN). */
struct tcp_selwake {
    struct tcp_selwake *next, *prev; /* the list (under its lock) */
    struct tcp_sock *const *socks;   /* the sockets it waits on */
    int n;
    int fd;         /* eventfd, written by a close of one of socks */
    bool signalled; /* fd was written (under the list's lock) */
};
/* List w before sleeping, then check tcp_selwake_closing: 0 or WSAENOBUFS. */
int tcp_selwake_enter(struct tcp_selwake *w, struct tcp_sock *const *socks, int n);
void tcp_selwake_leave(struct tcp_selwake *w);
/* Has a close of one of w's sockets started? */
bool tcp_selwake_closing(const struct tcp_selwake *w);
/* The close path, after setting ts->closing: wake the selects that hold ts. */
void tcp_selwake_close(const struct tcp_sock *ts);
/* The last WSPCleanup: close the pooled eventfds. */
void tcp_selwake_cleanup(void);

/* ---- disconnect.c -------------------------------------------------------- */
/* The shared core of SendDisconnect and Shutdown(SD_SEND): 0 or a WSAE* code. */
int tcp_send_shutdown(struct tcp_sock *ts);

/* ---- events.c ------------------------------------------------------------ */
/* Record events seen outside the watcher (e.g. data left after a recv). */
void tcp_events_post(struct tcp_sock *ts, LONG bits, int err);
/* Winsock re-enables FD_READ/FD_ACCEPT on every recv/accept: post `bit`
 * again if the socket is still readable (the watcher is edge-triggered and
 * will not report input that was already there). */
void tcp_events_rearm(struct tcp_sock *ts, LONG bit);
/* Record FD_CONNECT once per attempt if the pending connect has finished
 * (succeeded or failed).  Called by the watcher and by WSPConnect itself,
 * since the handshake can finish before WSPConnect has marked the socket as
 * connecting, and the watcher's edge is then spent. */
void tcp_events_connect_check(struct tcp_sock *ts);
/* Remove ts from the watcher before its handle is closed; and wait until the
 * watcher can no longer be touching a context (after the handle is gone). */
void tcp_events_forget(struct tcp_sock *ts);
void tcp_events_barrier(void);
/* Stop the watcher thread (the last WSPCleanup). */
void tcp_events_stop(void);

/* Put ts in the watcher's care for its overlapped queues (once per socket;
 * afterwards a single atomic load). 0 or a WSAE* code. */
int tcp_events_ovl_watch(struct tcp_sock *ts);

/* ---- ovl_submit.c, ovl_engine.c: overlapped I/O ---------------------------- */
enum { TCP_OVL_SEND, TCP_OVL_RECV }; /* queue index and ovl_op kind */
/* ovl_op kinds of the extension functions (extension.c): ConnectEx waits in
 * the send queue, AcceptEx in the listener's receive queue. */
enum { TCP_OVL_CONNECT = 2, TCP_OVL_ACCEPT = 3 };
static inline int tcp_ovl_queue(int kind)
{
    return kind == TCP_OVL_CONNECT ? TCP_OVL_SEND : kind == TCP_OVL_ACCEPT ? TCP_OVL_RECV : kind;
}

/* ---- recv_ctl.c: WSARecvMsg's control messages (datagram sockets) -------- */
/* The caller's WSAMSG and the room its Control had (read at the call: the
 * API sets Control.len to 0 until the receive is done). */
struct tcp_ctl {
    LPWSAMSG msg;
    ULONG cap;
};
/* The kernel's control buffer: room for both PKTINFO messages. */
#define TCP_CTL_BUF 128
/* After a receive with mh->msg_control: the Windows forms of its messages
 * into the caller's Control, Control.len set, *outflags MSG_CTRUNC (Windows'
 * value) when one did not fit. 0 or WSAEFAULT. */
int tcp_ctl_deliver(const struct tcp_ctl *ctl, struct msghdr *mh, DWORD *outflags);
/* WSARecvMsg on a datagram socket with control room: as WSPRecvFrom, plus
 * the control messages (ctl). */
int tcp_recv_msg(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got, LPDWORD lpFlags,
                 struct sockaddr *from, LPINT fromlen, const struct tcp_ctl *ctl,
                 LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                 LPWSATHREADID thread, LPINT lpErrno);

/* WSPSend/SendTo and WSPRecv/RecvFrom with an lpOverlapped on an overlapped
 * socket: the whole call (return value and *lpErrno). ctl: WSARecvMsg's
 * control messages, or NULL. */
int tcp_ovl_send(struct tcp_sock *ts, LPWSABUF bufs, DWORD count, LPDWORD sent, DWORD dwFlags,
                 const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov,
                 LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread, LPINT lpErrno);
int tcp_ovl_recv(struct tcp_sock *ts, LPWSABUF bufs, DWORD count, LPDWORD got, LPDWORD lpFlags,
                 struct sockaddr *from, LPINT fromlen, const struct tcp_ctl *ctl,
                 LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                 LPWSATHREADID thread, LPINT lpErrno);
/* The watcher saw `what` (EPOLL* bits) on ts: progress its queues in order.
 * Called with the events mutex held. */
void tcp_ovl_progress(struct tcp_sock *ts, uint32_t what);
/* Try the first operations of queue q until one must wait; complete them in
 * order. Called with ts->ovl_lock held. */
void tcp_ovl_run(struct tcp_sock *ts, int q);
/* SD_SEND on an overlapped socket: shutdown(SHUT_WR) now, or after the last
 * queued send when sends are queued. 0 or a WSAE* code. */
int tcp_ovl_send_shutdown(struct tcp_sock *ts);
/* WSPCloseSocket: complete every pending operation with WSA_OPERATION_ABORTED
 * (before the handle goes). */
void tcp_ovl_close(struct tcp_sock *ts);
/* SIO_WSP_CANCEL_OVERLAPPED and SIO_WSP_CANCEL_OVERLAPPED_THREAD (WSPIoctl handlers). */
int tcp_ioctl_cancel(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                     LPDWORD ret);
int tcp_ioctl_cancel_thread(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                            LPDWORD ret);

/* ---- extension.c: Microsoft's extension functions (mswsock.h) ------------- */
/* SIO_GET_EXTENSION_FUNCTION_POINTER (a WSPIoctl handler). */
int tcp_ioctl_ext(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                  LPDWORD ret);
/* One attempt at a ConnectEx / AcceptEx (tcp_ovl_try's contract; the
 * watcher, events mutex and ts->ovl_lock held). */
bool tcp_ext_try_connect(struct tcp_sock *ts, struct ovl_op *op, DWORD *err);
bool tcp_ext_try_accept(struct tcp_sock *ts, struct ovl_op *op, DWORD *err);
/* SO_CONNECT_TIME, SO_UPDATE_ACCEPT_CONTEXT, SO_UPDATE_CONNECT_CONTEXT:
 * true when name is one of them, with *err the answer. */
bool tcp_ext_getsockopt(struct tcp_sock *ts, int level, int name, char *optval, LPINT optlen,
                        int *err);
bool tcp_ext_setsockopt(struct tcp_sock *ts, int level, int name, const char *optval, int optlen,
                        int *err);
/* Before an ext operation's arg is freed: the accept socket of an AcceptEx
 * is free for another. */
void tcp_ext_release(struct ovl_op *op);
/* The connection is made now (SO_CONNECT_TIME). */
void tcp_mark_connected(struct tcp_sock *ts);
/* tcp_lookup for a handle that may be another provider's: the context is
 * read through umem and must carry TCP_SOCK_MAGIC. */
struct tcp_sock *tcp_lookup_ours(SOCKET s, int *err);
SPI_CALL_DECLARE_OURS(tcp, struct tcp_sock)

/* ---- events.c: for the extension functions ---------------------------------- */
/* Have the watcher look at ts's queues now (re-arms the edge: readiness that
 * is already there is reported). 0 or a WSAE* code. */
int tcp_events_ovl_kick(struct tcp_sock *ts);
/* The same with the events mutex already held (the watcher itself). */
int tcp_events_ovl_kick_locked(struct tcp_sock *ts);
/* ts's descriptor is about to be replaced (dup3): forget its epoll entry
 * (events mutex held). */
void tcp_events_fd_gone_locked(struct tcp_sock *ts);

/* ---- options.c ----------------------------------------------------------- */
/* Before bind(2): give the fd the kernel options that make Windows'
 * SO_REUSEADDR / SO_EXCLUSIVEADDRUSE meaning hold.  0 or a WSAE* code. */
int tcp_opt_prepare_bind(struct tcp_sock *ts);
/* The Winsock code of a failed bind(2) whose errno is err. */
int tcp_opt_bind_error(struct tcp_sock *ts, int err);

/* ---- ioctl_addr.c -------------------------------------------------------- */
/* SIO_ROUTING_INTERFACE_QUERY, SIO_ADDRESS_LIST_QUERY, SIO_GET_INTERFACE_LIST
 * (WSPIoctl handlers). */
int tcp_ioctl_route_query(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                          LPDWORD ret);
int tcp_ioctl_addr_list(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                        LPDWORD ret);
int tcp_ioctl_if_list(struct tcp_sock *ts, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                      LPDWORD ret);

/* ---- address.c ----------------------------------------------------------- */
/* Length of a sockaddr for af, 0 if af is not ours (the kit's, spi_addr.h). */
static inline int tcp_sockaddr_len(int af)
{
    return spi_addr_len(af);
}

/* ---- SPI entry points (one file each group) ------------------------------ */
/* tcp_WSPAccept ... tcp_WSPStringToAddress, typed as in ws2spi.h */
SPI_PROC_DECLARE(tcp)

#endif
