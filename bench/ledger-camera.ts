/**
 * The GB/T 28181 camera of the ledger benchmark: one UDP socket (one source address, so one udp-bridge flow),
 * registering with MD5 digest and sending keepalive MESSAGEs, each waiting for its answer.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Agent, digestAnswer, GB, md5Challenge, gbRequestText } from './ledger-sip.js';

const hex = (n: number) => randomBytes(n).toString('hex');

/** A GB/T 28181 camera on its own UDP socket (one source address = one bridge flow). */
export class UdpCamera extends Agent {
  readonly callId = `reg-${hex(6)}`;
  cseq = 0;
  #sn = 0;
  private constructor(readonly id: string, readonly password: string, private readonly socket: Socket, private readonly target: { host: string; port: number }) {
    super();
    socket.on('message', (b) => this.inbox.push(new Uint8Array(b)));
  }

  /** Bind a socket on 127.0.0.1 that sends to `target` (`host:port`, the udp-bridge). */
  static async open(target: string, id: string, password: string): Promise<UdpCamera> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const [host, port] = target.split(':');
    return new UdpCamera(id, password, socket, { host: host!, port: Number(port) });
  }

  protected write(text: string): void {
    this.socket.send(text, this.target.port, this.target.host);
  }

  get #port(): number {
    return this.socket.address().port;
  }

  #message(method: 'REGISTER' | 'MESSAGE', callId: string, extra: string[], body = ''): string {
    return gbRequestText({ method, id: this.id, port: this.#port, callId, cseq: ++this.cseq, extra, body });
  }

  /**
   * REGISTER (Expires 3600) → 401 → REGISTER with MD5 digest → 200: a first registration, and also how a camera
   * refreshes once its nonce is old (it starts again without credentials).
   */
  async register(): Promise<void> {
    const reg = (extra: string[]) => this.#message('REGISTER', this.callId, ['Expires: 3600', 'X-GB-Ver: 2.0', ...extra]);
    const first = await this.request(reg([]), 401);
    const uri = `sip:${GB.platform}@${GB.realm}`;
    const auth = digestAnswer(md5Challenge(first), this.id, this.password, 'REGISTER', uri, 1);
    await this.request(reg([`Authorization: ${auth}`]), 200);
  }

  /** A `<Notify><CmdType>Keepalive` MESSAGE to the platform, answered 200. */
  async keepalive(): Promise<void> {
    const body = `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${++this.#sn}</SN>\r\n<DeviceID>${this.id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`;
    const callId = `ka-${hex(6)}`;
    await this.request(this.#message('MESSAGE', callId, [], body), 200);
  }

  close(): void {
    this.socket.close();
  }
}
