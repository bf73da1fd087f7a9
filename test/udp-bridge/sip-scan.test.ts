/**
 * The bridge's fast paths must agree with the full parser: whenever the byte scanner (or the Via scanner)
 * answers, its answer is what the parser-based path gives. Checked on the RFC 4475/5118 torture corpus,
 * the bridge's own vectors, and seeded mutations of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.js';
import { parseVia, viaBranch } from '../../src/sip/via.js';
import { inspectMessage, scanMessage, summarize } from '../../udp-bridge/src/sip-scan.js';
import { scanVia } from '../../udp-bridge/src/via-identity.js';
import { invite, register, response } from './sip-vectors.js';
import { seeded } from '../../fuzz/prng.js';

const root = join(import.meta.dirname, '../fixtures/conformance');
const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { messages: { file: string; lineEnding: string }[] };

/** The corpus as wire bytes: the RFC 5118 files get CRLF line ends (and keep their LF form too). */
const corpus: Buffer[] = manifest.messages.flatMap((m) => {
  const raw = readFileSync(join(root, m.file));
  if (m.lineEnding !== 'LF') return [raw];
  return [raw, Buffer.from(raw.toString('latin1').replace(/\n/g, '\r\n'), 'latin1')];
});

/** A GB28181 keep-alive: MESSAGE with a GB2312 body, LF-only line ends and compact headers mixed in. */
const gbKeepalive = Buffer.concat([
  Buffer.from('MESSAGE sip:34020000002000000001@3402000000 SIP/2.0\nv: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1\nf: <sip:34020000001320000001@3402000000>;tag=1\nt: <sip:34020000002000000001@3402000000>\ni: k1\nCSeq: 20 MESSAGE\nc: Application/MANSCDP+xml\nl: 8\n\n', 'latin1'),
  Buffer.from([0x3c, 0x41, 0x3e, 0xc9, 0xe3, 0xcf, 0xf1, 0x0a]),
]);

const vectors: Buffer[] = [
  register('z9hG4bKa'),
  register('z9hG4bKb', { port: 5062 }),
  response(200, 'OK', 'z9hG4bKa', 'REGISTER', ['Contact: <sip:a@1.2.3.4>;expires=600, <sip:b@1.2.3.4>;expires=3600', 'm: <sip:c@1.2.3.4>', 'Expires: 60']),
  response(401, 'Unauthorized', 'z9hG4bKa', 'REGISTER', ['WWW-Authenticate: Digest realm="r", nonce="n"']),
  response(100, 'Trying', 'z9hG4bKi', 'INVITE'),
  invite('z9hG4bKi'),
  invite('z9hG4bKi', 'ACK'),
  'OPTIONS sip:cam SIP/2.0\r\nContent-Length: 0\r\n\r\n',
  'SIP/2.0 200\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 MESSAGE\r\n\r\n',
].map((v) => Buffer.from(v, 'latin1')).concat([gbKeepalive]);

/** The reference: what the bridge did before the scanner, with the parser alone. */
function reference(bytes: Buffer): ReturnType<typeof inspectMessage> {
  const parsed = parseMessage(bytes);
  if (parsed.ok) return summarize(parsed.value);
  return parsed.error.request !== undefined ? null : 'not_sip';
}

const INTERESTING = [32, 9, 13, 10, 58, 44, 59, 34, 60, 62, 61, 47, 0, 11, 0x80, 0xc9, 0xff, 65, 122, 48, 57, 91, 93, 126, 127];

/** `count` mutations of `base`: a byte replaced, inserted or removed, or a header name's case flipped. */
function mutations(base: Buffer, count: number, random: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let k = 0; k < count; k++) {
    const b = Buffer.from(base);
    const at = Math.floor(random() * b.length);
    const byte = INTERESTING[Math.floor(random() * INTERESTING.length)]!;
    const op = Math.floor(random() * 4);
    if (op === 0) b[at] = byte;
    else if (op === 1) out.push(Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]));
    else if (op === 2) out.push(Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]));
    else b[at] = b[at]! >= 65 && b[at]! <= 90 ? b[at]! + 32 : b[at]! >= 97 && b[at]! <= 122 ? b[at]! - 32 : b[at]!;
    if (op === 0 || op === 3) out.push(b);
  }
  return out;
}

