/**
 * A scripted GB/T 28181 camera for the media tests, on its own UDP socket through the real udp-bridge: it
 * registers (MD5 digest), answers INVITE with its SDP (the offered `y=` or, as some devices do, its own SSRC),
 * and after the ACK really sends PS-over-RTP (RTP PT 96, a PS pack header and a PES with an H.264 NAL each) to
 * the offer's `c=`/`m=` address, over UDP or, for `TCP/RTP/AVP`, over TCP with RFC 4571 framing. It answers
 * BYE (stopping the RTP) and INFO with 200 and keeps every request it got; it can hang up itself (BYE) and
 * report the end of a history stream (`MediaStatus` 121).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { randomInt } from 'node:crypto';
import { computeDigestResponse, computeHA1 } from '../../../src/auth/digest.js';
import { parseChallenge } from '../../../src/sip/auth-header.js';
import { GB_PASSWORD, PLATFORM, REALM } from './gb-kit.js';

/** A request the camera received. */
export interface Received {
  method: string;
  text: string;
  body: string;
  header(name: string): string | undefined;
}

/** What an INVITE's offer said. */
export interface Offer {
  s: string;
  u?: string;
  t: string;
  ip: string;
  port: number;
  tcp: boolean;
  y: string;
  attributes: string[];
}

/** Options: `ownSsrc` makes it answer and stream with that SSRC instead of the offered one; `rtp: false` sends none. */
export interface CameraOptions {
  ownSsrc?: string;
  rtp?: boolean;
}

