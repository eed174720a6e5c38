/* SPDX-License-Identifier: MIT */
/* APC queues, one per thread that asked for one. Each queue is a FIFO of
 * heap nodes and an eventfd that is readable exactly while the FIFO is not
 * empty, so an alertable wait polls it beside its own descriptors.
 *
 * One mutex guards the table: queueing only serves completion routines, which
 * allocate a record per operation anyway, never the plain send/receive path.
 * The owning thread alone closes its eventfd (at its exit), so it may poll
 * the descriptor without the lock; other threads write it under the lock
 * after checking the generation. */
#include "apc.h"
#include "common/sys.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define APC_MAX 0xFFFFFu /* index + 1 fits in 20 bits */
#define APC_SHIFT 22

struct apc_node {
    struct apc_node *next;
    LPWSAUSERAPC fn;
    LPWSAUSERAPC discard; /* WSATHREADID.Reserved of the queueing call */
    DWORD_PTR ctx;
    void *module; /* a reference to fn's module, or NULL */
};

struct apc_queue {
    int fd;
    uint32_t gen; /* 0: free slot */
    struct apc_node *head, **tail;
};

static pthread_mutex_t apc_mu = PTHREAD_MUTEX_INITIALIZER;
static struct apc_queue *apc_tab;
static uint32_t apc_cap;
static uint32_t apc_gen_next = 1;

static pthread_once_t apc_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t apc_key;
static int apc_key_ok;

/* The calling thread's queue: index + 1 (0 = none), generation, descriptor. */
static _Thread_local uint32_t apc_my_index1;
static _Thread_local uint32_t apc_my_gen;
static _Thread_local int apc_my_fd = -1;

static HANDLE apc_encode(uint32_t index, uint32_t gen)
{
    /* an encoded number, never dereferenced: see apc.h */
    return (HANDLE)(((uintptr_t)gen << APC_SHIFT) | // NOLINT(performance-no-int-to-ptr)
                    ((uintptr_t)(index + 1) << 2));
}

static int apc_decode(HANDLE h, uint32_t *index, uint32_t *gen)
{
    uintptr_t v = (uintptr_t)h;
    uint32_t index1 = (uint32_t)((v >> 2) & APC_MAX);
    *gen = (uint32_t)(v >> APC_SHIFT);
    if (index1 == 0 || *gen == 0 || apc_encode(index1 - 1, *gen) != h)
        return -1;
    *index = index1 - 1;
    return 0;
}

/* Under apc_mu: the live queue behind tid, or NULL. */
static struct apc_queue *apc_lookup_locked(const WSATHREADID *tid)
{
    uint32_t index, gen;
    if (apc_decode(tid->ThreadHandle, &index, &gen) != 0 || index >= apc_cap)
        return NULL;
    struct apc_queue *q = &apc_tab[index];
    return q->gen == gen ? q : NULL;
}

/* A reference to the module that holds fn: the last WSACleanup unloads the
 * providers, but a routine queued by one (an operation that closesocket
 * aborted) still runs at the thread's next alertable wait, through code of
 * that module. NULL when fn is not in a loaded module's file (then nothing
 * unloads it). */
static void *apc_module_ref(LPWSAUSERAPC fn)
{
    Dl_info info;
    void *addr = *(void **)&fn; /* POSIX: function pointers convert to void * */
    if (dladdr(addr, &info) == 0 || info.dli_fname == NULL || info.dli_fname[0] != '/')
        return NULL;
    return sys_dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
}

static void apc_module_unref(void *module)
{
    if (module != NULL)
        sys_dlclose(module);
}

/* Discarded APCs are never run (Windows drops a dead thread's user APCs);
 * each one's discard function, if the provider gave one, frees its record. */
static void apc_discard(struct apc_node *n)
{
    while (n != NULL) {
        struct apc_node *next = n->next;
        if (n->discard != NULL)
            n->discard(n->ctx);
        apc_module_unref(n->module);
        free(n);
        n = next;
    }
}

/* Thread exit (pthread key destructor): the queue goes, its handle with it. */
static void apc_thread_exit(void *unused)
{
    (void)unused;
    struct apc_node *dropped = NULL;
    pthread_mutex_lock(&apc_mu);
    if (apc_my_index1 != 0 && apc_my_index1 <= apc_cap) {
        struct apc_queue *q = &apc_tab[apc_my_index1 - 1];
        if (q->gen == apc_my_gen) {
            dropped = q->head;
            sys_close(q->fd);
            *q = (struct apc_queue){.fd = -1};
        }
    }
    pthread_mutex_unlock(&apc_mu);
    apc_my_index1 = 0;
    apc_my_fd = -1;
    apc_discard(dropped);
}

static void apc_key_init(void)
{
    apc_key_ok = pthread_key_create(&apc_key, apc_thread_exit) == 0;
}

