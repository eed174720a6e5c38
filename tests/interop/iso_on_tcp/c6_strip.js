'use strict';
// A transparent Duplex around a TCP socket that removes the parameter
// "additional option selection" (C6) with value 0x00 from incoming CR and CC
// TPDUs, fixing the LI and the TPKT length.  Under RFC 1006 an absent C6 means
// exactly what C6 = 0x00 says (no expedited data), so the TPDU keeps its
// meaning; iso-on-tcp 0.1.0 rejects any parameter but C0/C1/C2, which is the
// only reason this shim exists.  Every other octet passes unchanged, and it
// reports each removal so the test shows it.
const { Duplex } = require('stream');

class C6Strip extends Duplex {
    constructor(sock, onStrip) {
        super();
        this.sock = sock;
        this.onStrip = onStrip || (() => {});
        this.pending = Buffer.alloc(0);
        sock.on('data', d => this._input(d));
        sock.on('end', () => this.push(null));
        sock.on('close', () => this.emit('close'));
        sock.on('error', e => this.destroy(e));
    }

    _input(d) {
        this.pending = Buffer.concat([this.pending, d]);
        while (this.pending.length >= 4) {
            const len = this.pending.readUInt16BE(2);
            if (this.pending[0] !== 3 || len < 7) { // not TPKT: pass through untouched
                this.push(this.pending);
                this.pending = Buffer.alloc(0);
                return;
            }
            if (this.pending.length < len) return;
            this.push(this._rewrite(this.pending.subarray(0, len)));
            this.pending = this.pending.subarray(len);
        }
    }

    _rewrite(tpkt) {
        const li = tpkt[4], code = tpkt[5] & 0xf0;
        if ((code !== 0xe0 && code !== 0xd0) || li < 6 || 5 + li > tpkt.length) return tpkt;
        const keep = [tpkt.subarray(0, 4 + 7)]; // TPKT + LI, code, refs, class
        let p = 4 + 7, removed = 0;
        const end = 5 + li;
        while (p + 2 <= end) {
            const plen = tpkt[p + 1];
            if (tpkt[p] === 0xc6 && plen === 1 && tpkt[p + 2] === 0x00) removed += 3;
            else keep.push(tpkt.subarray(p, p + 2 + plen));
            p += 2 + plen;
        }
        if (!removed) return tpkt;
        keep.push(tpkt.subarray(end));
        const out = Buffer.concat(keep);
        out.writeUInt16BE(out.length, 2);
        out[4] = li - removed;
        this.onStrip({ tpdu: code === 0xe0 ? 'CR' : 'CC', before: tpkt.toString('hex'), after: out.toString('hex') });
        return out;
    }

    _read() {}
    _write(chunk, enc, cb) { this.sock.write(chunk, enc, cb); }
    _final(cb) { this.sock.end(); cb(); }
    _destroy(err, cb) { this.sock.destroy(); cb(err); }
}

module.exports = { C6Strip };
