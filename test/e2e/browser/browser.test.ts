/**
 * Browser softphones: JsSIP in Debian's Chromium (real WebRTC with a fake
 * microphone) registers over WebSocket, messages and calls another tab.
 * `.ci/run` installs chromium; without /usr/bin/chromium the file is skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMAIN, startService, type Service } from '../harness.js';

const CHROMIUM = '/usr/bin/chromium';
let svc: Service;
let browser: Browser;
let site: http.Server;
let origin = '';

beforeAll(async () => {
  svc = await startService();
  await svc.createUser('web-alice', 'web-alice-pw');
  await svc.createUser('web-bob', 'web-bob-pw');
  const bundle = await build({ entryPoints: ['jssip'], bundle: true, format: 'iife', globalName: 'JsSIP', write: false, platform: 'browser', logLevel: 'silent' });
  const js = bundle.outputFiles[0]!.text;
  const html = readFileSync(new URL('./page.html', import.meta.url), 'utf8');
  site = http.createServer((req, res) => {
    if (req.url === '/jssip.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  site?.close();
  await svc?.close();
});

async function phone(user: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(origin);
  await page.evaluate(([ws, uri, pw]) => (globalThis as unknown as { phone: { start(a: string, b: string, c: string): void } }).phone.start(ws!, uri!, pw!), [svc.ws, `sip:${user}@${DOMAIN}`, `${user}-pw`]);
  await waitFor(page, 'registered');
  return page;
}

async function events(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { phone: { events: string[] } }).phone.events);
}

async function waitFor(page: Page, event: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ((await events(page)).includes(event)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no "${event}" in ${JSON.stringify(await events(page))}`);
}

describe.skipIf(!existsSync(CHROMIUM))('JsSIP in Chromium', () => {
  it('registers two tabs, sends a MESSAGE and completes a WebRTC call through the service', async () => {
    const alice = await phone('web-alice');
    const bob = await phone('web-bob');
    await alice.evaluate((to) => (globalThis as unknown as { phone: { message(t: string, m: string): void } }).phone.message(to, 'hello from a browser'), `sip:web-bob@${DOMAIN}`);
    await waitFor(bob, 'message:hello from a browser');
    await waitFor(alice, 'sent');
    await alice.evaluate((to) => (globalThis as unknown as { phone: { call(t: string): void } }).phone.call(to), `sip:web-bob@${DOMAIN}`);
    await waitFor(bob, 'confirmed:remote');
    await waitFor(alice, 'confirmed:local');
    await alice.evaluate(() => (globalThis as unknown as { phone: { hangup(): void } }).phone.hangup());
    await waitFor(bob, 'ended:Terminated'); // JsSIP's cause for a BYE from the other side
    expect(await events(alice)).toContain('ended:Terminated');
  });
});
