#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of the tpdu_decode fuzzer (corpus/*.bin): the
worked example frames of tests/unit/itot_tpdu/test_frames.c, streams of several TPKTs, and
the malformed variants of section 10.  Run it again after changing a seed."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def tpkt(tpdu_hex):
    body = bytes.fromhex(tpdu_hex)
    return bytes([3, 0]) + (len(body) + 4).to_bytes(2, "big") + body


SPEC = {
    "s11_01_cr_class2_alt0": "17 E0 0000 0001 21 C1020100 C2020102 C0010D C60101 C70100"
                             " 434F4E4E44415441",
    "s11_02_cc_class2": "14 D0 0001 0002 21 C1020100 C2020102 C0010D C60101",
    "s11_03_dt2_hello": "04 F0 0002 80 48454C4C4F",
    "s11_04_dr_disconnect": "06 80 0002 0001 80 444953434F4E4E454354",
    "s11_05_dc": "05 C0 0001 0002",
    "s11_06_dt0_hello": "02 F0 80 48454C4C4F",
    "s11_07a_dt2_seg": "04 F0 0002 00 4142434445",
    "s11_07b_dt2_eot": "04 F0 0002 80 464748",
    "s11_08a_ed2": "04 10 0002 80 555247",
    "s11_08b_ea": "04 20 0001 00",
    "s11_09_dr_nondisruptive": "09 80 0002 0001 80 E00180 444953434F4E4E454354",
    "s11_10a_cr_noalt": "0E E0 0000 0001 21 C1020100 C2020102",
    "s11_10b_dr_130": "06 80 0001 0000 82",
    "s11_10c_dc": "05 C0 0000 0001",
    "s11_11a_cr_class0": "11 E0 0000 0001 00 C1020100 C2020102 C0010B",
    "s11_11b_cc_class0": "11 D0 0001 0002 00 C1020100 C2020102 C0010B",
    "s11_12_er": "08 70 0001 02 C1020230",
    "s11_13_ed0": "02 10 80 555247",
}

EXTRA = {
    "ok_dr_64": "06 80 0002 0001 80 " + "41" * 64,
    "ok_cr_32_data_f0": "0E E0 0000 0001 21 C0010D F0 02 01FF C60100 " + "42" * 32,
    "ok_cc_32_data": "06 D0 0001 0002 21 " + "43" * 32,
    "ok_ak": "04 61 0001 05",
    "ok_cr_unknown_params": "1C E0 0000 0001 21 C302ABCD C40101 C5020000 850101 F20100"
                            " 9900 C0010D",
    "ok_er_li254": "FE 70 0001 00 C1 F8 " + "30" * 248,
    "ok_dt2_empty_eot": "04 F0 0002 80",
    "bad_li_255": "FF F0 80",
    "bad_li_past_end": "0E E0 0000 0001 21 C1020100 C20201",
    "bad_li_dt_3": "03 F0 0002 80",
    "bad_li_dc_4": "04 C0 0001 0002",
    "bad_code_30": "02 30 00",
    "bad_code_rj": "04 50 0001 00",
    "bad_size_code_6": "09 E0 0000 0001 00 C00106",
    "bad_class_5": "06 E0 0000 0001 50",
    "bad_tsap_33": "29 E0 0000 0001 00 C121 " + "00" * 33,
    "bad_param_past_li": "09 E0 0000 0001 21 C1020100",
    "bad_cr_data_33": "06 E0 0000 0001 00 " + "44" * 33,
    "bad_dr_data_65": "06 80 0002 0001 80 " + "45" * 65,
    "bad_ed_empty": "04 10 0002 80",
    "bad_ed_17": "04 10 0002 80 " + "46" * 17,
}

RAW = {
    # TPKT-level damage (spec 2, 10): wrong version, short length, truncated.
    "tpkt_bad_version": "04 00 000C 02 F0 80 48454C4C4F",
    "tpkt_len_6": "03 00 0006 02 F0",
    "tpkt_truncated": "03 00 000C 02 F0 80 4845",
    "tpkt_len_ffff_short": "03 00 FFFF 02 F0 80",
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, hexs in {**SPEC, **EXTRA}.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(tpkt(hexs))
    for name, hexs in RAW.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(bytes.fromhex(hexs))
    # Streams: a whole class 2 conversation, and a DC + DT concatenated in one TPKT.
    conv = ["s11_01_cr_class2_alt0", "s11_02_cc_class2", "s11_07a_dt2_seg", "s11_07b_dt2_eot",
            "s11_08a_ed2", "s11_08b_ea", "s11_04_dr_disconnect", "s11_05_dc"]
    with open(os.path.join(OUT, "stream_class2_conversation.bin"), "wb") as f:
        f.write(b"".join(tpkt(SPEC[n]) for n in conv))
    with open(os.path.join(OUT, "stream_concat_dc_dt.bin"), "wb") as f:
        f.write(tpkt(SPEC["s11_05_dc"] + SPEC["s11_03_dt2_hello"]))
    with open(os.path.join(OUT, "stream_then_garbage.bin"), "wb") as f:
        f.write(tpkt(SPEC["s11_06_dt0_hello"]) + bytes.fromhex("05 00 0007 02 F0 80"))


if __name__ == "__main__":
    main()
