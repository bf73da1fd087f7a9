/**
 * The rig of the media e2e files: the ZLMediaKit STAND-IN (zlm-standin.ts: no ZLMediaKit package exists in the
 * registries these machines reach), a Worker configured with it, the real udp-bridge, and registered scripted
 * cameras (media-camera.ts), closed after each test.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startService, type Service } from '../harness.js';
import { eventually, startTestBridge, type TestBridge } from '../udp/udp-kit.js';
import { gbApi, newDeviceId } from './gb-kit.js';
import { MediaCamera, type CameraOptions } from './media-camera.js';
import { ZlmStandin, type StandinOptions } from './zlm-standin.js';
import type { MediaSession } from '../../../src/media/media-session.js';

/** What a file names its media server by. */
export interface MediaLabOptions extends Pick<StandinOptions, 'rtpTimeoutMs'> {
  secret: string;
  /** The hooks' secret (`ZLM_HOOK_SECRET`); default the API secret. */
  hookSecret?: string;
  mediaServerId: string;
}

/** The running parts, set once `beforeAll` has run, and the helpers every media test uses. */
export interface MediaLab {
  zlm: ZlmStandin;
  svc: Service;
  bridge: TestBridge;
  /** A registered camera (UDP, or TCP with `o.tcp`), online in the API. */
  camera(o?: CameraOptions): Promise<MediaCamera>;
  /** The media session of `stream`, as `GET /media/sessions` lists it. */
  session(stream: string): Promise<MediaSession | undefined>;
  /** Poll {@link session} until `ok` holds. */
  sessionUntil(stream: string, ok: (s: MediaSession | undefined) => boolean): Promise<MediaSession | undefined>;
}

/** A JSON POST. */
export const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });

/** Start the rig before the file's tests (no-reader checks are left to the tests), stop it after all. */
export function mediaLab(o: MediaLabOptions): MediaLab {
  const cameras: MediaCamera[] = [];
  const lab: MediaLab = {
    async camera(opts: CameraOptions = {}) {
      const cam = await MediaCamera.open(newDeviceId('132'), opts.tcp ? lab.bridge.bridge.tcpAddress()!.port : lab.bridge.port, opts);
      cameras.push(cam);
      await cam.register();
      const dev = await eventually(() => gbApi<{ online: boolean }>(lab.svc, `/devices/${cam.id}`), (d) => d.status === 200 && d.body.online);
      expect(dev.body.online, dev.text).toBe(true);
      return cam;
    },
    async session(stream) {
      const r = await gbApi<{ sessions: MediaSession[] }>(lab.svc, '/media/sessions');
      expect(r.status, r.text).toBe(200);
      return r.body.sessions.find((s) => s.stream === stream);
    },
    sessionUntil: (stream, ok) => eventually(() => lab.session(stream), ok, 15_000, 100),
  } as MediaLab;
  beforeAll(async () => {
    lab.zlm = await ZlmStandin.start({ secret: o.secret, mediaServerId: o.mediaServerId, rtpTimeoutMs: o.rtpTimeoutMs, noneReaderDelayMs: 600_000 });
    lab.svc = await startService({
      ZLM_URL: lab.zlm.url, ZLM_SECRET: o.secret, ZLM_MEDIA_SERVER_ID: o.mediaServerId, ...(o.hookSecret ? { ZLM_HOOK_SECRET: o.hookSecret } : {}),
    });
    lab.bridge = await startTestBridge(lab.svc.ws);
    lab.zlm.hookUrl = (event) => `${lab.svc.http}/zlm/hook/${event}?secret=${o.hookSecret ?? o.secret}`;
  });
  afterEach(() => {
    for (const c of cameras.splice(0)) c.close();
  });
  afterAll(async () => {
    await lab.bridge?.close();
    await lab.svc?.close();
    await lab.zlm?.close();
  });
  return lab;
}
