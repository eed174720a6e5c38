/* SPDX-License-Identifier: MIT */
/* ovl_pool — the records behind struct ovl_op, recycled without a lock so
 * that a steady stream of overlapped sends and receives allocates nothing.
 * A record may be taken in one thread and given back in another (the
 * provider's engine or the issuing thread's completion routine). */
#ifndef WSP_COMMON_OVL_POOL_H
#define WSP_COMMON_OVL_POOL_H

#include <stdint.h>

#include "common/ovl.h"

/* The kit's private record: the provider sees only op. */
struct ovl_rec {
    struct ovl_op op;
    ULONG_PTR saved_internal; /* ov->Internal before submission (ovl_op_drop) */
    DWORD err;                /* the completion, for the completion routine */
    _Atomic int stored;       /* the completer is done with the caller's WSAOVERLAPPED */
    uint32_t slot;            /* 1-based pool slot, 0 = malloc'd on its own */
    _Atomic uint32_t next;    /* free-list link (a slot number) */
};

/* A record (its fields are garbage), or NULL when memory is exhausted. */
struct ovl_rec *ovl_pool_get(void);
/* Give a record back (its heap WSABUF copy must already be freed). */
void ovl_pool_put(struct ovl_rec *r);

#endif
