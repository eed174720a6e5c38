/* SPDX-License-Identifier: MIT */
/* Human-readable output: data, DR reasons, error names, UTF-16 and GUID strings. */
#include "report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

void report_data(FILE *out, const void *data, size_t len)
{
    const unsigned char *p = data;
    int printable = 1;
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            printable = 0;
    if (len == 0) {
        fprintf(out, "none (0 octets)");
    } else if (printable) {
        fputc('"', out);
        for (size_t i = 0; i < len; i++) {
            if (p[i] == '"' || p[i] == '\\')
                fputc('\\', out);
            fputc(p[i], out);
        }
        fprintf(out, "\" (%zu octet%s)", len, len == 1 ? "" : "s");
    } else {
        fprintf(out, "hex");
        for (size_t i = 0; i < len; i++)
            fprintf(out, " %02x", p[i]);
        fprintf(out, " (%zu octet%s)", len, len == 1 ? "" : "s");
    }
}

/* ISO 8073 DR reasons (the DR reason codes of ISO 8073). */
static const struct {
    int reason;
    const char *name;    /* for --reject */
    const char *meaning; /* for reports */
} dr_reasons[] = {
    {WSP_ITOT_DR_NOT_SPECIFIED, "not-specified", "reason not specified"},
    {WSP_ITOT_DR_CONGESTION, "congestion", "congestion at TSAP"},
    {WSP_ITOT_DR_NOT_ATTACHED, "not-attached", "session entity not attached to TSAP"},
    {WSP_ITOT_DR_ADDRESS_UNKNOWN, "address-unknown", "address unknown"},
    {WSP_ITOT_DR_NORMAL, "normal", "normal disconnect"},
    {WSP_ITOT_DR_REMOTE_CONGESTION, "remote-congestion", "remote congestion at connect time"},
    {WSP_ITOT_DR_NEGOTIATION_FAILED, "negotiation-failed", "connection negotiation failed"},
    {WSP_ITOT_DR_DUPLICATE_REF, "duplicate-ref", "duplicate source reference"},
    {WSP_ITOT_DR_MISMATCHED_REF, "mismatched-ref", "mismatched references"},
    {WSP_ITOT_DR_PROTOCOL_ERROR, "protocol-error", "protocol error"},
    {WSP_ITOT_DR_REF_OVERFLOW, "ref-overflow", "reference overflow"},
    {WSP_ITOT_DR_REFUSED, "refused", "connection request refused on this network connection"},
    {WSP_ITOT_DR_LENGTH_INVALID, "length-invalid", "header or parameter length invalid"},
};
#define DR_REASON_COUNT (sizeof dr_reasons / sizeof dr_reasons[0])

const char *report_dr_reason_name(int reason)
{
    for (size_t i = 0; i < DR_REASON_COUNT; i++)
        if (dr_reasons[i].reason == reason)
            return dr_reasons[i].meaning;
    return "unknown reason";
}

int report_dr_reason_parse(const char *text)
{
    for (size_t i = 0; i < DR_REASON_COUNT; i++)
        if (strcasecmp(dr_reasons[i].name, text) == 0)
            return dr_reasons[i].reason;
    char *end;
    long v = strtol(text, &end, 0);
    if (*text == '\0' || *end != '\0')
        return -1;
    for (size_t i = 0; i < DR_REASON_COUNT; i++)
        if (dr_reasons[i].reason == v)
            return (int)v;
    return -1;
}

void report_dr_reason_list(FILE *out)
{
    for (size_t i = 0; i < DR_REASON_COUNT; i++)
        fprintf(out, "    %-20s %3d  %s\n", dr_reasons[i].name, dr_reasons[i].reason,
                dr_reasons[i].meaning);
}

const char *report_wsa_name(int code)
{
    static _Thread_local char buf[64];
    const char *name = wsp_strerror_name(code);
    snprintf(buf, sizeof buf, "%s %d", name ? name : "error", code);
    return buf;
}

void report_error(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One write, so lines of two threads never interleave. */
    fprintf(stderr, "wsp: %s\n", line);
}

void report_wsa_error(const char *what, int code)
{
    report_error("%s failed: %s (%s)", what, wsp_strerror(code), report_wsa_name(code));
}

void report_utf16_to_utf8(const WCHAR *in, size_t max, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < max && in[i] != 0; i++) {
        uint32_t cp = in[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < max && in[i + 1] >= 0xDC00 &&
            in[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (in[i + 1] - 0xDC00);
            i++;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD; /* lone surrogate */
        }
        unsigned char enc[4];
        size_t n;
        if (cp < 0x80) {
            enc[0] = (unsigned char)cp;
            n = 1;
        } else if (cp < 0x800) {
            enc[0] = (unsigned char)(0xC0 | (cp >> 6));
            enc[1] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 2;
        } else if (cp < 0x10000) {
            enc[0] = (unsigned char)(0xE0 | (cp >> 12));
            enc[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            enc[2] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 3;
        } else {
            enc[0] = (unsigned char)(0xF0 | (cp >> 18));
            enc[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            enc[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            enc[3] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 4;
        }
        if (o + n + 1 > outlen)
            break;
        memcpy(out + o, enc, n);
        o += n;
    }
    if (outlen > 0)
        out[o] = '\0';
}

void report_guid(const GUID *g, char *out, size_t outlen)
{
    snprintf(out, outlen, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", (unsigned)g->Data1,
             g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4],
             g->Data4[5], g->Data4[6], g->Data4[7]);
}
