/* SPDX-License-Identifier: MIT */
/* Fault injection at libwsp's own call sites (src/ws2), through the platform
 * table (common/sys.h).
 *
 * The program links the static copy of libwsp, so the table it overrides is
 * the very one src/ws2 calls through (no hook needed).  The scenario below
 * (one thread per run, so that the thread's APC queue is made and closed
 * every time) goes through every part of ws2 that calls the system: the
 * catalog file (read by WSAStartup, rewritten by WSCInstallProvider,
 * WSCUpdateProvider, WSCWriteProviderOrder and WSCDeinstallProvider), the loader (realpath/stat of
 * the module, dlopen, dlsym, dlclose), event objects (eventfd, write, read, poll, close), the APC
 * queues behind completion routines (eventfd, write, read, dlopen of the routine's module), SleepEx
 * (poll) and the trace (write; the trace file's openat, once per process, in child processes).  The
 * provider is the small test module of tests/unit/ws2_overlapped.
 *
 *   1. A clean run with the entries ws2 uses wrapped records each call site:
 *      entry, return address and the step of the scenario it is reached in
 *      (the same code reached in another step is another site).
 *   2. For every site and every errno its call can return there (the table
 *      `relevant` below, from the Linux man pages), a run in which the first
 *      call from that site in its step fails once with that errno.
 *
 * Each run must end before its deadline (a hang aborts, naming the case), and:
 *   - a step either succeeds or fails with a code its documentation lists
 *     (Windows' page for the call, or docs/api.md / docs/catalog.md where
 *     wsp documents its own: each step's `allowed` list names the source);
 *   - EINTR never fails a call (a signal does not cancel a Winsock call);
 *   - a catalog file that could not be read is reported (wsp_catalog_status),
 *     never silently taken for an empty one;
 *   - afterwards no descriptor is left open, no temporary catalog file is
 *     left behind, and a clean run works at once;
 *   - under ASan, nothing leaks (checked at exit).
 * WSP_FAULTS_MATCH=TEXT runs only the cases whose name contains TEXT;
 * WSP_FAULTS_VERBOSE=1 prints every case. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/ws2spi.h>
#include <wsp/wspext.h>

#include "common/sys.h"
#include "fault_util.h"
#include "unit/ws2_overlapped/ovl_install.h"
#include "unit/ws2_overlapped/ovl_test.h"

/* ---- the wrappers ------------------------------------------------------- */
#define SYS_INDEX(ret, name, params, args) SF_##name,
enum { SYS_CALLS(SYS_INDEX) SF_COUNT };
#undef SYS_INDEX

/* The entries src/ws2 calls (the rest are the providers' and umem's). */
static const int ws2_entries[] = {
    SF_read,   SF_write,  SF_close,    SF_poll,  SF_eventfd, SF_open,  SF_openat,
    SF_fstat,  SF_stat,   SF_realpath, SF_mkdir, SF_flock,   SF_fsync, SF_unlink,
    SF_rename, SF_fdopen, SF_dlopen,   SF_dlsym, SF_dlclose,
};
#define NENTRIES (sizeof ws2_entries / sizeof ws2_entries[0])

#define MAX_SITES 256
struct site {
    int entry, step; /* a call site in a step: the same code reached again later is
                      * another site (the catalog read of WSAStartup, of a writer) */
    bool evfd;       /* read/write: on an eventfd */
    const void *addr;
    char where[64]; /* program+offset: `addr2line -f -e bin/ws2_faults OFFSET` */
};

enum { MODE_OFF, MODE_RECORD, MODE_ERRNO };

static struct {
    atomic_int mode;
    atomic_int entry;         /* armed entry */
    const void *_Atomic addr; /* armed call site */
    atomic_int armed_step;    /* the site's step; -1: any */
    atomic_int fired;
    atomic_int step; /* the scenario's current step */
    int err;
    pthread_mutex_t lock; /* sites[] */
    struct site sites[MAX_SITES];
    int nsites;
} F = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The descriptor is an eventfd (its /proc link says so). */
static bool is_eventfd(int fd)
{
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n < 0)
        return false;
    link[n] = 0;
    return strcmp(link, "anon_inode:[eventfd]") == 0;
}

