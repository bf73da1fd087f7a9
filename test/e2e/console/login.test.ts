/**
 * The console at `/`: served by the Worker's static assets next to the SIP socket and the API; logging in
 * with the admin token opens the Overview, a wrong token is refused with an error and nothing is kept.
 */
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../harness.js';
import { consoleLab, HAVE_CHROMIUM, openConsole, screenshot, textOf, view } from './console-kit.js';

const lab = consoleLab();

describe('the console at /', () => {
  it('is served beside /sip (WebSocket upgrade), /api/v1, /healthz and /metrics, which still reach the Worker', async () => {
    const page = await fetch(`${lab.svc.http}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/console.js">');
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
    expect((await fetch(`${lab.svc.http}/console.js`)).status).toBe(200);
    expect(await (await fetch(`${lab.svc.http}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${lab.svc.http}/api/v1/users/nobody`)).status).toBe(401);
    expect((await fetch(`${lab.svc.http}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    const protocol = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(lab.svc.ws, 'sip');
      ws.on('open', () => {
        resolve(ws.protocol);
        ws.close();
      });
      ws.on('error', reject);
    });
    expect(protocol).toBe('sip');
  });
});

describe.skipIf(!HAVE_CHROMIUM)('logging in to the console (Chromium)', () => {
  it('a wrong token shows an error and stays on the login', async () => {
    const page = await openConsole(lab.browser, lab.svc, 'not-the-token');
    expect(await textOf(page, '.login .notice.error', 'Wrong admin token')).toContain('401');
    expect(await page.locator('header nav').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length)).toBe(0);
    await screenshot(page, 'login');
    await page.close();
  });

  it('the admin token opens the Overview with the service counts, and is kept for the tab only', async () => {
    await lab.svc.createUser('overview-a', 'overview-a-pw');
    const page = await openConsole(lab.browser, lab.svc);
    await view(page, 'overview');
    const aors = await textOf(page, '[data-stat=aors]', 'registered AORs');
    expect(aors).toMatch(/^\d+registered AORs$/);
    await textOf(page, 'table.rates', 'requests received');
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('edge-sip.admin-token'))).toBe(ADMIN_TOKEN);
    await screenshot(page, 'overview');
    await page.reload();
    await page.locator('header nav').waitFor();
    await page.close();
  });
});
