/* SPDX-License-Identifier: MIT */
/* Connected wsp socket pairs over loopback for the hot-path test. */
#ifndef WSP_TEST_NOALLOC_PAIRS_H
#define WSP_TEST_NOALLOC_PAIRS_H

#include <wsp/winsock2.h>

struct np_pair {
    SOCKET a, b; /* a connected, b accepted */
};

/* n pairs of (type, protocol); itot_class >= 0 sets WSP_ITOT_CLASS on every
 * socket.  Returns 0, or the WSAE* code of the first failure. */
int np_pairs_open(struct np_pair *p, int n, int type, int protocol, int itot_class);
void np_pairs_close(struct np_pair *p, int n);

#endif
