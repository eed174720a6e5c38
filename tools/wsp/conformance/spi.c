/* SPDX-License-Identifier: MIT */
/* The SPI level: the test plays ws2.  It dlopens the provider module, gives
 * WSPStartup its own upcall table (a small handle table with generations and
 * simple events) and calls the returned proc table directly. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"

/* ---- handle table: slot + generation, like ws2's ----------------------- */
#define SPI_SLOTS 256
static struct {
    DWORD_PTR ctx;
    unsigned gen;
    bool used;
    unsigned pins; /* threads inside a call on this handle (conf_spi_pin) */
} spi_slots[SPI_SLOTS];
static pthread_mutex_t spi_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spi_unpinned = PTHREAD_COND_INITIALIZER;

/* Handle = generation << 12 | slot << 2 | 1: never 0, never INVALID_SOCKET,
 * and a stale handle differs from the slot's next one. */
static SOCKET spi_handle(unsigned slot, unsigned gen)
{
    return ((SOCKET)gen << 12) | ((SOCKET)slot << 2) | 1;
}

static int spi_decode(SOCKET s, unsigned *slot)
{
    if ((s & 3) != 1)
        return -1;
    unsigned i = (unsigned)((s >> 2) & 0x3ff);
    if (i >= SPI_SLOTS || !spi_slots[i].used || spi_handle(i, spi_slots[i].gen) != s)
        return -1;
    *slot = i;
    return 0;
}

static SOCKET WSPAPI spi_create_handle(DWORD entry, DWORD_PTR ctx, LPINT err)
{
    (void)entry;
    pthread_mutex_lock(&spi_lock);
    for (unsigned i = 0; i < SPI_SLOTS; i++) {
        if (!spi_slots[i].used) {
            spi_slots[i].used = true;
            spi_slots[i].gen++;
            spi_slots[i].ctx = ctx;
            SOCKET h = spi_handle(i, spi_slots[i].gen);
            pthread_mutex_unlock(&spi_lock);
            return h;
        }
    }
    pthread_mutex_unlock(&spi_lock);
    *err = WSAENOBUFS;
    return INVALID_SOCKET;
}

static int WSPAPI spi_query_handle(SOCKET s, PDWORD_PTR ctx, LPINT err)
{
    unsigned i;
    pthread_mutex_lock(&spi_lock);
    int rc = spi_decode(s, &i);
    if (rc == 0)
        *ctx = spi_slots[i].ctx;
    pthread_mutex_unlock(&spi_lock);
    if (rc != 0) {
        *err = WSAENOTSOCK;
        return SOCKET_ERROR;
    }
    return 0;
}

/* Like ws2's: the handle is invalid at once, then we wait until no pinned
 * call is left inside the provider on it. */
static int WSPAPI spi_close_handle(SOCKET s, LPINT err)
{
    unsigned i;
    pthread_mutex_lock(&spi_lock);
    int rc = spi_decode(s, &i);
    if (rc == 0) {
        spi_slots[i].used = false;
        spi_slots[i].ctx = 0;
        while (spi_slots[i].pins > 0)
            pthread_cond_wait(&spi_unpinned, &spi_lock);
    }
    pthread_mutex_unlock(&spi_lock);
    if (rc != 0) {
        *err = WSAENOTSOCK;
        return SOCKET_ERROR;
    }
    return 0;
}

int conf_spi_pin(SOCKET s)
{
    unsigned i;
    pthread_mutex_lock(&spi_lock);
    int rc = spi_decode(s, &i);
    if (rc == 0)
        spi_slots[i].pins++;
    pthread_mutex_unlock(&spi_lock);
    return rc;
}

void conf_spi_unpin(SOCKET s)
{
    unsigned i = (unsigned)((s >> 2) & 0x3ff);
    pthread_mutex_lock(&spi_lock);
    spi_slots[i].pins--;
    pthread_cond_broadcast(&spi_unpinned);
    pthread_mutex_unlock(&spi_lock);
}

/* ---- events: a flag and a condition variable ----------------------------- */
struct spi_event {
    pthread_mutex_t m;
    pthread_cond_t cv;
    bool set;
};

static WSAEVENT WSPAPI spi_create_event(LPINT err)
{
    struct spi_event *e = calloc(1, sizeof *e);
    if (e == NULL) {
        *err = WSA_NOT_ENOUGH_MEMORY;
        return WSA_INVALID_EVENT;
    }
    pthread_mutex_init(&e->m, NULL);
    pthread_cond_init(&e->cv, NULL);
    return e;
}

static BOOL WSPAPI spi_close_event(WSAEVENT h, LPINT err)
{
    (void)err;
    struct spi_event *e = h;
    pthread_mutex_destroy(&e->m);
    pthread_cond_destroy(&e->cv);
    free(e);
    return TRUE;
}

