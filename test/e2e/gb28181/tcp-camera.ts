/**
 * A scripted GB/T 28181 camera on one TCP connection (2022 edition: `X-GB-Ver: 3.0`): digest REGISTER,
 * keepalives, and answers to the platform's Catalog query with a one-channel catalog, all on the same
 * connection (`camera-link.ts`: framed with the bridge's own stream framer). It keeps every message, so tests
 * can read the wire.
 */
import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import { answer, CameraLink, cameraRequest, digestRegister, keepaliveBody, type Received } from './camera-link.js';

export type { Received };

/** The camera's one channel, as its catalog answer names it. */
export const channelOf = (id: string) => `${id.slice(0, 10)}131${id.slice(13)}`;

export class TcpCamera {
  readonly received: Received[] = [];
  #seq = 0;

  private constructor(readonly link: CameraLink & { socket: Socket }, readonly id: string, readonly version: string | null) {
    link.onMessage = (r) => {
      this.received.push(r);
      if (r.method !== '') this.#onRequest(r);
    };
  }

  /** Connect to the bridge's TCP port. */
  static async connect(id: string, bridgeTcpPort: number, version: string | null = '3.0'): Promise<TcpCamera> {
    return new TcpCamera(await CameraLink.tcp(bridgeTcpPort), id, version);
  }

  get socket(): Socket {
    return this.link.socket;
  }

  get port(): number {
    return this.link.port;
  }

  get closed(): boolean {
    return this.link.closed;
  }

  /** Send a request to the platform and wait for its final response. */
  request(method: string, headers: string[], body = ''): Promise<Received> {
    const text = cameraRequest(this.link, this.id, method, {
      callId: `${method}-${this.id}`, cseq: ++this.#seq, fromTag: `cam${this.id.slice(-4)}`, userAgent: 'tcp camera',
      headers: [...(this.version ? [`X-GB-Ver: ${this.version}`] : []), ...headers], body,
    });
    return this.link.transact(text, () => `; received:\n${this.received.map((r) => r.text).join('\n---\n')}`);
  }

  /** REGISTER → 401 → REGISTER with MD5 digest (no qop); the final response. */
  register(): Promise<{ challenge: Received; ok: Received }> {
    return digestRegister(this.id, (auth) => this.request('REGISTER', ['Expires: 3600', ...auth]));
  }

  keepalive(sn: number): Promise<Received> {
    return this.request('MESSAGE', [], keepaliveBody(this.id, sn));
  }

  /** A platform request: 200, and for a Catalog query the catalog in a new MESSAGE (GB/T 28181 §9.5). */
  #onRequest(r: Received): void {
    this.link.send(answer(r, { tag: `t${randomInt(1e6)}`, headers: this.version ? [`X-GB-Ver: ${this.version}`] : [] }));
    const sn = /<CmdType>Catalog<\/CmdType>\s*<SN>(\d+)<\/SN>/.exec(r.body)?.[1];
    if (r.method === 'MESSAGE' && sn) {
      const body = `<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${this.id}</DeviceID>\r\n<SumNum>1</SumNum>\r\n` +
        `<DeviceList Num="1">\r\n<Item>\r\n<DeviceID>${channelOf(this.id)}</DeviceID>\r\n<Name>Gate</Name>\r\n<Manufacturer>Acme</Manufacturer>\r\n<Status>ON</Status>\r\n<ParentID>${this.id}</ParentID>\r\n</Item>\r\n</DeviceList>\r\n</Response>\r\n`;
      void this.request('MESSAGE', [], body).catch(() => undefined);
    }
  }
}
