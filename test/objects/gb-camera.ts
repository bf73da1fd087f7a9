/**
 * A scripted GB/T 28181 camera on a bridged flow inside workerd, for the subscription specs: it registers
 * with digest, reads what the platform sends (keeping what it is not waiting for), answers, and sends
 * in-dialog NOTIFYs and MESSAGEs to the platform.
 */
import { exports } from 'cloudflare:workers';
import { computeDigestResponse, computeHA1 } from '../../src/auth/digest.js';
import { parseChallenge } from '../../src/sip/auth-header.js';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parse.js';
import { SipTestClient } from '../support/sip-client.js';

export const PLATFORM = '34020000002000000001';
export const REALM = '3402000000';
const PASSWORD = 'test-gb-password';

/** The admin API under `/api/v1/gb28181`. */
export function api(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`http://edge/api/v1/gb28181${path}`, { ...init, headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' } });
}

/** A MANSCDP `Notify` body. */
export function notifyBody(cmdType: string, sn: number, deviceId: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\r\n<Notify>\r\n<CmdType>${cmdType}</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${deviceId}</DeviceID>\r\n${inner}</Notify>\r\n`;
}

let seq = 0;

/** One camera on the bridged flow of `source`. */
export class Camera {
  readonly #c: SipTestClient;
  readonly #held: SipMessage[] = [];
  #cseq = 1;
  /** Its registration's Call-ID: a camera that comes back starts a new one (its CSeq starts again). */
  readonly #reg = `reg-${Date.now().toString(36)}-${++seq}`;

  private constructor(c: SipTestClient, readonly id: string) {
    this.#c = c;
  }

  static async open(id: string, source: string): Promise<Camera> {
    const res = await exports.default.fetch('http://edge/sip', {
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'sip', authorization: 'Bearer test-bridge-token', 'x-bridge-source': source },
    });
    res.webSocket!.accept();
    return new Camera(new SipTestClient(res.webSocket!), id);
  }

  /** The next message matching `pred` (others are kept for later calls). */
  async next<T extends SipMessage>(pred: (m: SipMessage) => m is T, ms = 5000): Promise<T> {
    const i = this.#held.findIndex(pred);
    if (i >= 0) return this.#held.splice(i, 1)[0] as T;
    const end = Date.now() + ms;
    for (;;) {
      const p = parseMessage(await this.#c.next(Math.max(1, end - Date.now())));
      if (!p.ok) throw new Error(`unparseable message: ${p.error}`);
      if (pred(p.value)) return p.value;
      this.#held.push(p.value);
    }
  }

  /** The next request of `method` from the platform. */
  request(method: string, ms?: number): Promise<SipRequest> {
    return this.next((m): m is SipRequest => m.type === 'request' && m.method === method, ms);
  }

  /** Send `text` and wait for the response to it (matched on Call-ID and CSeq). */
  async send(text: string): Promise<SipResponse> {
    const callId = /^Call-ID: (.*)$/m.exec(text)![1]!.trim();
    const cseq = /^CSeq: (.*)$/m.exec(text)![1]!.trim();
    this.#c.send(text);
    return this.next((m): m is SipResponse => m.type === 'response' && m.headers.get('call-id') === callId && m.headers.get('cseq') === cseq);
  }

  /** A request to the platform from the camera. */
  text(method: string, o: { callId?: string; fromTag?: string; to?: string; cseq?: number; headers?: string[]; body?: string } = {}): string {
    const body = o.body ?? '';
    return [
      `${method} sip:${PLATFORM}@${REALM} SIP/2.0`,
      `Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK${this.id.slice(-4)}${method}${++seq}`,
      `From: <sip:${this.id}@${REALM}>;tag=${o.fromTag ?? `t${this.id.slice(-4)}`}`,
      `To: ${o.to ?? `<sip:${method === 'REGISTER' ? this.id : PLATFORM}@${REALM}>`}`,
      `Call-ID: ${o.callId ?? `${method.toLowerCase()}-${this.id}`}`,
      `CSeq: ${o.cseq ?? this.#cseq++} ${method}`,
      `Contact: <sip:${this.id}@192.168.1.64:5060>`,
      'Max-Forwards: 70',
      ...(o.headers ?? []),
      ...(body ? ['Content-Type: Application/MANSCDP+xml'] : []),
      `Content-Length: ${new TextEncoder().encode(body).byteLength}`,
      '',
      body,
    ].join('\r\n');
  }

  /** REGISTER, 401, REGISTER with digest; the final status. */
  async register(): Promise<number> {
    const first = await this.send(this.text('REGISTER', { callId: this.#reg, headers: ['Expires: 3600'] }));
    const ch = parseChallenge(first.headers.get('www-authenticate')!);
    if (!ch.ok) throw new Error(ch.error);
    const uri = `sip:${PLATFORM}@${REALM}`;
    const response = computeDigestResponse({ algorithm: 'MD5', ha1: computeHA1('MD5', this.id, REALM, PASSWORD), method: 'REGISTER', uri, nonce: ch.value.nonce, qop: null });
    const auth = `Digest username="${this.id}", realm="${REALM}", nonce="${ch.value.nonce}", uri="${uri}", response="${response}", algorithm=MD5`;
    return (await this.send(this.text('REGISTER', { callId: this.#reg, headers: ['Expires: 3600', `Authorization: ${auth}`] }))).status;
  }

  /** Answer a request from the platform (To tag `tag`, extra headers). */
  answer(req: SipRequest, status = 200, tag = 'dev1', extra: string[] = []): void {
    const to = req.headers.get('to')!;
    this.#c.send([
      `SIP/2.0 ${status} ${status === 200 ? 'OK' : 'Whatever'}`, ...req.headers.values('via').map((v) => `Via: ${v}`), `From: ${req.headers.get('from')}`,
      `To: ${/;tag=/.test(to) ? to : `${to};tag=${tag}`}`, `Call-ID: ${req.headers.get('call-id')}`, `CSeq: ${req.headers.get('cseq')}`, ...extra, 'Content-Length: 0', '', '',
    ].join('\r\n'));
  }

  /** A NOTIFY in the dialog the SUBSCRIBE `sub` created (we answered it with To tag `tag`). */
  notify(sub: SipRequest, o: { cseq: number; state?: string; event?: string; body?: string; tag?: string; callId?: string }): Promise<SipResponse> {
    return this.send(this.text('NOTIFY', {
      callId: o.callId ?? sub.headers.get('call-id')!, fromTag: o.tag ?? 'dev1', to: `<sip:${PLATFORM}@${REALM}>;tag=${tagOf(sub.headers.get('from')!)}`, cseq: o.cseq,
      headers: [`Event: ${o.event ?? sub.headers.get('event')}`, `Subscription-State: ${o.state ?? 'active;expires=3000'}`], ...(o.body ? { body: o.body } : {}),
    }));
  }

  close(code?: number, reason?: string): void {
    this.#c.close(code, reason);
  }
}

/** The tag parameter of a From/To value. */
export function tagOf(value: string): string {
  return /;\s*tag=([^;\s]+)/.exec(value)?.[1] ?? '';
}
