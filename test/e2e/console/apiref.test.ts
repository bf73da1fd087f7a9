/**
 * The console's API reference in Chromium, rendered by the console itself from the service's
 * `GET /api/v1/openapi.json`: every operation of the document is listed, and opening one shows its
 * parameters, request body and answers. Needs `/api/v1/openapi.json` (helper "api").
 */
import { describe, expect, it } from 'vitest';
import { consoleLab, HAVE_CHROMIUM, openConsole, screenshot, view } from './console-kit.js';

const lab = consoleLab();

describe.skipIf(!HAVE_CHROMIUM)('the API reference view (Chromium)', () => {
  it('lists every operation of the OpenAPI document and shows a route\'s parameters and body', async () => {
    const res = await fetch(`${lab.svc.http}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const expected = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.keys(item).filter((m) => ['get', 'put', 'post', 'patch', 'delete'].includes(m)).map((m) => `${m} ${p}`)).sort();

    const page = await openConsole(lab.browser, lab.svc);
    await view(page, 'api');
    await page.locator('#view-api details.op').first().waitFor();
    const shown = await page.locator('#view-api details.op').evaluateAll((els) =>
      els.map((e) => `${(e as unknown as { dataset: Record<string, string> }).dataset.method} ${(e as unknown as { dataset: Record<string, string> }).dataset.path}`));
    expect(shown.sort()).toEqual(expected);

    const put = page.locator('#view-api details.op[data-method=put]', { hasText: '/users/{user}' }).first();
    await put.locator('summary').click();
    const text = (await put.textContent()) ?? '';
    expect(text).toContain('Parameters');
    expect(text).toMatch(/user\b/);
    expect(text).toContain('Request body');
    expect(text).toContain('password');
    await screenshot(page, 'api');
    await page.close();
  });
});
