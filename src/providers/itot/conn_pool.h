/* SPDX-License-Identifier: MIT */
/* conn_pool — the provider's buffers: output queues, receive stores and the
 * glue's input buffers are taken when a connection has bytes to hold and
 * given back when it holds none, so an idle connection holds no buffer.
 *
 * Given-back buffers of the common sizes stay in a bounded cache (a few
 * slots per size class, a byte budget for all of them), so the steady state
 * of a busy connection allocates nothing: a take or a give is one atomic
 * exchange on a slot, no lock.  A miss goes to the allocator the glue set
 * (the platform table's malloc, so fault tests can refuse it).
 *
 * The counts are for the provider's own accounting (WSP_ITOT_MEMORY):
 * bytes of buffers allocated and not freed, and how many of them sit in the
 * cache; relaxed atomics, touched only on a miss and a free. */
#ifndef WSP_ITOT_CONN_POOL_H
#define WSP_ITOT_CONN_POOL_H

#include <stddef.h>

/* A buffer of at least size octets, or NULL when memory is short. */
void *conn_pool_take(size_t size);
/* Give p back (NULL: nothing); size as it was taken. */
void conn_pool_give(void *p, size_t size);

/* The allocator behind a miss (NULL: malloc) and the cache's byte budget
 * (0: no cache, every give frees).  Set once, before the first take. */
void conn_pool_setup(void *(*alloc)(size_t), size_t cache_bytes);
#define CONN_POOL_DEFAULT_CACHE ((size_t)8 << 20)

/* Bytes allocated for buffers and not freed; of them, the bytes in the cache. */
size_t conn_pool_bytes(void);
size_t conn_pool_cached_bytes(void);

/* Free every cached buffer. */
void conn_pool_trim(void);

#endif
