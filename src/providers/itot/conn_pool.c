/* SPDX-License-Identifier: MIT */
/* conn_pool — see conn_pool.h.
 *
 * A class is a buffer size the provider uses all the time: the receive
 * store's sizes (16 KiB doubling), the input buffer (one TPKT and a read,
 * 128 KiB) and the regular output queue (256 KiB of data + the control
 * reserve).  A request takes the smallest class that holds it; a request
 * above the largest class is a plain malloc.  Each class keeps at most
 * POOL_SLOTS free buffers and at most a quarter of the budget in bytes.
 *
 * The slots hold a buffer or NULL; a take is an exchange with NULL, a give a
 * compare-exchange of NULL with the buffer, so a buffer is only ever owned by
 * one thread or one slot: there is no ABA to fear and no pointer is read
 * through before it is owned. */
#include "conn_pool.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "conn.h"

#define POOL_SLOTS 8

struct pool_class {
    size_t size;
    void *_Atomic slot[POOL_SLOTS];
} __attribute__((aligned(64)));

/* Ascending.  The output queue's regular size sits just above 256 KiB. */
static struct pool_class pool_classes[] = {
    {.size = (size_t)16 << 10},  {.size = (size_t)32 << 10},
    {.size = (size_t)64 << 10},  {.size = (size_t)128 << 10},
    {.size = (size_t)256 << 10}, {.size = (size_t)CONN_DEFAULT_OUTQ_CAP + CONN_OUTQ_CTRL_RESERVE},
    {.size = (size_t)512 << 10}, {.size = (size_t)1 << 20},
    {.size = (size_t)2 << 20},   {.size = (size_t)4 << 20},
};
#define POOL_NCLASSES (sizeof pool_classes / sizeof pool_classes[0])

static void *(*_Atomic pool_alloc)(size_t);
static _Atomic size_t pool_budget = CONN_POOL_DEFAULT_CACHE;
static _Atomic size_t pool_bytes;

void conn_pool_setup(void *(*alloc)(size_t), size_t cache_bytes)
{
    atomic_store_explicit(&pool_alloc, alloc, memory_order_relaxed);
    atomic_store_explicit(&pool_budget, cache_bytes, memory_order_relaxed);
}

static struct pool_class *pool_class_of(size_t size)
{
    for (size_t i = 0; i < POOL_NCLASSES; i++)
        if (size <= pool_classes[i].size)
            return &pool_classes[i];
    return NULL;
}

void *conn_pool_take(size_t size)
{
    struct pool_class *k = pool_class_of(size);
    if (k != NULL) {
        for (unsigned i = 0; i < POOL_SLOTS; i++) {
            /* A plain load first: an empty slot costs no write to a shared line. */
            if (atomic_load_explicit(&k->slot[i], memory_order_relaxed) == NULL)
                continue;
            void *p = atomic_exchange_explicit(&k->slot[i], NULL, memory_order_acquire);
            if (p != NULL)
                return p;
        }
        size = k->size;
    }
    void *(*alloc)(size_t) = atomic_load_explicit(&pool_alloc, memory_order_relaxed);
    void *p = alloc != NULL ? alloc(size) : malloc(size);
    if (p != NULL)
        atomic_fetch_add_explicit(&pool_bytes, size, memory_order_relaxed);
    /* A class grows by two on a miss: the engine and an API thread commonly
     * read (or fill) buffers of one class at the same moment, on two
     * connections, so a working set that has been used once by one thread
     * still needs a second buffer when the two first overlap, which may be
     * long after start. The spare goes to the cache (within its limits). */
    if (p != NULL && k != NULL) {
        void *spare = alloc != NULL ? alloc(size) : malloc(size);
        if (spare != NULL) {
            atomic_fetch_add_explicit(&pool_bytes, size, memory_order_relaxed);
            conn_pool_give(spare, size);
        }
    }
    return p;
}

void conn_pool_give(void *p, size_t size)
{
    if (p == NULL)
        return;
    struct pool_class *k = pool_class_of(size);
    if (k != NULL) {
        size = k->size;
        size_t budget = atomic_load_explicit(&pool_budget, memory_order_relaxed);
        size_t limit = budget / 4 / size;
        for (unsigned i = 0; i < POOL_SLOTS && i < limit; i++) {
            void *empty = NULL;
            if (atomic_load_explicit(&k->slot[i], memory_order_relaxed) == NULL &&
                atomic_compare_exchange_strong_explicit(&k->slot[i], &empty, p,
                                                        memory_order_release, memory_order_relaxed))
                return;
        }
    }
    atomic_fetch_sub_explicit(&pool_bytes, size, memory_order_relaxed);
    free(p);
}

size_t conn_pool_bytes(void)
{
    return atomic_load_explicit(&pool_bytes, memory_order_relaxed);
}

size_t conn_pool_cached_bytes(void)
{
    size_t n = 0;
    for (size_t c = 0; c < POOL_NCLASSES; c++)
        for (unsigned i = 0; i < POOL_SLOTS; i++)
            if (atomic_load_explicit(&pool_classes[c].slot[i], memory_order_relaxed) != NULL)
                n += pool_classes[c].size;
    return n;
}

void conn_pool_trim(void)
{
    for (size_t c = 0; c < POOL_NCLASSES; c++) {
        for (unsigned i = 0; i < POOL_SLOTS; i++) {
            void *p =
                atomic_exchange_explicit(&pool_classes[c].slot[i], NULL, memory_order_acquire);
            if (p != NULL) {
                atomic_fetch_sub_explicit(&pool_bytes, pool_classes[c].size, memory_order_relaxed);
                free(p);
            }
        }
    }
}

/* The module is unloaded (or the process ends): the cache goes with it. */
__attribute__((destructor)) static void conn_pool_fini(void)
{
    conn_pool_trim();
}
