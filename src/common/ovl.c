/* SPDX-License-Identifier: MIT */
/* ovl — the provider kit's overlapped operations (see ovl.h and ws2spi.h,
 * "Overlapped operations"). */
#include "common/ovl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/ovl_pool.h"
#include "common/umem.h"

/* ---- the upcalls ---------------------------------------------------------- */

static _Atomic(LPWPUCOMPLETEOVERLAPPEDREQUEST) ovl_complete_fn;
static _Atomic(LPWPUQUEUEAPC) ovl_queue_apc_fn;
static _Atomic(LPWPUSETEVENT) ovl_set_event_fn;
/* libwsp's, to have this thread's operations cancelled when it exits */
static _Atomic(LPWPUNOTEISSUINGTHREAD) ovl_note_thread_fn;
/* libwsp's port polling (ws2spi.h, WPURegisterPortPoller), NULL without */
static _Atomic(LPWPUREGISTERPORTPOLLER) ovl_pp_register_fn;
static _Atomic(LPWPUDEREGISTERPORTPOLLER) ovl_pp_deregister_fn;
static _Atomic(LPWPUGETPORTPOLLSET) ovl_pp_set_fn;
static _Atomic(LPWPUGETPROCESSPOLLSET) ovl_pp_process_fn;

/* WPUCompleteOverlappedRequest is exported by libwsp (not in the upcall
 * table, as with ws2_32). RTLD_DEFAULT finds it when libwsp is in the global
 * scope; when an application loaded libwsp with RTLD_LOCAL, libwsp is still
 * the object that holds the upcalls, so ask it directly. */
static void *ovl_find_export(const WSPUPCALLTABLE *upcalls, const char *name)
{
    void *sym = dlsym(RTLD_DEFAULT, name);
    Dl_info info;
    if (sym == NULL && upcalls->lpWPUCloseSocketHandle != NULL &&
        dladdr((void *)upcalls->lpWPUCloseSocketHandle, &info) != 0 && info.dli_fname != NULL) {
        void *h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
        if (h != NULL) {
            sym = dlsym(h, name);
            dlclose(h); /* NOLOAD took a reference; libwsp stays loaded: it called us */
        }
    }
    return sym;
}

bool ovl_startup(const WSPUPCALLTABLE *upcalls)
{
    atomic_store_explicit(&ovl_queue_apc_fn, upcalls->lpWPUQueueApc, memory_order_release);
    atomic_store_explicit(&ovl_set_event_fn, upcalls->lpWPUSetEvent, memory_order_release);
    LPWPUCOMPLETEOVERLAPPEDREQUEST fn;
    LPWPUNOTEISSUINGTHREAD note;
    /* POSIX: object to function pointer through dlsym */
    *(void **)&fn = ovl_find_export(upcalls, "WPUCompleteOverlappedRequest");
    *(void **)&note = ovl_find_export(upcalls, "WPUNoteIssuingThread");
    atomic_store_explicit(&ovl_note_thread_fn, note, memory_order_release);
    LPWPUREGISTERPORTPOLLER reg;
    LPWPUDEREGISTERPORTPOLLER dereg;
    LPWPUGETPORTPOLLSET set;
    *(void **)&reg = ovl_find_export(upcalls, "WPURegisterPortPoller");
    *(void **)&dereg = ovl_find_export(upcalls, "WPUDeregisterPortPoller");
    *(void **)&set = ovl_find_export(upcalls, "WPUGetPortPollSet");
    LPWPUGETPROCESSPOLLSET process;
    *(void **)&process = ovl_find_export(upcalls, "WPUGetProcessPollSet");
    /* the four, or none */
    bool all = reg != NULL && dereg != NULL && set != NULL && process != NULL;
    atomic_store_explicit(&ovl_pp_register_fn, all ? reg : NULL, memory_order_release);
    atomic_store_explicit(&ovl_pp_deregister_fn, all ? dereg : NULL, memory_order_release);
    atomic_store_explicit(&ovl_pp_set_fn, all ? set : NULL, memory_order_release);
    atomic_store_explicit(&ovl_pp_process_fn, all ? process : NULL, memory_order_release);
    atomic_store_explicit(&ovl_complete_fn, fn, memory_order_release);
    return fn != NULL;
}

bool ovl_available(void)
{
    return atomic_load_explicit(&ovl_complete_fn, memory_order_acquire) != NULL;
}

int ovl_port_poll_register(LPWPUPORTPOLLPROC proc, DWORD *id)
{
    LPWPUREGISTERPORTPOLLER fn = atomic_load_explicit(&ovl_pp_register_fn, memory_order_acquire);
    return fn != NULL ? fn(proc, id) : WSAEOPNOTSUPP;
}

