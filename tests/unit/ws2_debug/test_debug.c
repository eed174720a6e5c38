/* SPDX-License-Identifier: MIT */
/* The trace hook (wsp_set_debug_callback, WSP_DEBUG): one line per API call,
 * with the exported name, essential arguments, result and WSAE* error, in the
 * order the calls ended; never the data; nothing at all when off. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/ws2tcpip.h>
#include <wsp/wspext.h>

#include "debug_child.h"

#define MAX_LINES 64

static struct {
    char line[MAX_LINES][512];
    int n;
} got;

static void collect(const char *line, void *ctx)
{
    assert_ptr_equal(ctx, &got); /* ctx comes back unchanged */
    if (got.n < MAX_LINES)
        snprintf(got.line[got.n], sizeof got.line[0], "%s", line);
    got.n++;
}

static void expect_lines(const char *const *want, int n)
{
    for (int i = 0; i < n && i < got.n; i++)
        assert_string_equal(got.line[i], want[i]);
    assert_int_equal(got.n, n);
}

static char *fmt(char *buf, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static char *fmt(char *buf, size_t cap, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, cap, f, ap);
    va_end(ap);
    return buf;
}

#define H(s) ((uintmax_t)(s))

/* Socket, connect, send, WSASendDisconnect with data (TCP has none:
 * WSAENOPROTOOPT, as Windows' WSASendDisconnect documents for a provider
 * without disconnect data), recv, closesocket, and a call on the closed handle
 * (WSAENOTSOCK, which never reaches a provider): exactly these lines. */
