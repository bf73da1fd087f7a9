/**
 * A scripted GB/T 28181 camera on one TCP connection (2022 edition: `X-GB-Ver: 3.0`): digest REGISTER,
 * keepalives, and answers to the platform's Catalog query with a one-channel catalog, all on the same
 * connection. It frames what it receives with the bridge's own stream framer (RFC 3261 §18.3) and keeps every
 * message, so tests can read the wire.
 */
import { randomInt } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { computeDigestResponse, computeHA1 } from '../../../src/auth/digest.js';
import { parseChallenge } from '../../../src/sip/auth-header.js';
import { StreamFramer } from '../../../udp-bridge/src/stream-framer.js';
import { GB_PASSWORD, PLATFORM, REALM } from './gb-kit.js';

/** One message received on the connection. */
export interface Received {
  text: string;
  first: string;
  header(name: string): string | undefined;
  body: string;
}

function split(text: string): Received {
  const sep = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, sep).split('\r\n');
  const first = lines.shift() ?? '';
  const hs = lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const);
  return { text, first, header: (n) => hs.find(([k]) => k === n.toLowerCase())?.[1], body: text.slice(sep + 4) };
}

/** The camera's one channel, as its catalog answer names it. */
export const channelOf = (id: string) => `${id.slice(0, 10)}131${id.slice(13)}`;

export class TcpCamera {
  readonly received: Received[] = [];
  readonly #answers = new Map<string, (r: Received) => void>();
  #seq = 0;
  #closed = false;

  private constructor(readonly socket: Socket, readonly id: string, readonly version: string | null) {
    const framer = new StreamFramer({ maxHeaderBytes: 16_384, maxMessageBytes: 65_536 });
    socket.on('data', (chunk: Buffer) => {
      for (const e of framer.push(chunk)) {
        if (e.kind !== 'message') continue;
        const r = split(Buffer.from(e.bytes).toString('latin1'));
        this.received.push(r);
        if (r.first.startsWith('SIP/2.0')) {
          const branch = /branch=([^;\s]+)/.exec(r.header('via') ?? '')?.[1];
          if (branch && !/^SIP\/2\.0 1\d\d/.test(r.first)) this.#answers.get(branch)?.(r);
        } else this.#onRequest(r);
      }
    });
    socket.on('close', () => (this.#closed = true));
    socket.on('error', () => undefined);
  }

  /** Connect to the bridge's TCP port. */
  static async connect(id: string, bridgeTcpPort: number, version: string | null = '3.0'): Promise<TcpCamera> {
    const socket = connect({ port: bridgeTcpPort, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new TcpCamera(socket, id, version);
  }

  get port(): number {
    return this.socket.localPort!;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Send a request to the platform and wait for its final response. */
  request(method: string, headers: string[], body = ''): Promise<Received> {
    const branch = `z9hG4bK${this.id.slice(-6)}t${++this.#seq}x${randomInt(1e9)}`;
    const to = method === 'REGISTER' ? this.id : PLATFORM;
    const text = [
      `${method} sip:${PLATFORM}@${REALM} SIP/2.0`, `Via: SIP/2.0/TCP 127.0.0.1:${this.port};rport;branch=${branch}`,
      `From: <sip:${this.id}@${REALM}>;tag=cam${this.id.slice(-4)}`, `To: <sip:${to}@${REALM}>`, `Call-ID: ${method}-${this.id}`,
      `CSeq: ${this.#seq} ${method}`, `Contact: <sip:${this.id}@127.0.0.1:${this.port};transport=tcp>`, 'Max-Forwards: 70',
      'User-Agent: tcp camera', ...(this.version ? [`X-GB-Ver: ${this.version}`] : []),
      ...headers, ...(body ? ['Content-Type: Application/MANSCDP+xml'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n');
    const answer = new Promise<Received>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to ${method} over TCP; received:\n${this.received.map((r) => r.text).join('\n---\n')}`)), 10_000);
      this.#answers.set(branch, (r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
    this.socket.write(text);
    return answer;
  }

  /** REGISTER → 401 → REGISTER with MD5 digest (no qop); the final response. */
  async register(): Promise<{ challenge: Received; ok: Received }> {
    const challenge = await this.request('REGISTER', ['Expires: 3600']);
    const ch = parseChallenge(/WWW-Authenticate: (.*)\r\n/i.exec(challenge.text)![1]!);
    if (!ch.ok) throw new Error(ch.error);
    const uri = `sip:${PLATFORM}@${REALM}`;
    const ha1 = computeHA1('MD5', this.id, REALM, GB_PASSWORD);
    const response = computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri, nonce: ch.value.nonce, qop: null });
    const ok = await this.request('REGISTER', ['Expires: 3600', `Authorization: Digest username="${this.id}", realm="${REALM}", nonce="${ch.value.nonce}", uri="${uri}", response="${response}", algorithm=MD5`]);
    return { challenge, ok };
  }

  keepalive(sn: number): Promise<Received> {
    return this.request('MESSAGE', [], `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${this.id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`);
  }

  /** A platform request: 200, and for a Catalog query the catalog in a new MESSAGE (GB/T 28181 §9.5). */
  #onRequest(r: Received): void {
    const to = r.header('to') ?? '';
    const answer = [
      'SIP/2.0 200 OK', `Via: ${r.header('via')}`, `From: ${r.header('from')}`, `To: ${/tag=/.test(to) ? to : `${to};tag=t${randomInt(1e6)}`}`,
      `Call-ID: ${r.header('call-id')}`, `CSeq: ${r.header('cseq')}`, ...(this.version ? [`X-GB-Ver: ${this.version}`] : []), 'Content-Length: 0', '', '',
    ].join('\r\n');
    this.socket.write(answer);
    const sn = /<CmdType>Catalog<\/CmdType>\s*<SN>(\d+)<\/SN>/.exec(r.body)?.[1];
    if (r.first.startsWith('MESSAGE') && sn) {
      const body = `<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${this.id}</DeviceID>\r\n<SumNum>1</SumNum>\r\n` +
        `<DeviceList Num="1">\r\n<Item>\r\n<DeviceID>${channelOf(this.id)}</DeviceID>\r\n<Name>Gate</Name>\r\n<Manufacturer>Acme</Manufacturer>\r\n<Status>ON</Status>\r\n<ParentID>${this.id}</ParentID>\r\n</Item>\r\n</DeviceList>\r\n</Response>\r\n`;
      void this.request('MESSAGE', [], body).catch(() => undefined);
    }
  }
}
