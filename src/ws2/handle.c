/* SPDX-License-Identifier: MIT */
/* Handle table: see handle.h for the encoding and life cycle.
 *
 * Why one 64-bit word per slot: pinning must fail for a stale or closing
 * handle and succeed only for the exact live generation; putting generation,
 * state and pin count in the same word makes that a single CAS, with no window
 * in which a slot could be reused between the check and the pin.
 * Why a mutex/cond per slot: the closer has to sleep until the pins drain, and
 * the last unpinner has to wake it; that slow path must not serialise on a
 * global lock. */
#include "handle.h"
#include "handle_slot.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

_Atomic(struct hdl_slot *) hdl_chunks[HDL_NCHUNKS];
_Atomic uint32_t hdl_nslots;
_Thread_local struct hdl_cur hdl_cur __attribute__((tls_model("initial-exec")));
static pthread_mutex_t hdl_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t hdl_used;      /* slots ever handed out (under hdl_mu) */
static uint32_t hdl_free_head; /* index + 1, 0 = empty (under hdl_mu) */
/* First generation of new slots. It moves past every generation issued before
 * a hdl_reset, so a handle kept across WSACleanup/WSAStartup stays stale. */
static uint32_t hdl_base_gen = 1;

static inline uint32_t hdl_next_gen(uint32_t gen)
{
    gen = (gen + 1) & HDL_GEN_MASK;
    return gen == 0 ? 1 : gen;
}

static struct hdl_slot *hdl_slot_at(uint32_t index)
{
    struct hdl_slot *chunk =
        atomic_load_explicit(&hdl_chunks[index >> HDL_CHUNK_BITS], memory_order_relaxed);
    return &chunk[index & (HDL_CHUNK_SLOTS - 1)];
}

/* Under hdl_mu: make sure slot `index` is backed by a chunk. */
static int hdl_grow_locked(uint32_t index)
{
    uint32_t c = index >> HDL_CHUNK_BITS;
    if (atomic_load_explicit(&hdl_chunks[c], memory_order_relaxed) != NULL)
        return 0;
    struct hdl_slot *chunk = calloc(HDL_CHUNK_SLOTS, sizeof *chunk);
    if (chunk == NULL)
        return WSAENOBUFS;
    for (uint32_t i = 0; i < HDL_CHUNK_SLOTS; i++) {
        pthread_mutex_init(&chunk[i].mu, NULL);
        pthread_cond_init(&chunk[i].drained, NULL);
        atomic_init(&chunk[i].word, hdl_w_make(hdl_base_gen, HDL_FREE, 0));
    }
    atomic_store_explicit(&hdl_chunks[c], chunk, memory_order_release);
    atomic_store_explicit(&hdl_nslots, (c + 1) * HDL_CHUNK_SLOTS, memory_order_release);
    return 0;
}

int hdl_create(void *owner, uintptr_t ctx, SOCKET *out)
{
    pthread_mutex_lock(&hdl_mu);
    uint32_t index;
    if (hdl_free_head != 0) {
        index = hdl_free_head - 1;
        /* a free slot's port_key holds the free list (see hdl_close) */
        hdl_free_head =
            (uint32_t)atomic_load_explicit(&hdl_slot_at(index)->port_key, memory_order_relaxed);
    } else {
        if (hdl_used >= HDL_MAX_SLOTS) {
            pthread_mutex_unlock(&hdl_mu);
            return WSAEMFILE;
        }
        int err = hdl_grow_locked(hdl_used);
        if (err != 0) {
            pthread_mutex_unlock(&hdl_mu);
            return err;
        }
        index = hdl_used++;
    }
    struct hdl_slot *slot = hdl_slot_at(index);
    uint64_t w = atomic_load_explicit(&slot->word, memory_order_relaxed);
    assert(hdl_w_state(w) == HDL_FREE && hdl_w_pins(w) == 0);
    uint32_t gen = hdl_w_gen(w);
    atomic_store_explicit(&slot->ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&slot->owner, owner, memory_order_relaxed);
    atomic_store_explicit(&slot->port, 0, memory_order_relaxed);
    atomic_store_explicit(&slot->port_key, 0, memory_order_relaxed);
    /* release: a reader that sees LIVE with this generation sees ctx and owner */
    atomic_store_explicit(&slot->word, hdl_w_make(gen, HDL_LIVE, 0), memory_order_release);
    pthread_mutex_unlock(&hdl_mu);
    *out = hdl_encode(index, gen);
    return 0;
}

