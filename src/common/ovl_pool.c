/* SPDX-License-Identifier: MIT */
/* ovl_pool — a lock-free stack of records (see ovl_pool.h).
 *
 * Records live in chunks that are never returned to malloc while the module
 * is loaded, so a thread that read a stale top may still read its link
 * safely. The ABA problem of a pointer stack is avoided by naming records by
 * slot number and putting a generation count next to the top slot in one
 * 64-bit word: every push and pop bumps it, so a CAS that raced anything
 * fails. Growing takes a mutex, which only happens until the pool has as many
 * records as the most operations that were ever pending at once. */
#include "common/ovl_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define OVL_CHUNK 64u       /* records per chunk */
#define OVL_MAX_CHUNKS 256u /* beyond 16384 pending operations: plain malloc/free */

static struct ovl_rec *_Atomic ovl_chunks[OVL_MAX_CHUNKS];
static unsigned ovl_nchunks; /* guarded by ovl_grow_lock */
static pthread_mutex_t ovl_grow_lock = PTHREAD_MUTEX_INITIALIZER;
/* low 32 bits: top slot (0 = empty); high 32 bits: generation */
static _Atomic uint64_t ovl_top;

static struct ovl_rec *ovl_slot(uint32_t slot)
{
    struct ovl_rec *c =
        atomic_load_explicit(&ovl_chunks[(slot - 1) / OVL_CHUNK], memory_order_acquire);
    return &c[(slot - 1) % OVL_CHUNK];
}

static void ovl_push(struct ovl_rec *r)
{
    uint64_t top = atomic_load_explicit(&ovl_top, memory_order_relaxed);
    uint64_t next;
    do {
        atomic_store_explicit(&r->next, (uint32_t)top, memory_order_relaxed);
        next = ((top >> 32) + 1) << 32 | r->slot;
    } while (!atomic_compare_exchange_weak_explicit(&ovl_top, &top, next, memory_order_release,
                                                    memory_order_relaxed));
}

static struct ovl_rec *ovl_pop(void)
{
    uint64_t top = atomic_load_explicit(&ovl_top, memory_order_acquire);
    for (;;) {
        uint32_t slot = (uint32_t)top;
        if (slot == 0)
            return NULL;
        struct ovl_rec *r = ovl_slot(slot);
        /* r may be taken and changed by another thread meanwhile: then the
         * generation moved and the CAS fails. */
        uint32_t link = atomic_load_explicit(&r->next, memory_order_relaxed);
        uint64_t next = ((top >> 32) + 1) << 32 | link;
        if (atomic_compare_exchange_weak_explicit(&ovl_top, &top, next, memory_order_acquire,
                                                  memory_order_acquire))
            return r;
    }
}

/* A new chunk: one record for the caller, the rest onto the stack. NULL when
 * the pool is full or memory is short (the caller falls back to malloc). */
static struct ovl_rec *ovl_grow(void)
{
    struct ovl_rec *r = NULL;
    pthread_mutex_lock(&ovl_grow_lock);
    r = ovl_pop(); /* another thread may have grown it meanwhile */
    if (r == NULL && ovl_nchunks < OVL_MAX_CHUNKS) {
        struct ovl_rec *c = calloc(OVL_CHUNK, sizeof *c);
        if (c != NULL) {
            unsigned base = ovl_nchunks * OVL_CHUNK;
            for (unsigned i = 0; i < OVL_CHUNK; i++)
                c[i].slot = base + i + 1;
            atomic_store_explicit(&ovl_chunks[ovl_nchunks], c, memory_order_release);
            ovl_nchunks++;
            for (unsigned i = 1; i < OVL_CHUNK; i++)
                ovl_push(&c[i]);
            r = &c[0];
        }
    }
    pthread_mutex_unlock(&ovl_grow_lock);
    return r;
}

struct ovl_rec *ovl_pool_get(void)
{
    struct ovl_rec *r = ovl_pop();
    if (r == NULL)
        r = ovl_grow();
    if (r == NULL) {
        r = malloc(sizeof *r);
        if (r != NULL)
            r->slot = 0;
    }
    return r;
}

void ovl_pool_put(struct ovl_rec *r)
{
    if (r->slot == 0)
        free(r);
    else
        ovl_push(r);
}

/* Module unload (a provider is unloaded at the last WSACleanup) or exit: the
 * chunks go back to malloc when every record is home, i.e. nothing can still
 * use them; otherwise they are left alone. */
__attribute__((destructor)) static void ovl_pool_fini(void)
{
    pthread_mutex_lock(&ovl_grow_lock);
    unsigned n = 0;
    for (uint32_t s = (uint32_t)atomic_load(&ovl_top); s != 0;
         s = atomic_load_explicit(&ovl_slot(s)->next, memory_order_relaxed))
        n++;
    if (n == ovl_nchunks * OVL_CHUNK) {
        atomic_store(&ovl_top, 0);
        for (unsigned i = 0; i < ovl_nchunks; i++) {
            free(atomic_load(&ovl_chunks[i]));
            atomic_store(&ovl_chunks[i], NULL);
        }
        ovl_nchunks = 0;
    }
    pthread_mutex_unlock(&ovl_grow_lock);
}
