/* SPDX-License-Identifier: MIT */
/* The extension-function cases (ext_cases.c) over a provider fixture: each
 * test program (tcp_ext, itot_ext) defines ext_fx for its provider and runs
 * EXT_CASES, plus cases of its own, between ext_setup and ext_teardown. */
#ifndef WSP_TEST_EXT_CASES_H
#define WSP_TEST_EXT_CASES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include <netinet/in.h>

#include <wsp/itot.h>
#include <wsp/mswsock.h>
#include <wsp/winsock2.h>

#include "ext_fns.h"

/* What tells the providers apart in these cases. */
struct ext_fixture {
    int type, protocol;             /* the provider's sockets */
    int other_type, other_protocol; /* another provider's, never to be taken for one */
    bool messages;  /* one recv is one whole TSDU (itot), not part of a stream (tcp) */
    bool disc_data; /* DisconnectEx sends SO_DISCDATA in a DR (itot): the peer sees
                     * WSAEDISCON; else the peer's recv returns 0 (tcp's FIN) */
};

/* Defined by the test program. */
extern const struct ext_fixture ext_fx;

int ext_setup(void **state);
int ext_teardown(void **state);

void pointers_and_bad_requests(void **state);
void acceptex_event_no_data(void **state);
void acceptex_port_with_data(void **state);
void acceptex_connection_waiting(void **state);
void acceptex_bad_input(void **state);
void connectex_event_with_data(void **state);
void connectex_port(void **state);
void connectex_bad_input(void **state);
void disconnectex_event(void **state);
void disconnectex_port(void **state);
void disconnectex_reuse(void **state);
void recvmsg_sendmsg(void **state);

#define EXT_CASES                                                                                  \
    cmocka_unit_test(pointers_and_bad_requests), cmocka_unit_test(acceptex_event_no_data),         \
        cmocka_unit_test(acceptex_port_with_data), cmocka_unit_test(acceptex_connection_waiting),  \
        cmocka_unit_test(acceptex_bad_input), cmocka_unit_test(connectex_event_with_data),         \
        cmocka_unit_test(connectex_port), cmocka_unit_test(connectex_bad_input),                   \
        cmocka_unit_test(disconnectex_event), cmocka_unit_test(disconnectex_port),                 \
        cmocka_unit_test(disconnectex_reuse), cmocka_unit_test(recvmsg_sendmsg)

#endif