int hdl_pin(SOCKET s, void **owner)
{
    struct hdl_slot *slot;
    return hdl_pin_slot(s, owner, &slot);
}

void hdl_unpin_closing(struct hdl_slot *slot)
{
    /* A close is under way: drop the pin under the slot's mutex, so the
     * closer, which checks the pins under that mutex, cannot finish (and a
     * last WSACleanup cannot free the slot) while this thread still uses it. */
    pthread_mutex_lock(&slot->mu);
    uint64_t prev = atomic_fetch_sub_explicit(&slot->word, 1, memory_order_acq_rel);
    assert(hdl_w_pins(prev) > 0);
    if (hdl_w_pins(prev) == 1)
        pthread_cond_broadcast(&slot->drained);
    pthread_mutex_unlock(&slot->mu);
}

void hdl_unpin(SOCKET s)
{
    uint32_t gen;
    struct hdl_slot *slot = hdl_decode(s, &gen);
    assert(slot != NULL);
    hdl_unpin_slot(slot);
}

int hdl_is_live(SOCKET s)
{
    uint32_t gen;
    struct hdl_slot *slot = hdl_decode(s, &gen);
    if (slot == NULL)
        return 0;
    uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);
    return hdl_w_gen(w) == gen && hdl_w_state(w) == HDL_LIVE;
}

int hdl_query(SOCKET s, uintptr_t *ctx, void **owner)
{
    uint32_t gen;
    struct hdl_slot *slot = hdl_decode(s, &gen);
    if (slot == NULL)
        return WSAENOTSOCK;
    uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);
    unsigned st = hdl_w_state(w);
    if (hdl_w_gen(w) != gen || (st != HDL_LIVE && st != HDL_CLOSING))
        return WSAENOTSOCK;
    uintptr_t c = atomic_load_explicit(&slot->ctx, memory_order_relaxed);
    void *o = atomic_load_explicit(&slot->owner, memory_order_relaxed);
    /* the generation is bumped before a slot is reused: if it is unchanged,
     * ctx and owner belong to s */
    atomic_thread_fence(memory_order_acquire);
    if (hdl_w_gen(atomic_load_explicit(&slot->word, memory_order_relaxed)) != gen)
        return WSAENOTSOCK;
    if (ctx)
        *ctx = c;
    if (owner)
        *owner = o;
    return 0;
}

int hdl_set_port(SOCKET s, uintptr_t port, uintptr_t key)
{
    uint32_t gen;
    struct hdl_slot *slot = hdl_decode(s, &gen);
    if (slot == NULL || !hdl_is_live(s))
        return WSAENOTSOCK;
    /* the slot's mutex makes "first association wins" one step */
    pthread_mutex_lock(&slot->mu);
    int err = 0;
    if (atomic_load_explicit(&slot->port, memory_order_relaxed) != 0) {
        err = WSAEINVAL;
    } else {
        atomic_store_explicit(&slot->port_key, key, memory_order_relaxed);
        atomic_store_explicit(&slot->port, port, memory_order_release);
    }
    pthread_mutex_unlock(&slot->mu);
    return err;
}

int hdl_get_port(SOCKET s, uintptr_t *port, uintptr_t *key)
{
    uint32_t gen;
    struct hdl_slot *slot = hdl_decode(s, &gen);
    if (slot == NULL)
        return WSAENOTSOCK;
    uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);
    unsigned st = hdl_w_state(w);
    if (hdl_w_gen(w) != gen || (st != HDL_LIVE && st != HDL_CLOSING))
        return WSAENOTSOCK;
    uintptr_t p = atomic_load_explicit(&slot->port, memory_order_acquire);
    uintptr_t k = atomic_load_explicit(&slot->port_key, memory_order_relaxed);
    /* as in hdl_query: an unchanged generation means they belong to s */
    atomic_thread_fence(memory_order_acquire);
    if (hdl_w_gen(atomic_load_explicit(&slot->word, memory_order_relaxed)) != gen)
        return WSAENOTSOCK;
    *port = p;
    *key = k;
    return 0;
}

/* CAS the state of s from one of the `from` states (bit mask) to `to`,
 * keeping the pins; new_gen is the generation to store. */
static int hdl_transition(struct hdl_slot *slot, uint32_t gen, unsigned from_mask, unsigned to,
                          uint32_t new_gen)
{
    uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);
    for (;;) {
        if (hdl_w_gen(w) != gen || !(from_mask & (1u << hdl_w_state(w))))
            return WSAENOTSOCK;
        uint64_t nw = hdl_w_make(new_gen, to, hdl_w_pins(w));
        if (atomic_compare_exchange_weak_explicit(&slot->word, &w, nw, memory_order_acq_rel,
                                                  memory_order_acquire))
            return 0;
    }
}

