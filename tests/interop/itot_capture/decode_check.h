/* SPDX-License-Identifier: MIT */
/* decode_check — questions about tshark's -V text of a capture. */
#ifndef WSP_TEST_DECODE_CHECK_H
#define WSP_TEST_DECODE_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Number of (non-overlapping) occurrences of needle in text. */
size_t dc_count(const char *text, const char *needle);

/* Case-insensitive count. */
size_t dc_count_ci(const char *text, const char *needle);

/* Number of frames ("Frame N:" blocks) that contain all of a and b. */
size_t dc_frames_with(const char *text, const char *a, const char *b);

/* "Data: <lower-case hex>\n", as tshark prints a data block of exactly these octets. */
void dc_data_line(const uint8_t *data, size_t len, char *out, size_t out_len);

/* Row `row` of tshark's hex dump of a data block ("0010  50 6c db ..."); tshark
 * abbreviates long "Data:" lines with an ellipsis, so longer data (the 64
 * octets of a DR) is compared through its dump rows. */
void dc_hex_row(const uint8_t *data, size_t len, size_t row, char *out, size_t out_len);

/* Expert items of severity Warning or Error.  Those in the TCP layer describe
 * the kernel's TCP on a busy loopback (window full, zero window, a spurious
 * retransmission's D-SACK), not the TPDUs, and are counted apart: lost data
 * shows up anyway as a missing or undecodable TPDU, which the caller counts.
 * Every other one is "bad".  first_bad / first_tcp get the first item's text. */
struct dc_expert {
    size_t total; /* Warning + Error items */
    size_t tcp;   /* of which in the TCP layer */
    size_t bad;   /* the rest: TPKT, COTP or anything else */
    char first_bad[256];
    char first_tcp[256];
};
void dc_expert_scan(const char *text, struct dc_expert *out);

#endif