static BOOL WSPAPI spi_set_event(WSAEVENT h, LPINT err)
{
    (void)err;
    struct spi_event *e = h;
    pthread_mutex_lock(&e->m);
    e->set = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->m);
    return TRUE;
}

static BOOL WSPAPI spi_reset_event(WSAEVENT h, LPINT err)
{
    (void)err;
    struct spi_event *e = h;
    pthread_mutex_lock(&e->m);
    e->set = false;
    pthread_mutex_unlock(&e->m);
    return TRUE;
}

/* ---- the module ---------------------------------------------------------- */
static void *spi_module;
static WSPPROC_TABLE spi_procs;
static WSAPROTOCOL_INFOW spi_info;
static const struct conf_fixture *spi_fx;

static int spi_load(const struct conf_fixture *fx)
{
    if (spi_module == NULL) {
        /* A path is taken as it is (`wsp conformance` passes the catalog's
         * or the user's); a bare file name is looked up in the build tree. */
        const char *dir = getenv("WSP_PROVIDER_PATH");
        char path[4096];
        if (strchr(fx->module, '/') != NULL)
            snprintf(path, sizeof path, "%s", fx->module);
        else
            snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", fx->module);
        spi_module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (spi_module == NULL) {
            fprintf(stderr, "spi: %s\n", dlerror());
            return -1;
        }
    }
    return 0;
}

int conf_spi_startup(const struct conf_fixture *fx, WORD version, WSPDATA *data,
                     WSPPROC_TABLE *procs)
{
    if (spi_load(fx) != 0)
        return -1;
    LPWSPSTARTUP startup = (LPWSPSTARTUP)dlsym(spi_module, "WSPStartup");
    if (startup == NULL) {
        fprintf(stderr, "spi: %s: no WSPStartup\n", fx->module);
        return -1;
    }
    spi_fx = fx;
    memset(&spi_info, 0, sizeof spi_info);
    fx->protocol_info(&spi_info);
    WSPUPCALLTABLE up = {
        .lpWPUCloseEvent = spi_close_event,
        .lpWPUCloseSocketHandle = spi_close_handle,
        .lpWPUCreateEvent = spi_create_event,
        .lpWPUCreateSocketHandle = spi_create_handle,
        .lpWPUQuerySocketHandleContext = spi_query_handle,
        .lpWPUResetEvent = spi_reset_event,
        .lpWPUSetEvent = spi_set_event,
        .lpWPUQueueApc = conf_spi_queue_apc,
        .lpWPUOpenCurrentThread = conf_spi_open_thread,
        .lpWPUCloseThread = conf_spi_close_thread,
    };
    return startup(version, data, &spi_info, up, procs);
}

static int spi_start(const struct conf_fixture *fx)
{
    WSPDATA data;
    conf_socket_flags = 0;
    conf_spi_active = true;
    int rc = conf_spi_startup(fx, MAKEWORD(2, 2), &data, &spi_procs);
    if (rc > 0)
        fprintf(stderr, "spi: %s: WSPStartup returned %d\n", fx->module, rc);
    return rc == 0 ? 0 : -1;
}

const WSPPROC_TABLE *conf_spi_procs(void)
{
    return &spi_procs;
}

WSAPROTOCOL_INFOW *conf_spi_info(void)
{
    return &spi_info;
}

WSAEVENT conf_spi_event_new(void)
{
    int err;
    return spi_create_event(&err);
}

void conf_spi_event_wait(WSAEVENT h)
{
    struct spi_event *e = h;
    pthread_mutex_lock(&e->m);
    while (!e->set)
        pthread_cond_wait(&e->cv, &e->m);
    pthread_mutex_unlock(&e->m);
}

bool conf_spi_event_wait_ms(WSAEVENT h, DWORD ms)
{
    struct spi_event *e = h;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&e->m);
    while (!e->set && pthread_cond_timedwait(&e->cv, &e->m, &until) == 0)
        ;
    bool set = e->set;
    pthread_mutex_unlock(&e->m);
    return set;
}

void conf_spi_event_set(WSAEVENT h)
{
    int err;
    spi_set_event(h, &err);
}

bool conf_spi_handle_ok(SOCKET s)
{
    unsigned i;
    pthread_mutex_lock(&spi_lock);
    int rc = spi_decode(s, &i);
    pthread_mutex_unlock(&spi_lock);
    return rc == 0;
}

bool conf_spi_event_is_set(WSAEVENT h)
{
    struct spi_event *e = h;
    pthread_mutex_lock(&e->m);
    bool set = e->set;
    pthread_mutex_unlock(&e->m);
    return set;
}

