/* SPDX-License-Identifier: MIT */
/* Recursive-descent JSON reader for the tool tests (see json.h). */
#include "json.h"

#include <stdlib.h>
#include <string.h>

struct json_in {
    const char *p;
    int depth;
};

static void json_ws(struct json_in *in)
{
    while (*in->p == ' ' || *in->p == '\n' || *in->p == '\r' || *in->p == '\t')
        in->p++;
}

static struct json *json_value(struct json_in *in);

static char *json_string_raw(struct json_in *in)
{
    if (*in->p != '"')
        return NULL;
    in->p++;
    size_t cap = 16, len = 0;
    char *s = malloc(cap);
    while (s && *in->p != '"') {
        unsigned c = (unsigned char)*in->p;
        if (c == 0 || c < 0x20) {
            free(s);
            return NULL;
        }
        char enc[4];
        size_t n = 1;
        enc[0] = (char)c;
        in->p++;
        if (c == '\\') {
            char e = *in->p++;
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *k = e ? strchr(from, e) : NULL;
            if (k) {
                enc[0] = to[k - from];
            } else if (e == 'u') {
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *in->p++;
                    v <<= 4;
                    if (h >= '0' && h <= '9')
                        v |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f')
                        v |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F')
                        v |= (unsigned)(h - 'A' + 10);
                    else {
                        free(s);
                        return NULL;
                    }
                }
                if (v < 0x80) {
                    enc[0] = (char)v;
                } else if (v < 0x800) {
                    enc[0] = (char)(0xC0 | (v >> 6));
                    enc[1] = (char)(0x80 | (v & 0x3F));
                    n = 2;
                } else {
                    enc[0] = (char)(0xE0 | (v >> 12));
                    enc[1] = (char)(0x80 | ((v >> 6) & 0x3F));
                    enc[2] = (char)(0x80 | (v & 0x3F));
                    n = 3;
                }
            } else {
                free(s);
                return NULL;
            }
        }
        if (len + n + 1 > cap) {
            cap *= 2;
            char *t = realloc(s, cap);
            if (!t) {
                free(s);
                return NULL;
            }
            s = t;
        }
        memcpy(s + len, enc, n);
        len += n;
    }
    if (!s)
        return NULL;
    in->p++;
    s[len] = '\0';
    return s;
}

static int json_push(struct json *j, char *key, struct json *item)
{
    struct json **items = realloc(j->items, (j->count + 1) * sizeof(struct json *));
    if (!items)
        return -1;
    j->items = items;
    if (j->type == JSON_OBJECT) {
        char **keys = realloc(j->keys, (j->count + 1) * sizeof *keys);
        if (!keys)
            return -1;
        j->keys = keys;
        keys[j->count] = key;
    }
    items[j->count++] = item;
    return 0;
}

static struct json *json_container(struct json_in *in, enum json_type type, char close)
{
    struct json *j = calloc(1, sizeof *j);
    if (!j || ++in->depth > 64) {
        free(j);
        return NULL;
    }
    j->type = type;
    in->p++;
    json_ws(in);
    if (*in->p == close) {
        in->p++;
        in->depth--;
        return j;
    }
    for (;;) {
        char *key = NULL;
        json_ws(in);
        if (type == JSON_OBJECT) {
            key = json_string_raw(in);
            json_ws(in);
            if (!key || *in->p != ':') {
                free(key);
                json_free(j);
                return NULL;
            }
            in->p++;
        }
        struct json *item = json_value(in);
        if (!item || json_push(j, key, item) != 0) {
            free(key);
            json_free(item);
            json_free(j);
            return NULL;
        }
        json_ws(in);
        if (*in->p == ',') {
            in->p++;
            continue;
        }
        if (*in->p == close) {
            in->p++;
            in->depth--;
            return j;
        }
        json_free(j);
        return NULL;
    }
}

static struct json *json_value(struct json_in *in)
{
    json_ws(in);
    if (*in->p == '{')
        return json_container(in, JSON_OBJECT, '}');
    if (*in->p == '[')
        return json_container(in, JSON_ARRAY, ']');
    struct json *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    static const struct {
        const char *word;
        enum json_type type;
        int boolean;
    } words[] = {{"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i].word);
        if (strncmp(in->p, words[i].word, n) == 0) {
            in->p += n;
            j->type = words[i].type;
            j->boolean = words[i].boolean;
            return j;
        }
    }
    if (*in->p == '"') {
        j->type = JSON_STRING;
        j->string = json_string_raw(in);
        if (!j->string) {
            free(j);
            return NULL;
        }
        return j;
    }
    char *end;
    j->number = strtod(in->p, &end);
    if (end == in->p) {
        free(j);
        return NULL;
    }
    j->type = JSON_NUMBER;
    in->p = end;
    return j;
}

struct json *json_parse(const char *text)
{
    struct json_in in = {text, 0};
    struct json *j = json_value(&in);
    json_ws(&in);
    if (j && *in.p != '\0') {
        json_free(j);
        return NULL;
    }
    return j;
}

void json_free(struct json *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->count; i++) {
        json_free(j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->string);
    free(j);
}

const struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}
