/* SPDX-License-Identifier: MIT */
/* The TPDU log of an itot socket, decoded.  The provider cannot print; it
 * keeps the headers of the TPDUs it received and of the control TPDUs it sent
 * (its DTs leave from the caller's buffers, so they are not logged), and this
 * file turns them into one line each.  Layouts: ISO 8073 / X.224 and RFC 1006
 * (the same the provider encodes); anything it cannot read is shown as hex. */
#include "tpdu_log.h"

#include <stdio.h>
#include <string.h>

#include <wsp/itot.h>

#include "report.h"

static const struct {
    unsigned char code; /* high nibble of the second header octet */
    const char *name;
    unsigned char fixed; /* octets of the fixed part after LI (code included) */
} log_kinds[] = {
    {0xE, "CR", 6}, {0xD, "CC", 6}, {0x8, "DR", 6}, {0xC, "DC", 5}, {0xF, "DT", 2},
    {0x1, "ED", 2}, {0x2, "EA", 4}, {0x6, "AK", 4}, {0x7, "ER", 4}, {0x5, "RJ", 4},
};

int tpdu_log_enable(SOCKET s)
{
    int on = 1;
    if (wsp_setsockopt(s, WSP_SOL_ITOT, WSP_ITOT_TPDU_LOG, (const char *)&on, sizeof on) ==
        SOCKET_ERROR)
        return WSAGetLastError();
    return 0;
}

static void log_hex(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s%02x", i ? " " : "", p[i]);
}

/* One CR/CC parameter: code, length, value. */
static void log_param(unsigned char code, const unsigned char *v, size_t n)
{
    unsigned long units = 0;
    switch (code) {
    case 0xC0:
        if (n == 1 && v[0] >= 7 && v[0] <= 16)
            fprintf(stderr, "C0 %lu", v[0] == 16 ? 65531ul : 1ul << v[0]);
        else
            fprintf(stderr, "C0 (bad)");
        return;
    case 0xF0:
        for (size_t i = 0; i < n && i < 4; i++)
            units = units << 8 | v[i];
        fprintf(stderr, "F0 %lu", units * 128);
        return;
    case 0xC1:
    case 0xC2:
        fprintf(stderr, "%s ", code == 0xC1 ? "calling TSAP" : "called TSAP");
        report_data(stderr, v, n);
        return;
    case 0xC6:
        fprintf(stderr, "C6 %s", n == 1 && (v[0] & 1) ? "expedited" : "no expedited");
        return;
    case 0xC7:
        fprintf(stderr, "C7 alternative class");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %u", v[i] >> 4);
        return;
    default:
        fprintf(stderr, "parameter 0x%02x (", code);
        log_hex(v, n);
        fputc(')', stderr);
    }
}

static void log_refs(const unsigned char *h, int with_src)
{
    fprintf(stderr, ", dst 0x%02x%02x", h[2], h[3]);
    if (with_src)
        fprintf(stderr, " src 0x%02x%02x", h[4], h[5]);
}

/* One entry; h holds n octets of the header (LI first). */
static void log_entry(const WSP_ITOT_TPDU_LOG_ENTRY *e)
{
    const unsigned char *h = e->hdr;
    size_t n = e->hdr_len, li = n > 0 ? h[0] : 0;
    const char *name = NULL;
    unsigned fixed = 0;
    for (size_t i = 0; n >= 2 && i < sizeof log_kinds / sizeof log_kinds[0]; i++)
        if (log_kinds[i].code == h[1] >> 4)
            name = log_kinds[i].name, fixed = log_kinds[i].fixed;
    if (e->lost)
        fprintf(stderr, "wsp: TPDU log: %u older entries dropped\n", e->lost);
    fprintf(stderr, "wsp: TPDU %s ", e->dir ? "<" : ">");
    if (name == NULL || li + 1 < fixed + 1 || n < 1u + fixed) {
        fprintf(stderr, "unreadable (%u octets): ", e->tpdu_len);
        log_hex(h, n);
        fputc('\n', stderr);
        return;
    }
    fprintf(stderr, "%s", name);
    size_t data = e->tpdu_len > li + 1 ? e->tpdu_len - (li + 1) : 0;
    switch (h[1] >> 4) {
    case 0xE:
    case 0xD:
        fprintf(stderr, " class %u", h[6] >> 4);
        log_refs(h, 1);
        for (size_t off = 7; off + 2 <= n && off + 2 <= li + 1;) {
            size_t len = h[off + 1];
            fprintf(stderr, off == 7 ? ": " : ", ");
            if (off + 2 + len > n) {
                fprintf(stderr, "...");
                break;
            }
            log_param(h[off], h + off + 2, len);
            off += 2 + len;
        }
        break;
    case 0x8:
        log_refs(h, 1);
        fprintf(stderr, ", reason %u (%s)", h[6], report_dr_reason_name(h[6]));
        break;
    case 0xC:
        log_refs(h, 1);
        break;
    case 0xF:
    case 0x1:
        if (li >= 4) { /* class 2 format: DST-REF, then EOT and number */
            log_refs(h, 0);
            fprintf(stderr, "%s", h[4] & 0x80 ? ", EOT" : "");
        } else {
            fprintf(stderr, "%s", h[2] & 0x80 ? " EOT" : "");
        }
        break;
    case 0x7:
        log_refs(h, 0);
        fprintf(stderr, ", cause %u", h[4]);
        break;
    default:
        log_refs(h, 0);
    }
    if (data > 0)
        fprintf(stderr, ", %zu octets of data", data);
    fputc('\n', stderr);
}

void tpdu_log_print(SOCKET s)
{
    WSP_ITOT_TPDU_LOG_ENTRY e[16];
    for (;;) {
        int len = (int)sizeof e;
        if (wsp_getsockopt(s, WSP_SOL_ITOT, WSP_ITOT_TPDU_LOG, (char *)e, &len) == SOCKET_ERROR ||
            len <= 0)
            return;
        flockfile(stderr);
        for (size_t i = 0; i < (size_t)len / sizeof e[0]; i++)
            log_entry(&e[i]);
        funlockfile(stderr);
    }
}
