/* SPDX-License-Identifier: MIT */
/* The process's poll set: one epoll set and one thread per process that run
 * the providers' poll procedures (port_poll.c) for sockets on no completion
 * port (ws2spi.h, WPUGetProcessPollSet).  A provider adds its descriptors
 * with a tag naming its procedure, as in a port's set; this thread runs each
 * report.  So providers do not each keep a watcher thread and a set of their
 * own (the tcp provider's watcher is this thread).
 *
 * Made at the first request and kept for the life of the process, like a
 * port's set: a provider deregistering its procedure (WSPCleanup) leaves it
 * for the next WSPStartup and for the other providers.  fork(): the child has
 * a copy of the parent's set descriptor (the same kernel object) but not the
 * thread; it drops the copy and makes its own at its first request. */
#include "proc_poll.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "port_poll.h"

static pthread_mutex_t proc_poll_mu = PTHREAD_MUTEX_INITIALIZER;
static int proc_poll_ep = -1; /* under proc_poll_mu */
static pthread_once_t proc_poll_fork_once = PTHREAD_ONCE_INIT;

static void *proc_poll_main(void *arg)
{
    int ep = (int)(intptr_t)arg; /* this process's set, never closed in it */
    pthread_setname_np(pthread_self(), "wsp-poll");
    for (;;)
        if (port_poll_run_set(ep, 64, -1) < 0 && errno != EINTR)
            return NULL; /* cannot happen on our own set */
}

static void proc_poll_fork_prepare(void)
{
    pthread_mutex_lock(&proc_poll_mu);
}

static void proc_poll_fork_parent(void)
{
    pthread_mutex_unlock(&proc_poll_mu);
}

static void proc_poll_fork_child(void)
{
    if (proc_poll_ep >= 0)
        close(proc_poll_ep);
    proc_poll_ep = -1;
    pthread_mutex_unlock(&proc_poll_mu);
}

static void proc_poll_fork_register(void)
{
    pthread_atfork(proc_poll_fork_prepare, proc_poll_fork_parent, proc_poll_fork_child);
}

/* Under proc_poll_mu: the set and its thread (detached), or an errno. */
static int proc_poll_make(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return errno;
    pthread_attr_t at;
    pthread_t t;
    int err = pthread_attr_init(&at);
    if (err == 0) {
        err = pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (err == 0)
            err = pthread_create(&t, &at, proc_poll_main, (void *)(intptr_t)ep);
        pthread_attr_destroy(&at);
    }
    if (err != 0) {
        close(ep);
        return err;
    }
    proc_poll_ep = ep;
    return 0;
}

void proc_poll_atfork_init(void)
{
    pthread_once(&proc_poll_fork_once, proc_poll_fork_register);
}

int proc_poll_set(int *fd)
{
    proc_poll_atfork_init();
    pthread_mutex_lock(&proc_poll_mu);
    int err = proc_poll_ep >= 0 ? 0 : proc_poll_make();
    if (err == 0)
        *fd = proc_poll_ep;
    pthread_mutex_unlock(&proc_poll_mu);
    return err;
}
