/**
 * Voice broadcast (GB/T 28181 §9.12) end to end, through the real udp-bridge against a really started Worker
 * with an audio source configured (GB_BROADCAST_AUDIO_IP/PORT): a scripted camera over UDP, and one over TCP,
 * gets the API's Notify/Broadcast, answers it, INVITEs the source, sees the 200 with the answer (sendonly, the
 * configured audio address, its own SSRC) and ACKs; the API lists the session and its stop sends BYE. A camera
 * offering no G.711 gets 488 and the API 502.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../udp/udp-kit.js';
import { BroadcastCamera, audioOffer } from './broadcast-camera.js';
import { deviceUntil, gbApi, gbLab, newDeviceId, PLATFORM, REALM } from './gb-kit.js';

const AUDIO = { ip: '127.0.0.1', port: 10_020 };
const lab = gbLab({ GB_BROADCAST_AUDIO_IP: AUDIO.ip, GB_BROADCAST_AUDIO_PORT: String(AUDIO.port) });

interface SessionJson { callId: string; sourceId: string; targetId: string; ssrc: string; audio: { ip: string; port: number }; device: Record<string, unknown>; answer: string; state: string }

async function online(cam: BroadcastCamera): Promise<void> {
  const ok = await cam.register();
  expect(ok.first, ok.text).toMatch(/^SIP\/2\.0 200/);
  await deviceUntil(lab.svc, cam.id, (d) => d.status === 200 && d.body.online);
}

describe('voice broadcast through the bridge', () => {
  for (const transport of ['UDP', 'TCP'] as const) {
    it(`over ${transport}: Notify, the camera's INVITE answered sendonly from the configured source, ACK, listed, BYE from the API`, async () => {
      const id = newDeviceId('132');
      const cam = transport === 'UDP' ? await BroadcastCamera.udp(id, lab.bridge.port) : await BroadcastCamera.tcp(id, lab.bridge.bridge.tcpAddress()!.port);
      try {
        await online(cam);
        const res = await gbApi<SessionJson>(lab.svc, `/devices/${id}/broadcast?wait=10`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
        expect(res.status, `${res.text}\n${lab.bridge.tail()}`).toBe(200);

        // The notify came down the camera's own socket, from the platform, naming the source and the target.
        const notify = cam.received.find((r) => r.first.startsWith('MESSAGE'))!;
        expect(notify.header('from')).toMatch(new RegExp(`^<sip:${PLATFORM}@${REALM}>;tag=`));
        expect(notify.body).toContain(`<SourceID>${PLATFORM}</SourceID>`);
        expect(notify.body).toContain(`<TargetID>${id}</TargetID>`);

        const answer = await cam.inviteAnswer;
        expect(answer.first).toBe('SIP/2.0 200 OK');
        expect(answer.header('content-type')).toBe('application/sdp');
        expect(answer.body).toContain(`c=IN IP4 ${AUDIO.ip}`);
        expect(answer.body).toContain(`m=audio ${AUDIO.port} ${transport === 'TCP' ? 'TCP/RTP/AVP' : 'RTP/AVP'} 8`);
        expect(answer.body).toContain('a=sendonly');
        expect(answer.body).toContain('y=0100000777');
        if (transport === 'TCP') expect(answer.body).toContain('a=setup:passive');
        expect(res.body).toMatchObject({ sourceId: PLATFORM, targetId: id, ssrc: '0100000777', audio: AUDIO, answer: answer.body, device: { ip: '127.0.0.1', port: 15062, transport } });

        const listed = await eventually(
          () => gbApi<{ broadcasts: SessionJson[] }>(lab.svc, `/devices/${id}/broadcast`),
          (l) => l.body.broadcasts?.[0]?.state === 'confirmed', 10_000, 100,
        );
        expect(listed.body.broadcasts.map((b) => b.callId)).toEqual([res.body.callId]);

        const stop = await gbApi(lab.svc, `/devices/${id}/broadcast/${encodeURIComponent(res.body.callId)}`, { method: 'DELETE' });
        expect(stop.status, stop.text).toBe(200);
        const bye = cam.received.find((r) => r.first.startsWith('BYE'))!;
        expect(bye.header('call-id')).toBe(res.body.callId);
        expect(bye.header('to')).toContain(`tag=cam${id.slice(-4)}`);
        expect((await gbApi<{ broadcasts: unknown[] }>(lab.svc, `/devices/${id}/broadcast`)).body.broadcasts).toEqual([]);
      } finally {
        cam.close();
      }
    });
  }

  it('a camera offering only G.729 gets 488, and the API answers 502 with the SIP status', async () => {
    const id = newDeviceId('132');
    const cam = await BroadcastCamera.udp(id, lab.bridge.port);
    try {
      await online(cam);
      cam.plan = { offer: audioOffer(id, { codec: '18 G729/8000' }) };
      const res = await gbApi<{ error: string; sipStatus: number }>(lab.svc, `/devices/${id}/broadcast`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(res.status, res.text).toBe(502);
      expect(res.body.sipStatus).toBe(488);
      expect((await cam.inviteAnswer).first).toMatch(/^SIP\/2\.0 488/);
    } finally {
      cam.close();
    }
  });
});
