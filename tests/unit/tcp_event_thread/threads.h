/* SPDX-License-Identifier: MIT */
/* threads — the process's threads (from /proc/self/task) and their names, to
 * tell which threads a piece of a test added; and libwsp's poll procedure
 * slots, all taken, to make a provider do without them.  For cmocka tests
 * that link libwsp: include after <cmocka.h> and <wsp/ws2spi.h>. */
#ifndef WSP_TEST_THREADS_H
#define WSP_TEST_THREADS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64

struct threads {
    int tid[MAX_THREADS];
    char name[MAX_THREADS][32];
    int n;
};

static inline void threads_now(struct threads *t)
{
    t->n = 0;
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && t->n < MAX_THREADS) {
        if (e->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* ended meanwhile */
        if (fgets(t->name[t->n], sizeof t->name[0], f) != NULL) {
            t->name[t->n][strcspn(t->name[t->n], "\n")] = '\0';
            t->tid[t->n++] = atoi(e->d_name);
        }
        fclose(f);
    }
    closedir(d);
}

/* The threads of now that were not there before: their count, and the name
 * of the last one in *name. */
static inline int threads_new(const struct threads *before, const struct threads *now, char *name)
{
    int n = 0;
    for (int i = 0; i < now->n; i++) {
        bool old = false;
        for (int j = 0; j < before->n && !old; j++)
            old = before->tid[j] == now->tid[i];
        if (!old) {
            n++;
            strcpy(name, now->name[i]);
        }
    }
    return n;
}

/* How many of t's threads are named name. */
static inline int threads_named(const struct threads *t, const char *name)
{
    int n = 0;
    for (int i = 0; i < t->n; i++)
        n += strcmp(t->name[i], name) == 0;
    return n;
}

static inline void WSPAPI slot_filler(ULONG_PTR cookie, DWORD events)
{
    (void)cookie;
    (void)events;
}

/* Take every free poll procedure slot of libwsp (16 in all) into ids[16];
 * returns how many were taken, after checking that none is left. */
static inline int poll_slots_take_all(DWORD *ids)
{
    int n = 0;
    while (n < 16 && WPURegisterPortPoller(slot_filler, &ids[n]) == 0)
        n++;
    DWORD extra;
    assert_int_equal(WPURegisterPortPoller(slot_filler, &extra), WSAENOBUFS);
    return n;
}

static inline void poll_slots_give_back(const DWORD *ids, int n)
{
    for (int i = 0; i < n; i++)
        WPUDeregisterPortPoller(ids[i]);
}

#endif
