/* SPDX-License-Identifier: MIT */
/* The trace hook under threads: calls from several threads give whole lines,
 * one callback at a time; the callback can be replaced while calls run, and
 * once wsp_set_debug_callback(NULL) has returned no callback runs again. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <netinet/in.h>

#include <wsp/wspext.h>

#define THREADS 4
#define ITERS 300

static atomic_int inside, overlap, lines, bad;
static atomic_int progress[THREADS];
static atomic_int stop;

/* A whole line: a known name, "(", ") = " and a result, nothing after a
 * newline, no line glued to another. */
static int line_whole(const char *l)
{
    static const char *const names[] = {"WSASocket(", "closesocket(", "wsp_setsockopt("};
    int known = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        known |= strncmp(l, names[i], strlen(names[i])) == 0;
    const char *eq = strstr(l, ") = ");
    return known && eq != NULL && eq[4] != '\0' && strchr(l, '\n') == NULL &&
           strstr(eq + 4, "(s=") == NULL && strstr(eq + 4, ") = ") == NULL;
}

static void count(const char *line, void *ctx)
{
    if (atomic_fetch_add(&inside, 1) != 0)
        atomic_fetch_add(&overlap, 1);
    if (!line_whole(line))
        atomic_fetch_add(&bad, 1);
    atomic_fetch_add((atomic_int *)ctx, 1);
    atomic_fetch_sub(&inside, 1);
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    int one = 1;
    while (!atomic_load(&stop)) {
        SOCKET s = wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        if (s == INVALID_SOCKET)
            return (void *)1;
        (void)wsp_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (const char *)&one, sizeof one);
        (void)closesocket(s);
        atomic_fetch_add(&progress[id], 1);
    }
    return NULL;
}

/* Waits until every worker has done n more iterations than at the call. */
static void wait_progress(int n)
{
    int base[THREADS];
    for (int i = 0; i < THREADS; i++)
        base[i] = atomic_load(&progress[i]);
    for (int i = 0; i < THREADS; i++)
        while (atomic_load(&progress[i]) < base[i] + n)
            sched_yield();
}

static void threads_get_whole_lines_and_null_stops(void **state)
{
    (void)state;
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    closesocket(wsp_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)); /* load the provider first */
    atomic_int other = 0;
    assert_int_equal(wsp_set_debug_callback(count, &lines), 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
    wait_progress(ITERS / 3);
    /* replaced while calls run: both counters see lines */
    for (int k = 0; k < 20; k++) {
        assert_int_equal(wsp_set_debug_callback(count, k % 2 ? (void *)&lines : (void *)&other), 0);
        wait_progress(2);
    }
    assert_int_equal(wsp_set_debug_callback(count, &lines), 0);
    wait_progress(ITERS / 3);
    assert_int_equal(wsp_set_debug_callback(NULL, NULL), 0);
    int seen = atomic_load(&lines) + atomic_load(&other);
    wait_progress(ITERS / 3); /* more calls, now untraced */
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++) {
        void *rv;
        assert_int_equal(pthread_join(t[i], &rv), 0);
        assert_null(rv);
    }
    assert_int_equal(atomic_load(&lines) + atomic_load(&other), seen); /* none after NULL */
    assert_true(atomic_load(&lines) >= THREADS * 3 * (ITERS / 3));
    assert_true(atomic_load(&other) > 0);
    assert_int_equal(atomic_load(&overlap), 0);
    assert_int_equal(atomic_load(&bad), 0);
    assert_int_equal(WSACleanup(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_get_whole_lines_and_null_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