void ovl_port_poll_deregister(DWORD id)
{
    LPWPUDEREGISTERPORTPOLLER fn =
        atomic_load_explicit(&ovl_pp_deregister_fn, memory_order_acquire);
    if (fn != NULL)
        fn(id);
}

int ovl_port_poll_set(SOCKET s, DWORD id, int *fd, uint64_t *tag)
{
    LPWPUGETPORTPOLLSET fn = atomic_load_explicit(&ovl_pp_set_fn, memory_order_acquire);
    unsigned long long t = 0;
    int err = fn != NULL ? fn(s, id, fd, &t) : WSAEOPNOTSUPP;
    *tag = t;
    return err;
}

int ovl_process_poll_set(DWORD id, int *fd, uint64_t *tag)
{
    LPWPUGETPROCESSPOLLSET fn = atomic_load_explicit(&ovl_pp_process_fn, memory_order_acquire);
    unsigned long long t = 0;
    int err = fn != NULL ? fn(id, fd, &t) : WSAEOPNOTSUPP;
    *tag = t;
    return err;
}

/* ---- the caller's WSAOVERLAPPED ----------------------------------------------
 * Internal is the completion flag that other threads poll: it is stored last,
 * with release ordering, and read with acquire. */

static ULONG_PTR ovl_internal(LPWSAOVERLAPPED ov)
{
    return __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE);
}

static void ovl_set_internal(LPWSAOVERLAPPED ov, ULONG_PTR v)
{
    __atomic_store_n(&ov->Internal, v, __ATOMIC_RELEASE);
}

/* ---- waiters of WSPGetOverlappedResult ---------------------------------------
 * Waiters sleep on a bucket chosen by the WSAOVERLAPPED's address. A
 * completer only looks at the bucket's waiter count: no lock and no syscall
 * when nobody waits. The count and Internal form a Dekker pair (waiter: count
 * up, then read Internal; completer: write Internal, then read the count),
 * hence the seq_cst fences on both sides. */

#define OVL_BUCKETS 64u

struct ovl_bucket {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_uint waiters;
};

/* Initialised statically: a completer may look at any bucket at any time. */
#define OVL_B1                                                                                     \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0                                     \
    }
#define OVL_B4 OVL_B1, OVL_B1, OVL_B1, OVL_B1
#define OVL_B16 OVL_B4, OVL_B4, OVL_B4, OVL_B4
static struct ovl_bucket ovl_buckets[OVL_BUCKETS] = /* 64 */ {OVL_B16, OVL_B16, OVL_B16, OVL_B16};

static struct ovl_bucket *ovl_bucket_of(const void *ov)
{
    uintptr_t a = (uintptr_t)ov;
    return &ovl_buckets[((a >> 4) ^ (a >> 12)) % OVL_BUCKETS];
}

/* Only the address of ov is used: the caller may already have reused it. */
static void ovl_wake(const void *ov)
{
    struct ovl_bucket *b = ovl_bucket_of(ov);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&b->waiters, memory_order_relaxed) == 0)
        return; /* a waiter counts itself before it reads Internal: it sees the store */
    pthread_mutex_lock(&b->lock);
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
}

