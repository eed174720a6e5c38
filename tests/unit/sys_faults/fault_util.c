/* SPDX-License-Identifier: MIT */
/* The shared helpers of the fault-injection programs (fault_util.h). */
#include "fault_util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

char fault_case[160];
static atomic_llong fault_deadline_ns;
static const char *fault_prog;

const struct sys_hook *fault_hook_of(const char *module)
{
    const char *dir = getenv("WSP_PROVIDER_PATH");
    assert_non_null(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, module);
    /* the loader opened this very file already (same path: same instance) */
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(h);
    const struct sys_hook *hk = dlsym(h, SYS_HOOK_SYMBOL);
    assert_non_null(hk);
    dlclose(h);
    return hk;
}

void fault_where(const void *addr, char *out, size_t cap)
{
    Dl_info di;
    if (dladdr(addr, &di) != 0 && di.dli_fname != NULL) {
        const char *b = strrchr(di.dli_fname, '/');
        snprintf(out, cap, "%s+0x%lx", b ? b + 1 : di.dli_fname,
                 (unsigned long)((const char *)addr - (const char *)di.dli_fbase));
    } else
        snprintf(out, cap, "%p", addr);
}

long long fault_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *fault_watchdog_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec d = {.tv_nsec = 100 * 1000 * 1000};
        nanosleep(&d, NULL); /* a clock, not a synchronisation */
        long long dl = atomic_load(&fault_deadline_ns);
        if (dl != 0 && fault_now_ns() > dl) {
            fprintf(stderr, "%s: HANG in case %s\n", fault_prog, fault_case);
            abort();
        }
    }
    return NULL;
}

void fault_watchdog_start(const char *prog)
{
    fault_prog = prog;
    pthread_t w;
    assert_int_equal(pthread_create(&w, NULL, fault_watchdog_main, NULL), 0);
    pthread_detach(w);
}

void fault_arm(long long ms)
{
    atomic_store(&fault_deadline_ns, fault_now_ns() + ms * 1000000LL);
}

void fault_disarm(void)
{
    atomic_store(&fault_deadline_ns, 0);
}

int fault_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* opendir's own */
}
