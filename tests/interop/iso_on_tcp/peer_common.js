// SPDX-License-Identifier: MIT
'use strict';
// Shared by the node peers: the messages both sides exchange and a line
// protocol to report to the C driver (one JSON object per stdout line).
// The C side (iso_on_tcp_test.c) builds the same messages.

// Sizes stay below the negotiated TPDU size minus the 3-octet DT header:
// iso-on-tcp cuts TSDUs into pieces of tpduSize *payload* octets, so a larger
// message would make it send DTs bigger than the negotiated TPDU size.
const TPDU_SIZE = 8192;
const SIZES = [1, 2, 100, 1000, 1021, 4096, 8189];

function message(dir, i) {
    const len = SIZES[i % SIZES.length];
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = (dir * 101 + i * 7 + j * 13) & 0xff;
    return b;
}

function discData() {
    const b = Buffer.alloc(64);
    for (let j = 0; j < 64; j++) b[j] = (0xd5 + j * 3) & 0xff;
    return b;
}

function report(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

function args() {
    const out = {};
    const a = process.argv.slice(2);
    for (let i = 0; i + 1 < a.length; i += 2) out[a[i].replace(/^--/, '')] = a[i + 1];
    return out;
}

module.exports = { TPDU_SIZE, SIZES, message, discData, report, args };
