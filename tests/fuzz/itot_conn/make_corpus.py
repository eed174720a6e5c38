#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of the itot_conn fuzzer (corpus/*.bin): scripts in the
format fuzz_itot_conn.c reads (a configuration octet, then operations)."""
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

RAW, FRAMED, PEER, CONNECT, ACCEPT, REJECT, DISCONNECT, EOF, TIME, SEND, DRAIN, READ, \
    EVENTS = range(13)
CR, CC, DR, DC, DT, ED, EA, ER, AK = range(9)
# configuration octet
RESPONDER = 0x01
PREF_0, PREF_2 = 0x02, 0x04           # default (0) proposes class 2 with 0 as alternative
SIZE_2048, SIZE_8192, SIZE_65531 = 0x08, 0x10, 0x18
TIGHT, TSELS, NO_CR_TIMER = 0x20, 0x40, 0x80
# OP_PEER flags
F_OTHER_FORMAT, F_CLASS2, F_ALT0, F_SIZE, F_OPTIONS, F_BAD_REF = 0x01, 0x02, 0x04, 0x08, 0x40, 0x80
F_NOT_EOT, F_SRC0, F_R130 = 0x02, 0x02, 0x04


def size_flag(code):  # tpdu size code 7..16 in the high nibble of the flags
    return F_SIZE | ((code - 7) << 4)


def u16(v):
    return bytes([v >> 8, v & 0xFF])


def peer(kind, flags=0, data=b""):
    return bytes([PEER, kind, flags, len(data)]) + data


def op(code, *args, data=b""):
    return bytes([code, *args]) + data


def tpkt(hexs):
    b = bytes.fromhex(hexs)
    return bytes([3, 0]) + u16(len(b) + 4) + b


def raw(b):
    return bytes([RAW]) + u16(len(b)) + b


ALL = DRAIN, 255

SEEDS = {
    "init_class2_full_release": bytes([SIZE_8192 | TSELS]) +
        op(CONNECT, 5, data=b"HELLO") + op(*ALL) +
        peer(CC, F_CLASS2 | size_flag(13)) +
        op(SEND, *u16(300)) + op(*ALL) + peer(DT, 0, b"HELLO") + op(READ, *u16(100)) +
        op(DISCONNECT, 10, data=b"DISCONNECT") + op(*ALL) + peer(DC) + op(EVENTS) + op(EOF),
    "resp_class2_peer_releases": bytes([RESPONDER | SIZE_65531 | TSELS]) +
        peer(CR, F_CLASS2 | F_ALT0 | size_flag(13) | F_OPTIONS, b"CONNDATA") +
        op(ACCEPT, 3, data=b"ACK") + op(*ALL) + peer(DT, F_NOT_EOT, b"ABCDE") +
        peer(DT, 0, b"FGH") + op(READ, *u16(4)) + op(READ, *u16(100)) +
        peer(DR, 0, b"DISCONNECT") + op(*ALL) + op(EVENTS) + op(EOF),
    "init_class0_segmented": bytes([PREF_0 | SIZE_2048]) + op(CONNECT, 0) +
        peer(CC, size_flag(11)) + op(SEND, *u16(5000)) + op(DRAIN, 40) + op(*ALL) +
        peer(DT, 0, b"x" * 70) + op(READ, *u16(65535)) +
        op(DISCONNECT, 64, data=b"d" * 64) + op(*ALL) + op(EOF),
    "resp_class0_only_gets_class2_alt0": bytes([RESPONDER | PREF_0]) +
        peer(CR, F_CLASS2 | F_ALT0 | size_flag(13)) + op(ACCEPT, 0) + op(*ALL) +
        peer(DT, 0, b"hi") + op(READ, 10, 0) + op(EOF),
    "resp_class0_only_refuses_class2": bytes([RESPONDER | PREF_0]) +
        peer(CR, F_CLASS2 | size_flag(13)) + op(*ALL) + op(EVENTS),
    "resp_reject_with_data": bytes([RESPONDER]) + peer(CR, F_CLASS2 | F_ALT0) +
        op(REJECT, 3, 20, data=b"r" * 20) + op(*ALL) + op(EOF),
    "resp_raw_spec_frames": bytes([RESPONDER | TSELS]) +
        raw(tpkt("17 E0 0000 0001 21 C1020100 C2020102 C0010D C60101 C70100 434F4E4E44415441")) +
        op(ACCEPT, 0) + op(*ALL) +
        raw(tpkt("04 F0 0042 80 48454C4C4F")) + op(READ, 0, 5) +
        raw(tpkt("06 80 0042 0001 80 444953434F4E4E454354")) + op(*ALL) + op(EOF),
    "init_cr_timeout": bytes([0]) + op(CONNECT, 0) + op(*ALL) + op(TIME, 40) + op(EVENTS),
    "init_refused_by_dr": bytes([0]) + op(CONNECT, 0) + op(*ALL) +
        raw(tpkt("06 80 0042 0000 82 6E6F")) + op(*ALL) + op(EOF),
    "class2_collision": bytes([SIZE_8192]) + op(CONNECT, 0) + peer(CC, F_CLASS2) +
        op(DISCONNECT, 1, data=b"a") + peer(DR, 0, b"b") + op(*ALL) + op(TIME, 60) + op(EOF),
    "class2_dc_timeout": bytes([SIZE_8192]) + op(CONNECT, 0) + peer(CC, F_CLASS2) +
        op(DISCONNECT, 0) + op(*ALL) + op(TIME, 31) + op(EVENTS),
    "tight_limits_big_tsdu": bytes([TIGHT | SIZE_2048]) + op(CONNECT, 0) + peer(CC, F_CLASS2) +
        op(SEND, *u16(3000)) + op(SEND, *u16(1500)) + op(*ALL) +
        b"".join(peer(DT, F_NOT_EOT, b"y" * 79) for _ in range(14)) + peer(DT, 0, b"z") +
        op(EVENTS) + op(*ALL),
    "bad_ref_and_er": bytes([SIZE_8192]) + op(CONNECT, 0) + peer(CC, F_CLASS2) +
        peer(DT, F_BAD_REF, b"oops") + op(*ALL) + peer(ER) + op(EOF),
    "bad_tpkt_version": bytes([RESPONDER]) + raw(bytes.fromhex("04 00 00 0C 02 F0 80 48454C4C4F")) +
        op(*ALL),
    "framed_li_255": bytes([RESPONDER]) + op(FRAMED, 3, data=bytes.fromhex("FF E0 00")) + op(*ALL),
    "second_cr_on_open": bytes([RESPONDER]) + peer(CR, F_CLASS2) + op(ACCEPT, 0) +
        peer(CR, F_CLASS2) + op(*ALL),
    "ed_ea_and_ak": bytes([SIZE_8192]) + op(CONNECT, 0) + peer(CC, F_CLASS2) +
        peer(ED, 0, b"URG") + peer(EA) + peer(AK) + op(*ALL),
    "cc_grants_unoffered_expedited": bytes([SIZE_8192]) + op(CONNECT, 0) +
        peer(CC, F_CLASS2 | F_OPTIONS | 0x21) + op(*ALL) + op(EVENTS),
    "split_tpkt_across_reads": bytes([RESPONDER]) + raw(tpkt("0E E0 0000 0001 21 C1020100 C2020102")[:7]) +
        raw(tpkt("0E E0 0000 0001 21 C1020100 C2020102")[7:]) + op(ACCEPT, 0) + op(*ALL),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
