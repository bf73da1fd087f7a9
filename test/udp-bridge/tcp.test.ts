/**
 * The bridge's TCP side (SIP over TCP, RFC 3261 §18.3) against a stand-in Worker: one WebSocket per TCP
 * connection marked `x-bridge-transport: tcp`, messages framed out of the stream whatever its splits, the
 * Worker's messages (responses and its own requests) written back on the same connection and never
 * retransmitted, the connection's end closing the WebSocket with 4001 and a deliberate Worker close ending
 * the connection, CRLF pings answered, framing errors answered 400/413 when they can be and closed, and
 * the per-IP bounds.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../udp-bridge/src/bridge.js';
import type { BridgeConfig } from '../../udp-bridge/src/config.js';
import { closesConnection } from '../../udp-bridge/src/tcp-connection.js';
import { tcpAdvertised, tcpListenAddress } from '../../udp-bridge/src/tcp-listener.js';
import { CONNECTION_CLOSED_CLOSE_CODE, LIVENESS_CLOSE_CODE, livenessFrame } from '../../src/transport/liveness.js';
import { FakeWorker, settle, testConfig, waitFor } from './harness.js';
import { invite, register, response } from './sip-vectors.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(over: Partial<BridgeConfig> = {}): Promise<{ worker: FakeWorker; bridge: Bridge; tcpPort: number }> {
  const worker = await new FakeWorker().start();
  cleanup.push(() => worker.stop());
  const bridge = await startBridge(testConfig(worker, over));
  cleanup.push(() => bridge.close());
  return { worker, bridge, tcpPort: bridge.tcpAddress()?.port ?? 0 };
}

/** A TCP device: what it received (as one string), whether the bridge closed the connection. */
interface TcpDevice {
  socket: Socket;
  port: number;
  received(): string;
  ended(): boolean;
  write(s: string | Buffer): void;
}

async function tcpDevice(port: number, host = '127.0.0.1'): Promise<TcpDevice> {
  const socket = connect({ port, host: '127.0.0.1', localAddress: host });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let got = '';
  let ended = false;
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
  socket.on('close', () => (ended = true));
  socket.on('error', () => undefined);
  cleanup.push(() => socket.destroy());
  return { socket, port: socket.localPort!, received: () => got, ended: () => ended, write: (s) => socket.write(s) };
}

const tcp = (msg: string) => msg.replace('SIP/2.0/UDP', 'SIP/2.0/TCP');

