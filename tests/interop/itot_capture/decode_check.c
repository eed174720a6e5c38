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
