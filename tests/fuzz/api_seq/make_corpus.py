#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of the api_seq fuzzer (tests/fuzz/api_seq/corpus).

An input is a head byte (bit 0: itot, bits 1-6: class -1/0/2, bit 7: two
threads) and then operations: an op byte (bit 0: the side, A=0 or B=1; op >> 1
picks the call) followed by that call's argument bytes, as fuzz_api_seq.c reads
them.  With two threads a big-endian u16 follows the head: the length of thread
0's program (modulo the rest + 1); thread 1's program is what remains.  Thread
t sends on side t and receives on side 1-t whatever the op's side bit says."""
import os
import struct

SEND, RECV, DISC, SHUT, OPT, IOCTL, SELECT, CLOSE = 0, 3, 6, 7, 8, 9, 10, 11
GOOD, NULL, NONE, RO, CROSS = 0, 1, 2, 3, 4


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
}

if __name__ == '__main__':
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
    os.makedirs(here, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(here, name + '.bin'), 'wb') as f:
            f.write(data)
    print(f'{len(SEEDS)} seeds in {here}')
