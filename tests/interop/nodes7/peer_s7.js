// SPDX-License-Identifier: MIT
'use strict';
// nodes7 (npm), an S7 PLC client with its own RFC 1006 code, as published:
// it connects to wsp's itot listener (rack 0, slot 2: called TSAP 0x0102),
// gets the CC, and sends its first S7 PDU (setup communication) in a DT.
// wsp answers no S7, so nodes7 never completes; the driver stops it once the
// PDU arrived.  Prints one JSON line per event it reports.
// Usage: node peer_s7.js PORT
const NodeS7 = require('nodes7');
const port = parseInt(process.argv[2]);
const conn = new NodeS7({ silent: true });
conn.initiateConnection({ port, host: '127.0.0.1', rack: 0, slot: 2, timeout: 20000 }, err => {
    process.stdout.write(JSON.stringify({ event: 'connect-callback', err: err ? String(err) : null }) + '\n');
});
