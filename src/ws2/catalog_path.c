/* SPDX-License-Identifier: MIT */
/* Where a provider module is: a name without '/' is searched in each directory
 * of $WSP_PROVIDER_PATH, then in "wsp/" next to libwsp itself (so a build tree
 * and any install prefix work without configuration), then in the directory
 * compiled in at configure time.
 *
 * $WSP_PROVIDER_PATH is read with secure_getenv: in a setuid/setgid program
 * (or one with file capabilities) it is ignored, or a user could make the
 * program load that user's module with the program's rights. Relative
 * directories in it are skipped: the loader takes absolute paths only. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"

#ifndef WSP_INSTALL_MODULE_DIR_FULL
#define WSP_INSTALL_MODULE_DIR_FULL "/usr/local/lib/wsp"
#endif

static int cat_try(const char *dir, size_t dirlen, const char *module, char *out, size_t cap)
{
    if (dirlen == 0 || dir[0] != '/')
        return 0;
    int n = snprintf(out, cap, "%.*s/%s", (int)dirlen, dir, module);
    return n > 0 && (size_t)n < cap && access(out, F_OK) == 0;
}

/* The directory libwsp was loaded from, via dladdr on one of our own symbols. */
static size_t cat_self_dir(char *out, size_t cap)
{
    Dl_info info;
    if (dladdr((void *)&cat_resolve_path, &info) == 0 || info.dli_fname == NULL)
        return 0;
    const char *slash = strrchr(info.dli_fname, '/');
    if (slash == NULL)
        return 0;
    int n = snprintf(out, cap, "%.*s/wsp", (int)(slash - info.dli_fname), info.dli_fname);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

void cat_resolve_path(const char *module, char *out, size_t cap)
{
    if (strchr(module, '/') == NULL) {
        const char *env = secure_getenv("WSP_PROVIDER_PATH");
        for (const char *d = env; d && *d;) {
            const char *end = strchr(d, ':');
            size_t len = end ? (size_t)(end - d) : strlen(d);
            if (cat_try(d, len, module, out, cap))
                return;
            d = end ? end + 1 : d + len;
        }
        char self[4096];
        size_t selflen = cat_self_dir(self, sizeof self);
        if (cat_try(self, selflen, module, out, cap))
            return;
        if (cat_try(WSP_INSTALL_MODULE_DIR_FULL, strlen(WSP_INSTALL_MODULE_DIR_FULL), module, out,
                    cap))
            return;
    }
    snprintf(out, cap, "%s", module);
}
