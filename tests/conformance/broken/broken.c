/* SPDX-License-Identifier: MIT */
/* A deliberately broken provider, to prove that `wsp conformance` catches
 * it: a wrapper that loads the real tcp or itot module (by the protocol it is
 * started with), calls its WSPStartup, and replaces its WSPSendDisconnect by
 * one broken variant, chosen at build time with BROKEN_KIND:
 *   drop_data    drops the disconnect data and answers success   (C3, C6)
 *   slow         sleeps 1 s before returning when SO_LINGER is on (C11)
 *   hang         never returns when SO_LINGER is on               (C11)
 *                (these two also watch WSPSetSockOpt for SO_LINGER)
 *   unknown_ok   answers success for a handle that is no socket   (C5)
 *   noop         answers success and shuts nothing down           (C1, C2)
 *   crash        writes *lpErrno without checking it for NULL     (D4)
 * Every other entry of the table is the real provider's. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wsp/itot.h>
#include <wsp/ws2spi.h>

#define BROKEN_DROP_DATA 1
#define BROKEN_SLOW 2
#define BROKEN_HANG 3
#define BROKEN_UNKNOWN_OK 4
#define BROKEN_NOOP 5
#define BROKEN_CRASH 6

static WSPPROC_TABLE broken_real;

#if BROKEN_KIND == BROKEN_SLOW || BROKEN_KIND == BROKEN_HANG
/* The sockets on which SO_LINGER was turned on, remembered here rather than
 * asked back (a provider may accept the option without keeping it). */
#define BROKEN_LINGER_MAX 64
static SOCKET broken_lingering[BROKEN_LINGER_MAX];
static pthread_mutex_t broken_lock = PTHREAD_MUTEX_INITIALIZER;

static bool broken_lingers(SOCKET s)
{
    bool on = false;
    pthread_mutex_lock(&broken_lock);
    for (size_t i = 0; i < BROKEN_LINGER_MAX; i++)
        on = on || broken_lingering[i] == s;
    pthread_mutex_unlock(&broken_lock);
    return on;
}

static int WSPAPI broken_setsockopt(SOCKET s, int level, int name, const char *v, int len,
                                    LPINT lpErrno)
{
    int rc = broken_real.lpWSPSetSockOpt(s, level, name, v, len, lpErrno);
    if (rc == 0 && level == SOL_SOCKET && name == SO_LINGER && len >= (int)sizeof(struct linger) &&
        ((const struct linger *)(const void *)v)->l_onoff != 0) {
        pthread_mutex_lock(&broken_lock);
        for (size_t i = 0; i < BROKEN_LINGER_MAX; i++)
            if (broken_lingering[i] == 0) {
                broken_lingering[i] = s;
                break;
            }
        pthread_mutex_unlock(&broken_lock);
    }
    return rc;
}
#endif

static int WSPAPI broken_send_disconnect(SOCKET s, LPWSABUF data, LPINT lpErrno)
{
#if BROKEN_KIND == BROKEN_DROP_DATA
    (void)data;
    return broken_real.lpWSPSendDisconnect(s, NULL, lpErrno);
#elif BROKEN_KIND == BROKEN_SLOW
    if (broken_lingers(s)) {
        struct timespec one = {.tv_sec = 1};
        nanosleep(&one, NULL); /* "honours" SO_LINGER: what C11 forbids */
    }
    return broken_real.lpWSPSendDisconnect(s, data, lpErrno);
#elif BROKEN_KIND == BROKEN_HANG
    while (broken_lingers(s))
        pause(); /* waits for a drain that the peer, not reading, never makes */
    return broken_real.lpWSPSendDisconnect(s, data, lpErrno);
#elif BROKEN_KIND == BROKEN_UNKNOWN_OK
    int err = 0;
    int rc = broken_real.lpWSPSendDisconnect(s, data, &err);
    if (rc != 0 && err == WSAENOTSOCK)
        return 0;
    if (rc != 0 && lpErrno != NULL)
        *lpErrno = err;
    return rc;
#elif BROKEN_KIND == BROKEN_NOOP
    (void)s, (void)data, (void)lpErrno;
    return 0;
#elif BROKEN_KIND == BROKEN_CRASH
    int err = 0;
    int rc = broken_real.lpWSPSendDisconnect(s, data, &err);
    if (rc != 0)
        *lpErrno = err;
    return rc;
#else
#error "BROKEN_KIND: one of the BROKEN_* values"
#endif
}

__attribute__((visibility("default"))) int WSPAPI WSPStartup(WORD version, LPWSPDATA data,
                                                             LPWSAPROTOCOL_INFOW info,
                                                             WSPUPCALLTABLE up,
                                                             LPWSPPROC_TABLE procs)
{
    const char *module = info->iProtocol == WSP_PROTO_ITOT ? "wsp_itot.so" : "wsp_tcp.so";
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", BROKEN_MODULE_DIR, module);
    void *real = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    LPWSPSTARTUP startup = real ? (LPWSPSTARTUP)dlsym(real, "WSPStartup") : NULL;
    if (startup == NULL)
        return WSAEPROVIDERFAILEDINIT;
    int rc = startup(version, data, info, up, procs);
    if (rc != 0)
        return rc;
    broken_real = *procs;
    procs->lpWSPSendDisconnect = broken_send_disconnect;
#if BROKEN_KIND == BROKEN_SLOW || BROKEN_KIND == BROKEN_HANG
    procs->lpWSPSetSockOpt = broken_setsockopt; /* only watches SO_LINGER */
#endif
    return 0;
}
