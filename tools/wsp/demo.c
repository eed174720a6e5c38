/* SPDX-License-Identifier: MIT */
/* wsp demo: the transcript framework (numbered steps, checks, watchdog), the
 * loopback pair set-up, and the command that runs the three parts. */
#include "demo.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wsp/itot.h>

#include "commands.h"
#include "exitcode.h"
#include "report.h"

#define DEMO_STEP_TIMEOUT_S 20

static int demo_failures;
static int demo_checks;
static int demo_step_no;

void demo_step(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("\n  %d. ", ++demo_step_no);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

void demo_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("     ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

int demo_check(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    demo_checks++;
    printf("     %s ", cond ? "[ok]        " : "[UNEXPECTED]");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    if (!cond)
        demo_failures++;
    return cond;
}

const char *demo_outcome(int err)
{
    if (err == 0)
        return "success";
    const char *name = wsp_strerror_name(err);
    return name ? name : report_wsa_name(err);
}

const char *demo_quote(const void *data, size_t len)
{
    static char buf[4][512];
    static int next;
    char *out = buf[next++ % 4];
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    if (!f)
        return "?";
    report_data(f, data, len);
    fclose(f);
    snprintf(out, sizeof buf[0], "%s", mem);
    free(mem);
    return out;
}

/* ---- watchdog ----------------------------------------------------------- */
static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond = PTHREAD_COND_INITIALIZER;
static const char *wd_what;
static int wd_generation;
static int wd_stop;

static void *demo_watchdog(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wd_lock);
    while (!wd_stop) {
        if (!wd_what) {
            pthread_cond_wait(&wd_cond, &wd_lock);
            continue;
        }
        int gen = wd_generation;
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += DEMO_STEP_TIMEOUT_S;
        int rc = 0;
        while (!wd_stop && wd_what && gen == wd_generation && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&wd_cond, &wd_lock, &deadline);
        if (rc == ETIMEDOUT && wd_what && gen == wd_generation) {
            printf("     [UNEXPECTED] %s did not return within %d s: the library blocks where "
                   "it should not\n\nVerdict: FAIL (the demo was stopped)\n",
                   wd_what, DEMO_STEP_TIMEOUT_S);
            fflush(stdout);
            _exit(TOOL_EXIT_FAILURE);
        }
    }
    pthread_mutex_unlock(&wd_lock);
    return NULL;
}

void demo_watchdog_arm(const char *what)
{
    pthread_mutex_lock(&wd_lock);
    wd_what = what;
    wd_generation++;
    pthread_cond_signal(&wd_cond);
    pthread_mutex_unlock(&wd_lock);
}

void demo_watchdog_disarm(void)
{
    pthread_mutex_lock(&wd_lock);
    wd_what = NULL;
    wd_generation++;
    pthread_cond_signal(&wd_cond);
    pthread_mutex_unlock(&wd_lock);
}

/* ---- socket helpers ------------------------------------------------------ */
int demo_recv(SOCKET s, char *buf, size_t cap, DWORD *got)
{
    WSABUF b = {(ULONG)cap, buf};
    DWORD flags = 0;
    *got = 0;
    demo_watchdog_arm("WSARecv");
    int rc = WSARecv(s, &b, 1, got, &flags, NULL, NULL);
    int err = rc == SOCKET_ERROR ? WSAGetLastError() : 0;
    demo_watchdog_disarm();
    return err;
}

int demo_send(SOCKET s, const char *text)
{
    WSABUF b = {(ULONG)strlen(text), (CHAR *)text};
    DWORD sent = 0;
    demo_watchdog_arm("WSASend");
    int rc = WSASend(s, &b, 1, &sent, 0, NULL, NULL);
    int err = rc == SOCKET_ERROR ? WSAGetLastError() : 0;
    demo_watchdog_disarm();
    if (err == 0 && sent != strlen(text))
        err = WSAEMSGSIZE; /* a short send of a few octets is not expected on loopback */
    return err;
}

/* ---- the loopback pair --------------------------------------------------- */
struct demo_accept {
    SOCKET listener, accepted;
    int err;
    const struct demo_proto *p;
    struct demo_pair *pair;
};

static int CALLBACK demo_condition(LPWSABUF lpCallerId, LPWSABUF lpCallerData, LPQOS lpSQOS,
                                   LPQOS lpGQOS, LPWSABUF lpCalleeId, LPWSABUF lpCalleeData,
                                   GROUP *g, DWORD_PTR dwCallbackData)
{
    (void)lpCallerId, (void)lpSQOS, (void)lpGQOS, (void)lpCalleeId, (void)g;
    struct demo_accept *a = (struct demo_accept *)dwCallbackData;
    if (lpCallerData && lpCallerData->buf) {
        size_t n = lpCallerData->len;
        if (n > sizeof a->pair->caller_data)
            n = sizeof a->pair->caller_data;
        memcpy(a->pair->caller_data, lpCallerData->buf, n);
        a->pair->caller_len = n;
        a->pair->caller_seen = 1;
    }
    if (lpCalleeData && lpCalleeData->buf && a->p->accept_data) {
        size_t n = strlen(a->p->accept_data);
        if (n <= lpCalleeData->len) {
            memcpy(lpCalleeData->buf, a->p->accept_data, n);
            lpCalleeData->len = (ULONG)n;
        } else {
            lpCalleeData->len = 0;
        }
    } else if (lpCalleeData) {
        lpCalleeData->len = 0;
    }
    return CF_ACCEPT;
}

static void *demo_acceptor(void *arg)
{
    struct demo_accept *a = arg;
    a->accepted = WSAAccept(a->listener, NULL, NULL, demo_condition, (DWORD_PTR)a);
    a->err = a->accepted == INVALID_SOCKET ? WSAGetLastError() : 0;
    return NULL;
}

static SOCKET demo_listener(const struct demo_proto *p, unsigned short *port)
{
    SOCKET s = WSASocketW(AF_INET, p->type, p->protocol, NULL, 0, 0);
    if (!demo_check(s != INVALID_SOCKET, "server socket created (%s)",
                    demo_outcome(s == INVALID_SOCKET ? WSAGetLastError() : 0)))
        return INVALID_SOCKET;
    if (p->cls >= 0)
        wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&p->cls, sizeof p->cls);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof sin;
    int err = 0;
    if (wsp_bind(s, (struct sockaddr *)&sin, sizeof sin) == SOCKET_ERROR ||
        wsp_listen(s, 1) == SOCKET_ERROR ||
        wsp_getsockname(s, (struct sockaddr *)&sin, &len) == SOCKET_ERROR)
        err = WSAGetLastError();
    if (!demo_check(err == 0, "bind, listen (%s)", demo_outcome(err))) {
        closesocket(s);
        return INVALID_SOCKET;
    }
    *port = ntohs(sin.sin_port);
    return s;
}

