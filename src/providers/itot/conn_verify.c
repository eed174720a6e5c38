/* SPDX-License-Identifier: MIT */
/* conn_verify — what a failed run-time check of a connection reports
 * (conn_verify.h). */
#include "conn_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(WSP_CONN_CHECKS) && WSP_CONN_CHECKS
_Noreturn void conn_verify_fail(const struct conn *c, const char *where)
{
    char msg[256];
    int n = snprintf(msg, sizeof msg,
                     "wsp itot: connection invariant broken after %s: state %s class %d, "
                     "outq %zu/%zu, rx %zu/%zu (%zu complete, open %d, read %zu)\n",
                     where, conn_state_name(c->state), c->cls, c->outq.len, c->outq.cap, c->rx.len,
                     c->rx.cap, c->rx_complete, (int)c->rx_open, c->rx_read_off);
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        (void)w; /* nothing more to do if even stderr fails */
    }
    abort();
}
#endif
