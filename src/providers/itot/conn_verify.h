/* SPDX-License-Identifier: MIT */
/* conn_verify — the connection's invariants (conn_check_live, conn.h) checked by
 * the provider at run time, after it has applied a change, in builds made
 * with WSP_CONN_CHECKS (on by default in sanitizer and Debug builds, where the
 * tests and fuzzers run; a release build pays nothing). The glue writes some
 * of struct conn itself (engine.c, data.c), so the pure machine's own tests
 * cannot vouch for those writes; this catches a broken invariant where it
 * happens instead of as a wrong byte later. A failure names the call site
 * and the connection's state on stderr and aborts. */
#ifndef WSP_ITOT_CONN_VERIFY_H
#define WSP_ITOT_CONN_VERIFY_H

#include "conn.h"

#if defined(WSP_CONN_CHECKS) && WSP_CONN_CHECKS
_Noreturn void conn_verify_fail(const struct conn *c, const char *where);
#define CONN_VERIFY(c) ((void)(conn_check_live(c) || (conn_verify_fail((c), __func__), 0)))
#else
#define CONN_VERIFY(c) ((void)(c))
#endif

#endif
