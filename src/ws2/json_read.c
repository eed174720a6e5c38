/* SPDX-License-Identifier: MIT */
/* Strict JSON reader (see json_read.h). Recursive descent over a bounded
 * depth; nodes and decoded strings live in two growable arrays addressed by
 * index, so growing them never leaves a dangling pointer. */
#include "json_read.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jsn_parser {
    struct jsn_doc *d;
    const unsigned char *p, *end;
    int line;
    struct jsn_error *err;
};

__attribute__((format(printf, 2, 3))) static int jsn_fail(struct jsn_parser *ps, const char *fmt,
                                                          ...)
{
    if (ps->err->msg[0] == '\0') {
        ps->err->line = ps->line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int jsn_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    void *nb = realloc(*buf, ncap * elem);
    if (nb == NULL)
        return -1;
    *buf = nb;
    *cap = ncap;
    return 0;
}

/* A new node (zeroed) at *idx. The root is made first, so index 0 means
 * "none" everywhere else. */
static int jsn_node_new(struct jsn_parser *ps, enum jsn_type t, size_t *idx)
{
    struct jsn_doc *d = ps->d;
    *idx = 0;
    if (jsn_grow((void **)&d->nodes, &d->capnodes, d->nnodes + 1, sizeof *d->nodes) != 0)
        return jsn_fail(ps, "out of memory");
    *idx = d->nnodes++;
    d->nodes[*idx] = (struct jsn_node){.type = t, .line = ps->line};
    return 0;
}

static int jsn_str_put(struct jsn_parser *ps, const void *s, size_t n)
{
    struct jsn_doc *d = ps->d;
    if (jsn_grow((void **)&d->strs, &d->capstrs, d->nstrs + n, 1) != 0)
        return jsn_fail(ps, "out of memory");
    memcpy(d->strs + d->nstrs, s, n);
    d->nstrs += n;
    return 0;
}

static void jsn_skip_ws(struct jsn_parser *ps)
{
    while (ps->p < ps->end) {
        unsigned char c = *ps->p;
        if (c == '\n')
            ps->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            return;
        ps->p++;
    }
}

static int jsn_literal(struct jsn_parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return jsn_fail(ps, "invalid literal (expected '%s')", word);
    ps->p += n;
    return 0;
}

static int jsn_hex4(struct jsn_parser *ps, unsigned *out)
{
    *out = 0;
    if (ps->end - ps->p < 4)
        return jsn_fail(ps, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = *ps->p++;
        unsigned h;
        if (c >= '0' && c <= '9')
            h = c - '0';
        else if (c >= 'a' && c <= 'f')
            h = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            h = c - 'A' + 10;
        else
            return jsn_fail(ps, "bad hex digit in \\u escape");
        v = v * 16 + h;
    }
    *out = v;
    return 0;
}

static int jsn_put_utf8(struct jsn_parser *ps, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return jsn_str_put(ps, b, n);
}

static int jsn_escape(struct jsn_parser *ps)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (ps->p >= ps->end)
        return jsn_fail(ps, "truncated escape");
    unsigned char c = *ps->p++;
    const char *at = c ? strchr(from, c) : NULL;
    if (at != NULL)
        return jsn_str_put(ps, &to[at - from], 1);
    if (c != 'u')
        return jsn_fail(ps, "invalid escape '\\%c'", c >= 0x20 && c < 0x7F ? c : '?');
    unsigned hi, lo;
    if (jsn_hex4(ps, &hi) != 0)
        return -1;
    if (hi == 0)
        return jsn_fail(ps, "\\u0000 is not allowed in a string");
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return jsn_fail(ps, "lone low surrogate in \\u escape");
    if (hi < 0xD800 || hi > 0xDBFF)
        return jsn_put_utf8(ps, hi);
    if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
        return jsn_fail(ps, "high surrogate without a low one");
    ps->p += 2;
    if (jsn_hex4(ps, &lo) != 0)
        return -1;
    if (lo < 0xDC00 || lo > 0xDFFF)
        return jsn_fail(ps, "high surrogate without a low one");
    return jsn_put_utf8(ps, 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
}

/* One raw UTF-8 sequence starting at a byte >= 0x80: copied if well-formed
 * (no overlong form, no surrogate, nothing above U+10FFFF). */
static int jsn_utf8_seq(struct jsn_parser *ps)
{
    const unsigned char *s = ps->p;
    unsigned char c = s[0];
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return jsn_fail(ps, "invalid UTF-8");
    }
    if ((size_t)(ps->end - s) < n)
        return jsn_fail(ps, "truncated UTF-8");
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return jsn_fail(ps, "invalid UTF-8");
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return jsn_fail(ps, "invalid UTF-8");
    ps->p += n;
    return jsn_str_put(ps, s, n);
}

