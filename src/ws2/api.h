/* SPDX-License-Identifier: MIT */
/* What every API entry point does around its provider call: check startup,
 * pin the handle (WSAENOTSOCK), dispatch through the provider's proc table,
 * unpin, store the error thread-locally. Inline and allocation-free: this is
 * the hot path of every send and receive. */
#ifndef WSP_WS2_API_H
#define WSP_WS2_API_H

#include "apc.h"
#include "catalog.h"
#include "debug.h"
#include "handle.h"
#include "handle_slot.h"
#include "lasterror.h"
#include "startup.h"

struct api_sock {
    SOCKET s;
    struct cat_entry *entry;
    struct hdl_slot *slot; /* for api_done: the unpin does not decode s again */
};

/* 0, WSANOTINITIALISED or WSAENOTSOCK. On 0 the caller must api_done. */
static inline int api_pin(SOCKET s, struct api_sock *a)
{
    if (!su_running())
        return WSANOTINITIALISED;
    void *owner;
    int err = hdl_pin_slot(s, &owner, &a->slot);
    if (err != 0)
        return err;
    hdl_cur_set(s, a->slot);
    a->s = s;
    a->entry = owner;
    return 0;
}

/* The provider's table, or the tracing shim in front of it (debug.h): off,
 * one relaxed load and a branch not taken. */
static inline const WSPPROC_TABLE *api_procs(const struct api_sock *a)
{
    const WSPPROC_TABLE *t = &a->entry->prov->procs;
    return dbg_on() ? dbg_procs(t) : t;
}

/* Unpin; on failure store *errp (a provider that forgot to set it gets
 * WSASYSCALLFAILURE rather than a stale code). Returns rc. errp is a pointer
 * so that api_done(&a, call(..., &err), &err) reads err after the call
 * (argument evaluation order is unspecified). */
static inline int api_done(struct api_sock *a, int rc, const int *errp)
{
    hdl_unpin_slot(a->slot);
    if (rc == SOCKET_ERROR)
        le_set(*errp != 0 ? *errp : WSASYSCALLFAILURE);
    return rc;
}

/* A failed pin: trace it (named fn), store the error, SOCKET_ERROR. */
static inline int api_enter_fail(const char *fn, SOCKET s, int err)
{
    if (dbg_on())
        dbg_fail(fn, s, err);
    le_set(err);
    return SOCKET_ERROR;
}

/* Start a call on socket s: declares `a` and `err`, and returns `fail` from
 * the enclosing function when the handle cannot be pinned. */
#define API_ENTER(s, fail)                                                                         \
    struct api_sock a;                                                                             \
    int err = api_pin((s), &a);                                                                    \
    if (err != 0) {                                                                                \
        (void)api_enter_fail(__func__, (s), err);                                                  \
        return (fail);                                                                             \
    }

/* The issuing thread's WSATHREADID for an overlapped call with a completion
 * routine (the provider queues the routine to it). Filled only then, so the
 * plain path allocates nothing (a thread's queue is made on its first such
 * call). 0 or WSAENOBUFS/WSAEMFILE. */
static inline int api_thread_id(LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                                LPWSATHREADID tid)
{
    return ov != NULL && cr != NULL ? apc_open_current(tid) : 0;
}

/* closesocket without the startup check (also used by the last WSACleanup). */
int api_close_handle(SOCKET s);

#endif