/* Under apc_mu: a free slot index, growing the table. UINT32_MAX if none. */
static uint32_t apc_slot_locked(void)
{
    for (uint32_t i = 0; i < apc_cap; i++)
        if (apc_tab[i].gen == 0)
            return i;
    uint32_t ncap = apc_cap ? apc_cap * 2 : 16;
    struct apc_queue *nt = ncap <= APC_MAX ? realloc(apc_tab, ncap * sizeof *nt) : NULL;
    if (nt == NULL)
        return UINT32_MAX;
    for (uint32_t k = apc_cap; k < ncap; k++)
        nt[k] = (struct apc_queue){.fd = -1};
    apc_tab = nt;
    uint32_t i = apc_cap;
    apc_cap = ncap;
    return i;
}

static int apc_create_self(void)
{
    pthread_once(&apc_key_once, apc_key_init);
    /* without the destructor the queue would outlive its thread */
    if (!apc_key_ok)
        return WSAENOBUFS;
    int fd = sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) /* out of descriptors too: the calls that make a queue (WSASend, WSARecv ...)
                 * document WSAENOBUFS for a lack of resources, not WSAEMFILE (Windows) */
        return WSAENOBUFS;
    pthread_mutex_lock(&apc_mu);
    uint32_t i = apc_slot_locked();
    if (i == UINT32_MAX) {
        pthread_mutex_unlock(&apc_mu);
        sys_close(fd);
        return WSAENOBUFS;
    }
    uint32_t gen = apc_gen_next;
    apc_gen_next = (apc_gen_next + 1) & ((UINTPTR_MAX >> APC_SHIFT) & 0xFFFFFFFFu);
    if (apc_gen_next == 0)
        apc_gen_next = 1;
    apc_tab[i] = (struct apc_queue){.fd = fd, .gen = gen};
    apc_tab[i].tail = &apc_tab[i].head;
    pthread_mutex_unlock(&apc_mu);
    apc_my_index1 = i + 1;
    apc_my_gen = gen;
    apc_my_fd = fd;
    /* any non-NULL value: the destructor reads the thread-locals */
    (void)pthread_setspecific(apc_key, &apc_my_index1);
    return 0;
}

int apc_open_current(LPWSATHREADID tid)
{
    if (apc_my_index1 == 0) {
        int err = apc_create_self();
        if (err != 0)
            return err;
    }
    tid->ThreadHandle = apc_encode(apc_my_index1 - 1, apc_my_gen);
    tid->Reserved = 0;
    return 0;
}

int apc_queue(const WSATHREADID *tid, LPWSAUSERAPC fn, DWORD_PTR ctx)
{
    if (fn == NULL)
        return WSAEINVAL;
    struct apc_node *n = malloc(sizeof *n);
    if (n == NULL)
        return WSAENOBUFS;
    /* Reserved carries the provider's discard function (ws2spi.h) */
    *n = (struct apc_node){.fn = fn,
                           .module = apc_module_ref(fn),
                           .discard =
                               (LPWSAUSERAPC)tid->Reserved, // NOLINT(performance-no-int-to-ptr)
                           .ctx = ctx};
    pthread_mutex_lock(&apc_mu);
    struct apc_queue *q = apc_lookup_locked(tid);
    if (q != NULL) {
        int was_empty = q->head == NULL;
        *q->tail = n;
        q->tail = &n->next;
        uint64_t one = 1;
        /* the counter only goes 0 -> 1 here and back in apc_run_self */
        if (was_empty && sys_write(q->fd, &one, sizeof one) != sizeof one) {
            /* cannot fail on a counter at 0; keep the node queued anyway */
        }
    }
    pthread_mutex_unlock(&apc_mu);
    if (q == NULL) {
        apc_module_unref(n->module);
        free(n);
        return WSAEINVAL;
    }
    return 0;
}

int apc_close(const WSATHREADID *tid)
{
    uint32_t index, gen;
    return apc_decode(tid->ThreadHandle, &index, &gen) == 0 ? 0 : WSAEINVAL;
}

int apc_self_fd(void)
{
    return apc_my_fd;
}

unsigned apc_run_self(void)
{
    if (apc_my_index1 == 0)
        return 0;
    struct apc_node *list = NULL;
    pthread_mutex_lock(&apc_mu);
    struct apc_queue *q = &apc_tab[apc_my_index1 - 1];
    if (q->head != NULL) {
        list = q->head;
        q->head = NULL;
        q->tail = &q->head;
        uint64_t v;
        if (sys_read(q->fd, &v, sizeof v) != sizeof v) {
            /* EAGAIN: already 0; nothing else can happen to an eventfd */
        }
    }
    pthread_mutex_unlock(&apc_mu);
    /* run outside the lock: a routine may issue new overlapped calls */
    unsigned ran = 0;
    while (list != NULL) {
        struct apc_node *next = list->next;
        LPWSAUSERAPC fn = list->fn;
        DWORD_PTR ctx = list->ctx;
        void *module = list->module;
        free(list);
        fn(ctx);
        apc_module_unref(module);
        ran++;
        list = next;
    }
    return ran;
}
