/**
 * A scripted GB/T 28181 camera for the media tests, on its own UDP socket through the real udp-bridge: it
 * registers (MD5 digest), answers INVITE with its SDP (the offered `y=` or, as some devices do, its own SSRC),
 * and after the ACK really sends PS-over-RTP (RTP PT 96, a PS pack header and a PES with an H.264 NAL each) to
 * the offer's `c=`/`m=` address, over UDP or, for `TCP/RTP/AVP`, over TCP with RFC 4571 framing. It answers
 * BYE (stopping the RTP) and INFO with 200 and keeps every request it got; it can hang up itself (BYE) and
 * report the end of a history stream (`MediaStatus` 121).
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { randomInt } from 'node:crypto';
import { answer, branchOf, CameraLink, cameraRequest, digestRegister, type Received } from './camera-link.js';
import { PLATFORM, REALM } from './gb-kit.js';

export type { Received };

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
  /** Signalling over one TCP connection to the bridge's TCP port (GB/T 28181-2022 §9.1.1); RTP stays UDP unless the offer says TCP. */
  tcp?: boolean;
}

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
  /** Requests the platform sent, in arrival order (a retransmission once). */
  readonly received: Received[] = [];
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

  private constructor(readonly link: CameraLink, readonly id: string, readonly o: CameraOptions) {
    link.onMessage = (r, from) => {
      if (r.method !== '') this.#message(r, from);
    };
  }

  /** A camera on its own socket: UDP to the bridge at `bridgePort`, or with `o.tcp` a TCP connection to it. */
  static async open(id: string, bridgePort: number, o: CameraOptions = {}): Promise<MediaCamera> {
    return new MediaCamera(await (o.tcp ? CameraLink.tcp(bridgePort) : CameraLink.udp(bridgePort)), id, o);
  }

  get port(): number {
    return this.link.port;
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
    const { ok } = await digestRegister(this.id, (auth) => this.#request('REGISTER', ['Expires: 3600', ...auth]));
    if (!ok.first.startsWith('SIP/2.0 200')) throw new Error(`REGISTER: ${ok.first}`);
  }

  close(): void {
    this.#stopRtp();
    this.#udp?.close();
    this.link.close();
  }

  /**
   * The camera hangs up: BYE in the platform's INVITE dialog (to its Contact, From the INVITE's To with the
   * camera's tag, To its From). Stops the RTP; resolves with the final answer's text.
   */
  async bye(invite: Received): Promise<string> {
    this.#stopRtp();
    const target = /<([^>]+)>/.exec(invite.header('contact') ?? '')?.[1] ?? `sip:${PLATFORM}@${REALM}`;
    const d = { uri: target, from: `${invite.header('to')};tag=${this.#tag}`, to: invite.header('from')!, callId: invite.header('call-id')! };
    return (await this.#request('BYE', [], '', d)).text;
  }

  /** `MESSAGE Notify/MediaStatus` 121 about `deviceId` (a channel, or the camera): its history stream ended. */
  async mediaStatus(deviceId: string, notifyType = '121'): Promise<string> {
    const body = `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>MediaStatus</CmdType>\r\n<SN>${this.#seq + 1}</SN>\r\n<DeviceID>${deviceId}</DeviceID>\r\n<NotifyType>${notifyType}</NotifyType>\r\n</Notify>\r\n`;
    return (await this.#request('MESSAGE', [], body)).text;
  }

  /** The camera's dialog tag (its 2xx to an INVITE). */
  get #tag(): string {
    return `dev${this.id.slice(-4)}`;
  }

  #request(method: string, headers: string[], body = '', d: { uri?: string; from?: string; to?: string; callId?: string } = {}): Promise<Received> {
    const text = cameraRequest(this.link, this.id, method, { callId: d.callId ?? `${method}-${this.id}`, cseq: ++this.#seq, fromTag: `cam${this.id.slice(-4)}`, userAgent: 'media camera', headers, body, ...(d.uri ? { uri: d.uri } : {}), ...(d.from ? { from: d.from } : {}), ...(d.to ? { to: d.to } : {}) });
    return this.link.transact(text, undefined, 5_000);
  }

  #message(r: Received, from: RemoteInfo | null): void {
    const branch = branchOf(r.header('via') ?? '') ?? '';
    const method = r.method;
    const again = this.#sent.get(`${method} ${branch}`);
    if (again) return this.link.send(again, from ?? undefined);
    this.received.push(r);
    let reply: string | null = null;
    if (method === 'INVITE') reply = this.#answerInvite(r);
    else if (method === 'ACK') this.#startRtp();
    else {
      if (method === 'BYE') this.#stopRtp();
      reply = this.#response(r);
    }
    if (reply) {
      this.#sent.set(`${method} ${branch}`, reply);
      this.link.send(reply, from ?? undefined);
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
    return this.#response(r, ['Content-Type: application/sdp', `Contact: <sip:${channel}@127.0.0.1:${this.port}>`], sdp);
  }

  /** 200 to a request of the platform's. */
  #response(r: Received, extra: string[] = [], body = ''): string {
    return answer(r, { tag: this.#tag, headers: ['User-Agent: media camera', ...extra], body });
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
      } else if (this.link.transport === 'UDP') this.link.send(pkt, { port: offer.port, address: offer.ip });
      else this.#rtpUdp().send(pkt, offer.port, offer.ip);
      this.rtpSent++;
    };
    send();
    // 25 frames a second, bounded at a minute so a forgotten camera stops by itself.
    this.#rtpTimer = setInterval(() => (this.rtpSent > 1500 ? this.#stopRtp() : send()), 40);
  }

  #udp: UdpSocket | null = null;

  /** The UDP socket RTP leaves from when signalling is on TCP. */
  #rtpUdp(): UdpSocket {
    this.#udp ??= createSocket('udp4');
    return this.#udp;
  }

  #stopRtp(): void {
    if (this.#rtpTimer) clearInterval(this.#rtpTimer);
    this.#rtpTimer = null;
    this.#tcp?.destroy();
    this.#tcp = null;
  }
}