int demo_pair_open(const struct demo_proto *p, struct demo_pair *pair)
{
    memset(pair, 0, sizeof *pair);
    pair->client = pair->server = INVALID_SOCKET;
    struct demo_accept a = {.p = p, .pair = pair, .accepted = INVALID_SOCKET};
    demo_step("The server opens a socket and listens on loopback.");
    a.listener = demo_listener(p, &pair->port);
    if (a.listener == INVALID_SOCKET)
        return -1;
    demo_say("Server: listening on 127.0.0.1 port %u.", pair->port);

    if (p->connect_data) {
        demo_step("The client connects with connect data; the server accepts with its own.");
        demo_say("Client: WSAConnect with %s.",
                 demo_quote(p->connect_data, strlen(p->connect_data)));
        demo_say("Server: WSAAccept; its condition function answers %s.",
                 demo_quote(p->accept_data, strlen(p->accept_data)));
    } else
        demo_step("The client connects (tcp has no connect data); the server accepts.");
    pthread_t t;
    if (pthread_create(&t, NULL, demo_acceptor, &a) != 0) {
        demo_check(0, "could not start the server thread");
        closesocket(a.listener);
        return -1;
    }
    SOCKET c = WSASocketW(AF_INET, p->type, p->protocol, NULL, 0, 0);
    int err = c == INVALID_SOCKET ? WSAGetLastError() : 0;
    if (c != INVALID_SOCKET && p->cls >= 0)
        wsp_setsockopt(c, WSP_SOL_ITOT, WSP_ITOT_CLASS, (const char *)&p->cls, sizeof p->cls);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(pair->port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    WSABUF caller = {p->connect_data ? (ULONG)strlen(p->connect_data) : 0, (CHAR *)p->connect_data};
    WSABUF callee = {sizeof pair->callee_data, pair->callee_data};
    if (c != INVALID_SOCKET) {
        demo_watchdog_arm("WSAConnect");
        if (WSAConnect(c, (struct sockaddr *)&sin, sizeof sin, p->connect_data ? &caller : NULL,
                       p->connect_data ? &callee : NULL, NULL, NULL) == SOCKET_ERROR)
            err = WSAGetLastError();
        demo_watchdog_disarm();
    }
    if (err != 0) /* the server would wait for ever: closing the listener wakes it */
        closesocket(a.listener);
    demo_watchdog_arm("WSAAccept");
    pthread_join(t, NULL);
    demo_watchdog_disarm();
    if (err == 0)
        closesocket(a.listener);
    pair->client = c;
    pair->server = a.accepted;
    if (!demo_check(err == 0, "client: WSAConnect -> %s", demo_outcome(err)) ||
        !demo_check(a.err == 0, "server: WSAAccept -> %s", demo_outcome(a.err))) {
        demo_pair_close(pair);
        return -1;
    }
    if (!p->connect_data)
        return 0;
    pair->callee_len = callee.len <= sizeof pair->callee_data ? callee.len : 0;
    demo_check(pair->caller_seen && pair->caller_len == strlen(p->connect_data) &&
                   memcmp(pair->caller_data, p->connect_data, pair->caller_len) == 0,
               "server: the connect request carried %s",
               pair->caller_seen ? demo_quote(pair->caller_data, pair->caller_len)
                                 : "no connect data");
    demo_check(pair->callee_len == strlen(p->accept_data) &&
                   memcmp(pair->callee_data, p->accept_data, pair->callee_len) == 0,
               "client: the connect confirm carried %s",
               demo_quote(pair->callee_data, pair->callee_len));
    int cls = -1, len = sizeof cls;
    err = wsp_getsockopt(c, WSP_SOL_ITOT, WSP_ITOT_CLASS, (char *)&cls, &len) == SOCKET_ERROR
              ? WSAGetLastError()
              : 0;
    demo_check(err == 0 && cls == p->cls, "negotiated class: %d%s", cls,
               err ? " (could not be read)" : "");
    return 0;
}

void demo_pair_close(struct demo_pair *pair)
{
    if (pair->client != INVALID_SOCKET)
        closesocket(pair->client);
    if (pair->server != INVALID_SOCKET)
        closesocket(pair->server);
    pair->client = pair->server = INVALID_SOCKET;
}

/* ---- the command --------------------------------------------------------- */
static void demo_help(void)
{
    printf("Usage: wsp demo\n\n"
           "Runs, on loopback and inside this one process, a server and a client that use\n"
           "the Winsock API of libwsp, and prints what each side does and what arrives:\n"
           "  part 1  ISO transport (itot) class 2: connect data, messages, disconnect data\n"
           "  part 2  the same over class 0\n"
           "  part 3  tcp: the half-close, and WSAENOPROTOOPT for disconnect data\n"
           "It ends with a one-line verdict and exits 0 only if every step behaved as the\n"
           "contract (WSPSendDisconnect clauses C1-C12, decisions D1-D12) says.\n");
    tool_exit_print_help();
}

int cmd_demo(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        demo_help();
        return TOOL_EXIT_OK;
    }
    if (argc > 1) {
        report_error("demo: unexpected argument '%s' (try 'wsp demo --help')", argv[1]);
        return TOOL_EXIT_USAGE;
    }
    int rc = tool_winsock_start();
    if (rc != TOOL_EXIT_OK)
        return rc;
    pthread_t wd;
    if (pthread_create(&wd, NULL, demo_watchdog, NULL) != 0) {
        report_error("demo: cannot start the watchdog thread");
        WSACleanup();
        return TOOL_EXIT_FAILURE;
    }
    printf("wsp demo: disconnect data with Windows Sockets 2 on Linux.\n"
           "A server and a client talk over loopback through libwsp. Each numbered step says\n"
           "what a side does; the lines under it show what happened, [ok] when it is what the\n"
           "contract promises.\n");

    static const struct demo_proto class2 = {"Part 1: ISO transport over TCP (itot), class 2",
                                             SOCK_SEQPACKET,
                                             WSP_PROTO_ITOT,
                                             2,
                                             "Hello, I am the client",
                                             "Welcome, client"};
    static const struct demo_proto class0 = {"Part 2: ISO transport over TCP (itot), class 0",
                                             SOCK_SEQPACKET,
                                             WSP_PROTO_ITOT,
                                             0,
                                             "Hello again, class 0 here",
                                             "Welcome, class 0"};
    int part_failures[3];
    part_failures[0] = demo_part_itot(&class2);
    part_failures[1] = demo_part_itot(&class0);
    part_failures[2] = demo_part_tcp();

    pthread_mutex_lock(&wd_lock);
    wd_stop = 1;
    pthread_cond_signal(&wd_cond);
    pthread_mutex_unlock(&wd_lock);
    pthread_join(wd, NULL);
    WSACleanup();

    static const char *part_names[3] = {"itot class 2", "itot class 0", "tcp"};
    printf("\nSummary: ");
    for (int i = 0; i < 3; i++)
        printf("%s%s %s", i ? ", " : "", part_names[i], part_failures[i] ? "FAILED" : "ok");
    printf("\n");
    if (demo_failures == 0)
        printf("Verdict: PASS (%d of %d checks): disconnect data works on itot class 2 and 0; "
               "tcp half-closes.\n",
               demo_checks, demo_checks);
    else
        printf("Verdict: FAIL (%d of %d checks unexpected, marked [UNEXPECTED] above).\n",
               demo_failures, demo_checks);
    return demo_failures == 0 ? TOOL_EXIT_OK : TOOL_EXIT_FAILURE;
}

int demo_failure_count(void)
{
    return demo_failures;
}

void demo_part_begin(const char *title)
{
    demo_step_no = 0;
    printf("\n%s\n", title);
    for (size_t i = 0; i < strlen(title); i++)
        putchar('-');
    putchar('\n');
    fflush(stdout);
}
