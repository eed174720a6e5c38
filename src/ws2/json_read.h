/* SPDX-License-Identifier: MIT */
/* A small strict JSON reader (RFC 8259) for the catalog file: no comments, no
 * trailing commas, no duplicate keys, well-formed UTF-8, bounded depth. It
 * builds a flat tree of nodes; every node knows its line, so a caller can say
 * where a value it does not like is. Pure: no I/O, no global state (shared
 * by libwsp, the wsp command and the catalog_json fuzzer). */
#ifndef WSP_WS2_JSON_READ_H
#define WSP_WS2_JSON_READ_H

#include <stddef.h>

/* Deeper nesting is refused (the catalog needs 3 levels; recursion stays bounded). */
#define JSN_MAX_DEPTH 16
/* An object with more members is refused (a catalog entry has about 25). */
#define JSN_MAX_MEMBERS 256

enum jsn_type { JSN_NULL, JSN_BOOL, JSN_NUMBER, JSN_STRING, JSN_ARRAY, JSN_OBJECT };

struct jsn_node {
    enum jsn_type type;
    int line;       /* 1-based line of the value's first character */
    int boolean;    /* JSN_BOOL */
    int is_int;     /* JSN_NUMBER: an integer literal that fits long long */
    long long ival; /* JSN_NUMBER with is_int */
    size_t str;     /* JSN_STRING: offset of the decoded, NUL-terminated text */
    size_t count;   /* JSN_ARRAY: items; JSN_OBJECT: members */
    size_t first;   /* index of the first child (0: none); members are key, value, ... */
    size_t next;    /* index of the next sibling (0: none) */
};

struct jsn_doc {
    struct jsn_node *nodes; /* nodes[0] is the top value */
    size_t nnodes, capnodes;
    char *strs;
    size_t nstrs, capstrs;
};

struct jsn_error {
    int line;
    char msg[128];
};

/* Parses text[0..len) (need not be NUL-terminated). 0, or -1 with *err filled
 * and the document empty. jsn_free releases a parsed document. */
int jsn_parse(struct jsn_doc *d, const char *text, size_t len, struct jsn_error *err);
void jsn_free(struct jsn_doc *d);

const struct jsn_node *jsn_root(const struct jsn_doc *d);
/* First child / next sibling, or NULL. An object's children alternate key
 * (a JSN_STRING) and value. */
const struct jsn_node *jsn_first(const struct jsn_doc *d, const struct jsn_node *n);
const struct jsn_node *jsn_next(const struct jsn_doc *d, const struct jsn_node *n);
const char *jsn_text(const struct jsn_doc *d, const struct jsn_node *n);

#endif
