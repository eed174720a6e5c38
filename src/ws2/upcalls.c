/* SPDX-License-Identifier: MIT */
/* The upcalls a provider may make (WSPUPCALLTABLE). Each one reports errors
 * through lpErrno only; a NULL lpErrno is tolerated (nothing is written). */
#include "upcalls.h"

#include "apc.h"
#include "catalog.h"
#include "event.h"
#include "handle.h"
#include "handle_slot.h"

static inline void upc_err(LPINT lpErrno, int err)
{
    if (lpErrno)
        *lpErrno = err;
}

static SOCKET WSPAPI upc_create_socket_handle(DWORD dwCatalogEntryId, DWORD_PTR dwContext,
                                              LPINT lpErrno)
{
    struct cat_entry *e = cat_find_id(dwCatalogEntryId);
    if (e == NULL) {
        upc_err(lpErrno, WSAEINVALIDPROVIDER);
        return INVALID_SOCKET;
    }
    SOCKET s;
    int err = hdl_create(e, dwContext, &s);
    if (err != 0) {
        upc_err(lpErrno, err);
        return INVALID_SOCKET;
    }
    return s;
}

static __attribute__((noinline)) int upc_query_context_table(SOCKET s, PDWORD_PTR lpContext,
                                                             LPINT lpErrno)
{
    uintptr_t ctx;
    int err = hdl_query(s, &ctx, NULL);
    if (err != 0) {
        upc_err(lpErrno, err);
        return SOCKET_ERROR;
    }
    if (lpContext == NULL) {
        upc_err(lpErrno, WSAEFAULT);
        return SOCKET_ERROR;
    }
    *lpContext = ctx;
    return 0;
}

/* Every provider entry that takes a socket asks this first.  The handle of
 * the API call in progress on this thread is answered from its pin, in a
 * frame of no saved registers; anything else (another handle, a provider's
 * own thread, an error) walks the table, out of line. */
static int WSPAPI upc_query_socket_handle_context(SOCKET s, PDWORD_PTR lpContext, LPINT lpErrno)
{
    uintptr_t ctx;
    if (lpContext != NULL && hdl_cur_ctx(s, &ctx)) {
        *lpContext = ctx;
        return 0;
    }
    return upc_query_context_table(s, lpContext, lpErrno);
}

static int WSPAPI upc_close_socket_handle(SOCKET s, LPINT lpErrno)
{
    int err = hdl_close(s);
    if (err != 0) {
        upc_err(lpErrno, err);
        return SOCKET_ERROR;
    }
    return 0;
}

/* POSIX has no blocking hooks: a provider blocks in the kernel, not in a
 * message loop, so there is never a callback to run. */
static int WSPAPI upc_query_blocking_callback(DWORD dwCatalogEntryId,
                                              LPBLOCKINGCALLBACK *lplpfnCallback,
                                              PDWORD_PTR lpdwContext, LPINT lpErrno)
{
    (void)dwCatalogEntryId;
    (void)lpErrno;
    if (lplpfnCallback)
        *lplpfnCallback = NULL;
    if (lpdwContext)
        *lpdwContext = 0;
    return 0;
}

static WSAEVENT WSPAPI upc_create_event(LPINT lpErrno)
{
    WSAEVENT h;
    int err = evt_create(&h);
    if (err != 0) {
        upc_err(lpErrno, err);
        return WSA_INVALID_EVENT;
    }
    return h;
}

static BOOL upc_bool(int err, LPINT lpErrno)
{
    if (err != 0) {
        upc_err(lpErrno, err);
        return FALSE;
    }
    return TRUE;
}

static BOOL WSPAPI upc_close_event(WSAEVENT h, LPINT lpErrno)
{
    return upc_bool(evt_close(h), lpErrno);
}

static BOOL WSPAPI upc_set_event(WSAEVENT h, LPINT lpErrno)
{
    return upc_bool(evt_set(h), lpErrno);
}

static BOOL WSPAPI upc_reset_event(WSAEVENT h, LPINT lpErrno)
{
    return upc_bool(evt_reset(h), lpErrno);
}

static int WSPAPI upc_fd_is_set(SOCKET s, wsp_fd_set *set)
{
    return __WSAFDIsSet(s, set);
}

/* WSCGetProviderPath is the same question asked by an installer. */
static int WSPAPI upc_get_provider_path(LPGUID id, WCHAR *path, LPINT len, LPINT lpErrno)
{
    return WSCGetProviderPath(id, path, len, lpErrno);
}

/* IFS handles are kernel handles on Windows; here every handle belongs to the
 * ws2 table, so there is nothing a provider could propose. */
static SOCKET WSPAPI upc_modify_ifs_handle(DWORD dwCatalogEntryId, SOCKET ProposedHandle,
                                           LPINT lpErrno)
{
    (void)dwCatalogEntryId;
    (void)ProposedHandle;
    upc_err(lpErrno, WSAEOPNOTSUPP);
    return INVALID_SOCKET;
}

/* No windows, so no window messages (WSAAsyncSelect is not offered). */
static BOOL WSPAPI upc_post_message(HWND hWnd, UINT Msg, WPARAM wParam, LPARAM lParam)
{
    (void)hWnd;
    (void)Msg;
    (void)wParam;
    (void)lParam;
    return FALSE;
}

/* Completion routines: queued to the issuing thread, run in its alertable
 * waits (apc.h). A NULL WSATHREADID is a provider bug: WSAEFAULT. */
static int WSPAPI upc_queue_apc(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc,
                                DWORD_PTR dwContext, LPINT lpErrno)
{
    int err = lpThreadId != NULL ? apc_queue(lpThreadId, lpfnUserApc, dwContext) : WSAEFAULT;
    if (err != 0) {
        upc_err(lpErrno, err);
        return SOCKET_ERROR;
    }
    return 0;
}

static int WSPAPI upc_open_current_thread(LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    int err = lpThreadId != NULL ? apc_open_current(lpThreadId) : WSAEFAULT;
    if (err != 0) {
        upc_err(lpErrno, err);
        return SOCKET_ERROR;
    }
    return 0;
}

static int WSPAPI upc_close_thread(LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    int err = lpThreadId != NULL ? apc_close(lpThreadId) : WSAEFAULT;
    if (err != 0) {
        upc_err(lpErrno, err);
        return SOCKET_ERROR;
    }
    return 0;
}

const WSPUPCALLTABLE upc_table = {
    .lpWPUCloseEvent = upc_close_event,
    .lpWPUCloseSocketHandle = upc_close_socket_handle,
    .lpWPUCreateEvent = upc_create_event,
    .lpWPUCreateSocketHandle = upc_create_socket_handle,
    .lpWPUFDIsSet = upc_fd_is_set,
    .lpWPUGetProviderPath = upc_get_provider_path,
    .lpWPUModifyIFSHandle = upc_modify_ifs_handle,
    .lpWPUPostMessage = upc_post_message,
    .lpWPUQueryBlockingCallback = upc_query_blocking_callback,
    .lpWPUQuerySocketHandleContext = upc_query_socket_handle_context,
    .lpWPUQueueApc = upc_queue_apc,
    .lpWPUResetEvent = upc_reset_event,
    .lpWPUSetEvent = upc_set_event,
    .lpWPUOpenCurrentThread = upc_open_current_thread,
    .lpWPUCloseThread = upc_close_thread,
};
