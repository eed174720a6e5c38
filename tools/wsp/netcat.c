/* SPDX-License-Identifier: MIT */
/* The listen/connect engine. A helper thread copies stdin to the socket with
 * WSASend (one read() chunk = one message, so TSDU boundaries on itot are the
 * chunks) and calls WSASendDisconnect at end of input; the main thread copies
 * the peer's data to stdout with WSARecv and reports how the peer ended. */
#include "netcat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <wsp/itot.h>

#include "exitcode.h"
#include "report.h"
#include "tpdu_log.h"

#define NC_CHUNK 65536
#define NC_DISC_MAX 1024 /* far above the 64 octets of a DR: never truncates */

void nc_opts_init(struct nc_opts *o)
{
    memset(o, 0, sizeof *o);
    o->proto = ARGS_PROTO_ITOT;
    o->cls = -1;
    o->reject_reason = -1;
    o->quit_ms = -1;
    o->idle_ms = -1;
    o->timeout_ms = -1;
}

void nc_opts_free(struct nc_opts *o)
{
    args_data_free(&o->accept_data);
    args_data_free(&o->connect_data);
    args_data_free(&o->disconnect_data);
    args_data_free(&o->reject_data);
    args_data_free(&o->calling_tsap);
    args_data_free(&o->called_tsap);
}

const char *nc_proto_name(enum args_proto p)
{
    return p == ARGS_PROTO_TCP ? "tcp" : "itot";
}

void nc_format_addr(const struct sockaddr *sa, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
    }
    snprintf(out, outlen, "%s %u", host, port);
}

/* The itot options the command line asked for, one table row each: what
 * to set, from which field, and what to call it in a message. */
static int nc_set_itot_options(SOCKET s, const struct nc_opts *o, int *status)
{
    int cls = o->cls, size = (int)o->tpdu_size, tmo = (int)o->timeout_ms;
    const struct {
        int given, name;
        const void *val;
        int len;
        const char *what;
    } opt[] = {
        {o->cls >= 0, WSP_ITOT_CLASS, &cls, sizeof cls, "setting the ISO transport class"},
        {o->tpdu_size > 0, WSP_ITOT_TPDU_SIZE, &size, sizeof size, "setting the TPDU size"},
        {o->calling_tsap.set, WSP_ITOT_CALLING_TSAP, o->calling_tsap.buf, (int)o->calling_tsap.len,
         "setting the calling TSAP"},
        {o->called_tsap.set, WSP_ITOT_CALLED_TSAP, o->called_tsap.buf, (int)o->called_tsap.len,
         "setting the called TSAP"},
        {o->timeout_ms >= 0, WSP_ITOT_CR_TIMEOUT_MS, &tmo, sizeof tmo,
         "setting the connect timeout"},
        {o->timeout_ms >= 0, WSP_ITOT_DC_TIMEOUT_MS, &tmo, sizeof tmo,
         "setting the release timeout"},
    };
    /* -v: the provider keeps the TPDUs' headers for us (tpdu_log.c). */
    if (o->verbose && tpdu_log_enable(s) != 0)
        report_error("warning: the provider keeps no TPDU log; -v shows the messages only");
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
        if (!opt[i].given)
            continue;
        if (wsp_setsockopt(s, WSP_SOL_ITOT, opt[i].name, (const char *)opt[i].val, opt[i].len) ==
            SOCKET_ERROR) {
            int err = WSAGetLastError();
            report_wsa_error(opt[i].what, err);
            *status = tool_exit_from_wsa(err);
            return -1;
        }
    }
    return 0;
}

