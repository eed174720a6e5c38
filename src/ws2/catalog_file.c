/* SPDX-License-Identifier: MIT */
/* The catalog file (see catalog_file.h). Readers never lock and never write:
 * writers rename a complete file into place, so a reader always sees one
 * whole version. Writers serialise on a separate lock file, because the
 * catalog file itself is replaced (a lock on it would be on the old inode). */
#include "catalog_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sys.h"

static int catf_join(char *out, size_t cap, const char *dir, const char *rest)
{
    int n = snprintf(out, cap, "%s%s", dir, rest);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int catf_path(char *out, size_t cap)
{
    const char *env = secure_getenv("WSP_CATALOG");
    if (env != NULL && env[0] != '\0')
        return catf_join(out, cap, env, "");
    env = secure_getenv("XDG_CONFIG_HOME");
    if (env != NULL && env[0] == '/')
        return catf_join(out, cap, env, "/wsp/catalog.json");
    env = secure_getenv("HOME");
    if (env != NULL && env[0] == '/')
        return catf_join(out, cap, env, "/.config/wsp/catalog.json");
    return catf_join(out, cap, WSP_SYSCONF_CATALOG, "");
}

static int catf_io_error(struct crec_error *err, const char *what)
{
    err->line = 0;
    snprintf(err->msg, sizeof err->msg, "%s: %s", what, strerror(errno));
    return -1;
}

int catf_read(const char *path, struct crec_list *out, int *exists, struct crec_error *err)
{
    *exists = 0;
    int fd = sys_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT ? 0 : catf_io_error(err, "cannot open");
    *exists = 1;
    struct stat st;
    if (sys_fstat(fd, &st) != 0) {
        int rc = catf_io_error(err, "cannot stat");
        sys_close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > CREC_MAX_FILE) {
        sys_close(fd);
        err->line = 0;
        snprintf(err->msg, sizeof err->msg, "%s",
                 S_ISREG(st.st_mode) ? "larger than the catalog limit (1 MiB)"
                                     : "not a regular file");
        return -1;
    }
    /* one byte more than the limit: a file that grew meanwhile is noticed */
    char *buf = malloc(CREC_MAX_FILE + 1);
    size_t len = 0;
    ssize_t r = 0;
    while (
        buf != NULL && len <= CREC_MAX_FILE &&
        ((r = sys_read(fd, buf + len, CREC_MAX_FILE + 1 - len)) > 0 || (r < 0 && errno == EINTR)))
        len += r > 0 ? (size_t)r : 0;
    int rc = 0;
    if (buf == NULL) {
        errno = ENOMEM;
        rc = catf_io_error(err, "cannot read");
    } else if (r < 0) {
        rc = catf_io_error(err, "cannot read");
    } else {
        rc = crec_parse(buf, len, CREC_CATALOG, out, err);
    }
    free(buf);
    sys_close(fd);
    return rc;
}

/* mkdir -p of the directory part of path. */
static int catf_make_dirs(const char *path)
{
    char dir[CATF_PATH_MAX];
    if (catf_join(dir, sizeof dir, path, "") != 0)
        return -1;
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (sys_mkdir(dir, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = c;
            if (c == '\0')
                return 0;
        }
    }
}

int catf_lock(const char *path)
{
    char lock[CATF_PATH_MAX];
    if (catf_join(lock, sizeof lock, path, ".lock") != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (catf_make_dirs(path) != 0)
        return -1;
    int fd = sys_openat(AT_FDCWD, lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return -1;
    while (sys_flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            sys_close(fd);
            errno = e;
            return -1;
        }
    }
    return fd;
}

void catf_unlock(int fd)
{
    if (fd >= 0)
        sys_close(fd); /* drops the flock */
}

static int catf_sync_dir(const char *path)
{
    char dir[CATF_PATH_MAX];
    if (catf_join(dir, sizeof dir, path, "") != 0)
        return -1;
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    int fd = sys_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = sys_fsync(fd);
    sys_close(fd);
    return rc;
}

/* The change is made and every reader sees it: the directory's fsync only
 * makes it last through a crash.  Reporting its failure would tell the caller
 * that nothing changed when the catalog did (a retried install would then
 * find its own GUID: WSAEINVAL), so it is best effort. */
static void catf_sync_dir_after_commit(const char *path)
{
    if (catf_sync_dir(path) != 0) {
    } /* nothing to undo: the rename stands */
}

int catf_replace(const char *path, const struct crec *r, size_t n)
{
    if (n == 0) {
        if (sys_unlink(path) != 0 && errno != ENOENT)
            return -1;
        catf_sync_dir_after_commit(path);
        return 0;
    }
    char tmp[CATF_PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = sys_openat(AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return -1;
    FILE *f = sys_fdopen(fd, "w");
    if (f == NULL) {
        int e = errno;
        sys_close(fd);
        sys_unlink(tmp);
        errno = e;
        return -1;
    }
    int rc = crec_write(f, r, n);
    if (rc == 0 && fflush(f) != 0)
        rc = -1;
    if (rc == 0 && sys_fsync(fileno(f)) != 0)
        rc = -1;
    int e = errno;
    if (fclose(f) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && sys_rename(tmp, path) != 0) {
        rc = -1;
        e = errno;
    }
    if (rc != 0) {
        sys_unlink(tmp);
        errno = e;
        return -1;
    }
    catf_sync_dir_after_commit(path);
    return 0;
}
