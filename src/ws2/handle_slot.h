/* SPDX-License-Identifier: MIT */
/* The handle table's slot layout and the pin/unpin fast paths, inline: every
 * API call pins its socket on entry and unpins it on return (api.h), so the
 * two calls into handle.c were a tenth of a wsp_send (callgrind,
 * docs/performance.md).  Internal to libwsp: handle.c and api.h include it;
 * everything else goes through handle.h.  Encoding and life cycle: handle.h. */
#ifndef WSP_WS2_HANDLE_SLOT_H
#define WSP_WS2_HANDLE_SLOT_H

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "handle.h"

#define HDL_CHUNK_BITS 7
#define HDL_CHUNK_SLOTS (1u << HDL_CHUNK_BITS)
#define HDL_NCHUNKS (HDL_MAX_SLOTS / HDL_CHUNK_SLOTS)
#define HDL_SHIFT (HDL_SLOT_BITS + 2)
/* Generations that fit in a SOCKET above the slot bits (the top stays clear). */
#define HDL_GEN_BITS (sizeof(SOCKET) >= 8 ? 32u : (unsigned)(sizeof(SOCKET) * 8 - HDL_SHIFT - 1))
#define HDL_GEN_MASK ((uint32_t)((1ull << HDL_GEN_BITS) - 1))

#define HDL_PINS_MASK 0x3FFFFFFFull
#define HDL_STATE_SHIFT 30
#define HDL_FREE 0u
#define HDL_LIVE 1u
#define HDL_CLOSING 2u
#define HDL_DEAD 3u

struct hdl_slot {
    _Atomic uint64_t word;
    _Atomic uintptr_t ctx;
    _Atomic(void *) owner;
    _Atomic uintptr_t port; /* completion port (iocp.h), 0 = none; set once */
    /* its completion key, stored before port; in a FREE slot, index + 1 of
     * the next free slot (under hdl_mu): no field of its own, so that a
     * slot is 128 octets on x86-64 glibc (a shift, not a multiply, in
     * every decode) */
    _Atomic uintptr_t port_key;
    pthread_mutex_t mu;
    pthread_cond_t drained;
};

/* The table (handle.c): chunk pointers, and the slots backed by a chunk.
 * Hidden like everything of libwsp that is not WSP_EXPORT. */
extern _Atomic(struct hdl_slot *) hdl_chunks[HDL_NCHUNKS];
extern _Atomic uint32_t hdl_nslots;
static inline uint32_t hdl_w_gen(uint64_t w)
{
    return (uint32_t)(w >> 32);
}
static inline unsigned hdl_w_state(uint64_t w)
{
    return (unsigned)((w >> HDL_STATE_SHIFT) & 3u);
}
static inline uint64_t hdl_w_pins(uint64_t w)
{
    return w & HDL_PINS_MASK;
}
static inline uint64_t hdl_w_make(uint32_t gen, unsigned state, uint64_t pins)
{
    return ((uint64_t)gen << 32) | ((uint64_t)state << HDL_STATE_SHIFT) | pins;
}

static inline SOCKET hdl_encode(uint32_t index, uint32_t gen)
{
    return ((SOCKET)gen << HDL_SHIFT) | ((SOCKET)index << 2);
}

/* The bits a handle never has: the low two (handles are multiples of 4) and
 * those above the generation. */
#define HDL_BAD_BITS (~((((SOCKET)HDL_GEN_MASK) << HDL_SHIFT) | ((SOCKET)(HDL_MAX_SLOTS - 1) << 2)))

/* Slot and generation of s, or NULL for a value that was never a handle.
 * Every call pays it (hdl_pin_slot, hdl_query), so it is one test on the
 * value itself (no bit outside index and generation) and the chunk load: a
 * chunk that is there holds all its slots (so no test against hdl_nslots),
 * and generation 0, never issued (hdl_next_gen), fails every caller's
 * generation compare (so no test of its own). */
static inline struct hdl_slot *hdl_decode(SOCKET s, uint32_t *gen)
{
    if ((s & HDL_BAD_BITS) != 0)
        return NULL;
    uint32_t index = (uint32_t)((s >> 2) & (HDL_MAX_SLOTS - 1));
    struct hdl_slot *chunk =
        atomic_load_explicit(&hdl_chunks[index >> HDL_CHUNK_BITS], memory_order_acquire);
    if (chunk == NULL)
        return NULL;
    *gen = (uint32_t)(s >> HDL_SHIFT);
    return &chunk[index & (HDL_CHUNK_SLOTS - 1)];
}

