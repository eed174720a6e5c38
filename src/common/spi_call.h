/* SPDX-License-Identifier: MIT */
/* spi_call — the first and the last lines of every SPI entry point of a
 * provider module (part of the provider kit: docs/writing-a-provider.md).
 *
 * The rule it enforces: an entry point starts with the module's guard and,
 * when it takes a socket, the handle lookup — through prefix_enter(), never
 * written out by hand — and every failure leaves through spi_fail*():
 *   - C9: after the module's last WSPCleanup every entry answers WSAENETDOWN;
 *   - C8: a call made from inside one of the module's own callbacks (a
 *     condition function) answers WSAEINPROGRESS;
 *   - D11/D4: the code goes out through lpErrno, which is written only when
 *     it is not NULL (D4: a NULL lpErrno fails the call and writes nothing),
 *     and the return value is the failure value of the entry's type.
 * lpErrno is the one caller pointer written directly, not through umem: it
 * is the caller's (ws2's or a layer's) own variable, never the
 * application's memory.
 *
 * Hot path: WSPSend and WSPRecv run these on every call, so everything here
 * is static inline, takes no lock and allocates nothing.
 *
 * A module declares, in its internal header, its live flag, its callback
 * flag and its lookup, then lets the kit write the two helpers:
 *
 *     extern atomic_bool foo_live;               // spi_start clears it (C9)
 *     extern _Thread_local int foo_in_callback;  // >0 inside our callbacks (C8)
 *     struct foo_sock *foo_lookup(SOCKET s, int *err);  // WSAENOTSOCK
 *     SPI_CALL_DECLARE(foo, struct foo_sock)
 *
 * which defines foo_guard(void) and foo_enter(SOCKET, int *err)
 * (SPI_CALL_DECLARE_OURS adds foo_enter_ours for extension functions).  An
 * entry:
 *
 *     int err;
 *     struct foo_sock *fs = foo_enter(s, &err);
 *     if (fs == NULL)
 *         return spi_fail(lpErrno, err);
 */
#ifndef WSP_COMMON_SPI_CALL_H
#define WSP_COMMON_SPI_CALL_H

#include <stdatomic.h>

#include <wsp/ws2spi.h>

/* C9 then C8: 0, WSAENETDOWN or WSAEINPROGRESS. */
static inline int spi_guard(const atomic_bool *live, int in_callback)
{
    if (!atomic_load_explicit(live, memory_order_acquire))
        return WSAENETDOWN;
    if (in_callback)
        return WSAEINPROGRESS;
    return 0;
}

/* Report code through lpErrno (D11; a NULL lpErrno is never written, D4). */
static inline int spi_fail(LPINT lpErrno, int code)
{
    if (lpErrno != NULL)
        *lpErrno = code;
    return SOCKET_ERROR;
}

/* The same for the entries that return a SOCKET (WSPSocket, WSPAccept, ...). */
static inline SOCKET spi_fail_socket(LPINT lpErrno, int code)
{
    (void)spi_fail(lpErrno, code);
    return INVALID_SOCKET;
}

/* The same for the entries that return a BOOL (WSPGetOverlappedResult, ...). */
static inline BOOL spi_fail_bool(LPINT lpErrno, int code)
{
    (void)spi_fail(lpErrno, code);
    return FALSE;
}

/* prefix_guard(): the guard with the module's flags; prefix_enter(h, &err):
 * the guard, then the context of handle h, or NULL with err set (*err is 0
 * when a context is returned). */
#define SPI_CALL_DECLARE(prefix, ctx_type)                                                         \
    static inline int prefix##_in_cb(void)                                                         \
    {                                                                                              \
        return prefix##_in_callback;                                                               \
    }                                                                                              \
    SPI_CALL_DECLARE_ENTER(prefix, ctx_type)

/* The same with C8's thread-local flag read only while some thread is inside
 * one of the module's callbacks.  A module's flag lives in a dlopen'ed
 * module, where every read is a __tls_get_addr call (a tenth of what tcp
 * added to a send: callgrind, docs/performance.md); the module-wide count
 * prefix_callbacks (SPI_START_DEFINE) is a plain load.  A module that
 * declares its guard this way brackets each callback with
 * SPI_CALLBACK_ENTER/LEAVE, which keep both; the thread inside the callback
 * always sees its own increment, every other thread reads its own flag,
 * which is 0, whenever it sees the count above 0. */
#define SPI_CALL_DECLARE_COUNTED(prefix, ctx_type)                                                 \
    extern atomic_int prefix##_callbacks;                                                          \
    static inline int prefix##_in_cb(void)                                                         \
    {                                                                                              \
        return __builtin_expect(                                                                   \
                   atomic_load_explicit(&prefix##_callbacks, memory_order_relaxed) != 0, 0) &&     \
               prefix##_in_callback;                                                               \
    }                                                                                              \
    SPI_CALL_DECLARE_ENTER(prefix, ctx_type)

#define SPI_CALLBACK_ENTER(prefix)                                                                 \
    do {                                                                                           \
        prefix##_in_callback++;                                                                    \
        atomic_fetch_add_explicit(&prefix##_callbacks, 1, memory_order_relaxed);                   \
    } while (0)
#define SPI_CALLBACK_LEAVE(prefix)                                                                 \
    do {                                                                                           \
        atomic_fetch_sub_explicit(&prefix##_callbacks, 1, memory_order_relaxed);                   \
        prefix##_in_callback--;                                                                    \
    } while (0)

/* The rest of both.  prefix_in_cb() is C8's test, for the guard and for
 * WSPCleanup (SPI_START_DEFINE), so that a counted module reads its
 * thread-local flag nowhere but inside a callback. */
#define SPI_CALL_DECLARE_ENTER(prefix, ctx_type)                                                   \
    static inline int prefix##_guard(void)                                                         \
    {                                                                                              \
        return spi_guard(&prefix##_live, prefix##_in_cb());                                        \
    }                                                                                              \
    static inline ctx_type *prefix##_enter(SOCKET h, int *err)                                     \
    {                                                                                              \
        *err = prefix##_guard();                                                                   \
        return *err != 0 ? NULL : prefix##_lookup(h, err);                                         \
    }

/* For the extension functions (AcceptEx, ConnectEx, ...), which the
 * application calls directly, perhaps with another provider's handle:
 * prefix_enter_ours(h, &err) is prefix_enter through prefix_lookup_ours, a
 * lookup that reads the context through umem and checks the module's magic
 * word (WSAENOTSOCK otherwise). */
#define SPI_CALL_DECLARE_OURS(prefix, ctx_type)                                                    \
    static inline ctx_type *prefix##_enter_ours(SOCKET h, int *err)                                \
    {                                                                                              \
        *err = prefix##_guard();                                                                   \
        return *err != 0 ? NULL : prefix##_lookup_ours(h, err);                                    \
    }

#endif