SOCKET nc_socket(const struct nc_opts *o, int af, int *status)
{
    SOCKET s = o->proto == ARGS_PROTO_TCP
                   ? WSASocketW(af, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0)
                   : WSASocketW(af, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    if (s == INVALID_SOCKET) {
        int err = WSAGetLastError();
        report_wsa_error(
            o->proto == ARGS_PROTO_TCP ? "creating a tcp socket" : "creating an itot socket", err);
        *status = tool_exit_from_wsa(err);
        return INVALID_SOCKET;
    }
    if (o->proto == ARGS_PROTO_ITOT && nc_set_itot_options(s, o, status) != 0) {
        closesocket(s);
        return INVALID_SOCKET;
    }
    *status = TOOL_EXIT_OK;
    return s;
}

/* -v: the negotiated TPDU size and the TSAP selectors of the connection. */
static void nc_report_params(SOCKET s)
{
    int size = 0, len = sizeof size;
    if (wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_TPDU_SIZE, (char *)&size, &len) != SOCKET_ERROR)
        fprintf(stderr, "wsp: negotiated TPDU size: %d octets\n", size);
    static const struct {
        int name;
        const char *what;
    } tsaps[] = {{WSP_ITOT_CALLING_TSAP, "calling"}, {WSP_ITOT_CALLED_TSAP, "called"}};
    for (size_t i = 0; i < sizeof tsaps / sizeof tsaps[0]; i++) {
        char v[64];
        len = sizeof v;
        if (wsp_getsockopt(s, WSP_SOL_ITOT, tsaps[i].name, v, &len) == SOCKET_ERROR || len <= 0)
            continue;
        flockfile(stderr);
        fprintf(stderr, "wsp: %s TSAP set on this socket: ", tsaps[i].what);
        report_data(stderr, v, (size_t)len);
        fputc('\n', stderr);
        funlockfile(stderr);
    }
}

void nc_report_class(SOCKET s, const struct nc_opts *o)
{
    if (o->proto != ARGS_PROTO_ITOT)
        return;
    int cls = -1, len = sizeof cls;
    if (wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (char *)&cls, &len) == SOCKET_ERROR) {
        report_wsa_error("reading the negotiated class", WSAGetLastError());
        return;
    }
    if (o->verbose)
        tpdu_log_print(s); /* the CR and the CC (and a refused first CR) */
    fprintf(stderr, "wsp: negotiated class: %d\n", cls);
    if (o->verbose)
        nc_report_params(s);
    /* A default CR the peer refused for its parameters, retried as a plain
     * class 0 CR (docs/providers-itot.md): say so, or a peer's log showing a
     * refused connection first would be a mystery. */
    WSP_ITOT_FALLBACK_INFO fb = {0, 0};
    len = sizeof fb;
    if (wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_FALLBACK, (char *)&fb, &len) == SOCKET_ERROR ||
        fb.kind == WSP_ITOT_FB_NONE)
        return;
    flockfile(stderr);
    fprintf(stderr, "wsp: class 0 fall-back: the peer refused the default connect request (");
    if (fb.kind == WSP_ITOT_FB_DR)
        fprintf(stderr, "DR reason %d, %s", fb.detail, report_dr_reason_name(fb.detail));
    else if (fb.kind == WSP_ITOT_FB_ER)
        fprintf(stderr, "ER cause %d", fb.detail);
    else if (fb.detail != 0)
        fprintf(stderr, "TCP reset before any CC, %s", report_wsa_name(fb.detail));
    else
        fprintf(stderr, "TCP closed before any CC");
    fprintf(stderr, "); connected with a plain class 0 request\n");
    funlockfile(stderr);
}

static const char NC_CALL_SEND[] = "WSASend";
static const char NC_CALL_DISCONNECT[] = "WSASendDisconnect";

/* State shared by the two threads of one session.
 *
 * `release_lock` orders our WSASendDisconnect against the receiver's verdict on
 * how the connection ended: the receiver takes it before reading
 * `sent_disconnect`, the sender holds it across the call (which never blocks,
 * C11). So a peer's confirmation that overtakes the return of our own call is
 * still reported as a confirmation, and a sender that finds the connection
 * already released by the peer knows it was not its doing. */
