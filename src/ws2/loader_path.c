/* SPDX-License-Identifier: MIT */
/* Whether a provider module file may be loaded. dlopen runs the module's code
 * with all the rights of the process, so a module that someone else could
 * have written is refused (WSAEPROVIDERFAILEDINIT, Winsock's code for a
 * provider that cannot be loaded):
 *   - the path must be absolute (a relative one depends on the working
 *     directory at load time);
 *   - neither the file nor its directory may be world-writable (a sticky
 *     directory such as /tmp included: anyone may plant a file there);
 *   - strict mode, for privileged processes (AT_SECURE: setuid, setgid, file
 *     capabilities): also not group-writable unless the group is root, and
 *     owned by root or the effective user. Outside strict mode group-writable
 *     files are accepted, as a umask of 002 makes them in every user build.
 * The file is checked under its real name (symlinks resolved) and that name
 * is what gets loaded. Only the file and its directory are checked, not every
 * ancestor. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sys.h"
#include "loader.h"

static int ldr_mode_safe(const struct stat *st, int strict)
{
    if (st->st_mode & S_IWOTH)
        return 0;
    if (!strict)
        return 1;
    if ((st->st_mode & S_IWGRP) && st->st_gid != 0)
        return 0;
    return st->st_uid == 0 || st->st_uid == geteuid();
}

int ldr_path_check(const char *path, int strict, char *real, size_t cap)
{
    char buf[PATH_MAX];
    if (path[0] != '/' || sys_realpath(path, buf) == NULL || strlen(buf) >= cap)
        return WSAEPROVIDERFAILEDINIT;
    struct stat st;
    if (sys_stat(buf, &st) != 0 || !S_ISREG(st.st_mode) || !ldr_mode_safe(&st, strict))
        return WSAEPROVIDERFAILEDINIT;
    /* the directory: buf is canonical (absolute, no trailing '/'), and a file
     * at the root has "/" */
    char dir[PATH_MAX];
    size_t dlen = (size_t)(strrchr(buf, '/') - buf);
    dlen = dlen ? dlen : 1;
    memcpy(dir, buf, dlen);
    dir[dlen] = 0;
    if (sys_stat(dir, &st) != 0 || !ldr_mode_safe(&st, strict))
        return WSAEPROVIDERFAILEDINIT;
    memcpy(real, buf, strlen(buf) + 1);
    return 0;
}
