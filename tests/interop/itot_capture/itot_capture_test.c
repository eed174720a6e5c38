/* SPDX-License-Identifier: MIT */
/* itot on the wire: a small exchange (20 TSDUs each way, several of them
 * segmented) is captured with tshark on lo and decoded as TPKT/COTP; Wireshark's
 * independent dissector must understand every TPDU and show the connect data,
 * the DR reason 128 and the 64 octets of disconnect data (clauses C1, C3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "capture.h"
#include "decode_check.h"
#include "itot_loopback/xchg.h"

#define CAP_TSDUS 20u
#define CAP_MAX_TSDU 200000u /* beyond any TPDU size: the first TSDU is segmented */

static int setup(void **state)
{
    (void)state;
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d);
}

static int teardown(void **state)
{
    (void)state;
    return WSACleanup();
}

static void show_excerpt(const char *text, const char *anchor)
{
    const char *p = strstr(text, anchor);
    if (p)
        print_message("%.1500s\n", p > text + 400 ? p - 400 : text);
}

static void capture_and_check(int itot_class, uint64_t seed)
{
    char err[512] = "";
    SOCKET l;
    uint16_t port;
    if (xchg_listen(AF_INET, &l, &port, err, sizeof err) != 0)
        fail_msg("%s", err);

    char path[512], port_map[64];
    snprintf(path, sizeof path, "%s/itot_class%d.pcapng", CAPTURE_DIR, itot_class);
    struct capture cap;
    if (capture_start(&cap, port, path, err, sizeof err) != 0) {
        closesocket(l);
        fail_msg("%s", err);
    }

    struct xchg_cfg cfg = {
        .family = AF_INET,
        .itot_class = itot_class,
        .ntsdu = CAP_TSDUS,
        .max_tsdu = CAP_MAX_TSDU,
        .seed = seed,
        .listener = l,
        .check_msgsize = true,
        .check_small_buf = true,
    };
    struct xchg_result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    xchg_run(&cfg, res);
    closesocket(l);
    int stopped = capture_stop(&cap, err, sizeof err);
    if (res->err[0])
        fail_msg("exchange on port %u: %s", port, res->err);
    if (stopped != 0)
        fail_msg("%s", err);
    assert_int_equal(res->c2s_verified, CAP_TSDUS);
    assert_int_equal(res->s2c_verified, CAP_TSDUS);
    assert_true(res->disc_data_ok);
    free(res);

    snprintf(port_map, sizeof port_map, "tcp.port==%u,tpkt", port);
    /* The TSDUs are random octets: without these options tshark hands them to
     * the OSI upper-layer heuristics (seen: "Internal error, zero-byte MMS
     * PDU"), whose verdicts say nothing about the transport.  On a multi-CPU
     * loopback the capture sometimes taps a segment before the one that
     * precedes it in the stream (seen: "Previous segment(s) not captured" then
     * "Out-Of-Order" 6 us later); tshark only reassembles TPKTs across that
     * with tcp.reassemble_out_of_order. */
    char *argv[] = {"tshark",
                    "-r",
                    path,
                    "-d",
                    port_map,
                    "--disable-heuristic",
                    "t125_cotp",
                    "--disable-heuristic",
                    "smb_cotp",
                    "--disable-heuristic",
                    "mms_cotp",
                    "--disable-heuristic",
                    "s7comm_cotp",
                    "--disable-heuristic",
                    "hi_cotp",
                    "--disable-protocol",
                    "ses",
                    "--disable-protocol",
                    "pres",
                    "--disable-protocol",
                    "mms",
                    "--disable-protocol",
                    "s7comm",
                    "--disable-protocol",
                    "t125",
                    "--disable-protocol",
                    "atn-ulcs",
                    "-o",
                    "tcp.reassemble_out_of_order:TRUE",
                    "-V",
                    NULL};
    char *text = NULL;
    size_t len = 0;
    int st = capture_run(argv, &text, &len);
    if (st != 0)
        fail_msg("tshark -r %s exited with %d", path, st);

    /* Keep the decoded text next to the capture, for a person to read. */
    char txt[520];
    snprintf(txt, sizeof txt, "%s.txt", path);
    FILE *f = fopen(txt, "w");
    if (f) {
        fwrite(text, 1, len, f);
        fclose(f);
    }

    uint8_t caller[XCHG_CONN_DATA_LEN], callee[XCHG_CONN_DATA_LEN], disc[XCHG_DISC_DATA_LEN];
    xchg_data(seed, caller, callee, disc);
    char cr_data[128], cc_data[128], dr_data[200], cls[32];
    dc_data_line(caller, sizeof caller, cr_data, sizeof cr_data);
    dc_data_line(callee, sizeof callee, cc_data, sizeof cc_data);
    dc_data_line(disc, sizeof disc, dr_data, sizeof dr_data);
    snprintf(cls, sizeof cls, "= Class: %d\n", itot_class);

    print_message("class %d: %s (%zu octets of decoded text)\n", itot_class, txt, len);
    size_t malformed = dc_count_ci(text, "malformed");
    if (malformed) {
        show_excerpt(text, "alformed");
        fail_msg("tshark: %zu \"Malformed\" in the decoded capture", malformed);
    }
    /* No Warning/Error expert item outside TCP: nothing about TPKT or COTP.
     * TCP's own (back-pressure, spurious retransmissions on a loaded machine)
     * are logged; lost data would fail the TPDU counts below instead. */
    struct dc_expert ex;
    dc_expert_scan(text, &ex);
    assert_int_equal(ex.total, dc_count(text, "Severity level: Warn") +
                                   dc_count(text, "Severity level: Error"));
    print_message("expert Warn/Error items: %zu in TCP (first: %s), %zu elsewhere\n", ex.tcp,
                  ex.tcp ? ex.first_tcp : "-", ex.bad);
    if (ex.bad) {
        show_excerpt(text, ex.first_bad);
        fail_msg("tshark: %zu warning/error expert items, first: %s", ex.bad, ex.first_bad);
    }
    /* Exactly one CR and one CC, each of the class asked for, each with its 32 octets. */
    assert_int_equal(dc_count(text, "PDU Type: CR Connect Request"), 1);
    assert_int_equal(dc_count(text, "PDU Type: CC Connect Confirm"), 1);
    assert_int_equal(dc_frames_with(text, "PDU Type: CR Connect Request", cls), 1);
    assert_int_equal(dc_frames_with(text, "PDU Type: CC Connect Confirm", cls), 1);
    if (dc_frames_with(text, "PDU Type: CR Connect Request", cr_data) != 1) {
        show_excerpt(text, "PDU Type: CR Connect Request");
        fail_msg("the CR does not carry the caller data %s", cr_data);
    }
    if (dc_frames_with(text, "PDU Type: CC Connect Confirm", cc_data) != 1) {
        show_excerpt(text, "PDU Type: CC Connect Confirm");
        fail_msg("the CC does not carry the callee data %s", cc_data);
    }
    /* Every TSDU is one DT with EOT; the big ones are segmented (EOT=0 first). */
    assert_int_equal(dc_count(text, "Last data unit: Yes"), 2 * CAP_TSDUS);
    assert_true(dc_count(text, "Last data unit: No") > 0);
    /* One DR: reason 128 and exactly the 64 octets. */
    assert_int_equal(dc_count(text, "PDU Type: DR Disconnect Request"), 1);
    if (dc_frames_with(text, "PDU Type: DR Disconnect Request", "Cause: Normal Disconnect (128)") !=
        1) {
        show_excerpt(text, "PDU Type: DR Disconnect Request");
        fail_msg("the DR does not show reason 128 (\"Normal Disconnect\")");
    }
    int dr_ok = dc_frames_with(text, "PDU Type: DR Disconnect Request", "Data (64 bytes)") == 1;
    for (size_t row = 0; row < XCHG_DISC_DATA_LEN / 16; row++) {
        char dump[96];
        dc_hex_row(disc, sizeof disc, row, dump, sizeof dump);
        dr_ok = dr_ok && dc_frames_with(text, "PDU Type: DR Disconnect Request", dump) == 1;
    }
    if (!dr_ok) {
        show_excerpt(text, "PDU Type: DR Disconnect Request");
        fail_msg("the DR does not carry the 64 octets %s", dr_data);
    }
    /* Class 2 releases explicitly (DR answered by DC); class 0 has no DC. */
    assert_int_equal(dc_count(text, "PDU Type: DC Disconnect Confirm"), itot_class == 2 ? 1 : 0);
    free(text);
}

static void sd_c1_c3_itot_capture_class0(void **state)
{
    (void)state;
    capture_and_check(0, 0xCA970);
}

static void sd_c1_c3_itot_capture_class2(void **state)
{
    (void)state;
    capture_and_check(2, 0xCA972);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sd_c1_c3_itot_capture_class0),
        cmocka_unit_test(sd_c1_c3_itot_capture_class2),
    };
    return cmocka_run_group_tests_name("itot_capture", tests, setup, teardown);
}