static void ovl_wait(LPWSAOVERLAPPED ov)
{
    struct ovl_bucket *b = ovl_bucket_of(ov);
    pthread_mutex_lock(&b->lock);
    atomic_fetch_add_explicit(&b->waiters, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    while (ovl_internal(ov) == WSS_OPERATION_IN_PROGRESS)
        pthread_cond_wait(&b->cond, &b->lock);
    atomic_fetch_sub_explicit(&b->waiters, 1, memory_order_relaxed);
    pthread_mutex_unlock(&b->lock);
}

/* ---- the list -------------------------------------------------------------- */

void ovl_list_init(struct ovl_list *l)
{
    l->head = NULL;
    l->tail = &l->head;
}

bool ovl_list_empty(const struct ovl_list *l)
{
    return l->head == NULL;
}

void ovl_list_push(struct ovl_list *l, struct ovl_op *op)
{
    op->next = NULL;
    *l->tail = op;
    l->tail = &op->next;
}

struct ovl_op *ovl_list_first(const struct ovl_list *l)
{
    return l->head;
}

struct ovl_op *ovl_list_pop(struct ovl_list *l)
{
    return ovl_list_take(l, NULL);
}

/* Unlink the operation *pp points to (NULL: none). */
static struct ovl_op *ovl_list_unlink(struct ovl_list *l, struct ovl_op **pp)
{
    struct ovl_op *op = *pp;
    if (op == NULL)
        return NULL;
    *pp = op->next;
    if (l->tail == &op->next)
        l->tail = pp;
    op->next = NULL;
    return op;
}

struct ovl_op *ovl_list_take(struct ovl_list *l, LPWSAOVERLAPPED ov)
{
    struct ovl_op **pp = &l->head;
    while (*pp != NULL && ov != NULL && (*pp)->ov != ov)
        pp = &(*pp)->next;
    return ovl_list_unlink(l, pp);
}

struct ovl_op *ovl_list_take_mine(struct ovl_list *l)
{
    uint64_t me = ovl_self();
    struct ovl_op **pp = &l->head;
    while (*pp != NULL && (*pp)->issuer != me)
        pp = &(*pp)->next;
    return ovl_list_unlink(l, pp);
}

/* ---- the issuing thread ---------------------------------------------------- */

static _Atomic uint64_t ovl_thread_next;
static _Thread_local uint64_t ovl_thread_me;

uint64_t ovl_self(void)
{
    if (ovl_thread_me == 0) {
        ovl_thread_me = atomic_fetch_add_explicit(&ovl_thread_next, 1, memory_order_relaxed) + 1;
        /* the thread's first operation here: libwsp cancels its operations
         * when it exits (ws2spi.h, WPUNoteIssuingThread) */
        LPWPUNOTEISSUINGTHREAD note =
            atomic_load_explicit(&ovl_note_thread_fn, memory_order_acquire);
        if (note != NULL)
            note();
    }
    return ovl_thread_me;
}

/* ---- records --------------------------------------------------------------- */

static struct ovl_rec *ovl_rec_of(struct ovl_op *op)
{
    return (struct ovl_rec *)((char *)op - offsetof(struct ovl_rec, op));
}

static void ovl_rec_release(struct ovl_rec *r)
{
    if (r->op.bufs != r->op.inline_bufs)
        free(r->op.bufs);
    ovl_pool_put(r);
}

int ovl_op_new(SOCKET s, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
               LPWSATHREADID thread, const WSABUF *bufs, DWORD nbufs, int kind, void *arg,
               struct ovl_op **out)
{
    if (umem_check_write(ov, sizeof *ov) != 0)
        return WSAEFAULT;
    struct ovl_rec *r = ovl_pool_get();
    if (r == NULL)
        return WSAENOBUFS;
    struct ovl_op *op = &r->op;
    op->bufs = op->inline_bufs;
    if (nbufs > OVL_INLINE_BUFS) {
        op->bufs = malloc((size_t)nbufs * sizeof *bufs);
        if (op->bufs == NULL) {
            op->bufs = op->inline_bufs;
            ovl_rec_release(r);
            return WSAENOBUFS;
        }
    }
    int err = umem_read(op->bufs, bufs, (size_t)nbufs * sizeof *bufs);
    if (err == 0 && routine != NULL)
        err = umem_read(&op->thread, thread, sizeof op->thread);
    if (err != 0) {
        ovl_rec_release(r);
        return err;
    }
    op->next = NULL;
    op->s = s;
    op->ov = ov;
    op->routine = routine;
    op->nbufs = nbufs;
    op->done = 0;
    op->flags = 0;
    op->kind = kind;
    op->arg = arg;
    op->issuer = ovl_self();
    r->err = 0;
    r->saved_internal = ovl_internal(ov);
    ovl_set_internal(ov, WSS_OPERATION_IN_PROGRESS);
    *out = op;
    return 0;
}

void ovl_op_drop(struct ovl_op *op)
{
    struct ovl_rec *r = ovl_rec_of(op);
    ovl_set_internal(op->ov, r->saved_internal);
    ovl_rec_release(r);
}

/* ---- completion ------------------------------------------------------------ */

/* The APC is queued before the completer stores Internal (so that a thread
 * that sees the operation complete also finds its routine queued, as on
 * Windows, where the issuing thread's own kernel APC does both): the routine
 * must not run, nor the record go, before that store is done. The window is
 * a few instructions of the completer. */
static void ovl_wait_stored(struct ovl_rec *r)
{
    while (!atomic_load_explicit(&r->stored, memory_order_acquire))
        sched_yield();
}

/* Runs in the issuing thread, in one of its alertable waits. */
static void CALLBACK ovl_apc(DWORD_PTR ctx)
{
    struct ovl_rec *r = (struct ovl_rec *)ctx;
    ovl_wait_stored(r);
    r->op.routine(r->err, r->op.done, r->op.ov, r->op.flags);
    ovl_rec_release(r);
}

/* ws2 drops the APC unrun when the issuing thread has exited first: the
 * routine can run nowhere, so only the record is released (ws2spi.h,
 * WSATHREADID.Reserved). */
static void CALLBACK ovl_apc_discard(DWORD_PTR ctx)
{
    struct ovl_rec *r = (struct ovl_rec *)ctx;
    ovl_wait_stored(r);
    ovl_rec_release(r);
}

/* The fields as WPUCompleteOverlappedRequest stores them: Internal last. */
static void ovl_store(LPWSAOVERLAPPED ov, DWORD err, DWORD bytes)
{
    ov->InternalHigh = bytes;
    ovl_set_internal(ov, err);
}

void ovl_complete(struct ovl_op *op, DWORD err, DWORD bytes, DWORD flags)
{
    struct ovl_rec *r = ovl_rec_of(op);
    LPWSAOVERLAPPED ov = op->ov;
    ov->Offset = flags;
    if (op->routine == NULL) {
        SOCKET s = op->s;
        WSAEVENT ev = ov->hEvent;
        ovl_rec_release(r); /* nothing of it is needed any more */
        LPWPUCOMPLETEOVERLAPPEDREQUEST fn =
            atomic_load_explicit(&ovl_complete_fn, memory_order_acquire);
        int e = 0;
        if (fn == NULL || fn(s, ov, err, bytes, &e) != 0) {
            /* No libwsp to report it (or it refused the handle, already
             * released): still complete the fields and the event so that no
             * waiter hangs. */
            LPWPUSETEVENT set = atomic_load_explicit(&ovl_set_event_fn, memory_order_acquire);
            ovl_store(ov, err, bytes);
            /* the low bit of hEvent only means "not to the port" */
            WSAEVENT h =
                (WSAEVENT)((uintptr_t)ev & ~(uintptr_t)1); // NOLINT(performance-no-int-to-ptr)
            if (h != NULL && set != NULL)
                set(h, &e);
        }
        ovl_wake(ov);
        return;
    }
    r->err = err;
    op->done = bytes;
    op->flags = flags;
    atomic_store_explicit(&r->stored, 0, memory_order_relaxed);
    LPWPUQUEUEAPC queue = atomic_load_explicit(&ovl_queue_apc_fn, memory_order_acquire);
    int e = 0;
    op->thread.Reserved = (DWORD_PTR)ovl_apc_discard;
    if (queue == NULL || queue(&op->thread, ovl_apc, (DWORD_PTR)r, &e) != 0) {
        /* The thread has exited: the routine can run nowhere. */
        ovl_store(ov, err, bytes);
        ovl_wake(ov);
        ovl_rec_release(r);
        return;
    }
    /* Queued: the record belongs to ovl_apc (or ovl_apc_discard), which
     * waits for this store before it runs the routine and lets the record
     * go; after the flag neither r nor ov may be touched here. */
    ovl_store(ov, err, bytes);
    ovl_wake(ov);
    atomic_store_explicit(&r->stored, 1, memory_order_release);
}

void ovl_settle(struct ovl_op *op, int err, DWORD bytes)
{
    if (op == NULL)
        return;
    if (err != 0)
        ovl_op_drop(op);
    else
        ovl_complete(op, 0, bytes, 0);
}

void ovl_list_abort(struct ovl_list *l, DWORD err)
{
    struct ovl_op *op;
    while ((op = ovl_list_pop(l)) != NULL)
        ovl_complete(op, err, op->done, 0);
}

/* ---- WSPGetOverlappedResult ------------------------------------------------ */

static BOOL ovl_fail(LPINT lpErrno, int code)
{
    if (lpErrno != NULL)
        *lpErrno = code;
    return FALSE;
}

BOOL ovl_get_result(LPWSAOVERLAPPED ov, LPDWORD lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags,
                    LPINT lpErrno)
{
    if (umem_check_read(ov, sizeof *ov) != 0)
        return ovl_fail(lpErrno, WSAEFAULT);
    if (ovl_internal(ov) == WSS_OPERATION_IN_PROGRESS) {
        if (!fWait)
            return ovl_fail(lpErrno, WSA_IO_INCOMPLETE);
        ovl_wait(ov);
    }
    ULONG_PTR status = ovl_internal(ov); /* acquire: InternalHigh and Offset are final */
    DWORD bytes = (DWORD)ov->InternalHigh;
    DWORD flags = ov->Offset;
    if (umem_write(lpcbTransfer, &bytes, sizeof bytes) != 0 ||
        umem_write(lpdwFlags, &flags, sizeof flags) != 0)
        return ovl_fail(lpErrno, WSAEFAULT);
    if (status != 0)
        return ovl_fail(lpErrno, (int)status);
    return TRUE;
}

int ovl_cancel_arg(const void *in, DWORD cb_in, LPWSAOVERLAPPED *ov)
{
    /* WSAIoctl: an input buffer too small or not readable is WSAEFAULT. */
    if (in == NULL || cb_in < sizeof(LPWSAOVERLAPPED))
        return WSAEFAULT;
    if (umem_read(ov, in, sizeof(LPWSAOVERLAPPED)) != 0)
        return WSAEFAULT;
    return 0;
}
