/**
 * The playback, download, control, stop and media-session routes (OpenAPI): their schema checks answer 400 with
 * the schema's message before any device is asked; without a media server (this project sets no ZLM_URL) the
 * session list is 404 and history goes to GB_MEDIA_IP/PORT, so an offline device is 409.
 */
import { describe, expect, it } from 'vitest';
import { gbApi as api } from '../objects/helpers.js';

const DEVICE = '34020000001320000077';

const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });

describe('/api/v1/gb28181 media routes', () => {
  it('refuses bad playback and download bodies with 400 and what is wrong', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['/playback', { endTime: '2024-05-20T10:30:00' }, /startTime/],
      ['/playback', { startTime: '2024-05-20 10:00', endTime: '2024-05-20T10:30:00' }, /"startTime" must be YYYY-MM-DDThh:mm:ss/],
      ['/playback', { startTime: '2024-05-20T10:30:00', endTime: '2024-05-20T10:00:00' }, /endTime must be after startTime/],
      ['/playback', { startTime: '2024-05-20T10:00:00', endTime: '2024-05-20T10:30:00', channel: '123' }, /"channel" must be a 20-digit channel ID/],
      ['/download', { startTime: '2024-05-20T10:00:00', endTime: '2024-05-20T10:30:00', speed: 3 }, /speed/],
      ['/playback', { startTime: '2024-05-20T10:00:00', endTime: '2024-05-20T10:30:00', mediaIp: '1.2.3.4\r\nX: y', mediaPort: 9 }, /mediaIp/],
    ];
    for (const [path, body, error] of cases) {
      const res = await api(`/devices/${DEVICE}${path}`, post(body));
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(error);
    }
  });

  it('refuses unknown control actions and speeds with 400', async () => {
    for (const body of [{ action: 'rewind' }, { action: 'scale', scale: 3 }, { action: 'seek' }, { action: 'seek', npt: -1 }, {}]) {
      const res = await api(`/devices/${DEVICE}/sessions/abc/control`, post(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toHaveProperty('error');
    }
  });

  it('a well-formed control or stop for an unknown session is 404; the session list needs a media server (404)', async () => {
    expect((await api(`/devices/${DEVICE}/sessions/no-such-call/control`, post({ action: 'pause' }))).status).toBe(404);
    expect((await api(`/devices/${DEVICE}/sessions/no-such-call`, { method: 'DELETE' })).status).toBe(404);
    const list = await api('/media/sessions');
    expect(list.status).toBe(404);
    expect(((await list.json()) as { error: string }).error).toMatch(/ZLM_URL/);
  });

  it('playback of an offline device is 409 (no media server: GB_MEDIA_IP/PORT as before)', async () => {
    const res = await api(`/devices/${DEVICE}/playback`, post({ startTime: '2024-05-20T10:00:00', endTime: '2024-05-20T10:30:00' }));
    expect(res.status).toBe(409);
  });

  it('live view refuses a bad stream selection with 400', async () => {
    expect((await api(`/devices/${DEVICE}/live`, post({ streamNumber: 2 }))).status).toBe(400);
    expect((await api(`/devices/${DEVICE}/live`, post({ streamNumber: 1, streamVariant: 'main' }))).status).toBe(400);
  });
});