/* fd: the descriptor of a read or write, else -1. */
static void site_record(int entry, const void *addr, int fd)
{
    int step = atomic_load(&F.step);
    pthread_mutex_lock(&F.lock);
    bool known = false;
    for (int i = 0; i < F.nsites && !known; i++)
        known = F.sites[i].entry == entry && F.sites[i].addr == addr && F.sites[i].step == step;
    if (!known && F.nsites < MAX_SITES) {
        struct site *s = &F.sites[F.nsites++];
        *s = (struct site){entry, step, fd >= 0 && is_eventfd(fd), addr, ""};
        fault_where(addr, s->where, sizeof s->where);
    }
    pthread_mutex_unlock(&F.lock);
}

/* true (errno set) when this call must fail; fd as for site_record */
static bool fault_fire_fd(int entry, const void *addr, int fd)
{
    int mode = atomic_load(&F.mode);
    if (mode == MODE_RECORD)
        site_record(entry, addr, fd);
    const void *armed = atomic_load(&F.addr); /* NULL: any site of the entry */
    int step = atomic_load(&F.armed_step);
    if (mode != MODE_ERRNO || atomic_load(&F.entry) != entry || (armed != NULL && armed != addr) ||
        (step >= 0 && step != atomic_load(&F.step)))
        return false;
    int expected = 0; /* once */
    if (!atomic_compare_exchange_strong(&F.fired, &expected, 1))
        return false;
    errno = F.err;
    return true;
}

static bool fault_fire(int entry, const void *addr)
{
    return fault_fire_fd(entry, addr, -1);
}

