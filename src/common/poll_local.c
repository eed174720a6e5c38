/* SPDX-License-Identifier: MIT */
/* poll_local — a module's own poll set and thread, for a host without
 * libwsp's process poll set (WPUGetProcessPollSet): a test or a harness that
 * plays ws2 itself.  Same contract as libwsp's (ovl.h): descriptors go in
 * with data.u64 = tag | cookie, and the thread runs the one procedure given
 * for each report.  Started at the first request, stopped (thread joined,
 * descriptors closed) by poll_local_stop; a fork() child drops its copies of
 * the parent's set and makes its own at its next request. */
#include "common/poll_local.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "common/errmap.h"
#include "common/sys.h"

#define POLL_LOCAL_TAG (UINT64_C(1) << 56) /* any tag: one procedure here */
#define POLL_LOCAL_WAKE UINT64_MAX         /* the eventfd that ends the thread */

static pthread_mutex_t poll_local_mu = PTHREAD_MUTEX_INITIALIZER;
static LPWPUPORTPOLLPROC poll_local_proc; /* all under poll_local_mu */
static int poll_local_ep = -1;
static int poll_local_wake = -1;
static pthread_t poll_local_th;
static pthread_once_t poll_local_fork_once = PTHREAD_ONCE_INIT;

static void *poll_local_main(void *arg)
{
    LPWPUPORTPOLLPROC proc = (LPWPUPORTPOLLPROC)arg; /* fixed while it runs */
    int ep = poll_local_ep; /* set before this thread was made, closed after it ends */
    struct epoll_event evs[64];
    for (;;) {
        int n = sys_epoll_wait(ep, evs, 64, -1);
        if (n < 0 && errno != EINTR)
            return NULL;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 == POLL_LOCAL_WAKE)
                return NULL;
            proc((ULONG_PTR)(evs[i].data.u64 & (POLL_LOCAL_TAG - 1)), evs[i].events);
        }
    }
}

static void poll_local_fork_prepare(void)
{
    pthread_mutex_lock(&poll_local_mu);
}

static void poll_local_fork_parent(void)
{
    pthread_mutex_unlock(&poll_local_mu);
}

static void poll_local_fork_child(void)
{
    if (poll_local_ep >= 0) {
        sys_close(poll_local_ep);
        sys_close(poll_local_wake);
    }
    poll_local_ep = poll_local_wake = -1;
    poll_local_proc = NULL;
    pthread_mutex_unlock(&poll_local_mu);
}

static void poll_local_fork_register(void)
{
    pthread_atfork(poll_local_fork_prepare, poll_local_fork_parent, poll_local_fork_child);
}

/* Under poll_local_mu. */
static int poll_local_start(LPWPUPORTPOLLPROC proc)
{
    poll_local_ep = sys_epoll_create1(EPOLL_CLOEXEC);
    poll_local_wake = sys_eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event we = {.events = EPOLLIN, .data.u64 = POLL_LOCAL_WAKE};
    if (poll_local_ep < 0 || poll_local_wake < 0 ||
        sys_epoll_ctl(poll_local_ep, EPOLL_CTL_ADD, poll_local_wake, &we) != 0 ||
        pthread_create(&poll_local_th, NULL, poll_local_main, (void *)proc) != 0) {
        int err = errmap_from_errno(errno);
        if (poll_local_ep >= 0)
            sys_close(poll_local_ep);
        if (poll_local_wake >= 0)
            sys_close(poll_local_wake);
        poll_local_ep = poll_local_wake = -1;
        return err;
    }
    poll_local_proc = proc;
    return 0;
}

void poll_local_atfork_init(void)
{
    /* Registered here, not at fork time; glibc drops it at the module's dlclose. */
    pthread_once(&poll_local_fork_once, poll_local_fork_register);
}

int poll_local_set(LPWPUPORTPOLLPROC proc, int *fd, uint64_t *tag)
{
    poll_local_atfork_init();
    pthread_mutex_lock(&poll_local_mu);
    int err = 0;
    if (poll_local_proc == NULL)
        err = poll_local_start(proc);
    else if (poll_local_proc != proc)
        err = WSAEINVAL; /* one procedure per module */
    if (err == 0) {
        *fd = poll_local_ep;
        *tag = POLL_LOCAL_TAG;
    }
    pthread_mutex_unlock(&poll_local_mu);
    return err;
}

void poll_local_stop(void)
{
    pthread_mutex_lock(&poll_local_mu);
    bool running = poll_local_proc != NULL;
    poll_local_proc = NULL;
    pthread_mutex_unlock(&poll_local_mu);
    if (!running)
        return;
    uint64_t one = 1;
    if (sys_write(poll_local_wake, &one, sizeof one) != (ssize_t)sizeof one)
        return; /* cannot happen on a fresh eventfd; leave the thread rather than hang */
    pthread_join(poll_local_th, NULL);
    sys_close(poll_local_ep);
    sys_close(poll_local_wake);
    poll_local_ep = poll_local_wake = -1;
}
