/* SPDX-License-Identifier: MIT */
/* A thread's overlapped operations end with it. Windows' WSASend and WSARecv
 * pages: "All I/O initiated by a given thread is canceled when that thread
 * exits"; since Windows Vista, I/O on a handle associated with a completion
 * port is not tied to its thread and goes on. So when a thread that issued
 * overlapped operations exits, each open socket not on a port gets CancelIo
 * from it (SIO_WSP_CANCEL_OVERLAPPED_THREAD: its provider cancels what that
 * thread issued, WSA_OPERATION_ABORTED); a completion routine of such an
 * operation never runs (its thread is gone; apc.c drops it).
 *
 * libwsp does not see every operation start (the extension functions go to
 * the provider directly), so the providers say when a thread issues its
 * first one: WPUNoteIssuingThread (ws2spi.h; wsp's provider kit calls it).
 * Only such threads pay at their exit; nobody pays on the I/O path. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <wsp/ws2spi.h>

#include "handle.h"

static pthread_once_t tio_once = PTHREAD_ONCE_INIT;
static pthread_key_t tio_key;
static bool tio_key_ok;
static _Thread_local bool tio_noted;

static void tio_cancel(SOCKET s, void *owner, void *arg)
{
    (void)owner;
    (void)arg;
    uintptr_t port = 0, key = 0;
    if (hdl_get_port(s, &port, &key) != 0 || port != 0)
        return; /* closed meanwhile, or on a port: not tied to this thread */
    CancelIo((HANDLE)(uintptr_t)s);
}

/* Key destructor: runs in the exiting thread, which CancelIo needs. */
static void tio_thread_exit(void *unused)
{
    (void)unused;
    /* tio_noted stays set: a module that sees this thread for the first
     * time during the cancels notes it again, which would set the key and
     * have this run once more (up to PTHREAD_DESTRUCTOR_ITERATIONS) */
    hdl_for_each_live(tio_cancel, NULL);
}

static void tio_init(void)
{
    tio_key_ok = pthread_key_create(&tio_key, tio_thread_exit) == 0;
}

WSP_EXPORT void WSPAPI WPUNoteIssuingThread(void)
{
    if (tio_noted)
        return;
    pthread_once(&tio_once, tio_init);
    /* any non-NULL value: the destructor runs only for threads that set one */
    if (tio_key_ok && pthread_setspecific(tio_key, &tio_key) == 0)
        tio_noted = true;
}
