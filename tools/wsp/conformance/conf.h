/* SPDX-License-Identifier: MIT */
/* Conformance harness: provider-agnostic clause tests for WSPSendDisconnect.
 *
 * A fixture describes a provider's protocol (how to address it, what it
 * claims); a level is the way the tests reach it: "spi" calls the module's
 * proc table with the harness' own upcalls, "api" goes through libwsp.  Every
 * test in sd_tests.c runs against (fixture, level) pairs.  The same sources
 * build the ctest programs (tests/conformance/<provider>, with cmocka) and
 * `wsp conformance` (runner.c: one forked child per case); conf_check.h is
 * the only difference between the two. */
#ifndef WSP_CONF_H
#define WSP_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include <wsp/ws2spi.h>

struct conf_ctx;

struct conf_fixture {
    const char *name;   /* "tcp4", "udp6", ... (shown in test names) */
    const char *module; /* file name under $WSP_PROVIDER_PATH, e.g. "wsp_tcp.so" */
    int af, type, protocol;
    bool stream;         /* byte stream (TCP) rather than messages */
    bool connectionless; /* datagram socket (D8) */
    bool disc_data;      /* claims XP1_DISCONNECT_DATA */
    bool io_thread;      /* writes from a thread of its own: inject faults process-wide */
    unsigned max_disc_data;
    /* The provider may reach the system through calls the fault shim does not
     * interpose (write, syscall): an injection that hits nothing makes C9's
     * injected case not applicable instead of failed (`wsp conformance`). */
    bool fault_optional;
    /* Fills the catalog entry the SPI level hands to WSPStartup/WSPSocket. */
    void (*protocol_info)(WSAPROTOCOL_INFOW *info);
    /* Loopback address with port 0 to bind listeners to. */
    void (*loopback)(struct sockaddr_storage *ss, int *len);
    /* Optional: how to make a connected pair (NULL: listen on loopback,
     * connect, accept — or, connectionless, bind and connect both ways). */
    void (*make_pair)(const struct conf_ctx *c, SOCKET *cl, SOCKET *sv);
};

/* Overlapped calls through a level (NULL in a level that has none). Sockets
 * are made overlapped (WSA_FLAG_OVERLAPPED) while conf_socket_flags says so:
 * the overlapped cases set it, every level's start() clears it. send/recv
 * return 0 (completed at once, count in *n) or SOCKET_ERROR with *err
 * (WSA_IO_PENDING: pending). result is WSAGetOverlappedResult. Events are the
 * level's own; event_wait waits up to ms and says whether it was set.
 * alertable waits up to ms in an alertable wait of the calling thread and
 * returns WAIT_IO_COMPLETION (0xC0) when it ran completion routines, else 0. */
struct conf_ovl {
    int (*send)(SOCKET s, LPWSABUF b, DWORD nb, LPWSAOVERLAPPED ov,
                LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, DWORD *n, int *err);
    int (*recv)(SOCKET s, LPWSABUF b, DWORD nb, LPWSAOVERLAPPED ov,
                LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, DWORD *n, DWORD *flags, int *err);
    BOOL (*result)(SOCKET s, LPWSAOVERLAPPED ov, DWORD *n, BOOL wait, DWORD *flags, int *err);
    WSAEVENT (*event_new)(void);
    bool (*event_wait)(WSAEVENT e, DWORD ms);
    void (*event_free)(WSAEVENT e);
    DWORD (*alertable)(DWORD ms);
};
extern DWORD conf_socket_flags;

/* One way to reach the provider.  Every call returns what the SPI/API
 * returns; the error goes to *err (NULL is passed through to the SPI as a
 * NULL lpErrno, D4).  At the api level *err is WSAGetLastError(). */