#define FAULT_WRAP(ret, name, params, args)                                                        \
    static ret fault_##name params                                                                 \
    {                                                                                              \
        if (fault_fire(SF_##name, __builtin_return_address(0)))                                    \
            return SYS_FAILED(ret);                                                                \
        return ((__typeof__(&fault_##name))sys_default(#name))args;                                \
    }
SYS_CALLS(FAULT_WRAP)
#undef FAULT_WRAP

/* Linux's close releases the descriptor whatever it returns (close(2)): a
 * failing close here does too, or the test would invent a leak. */
static int fault_close_real(int fd)
{
    if (fault_fire(SF_close, __builtin_return_address(0))) {
        int e = errno;
        ((int (*)(int))sys_default("close"))(fd);
        errno = e;
        return -1;
    }
    return ((int (*)(int))sys_default("close"))(fd);
}

/* read and write record their descriptor (an eventfd or not).  An eventfd's
 * read fails with EAGAIN only when its counter is 0, its write only when the
 * counter is at its maximum (eventfd(2)): the injected EAGAIN leaves the
 * counter in that state (read: drained; write: non-zero), so that the
 * library's reading of EAGAIN is tested, not an impossible descriptor. */
static ssize_t fault_read_fd(int fd, void *buf, size_t len)
{
    ssize_t (*real)(int, void *, size_t) = (ssize_t(*)(int, void *, size_t))sys_default("read");
    if (!fault_fire_fd(SF_read, __builtin_return_address(0), fd))
        return real(fd, buf, len);
    int e = errno;
    if (e == EAGAIN)
        (void)real(fd, buf, len);
    errno = e;
    return -1;
}

static ssize_t fault_write_fd(int fd, const void *buf, size_t len)
{
    ssize_t (*real)(int, const void *, size_t) =
        (ssize_t(*)(int, const void *, size_t))sys_default("write");
    if (!fault_fire_fd(SF_write, __builtin_return_address(0), fd))
        return real(fd, buf, len);
    int e = errno;
    if (e == EAGAIN)
        (void)real(fd, buf, len);
    errno = e;
    return -1;
}

static sys_fn wrapper_of(int entry)
{
    if (entry == SF_read)
        return (sys_fn)fault_read_fd;
    if (entry == SF_write)
        return (sys_fn)fault_write_fd;
#define WRAP_CASE(ret, name, params, args)                                                         \
    case SF_##name:                                                                                \
        return (sys_fn)fault_##name;
    if (entry == SF_close)
        return (sys_fn)fault_close_real;
    switch (entry) {
        SYS_CALLS(WRAP_CASE)
    }
#undef WRAP_CASE
    return NULL;
}

static void wrap_all(int mode)
{
    for (size_t i = 0; i < NENTRIES; i++)
        sys_override(sys_name((unsigned)ws2_entries[i]), wrapper_of(ws2_entries[i]));
    atomic_store(&F.mode, mode);
}

static void unwrap_all(void)
{
    atomic_store(&F.mode, MODE_OFF);
    sys_restore_all();
}

/* ---- the scenario ------------------------------------------------------- */
static GUID guid_ovl = {0x22222222, 2, 2, {1, 2, 3, 4, 5, 6, 7, 0x0f}};
static GUID guid_extra = {0x22222222, 2, 2, {1, 2, 3, 4, 5, 6, 7, 0x10}};

#define MAX_IDS 64
struct run {
    bool started, installed;
    DWORD ids[MAX_IDS], nids; /* the catalog's order, read by WSCEnumProtocols */
    SOCKET s;
    WSAEVENT ev;
    WSAOVERLAPPED ov, ov_apc;
    int routine_ran;
    int failed_step; /* -1: none */
    int code;        /* its code */
};

static _Thread_local struct run *apc_run;

static void CALLBACK routine(DWORD err, DWORD cb, LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)err, (void)cb, (void)ov, (void)flags;
    apc_run->routine_ran++;
}

static int last_error_or(int ok)
{
    return ok ? 0 : WSAGetLastError();
}

static int ovl_ioctl(SOCKET s, DWORD code, void *in, DWORD nin, void *out, DWORD nout)
{
    DWORD ret = 0;
    return last_error_or(WSAIoctl(s, code, in, nin, out, nout, &ret, NULL, NULL) == 0);
}

/* The provider completes every pending operation of s from its own thread;
 * a refused WPUCompleteOverlappedRequest/WPUQueueApc is its code. */
static int complete_pending(SOCKET s)
{
    DWORD zero = 0;
    struct ovltest_stats st;
    int err = ovl_ioctl(s, OVLTEST_COMPLETE, &zero, sizeof zero, NULL, 0);
    if (err == 0)
        err = ovl_ioctl(s, OVLTEST_STATS, NULL, 0, &st, sizeof st);
    if (err == 0 && (st.complete_errors != 0 || st.queue_errors != 0))
        err = st.last_error;
    return err;
}

static int send_ov(struct run *r, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    static char payload[5] = "hello";
    WSABUF b = {.len = sizeof payload, .buf = payload};
    DWORD sent = 0;
    if (WSASend(r->s, &b, 1, &sent, 0, ov, cr) == 0)
        return -1; /* the test provider always leaves it pending */
    int err = WSAGetLastError();
    return err == WSA_IO_PENDING ? 0 : err;
}

#define BAD_RESULT (-2) /* a step's result other than success or a code */

static int st_startup(struct run *r)
{
    WSADATA d;
    int err = WSAStartup(MAKEWORD(2, 2), &d);
    r->started = err == 0;
    return err;
}

static int st_catalog_status(struct run *r)
{
    (void)r;
    char msg[256];
    return wsp_catalog_status(msg, sizeof msg);
}

static int st_install(struct run *r)
{
    int err = ovl_install(&guid_extra, AF_OVLTEST + 1);
    r->installed = err == 0;
    return err;
}

static int st_update(struct run *r)
{
    (void)r;
    WSAPROTOCOL_INFOW pi;
    ovl_entry(&pi, AF_OVLTEST + 1);
    WCHAR path[1024];
    ovl_module_path(path, sizeof path / sizeof path[0]);
    int err = 0;
    return WSCUpdateProvider(&guid_extra, path, &pi, 1, &err) == 0 ? 0 : err;
}

/* The catalog's ids in its order, as an installer reads them. */
static int st_enum(struct run *r)
{
    static _Thread_local WSAPROTOCOL_INFOW infos[MAX_IDS];
    DWORD len = sizeof infos;
    int err = 0;
    int n = WSCEnumProtocols(NULL, infos, &len, &err);
    if (n == SOCKET_ERROR)
        return err;
    for (int i = 0; i < n; i++)
        r->ids[i] = infos[i].dwCatalogEntryId;
    r->nids = (DWORD)n;
    return 0;
}

/* That order written back as it is (the file is rewritten). */
static int st_write_order(struct run *r)
{
    return WSCWriteProviderOrder(r->ids, r->nids);
}

static int st_deinstall(struct run *r)
{
    int err = 0;
    if (WSCDeinstallProvider(&guid_extra, &err) != 0)
        return err;
    r->installed = false;
    return 0;
}

static int st_socket(struct run *r)
{
    r->s = WSASocketW(AF_OVLTEST, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    return last_error_or(r->s != INVALID_SOCKET);
}

static int st_create_event(struct run *r)
{
    r->ev = WSACreateEvent();
    return last_error_or(r->ev != WSA_INVALID_EVENT);
}

static int st_send_event(struct run *r)
{
    r->ov.hEvent = r->ev;
    return send_ov(r, &r->ov, NULL);
}

static int st_complete(struct run *r)
{
    return complete_pending(r->s);
}

static int wait_result(DWORD got, DWORD want)
{
    return got == want ? 0 : got == WSA_WAIT_FAILED ? WSAGetLastError() : BAD_RESULT;
}

static int st_wait_signalled(struct run *r)
{
    return wait_result(WSAWaitForMultipleEvents(1, &r->ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
}

static int st_reset(struct run *r)
{
    return last_error_or(WSAResetEvent(r->ev));
}

static int st_wait_timeout(struct run *r)
{
    return wait_result(WSAWaitForMultipleEvents(1, &r->ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
}

static int st_set(struct run *r)
{
    return last_error_or(WSASetEvent(r->ev));
}

static int st_send_routine(struct run *r)
{
    return send_ov(r, &r->ov_apc, routine);
}

static int st_sleep_alertable(struct run *r)
{
    DWORD w = SleepEx(5000, TRUE);
    return w == WAIT_IO_COMPLETION && r->routine_ran == 1 ? 0 : BAD_RESULT;
}

static int st_sleep(struct run *r)
{
    (void)r;
    return SleepEx(1, FALSE) == 0 ? 0 : BAD_RESULT;
}

static int st_close_event(struct run *r)
{
    int err = last_error_or(WSACloseEvent(r->ev));
    r->ev = WSA_INVALID_EVENT;
    return err;
}

static int st_closesocket(struct run *r)
{
    int err = last_error_or(closesocket(r->s) == 0);
    r->s = INVALID_SOCKET;
    return err;
}

static int st_cleanup(struct run *r)
{
    r->started = false;
    return last_error_or(WSACleanup() == 0);
}

/* Each step and the codes it may fail with when one of its system calls
 * fails (0-terminated). */
static const struct step {
    const char *name;
    int (*run)(struct run *r);
    int allowed[4];
} steps[] = {
    /* a catalog file that cannot be read leaves the built-in entries and is
     * told by wsp_catalog_status (docs/catalog.md): WSAStartup succeeds */
    {"WSAStartup", st_startup, {0}},
    {"wsp_catalog_status", st_catalog_status, {WSASYSCALLFAILURE}},
    /* docs/api.md, the WSC writers: WSAENOBUFS (WSCWriteProviderOrder:
     * WSA_NOT_ENOUGH_MEMORY), WSASYSCALLFAILURE (the catalog file cannot be
     * read, locked or written) */
    {"WSCInstallProvider", st_install, {WSAENOBUFS, WSASYSCALLFAILURE}},
    {"WSCUpdateProvider", st_update, {WSAENOBUFS, WSASYSCALLFAILURE}},
    /* a reader, like WSAStartup: a file it cannot read leaves the built-in
     * entries, and wsp_catalog_status tells (docs/catalog.md) */
    {"WSCEnumProtocols", st_enum, {0}},
    {"wsp_catalog_status", st_catalog_status, {WSASYSCALLFAILURE}},
    {"WSCWriteProviderOrder", st_write_order, {WSA_NOT_ENOUGH_MEMORY, WSASYSCALLFAILURE}},
    {"WSCDeinstallProvider", st_deinstall, {WSAENOBUFS, WSASYSCALLFAILURE}},
    /* Windows' WSASocket page: WSAEPROVIDERFAILEDINIT, the provider failed to
     * initialise (a module that cannot be checked or loaded) */
    {"WSASocketW", st_socket, {WSAEPROVIDERFAILEDINIT}},
    /* Windows' WSACreateEvent page: WSA_NOT_ENOUGH_MEMORY */
    {"WSACreateEvent", st_create_event, {WSA_NOT_ENOUGH_MEMORY}},
    {"WSASend(event)", st_send_event, {0}},
    {"complete(event)", st_complete, {0}},
    /* Windows' WSAWaitForMultipleEvents page: WSA_NOT_ENOUGH_MEMORY */
    {"WSAWaitForMultipleEvents", st_wait_signalled, {WSA_NOT_ENOUGH_MEMORY}},
    {"WSAResetEvent", st_reset, {0}},
    {"WSAWaitForMultipleEvents(0)", st_wait_timeout, {WSA_NOT_ENOUGH_MEMORY}},
    {"WSASetEvent", st_set, {0}},
    /* Windows' WSASend page: WSAENOBUFS (the thread's APC queue) */
    {"WSASend(routine)", st_send_routine, {WSAENOBUFS}},
    {"complete(routine)", st_complete, {0}},
    {"SleepEx(alertable)", st_sleep_alertable, {0}},
    {"SleepEx", st_sleep, {0}},
    {"WSACloseEvent", st_close_event, {0}},
    {"closesocket", st_closesocket, {0}},
    {"WSACleanup", st_cleanup, {0}},
};
#define NSTEPS ((int)(sizeof steps / sizeof steps[0]))

static bool allowed(const struct step *st, int code)
{
    for (int i = 0; i < 4 && st->allowed[i] != 0; i++)
        if (st->allowed[i] == code)
            return true;
    return false;
}

/* What a step left behind when a step failed: undone, unfaulted (the fault
 * fires once per run). */
static void run_undo(struct run *r)
{
    if (r->ev != WSA_INVALID_EVENT)
        WSACloseEvent(r->ev);
    if (r->s != INVALID_SOCKET)
        closesocket(r->s);
    if (r->started)
        WSACleanup();
    int err;
    if (r->installed)
        WSCDeinstallProvider(&guid_extra, &err);
}

static void *run_main(void *arg)
{
    struct run *r = arg;
    apc_run = r;
    for (int i = 0; i < NSTEPS; i++) {
        atomic_store(&F.step, i);
        int code = steps[i].run(r);
        if (code != 0) {
            r->failed_step = i;
            r->code = code;
            break;
        }
    }
    atomic_store(&F.step, NSTEPS); /* the thread's exit: its APC queue goes */
    run_undo(r);
    return NULL; /* the thread's APC queue is closed at its exit */
}

static void run_scenario(struct run *r)
{
    *r = (struct run){.s = INVALID_SOCKET, .ev = WSA_INVALID_EVENT, .failed_step = -1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_main, r), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

/* ---- leftovers ---------------------------------------------------------- */
/* A temporary file of a catalog writer ("catalog.json.tmp.PID") left behind. */
static bool tmp_left(void)
{
    const char *cat = getenv("WSP_CATALOG");
    const char *slash = strrchr(cat, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - cat), cat);
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s.tmp.", slash + 1);
    DIR *d = opendir(dir);
    bool found = false;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        found |= strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d != NULL)
        closedir(d);
    return found;
}

static void check_clean(const struct run *r)
{
    if (r->failed_step >= 0)
        printf("clean run after %s: %s failed with %d\n", fault_case, steps[r->failed_step].name,
               r->code);
    assert_int_equal(r->failed_step, -1);
}

/* ---- the sweep ---------------------------------------------------------- */
static const int errnos[] = {EINTR, EAGAIN, ENOMEM, EMFILE, ENFILE, EACCES, ENOSPC, EIO, ENOLCK};
#define NERRNOS ((int)(sizeof errnos / sizeof errnos[0]))

/* The errnos each call can return as ws2 makes it (its Linux man page), of
 * those above.  dlopen and dlsym set no errno: one failure (ENOMEM) stands
 * for all.  An eventfd's read and write: EAGAIN alone (non-blocking, 8 bytes). */
#define E(x) (1u << (x))
static const struct {
    int entry;
    unsigned errs; /* bit i: errnos[i] */
} relevant[] = {
    {SF_read, E(0) | E(7)},
    {SF_write, E(0) | E(6) | E(7)},
    {SF_close, E(0) | E(7)},
    {SF_poll, E(0) | E(2)},
    {SF_eventfd, E(2) | E(3) | E(4)},
    {SF_open, E(2) | E(3) | E(4) | E(5)},
    {SF_openat, E(2) | E(3) | E(4) | E(5) | E(6)},
    {SF_fstat, E(2)},
    {SF_stat, E(2) | E(5)},
    {SF_realpath, E(2) | E(5)},
    {SF_mkdir, E(2) | E(5) | E(6)},
    {SF_flock, E(0) | E(8)},
    {SF_fsync, E(6) | E(7)},
    {SF_unlink, E(5) | E(7)},
    {SF_rename, E(5) | E(6) | E(7)},
    {SF_fdopen, E(2)},
    {SF_dlopen, E(2)},
    {SF_dlsym, E(2)},
    {SF_dlclose, E(2)},
};
#undef E

static bool is_relevant(const struct site *s, int ei)
{
    if (s->evfd)
        return errnos[ei] == EAGAIN;
    for (size_t i = 0; i < sizeof relevant / sizeof relevant[0]; i++)
        if (relevant[i].entry == s->entry)
            return (relevant[i].errs >> ei) & 1u;
    return false;
}

static const char *errno_name(int ei)
{
    static const char *const names[] = {"EINTR",  "EAGAIN", "ENOMEM", "EMFILE", "ENFILE",
                                        "EACCES", "ENOSPC", "EIO",    "ENOLCK"};
    return names[ei];
}

static const char *errno_name_of(int err)
{
    for (int ei = 0; ei < NERRNOS; ei++)
        if (errnos[ei] == err)
            return errno_name(ei);
    return "?";
}

static const char *step_name(int i)
{
    return i < NSTEPS ? steps[i].name : "thread exit";
}

static int defects;

static void defect(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("DEFECT %s: ", fault_case);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    defects++;
}

static bool one_case(int si, int ei, int base)
{
    const struct site *st = &F.sites[si];
    int err = errnos[ei];
    snprintf(fault_case, sizeof fault_case, "%s@%s in %s: %s", sys_name((unsigned)st->entry),
             st->where, step_name(st->step), errno_name(ei));
    const char *match = getenv("WSP_FAULTS_MATCH");
    if (match != NULL && strstr(fault_case, match) == NULL)
        return false;
    F.err = err;
    atomic_store(&F.entry, st->entry);
    atomic_store(&F.addr, st->addr);
    atomic_store(&F.armed_step, st->step);
    atomic_store(&F.fired, 0);
    fault_arm(20000);
    wrap_all(MODE_ERRNO);
    struct run r;
    run_scenario(&r);
    unwrap_all();
    bool fired = atomic_load(&F.fired) != 0;
    if (getenv("WSP_FAULTS_VERBOSE"))
        printf("case %s: fired %d, %s %d\n", fault_case, fired,
               r.failed_step >= 0 ? steps[r.failed_step].name : "-", r.code);

    if (r.failed_step >= 0 && !fired)
        defect("%s failed with %d, no fault injected", steps[r.failed_step].name, r.code);
    else if (r.failed_step >= 0 && !allowed(&steps[r.failed_step], r.code))
        defect("%s failed with %d, not a code its documentation gives", steps[r.failed_step].name,
               r.code);
    if (r.failed_step >= 0 && err == EINTR)
        defect("EINTR failed %s with %d", steps[r.failed_step].name, r.code);

    /* nothing left behind; a clean run works at once */
    if (fault_count_fds() != base)
        defect("descriptors left open: %d, expected %d", fault_count_fds(), base);
    if (tmp_left())
        defect("a temporary catalog file is left behind");
    run_scenario(&r);
    check_clean(&r);
    fault_disarm();
    return fired;
}

static void test_ws2_sites(void **state)
{
    (void)state;
    struct run r;
    snprintf(fault_case, sizeof fault_case, "warm-up");
    run_scenario(&r);
    check_clean(&r);
    int base = fault_count_fds();

    F.nsites = 0;
    wrap_all(MODE_RECORD);
    snprintf(fault_case, sizeof fault_case, "recording");
    run_scenario(&r);
    unwrap_all();
    check_clean(&r);
    assert_int_equal(fault_count_fds(), base);
    printf("ws2: %d call sites in the scenario\n", F.nsites);

    int pairs = 0, possible = 0;
    bool entry_hit[SF_COUNT] = {false};
    static char line[MAX_SITES][256];
    for (int si = 0; si < F.nsites; si++) {
        const struct site *st = &F.sites[si];
        int n = snprintf(line[si], sizeof line[si],
                         "  %-9s %-28s %-22s:", sys_name((unsigned)st->entry), step_name(st->step),
                         st->where);
        for (int ei = 0; ei < NERRNOS; ei++) {
            if (!is_relevant(st, ei))
                continue;
            possible++;
            bool fired = one_case(si, ei, base);
            pairs += fired;
            entry_hit[st->entry] |= fired;
            if (n > 0 && (size_t)n < sizeof line[si])
                n += snprintf(line[si] + n, sizeof line[si] - (size_t)n, " %s%s", errno_name(ei),
                              fired ? "" : "(not reached)");
        }
    }
    for (int si = 0; si < F.nsites; si++)
        printf("%s\n", line[si]);
    int nentries = 0;
    for (int i = 0; i < SF_COUNT; i++)
        nentries += entry_hit[i];
    printf("ws2: call sites x errnos covered: %d of %d (%d sites, %d table entries, %d errnos); "
           "%d cases, %d defects\n",
           pairs, possible, F.nsites, nentries, NERRNOS, possible, defects);
    assert_int_equal(defects, 0);
    assert_int_equal(pairs, possible);
}

/* The trace file (WSP_DEBUG_FILE) is opened once per process, by the first
 * WSAStartup: each errno in a child of its own.  A file that cannot be opened
 * never fails WSAStartup; the trace goes to stderr, saying why
 * (docs/api.md, "Tracing"). */
static void test_trace_file_open(void **state)
{
    (void)state;
    static const int errs[] = {ENOMEM, EMFILE, ENFILE, EACCES, ENOSPC};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            dup2(p[1], STDERR_FILENO);
            close(p[0]);
            close(p[1]);
            setenv("WSP_DEBUG", "1", 1);
            F.err = errs[i];
            atomic_store(&F.entry, SF_openat);
            atomic_store(&F.addr, NULL);
            atomic_store(&F.armed_step, -1);
            wrap_all(MODE_ERRNO);
            WSADATA d;
            int rc = WSAStartup(MAKEWORD(2, 2), &d);
            WSACleanup();
            _exit(rc == 0 && atomic_load(&F.fired) ? 0 : 1);
        }
        close(p[1]);
        char out[4096];
        size_t n = 0;
        ssize_t r;
        while (n < sizeof out - 1 && (r = read(p[0], out + n, sizeof out - 1 - n)) > 0)
            n += (size_t)r;
        out[n] = 0;
        close(p[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
            strstr(out, "WSP_DEBUG_FILE: cannot open") == NULL || strstr(out, "WSAStartup") == NULL)
            printf("trace open, %s: status %d, stderr:\n%s\n", errno_name_of(errs[i]), status, out);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_non_null(strstr(out, "WSP_DEBUG_FILE: cannot open"));
        assert_non_null(strstr(out, "WSAStartup"));
    }
}

static int setup(void **state)
{
    (void)state;
    /* the scenario's provider, installed for good (the file then exists, so
     * that WSAStartup reads it every run) */
    if (ovl_install(&guid_ovl, AF_OVLTEST) != 0)
        return -1;
    fault_watchdog_start("ws2_faults");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_file_open), /* first: no WSAStartup before it */
        cmocka_unit_test(test_ws2_sites),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
