/**
 * The bridge's HEPv3 copies (`--hep`) against a UDP collector that decodes them with the project's own decoder
 * (src/hep/hep3.ts): every SIP message a device sends or is sent is copied once, a UDP datagram as protocol 17
 * and a message on a TCP connection as protocol 6, between the device's address and the bridge's (its UDP port,
 * or its TCP listener); CRLF keep-alives are not copied.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeHep3, type HepPacket } from '../../src/hep/hep3.js';
import { startBridge, type Bridge } from '../../udp-bridge/src/bridge.js';
import { Device, FakeWorker, settle, testConfig, waitFor } from './harness.js';
import { register, response } from './sip-vectors.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A HEP collector on a free UDP port: the packets it decoded, in arrival order. */
async function collector(): Promise<{ port: number; packets: HepPacket[]; text(p: HepPacket): string }> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  cleanup.push(() => socket.close());
  const packets: HepPacket[] = [];
  socket.on('message', (raw) => {
    const d = decodeHep3(new Uint8Array(raw));
    if (d.ok) packets.push(d.value.packet);
  });
  return { port: socket.address().port, packets, text: (p) => Buffer.from(p.payload).toString('latin1') };
}

/** A bridge copying to `hepPort`, whose Worker answers every message it gets with `answer`. */
async function rig(hepPort: number, answer: string): Promise<{ bridge: Bridge; udpPort: number; tcpPort: number }> {
  const worker = await new FakeWorker().start();
  cleanup.push(() => worker.stop());
  worker.onMessage = (conn) => conn.ws.send(answer);
  const bridge = await startBridge(testConfig(worker, { hep: { host: '127.0.0.1', port: hepPort, captureId: 7, authKey: 'k' } }));
  cleanup.push(() => bridge.close());
  return { bridge, udpPort: bridge.address().port, tcpPort: bridge.tcpAddress()!.port };
}

const tcp = (msg: string) => msg.replace('SIP/2.0/UDP', 'SIP/2.0/TCP');

describe('HEP copies from the bridge', () => {
  it('copies what a TCP device sends and is written, as TCP between the device and the TCP listener; not its CRLF pings', async () => {
    const hep = await collector();
    const ok = response(200, 'OK', 'z9hG4bKh1', 'REGISTER');
    const { tcpPort } = await rig(hep.port, ok);
    const cam = connect({ port: tcpPort, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => cam.once('connect', resolve).once('error', reject));
    cleanup.push(() => cam.destroy());
    let got = '';
    cam.on('data', (d: Buffer) => (got += d.toString('latin1')));
    cam.write('\r\n\r\n' + tcp(register('z9hG4bKh1')));
    await waitFor(() => got.includes('SIP/2.0 200 OK') && hep.packets.length >= 2, 'the pong, the 200 and two copies');
    await settle(100);
    const device = { ip: '127.0.0.1', port: cam.localPort! };
    const bridgeSide = { ip: '127.0.0.1', port: tcpPort };
    expect(hep.packets.map((p) => [p.srcPort === device.port ? 'in' : 'out', hep.text(p)])).toEqual([['in', tcp(register('z9hG4bKh1'))], ['out', ok]]);
    const [inbound, outbound] = hep.packets as [HepPacket, HepPacket];
    expect(inbound).toMatchObject({ protocol: 6, family: 'IPv4', srcIp: device.ip, srcPort: device.port, dstIp: bridgeSide.ip, dstPort: bridgeSide.port, captureId: 7, authKey: 'k', protoType: 1 });
    expect(outbound).toMatchObject({ protocol: 6, srcIp: bridgeSide.ip, srcPort: bridgeSide.port, dstIp: device.ip, dstPort: device.port });
  });

  it('copies a UDP device\'s datagrams as UDP between the device and the bridge\'s UDP port', async () => {
    const hep = await collector();
    const ok = response(200, 'OK', 'z9hG4bKh2', 'REGISTER');
    const { udpPort } = await rig(hep.port, ok);
    const dev = await Device.open();
    cleanup.push(() => dev.close());
    await dev.send('\r\n\r\n', udpPort);
    await dev.send(register('z9hG4bKh2'), udpPort);
    await waitFor(() => hep.packets.length >= 2, 'two copies');
    await settle(100);
    expect(hep.packets.map((p) => [p.protocol, p.srcPort, p.dstPort, hep.text(p)])).toEqual([
      [17, dev.port, udpPort, register('z9hG4bKh2')],
      [17, udpPort, dev.port, ok],
    ]);
  });
});
