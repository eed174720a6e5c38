/* SPDX-License-Identifier: MIT */
/* ldr_path_check: which module files the loader accepts. Files are made in a
 * fresh directory under the build tree (WS2TEST_MODULE_DIR). Refusals are
 * WSAEPROVIDERFAILEDINIT, the code the WSAStartup/WSASocket documentation
 * give for a provider DLL that could not be loaded. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ws2/loader.h"

#define OTHER_ID 65534 /* nobody / nogroup */

struct tree {
    char dir[PATH_MAX];  /* a fresh directory, mode 0755 */
    char file[PATH_MAX]; /* dir/m.so, mode 0755 */
};

static void join(char *out, const char *dir, const char *name)
{
    assert_true(snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

static void make_file(const char *path, mode_t mode)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(path, mode), 0); /* chmod: the umask does not apply */
}

static int setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);
    if (t == NULL)
        return -1;
    snprintf(t->dir, sizeof t->dir, "%s/pathcheck.XXXXXX", WS2TEST_MODULE_DIR);
    if (mkdtemp(t->dir) == NULL || chmod(t->dir, 0755) != 0)
        return -1;
    join(t->file, t->dir, "m.so");
    make_file(t->file, 0755);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tree *t = *state;
    char sub[PATH_MAX];
    static const char *const names[] = {"m.so", "link.so", "ww/m.so", "ww"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        join(sub, t->dir, names[i]);
        if (unlink(sub) != 0)
            rmdir(sub);
    }
    rmdir(t->dir);
    free(t);
    return 0;
}

static int check(const char *path, int strict)
{
    char real[PATH_MAX];
    return ldr_path_check(path, strict, real, sizeof real);
}

static void ldr_path_good(void **state)
{
    struct tree *t = *state;
    char real[PATH_MAX];
    for (int strict = 0; strict <= 1; strict++) {
        memset(real, 0, sizeof real);
        assert_int_equal(ldr_path_check(t->file, strict, real, sizeof real), 0);
        char want[PATH_MAX];
        assert_non_null(realpath(t->file, want));
        assert_string_equal(real, want);
    }
    /* a non-canonical spelling is loaded under its real name */
    char odd[PATH_MAX + 64];
    assert_true(snprintf(odd, sizeof odd, "%s/./../%s/m.so", t->dir, strrchr(t->dir, '/') + 1) <
                PATH_MAX);
    assert_int_equal(ldr_path_check(odd, 0, real, sizeof real), 0);
    assert_string_equal(real, t->file);
    /* too small a buffer for the real name: refused, not truncated */
    assert_int_equal(ldr_path_check(t->file, 0, real, 4), WSAEPROVIDERFAILEDINIT);
}

static void ldr_path_relative(void **state)
{
    struct tree *t = *state;
    /* a relative name of the very file that passes as absolute */
    assert_int_equal(chdir(t->dir), 0);
    static const char *const rel[] = {"m.so", "./m.so", "../" /* dir */, ""};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++)
        assert_int_equal(check(rel[i], 0), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(chdir("/"), 0);
}

