/* SPDX-License-Identifier: MIT */
/* A privileged program linked with libwsp must not let its caller choose the
 * provider modules: WSP_PROVIDER_PATH is read with secure_getenv, so it is
 * ignored when the kernel marks the process AT_SECURE (setuid, setgid, file
 * capabilities).
 *
 * As root, the test copies ws2_secure_env_helper twice into a fresh directory
 * of the build tree (not /tmp, which may be mounted nosuid): a plain copy and
 * a setgid copy (group nogroup, so egid != rgid and the kernel sets
 * AT_SECURE). Both run with WSP_PROVIDER_PATH naming a safe directory (root's,
 * 0755) that holds a decoy module under the name the helper asks for. The
 * plain copy must load the decoy (the control: the directory and module are
 * acceptable), the setgid copy must not. Skipped, with a message, only when
 * not root or when the kernel does not honour the setgid bit (nosuid mount,
 * no_new_privs). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/winsock2.h>

#define NOGROUP 65534

struct work {
    char dir[PATH_MAX];
    char decoy_dir[PATH_MAX];
    char decoy[PATH_MAX];
    char plain[PATH_MAX];
    char sgid[PATH_MAX];
};

static void path_in(char *out, const char *dir, const char *name)
{
    assert_true(snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

static void copy_file(const char *src, const char *dst, mode_t mode)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    assert_true(in >= 0 && out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    assert_int_equal(n, 0);
    close(in);
    assert_int_equal(close(out), 0);
    assert_int_equal(chmod(dst, mode), 0);
}

static int setup(void **state)
{
    struct work *w = calloc(1, sizeof *w);
    if (w == NULL)
        return -1;
    *state = w;
    if (geteuid() != 0)
        return 0; /* the test skips */
    snprintf(w->dir, sizeof w->dir, "%s/secure.XXXXXX", WS2TEST_WORK_DIR);
    if (mkdtemp(w->dir) == NULL || chmod(w->dir, 0755) != 0)
        return -1;
    path_in(w->decoy_dir, w->dir, "decoy");
    path_in(w->decoy, w->decoy_dir, "ws2test_decoy.so");
    path_in(w->plain, w->dir, "helper");
    path_in(w->sgid, w->dir, "helper-sgid");
    return mkdir(w->decoy_dir, 0755) == 0 && chmod(w->decoy_dir, 0755) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    struct work *w = *state;
    if (w->dir[0]) {
        unlink(w->decoy);
        unlink(w->plain);
        unlink(w->sgid);
        rmdir(w->decoy_dir);
        rmdir(w->dir);
    }
    free(w);
    return 0;
}

struct result {
    unsigned long secure;
    int decoy;
    int err;
};

/* Run prog with WSP_PROVIDER_PATH=dir and parse its one line. */
static struct result run_helper(const char *prog, const char *dir)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        setenv("WSP_PROVIDER_PATH", dir, 1);
        unsetenv("WS2TEST_DECOY_STARTED");
        execl(prog, prog, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[256];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof line - 1 &&
           ((n = read(fds[0], line + len, sizeof line - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    line[len] = 0;
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct result r = {99, -1, -1};
    assert_int_equal(sscanf(line, "secure=%lu decoy=%d err=%d", &r.secure, &r.decoy, &r.err), 3);
    return r;
}

static void ws2_secure_env_ignores_provider_path(void **state)
{
    struct work *w = *state;
    if (geteuid() != 0) {
        print_message("ws2_secure_env: skipped, needs root to make a setgid copy of the helper\n");
        skip();
    }
    copy_file(WS2TEST_DECOY, w->decoy, 0755);
    copy_file(WS2TEST_HELPER, w->plain, 0755);
    copy_file(WS2TEST_HELPER, w->sgid, 0755);
    /* chown clears the setgid bit: chmod after it */
    assert_int_equal(chown(w->sgid, 0, NOGROUP), 0);
    assert_int_equal(chmod(w->sgid, 02755), 0);

    /* the control: an ordinary process takes WSP_PROVIDER_PATH and loads the
     * decoy (which then fails its WSPStartup on purpose) */
    struct result plain = run_helper(w->plain, w->decoy_dir);
    assert_int_equal(plain.secure, 0);
    assert_int_equal(plain.decoy, 1);
    assert_int_equal(plain.err, WSAEPROVIDERFAILEDINIT);

    struct result sgid = run_helper(w->sgid, w->decoy_dir);
    if (sgid.secure == 0) {
        print_message("ws2_secure_env: skipped, the setgid bit was not honoured (nosuid mount "
                      "or no_new_privs), so AT_SECURE cannot be had here\n");
        skip();
    }
    /* privileged: the variable is ignored, the decoy is never found */
    assert_int_equal(sgid.decoy, 0);
    assert_int_equal(sgid.err, WSAEPROVIDERFAILEDINIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ws2_secure_env_ignores_provider_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