void conf_spi_event_free(WSAEVENT h)
{
    int err;
    spi_close_event(h, &err);
}

/* The module stays loaded for the life of the process: a provider's
 * thread-local state must not outlive its code, and dlclose is not part of
 * the contract under test. */
static int spi_stop(int *err)
{
    return spi_procs.lpWSPCleanup(err);
}

static SOCKET spi_socket(int *err)
{
    return spi_procs.lpWSPSocket(spi_fx->af, spi_fx->type, spi_fx->protocol, &spi_info, 0,
                                 conf_socket_flags, err);
}

static int spi_bind(SOCKET s, const struct sockaddr *a, int len, int *err)
{
    return spi_procs.lpWSPBind(s, a, len, err);
}

static int spi_listen(SOCKET s, int backlog, int *err)
{
    return spi_procs.lpWSPListen(s, backlog, err);
}

static int spi_connect(SOCKET s, const struct sockaddr *a, int len, int *err)
{
    return spi_procs.lpWSPConnect(s, a, len, NULL, NULL, NULL, NULL, err);
}

static SOCKET spi_accept(SOCKET s, LPCONDITIONPROC cond, DWORD_PTR data, int *err)
{
    return spi_procs.lpWSPAccept(s, NULL, NULL, cond, data, err);
}

static int spi_send(SOCKET s, const void *buf, size_t len, int *err)
{
    WSABUF b = {.len = (ULONG)len, .buf = (CHAR *)buf};
    DWORD n = 0;
    if (spi_procs.lpWSPSend(s, &b, 1, &n, 0, NULL, NULL, NULL, err) != 0)
        return -1;
    return (int)n;
}

static int spi_recv(SOCKET s, void *buf, size_t len, int *err)
{
    WSABUF b = {.len = (ULONG)len, .buf = buf};
    DWORD n = 0, flags = 0;
    if (spi_procs.lpWSPRecv(s, &b, 1, &n, &flags, NULL, NULL, NULL, err) != 0)
        return -1;
    return (int)n;
}

static int spi_send_disconnect(SOCKET s, LPWSABUF data, int *err)
{
    return spi_procs.lpWSPSendDisconnect(s, data, err);
}

static int spi_recv_disconnect(SOCKET s, LPWSABUF data, int *err)
{
    return spi_procs.lpWSPRecvDisconnect(s, data, err);
}

static int spi_shutdown(SOCKET s, int how, int *err)
{
    return spi_procs.lpWSPShutdown(s, how, err);
}

static int spi_close(SOCKET s, int *err)
{
    return spi_procs.lpWSPCloseSocket(s, err);
}

static int spi_getsockname(SOCKET s, struct sockaddr *a, int *len, int *err)
{
    return spi_procs.lpWSPGetSockName(s, a, len, err);
}

static int spi_getpeername(SOCKET s, struct sockaddr *a, int *len, int *err)
{
    return spi_procs.lpWSPGetPeerName(s, a, len, err);
}

static int spi_setsockopt(SOCKET s, int level, int name, const void *v, int len, int *err)
{
    return spi_procs.lpWSPSetSockOpt(s, level, name, v, len, err);
}

static int spi_fionbio(SOCKET s, unsigned long on, int *err)
{
    u_long v = (u_long)on;
    DWORD ret = 0;
    return spi_procs.lpWSPIoctl(s, (DWORD)WSP_FIONBIO, &v, sizeof v, NULL, 0, &ret, NULL, NULL,
                                NULL, err);
}

static int spi_wait_writable(SOCKET s, int *err)
{
    wsp_fd_set ws = {1, {s}}, es = {1, {s}};
    if (spi_procs.lpWSPSelect(0, NULL, &ws, &es, NULL, err) <= 0)
        return -1;
    return ws.fd_count == 1 ? 1 : 0;
}

const struct conf_level conf_level_spi = {
    .name = "spi",
    .start = spi_start,
    .stop = spi_stop,
    .socket = spi_socket,
    .bind = spi_bind,
    .listen = spi_listen,
    .connect = spi_connect,
    .accept = spi_accept,
    .send = spi_send,
    .recv = spi_recv,
    .send_disconnect = spi_send_disconnect,
    .recv_disconnect = spi_recv_disconnect,
    .shutdown = spi_shutdown,
    .close = spi_close,
    .getsockname = spi_getsockname,
    .getpeername = spi_getpeername,
    .setsockopt = spi_setsockopt,
    .fionbio = spi_fionbio,
    .wait_writable = spi_wait_writable,
    .ovl = &conf_spi_ovl,
    .can_cleanup_provider = true,
    .null_errno = true,
};
