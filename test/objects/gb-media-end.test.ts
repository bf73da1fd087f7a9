/**
 * A device ending the platform's media sessions inside workerd, without a media server (the media goes to
 * GB_MEDIA_IP/PORT): a camera on a bridged flow hangs up a live view with its own BYE (200, the session gone,
 * a second BYE 481), and ends a playback with `Notify/MediaStatus` 121 (200, then the platform's BYE).
 */
import { describe, expect, it } from 'vitest';
import type { SipRequest } from '../../src/sip/message.js';
import { api, Camera, notifyBody, PLATFORM, REALM, tagOf } from './gb-camera.js';
import { eventually } from './helpers.js';

let n = 0;
async function camera(): Promise<Camera> {
  const id = `3402000000132${String(7_100_000 + ++n).padStart(7, '0')}`;
  const cam = await Camera.open(id, `192.0.2.${80 + n}:5060`);
  expect(await cam.register()).toBe(200);
  return cam;
}

/** Start `path` (live, playback) and answer the INVITE; the INVITE and the API's session. */
async function started(cam: Camera, path: string, body: Record<string, unknown>): Promise<{ invite: SipRequest; callId: string }> {
  const res = api(`/devices/${cam.id}/${path}`, { method: 'POST', body: JSON.stringify(body) });
  const invite = await cam.request('INVITE');
  cam.answer(invite);
  await cam.request('ACK');
  const r = await res;
  expect(r.status).toBe(200);
  const { callId } = (await r.json()) as { callId: string };
  expect(callId).toBe(invite.headers.get('call-id'));
  return { invite, callId };
}

const sessions = async (cam: Camera) => ((await (await api(`/devices/${cam.id}`)).json()) as { sessions: Array<{ callId: string }> }).sessions;

describe('a device ends a media session (no media server)', () => {
  it('a BYE in our INVITE dialog: 200 and the session forgotten; again, 481', async () => {
    const cam = await camera();
    const { invite, callId } = await started(cam, 'live', {});
    expect((await sessions(cam)).map((s) => s.callId)).toEqual([callId]);
    // The camera's BYE: to our Contact, From our INVITE's To with its tag, To our From.
    const bye = (cseq: number) => cam.text('BYE', { callId, fromTag: 'dev1', to: `<sip:${PLATFORM}@${REALM}>;tag=${tagOf(invite.headers.get('from')!)}`, cseq });
    const first = await cam.send(bye(1));
    expect(first.status).toBe(200);
    expect(await sessions(cam)).toEqual([]);
    expect((await cam.send(bye(2))).status).toBe(481);
    expect((await api(`/devices/${cam.id}/live/${encodeURIComponent(callId)}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('MediaStatus 121 on a playback: 200, then the platform BYEs in the dialog', async () => {
    const cam = await camera();
    const { callId } = await started(cam, 'playback', { startTime: '2024-05-20T10:00:00', endTime: '2024-05-20T10:30:00' });
    const status = await cam.send(cam.text('MESSAGE', { body: notifyBody('MediaStatus', 8, cam.id, '<NotifyType>121</NotifyType>\r\n') }));
    expect(status.status).toBe(200);
    const bye = await cam.request('BYE');
    expect(bye.headers.get('call-id')).toBe(callId);
    cam.answer(bye);
    expect(await eventually(() => sessions(cam), (l) => l.length === 0)).toEqual([]);
  });
});
