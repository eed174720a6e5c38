/* SPDX-License-Identifier: MIT */
/* wsbench: one Winsock program, built three ways by bench/run.sh:
 *   - against raw POSIX sockets, through the thin shim in posix/winsock2.h;
 *   - against wsp (-DWSP_WINSOCK_NAMES, wsp's <winsock2.h>, libwsp);
 *   - with mingw-w64 against Windows' ws2_32, run under Wine.
 * Everything runs on one thread over loopback, so the three builds do the same
 * syscalls-worth of work without a second thread's scheduling in the figure:
 *   pingpong: 1 byte a -> b, then b -> a, on a connected pair (two sends, two
 *             receives per round trip);
 *   lifecycle: socket, connect, accept, 1 KiB each way, shutdown(SD_SEND),
 *             read to the end, closesocket, on both ends.
 * Prints "pingpong_ns <median ns per round trip>" and
 * "lifecycle_ns <median ns per lifecycle>" (medians of SAMPLES samples). */
#include <winsock2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
static double now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER t;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart * 1e9 / (double)freq.QuadPart;
}
#else
#include <time.h>
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
#endif

#define SAMPLES 21
#define LC_MSG 1024

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static SOCKET make_listener(struct sockaddr_in *sa)
{
    int len = sizeof *sa;
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l == INVALID_SOCKET || bind(l, (struct sockaddr *)sa, sizeof *sa) != 0 ||
        listen(l, 16) != 0 || getsockname(l, (struct sockaddr *)sa, &len) != 0)
        return INVALID_SOCKET;
    return l;
}

static void nodelay(SOCKET s)
{
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
}

static int recv_all(SOCKET s, char *buf, int len)
{
    for (int got = 0; got < len;) {
        int r = recv(s, buf + got, len - got, 0);
        if (r <= 0)
            return -1;
        got += r;
    }
    return 0;
}

static int read_to_end(SOCKET s)
{
    char buf[256];
    for (;;) {
        int r = recv(s, buf, sizeof buf, 0);
        if (r == 0)
            return 0;
        if (r < 0)
            return -1;
    }
}

/* A connected pair: a connects, the listener's backlog completes it, b accepts. */
static int open_pair(SOCKET l, const struct sockaddr_in *sa, SOCKET *a, SOCKET *b)
{
    *a = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (*a == INVALID_SOCKET)
        return -1;
    nodelay(*a);
    if (connect(*a, (const struct sockaddr *)sa, sizeof *sa) != 0)
        return -1;
    *b = accept(l, NULL, NULL);
    if (*b == INVALID_SOCKET)
        return -1;
    nodelay(*b);
    return 0;
}

static double pingpong(SOCKET l, const struct sockaddr_in *sa, int n)
{
    double v[SAMPLES];
    SOCKET a, b;
    char c = 'p';
    if (open_pair(l, sa, &a, &b) != 0)
        return -1;
    for (int k = 0; k < SAMPLES; k++) {
        double t0 = now_ns();
        for (int i = 0; i < n; i++)
            if (send(a, &c, 1, 0) != 1 || recv(b, &c, 1, 0) != 1 || send(b, &c, 1, 0) != 1 ||
                recv(a, &c, 1, 0) != 1)
                return -1;
        v[k] = (now_ns() - t0) / n;
    }
    closesocket(a);
    closesocket(b);
    qsort(v, SAMPLES, sizeof v[0], cmp_double);
    return v[SAMPLES / 2];
}

static int lifecycle_one(SOCKET l, const struct sockaddr_in *sa, char *buf)
{
    SOCKET a, b;
    int rc = open_pair(l, sa, &a, &b) != 0 || send(a, buf, LC_MSG, 0) != LC_MSG ||
                     recv_all(b, buf, LC_MSG) != 0 || send(b, buf, LC_MSG, 0) != LC_MSG ||
                     recv_all(a, buf, LC_MSG) != 0 || shutdown(a, SD_SEND) != 0 ||
                     read_to_end(b) != 0 || shutdown(b, SD_SEND) != 0 || read_to_end(a) != 0
                 ? -1
                 : 0;
    closesocket(b);
    closesocket(a);
    return rc;
}

static double lifecycle(SOCKET l, const struct sockaddr_in *sa, int n)
{
    double v[SAMPLES];
    static char buf[LC_MSG];
    for (int k = 0; k < SAMPLES; k++) {
        double t0 = now_ns();
        for (int i = 0; i < n; i++)
            if (lifecycle_one(l, sa, buf) != 0)
                return -1;
        v[k] = (now_ns() - t0) / n;
    }
    qsort(v, SAMPLES, sizeof v[0], cmp_double);
    return v[SAMPLES / 2];
}

int main(int argc, char **argv)
{
    WSADATA wd;
    struct sockaddr_in sa;
    int pp_n = argc > 1 ? atoi(argv[1]) : 2000;
    int lc_n = argc > 2 ? atoi(argv[2]) : 50;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0) {
        fprintf(stderr, "WSAStartup failed\n");
        return 1;
    }
    SOCKET l = make_listener(&sa);
    if (l == INVALID_SOCKET) {
        fprintf(stderr, "listener: error %d\n", WSAGetLastError());
        return 1;
    }
    double pp = pingpong(l, &sa, pp_n);
    double lc = lifecycle(l, &sa, lc_n);
    closesocket(l);
    WSACleanup();
    if (pp < 0 || lc < 0) {
        fprintf(stderr, "failed: error %d\n", WSAGetLastError());
        return 1;
    }
    printf("pingpong_ns %.1f\nlifecycle_ns %.1f\n", pp, lc);
    return 0;
}