struct nc_session {
    SOCKET s;
    const struct nc_opts *o;
    int wake[2]; /* written to when the sender must stop reading stdin */
    pthread_mutex_t release_lock;
    int sent_disconnect;          /* under release_lock: our WSASendDisconnect succeeded */
    int receiver_done;            /* under release_lock: the receiver saw the end */
    atomic_int closed_by_sender;  /* the sender closed the socket after a failure */
    atomic_int quit_by_timer;     /* tcp: -q / --idle-timeout ended the session */
    _Atomic long long last_rx_ms; /* when the receiver last got data (monotonic ms) */
    /* Input this side had to send and could not (the peer ended first):
     * octets read and refused, and whether stdin still held more. */
    size_t undelivered;
    int unread_input;
    size_t discarded;     /* --send-only: octets the peer sent, not written */
    int disc_data_unsent; /* --disconnect-data never went: the peer ended first */
    /* -v: what went through, for the summary (each written by one thread). */
    _Atomic unsigned long long tx_octets, tx_msgs, rx_octets, rx_msgs;
    /* -v on a terminal: when the progress line was last drawn (ms), and
     * whether one is on screen (the next line must start on a new one). */
    _Atomic long long progress_ms;
    int progress_tty;
    atomic_int progress_shown;
    /* The sender's failure, read after the join: reported only when the
     * receiver did not see the connection end first (then it is a consequence). */
    int sender_err;
    const char *sender_call;
};

/* itot errors that mean the peer released the connection first: the receiving
 * thread reports that; the sender just stops. */
static int nc_peer_released(const struct nc_session *ss, int err)
{
    return ss->o->proto == ARGS_PROTO_ITOT &&
           (err == WSAENOTCONN || err == WSAEDISCON || err == WSAESHUTDOWN);
}

static int nc_send_all(struct nc_session *ss, const char *buf, size_t n)
{
    /* A stream provider may take part of a chunk; a message provider takes all
     * of it or fails, so the loop runs once there. */
    while (n > 0) {
        WSABUF b = {(ULONG)n, (CHAR *)buf};
        DWORD sent = 0;
        if (WSASend(ss->s, &b, 1, &sent, 0, NULL, NULL) == SOCKET_ERROR)
            return WSAGetLastError();
        buf += sent;
        n -= sent;
    }
    return 0;
}

static void nc_report_sent_disconnect(const struct nc_session *ss)
{
    const struct args_data *d = &ss->o->disconnect_data;
    flockfile(stderr);
    fprintf(stderr, "wsp: end of input: sent disconnect%s", d->set ? " with data " : "");
    if (d->set)
        report_data(stderr, d->buf, d->len);
    if (ss->o->proto == ARGS_PROTO_TCP)
        fprintf(stderr, " (half-close: FIN sent, still receiving)");
    fputc('\n', stderr);
    funlockfile(stderr);
}

/* End of stdin: release our side, with the disconnect data if any. 0 or the
 * WSAE* error (reported later by nc_report_sender_error). */
static int nc_send_disconnect(struct nc_session *ss)
{
    const struct args_data *d = &ss->o->disconnect_data;
    WSABUF b = {(ULONG)d->len, (CHAR *)d->buf};
    pthread_mutex_lock(&ss->release_lock);
    int err = 0, skipped = ss->receiver_done; /* the connection ended already */
    if (!skipped && WSASendDisconnect(ss->s, d->set ? &b : NULL) == SOCKET_ERROR)
        err = WSAGetLastError();
    else if (!skipped)
        ss->sent_disconnect = 1;
    pthread_mutex_unlock(&ss->release_lock);

    if (err == 0 && !skipped) {
        nc_report_sent_disconnect(ss);
    } else if (skipped || nc_peer_released(ss, err)) {
        if (d->set && ss->o->proto == ARGS_PROTO_ITOT) {
            report_error("end of input: the peer had disconnected first; the disconnect data "
                         "was not sent");
            ss->disc_data_unsent = 1; /* data this side had to send: exit 9 */
        }
        err = 0;
    }
    return err;
}

/* After the join: the sender's failure, one line. */
static void nc_report_sender_error(const struct nc_session *ss)
{
    int err = ss->sender_err;
    if (err == WSAENOPROTOOPT && ss->sender_call == NC_CALL_DISCONNECT)
        report_error("the %s provider does not support disconnect data (%s)",
                     nc_proto_name(ss->o->proto), report_wsa_name(err));
    else if (err == WSAEMSGSIZE && ss->sender_call == NC_CALL_DISCONNECT)
        report_error("disconnect data too long: %zu octets, the protocol allows at most 64 (%s)",
                     ss->o->disconnect_data.len, report_wsa_name(err));
    else if (err == WSAECONNRESET || err == WSAECONNABORTED || err == WSAENETRESET)
        report_error("connection reset by the peer (%s)", report_wsa_name(err));
    else if (ss->sender_call)
        report_wsa_error(ss->sender_call, err);
}

