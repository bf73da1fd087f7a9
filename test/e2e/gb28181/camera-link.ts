/**
 * The wire under every simulated GB/T 28181 camera of the end-to-end tests: one UDP socket or one TCP
 * connection to the real udp-bridge (TCP framed by the bridge's own stream framer, RFC 3261 §18.3), requests
 * matched to their final response by the top Via's branch, the request and the 200 a camera writes, and the MD5
 * digest REGISTER every camera does (GB/T 28181 §9.1.2). The cameras (`camera-kit.ts`, `tcp-camera.ts`,
 * `broadcast-camera.ts`, `media-camera.ts`, the one in `liveness.test.ts`) add only the part they play.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { computeDigestResponse, computeHA1 } from '../../../src/auth/digest.js';
import { parseChallenge } from '../../../src/sip/auth-header.js';
import { StreamFramer } from '../../../udp-bridge/src/stream-framer.js';
import { GB_PASSWORD, PLATFORM, REALM } from './gb-kit.js';

/** One message a camera received, read just enough to answer it. */
export interface Received {
  text: string;
  /** The start line. */
  first: string;
  /** A request's method; '' for a response. */
  method: string;
  /** The first value of header `name`. */
  header(name: string): string | undefined;
  /** Every value of header `name`, in order. */
  values(name: string): string[];
  body: string;
}

/** Read a message's start line, headers and body. */
export function split(text: string): Received {
  const sep = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, sep < 0 ? text.length : sep).split('\r\n');
  const first = lines.shift() ?? '';
  const hs = lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const);
  const values = (n: string) => hs.filter(([k]) => k === n.toLowerCase()).map(([, v]) => v);
  return {
    text, first, method: first.startsWith('SIP/2.0') ? '' : first.slice(0, first.indexOf(' ')),
    header: (n) => values(n)[0], values, body: sep < 0 ? '' : text.slice(sep + 4),
  };
}

/** The top Via's branch of a message. */
export const branchOf = (text: string): string | undefined => /branch=([^;\s]+)/.exec(text)?.[1];

let branches = 0;
/** A fresh RFC 3261 branch (`z9hG4bK` magic cookie), `tag` marking whose. */
export const newBranch = (tag = ''): string => `z9hG4bK${tag}${++branches}x${randomInt(1e9)}`;

/** One camera's connection to the bridge. */
export class CameraLink {
  /** Every message received (a retransmission again), with the datagram's sender for UDP. */
  onMessage: (r: Received, from: RemoteInfo | null) => void = () => undefined;
  readonly #pending = new Map<string, (r: Received) => void>();
  #closed = false;

  private constructor(readonly transport: 'UDP' | 'TCP', readonly socket: UdpSocket | TcpSocket, readonly port: number, readonly bridgePort: number) {}

