/* SPDX-License-Identifier: MIT */
/* Shared option values: protocol, class, port, data given as TEXT or @FILE. */
#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const struct {
    const char *name;
    enum args_proto proto;
} proto_names[] = {{"tcp", ARGS_PROTO_TCP}, {"itot", ARGS_PROTO_ITOT}};

int args_proto(const char *text, enum args_proto *out)
{
    for (size_t i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++) {
        if (strcmp(proto_names[i].name, text) == 0) {
            *out = proto_names[i].proto;
            return 0;
        }
    }
    report_error("unknown protocol '%s' (use tcp or itot)", text);
    return -1;
}

int args_class(const char *text, int *out)
{
    if (strcmp(text, "0") == 0 || strcmp(text, "2") == 0) {
        *out = text[0] - '0';
        return 0;
    }
    report_error("unknown class '%s' (use 0 or 2)", text);
    return -1;
}

int args_port(const char *text, unsigned short *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 65535) {
        report_error("bad port '%s' (use a number from 0 to 65535)", text);
        return -1;
    }
    *out = (unsigned short)v;
    return 0;
}

static int args_read_file(const char *option, const char *path, struct args_data *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        report_error("%s: cannot open '%s': %s", option, path, strerror(errno));
        return -1;
    }
    unsigned char *buf = malloc(ARGS_DATA_MAX + 1);
    if (!buf) {
        fclose(f);
        report_error("%s: out of memory", option);
        return -1;
    }
    size_t n = fread(buf, 1, ARGS_DATA_MAX + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || n > ARGS_DATA_MAX) {
        free(buf);
        report_error("%s: cannot read '%s' (%s)", option, path,
                     failed ? "read error" : "larger than 64 KiB");
        return -1;
    }
    out->buf = buf;
    out->len = n;
    return 0;
}

int args_data(const char *option, const char *text, struct args_data *out)
{
    args_data_free(out);
    out->set = 1;
    if (text[0] == '@' && text[1] != '@')
        return args_read_file(option, text + 1, out);
    if (text[0] == '@')
        text++; /* "@@x" is the literal "@x" */
    out->len = strlen(text);
    if (out->len > ARGS_DATA_MAX) {
        report_error("%s: longer than 64 KiB", option);
        return -1;
    }
    out->buf = out->len ? malloc(out->len) : NULL;
    if (out->len && !out->buf) {
        report_error("%s: out of memory", option);
        return -1;
    }
    if (out->len)
        memcpy(out->buf, text, out->len);
    return 0;
}

void args_data_free(struct args_data *d)
{
    free(d->buf);
    d->buf = NULL;
    d->len = 0;
}

int args_number(const char *option, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
        report_error("bad value '%s' for %s (use a number from %ld to %ld)", text, option, min,
                     max);
        return -1;
    }
    *out = v;
    return 0;
}

static int args_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int args_tsap(const char *option, const char *text, struct args_data *out)
{
    unsigned char v[32];
    size_t n = 0;
    if (strncmp(text, "0x", 2) == 0 || strncmp(text, "0X", 2) == 0) {
        const char *h = text + 2;
        size_t digits = strlen(h);
        if (digits == 0 || digits % 2 != 0 || digits / 2 > sizeof v) {
            report_error("bad %s '%s' (0x and an even number of hex digits, at most 32 octets)",
                         option, text);
            return -1;
        }
        for (; n < digits / 2; n++) {
            int hi = args_hex_digit(h[2 * n]), lo = args_hex_digit(h[2 * n + 1]);
            if (hi < 0 || lo < 0) {
                report_error("bad %s '%s' (not a hex digit)", option, text);
                return -1;
            }
            v[n] = (unsigned char)(hi << 4 | lo);
        }
    } else {
        n = strlen(text);
        if (n == 0 || n > sizeof v) {
            report_error("bad %s '%s' (1 to 32 octets)", option, text);
            return -1;
        }
        memcpy(v, text, n);
    }
    args_data_free(out);
    out->buf = malloc(n > 0 ? n : 1); /* n is 1..32 here */
    if (out->buf == NULL) {
        report_error("out of memory");
        return -1;
    }
    memcpy(out->buf, v, n);
    out->len = n;
    out->set = 1;
    return 0;
}
