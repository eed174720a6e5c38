/* SPDX-License-Identifier: MIT */
/* wsp sockets driven by a plain poll() loop: each socket's events go to an
 * event object (WSAEventSelect), and the loop polls the descriptors that
 * wsp_event_fd gives, next to any descriptor of its own (here: none).
 *   wsp-example-poll-loop [tcp|itot] */
#include <poll.h>
#include <stdio.h>

#include "echo_core.h"

int main(int argc, char **argv)
{
    if (echo_open(argc > 1 ? argv[1] : "tcp") != 0)
        return 1;
    while (!echo_done()) {
        int fds[ECHO_NFDS];
        echo_fds(fds);
        struct pollfd p[ECHO_NFDS];
        for (int i = 0; i < ECHO_NFDS; i++)
            p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN}; /* fd -1 is skipped */
        int n = poll(p, ECHO_NFDS, 10000);
        if (n <= 0) {
            fprintf(stderr, "poll loop: %s\n",
                    n == 0 ? "nothing happened for 10 s" : "poll failed");
            break;
        }
        for (int i = 0; i < ECHO_NFDS; i++)
            if (p[i].revents & POLLIN && echo_service(i) != 0)
                return echo_close(), 1;
    }
    return echo_close();
}
