/* SPDX-License-Identifier: MIT */
#include "capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP_BEGIN_LEN 17 /* udp.length 25 */
#define CAP_END_LEN 15   /* udp.length 23 */
#define CAP_TRIES 120    /* sentinel attempts, 250 ms apart at most: 30 s */

static pid_t cap_spawn(char *const argv[], int *out_fd, int *err_fd)
{
    int o[2], e[2] = {-1, -1};
    if (pipe2(o, O_CLOEXEC) != 0)
        return -1;
    if (err_fd && pipe2(e, O_CLOEXEC) != 0) {
        close(o[0]);
        close(o[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(o[1], 1);
        if (err_fd)
            dup2(e[1], 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(o[1]);
    if (err_fd)
        close(e[1]);
    if (pid < 0) {
        close(o[0]);
        if (err_fd)
            close(e[0]);
        return -1;
    }
    *out_fd = o[0];
    if (err_fd)
        *err_fd = e[0];
    return pid;
}

/* Appends what tshark wrote on stderr to c->err_text (its last lines say how
 * many packets were captured and dropped). */
static void cap_keep_err(struct capture *c)
{
    char buf[1024];
    ssize_t r = read(c->err_fd, buf, sizeof buf);
    if (r <= 0) {
        close(c->err_fd);
        c->err_fd = -1;
        return;
    }
    size_t room = sizeof c->err_text - 1 - c->err_len;
    size_t take = (size_t)r < room ? (size_t)r : room;
    memcpy(c->err_text + c->err_len, buf, take);
    c->err_len += take;
    c->err_text[c->err_len] = 0;
}

/* Reads what tshark has written within timeout_ms; returns 1 if a stdout line
 * equal to want appeared, 0 if not, -1 if tshark went away. */
static int cap_poll_for(struct capture *c, const char *want, int timeout_ms, char *err,
                        size_t err_len)
{
    struct pollfd p[2] = {{c->out_fd, POLLIN, 0}, {c->err_fd, POLLIN, 0}};
    int n = poll(p, c->err_fd >= 0 ? 2 : 1, timeout_ms);
    if (n <= 0)
        return 0;
    if (c->err_fd >= 0 && p[1].revents) {
        cap_keep_err(c);
    }
    if (!p[0].revents)
        return 0;
    char buf[4096];
    ssize_t r = read(c->out_fd, buf, sizeof buf);
    if (r <= 0) {
        snprintf(err, err_len, "tshark exited early (is it installed and allowed to capture?)");
        return -1;
    }
    int found = 0;
    for (ssize_t i = 0; i < r; i++) {
        if (buf[i] == '\n') {
            c->line[c->line_len] = 0;
            if (strcmp(c->line, want) == 0)
                found = 1;
            c->line_len = 0;
        } else if (c->line_len + 1 < sizeof c->line) {
            c->line[c->line_len++] = buf[i];
        }
    }
    return found;
}

static int cap_sentinel(struct capture *c, size_t len, char *err, size_t err_len)
{
    char want[32], payload[CAP_BEGIN_LEN];
    snprintf(want, sizeof want, "%u\t%zu", c->udp_port, len + 8);
    memset(payload, 'S', sizeof payload);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(c->udp_port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < CAP_TRIES; i++) {
        if (sendto(c->udp_fd, payload, len, 0, (struct sockaddr *)&to, sizeof to) < 0) {
            snprintf(err, err_len, "sentinel sendto: %s", strerror(errno));
            return -1;
        }
        char sink[64];
        while (recv(c->udp_fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
            ;
        /* Each datagram gets up to 250 ms to show up; a lost one (capture not
         * running yet) is simply sent again. */
        for (int k = 0; k < 25; k++) {
            int f = cap_poll_for(c, want, 10, err, err_len);
            if (f)
                return f > 0 ? 0 : -1;
        }
    }
    snprintf(err, err_len, "tshark never reported the sentinel datagram (line \"%s\")", want);
    return -1;
}

int capture_start(struct capture *c, uint16_t tcp_port, const char *path, char *err, size_t err_len)
{
    memset(c, 0, sizeof *c);
    c->pid = -1;
    c->out_fd = c->err_fd = -1;
    c->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (c->udp_fd < 0 || bind(c->udp_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(c->udp_fd, (struct sockaddr *)&a, &alen) != 0) {
        snprintf(err, err_len, "sentinel socket: %s", strerror(errno));
        return -1;
    }
    c->udp_port = ntohs(a.sin_port);
    char filter[96];
    snprintf(filter, sizeof filter, "tcp port %u or udp port %u", tcp_port, c->udp_port);
    /* -B 256: loopback frames are up to 64 KiB and come in bursts of a MiB;
     * with the default 2 MiB kernel buffer, dumpcap drops some. */
    char *argv[] = {"tshark", "-i", "lo",          "-B", "256",        "-f",
                    filter,   "-w", (char *)path,  "-P", "-l",         "-T",
                    "fields", "-e", "udp.dstport", "-e", "udp.length", NULL};
    c->pid = cap_spawn(argv, &c->out_fd, &c->err_fd);
    if (c->pid < 0) {
        snprintf(err, err_len, "cannot start tshark: %s", strerror(errno));
        return -1;
    }
    if (cap_sentinel(c, CAP_BEGIN_LEN, err, err_len) != 0) {
        kill(c->pid, SIGTERM);
        waitpid(c->pid, NULL, 0);
        c->pid = -1;
        return -1;
    }
    return 0;
}

int capture_stop(struct capture *c, char *err, size_t err_len)
{
    int rc = cap_sentinel(c, CAP_END_LEN, err, err_len);
    kill(c->pid, SIGINT);
    /* Drain both pipes so that tshark never blocks on a full one while exiting. */
    while (c->out_fd >= 0 || c->err_fd >= 0) {
        struct pollfd p[2] = {{c->out_fd, POLLIN, 0}, {c->err_fd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        char buf[4096];
        if (c->out_fd >= 0 && p[0].revents && read(c->out_fd, buf, sizeof buf) <= 0) {
            close(c->out_fd);
            c->out_fd = -1;
        }
        if (c->err_fd >= 0 && p[1].revents)
            cap_keep_err(c);
    }
    int st = 0;
    waitpid(c->pid, &st, 0);
    c->pid = -1;
    close(c->udp_fd);
    if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        snprintf(err, err_len, "tshark ended with status %#x", st);
        rc = -1;
    }
    /* A capture that lost packets cannot judge the wire: say so instead of
     * blaming the provider for a missing TPDU. */
    const char *drop = strstr(c->err_text, "dropped");
    if (rc == 0 && drop) {
        const char *line = drop;
        while (line > c->err_text && line[-1] != '\n')
            line--;
        snprintf(err, err_len, "the capture dropped packets: %.*s", (int)strcspn(line, "\n"), line);
        rc = -1;
    }
    return rc;
}

int capture_run(char *const argv[], char **out, size_t *out_len)
{
    int fd;
    pid_t pid = cap_spawn(argv, &fd, NULL);
    if (pid < 0)
        return -1;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf && len + 65536 + 1 > cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
                cap *= 2;
            }
        }
        char sink[65536];
        ssize_t r = read(fd, buf ? buf + len : sink, 65536);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (buf)
            len += (size_t)r;
    }
    close(fd);
    int st = 0;
    waitpid(pid, &st, 0);
    if (!buf)
        return -1;
    buf[len] = 0;
    *out = buf;
    *out_len = len;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
