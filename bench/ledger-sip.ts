/**
 * The user agents of the ledger benchmark (bench/ledger.ts), scripted message by message so that every message
 * they send is counted: what they share (an inbox, digest answers with the project's own digest code) and the
 * softphone on a WebSocket (subprotocol `sip`); the camera is in bench/ledger-camera.ts.
 * @module
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { computeDigestResponse, computeHA1 } from '../src/auth/digest.js';
import { formatCredentials, parseChallenge, type DigestChallenge } from '../src/sip/auth-header.js';
import type { SipMessage, SipRequest, SipResponse } from '../src/sip/message.js';
import { parseMessage } from '../src/sip/parse.js';

/** The GB/T 28181 platform of wrangler.toml: its ID and the device realm. */
export const GB = { platform: '34020000002000000001', realm: '3402000000' } as const;
/** SIP domain (and digest realm) of the softphones. */
export const DOMAIN = 'edge-sip.test';
/** An SDP offer or answer for the call scenario. */
export const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

const hex = (n: number) => randomBytes(n).toString('hex');
const WAIT_MS = 10_000;

/** A digest `Authorization` value answering `challenge` (qop=auth when offered, nonce count `nc`). */
export function digestAnswer(c: DigestChallenge, user: string, password: string, method: string, uri: string, nc: number): string {
  const ha1 = computeHA1(c.algorithm, user, c.realm, password);
  const ncHex = nc.toString(16).padStart(8, '0');
  const cnonce = hex(4);
  const response = c.qop === 'auth'
    ? computeDigestResponse({ algorithm: c.algorithm, ha1, method, uri, nonce: c.nonce, qop: 'auth', nc: ncHex, cnonce })
    : computeDigestResponse({ algorithm: c.algorithm, ha1, method, uri, nonce: c.nonce, qop: null });
  return formatCredentials({
    username: user, realm: c.realm, nonce: c.nonce, uri, response, algorithm: c.algorithm,
    qop: c.qop, nc: c.qop ? ncHex : null, cnonce: c.qop ? cnonce : null, opaque: c.opaque ?? null,
  });
}

/** The first MD5 challenge of a 401 (what JsSIP and GB cameras answer). */
export function md5Challenge(res: SipResponse): DigestChallenge {
  for (const v of res.headers.values('www-authenticate')) {
    const c = parseChallenge(v);
    if (c.ok && c.value.algorithm === 'MD5') return c.value;
  }
  throw new Error(`no MD5 challenge in ${res.status} ${res.reason}`);
}

/** Messages received by a user agent, handed out to whoever waits for them. */
class Inbox {
  readonly #queue: SipMessage[] = [];
  #waiters: Array<{ pred: (m: SipMessage) => boolean; done: (m: SipMessage) => void }> = [];
  /** Bare CRLF frames received (keep-alive pongs). */
  pongs = 0;
  #pongWaiter: (() => void) | null = null;

  push(data: string | Uint8Array): void {
    if (typeof data === 'string' && /^(\r\n)+$/.test(data)) {
      this.pongs++;
      const w = this.#pongWaiter;
      this.#pongWaiter = null;
      w?.();
      return;
    }
    const p = parseMessage(data);
    if (!p.ok) return;
    const w = this.#waiters.find((x) => x.pred(p.value));
    if (w) {
      this.#waiters = this.#waiters.filter((x) => x !== w);
      w.done(p.value);
    } else this.#queue.push(p.value);
  }