/* hdl_pin, handing back the slot for hdl_unpin_slot: 0 (owner and slot
 * stored), WSAENOTSOCK, or WSAENOBUFS when the pin count is full. */
static inline int hdl_pin_slot(SOCKET s, void **owner, struct hdl_slot **out)
{
    uint32_t gen;
    struct hdl_slot *slot = hdl_decode(s, &gen);
    if (slot == NULL)
        return WSAENOTSOCK;
    /* generation and LIVE in one compare: the word's top 34 bits */
    const uint64_t want = ((uint64_t)gen << 2 | HDL_LIVE) << HDL_STATE_SHIFT;
    uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);
    for (;;) {
        /* one compare for both failures: a full pin count carries into the
         * state bits.  (The one word that would carry into `want`, FREE with
         * a full count, cannot exist: pins are taken on LIVE slots only, and
         * a slot goes FREE with none.) */
        if (((w + 1) & ~HDL_PINS_MASK) != want)
            return (w & ~HDL_PINS_MASK) == want ? WSAENOBUFS : WSAENOTSOCK;
        if (atomic_compare_exchange_weak_explicit(&slot->word, &w, w + 1, memory_order_acquire,
                                                  memory_order_acquire))
            break;
    }
    *owner = atomic_load_explicit(&slot->owner, memory_order_relaxed);
    *out = slot;
    return 0;
}

/* The pin this thread took for the API call in progress (api_pin), so that
 * the provider's WPUQuerySocketHandleContext for that handle, during that
 * call, is answered from it (hdl_cur_ctx) instead of a second decode and
 * generation check of the table: that upcall was a fifth of a wsp_send
 * (callgrind, docs/performance.md).
 *
 * The invariant: slot != NULL means this thread holds a pin on s through
 * slot (set after a successful pin; every unpin clears it first, whatever
 * handle it drops), so slot stays allocated and s's generation can only
 * move on by a close (which hdl_cur_ctx checks).  A nested call (an API
 * call from a condition function) overwrites or clears it: the outer call
 * then takes the full lookup, never a wrong answer.
 *
 * initial-exec: an access is two instructions instead of a __tls_get_addr
 * call.  libwsp is loaded with the program; a libwsp opened with dlopen
 * takes these 16 octets from glibc's surplus static TLS. */
struct hdl_cur {
    SOCKET s;
    struct hdl_slot *slot;
};
extern _Thread_local struct hdl_cur hdl_cur __attribute__((tls_model("initial-exec")));

/* Record the pin hdl_pin_slot just took on s for this thread's call. */
static inline void hdl_cur_set(SOCKET s, struct hdl_slot *slot)
{
    hdl_cur.s = s;
    hdl_cur.slot = slot;
}

/* The context of s if this thread's call holds the pin on it and no close
 * has invalidated it: true with *ctx, else false (ask hdl_query).  Pinned,
 * the slot is LIVE or CLOSING with s's generation, or DEAD with the next
 * one (hdl_close bumps it before it waits for the pins), so the generation
 * alone tells hdl_query's answer; the pin's acquire saw the ctx stored
 * before the slot went LIVE. */
static inline bool hdl_cur_ctx(SOCKET s, uintptr_t *ctx)
{
    struct hdl_slot *slot = hdl_cur.slot;
    if (slot == NULL || hdl_cur.s != s)
        return false;
    uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);
    if (hdl_w_gen(w) != (uint32_t)(s >> HDL_SHIFT))
        return false;
    *ctx = atomic_load_explicit(&slot->ctx, memory_order_relaxed);
    return true;
}

/* The unpin once a close has begun (handle.c): under the slot's mutex. */
void hdl_unpin_closing(struct hdl_slot *slot);

/* Drop a pin taken by hdl_pin_slot. */
static inline void hdl_unpin_slot(struct hdl_slot *slot)
{
    hdl_cur.slot = NULL; /* before the pin goes: see struct hdl_cur */
    /* Fast path, no lock: the slot is live, so no closer waits for this pin
     * (the CAS fails if a close starts meanwhile). */
    uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);
    while (hdl_w_state(w) == HDL_LIVE) {
        assert(hdl_w_pins(w) > 0);
        if (atomic_compare_exchange_weak_explicit(&slot->word, &w, w - 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return;
    }
    hdl_unpin_closing(slot);
}

#endif
