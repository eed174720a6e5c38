/* SPDX-License-Identifier: MIT */
/* Fault injection by symbol interposition.  The executable (a conformance
 * test, or `wsp` itself for `wsp conformance`) defines
 * shutdown/send/sendmsg/writev and exports them (--export-dynamic), so a
 * provider module loaded later binds to these; each forwards to the next
 * definition (libc, or a sanitizer's interceptor) unless a fault is enabled on
 * the calling thread.  Thread-local, so a provider's own threads and the rest
 * of the process are never affected. */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "conf.h"

static _Thread_local int fault_errno;
static atomic_int fault_errno_all;
static atomic_uint fault_count;

void conf_fault_enable(int err)
{
    fault_errno = err;
}

void conf_fault_enable_process(int err)
{
    atomic_store(&fault_errno_all, err);
}

void conf_fault_disable(void)
{
    fault_errno = 0;
    atomic_store(&fault_errno_all, 0);
}

unsigned conf_fault_hits(void)
{
    return atomic_load(&fault_count);
}

static bool fault_fire(void)
{
    int err = fault_errno != 0 ? fault_errno : atomic_load(&fault_errno_all);
    if (err == 0)
        return false;
    atomic_fetch_add(&fault_count, 1);
    errno = err;
    return true;
}

/* The next definition, looked up once: in `wsp` every send of every command
 * passes here, so the lookup must not be paid per call. */
static void *fault_next(void *_Atomic *slot, const char *name)
{
    void *p = atomic_load(slot);
    if (p == NULL) {
        p = dlsym(RTLD_NEXT, name);
        atomic_store(slot, p);
    }
    return p;
}
static void *_Atomic fault_next_shutdown, *_Atomic fault_next_send, *_Atomic fault_next_sendmsg,
    *_Atomic fault_next_writev;

#define FAULT_EXPORT __attribute__((visibility("default")))
#define FAULT_NEXT(name) ((__typeof__(&(name)))fault_next(&fault_next_##name, #name))

FAULT_EXPORT int shutdown(int fd, int how)
{
    if (fault_fire())
        return -1;
    return FAULT_NEXT(shutdown)(fd, how);
}

FAULT_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    if (fault_fire())
        return -1;
    return FAULT_NEXT(send)(fd, buf, len, flags);
}

FAULT_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (fault_fire())
        return -1;
    return FAULT_NEXT(sendmsg)(fd, msg, flags);
}

FAULT_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    if (fault_fire())
        return -1;
    return FAULT_NEXT(writev)(fd, iov, n);
}
