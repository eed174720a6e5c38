/* SPDX-License-Identifier: MIT */
/* umem: an invalid caller address is WSAEFAULT and never a crash (D4):
 * NULL, wrapping, kernel and non-canonical addresses, unmapped, PROT_NONE and
 * read-only pages, buffers crossing into them; the per-page probe sees every
 * page, the write probe never changes the content (not even under a
 * concurrent writer), and all of it works from several threads at once.
 * Built twice: against the default back end (the fault-catching copy on
 * x86-64) and, as common_umem_vm, against the process_vm_* fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wsp/winsock2.h>

#include "common/umem.h"
#include "common/umem_arch.h"

#define PG 4096

/* Three pages: rw, rw, none. */
static char *map3(void)
{
    char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + 2 * PG, PG, PROT_NONE), 0);
    memset(m, 'x', 2 * PG);
    return m;
}

static void umem_read_into_guard_page_is_fault(void **state)
{
    (void)state;
    char *m = map3();
    char buf[64];
    assert_int_equal(umem_read(buf, m + 2 * PG - 8, 8), 0);
    assert_int_equal(umem_read(buf, m + 2 * PG - 8, 9), WSAEFAULT); /* short read counts */
    assert_int_equal(umem_read(buf, m + 2 * PG, 1), WSAEFAULT);
    assert_int_equal(umem_read(buf, NULL, 1), WSAEFAULT);
    assert_int_equal(umem_read(buf, (void *)(uintptr_t)-4, 8), WSAEFAULT); /* wraps */
    assert_int_equal(umem_read(buf, NULL, 0), 0);                          /* nothing to read */
    munmap(m, 3 * PG);
}

static void umem_check_read_probes_every_page(void **state)
{
    (void)state;
    char *m = map3();
    assert_int_equal(umem_check_read(m, 2 * PG), 0);
    assert_int_equal(umem_check_read(m + 100, 2 * PG - 100), 0);
    assert_int_equal(umem_check_read(m + 100, 2 * PG - 99), WSAEFAULT);
    /* a hole in the middle: page 1 unmapped, range spans pages 0..1 */
    assert_int_equal(mprotect(m + PG, PG, PROT_NONE), 0);
    assert_int_equal(umem_check_read(m, PG), 0);
    assert_int_equal(umem_check_read(m, PG + 1), WSAEFAULT);
    munmap(m, 3 * PG);
}

