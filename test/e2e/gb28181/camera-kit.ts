/**
 * A simulated GB/T 28181 camera on a plain UDP socket, for end-to-end tests that need a device to hold
 * dialogs (SIPp scenarios cannot easily answer an unknown number of refreshes): it registers through the
 * real udp-bridge with MD5 digest, answers every request from the platform with 200 (a SUBSCRIBE with its
 * `Expires` echoed and a To tag of its own), keeps what it received, and sends NOTIFYs in a subscription's
 * dialog and MESSAGEs to the platform.
 */
import { randomBytes } from 'node:crypto';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parse.js';
import { PLATFORM, REALM } from './gb-kit.js';
import { answer, CameraLink, cameraRequest, digestRegister, type Received } from './camera-link.js';

const token = () => randomBytes(6).toString('hex');

/** The tag parameter of a From/To value. */
export function tagOf(value: string | undefined): string {
  return /;\s*tag=([^;\s]+)/.exec(value ?? '')?.[1] ?? '';
}

/** A MANSCDP `Notify` body (UTF-8 prolog, CRLF line ends). */
export function notifyBody(cmdType: string, sn: number, deviceId: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\r\n<Notify>\r\n<CmdType>${cmdType}</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${deviceId}</DeviceID>\r\n${inner}</Notify>\r\n`;
}

const parsed = (r: Received): SipMessage | null => {
  const p = parseMessage(Buffer.from(r.text, 'latin1'));
  return p.ok ? p.value : null;
};

/** The camera. */
export class UdpCamera {
  /** Requests the platform sent, in arrival order. */
  readonly requests: SipRequest[] = [];
  readonly #waiters = new Set<() => void>();
  readonly tag = token();
  #cseq = 1;

  private constructor(readonly link: CameraLink, readonly id: string) {
    link.onMessage = (r) => {
      const m = parsed(r);
      if (m?.type !== 'request') return;
      this.requests.push(m);
      if (m.method !== 'ACK') this.send(this.#ok(r));
      for (const w of [...this.#waiters]) w();
    };
  }

  static async open(id: string, bridgePort: number): Promise<UdpCamera> {
    return new UdpCamera(await CameraLink.udp(bridgePort), id);
  }

  get port(): number {
    return this.link.port;
  }

  send(text: string): void {
    this.link.send(text);
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

  /** Send a request and wait for its final response. */
  async transact(text: string): Promise<SipResponse> {
    const m = parsed(await this.link.transact(text));
    if (m?.type !== 'response') throw new Error(`camera ${this.id}: an unreadable answer`);
    return m;
  }

  /** A request from the camera to the platform. */
  text(method: string, o: { callId?: string; fromTag?: string; to?: string; cseq?: number; headers?: string[]; body?: string } = {}): string {
    return cameraRequest(this.link, this.id, method, {
      ...o, callId: o.callId ?? `${method.toLowerCase()}-${this.id}@127.0.0.1`, cseq: o.cseq ?? this.#cseq++, fromTag: o.fromTag ?? this.tag, userAgent: 'e2e GB camera',
    });
  }

  /** REGISTER → 401 → REGISTER with digest (uri: the platform's URI, as cameras send it); the final status. */
  async register(expires = 3600): Promise<number> {
    const callId = `reg-${this.id}@127.0.0.1`;
    const { ok } = await digestRegister(this.id, (auth) => this.link.transact(this.text('REGISTER', { callId, headers: [`Expires: ${expires}`, ...auth] })));
    return Number(ok.first.split(' ')[1]);
  }

  /** A NOTIFY in the dialog of SUBSCRIBE `sub`. */
  notify(sub: SipRequest, o: { cseq: number; body?: string; state?: string; callId?: string }): Promise<SipResponse> {
    return this.transact(this.text('NOTIFY', {
      callId: o.callId ?? sub.headers.get('call-id')!, to: `<sip:${PLATFORM}@${REALM}>;tag=${tagOf(sub.headers.get('from'))}`, cseq: o.cseq,
      headers: [`Event: ${sub.headers.get('event')}`, `Subscription-State: ${o.state ?? 'active;expires=50'}`], ...(o.body ? { body: o.body } : {}),
    }));
  }

  /** 200 to a request: headers copied (RFC 3261 §8.2.6.2), our tag added; a SUBSCRIBE's Expires echoed. */
  #ok(r: Received): string {
    const expires = r.method === 'SUBSCRIBE' ? [`Expires: ${r.header('expires') ?? '3600'}`, `Contact: ${this.link.contact(this.id)}`] : [];
    return answer(r, { tag: this.tag, headers: expires });
  }

  close(): void {
    this.link.close();
  }
}
