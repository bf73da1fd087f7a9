/**
 * A simulated GB/T 28181 camera on a plain UDP socket, for end-to-end tests that need a device to hold
 * dialogs (SIPp scenarios cannot easily answer an unknown number of refreshes): it registers through the
 * real udp-bridge with MD5 digest, answers every request from the platform with 200 (a SUBSCRIBE with its
 * `Expires` echoed and a To tag of its own), keeps what it received, and sends NOTIFYs in a subscription's
 * dialog and MESSAGEs to the platform.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { computeDigestResponse, computeHA1 } from '../../../src/auth/digest.js';
import { parseChallenge } from '../../../src/sip/auth-header.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parse.js';
import { GB_PASSWORD, PLATFORM, REALM } from './gb-kit.js';

const token = () => randomBytes(6).toString('hex');

/** The tag parameter of a From/To value. */
export function tagOf(value: string | undefined): string {
  return /;\s*tag=([^;\s]+)/.exec(value ?? '')?.[1] ?? '';
}

/** A MANSCDP `Notify` body (UTF-8 prolog, CRLF line ends). */
export function notifyBody(cmdType: string, sn: number, deviceId: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\r\n<Notify>\r\n<CmdType>${cmdType}</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${deviceId}</DeviceID>\r\n${inner}</Notify>\r\n`;
}

/** The camera. */
export class UdpCamera {
  /** Requests the platform sent, in arrival order. */
  readonly requests: SipRequest[] = [];
  readonly #responses: SipResponse[] = [];
  readonly #waiters = new Set<() => void>();
  readonly tag = token();
  #cseq = 1;

  private constructor(private readonly socket: Socket, readonly port: number, readonly id: string, readonly bridgePort: number) {
    socket.on('message', (raw) => {
      const p = parseMessage(new Uint8Array(raw));
      if (!p.ok) return;
      const m: SipMessage = p.value;
      if (m.type === 'request') {
        this.requests.push(m);
        if (m.method !== 'ACK') void this.send(this.#ok(m));
      } else this.#responses.push(m);
      for (const w of [...this.#waiters]) w();
    });
  }

  static async open(id: string, bridgePort: number): Promise<UdpCamera> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    return new UdpCamera(socket, socket.address().port, id, bridgePort);
  }

  send(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(Buffer.from(text, 'utf8'), this.bridgePort, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  /** Resolve with the first `pick(...)` result that is not undefined, re-checked on every datagram; reject after `ms`. */
  #until<T>(pick: () => T | undefined, label: string, ms = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = pick();
        if (v === undefined) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`camera ${this.id}: no ${label} within ${ms} ms; received ${this.requests.map((r) => `${r.method} ${r.headers.get('cseq')}`).join(', ')}`));
      }, ms);
      this.#waiters.add(check);
      check();
    });
  }

  /** The `n`-th (0-based) request matching `pred`, once it has arrived. */
  request(pred: (r: SipRequest) => boolean, label: string, n = 0, ms?: number): Promise<SipRequest> {
    return this.#until(() => this.requests.filter(pred)[n], label, ms);
  }

  /** Send a request and wait for its final response (matched on Call-ID and CSeq). */
  async transact(text: string): Promise<SipResponse> {
    const callId = /^Call-ID: (.*)$/m.exec(text)![1]!.trim();
    const cseq = /^CSeq: (.*)$/m.exec(text)![1]!.trim();
    await this.send(text);
    return this.#until(() => this.#responses.find((r) => r.status >= 200 && r.headers.get('call-id') === callId && r.headers.get('cseq') === cseq), `response to ${cseq}`);
  }

  /** A request from the camera to the platform. */
  text(method: string, o: { callId?: string; fromTag?: string; to?: string; cseq?: number; headers?: string[]; body?: string } = {}): string {
    const body = o.body ?? '';
    return [
      `${method} sip:${PLATFORM}@${REALM} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};rport;branch=z9hG4bK${token()}`,
      `From: <sip:${this.id}@${REALM}>;tag=${o.fromTag ?? this.tag}`,
      `To: ${o.to ?? `<sip:${method === 'REGISTER' ? this.id : PLATFORM}@${REALM}>`}`,
      `Call-ID: ${o.callId ?? `${method.toLowerCase()}-${this.id}@127.0.0.1`}`,
      `CSeq: ${o.cseq ?? this.#cseq++} ${method}`,
      `Contact: <sip:${this.id}@127.0.0.1:${this.port}>`,
      'Max-Forwards: 70',
      'User-Agent: e2e GB camera',
      ...(o.headers ?? []),
      ...(body ? ['Content-Type: Application/MANSCDP+xml'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  }

  /** REGISTER → 401 → REGISTER with digest (uri: the platform's URI, as cameras send it); the final status. */
  async register(expires = 3600): Promise<number> {
    const callId = `reg-${this.id}@127.0.0.1`;
    const first = await this.transact(this.text('REGISTER', { callId, headers: [`Expires: ${expires}`] }));
    if (first.status !== 401) return first.status;
    const ch = parseChallenge(first.headers.get('www-authenticate')!);
    if (!ch.ok) throw new Error(ch.error);
    const uri = `sip:${PLATFORM}@${REALM}`;
    const ha1 = computeHA1('MD5', this.id, REALM, GB_PASSWORD);
    const response = computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri, nonce: ch.value.nonce, qop: null });
    const auth = `Digest username="${this.id}", realm="${REALM}", nonce="${ch.value.nonce}", uri="${uri}", response="${response}", algorithm=MD5`;
    return (await this.transact(this.text('REGISTER', { callId, headers: [`Expires: ${expires}`, `Authorization: ${auth}`] }))).status;
  }

  /** A NOTIFY in the dialog of SUBSCRIBE `sub`. */
  notify(sub: SipRequest, o: { cseq: number; body?: string; state?: string; callId?: string }): Promise<SipResponse> {
    return this.transact(this.text('NOTIFY', {
      callId: o.callId ?? sub.headers.get('call-id')!, to: `<sip:${PLATFORM}@${REALM}>;tag=${tagOf(sub.headers.get('from'))}`, cseq: o.cseq,
      headers: [`Event: ${sub.headers.get('event')}`, `Subscription-State: ${o.state ?? 'active;expires=50'}`], ...(o.body ? { body: o.body } : {}),
    }));
  }

  /** 200 to a request: headers copied (RFC 3261 §8.2.6.2), our tag added; a SUBSCRIBE's Expires echoed. */
  #ok(req: SipRequest): string {
    const to = req.headers.get('to') ?? '';
    const expires = req.method === 'SUBSCRIBE' ? [`Expires: ${req.headers.get('expires') ?? '3600'}`, `Contact: <sip:${this.id}@127.0.0.1:${this.port}>`] : [];
    return [
      'SIP/2.0 200 OK', ...req.headers.values('via').map((v) => `Via: ${v}`), `From: ${req.headers.get('from')}`,
      `To: ${/;\s*tag=/.test(to) ? to : `${to};tag=${this.tag}`}`, `Call-ID: ${req.headers.get('call-id')}`, `CSeq: ${req.headers.get('cseq')}`,
      ...expires, 'Content-Length: 0', '', '',
    ].join('\r\n');
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}
