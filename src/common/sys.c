/* SPDX-License-Identifier: MIT */
/* The platform table's defaults (libc) and its override API for tests. */
#include "common/sys.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* libc's fcntl, ioctl, open and openat are variadic: a variadic function may not be
 * called through a pointer of a fixed type, so these four get a wrapper. */
static int sys_libc_fcntl(int fd, int cmd, int arg)
{
    return fcntl(fd, cmd, arg);
}

static int sys_libc_ioctl(int fd, unsigned long req, void *arg)
{
    return ioctl(fd, req, arg);
}

static int sys_libc_open(const char *path, int fl)
{
    return open(path, fl);
}

static int sys_libc_openat(int dir, const char *path, int fl, mode_t mode)
{
    return openat(dir, path, fl, mode);
}

/* The rest point straight at libc (or at whatever the process interposes on
 * it, as the conformance fault shim does): no wrapper, no extra call. */
#define SYS_LIBC_INIT                                                                              \
    {                                                                                              \
        .socket = socket, .connect = connect, .accept4 = accept4, .bind = bind, .listen = listen,  \
        .send = send, .sendmsg = sendmsg, .recv = recv, .recvmsg = recvmsg, .read = read,          \
        .write = write, .close = close, .shutdown = shutdown, .getsockopt = getsockopt,            \
        .setsockopt = setsockopt, .getsockname = getsockname, .getpeername = getpeername,          \
        .fcntl = sys_libc_fcntl, .ioctl = sys_libc_ioctl, .poll = poll,                            \
        .epoll_create1 = epoll_create1, .epoll_ctl = epoll_ctl, .epoll_wait = epoll_wait,          \
        .eventfd = eventfd, .timerfd_create = timerfd_create, .timerfd_settime = timerfd_settime,  \
        .open = sys_libc_open, .process_vm_readv = process_vm_readv,                               \
        .process_vm_writev = process_vm_writev, .sigaction = sigaction, .openat = sys_libc_openat, \
        .fstat = fstat, .stat = stat, .realpath = realpath, .mkdir = mkdir, .flock = flock,        \
        .fsync = fsync, .unlink = unlink, .rename = rename, .fdopen = fdopen, .dlopen = dlopen,    \
        .dlsym = dlsym, .dlclose = dlclose, .malloc = malloc,                                      \
    }

/* X-macros: ret and params are a type and a parameter list, never expressions. */
#define SYS_PLAIN_FIELD(ret, name, params, args)                                                   \
    ret(*name) params; /* NOLINT(bugprone-macro-parentheses) */
static const struct {
    SYS_CALLS(SYS_PLAIN_FIELD)
} sys_libc = SYS_LIBC_INIT;
#undef SYS_PLAIN_FIELD

struct sys_table sys_table = SYS_LIBC_INIT;

#define SYS_NAME(ret, name, params, args) #name,
static const char *const sys_names[] = {SYS_CALLS(SYS_NAME)};
#undef SYS_NAME

unsigned sys_count(void)
{
    return (unsigned)(sizeof sys_names / sizeof sys_names[0]);
}

const char *sys_name(unsigned i)
{
    return i < sys_count() ? sys_names[i] : NULL;
}

/* One branch per entry, generated: each cast is between function pointer
 * types, which C allows, and the exchange keeps the entry's own type. */
/* NOLINTBEGIN(bugprone-macro-parentheses): ret and params are a type and a
 * parameter list. */
#define SYS_SWAP(ret, name, params, args)                                                          \
    if (strcmp(n, #name) == 0)                                                                     \
        return (sys_fn)atomic_exchange(&sys_table.name,                                            \
                                       fn != NULL ? (ret(*) params)fn : sys_libc.name);
/* NOLINTEND(bugprone-macro-parentheses) */
sys_fn sys_override(const char *n, sys_fn fn)
{
    SYS_CALLS(SYS_SWAP)
    return NULL;
}
#undef SYS_SWAP

#define SYS_DEFAULT(ret, name, params, args)                                                       \
    if (strcmp(n, #name) == 0)                                                                     \
        return (sys_fn)sys_libc.name;
sys_fn sys_default(const char *n)
{
    SYS_CALLS(SYS_DEFAULT)
    return NULL;
}
#undef SYS_DEFAULT

/* Each entry back to libc directly: a test restores between every two runs
 * of its case, and a lookup by name per entry would cost a string compare
 * per entry and name. */
#define SYS_RESTORE(ret, name, params, args) atomic_store(&sys_table.name, sys_libc.name);
void sys_restore_all(void)
{
    SYS_CALLS(SYS_RESTORE)
}
#undef SYS_RESTORE
