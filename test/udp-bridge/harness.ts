/** Test doubles for the bridge integration tests: a fake Worker (ws server) and UDP devices. */

import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { DEFAULT_CONFIG } from '../../udp-bridge/src/config.js';
import type { BridgeConfig } from '../../udp-bridge/src/config.js';
import { startBridge } from '../../udp-bridge/src/bridge.js';
import type { Bridge } from '../../udp-bridge/src/bridge.js';

export const TOKEN = 'test-bridge-token';

/** Poll until `cond` is true (max `ms`), failing with `what`. */
export async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Let the event loop run for a while, to show that something does NOT happen. */
export const settle = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One WebSocket connection the fake Worker accepted. */
export interface Upstream {
  ws: WebSocket;
  headers: IncomingMessage['headers'];
  protocol: string;
  messages: { data: Buffer; isBinary: boolean }[];
  closedWith: number | null;
  /** The reason of the close frame received, once closed. */
  closeReason: string | null;
}

/** A stand-in for the Worker: checks the token, echoes the `sip` subprotocol, records frames. */
export class FakeWorker {
  readonly connections: Upstream[] = [];
  /** Called for each message; lets a test answer like the Worker would. */
  onMessage: (conn: Upstream, data: Buffer) => void = () => {};
  private wss: WebSocketServer | null = null;
  port = 0;

  async start(port = this.port): Promise<this> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port,
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
      verifyClient: ({ req }: { req: IncomingMessage }) => req.headers.authorization === `Bearer ${TOKEN}`,
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    this.port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws, req) => {
      const conn: Upstream = { ws, headers: req.headers, protocol: ws.protocol, messages: [], closedWith: null, closeReason: null };
      this.connections.push(conn);
      ws.on('message', (data, isBinary) => {
        const buf = data as Buffer;
        conn.messages.push({ data: buf, isBinary });
        this.onMessage(conn, buf);
      });
      ws.on('close', (code, reason) => {
        conn.closedWith = code;
        conn.closeReason = reason.toString();
      });
    });
    this.wss = wss;
    return this;
  }

  /** Stop like a redeploy: drop every connection, stop listening. */
  async stop(): Promise<void> {
    const wss = this.wss;
    if (wss === null) return;
    this.wss = null;
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/sip`;
  }

  /** Every message received on every connection, as text. */
  received(): string[] {
    return this.connections.flatMap((c) => c.messages.map((m) => m.data.toString('latin1')));
  }
}

/** A UDP device (on 127.0.0.1 unless told) that records what it receives and from where. */
export class Device {
  readonly inbox: { data: Buffer; from: RemoteInfo }[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (data, from) => this.inbox.push({ data, from }));
  }

  /** A device bound to `host` (any loopback address on Linux: 127.0.0.2 is another source IP). */
  static async open(host = '127.0.0.1'): Promise<Device> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new Device(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: string | Uint8Array, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    this.socket.close();
  }
}

/** A bridge config for tests: loopback, port 0, fast reconnects, metrics on. */
export function testConfig(worker: FakeWorker, over: Partial<BridgeConfig> = {}): BridgeConfig {
  return {
    ...DEFAULT_CONFIG,
    listen: { host: '127.0.0.1', port: 0 },
    upstream: worker.url,
    token: TOKEN,
    metrics: { host: '127.0.0.1', port: 0 },
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    ...over,
  };
}

/** A fake Worker and a bridge whose clock the test moves by hand; only the sockets are real. */
export interface ClockedRig {
  worker: FakeWorker;
  bridge: Bridge;
  port: number;
  /** Move the bridge's clock forward. */
  advance: (ms: number) => void;
}

/** Start a {@link ClockedRig}; what must be stopped after the test goes on `cleanup`. */
export async function clockedRig(cleanup: (() => unknown)[], over: Partial<BridgeConfig> = {}): Promise<ClockedRig> {
  let t = 1_700_000_000_000;
  const worker = await new FakeWorker().start();
  cleanup.push(() => worker.stop());
  const bridge = await startBridge(testConfig(worker, over), { now: () => t });
  cleanup.push(() => bridge.close());
  return { worker, bridge, port: bridge.address().port, advance: (ms) => (t += ms) };
}