struct conf_level {
    const char *name; /* "spi" or "api" */
    int (*start)(const struct conf_fixture *fx);
    int (*stop)(int *err);
    SOCKET (*socket)(int *err);
    int (*bind)(SOCKET s, const struct sockaddr *a, int len, int *err);
    int (*listen)(SOCKET s, int backlog, int *err);
    int (*connect)(SOCKET s, const struct sockaddr *a, int len, int *err);
    SOCKET (*accept)(SOCKET s, LPCONDITIONPROC cond, DWORD_PTR data, int *err);
    int (*send)(SOCKET s, const void *buf, size_t len, int *err); /* bytes or -1 */
    int (*recv)(SOCKET s, void *buf, size_t len, int *err);       /* bytes or -1 */
    int (*send_disconnect)(SOCKET s, LPWSABUF data, int *err);
    int (*recv_disconnect)(SOCKET s, LPWSABUF data, int *err);
    int (*shutdown)(SOCKET s, int how, int *err);
    int (*close)(SOCKET s, int *err);
    int (*getsockname)(SOCKET s, struct sockaddr *a, int *len, int *err);
    int (*getpeername)(SOCKET s, struct sockaddr *a, int *len, int *err);
    int (*setsockopt)(SOCKET s, int level, int name, const void *v, int len, int *err);
    int (*fionbio)(SOCKET s, unsigned long on, int *err);
    /* Block in select() until s is writable (1) or in the exception set (0). */
    int (*wait_writable)(SOCKET s, int *err);
    /* The thread's last error (api level only, NULL at the spi level). */
    int (*last_error)(void);
    void (*set_last_error)(int code);
    const struct conf_ovl *ovl; /* overlapped calls, or NULL */
    bool can_cleanup_provider;  /* stop() is the provider's last WSPCleanup (C9) */
    bool null_errno;            /* the level can pass a NULL lpErrno (D4) */
};

extern const struct conf_level conf_level_spi;
extern const struct conf_level conf_level_api; /* in wsp_conformance_api */

/* The (fixture, level) a test runs against: cmocka's *state. */
struct conf_ctx {
    const struct conf_fixture *fx;
    const struct conf_level *lv;
};

/* ---- direct SPI access for the provider's own unit tests (spi.c) ---------- */
/* The proc table and catalog entry of the last conf_level_spi.start(). */
const WSPPROC_TABLE *conf_spi_procs(void);
WSAPROTOCOL_INFOW *conf_spi_info(void);
/* WSPStartup with an arbitrary version; returns its result. */
int conf_spi_startup(const struct conf_fixture *fx, WORD version, WSPDATA *data,
                     WSPPROC_TABLE *procs);
/* Pin a handle around a direct proc-table call that may race with its
 * close (what ws2's API layer does for every call): WPUCloseSocketHandle then
 * waits for the unpin.  0, or -1 if s is not a live handle. */
int conf_spi_pin(SOCKET s);
void conf_spi_unpin(SOCKET s);
/* Events of the harness' own upcall table. wait blocks until the event is set. */
WSAEVENT conf_spi_event_new(void);
void conf_spi_event_wait(WSAEVENT e);
bool conf_spi_event_is_set(WSAEVENT e);
void conf_spi_event_free(WSAEVENT e);
bool conf_spi_event_wait_ms(WSAEVENT e, DWORD ms); /* true: set within ms */
void conf_spi_event_set(WSAEVENT e);
bool conf_spi_handle_ok(SOCKET s); /* a live handle of the harness */
/* The harness' overlapped side (spi_ovl.c): completion-routine queues per
 * thread behind its WPUQueueApc/WPUOpenCurrentThread/WPUCloseThread, its own
 * WPUCompleteOverlappedRequest while the SPI level runs (conf_spi_active),
 * and the level's overlapped calls. */
extern bool conf_spi_active;
int WSPAPI conf_spi_queue_apc(LPWSATHREADID tid, LPWSAUSERAPC fn, DWORD_PTR ctx, LPINT err);
int WSPAPI conf_spi_open_thread(LPWSATHREADID tid, LPINT err);
int WSPAPI conf_spi_close_thread(LPWSATHREADID tid, LPINT err);
extern const struct conf_ovl conf_spi_ovl;

/* ---- helpers (util.c) ------------------------------------------------------
 * They fail the current test (conf_check.h) when a step that is not under
 * test fails, so a test body only asserts its clause. */
SOCKET conf_socket(const struct conf_ctx *c);
/* A listener on loopback, port chosen by the kernel; its address in *ss. */
SOCKET conf_listener(const struct conf_ctx *c, int backlog, struct sockaddr_storage *ss, int *len);
/* Connect a new socket to the listener l (address ss) from a second thread
 * while this thread accepts with cond: a provider may answer the connect only
 * when the accept takes it (ISO transport: the CC carries the condition
 * function's data).  Returns the accepted socket, the client in *client. */
SOCKET conf_connect_accept(const struct conf_ctx *c, SOCKET l, const struct sockaddr_storage *ss,
                           int len, LPCONDITIONPROC cond, DWORD_PTR data, SOCKET *client);
/* A connected pair: *cl connected to *sv (accepted). Datagram: both bound and
 * connected to each other. */
void conf_pair(const struct conf_ctx *c, SOCKET *cl, SOCKET *sv);
/* The same through conf_connect_accept (connect from a second thread): works
 * for a provider that answers the connect only at accept time (a make_pair
 * for providers whose behaviour is not known in advance). */
