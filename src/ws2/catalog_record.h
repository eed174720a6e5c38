/* SPDX-License-Identifier: MIT */
/* Catalog entries as JSON: the format `wsp catalog --json` prints and the
 * catalog file stores (docs/catalog.md). One array, one object per entry.
 * Reading is strict (json_read.h) and says which line is wrong; writing gives
 * the same keys, so what one prints another can read. Pure: no I/O besides
 * the FILE it is handed, no global state (libwsp, the wsp command and the
 * catalog_json fuzzer share it). */
#ifndef WSP_WS2_CATALOG_RECORD_H
#define WSP_WS2_CATALOG_RECORD_H

#include <stdio.h>

#include <wsp/ws2spi.h>

/* Bounds: a larger file or more entries are refused, not read. */
#define CREC_MAX_FILE 1048576 /* 1 MiB */
#define CREC_MAX_ENTRIES 1024
#define CREC_MAX_PATH 4096

struct crec {
    WSAPROTOCOL_INFOW info;
    char *module; /* provider_path as stored (NULL for JSON null) */
    int line;     /* line of the entry's '{' (0: not read from text) */
};

struct crec_list {
    struct crec *v;
    size_t n, cap;
};

struct crec_error {
    int line; /* 0: not about one line (the file as a whole) */
    char msg[160];
};

/* Fills *err with line and a printf-style message; returns -1 (for
 * "return crec_fail(...)"). */
__attribute__((format(printf, 3, 4))) int crec_fail(struct crec_error *err, int line,
                                                    const char *fmt, ...);

enum crec_mode {
    CREC_CATALOG, /* a catalog file: ids, GUIDs, paths and chains are required */
    CREC_INFO,    /* `wsp catalog install --info`: protocol fields only */
};

/* Parses text[0..len) into *out (appended). 0, or -1 with *err; *out is then
 * left empty. */
int crec_parse(const char *text, size_t len, enum crec_mode mode, struct crec_list *out,
               struct crec_error *err);

/* Appends a copy of r (module duplicated). 0 or -1 (out of memory). */
int crec_push(struct crec_list *l, const WSAPROTOCOL_INFOW *info, const char *module);
void crec_clear(struct crec_list *l);

/* Writes the array, one object per record, in the `wsp catalog --json`
 * layout. Returns 0 or -1 (a write error, errno set). */
int crec_write(FILE *f, const struct crec *r, size_t n);

/* "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" <-> GUID. */
void crec_guid_format(const GUID *g, char out[39]);
int crec_guid_parse(const char *s, GUID *g);

/* "Base Service Provider" / "Layered Service Provider" / "Layered Chain Entry". */
const char *crec_entry_type(int chain_len);

#endif
