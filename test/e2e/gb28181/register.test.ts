/**
 * GB/T 28181 registration end to end: SIPp acting as a camera registers through the real udp-bridge
 * against a really started Worker, with digest with and without qop; a MESSAGE from a device that never
 * registered gets 404.
 */
import { describe, expect, it } from 'vitest';
import { computeDigestResponse, computeHA1 } from '../../../src/auth/digest.js';
import { freeUdpPort, killAllSipp } from '../udp/udp-kit.js';
import { gbLab, GB_PASSWORD, PLATFORM, REALM, deviceUntil, gbApi, gbSipp, newDeviceId, parseTrace, type DeviceJson } from './gb-kit.js';

const lab = gbLab();

/** Parse `key=value, key="value"` digest parameters. */
function digestParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest\s+/i, '').matchAll(/([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|([^,\s]+))/g)) out[m[1]!.toLowerCase()] = m[2] ?? m[3]!;
  return out;
}

/** The local time the service should have written (UTC+8, wrangler.toml GB_UTC_OFFSET_MINUTES=480), as ms. */
function localDateMs(date: string): number {
  return Date.parse(`${date}Z`) - 480 * 60_000;
}

describe('a GB28181 camera (SIPp) registering through the udp-bridge', () => {
  for (const qop of [true, false]) {
    it(`registers with digest ${qop ? 'with' : 'without'} qop: one MD5 challenge, then 200 with local Date, Expires and X-GB-Ver`, async () => {
      const id = newDeviceId('132');
      const port = await freeUdpPort();
      const scenario = qop ? 'gb-camera-register-qop-expect-200.xml' : 'gb-camera-register-no-qop-expect-200.xml';
      const before = Date.now();
      const run = await gbSipp({ scenario, bridgePort: lab.bridge.port, localPort: port, id }).result;
      expect(run.code, run.report).toBe(0);

      const msgs = parseTrace(run.messages);
      const rcvd = msgs.filter((m) => m.dir === 'received');
      const sent = msgs.filter((m) => m.dir === 'sent');
      // 401 with exactly one challenge: MD5, qop="auth", realm = the device realm.
      const challenge = rcvd.find((m) => m.first.startsWith('SIP/2.0 401'));
      expect(challenge, run.report).toBeDefined();
      expect(challenge!.headers('www-authenticate'), run.report).toHaveLength(1);
      const ch = digestParams(challenge!.header('www-authenticate')!);
      expect(ch).toMatchObject({ realm: REALM, algorithm: 'MD5', qop: 'auth' });

      // The authenticated REGISTER carries the form under test, with a response the test recomputes.
      const authReg = sent.find((m) => m.first.startsWith('REGISTER') && m.header('authorization'));
      expect(authReg, run.report).toBeDefined();
      expect(authReg!.first).toBe(`REGISTER sip:${PLATFORM}@${REALM} SIP/2.0`);
      const cred = digestParams(authReg!.header('authorization')!);
      expect(cred).toMatchObject({ username: id, realm: REALM, nonce: ch.nonce, uri: `sip:${PLATFORM}@${REALM}` });
      const ha1 = computeHA1('MD5', id, REALM, GB_PASSWORD);
      if (qop) {
        expect(cred.qop).toBe('auth');
        expect(cred.nc).toMatch(/^[0-9a-f]{8}$/);
        expect(cred.cnonce).toBeTruthy();
        expect(cred.response).toBe(computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri: cred.uri!, nonce: ch.nonce!, qop: 'auth', nc: cred.nc!, cnonce: cred.cnonce! }));
      } else {
        expect(cred.qop, 'the no-qop form has no qop').toBeUndefined();
        expect(cred.nc).toBeUndefined();
        expect(cred.cnonce).toBeUndefined();
        expect(cred.response).toBe(computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri: cred.uri!, nonce: ch.nonce!, qop: null }));
      }

      // 200: Expires echoed, X-GB-Ver echoed, Date local (UTC+8) without zone, close to now.
      const ok = rcvd.find((m) => m.first.startsWith('SIP/2.0 200'));
      expect(ok, run.report).toBeDefined();
      expect(ok!.header('expires')).toBe('3600');
      expect(ok!.header('contact')).toMatch(new RegExp(`^<sip:${id}@127\\.0\\.0\\.1:${port}>`));
      expect(ok!.header('x-gb-ver')).toBe('2.0');
      const date = ok!.header('date')!;
      expect(date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
      expect(localDateMs(date)).toBeGreaterThanOrEqual(before - 2_000);
      expect(localDateMs(date)).toBeLessThanOrEqual(Date.now() + 2_000);

      // The API shows the device online, at the address the bridge saw.
      const dev = await deviceUntil(lab.svc, id, (d) => d.status === 200 && d.body.online);
      expect(dev.status).toBe(200);
      expect(dev.body).toMatchObject({ deviceId: id, online: true, offlineReason: null, source: `127.0.0.1:${port}`, gbVersion: '2.0' });
      expect(dev.body.registrationExpiresAt! - Date.now()).toBeGreaterThan(3_500_000);
      const list = await gbApi<{ platformId: string; realm: string; devices: Array<{ deviceId: string; online: boolean }> }>(lab.svc, '/devices');
      expect(list.status).toBe(200);
      expect(list.body.platformId).toBe(PLATFORM);
      expect(list.body.devices.find((d) => d.deviceId === id), list.text).toMatchObject({ online: true });
    });
  }

  it('answers a MESSAGE from a device that never registered with 404', async () => {
    const id = newDeviceId('132');
    const port = await freeUdpPort();
    const run = await gbSipp({ scenario: 'gb-unregistered-message-expect-404.xml', bridgePort: lab.bridge.port, localPort: port, id }).result;
    expect(run.code, run.report).toBe(0);
    const r404 = parseTrace(run.messages).find((m) => m.dir === 'received' && m.first.startsWith('SIP/2.0 '));
    expect(r404?.first, run.report).toMatch(/^SIP\/2\.0 404 /);
    const dev = await gbApi<DeviceJson>(lab.svc, `/devices/${id}`);
    expect(dev.status, dev.text).toBe(404);
  });
});
