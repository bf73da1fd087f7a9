/**
 * Offline from silence, against WVP users' first complaint (devices falsely shown offline): a scripted GB28181
 * camera on its own UDP port registers through the real udp-bridge, then sends keepalives jittered by ±50 % of
 * the interval (GB_KEEPALIVE_INTERVAL 1 s, 3 misses: offline after 3 s of silence). It is never shown offline
 * while they come, every keepalive is answered, and once they stop it is offline (keepalive timeout) within
 * misses × interval + 5 s, the bound the issue sets (not a measurement of speed).
 */
import { describe, expect, it } from 'vitest';
import { sleep } from '../udp/udp-kit.js';
import { gbLab, gbApi, newDeviceId, type DeviceJson } from './gb-kit.js';
import { CameraLink, cameraRequest, digestRegister, keepaliveBody, type Received } from './camera-link.js';

const INTERVAL_S = 1;
const MISSES = 3;
const SILENCE_MS = INTERVAL_S * MISSES * 1000;

const lab = gbLab({ GB_KEEPALIVE_INTERVAL: String(INTERVAL_S), GB_KEEPALIVE_MISSES: String(MISSES) });

/** A camera that speaks just enough SIP over its own UDP socket (`camera-link.ts`): REGISTER and keepalives. */
class Camera {
  #seq = 0;
  private constructor(readonly link: CameraLink, readonly id: string) {}

  static async open(id: string, bridgePort: number): Promise<Camera> {
    return new Camera(await CameraLink.udp(bridgePort), id);
  }

  /** Send a request and wait for its final response. */
  #transact(method: string, headers: string[], body = ''): Promise<Received> {
    const text = cameraRequest(this.link, this.id, method, { callId: `${method}-${this.id}`, cseq: ++this.#seq, fromTag: `cam${this.id.slice(-4)}`, userAgent: 'jitter camera', headers, body });
    return this.link.transact(text, undefined, 5_000);
  }

  async register(): Promise<string> {
    return (await digestRegister(this.id, (auth) => this.#transact('REGISTER', ['Expires: 3600', ...auth]))).ok.text;
  }

  async keepalive(sn: number): Promise<string> {
    return (await this.#transact('MESSAGE', [], keepaliveBody(this.id, sn))).text;
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
      cam.link.close();
    }
  });
});