/* A string at ps->p (the opening quote); its decoded text offset in *off. */
static int jsn_string_raw(struct jsn_parser *ps, size_t *off)
{
    ps->p++;
    *off = ps->d->nstrs;
    for (;;) {
        if (ps->p >= ps->end)
            return jsn_fail(ps, "unterminated string");
        unsigned char c = *ps->p;
        if (c == '"') {
            ps->p++;
            return jsn_str_put(ps, "", 1);
        }
        int rc;
        if (c == '\\') {
            ps->p++;
            rc = jsn_escape(ps);
        } else if (c < 0x20) {
            rc = jsn_fail(ps, "control character in a string");
        } else if (c >= 0x80) {
            rc = jsn_utf8_seq(ps);
        } else {
            ps->p++;
            rc = jsn_str_put(ps, &c, 1);
        }
        if (rc != 0)
            return -1;
    }
}

static int jsn_digits(struct jsn_parser *ps)
{
    const unsigned char *start = ps->p;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    return ps->p > start ? 0 : jsn_fail(ps, "digit expected in a number");
}

static int jsn_number(struct jsn_parser *ps, struct jsn_node *n)
{
    const unsigned char *start = ps->p;
    int neg = 0;
    if (*ps->p == '-') {
        neg = 1;
        ps->p++;
    }
    if (ps->p < ps->end && *ps->p == '0') {
        ps->p++;
        if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            return jsn_fail(ps, "leading zero in a number");
    } else if (jsn_digits(ps) != 0) {
        return -1;
    }
    const unsigned char *int_end = ps->p;
    int is_int = 1;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        is_int = 0;
        if (jsn_digits(ps) != 0)
            return -1;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        is_int = 0;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (jsn_digits(ps) != 0)
            return -1;
    }
    /* up to 18 digits always fit a long long */
    const unsigned char *digits = start + neg;
    if (is_int && int_end - digits <= 18) {
        long long v = 0;
        for (const unsigned char *c = digits; c < int_end; c++)
            v = v * 10 + (*c - '0');
        n->is_int = 1;
        n->ival = neg ? -v : v;
    }
    return 0;
}

static int jsn_value(struct jsn_parser *ps, size_t *idx, int depth);

/* Parses the items or members of the container *idx until `close`. */
static int jsn_container(struct jsn_parser *ps, size_t idx, int depth, unsigned char close)
{
    int object = close == '}';
    ps->p++;
    jsn_skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return 0;
    }
    size_t last = 0;
    for (;;) {
        size_t key = 0, val = 0;
        jsn_skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"')
                return jsn_fail(ps, "member name (a string) expected");
            /* bounds the duplicate check below (quadratic in the members) */
            if (ps->d->nodes[idx].count == JSN_MAX_MEMBERS)
                return jsn_fail(ps, "more than %d members in an object", JSN_MAX_MEMBERS);
            if (jsn_node_new(ps, JSN_STRING, &key) != 0 ||
                jsn_string_raw(ps, &ps->d->nodes[key].str) != 0)
                return -1;
            /* strict: a repeated key would make "which one wins" ambiguous */
            const char *name = ps->d->strs + ps->d->nodes[key].str;
            for (size_t k = ps->d->nodes[idx].first; k && k != key;
                 k = ps->d->nodes[ps->d->nodes[k].next].next)
                if (strcmp(ps->d->strs + ps->d->nodes[k].str, name) == 0)
                    return jsn_fail(ps, "duplicate member \"%.60s\"", name);
            jsn_skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return jsn_fail(ps, "':' expected after a member name");
            ps->p++;
            jsn_skip_ws(ps);
        }
        if (jsn_value(ps, &val, depth + 1) != 0)
            return -1;
        size_t head = object ? key : val;
        if (object)
            ps->d->nodes[key].next = val;
        if (last == 0)
            ps->d->nodes[idx].first = head;
        else
            ps->d->nodes[last].next = head;
        last = val;
        ps->d->nodes[idx].count++;
        jsn_skip_ws(ps);
        if (ps->p >= ps->end)
            return jsn_fail(ps, "unexpected end of input (missing '%c')", close);
        if (*ps->p == close) {
            ps->p++;
            return 0;
        }
        if (*ps->p != ',')
            return jsn_fail(ps, "',' or '%c' expected", close);
        ps->p++;
    }
}

