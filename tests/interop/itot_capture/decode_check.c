/* SPDX-License-Identifier: MIT */
#include "decode_check.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t dc_count(const char *text, const char *needle)
{
    size_t n = 0, l = strlen(needle);
    for (const char *p = strstr(text, needle); p; p = strstr(p + l, needle))
        n++;
    return n;
}

size_t dc_count_ci(const char *text, const char *needle)
{
    size_t n = 0, l = strlen(needle);
    for (const char *p = strcasestr(text, needle); p; p = strcasestr(p + l, needle))
        n++;
    return n;
}

static int dc_in_range(const char *from, const char *to, const char *needle)
{
    const char *p = strstr(from, needle);
    return p && (!to || p + strlen(needle) <= to);
}

size_t dc_frames_with(const char *text, const char *a, const char *b)
{
    size_t n = 0;
    const char *f = strncmp(text, "Frame ", 6) == 0 ? text : strstr(text, "\nFrame ");
    while (f) {
        const char *next = strstr(f + 1, "\nFrame ");
        if (dc_in_range(f, next, a) && dc_in_range(f, next, b))
            n++;
        f = next;
    }
    return n;
}

void dc_data_line(const uint8_t *data, size_t len, char *out, size_t out_len)
{
    size_t o = (size_t)snprintf(out, out_len, "Data: ");
    for (size_t i = 0; i < len && o + 3 < out_len; i++)
        o += (size_t)snprintf(out + o, out_len - o, "%02x", data[i]);
    if (o + 1 < out_len) {
        out[o++] = '\n';
        out[o] = 0;
    }
}

void dc_hex_row(const uint8_t *data, size_t len, size_t row, char *out, size_t out_len)
{
    size_t o = (size_t)snprintf(out, out_len, "\n%04zx ", row * 16);
    for (size_t i = row * 16; i < len && i < row * 16 + 16 && o + 4 < out_len; i++)
        o += (size_t)snprintf(out + o, out_len - o, " %02x", data[i]);
}

/* The top-level protocol line (column 0) whose subtree holds position p. */
static const char *dc_section_of(const char *text, const char *p)
{
    while (p > text) {
        const char *line = p;
        while (line > text && line[-1] != '\n')
            line--;
        if (*line != ' ' && *line != '\n')
            return line;
        p = line - 1;
    }
    return text;
}

void dc_expert_scan(const char *text, struct dc_expert *out)
{
    memset(out, 0, sizeof *out);
    static const char tag[] = "[Expert Info (";
    for (const char *p = strstr(text, tag); p; p = strstr(p + 1, tag)) {
        const char *sev = p + sizeof tag - 1;
        if (strncmp(sev, "Warning/", 8) != 0 && strncmp(sev, "Error/", 6) != 0)
            continue;
        out->total++;
        int tcp = strncmp(dc_section_of(text, p), "Transmission Control Protocol", 29) == 0;
        size_t *n = tcp ? &out->tcp : &out->bad;
        char *first = tcp ? out->first_tcp : out->first_bad;
        if ((*n)++ == 0) {
            const char *line_end = strchr(p, '\n');
            snprintf(first, sizeof out->first_bad, "%.*s", (int)(line_end ? line_end - p : 200), p);
        }
    }
}
