/**
 * The GB/T 28181 routes of the admin API: their input checks, before any device is asked anything.
 */
import { describe, expect, it } from 'vitest';
import { gbApi as api } from '../objects/helpers.js';

describe('/api/v1/gb28181', () => {
  it('refuses a device ID that is not 20 digits with 400, on every route that names one', async () => {
    const bad = ['not-an-id', '3402000000132000000', '340200000013200000011', '3402000000132000000x'];
    for (const id of bad) {
      for (const [method, path, body] of [
        ['PUT', `/devices/${id}`, { password: 'pw' }], ['GET', `/devices/${id}`, null], ['POST', `/devices/${id}/catalog`, null],
        ['POST', `/devices/${id}/ptz`, {}], ['DELETE', `/devices/${id}/live/abc`, null],
        ['GET', `/devices/${id}/subscriptions`, null], ['PUT', `/devices/${id}/subscriptions/catalog`, {}], ['DELETE', `/devices/${id}/subscriptions/alarm`, null],
        ['GET', `/devices/${id}/alarms`, null], ['GET', `/devices/${id}/position`, null],
      ] as const) {
        const res = await api(path, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
        expect(res.status, `${method} ${path}`).toBe(400);
        expect(await res.json()).toEqual({ error: 'device IDs are 20 digits' });
      }
    }
  });

  it('accepts a 20-digit ID: an unknown device is 404, a password for it is stored', async () => {
    expect((await api('/devices/34020000001320000099')).status).toBe(404);
    expect((await api('/devices/34020000001320000099', { method: 'PUT', body: JSON.stringify({ password: 'pw' }) })).status).toBe(201);
  });
});
