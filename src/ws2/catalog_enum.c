/* SPDX-License-Identifier: MIT */
/* Enumeration: filter by protocol numbers, size check, copy out through umem
 * so a bad buffer is WSAEFAULT, never a crash. */
#include "catalog_enum.h"

#include <string.h>

#include "catalog.h"
#include "common/umem.h"
#include "wstr.h"

/* Filters longer than this are refused (WSAEINVAL): a filter is a short list. */
#define CAT_FILTER_MAX 256

_Static_assert(offsetof(WSAPROTOCOL_INFOA, szProtocol) == offsetof(WSAPROTOCOL_INFOW, szProtocol),
               "A and W differ only in szProtocol");

void cat_info_w_to_a(WSAPROTOCOL_INFOA *a, const WSAPROTOCOL_INFOW *w)
{
    memcpy(a, w, offsetof(WSAPROTOCOL_INFOW, szProtocol));
    WCHAR name[WSAPROTOCOL_LEN + 1];
    memcpy(name, w->szProtocol, sizeof name);
    name[WSAPROTOCOL_LEN] = 0;
    wstr_to_utf8(a->szProtocol, sizeof a->szProtocol, name);
}

void cat_info_a_to_w(WSAPROTOCOL_INFOW *w, const WSAPROTOCOL_INFOA *a)
{
    memcpy(w, a, offsetof(WSAPROTOCOL_INFOA, szProtocol));
    char name[WSAPROTOCOL_LEN + 1];
    memcpy(name, a->szProtocol, sizeof name);
    name[WSAPROTOCOL_LEN] = 0;
    wstr_from_utf8(w->szProtocol, WSAPROTOCOL_LEN + 1, name);
}

static int cat_filter_read(const INT *user, INT *filter, size_t *n)
{
    *n = 0;
    if (user == NULL)
        return 0;
    for (;;) {
        INT v;
        if (umem_read(&v, user + *n, sizeof v) != 0)
            return WSAEFAULT;
        if (v == 0)
            return 0;
        if (*n == CAT_FILTER_MAX)
            return WSAEINVAL;
        filter[(*n)++] = v;
    }
}

static int cat_selected(const struct cat_entry *e, int all, const INT *filter, size_t nfilter,
                        int use_filter)
{
    if (e->removed || (!all && !cat_entry_public(e)))
        return 0;
    if (!use_filter)
        return 1;
    for (size_t i = 0; i < nfilter; i++) {
        int p = e->info.iProtocol;
        if (filter[i] >= p && (long long)filter[i] <= (long long)p + e->info.iProtocolMaxOffset)
            return 1;
    }
    return 0;
}

int cat_enum(const INT *lpiProtocols, void *buf, LPDWORD lpdwBufferLength, enum cat_enum_kind kind,
             int all, int *err)
{
    INT filter[CAT_FILTER_MAX];
    size_t nfilter;
    DWORD have;
    *err = cat_filter_read(lpiProtocols, filter, &nfilter);
    if (*err == 0 && umem_read(&have, lpdwBufferLength, sizeof have) != 0)
        *err = WSAEFAULT;
    if (*err != 0)
        return -1;
    size_t size = kind == CAT_ENUM_A ? sizeof(WSAPROTOCOL_INFOA) : sizeof(WSAPROTOCOL_INFOW);
    int use_filter = lpiProtocols != NULL;

    cat_lock();
    size_t count = 0;
    for (struct cat_entry *e = cat_entries(); e; e = e->next)
        count += cat_selected(e, all, filter, nfilter, use_filter);
    DWORD need = (DWORD)(count * size);
    if (count > 0 && (buf == NULL || have < need)) {
        cat_unlock();
        *err = umem_write(lpdwBufferLength, &need, sizeof need) != 0 ? WSAEFAULT : WSAENOBUFS;
        return -1;
    }
    char *out = buf;
    for (struct cat_entry *e = cat_entries(); e && *err == 0; e = e->next) {
        if (!cat_selected(e, all, filter, nfilter, use_filter))
            continue;
        if (kind == CAT_ENUM_A) {
            WSAPROTOCOL_INFOA a;
            cat_info_w_to_a(&a, &e->info);
            *err = umem_write(out, &a, sizeof a);
        } else {
            *err = umem_write(out, &e->info, sizeof e->info);
        }
        out += size;
    }
    cat_unlock();
    return *err != 0 ? -1 : (int)count;
}
