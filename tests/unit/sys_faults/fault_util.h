/* SPDX-License-Identifier: MIT */
/* What the fault-injection programs of this folder share: finding a test
 * module's platform table, naming a call site, a watchdog that turns a hang
 * into a failure naming the case, and counting descriptors. */
#ifndef WSP_TEST_FAULT_UTIL_H
#define WSP_TEST_FAULT_UTIL_H

#include <stddef.h>

#include "common/sys.h"

/* The value a wrapper returns for a failed call: NULL for the calls that
 * return a pointer, -1 for the others (sys.h). */
#define SYS_FAILED(ret)                                                                            \
    _Generic((ret)0, void * : (ret)0, char * : (ret)0, FILE * : (ret)0, default : (ret)-1)

/* The table of the test build of MODULE (a file name in $WSP_PROVIDER_PATH)
 * that the loader has opened already; asserted. */
const struct sys_hook *fault_hook_of(const char *module);

/* addr as file+offset ("wsp_itot.so+0x44f0": `addr2line -f -e FILE 0x44f0`
 * names the line), or as a pointer when no file holds it. */
void fault_where(const void *addr, char *out, size_t cap);

/* CLOCK_MONOTONIC in nanoseconds. */
long long fault_now_ns(void);

/* The case under way, for the reports and the watchdog. */
extern char fault_case[160];

/* Starts the watchdog thread; PROG names the program in its message. */
void fault_watchdog_start(const char *prog);
/* From now, the case must end within ms (fault_disarm: no deadline); past
 * it the watchdog prints "PROG: HANG in case CASE" and aborts. */
void fault_arm(long long ms);
void fault_disarm(void);

/* The descriptors open in this process. */
int fault_count_fds(void);

#endif