static long long nc_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* -v with stderr on a terminal: one line redrawn at most once a second with
 * the octets so far (a long transfer shows it is alive).  Either thread may
 * draw it; the compare-and-swap on the time lets only one do so. */
static void nc_progress(struct nc_session *ss)
{
    if (!ss->o->verbose || !ss->progress_tty)
        return;
    long long now = nc_now_ms(), last = atomic_load(&ss->progress_ms);
    if (now - last < 1000 || !atomic_compare_exchange_strong(&ss->progress_ms, &last, now))
        return;
    fprintf(stderr, "\rwsp: %llu octets sent, %llu received ...", atomic_load(&ss->tx_octets),
            atomic_load(&ss->rx_octets));
    atomic_store(&ss->progress_shown, 1);
}

/* Ends a progress line on screen before a line of its own is printed. */
static void nc_progress_end(struct nc_session *ss)
{
    if (atomic_exchange(&ss->progress_shown, 0))
        fputc('\n', stderr);
}

/* Whether stdin still holds octets nobody read (a pipe or file with data
 * left): then the session ended before this side sent all it had to. */
static int nc_stdin_has_data(void)
{
    int n = 0;
    if (ioctl(STDIN_FILENO, FIONREAD, &n) == 0)
        return n > 0;
    return 0;
}

/* Waits for stdin to be readable or for the wake pipe; 1 if stdin is
 * readable, 0 when the session ended, -1 when it ended and stdin was
 * readable too. */
static int nc_wait_stdin(struct nc_session *ss)
{
    struct pollfd p[2] = {{STDIN_FILENO, POLLIN, 0}, {ss->wake[0], POLLIN, 0}};
    for (;;) {
        int r = poll(p, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || p[1].revents) {
            /* The session ended first; whether stdin had more (or its end,
             * with the disconnect due) is for nc_input_left to say. */
            return r > 0 && (p[0].revents & (POLLIN | POLLHUP)) ? -1 : 0;
        }
        return 1;
    }
}

/* The session ended while stdin was readable: either input that will never
 * go (unread_input), or its end, when this side's disconnect (and its data)
 * was due and the peer's came first (nc_send_disconnect says so). */
static void nc_input_left(struct nc_session *ss, char *buf)
{
    ssize_t n;
    do {
        n = read(STDIN_FILENO, buf, NC_CHUNK);
    } while (n < 0 && errno == EINTR);
    if (n > 0)
        ss->unread_input = 1;
    else if (n == 0)
        nc_send_disconnect(ss); /* skipped: the connection is over */
}

/* End of input on itot: a disconnect would end both directions (ISO has no
 * half-close), so keep receiving until the peer disconnects, or until -q /
 * --idle-timeout runs out.  1 when our disconnect is due, 0 when the session
 * ended first (the wake pipe). */
static int nc_wait_after_input(struct nc_session *ss)
{
    const struct nc_opts *o = ss->o;
    long long eof_at = nc_now_ms();
    for (;;) {
        long long now = nc_now_ms(), due = -1;
        if (o->quit_ms >= 0)
            due = eof_at + o->quit_ms;
        if (o->idle_ms >= 0) {
            long long last = atomic_load(&ss->last_rx_ms);
            long long idle_due = (last > eof_at ? last : eof_at) + o->idle_ms;
            if (due < 0 || idle_due < due)
                due = idle_due;
        }
        if (due >= 0 && now >= due)
            return 1;
        long long wait = due < 0 ? -1 : due - now;
        struct pollfd p = {ss->wake[0], POLLIN, 0};
        int r = poll(&p, 1, wait > 60000 ? 60000 : (int)wait);
        if (r < 0 && errno != EINTR)
            return 1;
        if (r > 0)
            return 0;
    }
}

/* End of input (or none to read, --recv-only): when and how this side ends.
 * 0 or the WSAE* error of the disconnect. */
