/* SPDX-License-Identifier: MIT */
/* umem: caller memory is read and written through the kernel, so an invalid
 * address is WSAEFAULT and never a crash (D4), including a buffer that runs
 * into a PROT_NONE page, and the per-page probe sees every page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wsp/winsock2.h>

#include "common/umem.h"

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
    assert_int_equal(umem_read(buf, NULL, 0), 0);                            /* nothing to read */
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
    char *m = mmap(NULL, (pages + 1) * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(umem_read_into_guard_page_is_fault),
        cmocka_unit_test(umem_check_read_probes_every_page),
        cmocka_unit_test(umem_check_read_large_buffer_spans_many_probe_batches),
        cmocka_unit_test(umem_check_write_refuses_read_only_and_keeps_content),
        cmocka_unit_test(umem_works_in_a_forked_child),
        cmocka_unit_test(umem_readv_writev_scatter_and_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