  /** A link on its own UDP socket, sending to the bridge at `bridgePort`. */
  static async udp(bridgePort: number): Promise<CameraLink & { socket: UdpSocket }> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const link = new CameraLink('UDP', socket, socket.address().port, bridgePort);
    socket.on('message', (raw, from) => link.#receive(raw.toString('latin1'), from));
    socket.on('close', () => (link.#closed = true));
    return link as CameraLink & { socket: UdpSocket };
  }

  /** A link on one TCP connection to the bridge's TCP port. */
  static async tcp(bridgePort: number): Promise<CameraLink & { socket: TcpSocket }> {
    const socket = connect({ port: bridgePort, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => undefined);
    const link = new CameraLink('TCP', socket, socket.localPort!, bridgePort);
    const framer = new StreamFramer({ maxHeaderBytes: 16_384, maxMessageBytes: 65_536 });
    socket.on('data', (chunk: Buffer) => {
      for (const e of framer.push(chunk)) if (e.kind === 'message') link.#receive(Buffer.from(e.bytes).toString('latin1'), null);
    });
    socket.on('close', () => (link.#closed = true));
    return link as CameraLink & { socket: TcpSocket };
  }

  /** Whether the socket or connection has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A Via value for a request of this camera. */
  via(branch: string): string {
    return `SIP/2.0/${this.transport} 127.0.0.1:${this.port};rport;branch=${branch}`;
  }

  /** The camera's Contact for user `user` (a channel ID, or the device's). */
  contact(user: string): string {
    return `<sip:${user}@127.0.0.1:${this.port}${this.transport === 'TCP' ? ';transport=tcp' : ''}>`;
  }

  /** Write a message to the bridge (UDP: to `to`, default the bridge). */
  send(data: string | Buffer, to?: { port: number; address: string }): void {
    if (this.transport === 'UDP') (this.socket as UdpSocket).send(data, to?.port ?? this.bridgePort, to?.address ?? '127.0.0.1');
    else (this.socket as TcpSocket).write(data);
  }

  /** Send a request and resolve with its final response (matched by branch); reject after `ms`, saying `why`. */
  transact(text: string, why: () => string = () => '', ms = 10_000): Promise<Received> {
    const branch = branchOf(text)!;
    const method = text.slice(0, text.indexOf(' '));
    const answer = new Promise<Received>((resolve, reject) => {
      const t = setTimeout(() => {
        this.#pending.delete(branch);
        reject(new Error(`no answer to ${method} over ${this.transport} within ${ms} ms${why()}`));
      }, ms);
      this.#pending.set(branch, (r) => {
        clearTimeout(t);
        this.#pending.delete(branch);
        resolve(r);
      });
    });
    this.send(text);
    return answer;
  }

  close(): void {
    if (this.transport === 'TCP') (this.socket as TcpSocket).destroy();
    else if (!this.#closed) (this.socket as UdpSocket).close();
  }

  #receive(text: string, from: RemoteInfo | null): void {
    const r = split(text);
    this.onMessage(r, from);
    if (r.method !== '' || /^SIP\/2\.0 1\d\d/.test(r.first)) return;
    const branch = branchOf(r.header('via') ?? '');
    if (branch) this.#pending.get(branch)?.(r);
  }
}

/** What a camera's request carries besides its method. */
export interface RequestParts {
  /** Default the platform's URI. */
  uri?: string;
  /** Default the device for REGISTER, else the platform. */
  to?: string;
  /** Default the device with `fromTag` (a BYE in a dialog the platform began names the INVITE's To). */
  from?: string;
  callId: string;
  cseq: number;
  fromTag: string;
  userAgent: string;
  headers?: string[];
  body?: string;
  /** Default MANSCDP. */
  type?: string;
}

/** A request from camera `id` on `link` to the platform (or `uri`). */
export function cameraRequest(link: CameraLink, id: string, method: string, o: RequestParts): string {
  const body = o.body ?? '';
  return [
    `${method} ${o.uri ?? `sip:${PLATFORM}@${REALM}`} SIP/2.0`, `Via: ${link.via(newBranch(id.slice(-6)))}`,
    `From: ${o.from ?? `<sip:${id}@${REALM}>;tag=${o.fromTag}`}`, `To: ${o.to ?? `<sip:${method === 'REGISTER' ? id : PLATFORM}@${REALM}>`}`,
    `Call-ID: ${o.callId}`, `CSeq: ${o.cseq} ${method}`, `Contact: ${link.contact(id)}`, 'Max-Forwards: 70', `User-Agent: ${o.userAgent}`,
    ...(o.headers ?? []), ...(body ? [`Content-Type: ${o.type ?? 'Application/MANSCDP+xml'}`] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');
}

/** A response to request `r`: every Via, From, To (with `tag` unless it has one), Call-ID and CSeq copied (RFC 3261 §8.2.6.2). */
export function answer(r: Received, o: { tag: string; status?: number; reason?: string; headers?: string[]; body?: string }): string {
  const to = r.header('to') ?? '';
  const body = o.body ?? '';
  return [
    `SIP/2.0 ${o.status ?? 200} ${o.reason ?? 'OK'}`, ...r.values('via').map((v) => `Via: ${v}`), `From: ${r.header('from')}`,
    `To: ${/;\s*tag=/.test(to) ? to : `${to};tag=${o.tag}`}`, `Call-ID: ${r.header('call-id')}`, `CSeq: ${r.header('cseq')}`,
    ...(o.headers ?? []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');
}

/**
 * REGISTER → 401 → REGISTER with MD5 digest, no qop, `uri` the platform's URI as cameras send it; `register`
 * sends one REGISTER with the extra headers given. The challenge and the final response.
 */
export async function digestRegister(id: string, register: (headers: string[]) => Promise<Received>): Promise<{ challenge: Received; ok: Received }> {
  const challenge = await register([]);
  if (!/^SIP\/2\.0 401/.test(challenge.first)) return { challenge, ok: challenge };
  const ch = parseChallenge(challenge.header('www-authenticate') ?? '');
  if (!ch.ok) throw new Error(ch.error);
  const uri = `sip:${PLATFORM}@${REALM}`;
  const response = computeDigestResponse({ algorithm: 'MD5', ha1: computeHA1('MD5', id, REALM, GB_PASSWORD), method: 'REGISTER', uri, nonce: ch.value.nonce, qop: null });
  const ok = await register([`Authorization: Digest username="${id}", realm="${REALM}", nonce="${ch.value.nonce}", uri="${uri}", response="${response}", algorithm=MD5`]);
  return { challenge, ok };
}

/** A keepalive body (GB/T 28181 A.2.5, GB2312 prolog). */
export function keepaliveBody(id: string, sn: number): string {
  return `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`;
}
