/**
 * HEPv3 from the udp-bridge, received by Debian's real `sngrep` (`-L udp:…`, its HEP listener) and written
 * to a pcap: every SIP datagram of a registration, in and out, with the device's and the bridge's addresses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../harness.js';
import { UdpUa, eventually, freeUdpPort, startTestBridge, waitUntilBound, type TestBridge } from './udp-kit.js';

const SNGREP = '/usr/bin/sngrep';

/** One packet of a pcap that sngrep wrote (Ethernet, IPv4, UDP), with its SIP payload. */
interface Captured {
  src: string;
  dst: string;
  sip: string;
}

/** Read the classic pcap format (libpcap, little-endian, link type 1) as sngrep writes it. */
function readPcap(file: string): Captured[] {
  const b = readFileSync(file);
  if (b.length < 24) return [];
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
  expect(b.readUInt32LE(20)).toBe(1); // Ethernet
  const out: Captured[] = [];
  for (let at = 24; at + 16 <= b.length;) {
    const len = b.readUInt32LE(at + 8);
    const frame = b.subarray(at + 16, at + 16 + len);
    at += 16 + len;
    if (frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    const addr = (o: number) => `${[...ip.subarray(o, o + 4)].join('.')}`;
    out.push({ src: `${addr(12)}:${udp.readUInt16BE(0)}`, dst: `${addr(16)}:${udp.readUInt16BE(2)}`, sip: udp.subarray(8).toString('latin1') });
  }
  return out;
}

let svc: Service;
let bridge: TestBridge;
let sngrep: ChildProcess;
let dir: string;
let hepPort: number;

beforeAll(async () => {
  if (!existsSync(SNGREP)) throw new Error(`${SNGREP} is not installed (apt-get install sngrep)`);
  svc = await startService();
  await svc.createUser('hep-udp-1', 'hep-udp-1-secret');
  dir = mkdtempSync(join(tmpdir(), 'edge-sip-hep-'));
  hepPort = await freeUdpPort();
  // -N: no interface, -q: no dialog counts on stdout, -F: no config file; -L: listen for HEP; -O: write a pcap.
  sngrep = spawn(SNGREP, ['-N', '-q', '-F', '-L', `udp:127.0.0.1:${hepPort}`, '-O', join(dir, 'hep.pcap')], { stdio: 'ignore' });
  await waitUntilBound(hepPort);
  bridge = await startTestBridge(svc.ws, { hep: { host: '127.0.0.1', port: hepPort, captureId: 2001, authKey: null } });
});
afterAll(async () => {
  sngrep?.kill('SIGKILL');
  await bridge?.close();
  await svc?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('HEP from the bridge to sngrep', () => {
  it('carries the REGISTER, its 401, the authenticated REGISTER and its 200, each with its addresses', async () => {
    const ua = await UdpUa.open('hep-udp-1', 'hep-udp-1-secret', bridge.port, () => bridge.tail());
    const exchange = await ua.register();
    expect(exchange.response.status, ua.dump()).toBe(200);
    const device = `127.0.0.1:${ua.port}`;
    const us = `127.0.0.1:${bridge.port}`;
    // sngrep writes each packet as it arrives; wait until the four are in the file.
    const pcap = join(dir, 'hep.pcap');
    const mine = () => (existsSync(pcap) ? readPcap(pcap).filter((p) => p.sip.includes(`Call-ID: ${ua.callId}`)) : []);
    await eventually(mine, (m) => m.length >= 4);
    const lines = mine().map((p) => `${p.src} > ${p.dst} ${p.sip.split('\r\n')[0]}`);
    expect(lines).toEqual([
      `${device} > ${us} REGISTER sip:edge-sip.test SIP/2.0`,
      `${us} > ${device} SIP/2.0 401 Unauthorized`,
      `${device} > ${us} REGISTER sip:edge-sip.test SIP/2.0`,
      `${us} > ${device} SIP/2.0 200 OK`,
    ]);
    // The datagrams are carried whole (HEP is for operators' own collectors: credentials included, as on the wire).
    expect(mine()[2]!.sip).toBe(exchange.request.toString('latin1'));
    await ua.close();
  });
});
