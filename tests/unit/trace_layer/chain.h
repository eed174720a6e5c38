/* SPDX-License-Identifier: MIT */
/* Installing trace over tcp (1001) and itot (1005) in the test's own catalog
 * (WSP_CATALOG, one file per test: tests/CMakeLists.txt), the way an LSP
 * installer does: a layered entry under one GUID, then one chain [layer,
 * base] per base entry under another. And reading the trace file back. */
#ifndef WSP_TESTS_TRACE_CHAIN_H
#define WSP_TESTS_TRACE_CHAIN_H

#include <wsp/ws2spi.h>

struct chains {
    DWORD layer;                           /* the layered entry (ChainLen 0) */
    DWORD over_tcp;                        /* chain [layer, 1001] */
    DWORD over_itot;                       /* chain [layer, 1005] */
    WSAPROTOCOL_INFOW tcp_info, itot_info; /* the chains' entries */
};

/* Installs the chains (module TRACE_MODULE) and points WSP_TRACE at a fresh
 * file in a temporary directory; both removed by chains_remove. 0 or -1. */
int chains_install(struct chains *c);
void chains_remove(struct chains *c);

/* The installing alone, over any two base entries (ids): the layered entry
 * (its id into *layer_id, modelled on base0) and the chains [layer, base0]
 * and [layer, base1], whose catalog entries go into out. 0 or -1. */
int chains_install_over(DWORD base0, DWORD base1, DWORD *layer_id, WSAPROTOCOL_INFOW out[2]);

/* The catalog entry id, as WSCEnumProtocols lists it. 0 or -1. */
int chains_find_entry(DWORD id, WSAPROTOCOL_INFOW *out);

/* The trace file's name, and its whole text (free it), "" if it is empty. */
const char *chains_trace_path(void);
char *chains_trace_read(void);
/* Empties the trace file (between cases). */
void chains_trace_clear(void);
/* Lines of text that start with prefix. */
int chains_count_lines(const char *text, const char *prefix);

/* cmocka fixtures over one struct chains, the test's `chains`: a group's
 * install and removal, and a case's WSAStartup (with an empty trace file)
 * and WSACleanup (a case that cleaned up itself gets WSANOTINITIALISED:
 * fine). */
extern struct chains chains;
int chains_group_setup(void **state);
int chains_group_teardown(void **state);
int chains_case_setup(void **state);
int chains_case_teardown(void **state);

#endif