static void umem_check_read_large_buffer_spans_many_probe_batches(void **state)
{
    (void)state;
    size_t pages = 300; /* more pages than one syscall probes */
    char *m =
        mmap(NULL, (pages + 1) * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(umem_check_read(m, pages * PG), 0);
    assert_int_equal(mprotect(m + (pages - 1) * PG, PG, PROT_NONE), 0); /* the last one */
    assert_int_equal(umem_check_read(m, pages * PG), WSAEFAULT);
    assert_int_equal(umem_check_read(m, (pages - 1) * PG), 0);
    munmap(m, (pages + 1) * PG);
}

static void umem_check_write_refuses_read_only_and_keeps_content(void **state)
{
    (void)state;
    char *m = map3();
    m[0] = 'a';
    m[2 * PG - 1] = 'z';
    assert_int_equal(umem_check_write(m, 2 * PG), 0);
    assert_int_equal(umem_check_out(m, 2 * PG), 0);
    assert_int_equal(m[0], 'a');
    assert_int_equal(m[2 * PG - 1], 'z');
    assert_int_equal(mprotect(m + PG, PG, PROT_READ), 0);
    assert_int_equal(umem_check_write(m, PG + 1), WSAEFAULT);
    assert_int_equal(umem_check_write(m, PG), 0);
    char v = 'q';
    assert_int_equal(umem_write(m + PG, &v, 1), WSAEFAULT);
    assert_int_equal(umem_write(m, &v, 1), 0);
    assert_int_equal(m[0], 'q');
    munmap(m, 3 * PG);
}

static void umem_works_in_a_forked_child(void **state)
{
    (void)state;
    char src[8] = "parent";
    char dst[8];
    assert_int_equal(umem_read(dst, src, sizeof src), 0); /* caches the pid */
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        char mine[8] = "child!!";
        char got[8];
        /* must read the child's own memory, not the parent's at the same address */
        _exit(umem_read(got, mine, sizeof mine) == 0 && memcmp(got, "child!!", 8) == 0 ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(c, &st, 0), c);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* The vectored forms: local and remote iovecs need not line up, zero-length
 * remote regions are skipped, and any bad region (or a length mismatch) is
 * WSAEFAULT. */
static void umem_readv_writev_scatter_and_fault(void **state)
{
    (void)state;
    char *m = map3();
    memcpy(m, "abcdef", 6);
    memcpy(m + PG, "XYZ", 3);
    char a[4] = {0}, b[5] = {0};
    struct iovec l[2] = {{a, 3}, {b, 4}};
    struct iovec r[3] = {{m, 4}, {NULL, 0}, {m + PG, 3}};
    assert_int_equal(umem_readv(l, 2, r, 3), 0);
    assert_memory_equal(a, "abc", 3);
    assert_memory_equal(b, "dXYZ", 4);
    struct iovec w[2] = {{"12", 2}, {"345", 3}};
    struct iovec rw[2] = {{m + 10, 4}, {m + PG + 10, 1}};
    assert_int_equal(umem_writev(w, 2, rw, 2), 0);
    assert_memory_equal(m + 10, "1234", 4);
    assert_int_equal(m[PG + 10], '5');
    struct iovec bad[2] = {{m, 2}, {m + 2 * PG - 1, 3}}; /* second runs into PROT_NONE */
    struct iovec l5[1] = {{b, 5}};
    assert_int_equal(umem_readv(l5, 1, bad, 2), WSAEFAULT);
    assert_int_equal(umem_writev(l5, 1, bad, 2), WSAEFAULT);
    struct iovec nul[1] = {{NULL, 5}};
    assert_int_equal(umem_readv(l5, 1, nul, 1), WSAEFAULT);
    struct iovec short_r[1] = {{m, 4}};
    assert_int_equal(umem_readv(l5, 1, short_r, 1), WSAEFAULT); /* lengths differ */
    assert_int_equal(munmap(m, 3 * PG), 0);
}

/* Addresses no process can use: the kernel half (a page fault) and, on
 * x86-64, a non-canonical address (a general protection fault, reported
 * without an address). */
static void umem_kernel_and_noncanonical_addresses_are_fault(void **state)
{
    (void)state;
    char buf[8] = "abcdefg";
    void *kernel = (void *)(uintptr_t)0xffffffff81000000u;
    void *noncanon = (void *)(uintptr_t)0x8000000000000000u;
    assert_int_equal(umem_read(buf, kernel, 8), WSAEFAULT);
    assert_int_equal(umem_write(kernel, buf, 8), WSAEFAULT);
    assert_int_equal(umem_check_read(kernel, 1), WSAEFAULT);
    assert_int_equal(umem_check_write(kernel, 1), WSAEFAULT);
    assert_int_equal(umem_read(buf, noncanon, 8), WSAEFAULT);
    assert_int_equal(umem_write(noncanon, buf, 8), WSAEFAULT);
    assert_int_equal(umem_check_read(noncanon, 1), WSAEFAULT);
    assert_int_equal(umem_check_write(noncanon, 1), WSAEFAULT);
    assert_int_equal(umem_write(NULL, buf, 1), WSAEFAULT);
    assert_int_equal(umem_check_write(NULL, 1), WSAEFAULT);
    assert_int_equal(umem_check_out(NULL, 1), WSAEFAULT);
    assert_int_equal(umem_check_out(kernel, 1), WSAEFAULT);
    assert_int_equal(umem_check_out(noncanon, 1), WSAEFAULT);
    assert_int_equal(umem_check_read((void *)(uintptr_t)-2, 4), WSAEFAULT); /* wraps */
    assert_memory_equal(buf, "abcdefg", 8);
}

/* A page that was mapped and is gone, and a read-only one: reads of the
 * read-only page work, writes fail, and nothing is written past the fault. */
static void umem_unmapped_and_read_only_pages(void **state)
{
    (void)state;
    char *m = map3();
    assert_int_equal(munmap(m + PG, PG), 0); /* rw, hole, none */
    char buf[16];
    assert_int_equal(umem_read(buf, m + PG, 4), WSAEFAULT);
    assert_int_equal(umem_write(m + PG, "abcd", 4), WSAEFAULT);
    assert_int_equal(umem_check_read(m + PG - 2, 4), WSAEFAULT); /* crosses into the hole */
    assert_int_equal(umem_check_write(m + PG - 2, 4), WSAEFAULT);
    assert_int_equal(umem_read(buf, m + PG - 2, 4), WSAEFAULT);
    assert_int_equal(mprotect(m, PG, PROT_READ), 0);
    assert_int_equal(umem_read(buf, m, 16), 0);
    assert_memory_equal(buf, "xxxxxxxxxxxxxxxx", 16);
    assert_int_equal(umem_check_read(m, PG), 0);
    assert_int_equal(umem_check_write(m, 1), WSAEFAULT);
    assert_int_equal(umem_check_out(m + PG - 1, 1), WSAEFAULT);
    assert_int_equal(umem_write(m + 8, "abcd", 4), WSAEFAULT);
    assert_memory_equal(m + 8, "xxxx", 4);
    struct iovec l[1] = {{buf, 4}}, r[1] = {{m, 4}};
    assert_int_equal(umem_readv(l, 1, r, 1), 0);
    assert_int_equal(umem_writev(l, 1, r, 1), WSAEFAULT);
    munmap(m, PG);
    munmap(m + 2 * PG, PG);
}

/* Page-crossing copies of every length around the boundary between a
 * writable page and a PROT_NONE one: exactly those that stay on the first
 * page succeed, and a write that fails touched nothing past the boundary. */
static void umem_page_crossing_lengths(void **state)
{
    (void)state;
    char *m = map3();
    char src[64], dst[64];
    memset(src, 'q', sizeof src);
    for (size_t start = 1; start <= 32; start++) {
        char *at = m + 2 * PG - start;
        for (size_t n = 1; n <= 64; n++) {
            int want = n <= start ? 0 : WSAEFAULT;
            assert_int_equal(umem_read(dst, at, n), want);
            assert_int_equal(umem_write(at, src, n), want);
            assert_int_equal(umem_check_read(at, n), want);
            assert_int_equal(umem_check_write(at, n), want);
            assert_int_equal(umem_check_out(at, n), want);
        }
    }
    munmap(m, 3 * PG);
}

/* The short copies move each octet to its place (they use overlapping pairs
 * of moves), for every length below the rep movsb threshold and at every
 * alignment; and the fixed-size copies of a DWORD and a WSABUF (a size known
 * at compile time takes its own routine) fault like the general one when
 * they cross into the PROT_NONE page, a failed write touching nothing there. */
static void umem_short_and_fixed_copies_are_exact(void **state)
{
    (void)state;
    char *m = map3();
    unsigned char src[40], dst[40];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (unsigned char)(0x40 + i);
    for (size_t n = 1; n < 40; n++) {
        for (size_t off = 0; off < 8; off++) {
            memset(m, 'x', 64);
            assert_int_equal(umem_write(m + off, src, n), 0);
            assert_memory_equal(m + off, src, n);
            assert_int_equal(m[off + n], 'x'); /* nothing past the end */
            if (off > 0)
                assert_int_equal(m[off - 1], 'x');
            memset(dst, 0, sizeof dst);
            assert_int_equal(umem_read(dst, m + off, n), 0);
            assert_memory_equal(dst, src, n);
        }
    }
    uint32_t d4 = 0x11223344, r4 = 0;
    unsigned char w16[16], r16[16];
    memcpy(w16, src, sizeof w16);
    for (size_t start = 1; start <= 20; start++) {
        char *at = m + 2 * PG - start;
        memset(m + PG, 'x', PG);
        int want4 = start >= 4 ? 0 : WSAEFAULT, want16 = start >= 16 ? 0 : WSAEFAULT;
        assert_int_equal(umem_write(at, &d4, sizeof d4), want4);
        assert_int_equal(umem_read(&r4, at, sizeof r4), want4);
        if (want4 == 0)
            assert_int_equal(r4, d4);
        assert_int_equal(umem_write(at, w16, sizeof w16), want16);
        assert_int_equal(umem_read(r16, at, sizeof r16), want16);
        if (want16 == 0)
            assert_memory_equal(r16, w16, sizeof w16);
    }
    munmap(m, 3 * PG);
}

/* umem_read_out_up (a receive's *lpFlags): the value is read and the place
 * proved writable, so a read-only, PROT_NONE or half-mapped DWORD is
 * WSAEFAULT and the value stays. */
static void umem_read_out_reads_and_proves_writable(void **state)
{
    (void)state;
    umem_init(); /* the _up forms leave it to the caller */
    char *m = map3();
    uint32_t v = 0x01020304, got = 0;
    memcpy(m + 8, &v, sizeof v);
    assert_int_equal(umem_read_out_up(&got, m + 8, sizeof got), 0);
    assert_int_equal(got, v);
    assert_memory_equal(m + 8, &v, sizeof v);
    got = 0;
    assert_int_equal(umem_read_out_up(&got, m + 2 * PG - 2, sizeof got), WSAEFAULT); /* crosses */
    assert_int_equal(umem_read_out_up(&got, m + 2 * PG, sizeof got), WSAEFAULT);     /* none */
    assert_int_equal(umem_read_out_up(&got, NULL, sizeof got), WSAEFAULT);
    assert_int_equal(mprotect(m, PG, PROT_READ), 0);
    assert_int_equal(umem_read_out_up(&got, m + 8, sizeof got), WSAEFAULT); /* read-only */
    assert_memory_equal(m + 8, &v, sizeof v);
    munmap(m, 3 * PG);
}

/* umem_check_write runs against a thread that keeps storing into the probed
 * octet: the probe must never write back an older value.  The writer checks
 * after every store that the octet still holds what it stored. */
struct umem_race {
    _Atomic unsigned char *octet;
    atomic_bool stop;
    unsigned long lost;
};

static void *umem_race_writer(void *arg)
{
    struct umem_race *r = arg;
    unsigned char v = 0;
    for (unsigned long i = 0; i < 2000000 && !atomic_load(&r->stop); i++) {
        v++;
        atomic_store_explicit(r->octet, v, memory_order_relaxed);
        if (atomic_load_explicit(r->octet, memory_order_relaxed) != v)
            r->lost++;
    }
    atomic_store(&r->stop, true);
    return NULL;
}

static void umem_check_write_loses_no_concurrent_store(void **state)
{
    (void)state;
    if (!UMEM_FAULT_COPY)
        skip(); /* the process_vm_* fallback reads and writes back: documented race */
    char *m = map3();
    struct umem_race r = {.octet = (_Atomic unsigned char *)(void *)m};
    atomic_init(&r.stop, false);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, umem_race_writer, &r), 0);
    while (!atomic_load(&r.stop))
        assert_int_equal(umem_check_write(m, 1), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(r.lost, 0);
    munmap(m, 3 * PG);
}

/* Several threads at once, each mixing good accesses and faults (separate
 * buffers): every answer is right and nothing leaks from one thread's fault
 * into another's copy. */
struct umem_worker {
    char *m; /* map3() */
    int id;
    int wrong;
};

static void *umem_worker_main(void *arg)
{
    struct umem_worker *w = arg;
    char mine[32], got[32];
    memset(mine, 'a' + w->id, sizeof mine);
    char *slot = w->m + w->id * 64;
    for (int i = 0; i < 20000; i++) {
        if (umem_write(slot, mine, sizeof mine) != 0 || umem_read(got, slot, sizeof got) != 0 ||
            memcmp(got, mine, sizeof got) != 0)
            w->wrong++;
        if (umem_read(got, w->m + 2 * PG - 16, 32) != WSAEFAULT ||
            umem_write(w->m + 2 * PG + w->id, mine, 1) != WSAEFAULT ||
            umem_check_write(w->m + 2 * PG - 1, 2) != WSAEFAULT || umem_check_read(slot, 32) != 0)
            w->wrong++;
    }
    return NULL;
}

static void umem_many_threads_fault_and_copy(void **state)
{
    (void)state;
    char *m = map3();
    enum { N = 4 };
    struct umem_worker w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct umem_worker){.m = m, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, umem_worker_main, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].wrong, 0);
    }
    munmap(m, 3 * PG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(umem_read_into_guard_page_is_fault),
        cmocka_unit_test(umem_check_read_probes_every_page),
        cmocka_unit_test(umem_check_read_large_buffer_spans_many_probe_batches),
        cmocka_unit_test(umem_check_write_refuses_read_only_and_keeps_content),
        cmocka_unit_test(umem_works_in_a_forked_child),
        cmocka_unit_test(umem_readv_writev_scatter_and_fault),
        cmocka_unit_test(umem_kernel_and_noncanonical_addresses_are_fault),
        cmocka_unit_test(umem_unmapped_and_read_only_pages),
        cmocka_unit_test(umem_page_crossing_lengths),
        cmocka_unit_test(umem_short_and_fixed_copies_are_exact),
        cmocka_unit_test(umem_read_out_reads_and_proves_writable),
        cmocka_unit_test(umem_check_write_loses_no_concurrent_store),
        cmocka_unit_test(umem_many_threads_fault_and_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