void conf_pair_threaded(const struct conf_ctx *c, SOCKET *cl, SOCKET *sv);
/* Loopback addresses with port 0 (fixture.loopback for AF_INET, AF_INET6). */
void conf_loopback4(struct sockaddr_storage *ss, int *len);
void conf_loopback6(struct sockaddr_storage *ss, int *len);
void conf_close(const struct conf_ctx *c, SOCKET s);
/* Send the whole buffer (blocking socket). */
void conf_send_all(const struct conf_ctx *c, SOCKET s, const void *buf, size_t len);
/* Make the socket non-blocking, send the pattern until the kernel refuses
 * (WSAEWOULDBLOCK); returns the bytes accepted.  Pattern byte i is i % 251. */
size_t conf_fill(const struct conf_ctx *c, SOCKET s);
/* Read until the peer's disconnect, checking the pattern; returns the byte
 * count. */
size_t conf_drain_pattern(const struct conf_ctx *c, SOCKET s);
/* Is (n, err) of a recv the peer's disconnect?  A stream reads 0; a
 * message-oriented socket fails with WSAEDISCON (D10). */
bool conf_is_end(const struct conf_ctx *c, int n, int err);
/* A SendDisconnect with no data must have worked. */
void conf_disconnect_ok(const struct conf_ctx *c, SOCKET s);
/* Memory with a PROT_NONE page right after `size` usable bytes. */
void *conf_guarded(size_t size);
void conf_guarded_free(void *p, size_t size);

/* ---- fault injection (fault.c) ---------------------------------------------
 * The test executable interposes shutdown/send/sendmsg/writev (exported with
 * --export-dynamic, so the provider module binds to them); while enabled on the
 * calling thread they fail with the given errno without reaching the kernel. */
void conf_fault_enable(int err);
/* The same for every thread of the process (providers with an I/O thread). */
void conf_fault_enable_process(int err);
void conf_fault_disable(void);
unsigned conf_fault_hits(void);

/* ---- the suite (sd_tests.c) ------------------------------------------------ */
/* WSPSendDisconnect must return at once (C11); the limit for "at once" on
 * loopback, in seconds: well under a second, far above any real call. */
#define CONF_C11_LIMIT_S 0.5

/* One clause test.  clauses: space-separated ids, the first the one the test
 * is named after, then those it checks on the way ("C6 D1"). */
struct conf_case {
    const char *name;
    const char *clauses;
    void (*fn)(void **state); /* *state is a const struct conf_ctx * */
    int when;                 /* CONF_WHEN_* below */
};
enum {
    CONF_WHEN_ANY = 0,
    CONF_WHEN_CONN = 1,        /* connection-oriented only */
    CONF_WHEN_DGRAM = 2,       /* connectionless only (D8) */
    CONF_WHEN_SPI_ONLY = 4,    /* needs the provider's last WSPCleanup */
    CONF_WHEN_NULL_ERRNO = 8,  /* passes a NULL lpErrno */
    CONF_WHEN_DISC = 16,       /* the protocol carries disconnect data */
    CONF_WHEN_NODISC = 32,     /* it does not */
    CONF_WHEN_LAST_ERROR = 64, /* the API level's thread-local last error */
    CONF_WHEN_HALF = 128,      /* needs a half-close: byte streams only (D6) */
    CONF_WHEN_OVL = 256,       /* needs overlapped calls (conf_level.ovl) */
};
/* The overlapped cases (ovl_tests.c), listed in conf_cases[] too. */
void sd_c11_ovl_queued_sends(void **state);
void sd_d10_ovl_pending_recv_sees_end(void **state);
void sd_c3_ovl_pending_recv_then_disc_data(void **state);
void ovl_o1_immediate_still_reported(void **state);
void ovl_o2_close_aborts_pending(void **state);
void ovl_o3_routine_only_in_alertable_wait(void **state);
extern const struct conf_case conf_cases[];
extern const size_t conf_case_count;
/* NULL when case k applies to ctx, else why it does not (one line). */
const char *conf_case_not_applicable(const struct conf_ctx *ctx, const struct conf_case *k);

/* ---- cmocka programs (tests/conformance/common/cmocka_glue.c) -------------- */
struct CMUnitTest;
/* Appends the clause tests that apply to (fx, lv) to tests[]; returns how
 * many were added (at most cap).  ctx must stay alive while they run. */
size_t conf_sd_tests(struct conf_ctx *ctx, struct CMUnitTest *tests, size_t cap);
/* cmocka group setup/teardown per test: start and stop the level. */
int conf_setup(void **state);
int conf_teardown(void **state);

#endif
