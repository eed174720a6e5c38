/* SPDX-License-Identifier: MIT */
/* tpdu — pure codec for TPKT (RFC 1006) and the ISO 8073 TPDUs used by itot:
 * CR CC DR DC DT ED EA AK ER, class 0 and class 2 (normal formats).
 *
 * No I/O, no allocation: decode fills a struct whose pointers point into the
 * caller's buffer; encode writes into a caller buffer.  Every length is checked
 * before it is read.  Layouts: RFC 1006 (TPKT) and ISO 8073 / ITU-T X.224. */
#ifndef WSP_ITOT_TPDU_H
#define WSP_ITOT_TPDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TPKT_VERSION 3
#define TPKT_HDR_LEN 4
#define TPKT_MIN_LEN 7
#define TPKT_MAX_LEN 65535
#define TPDU_MAX_LEN (TPKT_MAX_LEN - TPKT_HDR_LEN) /* 65531 */
#define TPDU_MAX_LI 254
#define TPDU_MAX_CONN_DATA 32
#define TPDU_MAX_DISC_DATA 64
#define TPDU_MAX_ED_DATA 16
#define TPDU_MAX_TSAP 32
#define TPDU_MAX_CR_LEN 128
/* Largest user data in one DT: our choice (spec 2). */
#define TPDU_DT0_MAX_DATA 65524
#define TPDU_DT2_MAX_DATA 65522
/* TPKT + longest DT header (class 2 normal format). */
#define TPDU_DT_HDR_MAX (TPKT_HDR_LEN + 5)

enum tpdu_code {
    TPDU_ED = 0x10,
    TPDU_EA = 0x20,
    TPDU_RJ = 0x50,
    TPDU_AK = 0x60,
    TPDU_ER = 0x70,
    TPDU_DR = 0x80,
    TPDU_DC = 0xC0,
    TPDU_CC = 0xD0,
    TPDU_CR = 0xE0,
    TPDU_DT = 0xF0,
};

/* Parameter codes of the variable part. */
enum tpdu_param {
    TPDU_P_TPDU_SIZE = 0xC0,
    TPDU_P_CALLING_TSAP = 0xC1, /* also "invalid TPDU" in an ER */
    TPDU_P_CALLED_TSAP = 0xC2,
    TPDU_P_CHECKSUM = 0xC3,
    TPDU_P_VERSION = 0xC4,
    TPDU_P_PROTECTION = 0xC5,
    TPDU_P_ADD_OPTIONS = 0xC6,
    TPDU_P_ALT_CLASSES = 0xC7,
    TPDU_P_ADD_CLEARING = 0xE0,
    TPDU_P_PREF_TPDU_SIZE = 0xF0,
};

/* Why decoding failed; the state machine maps these to ER causes / DR reasons. */
enum tpdu_status {
    TPDU_OK = 0,
    TPDU_E_SHORT = -1,     /* fewer octets than the TPDU's fixed part needs */
    TPDU_E_LI = -2,        /* LI 255, LI past the end, or below the type's minimum */
    TPDU_E_CODE = -3,      /* unknown TPDU code */
    TPDU_E_PARAM_LEN = -4, /* a parameter runs past the header */
    TPDU_E_PARAM_VALUE =
        -5,               /* a parameter value that cannot be right (size code, TSAP > 32, ...) */
    TPDU_E_DATA_LEN = -6, /* user data over the TPDU type's limit */
};

enum tpkt_status {
    TPKT_OK = 0,
    TPKT_NEED_MORE = 1, /* fewer than 4 octets, or the TPKT is not complete yet */
    TPKT_BAD = -1,      /* version != 3 or length < 7: the stream cannot be resynchronised */
};

struct tpdu {
    uint8_t code; /* enum tpdu_code (high nibble of octet 2) */
    uint8_t li;
    uint16_t dst_ref;
    uint16_t src_ref;
    uint8_t cdt; /* CR/CC/AK credit (low nibble) */

