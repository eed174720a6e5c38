/* SPDX-License-Identifier: MIT */
/* For the tests of itot's driven calls (a thread that waits on the TCP
 * descriptor itself instead of for the engine): the thread under test, with
 * a bounded join, and a watch on the module's poll() that tells when that
 * thread has begun to wait for input. Events are caused only once it waits
 * (the poll wrapper signals a condition variable): no sleeps.
 * Header-only, included once by each test. */
#ifndef ITOT_DIRECT_JOB_H
#define ITOT_DIRECT_JOB_H

#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "common/sys.h"

#define WAIT_S 10 /* bound on every wait of the test: a failure, never a hang */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t caller;   /* the thread under test (under mu) */
static bool caller_set;    /* under mu */
static unsigned polls_in;  /* the caller's polls for input begun (under mu) */
static unsigned polls_out; /* the caller's polls for writability (under mu) */

static bool is_caller(void)
{
    pthread_mutex_lock(&mu);
    bool r = caller_set && pthread_equal(caller, pthread_self());
    pthread_mutex_unlock(&mu);
    return r;
}

static void caller_is_me(void)
{
    pthread_mutex_lock(&mu);
    caller = pthread_self();
    caller_set = true;
    pthread_mutex_unlock(&mu);
}

static void caller_forget(void)
{
    pthread_mutex_lock(&mu);
    polls_in = polls_out = 0;
    caller_set = false;
    pthread_mutex_unlock(&mu);
}

typedef int (*poll_fn)(struct pollfd *, nfds_t, int);
static poll_fn _Atomic real_poll;

static int poll_watched(struct pollfd *p, nfds_t n, int ms)
{
    if (n > 0 && (p[0].events & (POLLIN | POLLOUT)) && is_caller()) {
        pthread_mutex_lock(&mu);
        if (p[0].events & POLLIN)
            polls_in++;
        else
            polls_out++;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    return atomic_load(&real_poll)(p, n, ms);
}

/* Wait until the caller has begun its poll for input number n (false: it
 * did not within WAIT_S, i.e. it does not wait on the descriptor). */
static bool caller_in_poll(unsigned n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_S;
    pthread_mutex_lock(&mu);
    int rc = 0;
    while (polls_in < n && rc == 0)
        rc = pthread_cond_timedwait(&cv, &mu, &until);
    bool ok = polls_in >= n;
    pthread_mutex_unlock(&mu);
    return ok;
}

/* The platform table of the module the loader opened (the test build,
 * lib/wsp-faults), with its poll watched; NULL if it is not there. */
static const struct sys_hook *job_hook_install(void)
{
    const char *dir = getenv("WSP_PROVIDER_PATH");
    if (dir == NULL)
        return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/wsp_itot.so", dir);
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD); /* the instance the loader opened */
    if (h == NULL)
        return NULL;
    const struct sys_hook *hook = dlsym(h, SYS_HOOK_SYMBOL);
    dlclose(h);
    if (hook == NULL)
        return NULL;
    atomic_store(&real_poll, (poll_fn)hook->dflt("poll"));
    hook->override("poll", (sys_fn)poll_watched);
    return hook;
}

/* ---- a thread with a bounded join --------------------------------------- */
struct job {
    void *(*fn)(struct job *);
    pthread_t th;
    bool done; /* under mu */
    SOCKET s;
    struct sockaddr_in to;
    int rc, err;
};

static void *job_main(void *arg)
{
    struct job *j = arg;
    caller_is_me();
    j->fn(j);
    pthread_mutex_lock(&mu);
    j->done = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static bool job_start(struct job *j)
{
    j->done = false;
    return pthread_create(&j->th, NULL, job_main, j) == 0;
}

/* Start j and wait until it has begun its first poll for input (false: it
 * did not start, or does not wait on the descriptor). */
static bool job_start_polling(struct job *j)
{
    return job_start(j) && caller_in_poll(1);
}

/* Join j; false if it did not end within WAIT_S (it is then left running:
 * the test fails rather than hangs). */
static bool job_join(struct job *j)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_S;
    pthread_mutex_lock(&mu);
    int rc = 0;
    while (!j->done && rc == 0)
        rc = pthread_cond_timedwait(&cv, &mu, &until);
    bool done = j->done;
    pthread_mutex_unlock(&mu);
    if (done)
        pthread_join(j->th, NULL);
    return done;
}

/* A loopback itot listener (WSAStartup done): 0, or -1. */
static int job_itot_listener(SOCKET *lis, struct sockaddr_in *addr, int backlog)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int len = sizeof a;
    *lis = WSASocketA(AF_INET, SOCK_SEQPACKET, WSP_PROTO_ITOT, NULL, 0, 0);
    if (*lis == INVALID_SOCKET || wsp_bind(*lis, (struct sockaddr *)&a, len) != 0 ||
        wsp_listen(*lis, backlog) != 0 || wsp_getsockname(*lis, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *addr = a;
    return 0;
}

/* j waits in its poll on s; closing s on this thread ends the wait.  j's
 * error (WSAEINTR expected: a blocking call on a closed socket is cancelled,
 * closesocket page), or -1 when j did not wait or did not end within WAIT_S. */
static int job_cancelled_by_close(struct job *j, SOCKET *s)
{
    if (!job_start_polling(j))
        return -1; /* j may be left running: the test fails rather than hangs */
    if (closesocket(*s) != 0)
        return -1;
    *s = INVALID_SOCKET;
    return job_join(j) ? j->err : -1;
}

#endif
