/* SPDX-License-Identifier: MIT */
/* Microsoft's extension functions on itot sockets through the real API
 * (libwsp + wsp_itot.so over loopback): the cases of ../ext_cases over itot,
 * whose DisconnectEx is a DR with SO_DISCDATA (the peer sees WSAEDISCON and
 * reads the data with WSARecvDisconnect) and whose data are TSDUs.
 * docs/providers-itot.md "Extension functions". */
#include "unit/ext_cases/ext_cases.h"

const struct ext_fixture ext_fx = {
    .type = SOCK_SEQPACKET,
    .protocol = WSP_PROTO_ITOT,
    .other_type = SOCK_STREAM,
    .other_protocol = IPPROTO_TCP,
    .messages = true,
    .disc_data = true,
};

int main(void)
{
    const struct CMUnitTest tests[] = {EXT_CASES};
    return cmocka_run_group_tests(tests, ext_setup, ext_teardown);
}
