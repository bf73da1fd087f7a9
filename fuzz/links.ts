/**
 * The two carriers of a fuzzing flow: a WebSocket to the Worker (subprotocol `sip`), and a UDP socket whose
 * datagrams go through the bridge (one source address = one bridge flow = one FlowObject).
 * @module
 */
import { createSocket, type Socket } from 'node:dgram';
import WebSocket from 'ws';
import type { Link } from './flow.js';
import type { Framing } from './mutate.js';

/** A WebSocket link. Close codes are those the server sent (or 1006 when the connection just dropped). */
export class WsLink implements Link {
  onData: (b: Buffer) => void = () => undefined;
  /** True once we closed it ourselves (its close is not counted). */
  ours = false;
  readonly closed: Promise<number>;

  private constructor(private readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onData(isBinary ? data : Buffer.from(data)));
  }

  /**
   * Open a connection (rejects after `timeoutMs`), from `ip` as far as the Worker knows: locally the client's
   * `CF-Connecting-IP` reaches it (in production Cloudflare sets it), so each flow can have an address of its own.
   */
  static open(url: string, ip: string, timeoutMs = 15_000): Promise<WsLink> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'sip', { perMessageDeflate: false, handshakeTimeout: timeoutMs, maxPayload: 4 << 20, skipUTF8Validation: true, headers: { 'cf-connecting-ip': ip } });
      // Keep an error listener for good: a reset later must not become an uncaught error.
      ws.on('error', (e) => reject(e));
      ws.once('open', () => (ws.protocol === 'sip' ? resolve(new WsLink(ws)) : reject(new Error(`subprotocol ${ws.protocol}`))));
    });
  }

  send(bytes: Buffer, framing: Framing): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // A text frame carries the bytes as they are, even when they are not UTF-8 (`bad-utf8-text`).
    this.ws.send(bytes, { binary: framing === 'binary' });
  }

  isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes queued in the socket, not yet written. */
  buffered(): number {
    return this.ws.bufferedAmount;
  }

  /**
   * Once the server has closed (or is closing) the connection: wait up to 2 s for the TCP close, then drop it,
   * keeping the code the server sent (`ws` waits 30 s otherwise).
   */
  async settle(): Promise<number> {
    if (this.ws.readyState === WebSocket.OPEN) return 0;
    const t = setTimeout(() => this.ws.terminate(), 2_000);
    const code = await this.closed;
    clearTimeout(t);
    return code;
  }

  /** Close it ourselves; resolves when closed (terminated after 3 s). */
  async close(): Promise<void> {
    this.ours = true;
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const t = setTimeout(() => this.ws.terminate(), 3_000);
    this.ws.close(1000, 'fuzzing done');
    await this.closed;
    clearTimeout(t);
  }
}

/** A UDP socket on 127.0.0.`host` sending to the bridge. */
export class UdpLink implements Link {
  onData: (b: Buffer) => void = () => undefined;
  readonly closed = new Promise<number>(() => undefined);
  sendErrors = 0;
  private open = true;

  private constructor(private readonly socket: Socket, readonly address: string, readonly port: number, private readonly bridgePort: number) {
    socket.on('message', (b) => this.onData(b));
    socket.on('error', () => this.sendErrors++);
  }

  static async open(address: string, bridgePort: number): Promise<UdpLink> {
    const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, address, () => resolve());
    });
    return new UdpLink(s, address, s.address().port, bridgePort);
  }

  send(bytes: Buffer): void {
    if (!this.open) return;
    this.socket.send(bytes, this.bridgePort, '127.0.0.1', (err) => {
      if (err) this.sendErrors++;
    });
  }

  isOpen(): boolean {
    return this.open;
  }

  close(): Promise<void> {
    this.open = false;
    return new Promise((r) => this.socket.close(() => r()));
  }
}
