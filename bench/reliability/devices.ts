/**
 * The devices of the soak and capacity scripts: a softphone on a plain WebSocket (JsSIP-shaped REGISTERs, CRLF
 * keep-alives) and a GB/T 28181 camera on its own UDP socket (MD5 digest REGISTER, Keepalive MESSAGEs,
 * retransmissions as RFC 3261 timer E), each counting what it sent and what came back in a {@link Kind}.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import WebSocket from 'ws';
import { DOMAIN, GB_PASSWORD } from '../../test/e2e/harness.js';
import { parseMessage } from '../../src/sip/parse.js';
import type { SipResponse } from '../../src/sip/message.js';
import { digestAnswer, md5Challenge, GB, gbRequestText, jsSipRegisterText } from '../ledger-sip.js';
import { quantile } from '../stats.js';

const hex = (n: number) => randomBytes(n).toString('hex');

/** Outcomes of one kind of request. */
export class Kind {
  sent = 0;
  answered = 0;
  timeouts = 0;
  /** Answered with another status than expected (status → count). */
  wrong = new Map<number, number>();
  retransmissions = 0;
  latencies: number[] = [];
  get drops(): number {
    let w = 0;
    for (const v of this.wrong.values()) w += v;
    return this.timeouts + w;
  }
  row(name: string): string[] {
    const l = [...this.latencies].sort((a, b) => a - b);
    const wrong = [...this.wrong.entries()].map(([s, n]) => `${s}×${n}`).join(', ') || '0';
    return [name, String(this.sent), String(this.answered), String(this.timeouts), wrong, String(this.retransmissions),
      l.length ? `${quantile(l, 0.5).toFixed(1)} / ${quantile(l, 0.99).toFixed(1)} / ${l.at(-1)!.toFixed(0)}` : '—'];
  }
}
// ---------------------------------------------------------------------------------------------------------
// Phones
// ---------------------------------------------------------------------------------------------------------

/** A softphone on a plain WebSocket, JsSIP-shaped REGISTERs, CRLF keep-alives. */
export class Phone {
  readonly callId = hex(10);
  readonly host = `${hex(6)}.invalid`;
  private cseq = 0;
  private waiters = new Map<string, (r: SipResponse) => void>();
  private pongs: (() => void)[] = [];
  closed = false;

  /** Called when the other side closes the WebSocket (code). */
  onClose: ((code: number) => void) | null = null;

  private constructor(private readonly ws: WebSocket, readonly user: string, readonly password: string) {
    ws.on('message', (data: Buffer, binary: boolean) => {
      const text = binary ? null : data.toString();
      if (text !== null && /^(\r\n)+$/.test(text)) {
        this.pongs.shift()?.();
        return;
      }
      const p = parseMessage(binary ? new Uint8Array(data) : text!);
      if (!p.ok || p.value.type !== 'response' || p.value.status < 200) return;
      const key = `${p.value.headers.get('call-id')}|${p.value.headers.get('cseq')?.split(' ')[0]}`;
      const w = this.waiters.get(key);
      this.waiters.delete(key);
      w?.(p.value);
    });
    ws.on('close', (code) => {
      this.closed = true;
      this.onClose?.(code);
    });
  }

