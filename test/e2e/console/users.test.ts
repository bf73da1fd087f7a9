/**
 * The console's Users view in Chromium: a JsSIP user agent (Node, over a real WebSocket) registers and
 * appears under Users with its binding (contact, user agent, source, transport, a counting-down expiry, the
 * flow); "Unregister" removes that binding from the service; a user created from the page can log in to SIP
 * with its password and is deleted from the page.
 * Needs the API's `GET /users` and `DELETE /users/{user}/bindings` (helper "api").
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../harness.js';
import { consoleLab, HAVE_CHROMIUM, openConsole, screenshot, textOf, view } from './console-kit.js';

const lab = consoleLab();

describe.skipIf(!HAVE_CHROMIUM)('the Users view (Chromium)', () => {
  it('shows a registered JsSIP UA under its user, with its binding, and unregisters it', async () => {
    await lab.svc.createUser('loc-carol', 'loc-carol-pw');
    const ua = await lab.ua('loc-carol', 'loc-carol-pw');
    const [binding] = await lab.svc.bindings('loc-carol');

    const page = await openConsole(lab.browser, lab.svc);
    await view(page, 'users');
    await page.locator('#view-users a[data-user=loc-carol]').click();
    const row = await textOf(page, '#view-users table.bindings tbody tr', binding!.contact);
    expect(row).toContain('JsSIP e2e');
    expect(row).toContain(binding!.source);
    expect(row).toContain('ws');
    expect(row).toContain(binding!.flowId.slice(0, 12));
    const left = Number((await page.locator('#view-users .countdown').first().textContent())!.replace(' s', ''));
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(binding!.expires);
    await screenshot(page, 'users');

    await page.getByRole('button', { name: 'Unregister' }).click();
    await textOf(page, '#view-users .detail', 'not registered');
    expect(await lab.svc.bindings('loc-carol')).toEqual([]);
    await page.close();
  });

  it('creates a user whose password registers over SIP, and deletes it', async () => {
    const page = await openConsole(lab.browser, lab.svc);
    await view(page, 'users');
    await page.locator('#view-users input[name=user]').fill('made-in-console');
    await page.locator('#view-users input[name=password]').fill('console-pw-1');
    await page.getByRole('button', { name: 'Create or set password' }).click();
    await textOf(page, '#view-users .notice.ok', 'saved sip:made-in-console@');
    await page.locator('#view-users a[data-user=made-in-console]').waitFor();
    const ua = await lab.ua('made-in-console', 'console-pw-1');
    await ua.stop();

    await page.locator('#view-users a[data-user=made-in-console]').click();
    const del = page.getByRole('button', { name: 'Delete made-in-console' });
    await del.click();
    await page.getByRole('button', { name: /^Really/ }).click();
    await page.locator('#view-users a[data-user=made-in-console]').waitFor({ state: 'detached' });
    const gone = await eventually(() => lab.svc.admin('/users/made-in-console'), (r) => r.status === 404);
    expect(gone.status).toBe(404);
    await page.close();
  });
});