const header = (text: string, name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(text.split('\r\n\r\n')[0]!)?.[1]?.trim();

/** Parse the SDP offer of an INVITE. */
export function parseOffer(sdp: string): Offer {
  const line = (t: string) => sdp.split('\r\n').filter((l) => l.startsWith(`${t}=`)).map((l) => l.slice(2));
  const m = (line('m')[0] ?? '').split(' ');
  return {
    s: line('s')[0] ?? '', ...(line('u')[0] ? { u: line('u')[0] } : {}), t: line('t')[0] ?? '',
    ip: (line('c')[0] ?? '').split(' ')[2] ?? '', port: Number(m[1]), tcp: (m[2] ?? '').includes('TCP'), y: line('y')[0] ?? '', attributes: line('a'),
  };
}

/** One PS-over-RTP packet: RTP header (PT 96), PS pack header, a video PES with an H.264 NAL. */
export function psRtpPacket(seq: number, timestamp: number, ssrc: number, idr: boolean): Buffer {
  const rtp = Buffer.alloc(12);
  rtp[0] = 0x80;
  rtp[1] = 0x80 | 96; // marker: one packet per frame
  rtp.writeUInt16BE(seq & 0xffff, 2);
  rtp.writeUInt32BE(timestamp >>> 0, 4);
  rtp.writeUInt32BE(ssrc >>> 0, 8);
  // PS pack header (ISO 13818-1 §2.5.3.3): start code, SCR with marker bits, mux rate, no stuffing.
  const pack = Buffer.from([0x00, 0x00, 0x01, 0xba, 0x44, 0x00, 0x04, 0x00, 0x04, 0x01, 0x01, 0x89, 0xc3, 0xf8]);
  const nal = Buffer.from([0x00, 0x00, 0x00, 0x01, idr ? 0x65 : 0x41, 0x88, 0x84, 0x00, 0x33, 0xff]);
  const pesHeader = Buffer.from([0x80, 0x80, 0x05, 0x21, 0x00, 0x01, 0x00, 0x01]); // PTS only
  const pes = Buffer.concat([Buffer.from([0x00, 0x00, 0x01, 0xe0, 0x00, pesHeader.length + nal.length]), pesHeader, nal]);
  return Buffer.concat([rtp, pack, pes]);
}

/** The camera. */
export class MediaCamera {
  readonly received: Received[] = [];
  readonly #answers = new Map<string, (text: string) => void>();
  readonly #waiters: Array<{ ok: (r: Received) => boolean; resolve: (r: Received) => void }> = [];
  /** Answers already sent, by request branch (a retransmission gets the same one). */
  readonly #sent = new Map<string, string>();
  #seq = 0;
  #rtpTimer: ReturnType<typeof setInterval> | null = null;
  #tcp: TcpSocket | null = null;
  /** RTP packets sent. */
  rtpSent = 0;
  /** The SSRC it streams with (set at the INVITE). */
  streamSsrc: string | null = null;

  private constructor(readonly socket: Socket, readonly id: string, readonly port: number, readonly bridgePort: number, readonly o: CameraOptions) {
    socket.on('message', (raw, rinfo) => this.#message(raw.toString('latin1'), rinfo));
  }

  static async open(id: string, bridgePort: number, o: CameraOptions = {}): Promise<MediaCamera> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    return new MediaCamera(socket, id, socket.address().port, bridgePort, o);
  }

  /** Wait for a request that `ok` accepts (already received or still to come). */
  waitFor(method: string, ok: (r: Received) => boolean = () => true, ms = 15_000): Promise<Received> {
    const test = (r: Received) => r.method === method && ok(r);
    const seen = this.received.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { ok: test, resolve: (r: Received) => (clearTimeout(t), resolve(r)) };
      const t = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(new Error(`no ${method} reached camera ${this.id}; got ${this.received.map((r) => r.method).join(', ')}`));
      }, ms);
      this.#waiters.push(w);
    });
  }

  async register(): Promise<void> {
    const first = await this.#request('REGISTER', ['Expires: 3600']);
    const ch = parseChallenge(/WWW-Authenticate: (.*)\r\n/i.exec(first)![1]!);
    if (!ch.ok) throw new Error(ch.error);
    const uri = `sip:${PLATFORM}@${REALM}`;
    const ha1 = computeHA1('MD5', this.id, REALM, GB_PASSWORD);
    const response = computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri, nonce: ch.value.nonce, qop: null });
    const ok = await this.#request('REGISTER', ['Expires: 3600', `Authorization: Digest username="${this.id}", realm="${REALM}", nonce="${ch.value.nonce}", uri="${uri}", response="${response}", algorithm=MD5`]);
    if (!ok.startsWith('SIP/2.0 200')) throw new Error(`REGISTER: ${ok.split('\r\n')[0]}`);
  }

  close(): void {
    this.#stopRtp();
    this.socket.close();
  }

  /**
   * The camera hangs up: BYE in the platform's INVITE dialog (to its Contact, From the INVITE's To with the
   * camera's tag, To its From). Stops the RTP; resolves with the final answer.
   */
  bye(invite: Received): Promise<string> {
    this.#stopRtp();
    const target = /<([^>]+)>/.exec(invite.header('contact') ?? '')?.[1] ?? `sip:${PLATFORM}@${REALM}`;
    return this.#request('BYE', [], '', { uri: target, from: `${invite.header('to')};tag=${this.#tag}`, to: invite.header('from')!, callId: invite.header('call-id')! });
  }

  /** `MESSAGE Notify/MediaStatus` 121 about `deviceId` (a channel, or the camera): its history stream ended. */
  mediaStatus(deviceId: string, notifyType = '121'): Promise<string> {
    const body = `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>MediaStatus</CmdType>\r\n<SN>${++this.#seq}</SN>\r\n<DeviceID>${deviceId}</DeviceID>\r\n<NotifyType>${notifyType}</NotifyType>\r\n</Notify>\r\n`;
    return this.#request('MESSAGE', ['Content-Type: Application/MANSCDP+xml'], body);
  }

  /** The camera's dialog tag (its 2xx to an INVITE). */
  get #tag(): string {
    return `dev${this.id.slice(-4)}`;
  }

  #request(method: string, headers: string[], body = '', d: { uri?: string; from?: string; to?: string; callId?: string } = {}): Promise<string> {
    const branch = `z9hG4bK${this.id.slice(-6)}${++this.#seq}x${randomInt(1e9)}`;
    const to = method === 'REGISTER' ? this.id : PLATFORM;
    const text = [
      `${method} ${d.uri ?? `sip:${PLATFORM}@${REALM}`} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${this.port};rport;branch=${branch}`,
      `From: ${d.from ?? `<sip:${this.id}@${REALM}>;tag=cam${this.id.slice(-4)}`}`, `To: ${d.to ?? `<sip:${to}@${REALM}>`}`, `Call-ID: ${d.callId ?? `${method}-${this.id}`}`,
      `CSeq: ${this.#seq} ${method}`, `Contact: <sip:${this.id}@127.0.0.1:${this.port}>`, 'Max-Forwards: 70', 'User-Agent: media camera',
      ...headers, `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n');
    const answer = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to ${method}`)), 5_000);
      this.#answers.set(branch, (res) => {
        if (/^SIP\/2\.0 1\d\d/.test(res)) return;
        clearTimeout(t);
        resolve(res);
      });
    });
    this.socket.send(text, this.bridgePort, '127.0.0.1');
    return answer;
  }

  #message(text: string, rinfo: RemoteInfo): void {
    const branch = /branch=([^;\r\n]+)/.exec(text)?.[1] ?? '';
    if (text.startsWith('SIP/2.0')) return this.#answers.get(branch)?.(text);
    const method = text.slice(0, text.indexOf(' '));
    const again = this.#sent.get(`${method} ${branch}`);
    if (again) return void this.socket.send(again, rinfo.port, rinfo.address);
    const sep = text.indexOf('\r\n\r\n');
    const r: Received = { method, text, body: sep >= 0 ? text.slice(sep + 4) : '', header: (n) => header(text, n) };
    this.received.push(r);
    let answer: string | null = null;
    if (method === 'INVITE') answer = this.#answerInvite(r);
    else if (method === 'ACK') this.#startRtp();
    else {
      if (method === 'BYE') this.#stopRtp();
      answer = this.#response(r, 200, 'OK');
    }
    if (answer) {
      this.#sent.set(`${method} ${branch}`, answer);
      this.socket.send(answer, rinfo.port, rinfo.address);
    }
    for (const w of [...this.#waiters]) {
      if (w.ok(r)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(r);
      }
    }
  }

  #offer: Offer | null = null;

  #answerInvite(r: Received): string {
    const offer = (this.#offer = parseOffer(r.body));
    this.streamSsrc = this.o.ownSsrc ?? offer.y;
    const channel = /^INVITE sip:(\d+)@/.exec(r.text)?.[1] ?? this.id;
    const sdp = [
      'v=0', `o=${channel} 0 0 IN IP4 127.0.0.1`, `s=${offer.s}`, 'c=IN IP4 127.0.0.1', `t=${offer.t}`,
      `m=video ${this.port + 1} ${offer.tcp ? 'TCP/RTP/AVP' : 'RTP/AVP'} 96`, 'a=sendonly', 'a=rtpmap:96 PS/90000',
      ...(offer.tcp ? ['a=setup:active', 'a=connection:new'] : []), `y=${this.streamSsrc}`, '',
    ].join('\r\n');
    return this.#response(r, 200, 'OK', ['Content-Type: application/sdp', `Contact: <sip:${channel}@127.0.0.1:${this.port}>`], sdp);
  }

  #response(r: Received, status: number, reason: string, extra: string[] = [], body = ''): string {
    const vias = r.text.split('\r\n').filter((l) => /^Via:/i.test(l));
    const to = r.header('to') ?? '';
    return [
      `SIP/2.0 ${status} ${reason}`, ...vias, `From: ${r.header('from')}`, `To: ${/;tag=/.test(to) ? to : `${to};tag=${this.#tag}`}`,
      `Call-ID: ${r.header('call-id')}`, `CSeq: ${r.header('cseq')}`, 'User-Agent: media camera', ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n');
  }

  #startRtp(): void {
    const offer = this.#offer;
    if (this.o.rtp === false || !offer || this.#rtpTimer) return;
    const ssrc = Number(this.streamSsrc);
    let seq = randomInt(1000);
    let ts = randomInt(1e6);
    if (offer.tcp) {
      this.#tcp = connect(offer.port, offer.ip);
      this.#tcp.on('error', () => undefined);
    }
    const send = () => {
      const pkt = psRtpPacket(seq++, (ts += 3600), ssrc, seq % 25 === 1);
      if (this.#tcp) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(pkt.length);
        this.#tcp.write(Buffer.concat([len, pkt]));
      } else this.socket.send(pkt, offer.port, offer.ip);
      this.rtpSent++;
    };
    send();
    // 25 frames a second, bounded at a minute so a forgotten camera stops by itself.
    this.#rtpTimer = setInterval(() => (this.rtpSent > 1500 ? this.#stopRtp() : send()), 40);
  }

  #stopRtp(): void {
    if (this.#rtpTimer) clearInterval(this.#rtpTimer);
    this.#rtpTimer = null;
    this.#tcp?.destroy();
    this.#tcp = null;
  }
}
