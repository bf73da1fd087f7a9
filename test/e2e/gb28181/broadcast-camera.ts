/**
 * A scripted GB/T 28181 camera with an audio output, over its own UDP socket or one TCP connection to the
 * bridge, that plays the device's part of a voice broadcast (§9.12): it registers (MD5 digest), answers the
 * platform's `Notify/Broadcast` with 200, sends `Response/Broadcast` (Result OK), INVITEs the source ID with
 * an audio offer (PCMA/8000, `a=recvonly`, its own `y=` SSRC; `a=setup:active` over TCP, or another codec),
 * ACKs the final answer, and answers BYE with 200. It keeps every message it received.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { computeDigestResponse, computeHA1 } from '../../../src/auth/digest.js';
import { parseChallenge } from '../../../src/sip/auth-header.js';
import { StreamFramer } from '../../../udp-bridge/src/stream-framer.js';
import { GB_PASSWORD, PLATFORM, REALM } from './gb-kit.js';

/** One message received. */
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

/** The device's audio offer: PCMA over UDP, or over TCP with `a=setup:active`; `codec` another payload line. */
export function audioOffer(id: string, o: { tcp?: boolean; codec?: string; port?: number } = {}): string {
  return [
    'v=0', `o=${id} 0 0 IN IP4 127.0.0.1`, 's=Play', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${o.port ?? 15062} ${o.tcp ? 'TCP/RTP/AVP' : 'RTP/AVP'} ${o.codec ? o.codec.split(' ')[0] : '8'}`, 'a=recvonly',
    o.codec ? `a=rtpmap:${o.codec}` : 'a=rtpmap:8 PCMA/8000', ...(o.tcp ? ['a=setup:active', 'a=connection:new'] : []), 'y=0100000777', 'f=v/////a/1/8/1', '',
  ].join('\r\n');
}

/** What the camera does for a broadcast: the offer it INVITEs with. */
export interface BroadcastPlan {
  offer: string;
}

export class BroadcastCamera {
  readonly received: Received[] = [];
  /** The final response to the camera's broadcast INVITE, once it came. */
  inviteAnswer: Promise<Received>;
  plan: BroadcastPlan;
  readonly #answers = new Map<string, (r: Received) => void>();
  #seq = 0;
  #answered!: (r: Received) => void;
  readonly #send: (text: string) => void;

  private constructor(readonly transport: 'UDP' | 'TCP', readonly id: string, readonly port: number, send: (text: string) => void) {
    this.#send = send;
    this.plan = { offer: audioOffer(id, { tcp: transport === 'TCP' }) };
    this.inviteAnswer = new Promise((r) => (this.#answered = r));
  }

  /** A camera on its own UDP socket, sending to the bridge at `bridgePort`. */
  static async udp(id: string, bridgePort: number): Promise<BroadcastCamera & { socket: UdpSocket }> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const cam = new BroadcastCamera('UDP', id, socket.address().port, (t) => socket.send(t, bridgePort, '127.0.0.1'));
    socket.on('message', (raw) => cam.#onMessage(raw.toString('latin1')));
    return Object.assign(cam, { socket });
  }

  /** A camera on one TCP connection to the bridge. */
  static async tcp(id: string, bridgePort: number): Promise<BroadcastCamera & { socket: TcpSocket }> {
    const socket = connect({ port: bridgePort, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => undefined);
    const cam = new BroadcastCamera('TCP', id, socket.localPort!, (t) => socket.write(t));
    const framer = new StreamFramer({ maxHeaderBytes: 16_384, maxMessageBytes: 65_536 });
    socket.on('data', (chunk: Buffer) => {
      for (const e of framer.push(chunk)) if (e.kind === 'message') cam.#onMessage(Buffer.from(e.bytes).toString('latin1'));
    });
    return Object.assign(cam, { socket });
  }

  get #via(): string {
    return `SIP/2.0/${this.transport} 127.0.0.1:${this.port};rport`;
  }

  #onMessage(text: string): void {
    const r = split(text);
    this.received.push(r);
    if (!r.first.startsWith('SIP/2.0')) return this.#onRequest(r);
    if (/^SIP\/2\.0 1\d\d/.test(r.first)) return;
    const branch = /branch=([^;\s]+)/.exec(r.header('via') ?? '')?.[1];
    if (branch) this.#answers.get(branch)?.(r);
  }

  /** Send a request (`uri`, `to` default the platform) and wait for its final response. */
  request(method: string, o: { headers?: string[]; body?: string; type?: string; callId?: string; uri?: string; to?: string; cseq?: number } = {}): Promise<Received> {
    const branch = `z9hG4bK${this.id.slice(-6)}b${++this.#seq}x${randomInt(1e9)}`;
    const body = o.body ?? '';
    const text = [
      `${method} ${o.uri ?? `sip:${PLATFORM}@${REALM}`} SIP/2.0`, `Via: ${this.#via};branch=${branch}`,
      `From: <sip:${this.id}@${REALM}>;tag=cam${this.id.slice(-4)}`, `To: ${o.to ?? `<sip:${method === 'REGISTER' ? this.id : PLATFORM}@${REALM}>`}`,
      `Call-ID: ${o.callId ?? `${method}-${this.id}-${this.#seq}`}`, `CSeq: ${o.cseq ?? this.#seq} ${method}`,
      `Contact: <sip:${this.id}@127.0.0.1:${this.port}${this.transport === 'TCP' ? ';transport=tcp' : ''}>`, 'Max-Forwards: 70', 'User-Agent: broadcast camera',
      ...(o.headers ?? []), ...(body ? [`Content-Type: ${o.type ?? 'Application/MANSCDP+xml'}`] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n');
    const answer = new Promise<Received>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to ${method}; received:\n${this.received.map((r) => r.text).join('\n---\n')}`)), 10_000);
      this.#answers.set(branch, (r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
    this.#send(text);
    return answer;
  }

  /** REGISTER → 401 → REGISTER with MD5 digest (no qop); the final response. */
  async register(): Promise<Received> {
    const challenge = await this.request('REGISTER', { headers: ['Expires: 3600'], callId: `reg-${this.id}` });
    const ch = parseChallenge(/WWW-Authenticate: (.*)\r\n/i.exec(challenge.text)![1]!);
    if (!ch.ok) throw new Error(ch.error);
    const uri = `sip:${PLATFORM}@${REALM}`;
    const response = computeDigestResponse({ algorithm: 'MD5', ha1: computeHA1('MD5', this.id, REALM, GB_PASSWORD), method: 'REGISTER', uri, nonce: ch.value.nonce, qop: null });
    return this.request('REGISTER', {
      callId: `reg-${this.id}`,
      headers: ['Expires: 3600', `Authorization: Digest username="${this.id}", realm="${REALM}", nonce="${ch.value.nonce}", uri="${uri}", response="${response}", algorithm=MD5`],
    });
  }

  /** Answer a platform request 200; a Broadcast notify then gets the Response and the INVITE. */
  #onRequest(r: Received): void {
    const to = r.header('to') ?? '';
    this.#send([
      'SIP/2.0 200 OK', `Via: ${r.header('via')}`, `From: ${r.header('from')}`, `To: ${/tag=/.test(to) ? to : `${to};tag=c${randomInt(1e6)}`}`,
      `Call-ID: ${r.header('call-id')}`, `CSeq: ${r.header('cseq')}`, 'Content-Length: 0', '', '',
    ].join('\r\n'));
    const m = /<CmdType>Broadcast<\/CmdType>\s*<SN>(\d+)<\/SN>\s*<SourceID>(\d+)<\/SourceID>\s*<TargetID>(\d+)<\/TargetID>/.exec(r.body);
    if (!r.first.startsWith('MESSAGE') || !m) return;
    const [, sn, source, target] = m;
    const response = `<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Broadcast</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${target}</DeviceID>\r\n<Result>OK</Result>\r\n</Response>\r\n`;
    void this.request('MESSAGE', { body: response }).catch(() => undefined);
    void this.#invite(source!).catch(() => undefined);
  }

  /** INVITE the source with the plan's offer, and ACK the final answer (RFC 3261 §13.2.2.4, §17.1.1.3). */
  async #invite(source: string): Promise<void> {
    const callId = `bcast-${this.id}-${randomInt(1e9)}`;
    const uri = `sip:${source}@${REALM}`;
    const res = await this.request('INVITE', { uri, to: `<${uri}>`, callId, cseq: 1, body: this.plan.offer, type: 'application/sdp', headers: [`Subject: ${this.id}:0100000777,${source}:0`] });
    const ackUri = /^SIP\/2\.0 2/.test(res.first) ? (/<([^>]+)>/.exec(res.header('contact') ?? '')?.[1] ?? uri) : uri;
    this.#send([
      `ACK ${ackUri} SIP/2.0`, `Via: ${this.#via};branch=z9hG4bKack${randomInt(1e9)}`, `From: <sip:${this.id}@${REALM}>;tag=cam${this.id.slice(-4)}`, `To: ${res.header('to')}`,
      `Call-ID: ${callId}`, 'CSeq: 1 ACK', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
    ].join('\r\n'));
    this.#answered(res);
  }

  close(): void {
    const s = (this as unknown as { socket: UdpSocket | TcpSocket }).socket;
    if ('destroy' in s) s.destroy();
    else s.close();
  }
}