describe('udp-bridge over TCP', () => {
  it('listens on TCP too (the UDP address by default), and can be turned off', async () => {
    const { bridge } = await setup();
    expect(bridge.tcpAddress()).toMatchObject({ host: '127.0.0.1' });
    const off = await setup({ tcpListen: null });
    expect(off.bridge.tcpAddress()).toBeNull();
    expect(tcpListenAddress({ host: '0.0.0.0', port: 5060 }, 'udp', 5060)).toEqual({ host: '0.0.0.0', port: 5060 });
    expect(tcpListenAddress({ host: '127.0.0.1', port: 0 }, 'udp', 40000)).toEqual({ host: '127.0.0.1', port: 0 });
    expect(tcpListenAddress({ host: '0.0.0.0', port: 5060 }, { host: '::', port: 5070 }, 5060)).toEqual({ host: '::', port: 5070 });
    expect(tcpAdvertised('203.0.113.5:5060', 5060, 5060)).toBe('203.0.113.5:5060');
    expect(tcpAdvertised('203.0.113.5:5060', 5060, 5070)).toBe('203.0.113.5:5070');
    expect(tcpAdvertised('[2001:db8::1]:5060', 5060, 5070)).toBe('[2001:db8::1]:5070');
  });

  it('opens one WebSocket per connection marked tcp, and frames a message split into pieces and two pipelined ones', async () => {
    const { worker, bridge, tcpPort } = await setup();
    const cam = await tcpDevice(tcpPort);
    const a = tcp(register('z9hG4bKt1'));
    const b = tcp(register('z9hG4bKt2', { cseq: 2 }));
    cam.write(a.slice(0, 17));
    await settle(50);
    cam.write(a.slice(17) + b);
    await waitFor(() => worker.connections[0]?.messages.length === 2, 'two frames upstream');
    const conn = worker.connections[0]!;
    expect(conn.headers['x-bridge-transport']).toBe('tcp');
    expect(conn.headers['x-bridge-source']).toBe(`127.0.0.1:${cam.port}`);
    expect(conn.headers['x-bridge-advertise']).toBe(`127.0.0.1:${tcpPort}`);
    expect(conn.messages.map((m) => m.data.toString('latin1'))).toEqual([a, b]);
    expect(conn.messages.every((m) => m.isBinary)).toBe(true);
    expect(bridge.tcpConnections()).toBe(1);
    expect(worker.connections).toHaveLength(1);
  });

  it('writes the Worker\'s responses and its own requests back on the connection, and never retransmits them', async () => {
    const { worker, bridge, tcpPort } = await setup();
    worker.onMessage = (conn) => {
      conn.ws.send(response(200, 'OK', 'z9hG4bKr1', 'REGISTER', ['Contact: <sip:c@192.168.1.64;transport=tcp>;expires=3600']));
      conn.ws.send(invite('z9hG4bKplatform'));
    };
    const cam = await tcpDevice(tcpPort);
    cam.write(tcp(register('z9hG4bKr1')));
    await waitFor(() => cam.received().includes('INVITE sip:'), 'the 200 and the platform INVITE on the connection');
    expect(cam.received()).toBe(response(200, 'OK', 'z9hG4bKr1', 'REGISTER', ['Contact: <sip:c@192.168.1.64;transport=tcp>;expires=3600']) + invite('z9hG4bKplatform'));
    // Over UDP the INVITE would be sent again after T1 = 500 ms (Timer A); over TCP it is not (RFC 3261 §17.1.1.2).
    await settle(1_200);
    expect(cam.received().split('INVITE sip:').length - 1).toBe(1);
    expect(bridge.metrics.requestRetransmissions).toBe(0);
    // A repeated request is passed on, not absorbed: a reliable transport does not retransmit.
    cam.write(tcp(register('z9hG4bKr1')));
    await waitFor(() => worker.connections[0]!.messages.length === 2, 'the repeat upstream');
    expect(bridge.metrics.retransmissionsAbsorbed).toBe(0);
  });

  it('answers a CRLFCRLF ping with CRLF and sends nothing upstream', async () => {
    const { worker, bridge, tcpPort } = await setup();
    const cam = await tcpDevice(tcpPort);
    cam.write('\r\n\r\n');
    await waitFor(() => cam.received() === '\r\n', 'the pong');
    cam.write(tcp(register('z9hG4bKk1')) + '\r\n\r\n');
    await waitFor(() => cam.received() === '\r\n\r\n', 'the second pong');
    await waitFor(() => worker.received().length === 1, 'the REGISTER');
    expect(worker.received()[0]).toBe(tcp(register('z9hG4bKk1')));
    expect(bridge.metrics.keepalives).toBe(2);
  });

  it('closes the WebSocket with 4001 when the device closes its connection', async () => {
    const { worker, bridge, tcpPort } = await setup();
    const cam = await tcpDevice(tcpPort);
    cam.write(tcp(register('z9hG4bKc1')));
    await waitFor(() => worker.received().length === 1, 'the REGISTER');
    cam.socket.end();
    await waitFor(() => worker.connections[0]!.closedWith === CONNECTION_CLOSED_CLOSE_CODE, 'the 4001 close');
    expect(worker.connections[0]!.closeReason).toBe('tcp connection closed');
    await waitFor(() => bridge.tcpConnections() === 0, 'the connection out of the table');
    await settle(300);
    expect(worker.connections).toHaveLength(1); // no reconnect for a device that is gone
  });

  it('ends the connection when the Worker closes the WebSocket on purpose, and reconnects when it merely went away', async () => {
    expect([1000, 1008, 4000, 4001].every(closesConnection)).toBe(true);
    expect([1001, 1006, 1011, 1012, 1013].some(closesConnection)).toBe(false);
    const { worker, tcpPort } = await setup();
    const banned = await tcpDevice(tcpPort);
    banned.write(tcp(register('z9hG4bKb1')));
    await waitFor(() => worker.connections.length === 1 && worker.connections[0]!.messages.length === 1, 'the REGISTER');
    worker.connections[0]!.ws.close(1008, 'too many failed authentications');
    await waitFor(() => banned.ended(), 'the TCP connection to end');

    const kept = await tcpDevice(tcpPort);
    kept.write(tcp(register('z9hG4bKb2')));
    await waitFor(() => worker.connections.length === 2 && worker.connections[1]!.messages.length === 1, 'the second device');
    worker.connections[1]!.ws.terminate(); // 1006 at the bridge: the Worker went away
    kept.write(tcp(register('z9hG4bKb3', { cseq: 2 })));
    await waitFor(() => worker.connections.length === 3 && worker.connections[2]!.messages.length >= 1, 'the reconnect with the buffered REGISTER');
    expect(worker.connections[2]!.headers['x-bridge-source']).toBe(`127.0.0.1:${kept.port}`);
    expect(kept.ended()).toBe(false);
  });

  it('closes a device silent past the Worker\'s liveness limit with 4000, and its connection', async () => {
    let t = 1_000_000;
    const worker = await new FakeWorker().start();
    cleanup.push(() => worker.stop());
    const bridge = await startBridge(testConfig(worker), { now: () => t });
    cleanup.push(() => bridge.close());
    worker.onMessage = (conn) => conn.ws.send(livenessFrame(180_000));
    const cam = await tcpDevice(bridge.tcpAddress()!.port);
    cam.write(tcp(register('z9hG4bKl1')));
    await waitFor(() => bridge.metrics.controlFrames.liveness === 1, 'the liveness frame');
    t += 179_000;
    bridge.sweep();
    expect(bridge.tcpConnections()).toBe(1);
    t += 2_000;
    bridge.sweep();
    await waitFor(() => worker.connections[0]!.closedWith === LIVENESS_CLOSE_CODE, 'the 4000 close');
    await waitFor(() => cam.ended(), 'the TCP connection to end');
    expect(bridge.metrics.livenessTimeouts).toBe(1);
  });

  it('answers a request without Content-Length 400 and one too large 413, then closes; garbage just closes', async () => {
    const { worker, bridge, tcpPort } = await setup({ tcpMaxMessageBytes: 2_000 });
    const noLength = await tcpDevice(tcpPort);
    noLength.write(tcp(register('z9hG4bKn1')).replace('Content-Length: 0\r\n', ''));
    await waitFor(() => noLength.ended(), 'the close');
    expect(noLength.received()).toMatch(/^SIP\/2\.0 400 Content-Length required on a stream\r\n/);
    expect(noLength.received()).toContain('branch=z9hG4bKn1');

    const big = await tcpDevice(tcpPort);
    big.write(tcp(register('z9hG4bKn2')).replace('Content-Length: 0', 'Content-Length: 50000'));
    await waitFor(() => big.ended(), 'the close');
    expect(big.received()).toMatch(/^SIP\/2\.0 413 Request Entity Too Large\r\n/);

    const garbage = await tcpDevice(tcpPort);
    garbage.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]));
    await waitFor(() => garbage.ended(), 'the close');
    expect(garbage.received()).toBe('');

    const framedJunk = await tcpDevice(tcpPort);
    framedJunk.write('HELLO there\r\nContent-Length: 0\r\n\r\n');
    await waitFor(() => framedJunk.ended(), 'the close');

    expect(bridge.metrics.tcp.framingErrors).toMatchObject({ no_content_length: 1, body_too_large: 1, not_sip: 1 });
    expect(bridge.metrics.drops.not_sip).toBe(1);
    expect(worker.connections).toHaveLength(0); // nothing SIP arrived: no WebSocket was opened
    await waitFor(() => bridge.tcpConnections() === 0, 'every connection gone');
    const m = bridge.metricsAddress()!;
    const text = await (await fetch(`http://${m.host}:${m.port}/metrics`)).text();
    expect(text).toContain('sip_bridge_tcp_framing_errors_total{reason="no_content_length"} 1');
    expect(text).toContain('sip_bridge_tcp_connections_accepted_total 4');
  });

  it('bounds connections per source IP, leaving room for another IP', async () => {
    const { worker, bridge, tcpPort } = await setup({ maxFlowsPerIp: 3 });
    const many = await Promise.all([1, 2, 3, 4, 5].map(() => tcpDevice(tcpPort)));
    await waitFor(() => many.filter((d) => d.ended()).length === 2, 'two refused');
    expect(bridge.tcpConnections()).toBe(3);
    expect(bridge.metrics.drops.flow_limit_per_ip).toBe(2);
    const other = await tcpDevice(tcpPort, '127.0.0.2');
    other.write(tcp(register('z9hG4bKo1')));
    await waitFor(() => worker.connections.some((c) => c.headers['x-bridge-source'] === `127.0.0.2:${other.port}`), 'the other IP through');
  });

  it('closes an idle connection that holds no registration', async () => {
    const { bridge, tcpPort } = await setup({ idleTimeoutMs: 100 });
    const idle = await tcpDevice(tcpPort);
    await waitFor(() => idle.ended(), 'the idle close', 5_000);
    expect(bridge.tcpConnections()).toBe(0);
  });

  it('closes every connection (WebSockets with 4001) on shutdown', async () => {
    const { worker, bridge, tcpPort } = await setup();
    const cam = await tcpDevice(tcpPort);
    cam.write(tcp(register('z9hG4bKs1')));
    await waitFor(() => worker.received().length === 1, 'the REGISTER');
    await bridge.close();
    await waitFor(() => worker.connections[0]!.closedWith === CONNECTION_CLOSED_CLOSE_CODE && cam.ended(), 'both closed');
  });
});
