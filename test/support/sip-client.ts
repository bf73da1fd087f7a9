/**
 * A minimal scripted SIP client over any WebSocket (workerd's or Node's), for
 * tests that need exact control of what goes on the wire.
 */
import { computeDigestResponse, computeHA1 } from '../../src/auth/digest.js';
import { parseChallenge } from '../../src/sip/auth-header.js';
import type { SipResponse } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parse.js';

/** Fields of a REGISTER built by {@link registerText}. */
export interface RegisterFields {
  user: string;
  domain: string;
  callId: string;
  cseq: number;
  contacts?: string[];
  expires?: number | null;
  branch?: string;
  authorization?: string;
  extra?: string[];
}

let branchSeq = 0;

/** Build a REGISTER as a WebSocket UA would send it. */
export function registerText(f: RegisterFields): string {
  const lines = [
    `REGISTER sip:${f.domain} SIP/2.0`,
    `Via: SIP/2.0/WS client.invalid;branch=${f.branch ?? `z9hG4bK${Date.now().toString(36)}${++branchSeq}`};rport`,
    'Max-Forwards: 70',
    `From: <sip:${f.user}@${f.domain}>;tag=from${f.callId}`,
    `To: <sip:${f.user}@${f.domain}>`,
    `Call-ID: ${f.callId}`,
    `CSeq: ${f.cseq} REGISTER`,
    ...(f.contacts ?? ['<sip:ua@client.invalid;transport=ws>']).map((c) => `Contact: ${c}`),
    ...(f.expires === null || f.expires === undefined ? [] : [`Expires: ${f.expires}`]),
    ...(f.authorization ? [`Authorization: ${f.authorization}`] : []),
    ...(f.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ];
  return lines.join('\r\n');
}

/** Answer a 401's first challenge with MD5 digest credentials (qop=auth). */
export function answerChallenge(res: SipResponse, user: string, password: string, uri: string, nc = 1): string {
  const header = res.headers.get('www-authenticate') ?? res.headers.get('proxy-authenticate');
  if (!header) throw new Error(`no challenge in ${res.status}`);
  const ch = parseChallenge(header);
  if (!ch.ok) throw new Error(ch.error);
  const { realm, nonce } = ch.value;
  const ha1 = computeHA1('MD5', user, realm, password);
  const ncText = nc.toString(16).padStart(8, '0');
  const response = computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri, nonce, qop: 'auth', nc: ncText, cnonce: 'c0ffee' });
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${ncText}, cnonce="c0ffee"`;
}

/** Wraps a connected WebSocket; queues what arrives. */
export class SipTestClient {
  private readonly queue: string[] = [];
  private waiter: ((m: string) => void) | null = null;
  /** Control frames the service sent a bridge (JSON, never SIP), kept apart from the SIP messages. */
  readonly controls: Array<Record<string, unknown>> = [];

  constructor(readonly ws: WebSocket) {
    ws.addEventListener('message', (e: MessageEvent) => {
      const data = typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
      if (data.startsWith('{')) {
        this.controls.push(JSON.parse(data) as Record<string, unknown>);
        return;
      }
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(data);
      } else this.queue.push(data);
    });
  }

  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** The next message received, or a rejection after `ms`. */
  next(ms = 3000): Promise<string> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiter = null;
        reject(new Error('no message received'));
      }, ms);
      this.waiter = (m) => {
        clearTimeout(t);
        resolve(m);
      };
    });
  }

  /** Resolves true when nothing arrives within `ms`. */
  async silent(ms = 300): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }

  /** The next message, parsed as a response. */
  async response(ms = 3000): Promise<SipResponse> {
    const parsed = parseMessage(await this.next(ms));
    if (!parsed.ok || parsed.value.type !== 'response') throw new Error('expected a response');
    return parsed.value;
  }

  /** Send a request and return its response. */
  async request(text: string): Promise<SipResponse> {
    this.send(text);
    return this.response();
  }

  /** REGISTER with the 401 round trip; returns the final response. */
  async register(f: RegisterFields & { password: string }): Promise<SipResponse> {
    const first = await this.request(registerText(f));
    if (first.status !== 401) return first;
    const authorization = answerChallenge(first, f.user, f.password, `sip:${f.domain}`);
    return this.request(registerText({ ...f, cseq: f.cseq + 1, authorization }));
  }

  close(code = 1000, reason = 'done'): void {
    this.ws.close(code, reason);
  }
}
