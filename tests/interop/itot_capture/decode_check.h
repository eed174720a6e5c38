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

#endif
