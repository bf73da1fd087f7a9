/**
 * The console's softphone (JsSIP bundled into the console) in Chromium with a fake microphone: it registers
 * as a user from the page, calls a JsSIP tab (../browser/page.html) and both sides reach the confirmed state
 * with WebRTC audio; MESSAGE goes both ways; hanging up ends the call on both.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { consoleLab, HAVE_CHROMIUM, jssipTab, openConsole, screenshot, textOf, view, type JsSipTab } from './console-kit.js';

const lab = consoleLab();

beforeAll(async () => {
  await lab.svc.createUser('desk-a', 'desk-a-pw');
  await lab.svc.createUser('tab-b', 'tab-b-pw');
});

async function state(page: Page, which: 'reg-state' | 'call-state', want: string, ms = 20_000): Promise<void> {
  await page.locator(`#view-phone .${which}[data-state=${want}]`).waitFor({ timeout: ms });
}

describe.skipIf(!HAVE_CHROMIUM)('the console softphone (Chromium)', () => {
  it('registers as a user, calls a JsSIP tab (both confirmed), messages both ways and hangs up', async () => {
    const tab: JsSipTab = await jssipTab(lab.browser, lab.svc, 'tab-b', 'tab-b-pw');
    const page = await openConsole(lab.browser, lab.svc);
    await view(page, 'phone');
    await page.locator('input[name=sip-user]').fill('desk-a');
    await page.locator('input[name=sip-password]').fill('desk-a-pw');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await state(page, 'reg-state', 'registered');
    // The binding is the service's: the page's JsSIP registered over /sip on the console's own host.
    expect((await lab.svc.bindings('desk-a')).length).toBe(1);

    await page.locator('input[name=target]').fill('tab-b');
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await state(page, 'call-state', 'confirmed');
    await tab.waitFor('confirmed:remote');
    expect(await page.locator('#view-phone .call-state').textContent()).toContain('sip:tab-b@');

    await page.locator('input[name=message]').fill('hello from the console');
    await page.getByRole('button', { name: 'Send' }).click();
    await tab.waitFor('message:hello from the console');
    await textOf(page, '.messages-log li.out', 'hello from the console');
    await tab.message('sip:desk-a@edge-sip.test', 'hello back from the tab');
    await textOf(page, '.messages-log li.in', 'hello back from the tab');
    await screenshot(page, 'softphone');

    await page.getByRole('button', { name: 'Hang up' }).click();
    await state(page, 'call-state', 'ended');
    await tab.waitFor('ended:Terminated');
    await tab.page.close();
    await page.close();
  });
});
