/* SPDX-License-Identifier: MIT */
/* A tiny JSON reader for the tests: enough to check `wsp catalog --json`
 * (objects, arrays, strings with \" \\ \uXXXX escapes, numbers, true/false/null). */
#ifndef WSP_TESTS_TOOL_JSON_H
#define WSP_TESTS_TOOL_JSON_H

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    double number;
    int boolean;
    char *string;        /* JSON_STRING */
    char **keys;         /* JSON_OBJECT: keys[i] names items[i] */
    struct json **items; /* JSON_ARRAY / JSON_OBJECT */
    size_t count;
};

/* Parses the whole text; NULL on any syntax error or trailing garbage. */
struct json *json_parse(const char *text);
void json_free(struct json *j);
/* Member of an object, or NULL. */
const struct json *json_get(const struct json *obj, const char *key);

#endif
