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
#include <unistd.h>

#include <wsp/itot.h>

#include "exitcode.h"
#include "report.h"

#define NC_CHUNK 65536
#define NC_DISC_MAX 1024 /* far above the 64 octets of a DR: never truncates */

void nc_opts_init(struct nc_opts *o)
{
    memset(o, 0, sizeof *o);
    o->proto = ARGS_PROTO_ITOT;
    o->cls = -1;
    o->reject_reason = -1;
}

void nc_opts_free(struct nc_opts *o)
{
    args_data_free(&o->accept_data);
    args_data_free(&o->connect_data);
    args_data_free(&o->disconnect_data);
    args_data_free(&o->reject_data);
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
    if (o->cls >= 0) {
        int cls = o->cls;
        if (wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&cls, sizeof cls) ==
            SOCKET_ERROR) {
            int err = WSAGetLastError();
            report_wsa_error("setting the ISO transport class", err);
            closesocket(s);
            *status = tool_exit_from_wsa(err);
            return INVALID_SOCKET;
        }
    }
    *status = TOOL_EXIT_OK;
    return s;
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
    fprintf(stderr, "wsp: negotiated class: %d\n", cls);
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
    int sent_disconnect;         /* under release_lock: our WSASendDisconnect succeeded */
    int receiver_done;           /* under release_lock: the receiver saw the end */
    atomic_int closed_by_sender; /* the sender closed the socket after a failure */
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
        if (d->set && ss->o->proto == ARGS_PROTO_ITOT)
            report_error("end of input: the peer had disconnected first; the disconnect data "
                         "was not sent");
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

/* Waits for stdin to be readable or for the wake pipe; 1 if stdin is readable. */
static int nc_wait_stdin(struct nc_session *ss)
{
    struct pollfd p[2] = {{STDIN_FILENO, POLLIN, 0}, {ss->wake[0], POLLIN, 0}};
    for (;;) {
        int r = poll(p, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || p[1].revents)
            return 0;
        return 1;
    }
}

static void *nc_sender(void *arg)
{
    struct nc_session *ss = arg;
    char *buf = malloc(NC_CHUNK);
    int err = buf ? 0 : WSA_NOT_ENOUGH_MEMORY;
    const char *call = NULL;
    while (err == 0) {
        if (!nc_wait_stdin(ss)) {
            free(buf);
            return NULL; /* the session ended first: nothing to report */
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
            call = NC_CALL_DISCONNECT;
            err = nc_send_disconnect(ss);
            free(buf);
            buf = NULL;
            if (err == 0)
                return NULL;
            break;
        }
        call = NC_CALL_SEND;
        err = nc_send_all(ss, buf, (size_t)n);
        if (err && nc_peer_released(ss, err)) {
            report_error("%zd octets of input not sent: the peer had disconnected", n);
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

/* The peer released the connection (itot): say why and with what data. */
static void nc_report_peer_disconnect(struct nc_session *ss)
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
        return;
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
        if (err == 0 && got > 0) {
            if (nc_write_stdout(buf, got) != 0) {
                status = TOOL_EXIT_FAILURE;
                break;
            }
            continue;
        }
        if (atomic_load(&ss->closed_by_sender))
            break; /* the sender failed and closed the socket: its status counts */
        if (err == 0 && ss->o->proto == ARGS_PROTO_TCP) {
            fprintf(stderr, "wsp: peer finished sending (TCP FIN; tcp carries no disconnect "
                            "data)\n");
            break;
        }
        if (err == 0 || err == WSAEDISCON) {
            nc_report_peer_disconnect(ss);
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
    if (!atomic_load(&ss.closed_by_sender))
        closesocket(s);
    close(ss.wake[0]);
    close(ss.wake[1]);
    pthread_mutex_destroy(&ss.release_lock);
    if (status != TOOL_EXIT_OK || ss.sender_err == 0)
        return status; /* a sender failure after the end is a consequence of it */
    nc_report_sender_error(&ss);
    return tool_exit_from_wsa(ss.sender_err);
}
