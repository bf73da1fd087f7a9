/**
 * A scripted GB/T 28181 camera with an audio output, over its own UDP socket or one TCP connection to the
 * bridge (`camera-link.ts`), that plays the device's part of a voice broadcast (§9.12): it registers (MD5
 * digest), answers the platform's `Notify/Broadcast` with 200, sends `Response/Broadcast` (Result OK), INVITEs
 * the source ID with an audio offer (PCMA/8000, `a=recvonly`, its own `y=` SSRC; `a=setup:active` over TCP, or
 * another codec), ACKs the final answer, and answers BYE with 200. It keeps every message it received.
 */
import { randomInt } from 'node:crypto';
import { REALM } from './gb-kit.js';
import { answer, CameraLink, cameraRequest, digestRegister, newBranch, type Received } from './camera-link.js';

export type { Received };

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
  #seq = 0;
  #answered!: (r: Received) => void;

  private constructor(readonly link: CameraLink, readonly id: string) {
    this.plan = { offer: audioOffer(id, { tcp: link.transport === 'TCP' }) };
    this.inviteAnswer = new Promise((r) => (this.#answered = r));
    link.onMessage = (r) => {
      this.received.push(r);
      if (r.method !== '') this.#onRequest(r);
    };
  }

  /** A camera on its own UDP socket, sending to the bridge at `bridgePort`. */
  static async udp(id: string, bridgePort: number): Promise<BroadcastCamera> {
    return new BroadcastCamera(await CameraLink.udp(bridgePort), id);
  }

  /** A camera on one TCP connection to the bridge. */
  static async tcp(id: string, bridgePort: number): Promise<BroadcastCamera> {
    return new BroadcastCamera(await CameraLink.tcp(bridgePort), id);
  }

  get transport(): 'UDP' | 'TCP' {
    return this.link.transport;
  }

  get port(): number {
    return this.link.port;
  }

  /** Send a request (`uri`, `to` default the platform) and wait for its final response. */
  request(method: string, o: { headers?: string[]; body?: string; type?: string; callId?: string; uri?: string; to?: string; cseq?: number } = {}): Promise<Received> {
    const seq = ++this.#seq;
    const text = cameraRequest(this.link, this.id, method, {
      ...o, callId: o.callId ?? `${method}-${this.id}-${seq}`, cseq: o.cseq ?? seq, fromTag: `cam${this.id.slice(-4)}`, userAgent: 'broadcast camera',
    });
    return this.link.transact(text, () => `; received:\n${this.received.map((r) => r.text).join('\n---\n')}`);
  }

  /** REGISTER → 401 → REGISTER with MD5 digest (no qop); the final response. */
  async register(): Promise<Received> {
    return (await digestRegister(this.id, (auth) => this.request('REGISTER', { headers: ['Expires: 3600', ...auth], callId: `reg-${this.id}` }))).ok;
  }

  /** Answer a platform request 200; a Broadcast notify then gets the Response and the INVITE. */
  #onRequest(r: Received): void {
    this.link.send(answer(r, { tag: `c${randomInt(1e6)}` }));
    const m = /<CmdType>Broadcast<\/CmdType>\s*<SN>(\d+)<\/SN>\s*<SourceID>(\d+)<\/SourceID>\s*<TargetID>(\d+)<\/TargetID>/.exec(r.body);
    if (r.method !== 'MESSAGE' || !m) return;
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
    this.link.send([
      `ACK ${ackUri} SIP/2.0`, `Via: ${this.link.via(newBranch('ack'))}`, `From: <sip:${this.id}@${REALM}>;tag=cam${this.id.slice(-4)}`, `To: ${res.header('to')}`,
      `Call-ID: ${callId}`, 'CSeq: 1 ACK', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
    ].join('\r\n'));
    this.#answered(res);
  }

  close(): void {
    this.link.close();
  }
}
