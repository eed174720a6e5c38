/* SPDX-License-Identifier: MIT */
/* wsp_catalog_path / wsp_catalog_status: which catalog file, and what is
 * wrong with it (wspext.h). For tools that must say "file:line". */
#include <stdio.h>

#include <wsp/wspext.h>

#include "catalog_store.h"

WSP_EXPORT int wsp_catalog_path(char *buf, size_t cap)
{
    char path[CATF_PATH_MAX];
    if (buf == NULL || catf_path(path, sizeof path) != 0)
        return -1;
    int n = snprintf(buf, cap, "%s", path);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

WSP_EXPORT int wsp_catalog_status(char *buf, size_t cap)
{
    char tmp[1];
    return cats_status(buf != NULL ? buf : tmp, buf != NULL ? cap : sizeof tmp);
}
