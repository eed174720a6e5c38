/* SPDX-License-Identifier: MIT */
/* Helpers shared by the codec tests and the codec fuzzer: hex frames and a
 * field-by-field comparison of two decoded TPDUs (pointers compared by the
 * octets they point at, the LI left out because ignored parameters change it). */
#ifndef WSP_TESTS_TPDU_TESTLIB_H
#define WSP_TESTS_TPDU_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "providers/itot/tpdu.h"

/* "03 00 00 0A ..." -> octets; returns the count, or 0 on a malformed string. */
static inline size_t tt_hex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *s != '\0'; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            v = *s - 'A' + 10;
        else if (*s == ' ' || *s == '\n')
            continue;
        else
            return 0;
        if (hi < 0) {
            hi = v;
        } else {
            if (n == cap)
                return 0;
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return hi < 0 ? n : 0;
}

static inline bool tt_same_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    if (na != nb)
        return false;
    if (na == 0)
        return true;
    return a != NULL && b != NULL && memcmp(a, b, na) == 0;
}

/* Which field differs first, or NULL if a and b carry the same TPDU. */
static inline const char *tt_diff(const struct tpdu *a, const struct tpdu *b)
{
#define TT_FIELD(f)                                                                                \
    if (a->f != b->f)                                                                              \
        return #f;
    TT_FIELD(code)
    TT_FIELD(dst_ref)
    TT_FIELD(src_ref)
    TT_FIELD(cdt)
    TT_FIELD(class_opt)
    TT_FIELD(has_tpdu_size)
    TT_FIELD(tpdu_size_code)
    TT_FIELD(has_pref_size)
    TT_FIELD(pref_size_units)
    TT_FIELD(has_calling)
    TT_FIELD(has_called)
    TT_FIELD(has_add_options)
    TT_FIELD(add_options)
    TT_FIELD(reason)
    TT_FIELD(has_add_clearing)
    TT_FIELD(add_clearing)
    TT_FIELD(dst_ref_present)
    TT_FIELD(eot)
    TT_FIELD(nr)
    TT_FIELD(cause)
#undef TT_FIELD
    if ((a->rejected == NULL) != (b->rejected == NULL))
        return "rejected present";
    if (!tt_same_bytes(a->calling, a->calling_len, b->calling, b->calling_len))
        return "calling";
    if (!tt_same_bytes(a->called, a->called_len, b->called, b->called_len))
        return "called";
    if (!tt_same_bytes(a->alt_classes, a->n_alt_classes, b->alt_classes, b->n_alt_classes))
        return "alt_classes";
    if (!tt_same_bytes(a->rejected, a->rejected_len, b->rejected, b->rejected_len))
        return "rejected";
    if (!tt_same_bytes(a->data, a->data_len, b->data, b->data_len))
        return "data";
    return NULL;
}

#endif
