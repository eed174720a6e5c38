/* SPDX-License-Identifier: MIT */
/* umem's SIGSEGV/SIGBUS handler only recovers faults inside its own copy
 * routine; every other fault reaches what the application had installed
 * before, exactly: the default action still kills with the right signal, an
 * SA_SIGINFO or plain handler still gets its faults (and a kill()ed
 * SIGSEGV), also through WSAStartup, a provider, and that provider's unload
 * at the last WSACleanup.  Each case runs in a forked child that sets its
 * own dispositions before umem's handler is installed (this parent never
 * installs it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wsp/winsock2.h>

#include "common/umem.h"

#define PG 4096

static char *child_bad; /* a PROT_NONE page in the child */

/* Run body in a child; return its wait status. */
static int in_child(void (*body)(void))
{
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        child_bad = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (child_bad == MAP_FAILED)
            _exit(90);
        body();
        _exit(91); /* the deliberate fault did not end the child */
    }
    int st = 0;
    assert_int_equal(waitpid(c, &st, 0), c);
    return st;
}

static void set_action(int sig, void (*h)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        _exit(92);
}

/* umem reports the fault as WSAEFAULT: the handler is installed and works. */
static void umem_fault_is_recovered(void)
{
    char buf[4];
    if (umem_read(buf, child_bad, sizeof buf) != WSAEFAULT ||
        umem_write(child_bad, "abc", 4) != WSAEFAULT)
        _exit(93);
}

static void deliberate_fault(void)
{
    *(volatile char *)child_bad = 1;
}

static void body_default(void)
{
    set_action(SIGSEGV, SIG_DFL);
    umem_init();
    umem_fault_is_recovered();
    deliberate_fault();
}

static void chain_default_action_kills_with_sigsegv(void **state)
{
    (void)state;
    int st = in_child(body_default);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGSEGV);
}

static void body_ignored(void)
{
    set_action(SIGSEGV, SIG_IGN); /* the kernel does not ignore a fault either */
    umem_init();
    umem_fault_is_recovered();
    if (kill(getpid(), SIGSEGV) != 0) /* a sent SIGSEGV stays ignored */
        _exit(94);
    deliberate_fault();
}

static void chain_ignored_sigsegv_still_kills_on_a_fault(void **state)
{
    (void)state;
    int st = in_child(body_ignored);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGSEGV);
}

/* A file mapping past the end of the file: SIGBUS on access. */
static void body_sigbus(void)
{
    set_action(SIGBUS, SIG_DFL);
    char path[] = "/tmp/umem_chain_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        _exit(95);
    unlink(path);
    char *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); /* file is empty */
    if (m == MAP_FAILED)
        _exit(96);
    umem_init();
    char buf[4];
    if (umem_read(buf, m, sizeof buf) != WSAEFAULT || umem_check_write(m, 1) != WSAEFAULT)
        _exit(97);
    (void)*(volatile char *)m;
}

static void chain_sigbus_is_recovered_then_kills(void **state)
{
    (void)state;
    int st = in_child(body_sigbus);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGBUS);
}

static volatile sig_atomic_t app_sent_seen;

static void app_siginfo(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    if (sig != SIGSEGV)
        _exit(80);
    if (si->si_code <= 0) { /* the kill() below */
        app_sent_seen = 1;
        return;
    }
    _exit(si->si_addr == (void *)child_bad ? 42 : 81);
}

static void install_app_siginfo(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = app_siginfo;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0)
        _exit(92);
}

static void body_app_siginfo(void)
{
    install_app_siginfo();
    umem_init();
    umem_fault_is_recovered();
    if (kill(getpid(), SIGSEGV) != 0 || !app_sent_seen)
        _exit(82);
    deliberate_fault();
}

static void chain_app_siginfo_handler_gets_its_faults(void **state)
{
    (void)state;
    int st = in_child(body_app_siginfo);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 42);
}

static void app_plain(int sig)
{
    _exit(sig == SIGSEGV ? 43 : 83);
}

static void body_app_plain(void)
{
    set_action(SIGSEGV, app_plain);
    umem_init();
    umem_fault_is_recovered();
    deliberate_fault();
}

static void chain_app_plain_handler_gets_its_faults(void **state)
{
    (void)state;
    int st = in_child(body_app_plain);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 43);
}

/* The real startup path: WSAStartup installs libwsp's handler, the first tcp
 * socket loads the provider, whose WSPStartup installs its own on top; the
 * last WSACleanup unloads the provider.  A bad pointer to WSAStartup (a
 * fault in libwsp, reaching the provider's handler first) is still
 * WSAEFAULT afterwards, and the application's handler still gets its own
 * fault: the provider's handler, still in the chain, was not unmapped. */
static void body_through_wsastartup(void)
{
    install_app_siginfo();
    WSADATA d;
    if (WSAStartup(MAKEWORD(2, 2), &d) != 0)
        _exit(84);
    SOCKET s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET || closesocket(s) != 0)
        _exit(85);
    if (WSACleanup() != 0)
        _exit(86);
    if (WSAStartup(MAKEWORD(2, 2), (LPWSADATA)(void *)child_bad) != WSAEFAULT)
        _exit(87);
    if (WSAStartup(MAKEWORD(2, 2), &d) != 0)
        _exit(88);
    s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        _exit(89);
    int v = 0; /* the provider reads *optlen through umem: a fault in the provider */
    if (wsp_getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&v, (int *)(void *)child_bad) !=
            SOCKET_ERROR ||
        WSAGetLastError() != WSAEFAULT)
        _exit(79);
    deliberate_fault();
}

static void chain_through_wsastartup_and_provider_unload(void **state)
{
    (void)state;
    int st = in_child(body_through_wsastartup);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_default_action_kills_with_sigsegv),
        cmocka_unit_test(chain_ignored_sigsegv_still_kills_on_a_fault),
        cmocka_unit_test(chain_sigbus_is_recovered_then_kills),
        cmocka_unit_test(chain_app_siginfo_handler_gets_its_faults),
        cmocka_unit_test(chain_app_plain_handler_gets_its_faults),
        cmocka_unit_test(chain_through_wsastartup_and_provider_unload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