static int nc_end_of_input(struct nc_session *ss)
{
    const struct nc_opts *o = ss->o;
    if (o->proto == ARGS_PROTO_TCP) {
        /* tcp has a half-close: the FIN loses nothing, receiving goes on. */
        int err = o->recv_only ? 0 : nc_send_disconnect(ss);
        if (err == 0 && (o->quit_ms >= 0 || o->idle_ms >= 0) && nc_wait_after_input(ss)) {
            atomic_store(&ss->quit_by_timer, 1);
            atomic_store(&ss->closed_by_sender, 1);
            closesocket(ss->s); /* wakes the receiver, which ends without error */
        }
        return err;
    }
    if (!o->send_only)
        nc_wait_after_input(ss); /* the peer's disconnect ends it: then nothing is sent */
    return nc_send_disconnect(ss);
}

static void *nc_sender(void *arg)
{
    struct nc_session *ss = arg;
    if (ss->o->recv_only) {
        int err = nc_end_of_input(ss);
        if (err != 0) {
            ss->sender_err = err;
            ss->sender_call = NC_CALL_DISCONNECT;
        }
        return NULL;
    }
    char *buf = malloc(NC_CHUNK);
    int err = buf ? 0 : WSA_NOT_ENOUGH_MEMORY;
    const char *call = NULL;
    while (err == 0) {
        int ready = nc_wait_stdin(ss);
        if (ready <= 0) {
            if (ready < 0)
                nc_input_left(ss, buf);
            free(buf);
            return NULL; /* the session ended first */
        }
        ssize_t n = read(STDIN_FILENO, buf, NC_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            report_error("reading stdin: %s", strerror(errno));
            err = WSASYSCALLFAILURE;
            break;
        }
        if (n == 0) {
            free(buf);
            buf = NULL;
            call = NC_CALL_DISCONNECT;
            err = nc_end_of_input(ss);
            if (err == 0)
                return NULL;
            break;
        }
        call = NC_CALL_SEND;
        err = nc_send_all(ss, buf, (size_t)n);
        if (err == 0) {
            atomic_fetch_add(&ss->tx_octets, (unsigned long long)n);
            atomic_fetch_add(&ss->tx_msgs, 1);
            if (ss->o->verbose) {
                nc_progress_end(ss);
                fprintf(stderr, "wsp: sent a message of %zd octets\n", n);
            }
            nc_progress(ss); /* last: the line other lines break */
        }
        /* The connection ended under the send (the peer's DR, or an abort
         * the receiver reports): what was read here did not go. */
        if (err && (nc_peer_released(ss, err) || err == WSAECONNRESET || err == WSAECONNABORTED ||
                    err == WSAENETRESET)) {
            /* Not silent, not success: this side had data to send (exit 9). */
            ss->undelivered = (size_t)n;
            ss->unread_input = nc_stdin_has_data();
            free(buf);
            return NULL;
        }
    }
    free(buf);
    ss->sender_err = err;
    ss->sender_call = call;
    /* Closing wakes the main thread out of WSARecv (the provider's close wakes
     * every call blocked on the socket), so the process does not wait for a
     * peer that has no reason to end. */
    atomic_store(&ss->closed_by_sender, 1);
    closesocket(ss->s);
    return NULL;
}

static int nc_write_stdout(const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            report_error("writing stdout: %s", strerror(errno));
            return -1;
        }
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The peer released the connection (itot): say why and with what data.
 * Returns the exit status: a TCP end without a DR is what a crashed or
 * killed peer leaves, never reported as success. */
