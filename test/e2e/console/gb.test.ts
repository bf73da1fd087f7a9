/**
 * The console's GB devices view in Chromium, against a simulated NVR: SIPp registers it through the real
 * udp-bridge (as ../gb28181/queries.test.ts does), the online/offline filter shows it where it belongs, and
 * "Refresh catalog" sends the Catalog query, whose two GB2312 parts (SIPp) become the channel tree under the
 * NVR with their decoded names. Live view of a simulated camera: the INVITE goes to the media target typed in,
 * the page shows the camera's SDP answer and where the stream goes, and "Stop live view" sends the BYE.
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freeUdpPort, waitUntilBound } from '../udp/udp-kit.js';
import { catalogChannels, deviceUntil, gbLab, gbSipp, newDeviceId, writeCatalogItems } from '../gb28181/gb-kit.js';
import { consoleLab, HAVE_CHROMIUM, openConsole, screenshot, textOf, view } from './console-kit.js';

const lab = gbLab();
const chromium = consoleLab({ service: false });

describe.skipIf(!HAVE_CHROMIUM)('the GB devices view (Chromium)', () => {
  it('lists a simulated NVR as online, and shows its Catalog as a channel tree', async () => {
    const nvr = newDeviceId('118');
    const port = await freeUdpPort();
    const reg = await gbSipp({ scenario: 'gb-camera-register-qop-expect-200.xml', bridgePort: lab.bridge.port, localPort: port, id: nvr }).result;
    expect(reg.code, reg.report).toBe(0);
    await deviceUntil(lab.svc, nvr, (d) => d.status === 200 && d.body.online);

    const page = await openConsole(chromium.browser, lab.svc);
    await view(page, 'gb');
    const row = page.locator(`#view-gb a[data-device="${nvr}"]`);
    await row.waitFor();
    expect(await page.locator(`#view-gb table.devices tr:has(a[data-device="${nvr}"])`).textContent()).toContain('online');
    await page.locator('#view-gb button[data-filter=offline]').click();
    await row.waitFor({ state: 'detached' });
    await page.locator('#view-gb button[data-filter=online]').click();
    await row.click();
    await textOf(page, `#view-gb .device[data-device="${nvr}"] table.kv`, 'online');

    const bodydir = writeCatalogItems(nvr);
    const sipp = gbSipp({ scenario: 'gb-nvr-catalog.xml', bridgePort: lab.bridge.port, localPort: port, id: nvr, keys: { bodydir } });
    try {
      await waitUntilBound(port);
      await page.getByRole('button', { name: 'Refresh catalog' }).click();
      const [gate, parking] = catalogChannels(nvr);
      for (const c of [gate!, parking!]) {
        const item = page.locator(`#view-gb .tree li[data-channel="${c.deviceId}"]`);
        await item.waitFor({ timeout: 25_000 });
        const text = (await item.textContent()) ?? '';
        expect(text).toContain(c.name);
        expect(text).toContain(c.status);
        expect(text).toContain(c.address);
      }
      const run = await sipp.result;
      expect(run.code, run.report).toBe(0);
      // The channels became choices for PTZ and live view.
      expect(await page.locator('#view-gb select[name=channel] option').allTextContents()).toEqual(
        expect.arrayContaining([expect.stringContaining(gate!.deviceId), expect.stringContaining(parking!.deviceId)]));
      await screenshot(page, 'gb-devices');
    } finally {
      sipp.kill();
      rmSync(bodydir, { recursive: true, force: true });
    }
    await page.close();
  });

  it('starts live view of a simulated camera, shows its SDP answer and media target, and stops it (BYE)', async () => {
    const cam = newDeviceId('132');
    const port = await freeUdpPort();
    const reg = await gbSipp({ scenario: 'gb-camera-register-qop-expect-200.xml', bridgePort: lab.bridge.port, localPort: port, id: cam }).result;
    expect(reg.code, reg.report).toBe(0);
    await deviceUntil(lab.svc, cam, (d) => d.status === 200 && d.body.online);
    const page = await openConsole(chromium.browser, lab.svc);
    await view(page, 'gb');
    await page.locator(`#view-gb a[data-device="${cam}"]`).click();
    const panel = page.locator(`#view-gb .device[data-device="${cam}"]`);
    await panel.waitFor();

    const sipp = gbSipp({ scenario: 'gb-camera-live.xml', bridgePort: lab.bridge.port, localPort: port, id: cam, keys: { channel: cam, mediaport: '15060' }, timeoutMs: 45_000 });
    try {
      await waitUntilBound(port);
      await panel.locator('input[name=media-ip]').fill('198.51.100.20');
      await panel.locator('input[name=media-port]').fill('30000');
      await panel.getByRole('button', { name: 'Start live view' }).click();
      const sdp = await textOf(page, `#view-gb .device[data-device="${cam}"] .live pre.sdp`, 's=Play', 25_000);
      expect(sdp).toContain('m=video 15060 RTP/AVP 96');
      expect(sdp).toMatch(/y=0\d{9}/);
      const live = (await panel.locator('.live table.kv').textContent()) ?? '';
      expect(live).toContain('198.51.100.20:30000'); // where the stream goes, as offered
      expect(live).toContain('127.0.0.1:15060'); // the camera's side, from its answer
      expect(live).toContain(cam);
      // The device's page lists the session, with its stop button.
      const callId = (await panel.locator('.live table.kv code').first().textContent())!;
      await textOf(page, `#view-gb .device[data-device="${cam}"] .sessions tbody tr`, callId, 10_000);
      await screenshot(page, 'gb-live');
      await panel.getByRole('button', { name: 'Stop live view' }).click();
      await textOf(page, `#view-gb .device[data-device="${cam}"] .notice.ok`, 'BYE answered 200', 20_000);
      const run = await sipp.result;
      // Exit code 0: the camera got the ACK and the BYE and answered the BYE.
      expect(run.code, run.report).toBe(0);
    } finally {
      sipp.kill();
    }
    await page.close();
  });
});
