/**
 * Kit for the console's tests: the console as the Worker serves it at `/` (static assets built by
 * `npm run build:console`, which wrangler's `[build]` runs when the harness starts the Worker), opened in
 * Debian's Chromium by playwright-core with a fake microphone (as ../browser/browser.test.ts does).
 * With CONSOLE_SCREENSHOTS=<dir> (`npm run screenshots`) each test also saves a PNG of its view there.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { createJsSipUa, type JsSipUa } from '../clients/jssip.js';
import { ADMIN_TOKEN, DOMAIN, startService, type Service } from '../harness.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Whether Chromium is installed (the files are skipped without it). */
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** Chromium as the browser tests run it: headless, fake media devices, no network beyond the test's. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    ],
  });
}

/** What a console test file shares: the service, Chromium, and the JsSIP UAs it registered. */
export interface ConsoleLab {
  svc: Service;
  browser: Browser;
  /** A JsSIP UA (Node, real WebSocket) registered as `user` with `password`; stopped after the file. */
  ua(user: string, password: string): Promise<JsSipUa>;
}

/**
 * Start the service (unless `service: false`, for a file that starts its own, e.g. `gbLab()`) and Chromium when
 * installed, before the file's tests, and stop them and every UA after.
 */
export function consoleLab(o: { service?: boolean } = {}): ConsoleLab {
  const uas: JsSipUa[] = [];
  const lab = {
    async ua(user: string, password: string): Promise<JsSipUa> {
      const ua = await createJsSipUa({ ws: lab.svc.ws, user, password, domain: DOMAIN });
      uas.push(ua);
      const reg = await ua.register();
      if (!reg.ok) throw new Error(`${user} did not register: ${JSON.stringify(reg)}`);
      return ua;
    },
  } as ConsoleLab;
  beforeAll(async () => {
    if (o.service !== false) lab.svc = await startService();
    if (HAVE_CHROMIUM) lab.browser = await launchChromium();
  });
  afterAll(async () => {
    for (const ua of uas.splice(0)) await ua.stop().catch(() => {});
    await lab.browser?.close();
    await lab.svc?.close();
  });
  return lab;
}

/** A new tab on the console, logged in with `token` (the admin token unless given). */
export async function openConsole(browser: Browser, svc: Service, token = ADMIN_TOKEN): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error(`console page error: ${e.message}`));
  await page.goto(`${svc.http}/`);
  await page.locator('input[name=token]').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  return page;
}

/** Go to a view by its nav link and wait until it shows. */
export async function view(page: Page, id: 'overview' | 'users' | 'gb' | 'trace' | 'phone' | 'api'): Promise<void> {
  await page.locator(`header nav a[data-view=${id}]`).click();
  await page.locator(`#view-${id}`).waitFor({ state: 'visible' });
}

/** The text of the first element matching `selector`, once it contains `text` (waits up to `ms`). */
export async function textOf(page: Page, selector: string, text: string | RegExp, ms = 15_000): Promise<string> {
  const loc = page.locator(selector, { hasText: text }).first();
  await loc.waitFor({ state: 'visible', timeout: ms });
  return (await loc.textContent()) ?? '';
}

/** Save a PNG of the page as docs/console/<name>.png when CONSOLE_SCREENSHOTS names the folder. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.CONSOLE_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** A tab of ../browser/page.html (a minimal JsSIP softphone the test drives through `window.phone`). */
export interface JsSipTab {
  page: Page;
  events(): Promise<string[]>;
  waitFor(event: string, ms?: number): Promise<void>;
  call(target: string): Promise<void>;
  message(target: string, text: string): Promise<void>;
}

type PhoneGlobal = { phone: { events: string[]; start(ws: string, uri: string, pw: string): void; call(t: string): void; message(t: string, m: string): void } };
let tabSite: Promise<string> | undefined;

/** Serve page.html and a JsSIP bundle on a free port (once per file); returns the origin. */
function site(): Promise<string> {
  tabSite ??= (async () => {
    const bundle = await build({ entryPoints: ['jssip'], bundle: true, format: 'iife', globalName: 'JsSIP', write: false, platform: 'browser', logLevel: 'silent' });
    const js = bundle.outputFiles[0]!.text;
    const html = readFileSync(new URL('../browser/page.html', import.meta.url), 'utf8');
    const server = http.createServer((req, res) => {
      if (req.url === '/jssip.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    server.unref();
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  })();
  return tabSite;
}

/** Open a JsSIP tab registered as `user`. */
export async function jssipTab(browser: Browser, svc: Service, user: string, password: string): Promise<JsSipTab> {
  const page = await browser.newPage();
  await page.goto(await site());
  const events = () => page.evaluate(() => (globalThis as unknown as PhoneGlobal).phone.events);
  const waitFor = async (event: string, ms = 20_000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if ((await events()).includes(event)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no "${event}" in ${JSON.stringify(await events())}`);
  };
  await page.evaluate(([ws, uri, pw]) => (globalThis as unknown as PhoneGlobal).phone.start(ws!, uri!, pw!), [svc.ws, `sip:${user}@${DOMAIN}`, password]);
  await waitFor('registered');
  return {
    page,
    events,
    waitFor,
    call: (target) => page.evaluate((t) => (globalThis as unknown as PhoneGlobal).phone.call(t), target),
    message: (target, text) => page.evaluate(([t, m]) => (globalThis as unknown as PhoneGlobal).phone.message(t!, m!), [target, text]),
  };
}
