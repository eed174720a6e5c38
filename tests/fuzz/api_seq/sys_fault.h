/* SPDX-License-Identifier: MIT */
/* System-call faults for the api_seq fuzzer: the FAULT op arms one fault in a
 * module's platform table (src/common/sys.h) — which call, which outcome,
 * the n-th next call — and the model asks which Winsock errors the faults
 * fired so far make legitimate.  The provider modules' tables are reached
 * through their test hook (tests/unit/sys_faults/sys_hook.c), libwsp's
 * directly (its sources, or its static copy, are linked into the program). */
#ifndef WSP_FUZZ_SYS_FAULT_H
#define WSP_FUZZ_SYS_FAULT_H

#include <stdbool.h>

/* Where the faults go: the pair's provider module or libwsp. */
enum sysf_where { SYSF_TCP, SYSF_ITOT, SYSF_WS2, SYSF_WHERE };

/* Finds the tables of the modules loaded from dir (their file names
 * wsp_tcp.so, wsp_itot.so); a module without the test hook (a shipped
 * one) gets no faults: arming one there does nothing. */
void sysf_init(const char *dir);

/* Every fault disarmed, every table back to libc's, the counters zeroed. */
void sysf_reset(void);

/* Arms a one-shot fault: the when-th next call (1 = the next) of entry
 * call (an index into the table of calls, modulo its size) in where's
 * table gets outcome (an index into that call's outcomes, modulo their
 * number).  Returns false when nothing was armed (no hook). */
bool sysf_arm(enum sysf_where where, unsigned call, unsigned outcome, unsigned when);

/* A fault that changes what the library may answer has fired. */
bool sysf_fired(void);

/* A loud fault fired on the socket bound to this local port (or on no
 * socket, or on one the harness cannot tell: then for every port). */
bool sysf_fired_at(int port);
/* A send or receive on the socket bound to port failed with an injected
 * ECONNRESET or EPIPE: that side saw its peer's TCP reset (or every port,
 * as above). */
bool sysf_reset_at(int port);

/* err (a WSAE* code) is legitimate because of the faults fired so far: a
 * connection error, or what the fired errno maps to. */
bool sysf_excuses(int err);

/* For FUZZ_API_SEQ_VERBOSE: a call's name; how many faults fired since the
 * reset, quiet and loud. */
const char *sysf_call_name(unsigned call);
void sysf_counts(unsigned *quiet, unsigned *loud);

#endif