static int nc_report_peer_disconnect(struct nc_session *ss)
{
    char data[NC_DISC_MAX];
    WSABUF b = {sizeof data, data};
    int have_data = WSARecvDisconnect(ss->s, &b) != SOCKET_ERROR;
    int data_err = have_data ? 0 : WSAGetLastError();
    int reason = -1, len = sizeof reason;
    int have_reason = wsp_getsockopt(ss->s, WSP_SOL_ITOT, WSP_ITOT_DISCREASON, (char *)&reason,
                                     &len) != SOCKET_ERROR &&
                      reason >= 0;
    pthread_mutex_lock(&ss->release_lock);
    ss->receiver_done = 1;
    int ours = ss->sent_disconnect;
    pthread_mutex_unlock(&ss->release_lock);
    /* WSP_ITOT_DISCREASON answers only once the peer released the connection
     * itself: without it, the end after our own disconnect is the confirmation. */
    if (ours && !have_reason && (!have_data || b.len == 0)) {
        fprintf(stderr, "wsp: connection released (the peer confirmed our disconnect)\n");
        return TOOL_EXIT_OK;
    }
    int end = WSP_ITOT_END_DR;
    len = sizeof end;
    if (wsp_getsockopt(ss->s, WSP_SOL_ITOT, WSP_ITOT_PEER_END, (char *)&end, &len) == SOCKET_ERROR)
        end = WSP_ITOT_END_DR; /* a provider without the option: trust WSAEDISCON */
    if (!ours && end == WSP_ITOT_END_TCP_CLOSE) {
        report_error("the peer closed TCP without a disconnect request (no DR): it may have "
                     "crashed or been killed; the connection was not released");
        return TOOL_EXIT_RESET;
    }
    if (!ours && end == WSP_ITOT_END_TCP_RESET) {
        report_error("connection reset by the peer without a disconnect request (no DR)");
        return TOOL_EXIT_RESET;
    }
    flockfile(stderr);
    fprintf(stderr, ours ? "wsp: peer disconnected too (the disconnects crossed)"
                         : "wsp: peer disconnected");
    if (have_reason)
        fprintf(stderr, ": reason %d (%s)", reason, report_dr_reason_name(reason));
    fprintf(stderr, ", disconnect data: ");
    if (have_data)
        report_data(stderr, data, b.len);
    else
        fprintf(stderr, "unavailable (%s)", report_wsa_name(data_err));
    fputc('\n', stderr);
    funlockfile(stderr);
    return TOOL_EXIT_OK;
}

/* Copies the peer to stdout until the peer ends; returns 0 or an exit status. */
static int nc_receive(struct nc_session *ss)
{
    char *buf = malloc(NC_CHUNK);
    if (!buf) {
        report_error("out of memory");
        return TOOL_EXIT_FAILURE;
    }
    int status = TOOL_EXIT_OK;
    for (;;) {
        WSABUF b = {NC_CHUNK, buf};
        DWORD got = 0, flags = 0;
        int rc = WSARecv(ss->s, &b, 1, &got, &flags, NULL, NULL);
        int err = rc == SOCKET_ERROR ? WSAGetLastError() : 0;
        if (err == WSAEMSGSIZE && got > 0)
            err = 0; /* a message larger than the buffer: the rest follows */
        if (ss->o->verbose)
            nc_progress_end(ss);
        if (ss->o->verbose && ss->o->proto == ARGS_PROTO_ITOT &&
            !atomic_load(&ss->closed_by_sender))
            tpdu_log_print(ss->s);
        if (err == 0 && got > 0) {
            atomic_store(&ss->last_rx_ms, nc_now_ms());
            atomic_fetch_add(&ss->rx_octets, got);
            /* On itot MSG_PARTIAL says more of the same message follows. */
            int ends = !(flags & MSG_PARTIAL) && rc == 0;
            if (ends || ss->o->proto == ARGS_PROTO_TCP)
                atomic_fetch_add(&ss->rx_msgs, 1);
            if (ss->o->verbose)
                fprintf(stderr, "wsp: received %lu octets%s\n", (unsigned long)got,
                        ss->o->proto == ARGS_PROTO_TCP ? ""
                        : ends                         ? " (end of message)"
                                                       : " (message continues)");
            nc_progress(ss);
            if (ss->o->send_only) {
                ss->discarded += got;
                continue;
            }
            if (nc_write_stdout(buf, got) != 0) {
                status = TOOL_EXIT_FAILURE;
                break;
            }
            continue;
        }
        if (atomic_load(&ss->quit_by_timer)) {
            fprintf(stderr, "wsp: no more to wait for after end of input (-q/--idle-timeout); "
                            "closed\n");
            break;
        }
        if (atomic_load(&ss->closed_by_sender))
            break; /* the sender failed and closed the socket: its status counts */
        if (err == 0 && ss->o->proto == ARGS_PROTO_TCP) {
            fprintf(stderr, "wsp: peer finished sending (TCP FIN; tcp carries no disconnect "
                            "data)\n");
            break;
        }
        if (err == 0 || err == WSAEDISCON) {
            status = nc_report_peer_disconnect(ss);
            break;
        }
        if (err == WSAECONNRESET || err == WSAECONNABORTED || err == WSAENETRESET)
            report_error("connection reset by the peer (%s)", report_wsa_name(err));
        else
            report_wsa_error("WSARecv", err);
        status = tool_exit_from_wsa(err);
        break;
    }
    free(buf);
    return status;
}

