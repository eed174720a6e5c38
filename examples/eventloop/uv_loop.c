/* SPDX-License-Identifier: MIT */
/* wsp sockets driven by libuv: one uv_poll_t per event-object descriptor
 * (wsp_event_fd); the callback handles that socket's network events.
 *   wsp-example-uv-loop [tcp|itot] */
#include <stdio.h>
#include <uv.h>

#include "echo_core.h"

static uv_poll_t watchers[ECHO_NFDS];
static int watching[ECHO_NFDS];
static int failed;

static void on_readable(uv_poll_t *w, int status, int events);

/* (Re)start a watcher for every descriptor that exists now: the accepted
 * connection's event appears only after FD_ACCEPT. */
static void watch_new(uv_loop_t *loop)
{
    int fds[ECHO_NFDS];
    echo_fds(fds);
    for (int i = 0; i < ECHO_NFDS; i++)
        if (fds[i] >= 0 && !watching[i]) {
            uv_poll_init(loop, &watchers[i], fds[i]);
            watchers[i].data = (void *)(intptr_t)i;
            uv_poll_start(&watchers[i], UV_READABLE, on_readable);
            watching[i] = 1;
        }
}

static void stop_all(void)
{
    for (int i = 0; i < ECHO_NFDS; i++)
        if (watching[i]) {
            uv_poll_stop(&watchers[i]);
            uv_close((uv_handle_t *)&watchers[i], NULL);
            watching[i] = 0;
        }
}

static void on_readable(uv_poll_t *w, int status, int events)
{
    (void)events;
    if (status < 0 || echo_service((int)(intptr_t)w->data) != 0) {
        failed = 1;
        stop_all();
        return;
    }
    if (echo_done()) {
        stop_all();
        return;
    }
    watch_new(w->loop);
}

static void on_timeout(uv_timer_t *t)
{
    fprintf(stderr, "uv loop: not done after 10 s\n");
    failed = 1;
    stop_all();
    uv_close((uv_handle_t *)t, NULL);
}

int main(int argc, char **argv)
{
    if (echo_open(argc > 1 ? argv[1] : "tcp") != 0)
        return 1;
    uv_loop_t *loop = uv_default_loop();
    uv_timer_t guard;
    uv_timer_init(loop, &guard);
    uv_timer_start(&guard, on_timeout, 10000, 0);
    uv_unref((uv_handle_t *)&guard); /* the sockets' watchers keep the loop alive */
    watch_new(loop);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    int rc = echo_close();
    return failed ? 1 : rc;
}
