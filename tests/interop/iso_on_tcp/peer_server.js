// SPDX-License-Identifier: MIT
'use strict';
// iso-on-tcp as the RESPONDER, for wsp's itot client (class 0).  The package
// has no server: its ISOOnTCPClient answers a received CR with a CC, so each
// accepted TCP socket is wrapped in one.  It receives N messages and checks
// them, sends M messages, and reports the DR it gets (reason, user data) as
// the 'raw-message' event shows it.
// A connection that fails before its CC (iso-on-tcp refuses a CR carrying any
// parameter but C0/C1/C2 and destroys the socket) is reported as
// {"event":"refused-cr"} and the server keeps listening: that is how wsp's
// default CR (class 2 + alternative 0, with C6/C7/F0) meets it, and wsp then
// retries with a plain class 0 CR on a new TCP connection.  The server stops
// listening once one connection is established.
// Usage: node peer_server.js --recv N --send M  (prints {"event":"listening","port":P})
const net = require('net');
const isoontcp = require('iso-on-tcp');
const { TPDU_SIZE, message, report, args } = require('./peer_common.js');

const a = args();
const nRecv = parseInt(a.recv || '7'), nSend = parseInt(a.send || '7');

let established = false;
const server = net.createServer(sock => {
    if (established) { sock.destroy(); return; } // one connection only
    let received = 0, dr = null, connected = false;
    report({ event: 'tcp-accepted' });
    const conn = new isoontcp.ISOOnTCPClient(sock, { srcTSAP: 0x0102, dstTSAP: 0x0100, tpduSize: TPDU_SIZE });
    conn.on('error', e => {
        if (!connected) { report({ event: 'refused-cr', what: String(e) }); return; }
        report({ event: 'error', what: String(e) });
        process.exitCode = 1;
    });
    conn.on('raw-message', m => {
        if (m.type === isoontcp.constants.tpdu_type.CR)
            report({ event: 'cr', class: m.class, srcTSAP: m.srcTSAP, dstTSAP: m.dstTSAP,
                     tpdu_size: m.tpdu_size, data: m.payload.toString('hex') });
        if (m.type === isoontcp.constants.tpdu_type.DR) {
            dr = { event: 'dr', reason: m.reason, data: m.payload.toString('hex') };
            report(dr);
        }
    });
    conn.on('connect', () => {
        connected = established = true;
        server.close();
        report({ event: 'connected', tpdu: conn.negotiatedTpduSize });
    });
    conn.on('message', m => {
        const want = message(1, received);
        if (!want.equals(m.payload)) {
            report({ event: 'error', what: `message ${received}: ${m.payload.length} octets, expected ${want.length}` });
            process.exitCode = 1;
            return;
        }
        received++;
        if (received === nRecv) {
            report({ event: 'received-all', received });
            for (let i = 0; i < nSend; i++) conn.write(message(2, i));
        }
    });
    conn.on('close', () => {
        if (!connected) return; // a refused CR: wait for the next connection
        report({ event: 'closed', received, dr: !!dr });
        if (received !== nRecv || !dr) process.exitCode = 1;
    });
});
server.listen(0, a.host || '127.0.0.1', () => report({ event: 'listening', port: server.address().port }));