/* -v: what went each way and how fast (octets of user data, not TPDUs). */
static void nc_report_totals(const struct nc_session *ss, long long ms)
{
    double secs = ms > 0 ? (double)ms / 1000.0 : 0.001;
    fprintf(stderr,
            "wsp: sent %llu octets in %llu messages, received %llu octets in %llu messages, "
            "%.3f s, %.1f kB/s out, %.1f kB/s in\n",
            atomic_load(&ss->tx_octets), atomic_load(&ss->tx_msgs), atomic_load(&ss->rx_octets),
            atomic_load(&ss->rx_msgs), secs, (double)atomic_load(&ss->tx_octets) / 1000.0 / secs,
            (double)atomic_load(&ss->rx_octets) / 1000.0 / secs);
}

int nc_session(SOCKET s, const struct nc_opts *o)
{
    /* A closed stdout or a reset connection must become an error we report,
     * not a silent death by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    struct nc_session ss = {.s = s, .o = o};
    pthread_mutex_init(&ss.release_lock, NULL);
    if (pipe(ss.wake) != 0) {
        report_error("pipe: %s", strerror(errno));
        closesocket(s);
        return TOOL_EXIT_FAILURE;
    }
    long long started = nc_now_ms();
    ss.progress_tty = o->verbose && isatty(STDERR_FILENO);
    atomic_store(&ss.progress_ms, started);
    pthread_t sender;
    if (pthread_create(&sender, NULL, nc_sender, &ss) != 0) {
        report_error("cannot start the stdin thread");
        close(ss.wake[0]);
        close(ss.wake[1]);
        closesocket(s);
        return TOOL_EXIT_FAILURE;
    }
    int status = nc_receive(&ss);
    /* On tcp the peer's FIN leaves our direction open (D6): keep sending until
     * stdin ends. Otherwise the connection is over: stop reading stdin. */
    int half_closed =
        status == TOOL_EXIT_OK && o->proto == ARGS_PROTO_TCP && !atomic_load(&ss.closed_by_sender);
    if (!half_closed) {
        pthread_mutex_lock(&ss.release_lock);
        ss.receiver_done = 1;
        pthread_mutex_unlock(&ss.release_lock);
        char one = 1;
        ssize_t w = write(ss.wake[1], &one, 1);
        (void)w;
    }
    pthread_join(sender, NULL);
    if (!atomic_load(&ss.closed_by_sender)) {
        if (o->verbose && o->proto == ARGS_PROTO_ITOT)
            tpdu_log_print(s); /* the release: our DR, the peer's DR or DC */
        closesocket(s);
    }
    close(ss.wake[0]);
    close(ss.wake[1]);
    pthread_mutex_destroy(&ss.release_lock);
    nc_progress_end(&ss);
    if (o->verbose)
        nc_report_totals(&ss, nc_now_ms() - started);
    if (ss.discarded > 0)
        fprintf(stderr, "wsp: --send-only: discarded %zu octets the peer sent\n", ss.discarded);
    if (ss.undelivered > 0 || ss.unread_input) {
        flockfile(stderr);
        fprintf(stderr, "wsp: input not delivered: the peer ended the connection first");
        if (ss.undelivered > 0)
            fprintf(stderr, " (%zu octets refused", ss.undelivered);
        if (ss.unread_input)
            fprintf(stderr, "%s",
                    ss.undelivered > 0 ? ", and more input unread)" : " (more input unread)");
        else
            fputc(')', stderr);
        fputc('\n', stderr);
        funlockfile(stderr);
        if (status == TOOL_EXIT_OK)
            status = TOOL_EXIT_UNDELIVERED;
    }
    if (ss.disc_data_unsent && status == TOOL_EXIT_OK)
        status = TOOL_EXIT_UNDELIVERED;
    if (status != TOOL_EXIT_OK || ss.sender_err == 0)
        return status; /* a sender failure after the end is a consequence of it */
    nc_report_sender_error(&ss);
    return tool_exit_from_wsa(ss.sender_err);
}