int hdl_close_begin(SOCKET s, void **owner)
{
    uint32_t gen;
    struct hdl_slot *slot = hdl_decode(s, &gen);
    if (slot == NULL)
        return WSAENOTSOCK;
    if (hdl_transition(slot, gen, 1u << HDL_LIVE, HDL_CLOSING, gen) != 0)
        return WSAENOTSOCK;
    *owner = atomic_load_explicit(&slot->owner, memory_order_relaxed);
    return 0;
}

void hdl_close_abort(SOCKET s)
{
    uint32_t gen;
    struct hdl_slot *slot = hdl_decode(s, &gen);
    if (slot != NULL)
        (void)hdl_transition(slot, gen, 1u << HDL_CLOSING, HDL_LIVE, gen);
}

int hdl_close(SOCKET s)
{
    uint32_t gen;
    struct hdl_slot *slot = hdl_decode(s, &gen);
    if (slot == NULL)
        return WSAENOTSOCK;
    uint32_t new_gen = hdl_next_gen(gen);
    if (hdl_transition(slot, gen, (1u << HDL_LIVE) | (1u << HDL_CLOSING), HDL_DEAD, new_gen) != 0)
        return WSAENOTSOCK;
    /* Always through the mutex, even with no pins left: an unpinner may still
     * be inside its critical section (see hdl_unpin) and must leave it before
     * the slot can be reused or freed. */
    pthread_mutex_lock(&slot->mu);
    while (hdl_w_pins(atomic_load_explicit(&slot->word, memory_order_acquire)) > 0)
        pthread_cond_wait(&slot->drained, &slot->mu);
    pthread_mutex_unlock(&slot->mu);
    uint32_t index = (uint32_t)((s >> 2) & (HDL_MAX_SLOTS - 1));
    pthread_mutex_lock(&hdl_mu);
    atomic_store_explicit(&slot->owner, NULL, memory_order_relaxed);
    atomic_store_explicit(&slot->ctx, 0, memory_order_relaxed);
    atomic_store_explicit(&slot->word, hdl_w_make(new_gen, HDL_FREE, 0), memory_order_release);
    /* LIFO on purpose: a just-closed slot is the next one reused, which keeps
     * the table small (and is what the stale-handle tests exercise) */
    atomic_store_explicit(&slot->port_key, hdl_free_head, memory_order_relaxed);
    hdl_free_head = index + 1;
    pthread_mutex_unlock(&hdl_mu);
    return 0;
}

void hdl_for_each_live(void (*fn)(SOCKET s, void *owner, void *arg), void *arg)
{
    uint32_t n = atomic_load_explicit(&hdl_nslots, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        struct hdl_slot *slot = hdl_slot_at(i);
        uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);
        if (hdl_w_state(w) != HDL_LIVE)
            continue;
        fn(hdl_encode(i, hdl_w_gen(w)), atomic_load_explicit(&slot->owner, memory_order_relaxed),
           arg);
    }
}

unsigned hdl_count_open(void)
{
    unsigned count = 0;
    uint32_t n = atomic_load_explicit(&hdl_nslots, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        unsigned st =
            hdl_w_state(atomic_load_explicit(&hdl_slot_at(i)->word, memory_order_acquire));
        count += st == HDL_LIVE || st == HDL_CLOSING;
    }
    return count;
}

void hdl_reset(void)
{
    pthread_mutex_lock(&hdl_mu);
    uint32_t n = atomic_load_explicit(&hdl_nslots, memory_order_relaxed);
    atomic_store_explicit(&hdl_nslots, 0, memory_order_release);
    for (uint32_t c = 0; c < n / HDL_CHUNK_SLOTS; c++) {
        struct hdl_slot *chunk = atomic_exchange(&hdl_chunks[c], NULL);
        for (uint32_t i = 0; i < HDL_CHUNK_SLOTS; i++) {
            uint32_t g = hdl_w_gen(atomic_load_explicit(&chunk[i].word, memory_order_relaxed));
            if (g >= hdl_base_gen)
                hdl_base_gen = hdl_next_gen(g);
            pthread_mutex_destroy(&chunk[i].mu);
            pthread_cond_destroy(&chunk[i].drained);
        }
        free(chunk);
    }
    hdl_used = 0;
    hdl_free_head = 0;
    pthread_mutex_unlock(&hdl_mu);
}