    /* CR, CC */
    uint8_t class_opt; /* octet 7: class in bits 8-5, options in bits 2-1 */
    bool has_tpdu_size;
    uint8_t tpdu_size_code; /* 2^k octets */
    bool has_pref_size;
    uint32_t pref_size_units; /* in 128-octet units */
    bool has_calling;
    uint8_t calling_len;
    uint8_t calling[TPDU_MAX_TSAP];
    bool has_called;
    uint8_t called_len;
    uint8_t called[TPDU_MAX_TSAP];
    bool has_add_options;
    uint8_t add_options;
    uint8_t n_alt_classes;
    uint8_t alt_classes[4];

    /* DR */
    uint8_t reason;
    bool has_add_clearing;
    uint8_t add_clearing;

    /* DT, ED (class 0 format when dst_ref_present is false), EA, AK */
    bool dst_ref_present; /* DT/ED: true for the class 2 format (LI 4) */
    bool eot;
    uint8_t nr; /* TPDU-NR / ED-NR / YR-TU-NR, without the EOT bit */

    /* ER */
    uint8_t cause;
    uint8_t rejected_len;
    const uint8_t *rejected; /* points into the decoded buffer */

    /* User data: into the decoded buffer (decode) or caller memory (encode).
     * After a successful decode of a TPDU type that carries user data, data is
     * never NULL (it points just past the header when data_len is 0). */
    const uint8_t *data;
    size_t data_len;
};

/* Look at the start of a TCP byte stream: on TPKT_OK *tpkt_len is the whole
 * TPKT's length (header included, 7..65535).  On TPKT_NEED_MORE with n >= 4 it
 * is set too, so the caller knows how many octets the TPKT needs.  A version
 * other than 3 is TPKT_BAD from the first octet on. */
enum tpkt_status tpkt_peek(const uint8_t *p, size_t n, size_t *tpkt_len);

/* Decode one TPDU from p[0..n) (the bytes after a TPKT header, or what remains
 * of a TPKT after a concatenated TPDU).  On TPDU_OK *used is the TPDU's length:
 * for TPDUs that carry user data that is all of n; for DC/EA/ER/AK it is LI+1,
 * so a class 2 receiver can go on at p + *used.  On error *err_off (if not
 * NULL) is the offset of the octet that caused the rejection (for ER's C1).
 * Checked here: LI (255, past the end, below the type's fixed part), codes,
 * parameter lengths and values (size code 7..16, F0 1..4 octets and nonzero,
 * TSAP <= 32, C6 one octet, C7 <= 4 classes each <= 4, CR/CC class <= 4:
 * err_off 6), user data (CR/CC <= 32, DR <= 64, ED 1..16).  Parameters that
 * mean nothing in this TPDU type are skipped.  Left to the state machine: the
 * negotiated TPDU size, the 128-octet CR, references, class/state rules. */
enum tpdu_status tpdu_decode(const uint8_t *p, size_t n, struct tpdu *t, size_t *used,
                             size_t *err_off);

/* Encode TPKT + TPDU into out[0..cap).  Returns the number of octets written,
 * or 0 if cap is too small or t breaks a limit of the format (data over 32/64/16,
 * CR over 128 octets, TSAP over 32, LI over 254). */
size_t tpdu_encode(const struct tpdu *t, uint8_t *out, size_t cap);

/* Header of a DT carrying data_len octets, so user data can go out with writev
 * and no copy: writes TPKT + DT header into hdr (TPDU_DT_HDR_MAX octets) and
 * returns its length (7 or 9), or 0 if data_len is over the class maximum.
 * class_2 selects the LI 4 format with dst_ref. */
size_t tpdu_encode_dt_header(bool class_2, uint16_t dst_ref, bool eot, size_t data_len,
                             uint8_t hdr[TPDU_DT_HDR_MAX]);

/* The TPDU size in octets for a size code (7..16), 0 if the code is invalid. */
uint32_t tpdu_size_from_code(uint8_t code);

/* "CR", "DT", ... for logs and tools; "?" for an unknown code. */
const char *tpdu_code_name(uint8_t code);

/* Name of a DR reason ("normal", "protocol error", ...) or NULL if not listed. */
const char *tpdu_dr_reason_name(uint8_t reason);

#endif