static int jsn_value(struct jsn_parser *ps, size_t *idx, int depth)
{
    if (depth > JSN_MAX_DEPTH)
        return jsn_fail(ps, "nested more than %d levels", JSN_MAX_DEPTH);
    if (ps->p >= ps->end)
        return jsn_fail(ps, "unexpected end of input (a value expected)");
    unsigned char c = *ps->p;
    switch (c) {
    case '{':
    case '[':
        if (jsn_node_new(ps, c == '{' ? JSN_OBJECT : JSN_ARRAY, idx) != 0)
            return -1;
        return jsn_container(ps, *idx, depth, c == '{' ? '}' : ']');
    case '"':
        if (jsn_node_new(ps, JSN_STRING, idx) != 0)
            return -1;
        return jsn_string_raw(ps, &ps->d->nodes[*idx].str);
    case 't':
    case 'f':
        if (jsn_node_new(ps, JSN_BOOL, idx) != 0)
            return -1;
        ps->d->nodes[*idx].boolean = c == 't';
        return jsn_literal(ps, c == 't' ? "true" : "false");
    case 'n':
        if (jsn_node_new(ps, JSN_NULL, idx) != 0)
            return -1;
        return jsn_literal(ps, "null");
    default:
        if (c != '-' && (c < '0' || c > '9'))
            return jsn_fail(ps, "unexpected character '%c'", c >= 0x20 && c < 0x7F ? c : '?');
        if (jsn_node_new(ps, JSN_NUMBER, idx) != 0)
            return -1;
        struct jsn_node tmp = {0};
        if (jsn_number(ps, &tmp) != 0)
            return -1;
        ps->d->nodes[*idx].is_int = tmp.is_int;
        ps->d->nodes[*idx].ival = tmp.ival;
        return 0;
    }
}

int jsn_parse(struct jsn_doc *d, const char *text, size_t len, struct jsn_error *err)
{
    memset(d, 0, sizeof *d);
    err->line = 0;
    err->msg[0] = '\0';
    struct jsn_parser ps = {d, (const unsigned char *)text, (const unsigned char *)text + len, 1,
                            err};
    /* a UTF-8 byte order mark is not JSON (RFC 8259 8.1: MUST NOT add one) */
    jsn_skip_ws(&ps);
    size_t root;
    int rc = jsn_value(&ps, &root, 1);
    if (rc == 0) {
        jsn_skip_ws(&ps);
        if (ps.p != ps.end)
            rc = jsn_fail(&ps, "unexpected text after the end of the document");
    }
    if (rc != 0)
        jsn_free(d);
    return rc;
}

void jsn_free(struct jsn_doc *d)
{
    free(d->nodes);
    free(d->strs);
    memset(d, 0, sizeof *d);
}

const struct jsn_node *jsn_root(const struct jsn_doc *d)
{
    return d->nnodes ? &d->nodes[0] : NULL;
}

const struct jsn_node *jsn_first(const struct jsn_doc *d, const struct jsn_node *n)
{
    return n->first ? &d->nodes[n->first] : NULL;
}

const struct jsn_node *jsn_next(const struct jsn_doc *d, const struct jsn_node *n)
{
    return n->next ? &d->nodes[n->next] : NULL;
}

const char *jsn_text(const struct jsn_doc *d, const struct jsn_node *n)
{
    return d->strs + n->str;
}
