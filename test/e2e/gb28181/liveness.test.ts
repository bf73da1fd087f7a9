/**
 * Offline from silence, against WVP users' first complaint (devices falsely shown offline): a scripted GB28181
 * camera on its own UDP port registers through the real udp-bridge, then sends keepalives jittered by ±50 % of
 * the interval (GB_KEEPALIVE_INTERVAL 1 s, 3 misses: offline after 3 s of silence). It is never shown offline
 * while they come, every keepalive is answered, and once they stop it is offline (keepalive timeout) within
 * misses × interval + 5 s, the bound the issue sets (not a measurement of speed).
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeDigestResponse, computeHA1 } from '../../../src/auth/digest.js';
import { parseChallenge } from '../../../src/sip/auth-header.js';
import { sleep } from '../udp/udp-kit.js';
import { gbLab, GB_PASSWORD, gbApi, newDeviceId, PLATFORM, REALM, type DeviceJson } from './gb-kit.js';

const INTERVAL_S = 1;
const MISSES = 3;
const SILENCE_MS = INTERVAL_S * MISSES * 1000;

const lab = gbLab({ GB_KEEPALIVE_INTERVAL: String(INTERVAL_S), GB_KEEPALIVE_MISSES: String(MISSES) });

/** A camera that speaks just enough SIP over its own UDP socket. */
class Camera {
  readonly #answers = new Map<string, (text: string) => void>();
  #seq = 0;
  private constructor(readonly socket: Socket, readonly id: string, readonly port: number, readonly bridgePort: number) {
    socket.on('message', (raw) => {
      const text = raw.toString('latin1');
      const branch = /branch=([^;\r\n]+)/.exec(text)?.[1];
      if (branch) this.#answers.get(branch)?.(text);
    });
  }

  static async open(id: string, bridgePort: number): Promise<Camera> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    return new Camera(socket, id, socket.address().port, bridgePort);
  }

  /** Send a request and wait for its final response. */
  async request(method: string, headers: string[], body = ''): Promise<string> {
    const branch = `z9hG4bK${this.id.slice(-6)}${++this.#seq}x${randomInt(1e9)}`;
    const to = method === 'REGISTER' ? this.id : PLATFORM;
    const text = [
      `${method} sip:${PLATFORM}@${REALM} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${this.port};rport;branch=${branch}`,
      `From: <sip:${this.id}@${REALM}>;tag=cam${this.id.slice(-4)}`, `To: <sip:${to}@${REALM}>`, `Call-ID: ${method}-${this.id}`,
      `CSeq: ${this.#seq} ${method}`, `Contact: <sip:${this.id}@127.0.0.1:${this.port}>`, 'Max-Forwards: 70', 'User-Agent: jitter camera',
      ...headers, ...(body ? ['Content-Type: Application/MANSCDP+xml'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
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

  async register(): Promise<string> {
    const first = await this.request('REGISTER', ['Expires: 3600']);
    const ch = parseChallenge(/WWW-Authenticate: (.*)\r\n/i.exec(first)![1]!);
    if (!ch.ok) throw new Error(ch.error);
    const uri = `sip:${PLATFORM}@${REALM}`;
    const ha1 = computeHA1('MD5', this.id, REALM, GB_PASSWORD);
    const response = computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri, nonce: ch.value.nonce, qop: null });
    return this.request('REGISTER', ['Expires: 3600', `Authorization: Digest username="${this.id}", realm="${REALM}", nonce="${ch.value.nonce}", uri="${uri}", response="${response}", algorithm=MD5`]);
  }

  keepalive(sn: number): Promise<string> {
    return this.request('MESSAGE', [], `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${this.id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`);
  }
}

describe('offline from silence, decided at the bridge', () => {
  it('never marks a camera with keepalives jittered ±50 % offline, and marks it offline within misses × interval + 5 s once they stop', async () => {
    const cam = await Camera.open(newDeviceId('132'), lab.bridge.port);
    try {
      expect(await cam.register()).toMatch(/^SIP\/2\.0 200/);
      const seen: boolean[] = [];
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          seen.push((await gbApi<DeviceJson>(lab.svc, `/devices/${cam.id}`)).body.online);
          await sleep(150);
        }
      })();
      for (let sn = 1; sn <= 14; sn++) {
        await sleep(INTERVAL_S * 1000 * (0.5 + Math.random()));
        expect(await cam.keepalive(sn)).toMatch(/^SIP\/2\.0 200/);
      }
      const lastAt = Date.now();
      watching = false;
      await watcher;
      expect(seen.length).toBeGreaterThan(20);
      expect(seen.every((online) => online), JSON.stringify(seen)).toBe(true);

      let dev = (await gbApi<DeviceJson>(lab.svc, `/devices/${cam.id}`)).body;
      while (dev.online && Date.now() - lastAt < SILENCE_MS + 5_000) {
        await sleep(100);
        dev = (await gbApi<DeviceJson>(lab.svc, `/devices/${cam.id}`)).body;
      }
      expect(dev, lab.bridge.tail()).toMatchObject({ online: false, offlineReason: 'keepalive timeout' });
      expect(Date.now() - lastAt).toBeLessThanOrEqual(SILENCE_MS + 5_000);
    } finally {
      cam.socket.close();
    }
  });
});