  /** Open a WebSocket (subprotocol `sip`) for `user`, whose password is `password` (default `<user>-secret`). */
  static open(url: string, user: string, password = `${user}-secret`): Promise<Phone> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'sip', { perMessageDeflate: false, handshakeTimeout: 15_000 });
      ws.once('open', () => resolve(new Phone(ws, user, password)));
      ws.on('error', (e) => reject(e));
    });
  }

  private registerText(auth: string | null): { text: string; cseq: number } {
    const cseq = ++this.cseq;
    return {
      cseq,
      text: jsSipRegisterText({ user: this.user, host: this.host, callId: this.callId, cseq, authorization: auth }),
    };
  }

  private send(text: string, cseq: number, ms = 16_000): Promise<SipResponse | null> {
    return new Promise((resolve) => {
      const key = `${this.callId}|${cseq}`;
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        resolve(null);
      }, ms);
      this.waiters.set(key, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.ws.send(text);
    });
  }

  /** REGISTER → 401 → REGISTER with digest → 200, counted in `kind`. */
  async register(kind: Kind): Promise<boolean> {
    kind.sent++;
    const t = performance.now();
    const a = this.registerText(null);
    const first = await this.send(a.text, a.cseq);
    if (first === null) return (kind.timeouts++, false);
    if (first.status !== 401) return (kind.wrong.set(first.status, (kind.wrong.get(first.status) ?? 0) + 1), false);
    const auth = digestAnswer(md5Challenge(first), this.user, this.password, 'REGISTER', `sip:${DOMAIN}`, 1);
    const b = this.registerText(auth);
    const second = await this.send(b.text, b.cseq);
    if (second === null) return (kind.timeouts++, false);
    if (second.status !== 200) return (kind.wrong.set(second.status, (kind.wrong.get(second.status) ?? 0) + 1), false);
    kind.answered++;
    kind.latencies.push(performance.now() - t);
    return true;
  }

  /** `\r\n\r\n` → `\r\n` (the runtime's auto-response). */
  async crlf(kind: Kind): Promise<void> {
    kind.sent++;
    const t = performance.now();
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.pongs = this.pongs.filter((p) => p !== done);
        resolve(false);
      }, 16_000);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.pongs.push(done);
      this.ws.send('\r\n\r\n');
    });
    if (!ok) kind.timeouts++;
    else {
      kind.answered++;
      kind.latencies.push(performance.now() - t);
    }
  }

  close(): void {
    this.ws.terminate();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cameras
// ---------------------------------------------------------------------------------------------------------

/** A GB/T 28181 camera on its own UDP socket, retransmitting as RFC 3261 timer E (T1 = 500 ms). */
export class Camera {
  readonly callId = `reg-${hex(6)}`;
  private cseq = 0;
  private sn = 0;
  private waiters = new Map<string, (r: SipResponse) => void>();
  requestsReceived = 0;

  private constructor(private readonly socket: Socket, readonly id: string, private readonly port: number) {
    socket.on('message', (b) => {
      const p = parseMessage(new Uint8Array(b));
      if (!p.ok) return;
      if (p.value.type === 'request') {
        this.requestsReceived++;
        return;
      }
      if (p.value.status < 200) return;
      const key = `${p.value.headers.get('call-id')}|${p.value.headers.get('cseq')?.split(' ')[0]}`;
      const w = this.waiters.get(key);
      this.waiters.delete(key);
      w?.(p.value);
    });
  }

  /** Bind a socket on 127.0.0.1 talking to the bridge at `bridgePort`. */
  static async open(id: string, bridgePort: number): Promise<Camera> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    socket.connect(bridgePort, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', r));
    return new Camera(socket, id, socket.address().port);
  }

  private text(method: 'REGISTER' | 'MESSAGE', callId: string, cseq: number, extra: string[], body = ''): string {
    return gbRequestText({ method, id: this.id, port: this.port, callId, cseq, extra, body });
  }

  /** Send and retransmit (0.5, 1, 2, 4, 4 … s) until a final response or 16 s. */
  private transact(text: string, callId: string, cseq: number, kind: Kind): Promise<SipResponse | null> {
    return new Promise((resolve) => {
      const key = `${callId}|${cseq}`;
      const t0 = Date.now();
      let interval = 500;
      let timer: NodeJS.Timeout;
      const again = () => {
        if (Date.now() - t0 >= 16_000) {
          this.waiters.delete(key);
          resolve(null);
          return;
        }
        kind.retransmissions++;
        this.socket.send(text);
        interval = Math.min(interval * 2, 4_000);
        timer = setTimeout(again, Math.min(interval, 16_000 - (Date.now() - t0)));
      };
      this.waiters.set(key, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.socket.send(text);
      timer = setTimeout(again, interval);
    });
  }

  private expect(r: SipResponse | null, status: number, kind: Kind): boolean {
    if (r === null) return (kind.timeouts++, false);
    if (r.status !== status) return (kind.wrong.set(r.status, (kind.wrong.get(r.status) ?? 0) + 1), false);
    return true;
  }

  /** REGISTER → 401 → REGISTER with MD5 digest (uri: the platform's) → 200. */
  async register(kind: Kind): Promise<boolean> {
    kind.sent++;
    const t = performance.now();
    const extra = ['Expires: 3600', 'X-GB-Ver: 2.0'];
    let cseq = ++this.cseq;
    const first = await this.transact(this.text('REGISTER', this.callId, cseq, extra), this.callId, cseq, kind);
    if (!this.expect(first, 401, kind)) return false;
    const auth = digestAnswer(md5Challenge(first!), this.id, GB_PASSWORD, 'REGISTER', `sip:${GB.platform}@${GB.realm}`, 1);
    cseq = ++this.cseq;
    const second = await this.transact(this.text('REGISTER', this.callId, cseq, [...extra, `Authorization: ${auth}`]), this.callId, cseq, kind);
    if (!this.expect(second, 200, kind)) return false;
    kind.answered++;
    kind.latencies.push(performance.now() - t);
    return true;
  }

  async keepalive(kind: Kind): Promise<void> {
    kind.sent++;
    const t = performance.now();
    const body = `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${++this.sn}</SN>\r\n<DeviceID>${this.id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`;
    const callId = `ka-${hex(6)}`;
    const r = await this.transact(this.text('MESSAGE', callId, 1, [], body), callId, 1, kind);
    if (this.expect(r, 200, kind)) {
      kind.answered++;
      kind.latencies.push(performance.now() - t);
    }
  }

  close(): void {
    this.socket.close();
  }
}

