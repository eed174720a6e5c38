/* SPDX-License-Identifier: MIT */
/* Linked into every test executable (wsp_add_test).
 *
 * cmocka installs its own handler for SIGSEGV and SIGBUS with signal() around
 * every test and fixture and puts the previous one back afterwards, without
 * chaining.  That would remove the handler through which wsp turns a fault
 * on a bad caller pointer into WSAEFAULT (src/common/umem_fault.c), so no
 * test could see that behaviour.  This signal() takes precedence over libc's
 * for cmocka (the executable's symbols are searched first).  For SIGSEGV and
 * SIGBUS it does not touch the installed handler again after the first call:
 * it installs one dispatcher and only records which handler cmocka wants,
 * and the dispatcher calls that one.  A handler installed later on top of
 * the dispatcher (wsp's) therefore stays on top and chains to cmocka's, as
 * in an application that installs its handler once.  Other signals go
 * straight to sigaction. */
#include <signal.h>
#include <stddef.h>
#include <string.h>

/* What was installed before the first call, and the sentinel that names it. */
static struct sigaction tcs_base[2];
static void tcs_base_marker(int sig)
{
    (void)sig;
}
#define TCS_BASE tcs_base_marker

static volatile sig_atomic_t tcs_ready[2];
static void (*volatile tcs_wanted[2])(int) = {TCS_BASE, TCS_BASE};

static void tcs_default(int sig)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
}

static void tcs_dispatch(int sig, siginfo_t *si, void *ctx)
{
    int k = sig == SIGBUS;
    void (*h)(int) = tcs_wanted[k];
    if (h == TCS_BASE) {
        const struct sigaction *b = &tcs_base[k];
        if (b->sa_flags & SA_SIGINFO) {
            b->sa_sigaction(sig, si, ctx);
            return;
        }
        h = b->sa_handler;
    }
    if (h == SIG_DFL || h == SIG_IGN) {
        tcs_default(sig); /* the faulting instruction runs again and kills */
        if (si == NULL || si->si_code <= 0)
            raise(sig);
        return;
    }
    h(sig);
}

__attribute__((visibility("default"))) void (*signal(int sig, void (*handler)(int)))(int)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (sig == SIGSEGV || sig == SIGBUS) {
        int k = sig == SIGBUS;
        if (!tcs_ready[k]) {
            sa.sa_sigaction = tcs_dispatch;
            sa.sa_flags = SA_SIGINFO | SA_NODEFER; /* cmocka leaves with longjmp */
            if (sigaction(sig, &sa, &tcs_base[k]) != 0)
                return SIG_ERR;
            tcs_ready[k] = 1;
        }
        void (*was)(int) = tcs_wanted[k];
        tcs_wanted[k] = handler;
        return was;
    }
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART; /* glibc's signal(): BSD semantics */
    if (sigaction(sig, &sa, &old) != 0)
        return SIG_ERR;
    return old.sa_handler;
}
