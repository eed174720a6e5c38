/* SPDX-License-Identifier: MIT */
/* The SOCKET handle table (DESIGN "Handles").
 *
 * A handle encodes a slot index and the slot's generation:
 *     handle = gen << (HDL_SLOT_BITS + 2) | index << 2
 * so it is never 0 (gen >= 1), never INVALID_SOCKET and a multiple of 4 like on
 * Windows. Slots live in chunks that never move (a fixed array of chunk
 * pointers), so lookup is a bounds check, an atomic load and a generation
 * compare, without a lock. Each slot carries one atomic word
 *     gen:32 | state:2 | pins:30
 * so "is this handle still the live one" and "take a pin" are one CAS.
 *
 * Life cycle: FREE -> LIVE (hdl_create) -> [CLOSING (hdl_close_begin)] -> DEAD
 * (hdl_close: generation bumped, waits for pins to drain) -> FREE.
 * The owner pointer is opaque here (the ws2 layer stores its catalog entry). */
#ifndef WSP_WS2_HANDLE_H
#define WSP_WS2_HANDLE_H

#include <stdint.h>

#include <wsp/winsock2.h>

#define HDL_SLOT_BITS 20
#define HDL_MAX_SLOTS (1u << HDL_SLOT_BITS)

/* Issue a handle for (owner, ctx). 0 or WSAEMFILE / WSAENOBUFS. */
int hdl_create(void *owner, uintptr_t ctx, SOCKET *out);

/* Pin a LIVE handle for the duration of an API call: 0 (owner stored) or
 * WSAENOTSOCK. Every successful pin needs one hdl_unpin. */
int hdl_pin(SOCKET s, void **owner);
void hdl_unpin(SOCKET s);

/* The same pair for the hot path, hdl_pin_slot and hdl_unpin_slot (inline,
 * handle_slot.h): the pin also hands back the slot, and the unpin takes it,
 * so a call decodes its handle once.  A pinned slot stays valid until its
 * unpin (no close can free it while pinned). */
struct hdl_slot;

/* Is s still the LIVE handle? False once a close has begun (CLOSING, DEAD) or
 * for any stale value. Safe while the caller holds a pin on s. */
int hdl_is_live(SOCKET s);

/* Context of a LIVE or CLOSING handle (the provider's WPUQuerySocketHandleContext). */
int hdl_query(SOCKET s, uintptr_t *ctx, void **owner);

/* Completion-port association (iocp.h), stored with the handle so that it
 * goes with it. hdl_set_port: once per handle, on a LIVE one: 0,
 * WSAENOTSOCK, or WSAEINVAL when it already has a port. hdl_get_port: for a
 * LIVE or CLOSING handle (a closing socket's aborted operations still reach
 * the port): 0 with *port (0 = none) and *key, or WSAENOTSOCK. */
int hdl_set_port(SOCKET s, uintptr_t port, uintptr_t key);
int hdl_get_port(SOCKET s, uintptr_t *port, uintptr_t *key);

/* closesocket's first step: LIVE -> CLOSING, so that a concurrent close or a new
 * pin gets WSAENOTSOCK while the provider's WSPCloseSocket runs. The caller
 * holds no pin. 0 or WSAENOTSOCK. */
int hdl_close_begin(SOCKET s, void **owner);
/* The provider refused to close: CLOSING -> LIVE again (no-op if already closed). */
void hdl_close_abort(SOCKET s);

/* WPUCloseSocketHandle: invalidate at once (generation bump), wait until every
 * other pin is released, then free the slot. 0 or WSAENOTSOCK.
 * Must not be called by a thread that itself holds a pin on s. */
int hdl_close(SOCKET s);

/* Call fn for every LIVE handle (used by the last WSACleanup). fn may close. */
void hdl_for_each_live(void (*fn)(SOCKET s, void *owner, void *arg), void *arg);

/* Number of LIVE or CLOSING handles (tests, cleanup checks). */
unsigned hdl_count_open(void);

/* Free every chunk. Only when no handle is open and no call is in progress. */
void hdl_reset(void);

#endif