describe('scanMessage (the bridge reads SIP without a full parse)', () => {
  it('reads the usual forms itself: requests, responses, LF-only lines, compact headers, a GB2312 body', () => {
    for (const v of vectors) expect(scanMessage(v), v.toString('latin1').split('\n')[0]).not.toBeNull();
    expect(scanMessage(vectors[2]!)).toEqual({
      type: 'response', method: '', status: 200,
      topVia: 'SIP/2.0/UDP 192.168.1.64:5060;rport=40000;received=203.0.113.9;branch=z9hG4bKa',
      cseq: '1 REGISTER',
      contacts: ['<sip:a@1.2.3.4>;expires=600, <sip:b@1.2.3.4>;expires=3600', '<sip:c@1.2.3.4>'],
      expires: '60',
    });
    expect(scanMessage(gbKeepalive)).toMatchObject({ type: 'request', method: 'MESSAGE', topVia: 'SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1', cseq: '20 MESSAGE' });
  });

  it('agrees with the parser on every torture-corpus message (or leaves it to the parser)', () => {
    let scanned = 0;
    for (const m of corpus) {
      const fast = scanMessage(m);
      if (fast !== null) scanned++;
      if (fast !== null) expect(fast).toEqual(reference(m));
      expect(inspectMessage(m)).toEqual(reference(m));
    }
    expect(scanned).toBeGreaterThan(10);
  });

  it('agrees with the parser on 40,000 mutated messages', () => {
    const random = seeded(7);
    let scanned = 0;
    let differentKinds = 0;
    for (const base of [...vectors, ...corpus.slice(0, 20)]) {
      for (const m of mutations(base, 1_000, random)) {
        const fast = scanMessage(m);
        const ref = reference(m);
        if (fast !== null) {
          scanned++;
          if (JSON.stringify(fast) !== JSON.stringify(ref)) expect({ message: m.toString('latin1'), fast }).toEqual({ message: m.toString('latin1'), fast: ref });
        } else if (ref === 'not_sip' || ref === null) differentKinds++;
      }
    }
    expect(scanned).toBeGreaterThan(10_000); // the fast path is really exercised
    expect(differentKinds).toBeGreaterThan(100); // and so is the fallback
  });
});

describe('scanVia (transaction identity without the Via parser)', () => {
  const slow = (v: string) => {
    const p = parseVia(v);
    return p.ok ? { branch: viaBranch(p.value), host: p.value.host, port: p.value.port } : null;
  };
  const vias = [
    'SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1',
    'SIP/2.0/UDP Host.Example.COM;branch=z9hG4bKx;received=1.2.3.4',
    'SIP/2.0/WSS abc.invalid;BRANCH=z9hG4bKu;branch=second',
    'SIP/2.0/UDP 10.0.0.1:05060;branch=z9hG4bK-1-2;rport=40000;received=203.0.113.9',
    'sip/2.0/udp h:1;rport;ttl=1;maddr=239.255.255.1;branch=z9hG4bK~!%*_+`\'',
    'SIP/2.0/UDP h;branch',
  ];

  it('reads plain Vias itself and agrees with the parser', () => {
    for (const v of vias) {
      expect(scanVia(v), v).toBeDefined();
      expect(scanVia(v), v).toEqual(slow(v));
    }
  });

  it('agrees with the parser on 60,000 mutated Vias', () => {
    const random = seeded(11);
    let scanned = 0;
    for (const base of vias) {
      for (const m of mutations(Buffer.from(base, 'latin1'), 10_000, random)) {
        const v = m.toString('latin1');
        const fast = scanVia(v);
        if (fast === undefined) continue;
        scanned++;
        if (JSON.stringify(fast) !== JSON.stringify(slow(v))) expect({ v, fast }).toEqual({ v, fast: slow(v) });
      }
    }
    expect(scanned).toBeGreaterThan(10_000);
  });
});
