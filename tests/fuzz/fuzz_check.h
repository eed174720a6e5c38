/* SPDX-License-Identifier: MIT */
/* A check that holds in every build: fuzz targets must abort on a broken
 * property whether or not NDEBUG is defined (the replay tests run in release). */
#ifndef WSP_TESTS_FUZZ_CHECK_H
#define WSP_TESTS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