static void ldr_path_missing_or_not_a_file(void **state)
{
    struct tree *t = *state;
    char missing[PATH_MAX];
    join(missing, t->dir, "none.so");
    assert_int_equal(check(missing, 0), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(check(t->dir, 0), WSAEPROVIDERFAILEDINIT);
}

static void ldr_path_world_writable_file(void **state)
{
    struct tree *t = *state;
    assert_int_equal(chmod(t->file, 0757), 0);
    assert_int_equal(check(t->file, 0), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(check(t->file, 1), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(chmod(t->file, 0755), 0);
    assert_int_equal(check(t->file, 0), 0);
}

static void ldr_path_world_writable_dir(void **state)
{
    struct tree *t = *state;
    /* plain, and sticky (like /tmp: anyone may still plant a file) */
    static const mode_t modes[] = {0777, 01777, 0757};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        assert_int_equal(chmod(t->dir, modes[i]), 0);
        assert_int_equal(check(t->file, 0), WSAEPROVIDERFAILEDINIT);
        assert_int_equal(check(t->file, 1), WSAEPROVIDERFAILEDINIT);
    }
    assert_int_equal(chmod(t->dir, 0755), 0);
    assert_int_equal(check(t->file, 0), 0);
}

/* A symlink in a safe directory to a file in a world-writable one: the file
 * is judged where it really is. */
static void ldr_path_symlink_into_unsafe_dir(void **state)
{
    struct tree *t = *state;
    char ww[PATH_MAX], target[PATH_MAX], link[PATH_MAX];
    join(ww, t->dir, "ww");
    join(target, t->dir, "ww/m.so");
    join(link, t->dir, "link.so");
    assert_int_equal(mkdir(ww, 0700), 0);
    make_file(target, 0755);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(chmod(ww, 0755), 0);
    assert_int_equal(check(link, 0), 0); /* the control: a safe target */
    assert_int_equal(chmod(ww, 0777), 0);
    assert_int_equal(check(link, 0), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(chmod(ww, 0755), 0);
}

/* Group-writable: accepted unless strict; in strict mode only when the group
 * is root. The file's group is made non-root (chown as root; otherwise it is
 * the creator's, non-root unless the test runs with gid 0 and is not root). */
static void ldr_path_group_writable(void **state)
{
    struct tree *t = *state;
    if (geteuid() == 0)
        assert_int_equal(chown(t->file, (uid_t)-1, OTHER_ID), 0);
    struct stat st;
    assert_int_equal(stat(t->file, &st), 0);
    if (st.st_gid == 0)
        skip(); /* cannot make a non-root group here */
    assert_int_equal(chmod(t->file, 0775), 0);
    assert_int_equal(check(t->file, 0), 0);
    assert_int_equal(check(t->file, 1), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(chmod(t->file, 0755), 0);
    assert_int_equal(check(t->file, 1), 0);
    /* the same for the directory */
    if (geteuid() == 0)
        assert_int_equal(chown(t->dir, (uid_t)-1, OTHER_ID), 0);
    assert_int_equal(chmod(t->dir, 0775), 0);
    assert_int_equal(check(t->file, 0), 0);
    assert_int_equal(check(t->file, 1), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(chmod(t->dir, 0755), 0);
    if (geteuid() == 0) {
        /* group root may write: trusted like root */
        assert_int_equal(chown(t->file, (uid_t)-1, 0), 0);
        assert_int_equal(chmod(t->file, 0775), 0);
        assert_int_equal(check(t->file, 1), 0);
        assert_int_equal(chmod(t->file, 0755), 0);
    }
}

/* Strict mode: owned by root or the effective user only. */
static void ldr_path_owner(void **state)
{
    struct tree *t = *state;
    if (geteuid() != 0)
        skip(); /* giving a file away needs root */
    assert_int_equal(chown(t->file, OTHER_ID, (gid_t)-1), 0);
    assert_int_equal(check(t->file, 0), 0);
    assert_int_equal(check(t->file, 1), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(chown(t->file, 0, (gid_t)-1), 0);
    assert_int_equal(chown(t->dir, OTHER_ID, (gid_t)-1), 0);
    assert_int_equal(check(t->file, 1), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(chown(t->dir, 0, (gid_t)-1), 0);
    assert_int_equal(check(t->file, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ldr_path_good, setup, teardown),
        cmocka_unit_test_setup_teardown(ldr_path_relative, setup, teardown),
        cmocka_unit_test_setup_teardown(ldr_path_missing_or_not_a_file, setup, teardown),
        cmocka_unit_test_setup_teardown(ldr_path_world_writable_file, setup, teardown),
        cmocka_unit_test_setup_teardown(ldr_path_world_writable_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(ldr_path_symlink_into_unsafe_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(ldr_path_group_writable, setup, teardown),
        cmocka_unit_test_setup_teardown(ldr_path_owner, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