static void callback_traces_an_exchange(void **state)
{
    (void)state;
    memset(&got, 0, sizeof got);
    assert_int_equal(wsp_set_debug_callback(collect, &got), 0);
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);

    SOCKET l = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof sa;
    assert_int_equal(wsp_bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(wsp_listen(l, 1), 0);
    assert_int_equal(wsp_getsockname(l, (struct sockaddr *)&sa, &len), 0);
    unsigned port = ntohs(sa.sin_port);
    SOCKET c = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_int_equal(wsp_connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    SOCKET a = wsp_accept(l, NULL, NULL);
    assert_true(a != INVALID_SOCKET);

    char msg[64];
    memset(msg, 'Q', sizeof msg);
    memcpy(msg, "SECRET-PAYLOAD", 14);
    assert_int_equal(wsp_send(c, msg, sizeof msg, 0), 64);
    char disc[64];
    memset(disc, 'Z', sizeof disc);
    WSABUF db = {.len = sizeof disc, .buf = disc};
    assert_int_equal(WSASendDisconnect(c, &db), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOPROTOOPT);
    char in[128];
    assert_int_equal(wsp_recv(a, in, sizeof in, 0), 64); /* one 64-octet segment on loopback */
    assert_int_equal(closesocket(a), 0);
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(closesocket(l), 0);
    assert_int_equal(wsp_send(c, msg, sizeof msg, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(wsp_set_debug_callback(NULL, NULL), 0);

    char b[20][160];
    const char *want[] = {
        "WSAStartup(version=2.2) = 0",
        "WSPStartup(module=wsp_tcp.so) = 0",
        fmt(b[0], sizeof b[0], "WSASocket(af=2, type=1, protocol=6, flags=0x1) = %#jx", H(l)),
        fmt(b[1], sizeof b[0], "wsp_bind(s=%#jx, addr=127.0.0.1:0) = 0", H(l)),
        fmt(b[2], sizeof b[0], "wsp_listen(s=%#jx, backlog=1) = 0", H(l)),
        fmt(b[3], sizeof b[0], "wsp_getsockname(s=%#jx) = 0, addr=127.0.0.1:%u", H(l), port),
        fmt(b[4], sizeof b[0], "WSASocket(af=2, type=1, protocol=6, flags=0x1) = %#jx", H(c)),
        fmt(b[5], sizeof b[0], "WSAConnect(s=%#jx, to=127.0.0.1:%u) = 0", H(c), port),
        fmt(b[6], sizeof b[0], "WSAAccept(s=%#jx) = %#jx", H(l), H(a)),
        fmt(b[7], sizeof b[0], "WSASend(s=%#jx, bufs=1, len=64, flags=0) = 0, sent=64", H(c)),
        fmt(b[8], sizeof b[0],
            "WSASendDisconnect(s=%#jx, data=64 octets) = SOCKET_ERROR WSAENOPROTOOPT (10042)",
            H(c)),
        fmt(b[9], sizeof b[0], "WSARecv(s=%#jx, bufs=1, len=128, flags=0) = 0, received=64", H(a)),
        fmt(b[10], sizeof b[0], "closesocket(s=%#jx) = 0", H(a)),
        fmt(b[11], sizeof b[0], "closesocket(s=%#jx) = 0", H(c)),
        fmt(b[12], sizeof b[0], "closesocket(s=%#jx) = 0", H(l)),
        fmt(b[13], sizeof b[0], "WSASend(s=%#jx) = SOCKET_ERROR WSAENOTSOCK (10038)", H(c)),
        "WSPCleanup() = 0",
        "WSACleanup() = 0",
    };
    expect_lines(want, (int)(sizeof want / sizeof want[0]));
    for (int k = 0; k < got.n && k < MAX_LINES; k++) /* sizes only, never the data */
        assert_null(strstr(got.line[k], "SECRET"));
}

static int session_start(void **state)
{
    (void)state;
    WSADATA wd;
    return WSAStartup(MAKEWORD(2, 2), &wd);
}

static int session_end(void **state)
{
    (void)state;
    wsp_set_debug_callback(NULL, NULL);
    return WSACleanup();
}

/* Never set, or set and then NULL: no callback, whatever the calls do. */
static void off_means_no_callback(void **state)
{
    (void)state;
    memset(&got, 0, sizeof got);
    assert_int_equal(wsp_set_debug_callback(collect, &got), 0);
    assert_int_equal(closesocket((SOCKET)0x4), SOCKET_ERROR); /* a line */
    assert_int_equal(got.n, 1);
    assert_int_equal(wsp_set_debug_callback(NULL, &got), 0);
    SOCKET s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(wsp_send(s, "x", 1, 0), SOCKET_ERROR); /* not connected */
    assert_int_equal(closesocket(s), 0);
    assert_int_equal(closesocket(s), SOCKET_ERROR);
    assert_int_equal(got.n, 1); /* stopped */
}

/* A pointer the process cannot read: the call fails with WSAEFAULT and the
 * line says "?" instead of crashing the process in the tracer. */
static void bad_pointer_prints_a_question_mark(void **state)
{
    (void)state;
    memset(&got, 0, sizeof got);
    SOCKET s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(wsp_set_debug_callback(collect, &got), 0);
    const struct sockaddr *bad = (const struct sockaddr *)(uintptr_t)0x10;
    assert_int_equal(wsp_connect(s, bad, sizeof(struct sockaddr_in)), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    WSABUF *badbufs = (WSABUF *)(uintptr_t)0x10;
    DWORD sent = 0;
    assert_int_equal(WSASend(s, badbufs, 1, &sent, 0, NULL, NULL), SOCKET_ERROR);
    int send_err = WSAGetLastError();
    assert_int_equal(wsp_set_debug_callback(NULL, NULL), 0);
    assert_int_equal(closesocket(s), 0);
    char b[2][160];
    const char *want[] = {
        fmt(b[0], sizeof b[0], "WSAConnect(s=%#jx, to=?) = SOCKET_ERROR WSAEFAULT (10014)", H(s)),
        fmt(b[1], sizeof b[1], "WSASend(s=%#jx, bufs=1, len=?, flags=0) = SOCKET_ERROR %s (%d)",
            H(s), wsp_strerror_name(send_err), send_err),
    };
    expect_lines(want, 2);
}

/* The callback's own API calls are not traced (no recursion), and it cannot
 * replace itself: that would wait for its own return (WSAEINPROGRESS, the
 * code Windows gives for a call made from inside a callback). */
static int reentry_set_rc, reentry_set_err, reentry_calls;
static void reenter(const char *line, void *ctx)
{
    (void)line;
    (void)ctx;
    reentry_calls++;
    (void)closesocket((SOCKET)0x8); /* would be a line, and a recursion */
    reentry_set_rc = wsp_set_debug_callback(NULL, NULL);
    reentry_set_err = WSAGetLastError();
}

static void callback_calls_are_not_traced(void **state)
{
    (void)state;
    reentry_calls = 0;
    assert_int_equal(wsp_set_debug_callback(reenter, NULL), 0);
    assert_int_equal(closesocket((SOCKET)0x4), SOCKET_ERROR);
    assert_int_equal(wsp_set_debug_callback(NULL, NULL), 0);
    assert_int_equal(reentry_calls, 1);
    assert_int_equal(reentry_set_rc, SOCKET_ERROR);
    assert_int_equal(reentry_set_err, WSAEINPROGRESS);
}

/* The callback's calls change the thread's last error; the traced call's own
 * error must survive them (here WSACleanup without WSAStartup, whose line is
 * written after its error is stored). */
static void callback_keeps_the_last_error(void **state)
{
    (void)state;
    reentry_calls = 0;
    assert_int_equal(wsp_set_debug_callback(reenter, NULL), 0);
    assert_int_equal(WSACleanup(), SOCKET_ERROR);
    int err = WSAGetLastError();
    assert_int_equal(wsp_set_debug_callback(NULL, NULL), 0);
    assert_int_equal(reentry_calls, 1);
    assert_int_equal(err, WSANOTINITIALISED);
}

/* Calls that never reach a provider are traced where they are: event
 * objects and the resolver.  A name is shown (non-printable characters as
 * '?', so a line stays one line); the answers are counted, not shown. */
/* select and WSAPoll reach the provider's WSPSelect through the shim too. */
static void select_and_poll_are_traced(void **state)
{
    (void)state;
    SOCKET s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(s != INVALID_SOCKET);
    memset(&got, 0, sizeof got);
    assert_int_equal(wsp_set_debug_callback(collect, &got), 0);
    wsp_fd_set wr;
    wr.fd_count = 1;
    wr.fd_array[0] = s;
    struct timeval tv = {0, 0};
    assert_true(wsp_select(0, NULL, &wr, NULL, &tv) >= 0);
    WSAPOLLFD p = {.fd = s, .events = POLLRDNORM};
    assert_true(WSAPoll(&p, 1, 0) >= 0);
    assert_int_equal(wsp_set_debug_callback(NULL, NULL), 0);
    int selects = 0;
    for (int i = 0; i < got.n && i < MAX_LINES; i++)
        selects += strncmp(got.line[i], "wsp_select(", 11) == 0;
    assert_true(selects >= 2); /* one for select, at least one for WSAPoll */
    closesocket(s);
}

static void events_and_resolver_are_traced(void **state)
{
    (void)state;
    memset(&got, 0, sizeof got);
    assert_int_equal(wsp_set_debug_callback(collect, &got), 0);
    WSAEVENT ev = WSACreateEvent();
    assert_true(ev != WSA_INVALID_EVENT);
    assert_true(WSASetEvent(ev));
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    assert_true(WSAResetEvent(ev));
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    assert_true(WSACloseEvent(ev));
    assert_false(WSASetEvent(ev)); /* closed: WSA_INVALID_HANDLE */
    ADDRINFOA hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                       .ai_family = AF_INET,
                       .ai_socktype = SOCK_STREAM};
    PADDRINFOA res = NULL;
    assert_int_equal(wsp_getaddrinfo("127.0.0.1", "80", &hints, &res), 0);
    struct sockaddr_in sa;
    memcpy(&sa, res->ai_addr, sizeof sa);
    wsp_freeaddrinfo(res);
    int bad = wsp_getaddrinfo("127.0.0.1\nX", "80", &hints, &res);
    assert_int_not_equal(bad, 0);
    char host[64], serv[16];
    assert_int_equal(wsp_getnameinfo((SOCKADDR *)&sa, sizeof sa, host, sizeof host, serv,
                                     sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV),
                     0);
    assert_int_equal(wsp_set_debug_callback(NULL, NULL), 0);

    char b[8][160];
    const char *want[] = {
        fmt(b[0], sizeof b[0], "WSACreateEvent() = %p", ev),
        fmt(b[1], sizeof b[1], "WSASetEvent(event=%p) = TRUE", ev),
        "WSAWaitForMultipleEvents(count=1, all=0, timeout=0) = WSA_WAIT_EVENT_0+0",
        fmt(b[2], sizeof b[2], "WSAResetEvent(event=%p) = TRUE", ev),
        "WSAWaitForMultipleEvents(count=1, all=0, timeout=0) = WSA_WAIT_TIMEOUT",
        fmt(b[3], sizeof b[3], "WSACloseEvent(event=%p) = TRUE", ev),
        fmt(b[4], sizeof b[4], "WSASetEvent(event=%p) = FALSE WSA_INVALID_HANDLE (6)", ev),
        "wsp_getaddrinfo(node=127.0.0.1, service=80) = 0, results=1",
        fmt(b[5], sizeof b[5], "wsp_getaddrinfo(node=127.0.0.1?X, service=80) = %s (%d)",
            wsp_strerror_name(bad), bad),
        fmt(b[6], sizeof b[6], "wsp_getnameinfo(addr=127.0.0.1:80, flags=%#x) = 0",
            (unsigned)(NI_NUMERICHOST | NI_NUMERICSERV)),
    };
    expect_lines(want, (int)(sizeof want / sizeof want[0]));
}

/* The lines the helper writes to stderr with WSP_DEBUG=1, in order. */
static void expect_child_lines(const struct child_out *r, const char *prefix)
{
    const char *s = r->out;
    char want[1024];
    snprintf(want, sizeof want,
             "%sWSAStartup(version=2.2) = 0\n"
             "%sWSPStartup(module=wsp_tcp.so) = 0\n"
             "%sWSASocket(af=2, type=1, protocol=6, flags=0x1) = %s\n"
             "%sclosesocket(s=%s) = 0\n"
             "%sclosesocket(s=%s) = SOCKET_ERROR WSAENOTSOCK (10038)\n"
             "%sWSPCleanup() = 0\n"
             "%sWSACleanup() = 0\n",
             prefix, prefix, prefix, s, prefix, s, prefix, s, prefix, prefix);
    assert_string_equal(r->err, want);
}

static void env_debug_1_writes_stderr(void **state)
{
    (void)state;
    struct child_out r;
    child_run("1", NULL, &r);
    assert_int_equal(r.status, 0);
    expect_child_lines(&r, "wsp: ");
}

static void env_off_is_silent(void **state)
{
    (void)state;
    struct child_out r;
    child_run(NULL, NULL, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    child_run("0", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
}

/* WSP_DEBUG=2: every line carries the monotonic time and the thread id. */
static void env_debug_2_adds_time_and_thread(void **state)
{
    (void)state;
    struct child_out r;
    child_run("2", NULL, &r);
    assert_int_equal(r.status, 0);
    int lines = 0;
    for (char *p = r.err; *p != '\0'; lines++) {
        long long sec;
        long usec, tid;
        int used = 0;
        assert_int_equal(sscanf(p, "wsp: %lld.%6ld tid=%ld %n", &sec, &usec, &tid, &used), 3);
        assert_true(used > 0 && tid > 0);
        char *nl = strchr(p, '\n');
        assert_non_null(nl);
        p = nl + 1;
    }
    assert_int_equal(lines, 7);
}

/* WSP_DEBUG_FILE: the lines go to the file (appended), stderr stays clean. */
static void env_debug_file(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/trace-%ld.log", WS2TEST_WORK_DIR, (long)getpid());
    unlink(path);
    struct child_out r;
    child_run("1", path, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    struct child_out f = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    ssize_t n = read(fd, f.err, sizeof f.err - 1);
    assert_true(n > 0);
    close(fd);
    unlink(path);
    memcpy(f.out, r.out, sizeof f.out);
    expect_child_lines(&f, "wsp: ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(callback_traces_an_exchange),
        cmocka_unit_test_setup_teardown(off_means_no_callback, session_start, session_end),
        cmocka_unit_test_setup_teardown(bad_pointer_prints_a_question_mark, session_start,
                                        session_end),
        cmocka_unit_test_setup_teardown(callback_calls_are_not_traced, session_start, session_end),
        cmocka_unit_test(callback_keeps_the_last_error),
        cmocka_unit_test_setup_teardown(events_and_resolver_are_traced, session_start, session_end),
        cmocka_unit_test_setup_teardown(select_and_poll_are_traced, session_start, session_end),
        cmocka_unit_test(env_debug_1_writes_stderr),
        cmocka_unit_test(env_off_is_silent),
        cmocka_unit_test(env_debug_2_adds_time_and_thread),
        cmocka_unit_test(env_debug_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
