#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of the api_seq fuzzer (tests/fuzz/api_seq/corpus).

An input is a head byte (bit 0: itot, bits 1-6: class -1/0/2, bit 7: two
threads) and then operations: an op byte (bit 0: the side, A=0 or B=1; op >> 1
picks the call) followed by that call's argument bytes, as fuzz_api_seq.c reads
them.  With two threads a big-endian u16 follows the head: the length of thread
0's program (modulo the rest + 1); thread 1's program is what remains.  Thread
t sends on side t and receives on side 1-t whatever the op's side bit says.

The FAULT op (op >> 1 in 108..118, numbers no earlier input used) arms a
system-call fault: where (3: libwsp, else the pair's provider module), which
call (FC_*), which of that call's outcomes (sys_fault.c's table), and when (the
1 + when % 8-th next call)."""
import os
import struct

SEND, RECV, DISC, SHUT, OPT, IOCTL, SELECT, CLOSE = 0, 3, 6, 7, 8, 9, 10, 11
GOOD, NULL, NONE, RO, CROSS = 0, 1, 2, 3, 4
FAULT, FAULT_LAST = 108, 118
# sys_fault.c's calls, and the index of an outcome in each one's list
(FC_SEND, FC_SENDMSG, FC_RECV, FC_RECVMSG, FC_EPOLL_CTL, FC_EPOLL_WAIT, FC_POLL, FC_SHUTDOWN,
 FC_READ, FC_WRITE, FC_GETSOCKOPT, FC_SETSOCKOPT, FC_MALLOC) = range(13)
SEND_EAGAIN, SEND_ENOBUFS, SEND_ENOMEM, SEND_ECONNRESET, SEND_EPIPE, SEND_SHORT = range(6)
RECV_EAGAIN, RECV_ENOMEM, RECV_ECONNRESET, RECV_SHORT = range(4)
PROVIDER, LIBWSP = 0, 3
# the op sizes (argument octets after the op byte), for decoding
ARGS = [6, 6, 6, 5, 5, 5, 2, 1, 6, 1, 0, 0]
FAULT_ARGS = 4


def op(code, side, *args):
    return bytes([code << 1 | side]) + b''.join(args)


def u8(v):
    return bytes([v & 0xff])


def u16(v):
    return struct.pack('>H', v & 0xffff)


def send(side, n, buf=GOOD, arr=0, count=1):
    # count kind: a multiple of 3 selects count // 3 as the pointer kind
    return op(SEND, side, u8(0), u16(n), u8(buf), u8(arr), u8(count))


def big_send(side, n16):
    return op(SEND, side, u8(250), u16(n16), u8(GOOD), u8(0), u8(1))


def recv(side, n, buf=GOOD, count=1, flags=1):
    return op(RECV, side, u16(n), u8(buf), u8(count), u8(flags))


def disc(side, kind, n):
    return op(DISC, side, u8(kind), u8(n))


def shut(side, how):
    return op(SHUT, side, u8(how))


def opt(side, idx, is_set, vkind, lkind, value):
    return op(OPT, side, u8(idx), u8(is_set), u8(vkind), u8(lkind), u16(value))


def ioctl(side, kind):
    return op(IOCTL, side, u8(kind))


def fault(call, outcome, when=1, where=PROVIDER):
    # when: the when-th next call of that entry (1: the next one)
    return op(FAULT, 0, u8(where), u8(call), u8(outcome), u8(when - 1))


def head(itot, cls_index=0):
    return u8((1 if itot else 0) | cls_index << 1)


def two(itot, cls_index, prog0, prog1):
    return u8(0x80 | head(itot, cls_index)[0]) + u16(len(prog0)) + prog0 + prog1


SEEDS = {
    'tcp_echo_and_halfclose': head(False) + send(0, 1000) + recv(1, 2000) + send(1, 300)
    + disc(0, 1, 0) + recv(0, 4000) + recv(1, 10),
    'tcp_disc_data_noprotoopt': head(False) + send(0, 10) + disc(0, 0, 20) + send(0, 5)
    + disc(0, 4, 0),
    'itot_partial_reads_and_dr64': head(True) + send(0, 3000) + send(0, 0) + send(0, 17)
    + recv(1, 1000) + recv(1, 5000) + disc(0, 0, 64) + recv(1, 100),
    'itot_class0_options': head(True, 1) + opt(0, 0, 0, 1, 4, 0) + opt(1, 5, 1, 1, 10, 0)
    + opt(0, 11, 0, 1, 4, 0) + ioctl(1, 0) + send(1, 100) + ioctl(0, 0) + recv(0, 100),
    'itot_class2_disc_too_long': head(True, 2) + send(1, 50) + disc(1, 0, 65) + disc(1, 0, 0)
    + send(1, 1) + recv(0, 100),
    'tcp_close_with_unread': head(False) + send(0, 4000) + op(CLOSE, 1) + send(0, 10)
    + recv(0, 100) + op(SELECT, 0),
    'itot_shutdown_both': head(True) + send(0, 100) + shut(1, 2) + shut(0, 3) + send(0, 5),
    'tcp_select_ioctl': head(False) + op(SELECT, 0) + ioctl(0, 1) + send(1, 7) + ioctl(0, 0)
    + op(SELECT, 0) + recv(0, 7),
    # bad pointers (each must be WSAEFAULT, nothing sent or consumed)
    'tcp_bad_pointers': head(False) + send(0, 100, buf=NONE) + send(0, 100, buf=CROSS)
    + send(0, 100, arr=1) + send(0, 100, arr=2) + send(0, 100, count=3 * RO)
    + send(0, 100, count=3 * NONE) + send(0, 64) + recv(1, 100, buf=NONE)
    + recv(1, 100, buf=RO) + recv(1, 100, count=3 * RO) + recv(1, 100, flags=3 * NULL)
    + recv(1, 100) + opt(0, 2, 0, 3 * NONE, 4, 0) + opt(0, 2, 0, 0, 4 * RO, 0),
    'itot_bad_pointers': head(True) + send(0, 100, buf=NONE) + send(0, 100, buf=CROSS)
    + send(0, 100, arr=2) + send(0, 100, count=3 * RO) + send(0, 64) + recv(1, 100, buf=RO)
    + recv(1, 100, flags=3 * NONE) + recv(1, 100) + disc(0, 2, 10) + disc(0, 3, 10)
    + disc(0, 0, 10),
    # a TSDU larger than the output queue on a non-blocking socket whose peer
    # does not read: must return at once (accepted whole or WSAEWOULDBLOCK)
    'itot_nonblocking_oversized_tsdu': head(True) + big_send(0, 0x8000) + big_send(0, 0x8000)
    + recv(1, 100),
    # two threads on one pair: each sends one direction and receives the other
    'two_tcp_both_ways': two(False, 0, send(0, 4000) + recv(1, 3000) + send(0, 4000)
                             + recv(1, 9000) + op(SELECT, 0),
                             send(1, 2500) + recv(0, 6000) + send(1, 4096) + recv(0, 9000)
                             + ioctl(0, 0)),
    'two_tcp_close_under_send': two(False, 0, send(0, 4000) + send(0, 4000) + send(0, 4000)
                                    + recv(1, 100) + op(SELECT, 0),
                                    op(CLOSE, 0) + op(SELECT, 0) + send(1, 100)
                                    + recv(0, 100)),
    'two_tcp_shutdowns': two(False, 0, send(0, 1000) + shut(0, 1) + send(0, 10) + recv(1, 500),
                             send(1, 1000) + shut(1, 0) + recv(0, 2000) + shut(0, 2)),
    'two_itot_release_race': two(True, 0, send(0, 3000) + send(0, 17) + disc(0, 0, 20)
                                 + recv(1, 5000),
                                 send(1, 100) + recv(0, 1000) + disc(1, 0, 30) + shut(1, 2)),
    'two_itot_close_same_side': two(True, 2, send(0, 500) + op(CLOSE, 1) + recv(1, 100),
                                    send(1, 500) + op(CLOSE, 1) + recv(0, 1000)),
    'two_itot_class0_options': two(True, 1, send(0, 2000) + opt(0, 5, 1, 1, 10, 0)
                                   + send(0, 3) + recv(1, 4000),
                                   opt(0, 0, 0, 1, 4, 0) + opt(1, 7, 1, 0, 8, 0)
                                   + send(1, 50) + recv(0, 4000) + op(CLOSE, 0)),
    # system-call faults (sys_fault.c): what must still hold after them (tcp's
    # WSASend of the harness' two WSABUFs is a sendmsg, its WSARecv a recv)
    'fault_tcp_send_short': head(False) + fault(FC_SENDMSG, SEND_SHORT) + send(0, 1000)
    + send(0, 300) + recv(1, 2000) + recv(1, 2000),
    'fault_tcp_send_reset': head(False) + send(0, 100) + fault(FC_SENDMSG, SEND_ECONNRESET)
    + send(0, 100) + send(0, 50) + recv(1, 1000) + send(1, 10) + recv(0, 10),
    'fault_tcp_recv_enomem_then_short': head(False) + fault(FC_RECV, RECV_ENOMEM) + send(0, 3000)
    + recv(1, 4000) + fault(FC_RECV, RECV_SHORT) + recv(1, 4000) + recv(1, 4000),
    'fault_tcp_select_eintr': head(False) + fault(FC_POLL, 0) + op(SELECT, 0) + send(1, 7)
    + fault(FC_POLL, 0, when=2) + op(SELECT, 0) + op(SELECT, 0) + recv(0, 7),
    'fault_tcp_shutdown_fails': head(False) + send(0, 500) + fault(FC_SHUTDOWN, 0) + shut(0, 1)
    + send(0, 10) + recv(1, 1000),
    'fault_itot_engine_send_short': head(True) + fault(FC_SENDMSG, SEND_SHORT)
    + fault(FC_SEND, SEND_SHORT) + send(0, 3000) + send(0, 17) + send(0, 4000)
    + recv(1, 5000) + recv(1, 100) + recv(1, 1000),
    'fault_itot_engine_recv_short': head(True) + fault(FC_RECV, RECV_SHORT) + send(0, 3000)
    + send(0, 5) + fault(FC_RECV, RECV_SHORT, when=2) + send(1, 2000) + recv(1, 5000)
    + recv(1, 5000) + recv(0, 5000),
    'fault_itot_engine_recv_reset': head(True) + send(0, 100) + fault(FC_RECV, RECV_ECONNRESET)
    + send(0, 200) + recv(1, 1000) + send(1, 10) + recv(0, 100),
    # a local read failure (ENOMEM) is this side's abort, not the peer's end
    'fault_itot_engine_recv_enomem': head(True) + send(0, 100) + fault(FC_RECV, RECV_ENOMEM)
    + send(0, 200) + send(0, 300) + recv(1, 1000) + recv(1, 1000) + send(1, 10) + recv(0, 100),
    # the engine's flush of B's queue meets a reset: B's end, unreported by any call
    'fault_itot_flush_reset': head(True) + send(0, 100) + big_send(1, 0x8000) + big_send(1, 0x8000)
    + big_send(1, 0x8000) + fault(FC_SENDMSG, SEND_ECONNRESET) + recv(0, 19999) + recv(0, 19999)
    + recv(0, 19999),
    'fault_itot_send_enobufs': head(True, 2) + fault(FC_SENDMSG, SEND_ENOBUFS)
    + fault(FC_SEND, SEND_ENOBUFS) + send(0, 2000) + send(0, 10) + recv(1, 3000),
    'fault_itot_epoll_ctl_enomem': head(True) + fault(FC_EPOLL_CTL, 0) + big_send(0, 0x4000)
    + recv(1, 100) + fault(FC_EPOLL_CTL, 1, when=2) + recv(1, 20000) + send(1, 50),
    'fault_itot_malloc': head(True) + fault(FC_MALLOC, 0) + send(0, 100)
    + fault(FC_MALLOC, 0, when=3) + send(0, 5000) + send(1, 30) + recv(1, 6000) + recv(0, 100),
    # a queue bigger than TCP takes: the engine waits for room and flushes
    'fault_itot_waits_eintr': head(True) + fault(FC_EPOLL_WAIT, 0) + fault(FC_POLL, 0)
    + fault(FC_READ, 0) + fault(FC_WRITE, 0) + big_send(0, 0x4000) + recv(1, 19999)
    + recv(1, 19999) + recv(1, 19999) + send(0, 100) + op(SELECT, 1) + recv(1, 100)
    + disc(0, 0, 10),
    'fault_libwsp_poll': head(False) + fault(FC_POLL, 1, where=LIBWSP) + send(0, 10)
    + recv(1, 10),
    'fault_two_tcp_send_recv': two(False, 0, fault(FC_SENDMSG, SEND_EPIPE, when=2) + send(0, 4000)
                                   + send(0, 4000) + recv(1, 9000) + send(0, 100),
                                   fault(FC_RECV, RECV_SHORT) + send(1, 2500) + recv(0, 6000)
                                   + recv(0, 6000)),
    'fault_two_itot_engine': two(True, 0, fault(FC_SENDMSG, SEND_SHORT) + send(0, 3000)
                                 + send(0, 17) + recv(1, 5000) + disc(0, 0, 20),
                                 fault(FC_RECV, RECV_ECONNRESET, when=3) + send(1, 100)
                                 + recv(0, 4000) + recv(0, 100)),
}


def decode_ops(data):
    """The op codes (op >> 1) an input runs, as fuzz_api_seq.c reads it."""
    def prog(b):
        ops, i = [], 0
        while i < len(b) and len(ops) < 64:
            code = b[i] >> 1
            i += 1
            ops.append(code)
            i += FAULT_ARGS if FAULT <= code <= FAULT_LAST else ARGS[code % 12]
        return ops
    if not data:
        return []
    rest = data[1:]
    if not data[0] & 0x80:
        return prog(rest)
    n = (rest[0] << 8 | rest[1]) if len(rest) >= 2 else (rest[0] << 8 if rest else 0)
    rest = rest[2:]
    n0 = n % (len(rest) + 1)
    return prog(rest[:n0]) + prog(rest[n0:])


# The inputs of the corpus from before the FAULT op: they must decode as they
# did, so none may use its op numbers.
BEFORE_FAULT = {
    'itot_bad_pointers', 'itot_class0_options', 'itot_class2_disc_too_long',
    'itot_disconnect_after_peer_reset', 'itot_nonblocking_oversized_tsdu', 'itot_null_count',
    'itot_partial_reads_and_dr64', 'itot_setopt_long_optlen', 'itot_shutdown_both',
    'itot_shutdown_both_fails', 'tcp_bad_pointers', 'tcp_close_with_unread',
    'tcp_disc_data_noprotoopt', 'tcp_echo_and_halfclose', 'tcp_select_ioctl',
    'two_itot_class0_options', 'two_itot_close_same_side', 'two_itot_release_race',
    'two_tcp_both_ways', 'two_tcp_close_under_send', 'two_tcp_shutdowns'}


def check_old_inputs(here):
    for name in sorted(BEFORE_FAULT):
        with open(os.path.join(here, name + '.bin'), 'rb') as f:
            codes = decode_ops(f.read())
        bad = [c for c in codes if FAULT <= c <= FAULT_LAST]
        assert not bad, f'{name} uses op numbers {bad} that are FAULT now'


if __name__ == '__main__':
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
    os.makedirs(here, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(here, name + '.bin'), 'wb') as f:
            f.write(data)
    check_old_inputs(here)
    print(f'{len(SEEDS)} seeds in {here}')
