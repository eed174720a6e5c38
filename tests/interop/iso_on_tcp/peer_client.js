// SPDX-License-Identifier: MIT
'use strict';
// iso-on-tcp as the INITIATOR, against wsp's itot listener (class 0):
//   connect (CR/CC with TSAPs 0x0100/0x0102), send N messages, receive M
//   messages and check them, then disconnect with a DR carrying reason 128 and
//   64 octets of user data, then close TCP.
// iso-on-tcp's client.close() sends a DR without user data (reason 0, both
// references 0), so the DR is built with the package's public serializer.
// With --plain-close 1 it disconnects with the package's own client.close().
// Usage: node peer_client.js --host 127.0.0.1 --port N --send N --recv M [--plain-close 1]
const net = require('net');
const isoontcp = require('iso-on-tcp');
const { TPDU_SIZE, message, discData, report, args } = require('./peer_common.js');

const a = args();
const nSend = parseInt(a.send || '7'), nRecv = parseInt(a.recv || '7');
let received = 0, failed = false;

function fail(what) {
    if (failed) return;
    failed = true;
    report({ event: 'error', what: String(what) });
    process.exitCode = 1;
    client.stream.destroy();
}

// What isoontcp.createConnection() does, spelled out so the TSAPs and the TPDU
// size are ours.
const sock = net.createConnection(parseInt(a.port), a.host || '127.0.0.1', () => client.connect());
const client = new isoontcp.ISOOnTCPClient(sock, { srcTSAP: 0x0100, dstTSAP: 0x0102, tpduSize: TPDU_SIZE });
client.on('error', fail);
client.on('raw-message', m => report({ event: 'tpdu', type: m.type, len: m.payload.length }));
client.on('connect', () => {
    report({ event: 'connected', tpdu: client.negotiatedTpduSize,
             src: client.sourceReference, dst: client.destinationReference });
    for (let i = 0; i < nSend; i++) client.write(message(1, i));
    if (nRecv === 0) disconnect();
});
client.on('message', m => {
    const want = message(2, received);
    if (!want.equals(m.payload)) return fail(`message ${received}: ${m.payload.length} octets, expected ${want.length}`);
    received++;
    if (received === nRecv) disconnect();
});
client.on('close', () => {
    report({ event: 'closed', received });
    if (!failed && received !== nRecv) { process.exitCode = 1; report({ event: 'error', what: 'closed early' }); }
});

function disconnect() {
    report({ event: 'received-all', received });
    if (a['plain-close'] === '1') { // the package's own DR: reason 0, references 0, no data
        client.close();
        report({ event: 'dr-sent', plain: true });
        return;
    }
    const ser = new isoontcp.ISOOnTCPSerializer();
    ser.on('data', buf => {
        client.stream.end(buf); // class 0: DR, then close TCP
        report({ event: 'dr-sent', hex: buf.toString('hex') });
    });
    ser.write({ type: isoontcp.constants.tpdu_type.DR, destination: client.destinationReference,
                source: client.sourceReference, reason: 128, payload: discData() });
}
