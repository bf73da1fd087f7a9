/**
 * The console's live SIP trace in Chromium: tracing a user whose JsSIP UA is registered, a MESSAGE another
 * UA sends it appears in the list (time, direction, method, Call-ID) with its 200; its Call-ID opens the
 * ladder (the sender's flow, the service, the user's flow; MESSAGE and 200 OK across them) and the raw text of
 * the selected message; clear empties the list and download saves the trace as text.
 * Needs the `/traces` routes (helper "trace").
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JsSipUa } from '../clients/jssip.js';
import { DOMAIN } from '../harness.js';
import { consoleLab, HAVE_CHROMIUM, openConsole, screenshot, textOf, view } from './console-kit.js';

const lab = consoleLab();

async function registered(user: string): Promise<JsSipUa> {
  await lab.svc.createUser(user, `${user}-pw`);
  return lab.ua(user, `${user}-pw`);
}

describe.skipIf(!HAVE_CHROMIUM)('the live SIP trace view (Chromium)', () => {
  it('shows a MESSAGE to a traced user, its ladder and raw text; clears; downloads as text', async () => {
    const dave = await registered('trace-dave');
    const erin = await registered('trace-erin');
    const page = await openConsole(lab.browser, lab.svc);
    await view(page, 'trace');
    await page.locator('#view-trace input[name=aors]').fill('trace-dave');
    await page.getByRole('button', { name: 'Start trace' }).click();
    await textOf(page, '#view-trace .trace-status', 'sip:trace-dave@');

    expect(await erin.sendMessage(`sip:trace-dave@${DOMAIN}`, 'hello, traced')).toMatchObject({ status: 200 });
    expect((await dave.messages.next()).body).toBe('hello, traced');
    const message = page.locator('#view-trace table.messages tbody tr', { hasText: 'MESSAGE' }).first();
    await message.waitFor();
    const row = (await message.textContent()) ?? '';
    expect(row).toMatch(/\d\d:\d\d:\d\d\.\d{3}/);
    expect(row).toMatch(/(in from|out to)/);
    await page.locator('#view-trace table.messages tbody tr', { hasText: '200' }).first().waitFor();

    await message.locator('a.call-id').click();
    const ladder = page.locator('#view-trace svg.ladder');
    await ladder.waitFor();
    const labels = await ladder.locator('g.arrow text.msg').allTextContents();
    expect(labels).toContain('MESSAGE');
    expect(labels).toContain('200 OK');
    // sngrep's columns: the sender's flow, the service, the traced user's flow.
    expect(await ladder.locator('text.col-label').allTextContents()).toEqual(['trace-erin 127.0.0.1', 'edge-sip', 'trace-dave 127.0.0.1']);
    await ladder.locator('g.arrow', { hasText: 'MESSAGE' }).first().click();
    const raw = (await page.locator('#view-trace pre.raw').textContent()) ?? '';
    expect(raw).toMatch(/^MESSAGE sip:/);
    expect(raw).toContain('hello, traced');
    await ladder.locator('g.arrow', { hasText: '200 OK' }).first().click();
    expect(await page.locator('#view-trace pre.raw').textContent()).toMatch(/^SIP\/2\.0 200 OK/);
    await screenshot(page, 'trace');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .txt' }).click()]);
    const saved = readFileSync((await download.path())!, 'utf8');
    expect(saved).toContain('hello, traced');
    expect(download.suggestedFilename()).toMatch(/^trace-.+\.txt$/);

    await page.getByRole('button', { name: 'Clear' }).click();
    expect(await page.locator('#view-trace table.messages tbody tr').count()).toBe(0);
    await page.getByRole('button', { name: 'Stop trace' }).click();
    await textOf(page, '#view-trace .notice.ok', 'stopped');
    await page.close();
  });
});
