/* SPDX-License-Identifier: MIT */
/* The catalog file on disk: where it is, reading it whole, and replacing it
 * atomically under an advisory lock (docs/catalog.md). No catalog semantics
 * here: see catalog_store.c. */
#ifndef WSP_WS2_CATALOG_FILE_H
#define WSP_WS2_CATALOG_FILE_H

#include <stddef.h>

#include "catalog_record.h"

#define CATF_PATH_MAX 4096

#ifndef WSP_SYSCONF_CATALOG
#define WSP_SYSCONF_CATALOG "/usr/local/etc/wsp/catalog.json"
#endif

/* The catalog file's path: $WSP_CATALOG, else $XDG_CONFIG_HOME/wsp/catalog.json,
 * else $HOME/.config/wsp/catalog.json, else the system default. Variables are
 * read with secure_getenv (a privileged program gets the system default);
 * relative XDG_CONFIG_HOME / HOME are ignored (XDG Base Directory spec).
 * 0, or -1 if the path would not fit. */
int catf_path(char *out, size_t cap);

/* Reads and parses the whole file. A missing file is an empty catalog
 * (*exists = 0). -1 with *err (line 0 for an I/O problem). */
int catf_read(const char *path, struct crec_list *out, int *exists, struct crec_error *err);

/* Takes the writers' lock: flock(LOCK_EX) on "<path>.lock", creating the
 * file's directory (and parents) if missing. A descriptor, or -1 (errno). */
int catf_lock(const char *path);
void catf_unlock(int fd);

/* Under the lock: writes the records to a temporary file in the same
 * directory, fsyncs it, renames it over path and fsyncs the directory, so a
 * reader sees the old file or the new one, never a part. n == 0 removes the
 * file instead (the catalog is back to its built-in state). 0 or -1 (errno).
 * The rename (or unlink) is the commit: once it is done the call returns 0,
 * whatever the directory's fsync after it says. */
int catf_replace(const char *path, const struct crec *r, size_t n);

#endif