  /** The first message (queued or still to come) matching `pred`, taken out of the inbox. */
  take<T extends SipMessage>(pred: (m: SipMessage) => boolean, label: string, ms = WAIT_MS): Promise<T> {
    const i = this.#queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.#queue.splice(i, 1)[0] as T);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x.done !== done);
        reject(new Error(`timed out waiting for ${label}`));
      }, ms);
      const done = (m: SipMessage) => {
        clearTimeout(timer);
        resolve(m as T);
      };
      this.#waiters.push({ pred, done });
    });
  }

  pong(ms = WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a CRLF pong')), ms);
      this.#pongWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** The response to our request `cseq` (a number) of `callId`; `final` skips provisional ones. */
export const responseTo = (callId: string, cseq: number, final = true) => (m: SipMessage): boolean =>
  m.type === 'response' && m.headers.get('call-id') === callId && m.headers.get('cseq')?.split(' ')[0] === String(cseq) && (!final || m.status >= 200);

/** A user agent: send text, take what comes back, count what it sent. */
export abstract class Agent {
  protected readonly inbox = new Inbox();
  /** SIP messages sent (each one an incoming message at the server). */
  sent = 0;
  protected abstract write(text: string): void;

  /** Send one SIP message. */
  send(text: string): void {
    this.sent++;
    this.write(text);
  }

  /** Send a request and wait for its final response (matched on the Call-ID and CSeq written in `text`). */
  async request(text: string, expect?: number): Promise<SipResponse> {
    const callId = /^Call-ID: (.*)$/m.exec(text)?.[1]?.trim() ?? '';
    const cseq = Number(/^CSeq: (\d+)/m.exec(text)?.[1]);
    this.send(text);
    const res = await this.inbox.take<SipResponse>(responseTo(callId, cseq), `the response to CSeq ${cseq} (Call-ID ${callId})`);
    if (expect !== undefined && res.status !== expect) throw new Error(`expected ${expect}, got ${res.status} ${res.reason} (CSeq ${cseq})`);
    return res;
  }

  /** Take a message matching `pred` from what arrived. */
  take<T extends SipMessage>(pred: (m: SipMessage) => boolean, label: string): Promise<T> {
    return this.inbox.take<T>(pred, label);
  }

  /** Take the next request of `method`. */
  nextRequest(method: string): Promise<SipRequest> {
    return this.inbox.take<SipRequest>((m) => m.type === 'request' && m.method === method, `a ${method}`);
  }
}

/** A softphone on a WebSocket (as JsSIP builds its REGISTER: one Call-ID, RFC 5626 instance and reg-id). */
export class WsPhone extends Agent {
  readonly callId = hex(10);
  readonly host = `${hex(6)}.invalid`;
  cseq = 0;
  /** CRLF keep-alives sent. */
  crlfSent = 0;
  #challenge: DigestChallenge | null = null;
  #nc = 0;
  private constructor(private readonly ws: WebSocket, readonly user: string, readonly password: string) {
    super();
    ws.on('message', (data: Buffer, binary: boolean) => this.inbox.push(binary ? new Uint8Array(data) : data.toString()));
  }

  /** Open a WebSocket with subprotocol `sip`. */
  static open(url: string, user: string, password: string): Promise<WsPhone> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'sip', { perMessageDeflate: false, handshakeTimeout: WAIT_MS });
      ws.once('open', () => resolve(new WsPhone(ws, user, password)));
      ws.on('error', reject);
    });
  }

  protected write(text: string): void {
    this.ws.send(text);
  }

  /** The Contact this phone registers. */
  get contact(): string {
    return `<sip:${this.user}@${this.host};transport=ws>`;
  }

  #register(authorization: string | null): string {
    return jsSipRegisterText({ user: this.user, host: this.host, callId: this.callId, cseq: ++this.cseq, authorization });
  }

  async #answer(res: SipResponse): Promise<void> {
    this.#challenge = md5Challenge(res);
    this.#nc = 1;
    const auth = digestAnswer(this.#challenge, this.user, this.password, 'REGISTER', `sip:${DOMAIN}`, this.#nc);
    await this.request(this.#register(auth), 200);
  }

  /** REGISTER → 401 → REGISTER with digest → 200: a first registration, and each refresh of JsSIP 3.13.8 (a new RequestSender per REGISTER, so no credentials kept). */
  async register(): Promise<void> {
    await this.#answer(await this.request(this.#register(null), 401));
  }

  /** A refresh that reuses the last nonce with the next nonce count; a 401 (stale=true) is answered once. */
  async refreshReusingNonce(): Promise<{ challenged: boolean }> {
    if (!this.#challenge) throw new Error('not registered');
    const auth = digestAnswer(this.#challenge, this.user, this.password, 'REGISTER', `sip:${DOMAIN}`, ++this.#nc);
    const res = await this.request(this.#register(auth));
    if (res.status === 200) return { challenged: false };
    if (res.status !== 401) throw new Error(`refresh: ${res.status} ${res.reason}`);
    await this.#answer(res);
    return { challenged: true };
  }

  /** A CRLF keep-alive (RFC 5626 §4.4.1), waiting for the runtime's CRLF pong. */
  async crlf(): Promise<void> {
    const pong = this.inbox.pong();
    this.crlfSent++;
    this.ws.send('\r\n\r\n');
    await pong;
  }

  /** Close with a close handshake (a tab closed, a phone switching networks), resolved once it is done. */
  closeGracefully(): Promise<void> {
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000, 'bye');
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, WAIT_MS).unref();
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A request a GB camera at 127.0.0.1:`port` sends the platform (REGISTER to itself, MESSAGE to the platform). */
export function gbRequestText(o: { method: 'REGISTER' | 'MESSAGE'; id: string; port: number; callId: string; cseq: number; extra: string[]; body?: string }): string {
  const to = o.method === 'REGISTER' ? o.id : GB.platform;
  const body = o.body ?? '';
  return [
    `${o.method} sip:${GB.platform}@${GB.realm} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.port};rport;branch=z9hG4bK${hex(6)}`,
    `From: <sip:${o.id}@${GB.realm}>;tag=${hex(4)}`,
    `To: <sip:${to}@${GB.realm}>`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq} ${o.method}`,
    `Contact: <sip:${o.id}@127.0.0.1:${o.port}>`,
    'Max-Forwards: 70',
    'User-Agent: IP Camera',
    ...o.extra,
    ...(body ? ['Content-Type: Application/MANSCDP+xml'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A REGISTER as JsSIP 3.13.8 writes it over WSS (one Call-ID, `+sip.instance`, `reg-id`, Expires 600). */
export function jsSipRegisterText(o: { user: string; host: string; callId: string; cseq: number; authorization: string | null }): string {
  return [
    `REGISTER sip:${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/WSS ${o.host};branch=z9hG4bK${hex(6)}`,
    'Max-Forwards: 69',
    `To: <sip:${o.user}@${DOMAIN}>`,
    `From: <sip:${o.user}@${DOMAIN}>;tag=${hex(5)}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq} REGISTER`,
    `Contact: <sip:${o.user}@${o.host};transport=ws>;+sip.ice;reg-id=1;+sip.instance="<urn:uuid:${o.callId.slice(0, 8)}-0000-4000-8000-000000000000>";expires=600`,
    'Expires: 600',
    ...(o.authorization ? [`Authorization: ${o.authorization}`] : []),
    'Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY',
    'Supported: path,gruu,outbound',
    'User-Agent: JsSIP 3.13.8',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
