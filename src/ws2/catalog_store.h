/* SPDX-License-Identifier: MIT */
/* The persistent catalog: the file's records checked as a whole catalog and
 * mirrored into the in-memory one (catalog.c). Writers work in a transaction:
 * lock, read, change the records, check, replace the file, mirror, unlock. */
#ifndef WSP_WS2_CATALOG_STORE_H
#define WSP_WS2_CATALOG_STORE_H

#include "catalog_file.h"
#include "catalog_record.h"

/* Installed entries are numbered from here on; below are the built-ins'. */
#define CATS_FIRST_ID 2001

struct cats_tx {
    char path[CATF_PATH_MAX];
    int lockfd;
    struct crec_list recs; /* the whole catalog, built-ins included, in order */
};

/* Reads the file and mirrors it into memory (WSAStartup, the WSC calls).
 * A bad file leaves the built-in entries only. 0 or WSASYSCALLFAILURE. */
int cats_refresh(void);

/* 0 or a WSAE code (WSASYSCALLFAILURE: the file cannot be read, locked or
 * is corrupt; nothing is written then). cats_end after either. */
int cats_begin(struct cats_tx *tx);
/* Checks tx->recs as a catalog (WSAEINVAL), replaces the file and mirrors it. */
int cats_commit(struct cats_tx *tx);
void cats_end(struct cats_tx *tx);

/* Index of the record with this id, or -1. */
long cats_find(const struct crec_list *l, DWORD id);
/* The record is one of the built-in entries. */
int cats_is_builtin(const struct crec *r);

/* The last problem with the file, "PATH:LINE: what" (empty if none): 0 or
 * WSASYSCALLFAILURE. */
int cats_status(char *msg, size_t cap);

#endif
