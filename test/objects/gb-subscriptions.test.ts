/**
 * GB/T 28181 subscriptions inside workerd: the API subscribes a scripted camera (catalog, alarm, position),
 * the camera's NOTIFYs and alarm MESSAGEs are answered and applied, a due refresh goes inside the dialog
 * from the device's alarm, and unsubscribing sends Expires: 0.
 */
import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SipRequest } from '../../src/sip/message.js';
import { LIVENESS_CLOSE_CODE } from '../../src/transport/liveness.js';
import { api, Camera, notifyBody, PLATFORM, REALM, tagOf } from './gb-camera.js';

const put = (body: unknown): RequestInit => ({ method: 'PUT', body: JSON.stringify(body) });
const text = (r: SipRequest) => new TextDecoder().decode(r.body);
const json = async <T = Record<string, unknown>>(r: Response | Promise<Response>) => (await (await r).json()) as T;
const aor = (id: string) => env.AOR.get(env.AOR.idFromName(`sip:${id}@${REALM}`));

type Channels = { channels: Array<{ deviceId: string; status: string; name: string }> };

afterEach(() => {
  vi.useRealTimers();
});

describe('a catalog subscription', () => {
  it('subscribes, applies ADD/UPDATE/DEL/ON/OFF NOTIFYs, refreshes in the dialog when due, and unsubscribes with Expires: 0', async () => {
    const id = '34020000001180000031';
    const cam = await Camera.open(id, '203.0.113.31:5060');
    expect(await cam.register()).toBe(200);

    const pending = api(`/devices/${id}/subscriptions/catalog`, put({ expires: 3600 }));
    const sub = await cam.request('SUBSCRIBE');
    expect(sub.uri).toBe(`sip:${id}@192.168.1.64:5060`);
    expect(sub.headers.get('event')).toBe('Catalog');
    expect(sub.headers.get('expires')).toBe('3600');
    expect(sub.headers.get('contact')).toBe(`<sip:${PLATFORM}@${REALM}>`);
    expect(sub.headers.get('to')).toBe(`<sip:${id}@${REALM}>`);
    expect(sub.headers.get('content-type')).toBe('Application/MANSCDP+xml');
    expect(text(sub)).toMatch(new RegExp(`<Query>\\r\\n<CmdType>Catalog</CmdType>\\r\\n<SN>\\d+</SN>\\r\\n<DeviceID>${id}</DeviceID>\\r\\n</Query>`));
    cam.answer(sub, 200, 'dev1', ['Expires: 3600', `Contact: <sip:${id}@192.168.1.64:5060>`]);
    const created = await pending;
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ kind: 'catalog', event: 'Catalog', state: 'active', created: true, expires: 3600, callId: sub.headers.get('call-id') });

    const items = (list: string) => notifyBody('Catalog', 1, id, `<SumNum>2</SumNum>\r\n<DeviceList Num="2">\r\n${list}</DeviceList>\r\n`);
    const item = (ch: string, event: string, extra = '') => `<Item>\r\n<DeviceID>${ch}</DeviceID>\r\n<Event>${event}</Event>\r\n${extra}</Item>\r\n`;
    const [A, B] = ['34020000001310000031', '34020000001310000032'];
    expect((await cam.notify(sub, { cseq: 1, body: items(item(A, 'ADD', '<Name>Gate</Name>\r\n<Status>ON</Status>\r\n') + item(B, 'ADD', '<Name>Lot</Name>\r\n')) })).status).toBe(200);
    expect((await json<Channels>(api(`/devices/${id}`))).channels.map((c) => [c.deviceId, c.name, c.status])).toEqual([[A, 'Gate', 'ON'], [B, 'Lot', 'ON']]);
    expect((await cam.notify(sub, { cseq: 2, body: items(item(A, 'OFF') + item(B, 'UPDATE', '<Name>Lot B</Name>\r\n')) })).status).toBe(200);
    expect((await json<Channels>(api(`/devices/${id}`))).channels.map((c) => [c.deviceId, c.name, c.status])).toEqual([[A, 'Gate', 'OFF'], [B, 'Lot B', 'ON']]);
    expect((await cam.notify(sub, { cseq: 3, body: items(item(A, 'ON') + item(B, 'DEL')) })).status).toBe(200);
    expect((await json<Channels>(api(`/devices/${id}`))).channels.map((c) => [c.deviceId, c.status])).toEqual([[A, 'ON']]);

    // Refused: another dialog (481), another event package (489), a body that is not MANSCDP or not a catalog (400).
    expect((await cam.notify(sub, { cseq: 4, callId: 'no-such-dialog', body: items(item(B, 'ADD')) })).status).toBe(481);
    expect((await cam.notify(sub, { cseq: 5, event: 'presence' })).status).toBe(489);
    const bad = await cam.notify(sub, { cseq: 6, body: '<Notify><CmdType>Catalog' });
    expect(bad.status).toBe(400);
    expect(bad.reason).toMatch(/^Bad Request \(Malformed XML/);
    expect((await cam.notify(sub, { cseq: 7, body: notifyBody('Alarm', 1, id, '') })).status).toBe(400);
    expect((await json<Channels>(api(`/devices/${id}`))).channels.map((c) => c.deviceId)).toEqual([A]);

    // Due: the object's alarm sends the refresh inside the dialog (same Call-ID and tags, next CSeq).
    // The clock moves on (and stays on: a flow's rate bucket does not expect time to run backwards).
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + 3_550_000);
    const fired = runDurableObjectAlarm(aor(id));
    const refresh = await cam.request('SUBSCRIBE');
    expect(refresh.headers.get('call-id')).toBe(sub.headers.get('call-id'));
    expect(tagOf(refresh.headers.get('from')!)).toBe(tagOf(sub.headers.get('from')!));
    expect(tagOf(refresh.headers.get('to')!)).toBe('dev1');
    expect(refresh.headers.get('cseq')).toBe(`${Number(sub.headers.get('cseq')!.split(' ')[0]) + 1} SUBSCRIBE`);
    expect(refresh.uri).toBe(`sip:${id}@192.168.1.64:5060`);
    expect(refresh.headers.get('expires')).toBe('3600');
    cam.answer(refresh, 200, 'dev1', ['Expires: 1800']);
    expect(await fired).toBe(true);
    const listed = await json<{ subscriptions: Array<{ kind: string; expires: number; refreshedAt: number }> }>(api(`/devices/${id}/subscriptions`));
    expect(listed.subscriptions).toHaveLength(1);
    expect(listed.subscriptions[0]!.expires).toBe(1800);

    // Unsubscribe: Expires: 0 in the dialog; the device's last NOTIFY (terminated) still gets 200, later ones 481.
    const gone = api(`/devices/${id}/subscriptions/catalog`, { method: 'DELETE' });
    const unsub = await cam.request('SUBSCRIBE');
    expect(unsub.headers.get('expires')).toBe('0');
    expect(unsub.headers.get('call-id')).toBe(sub.headers.get('call-id'));
    expect(unsub.headers.get('cseq')).toBe(`${Number(refresh.headers.get('cseq')!.split(' ')[0]) + 1} SUBSCRIBE`);
    cam.answer(unsub);
    expect(await json(gone)).toEqual({ kind: 'catalog', sent: true, status: 200, reason: 'OK' });
    expect((await cam.notify(sub, { cseq: 8, state: 'terminated;reason=timeout' })).status).toBe(200);
    expect(await json(api(`/devices/${id}/subscriptions`))).toEqual({ deviceId: id, subscriptions: [] });
    expect((await api(`/devices/${id}/subscriptions/catalog`, { method: 'DELETE' })).status).toBe(404);
    cam.close();
    }, 20_000);
});

describe('alarm and position subscriptions, and alarm MESSAGEs', () => {
  it('fills the alarm list (newest first) and the position; answers an alarm MESSAGE with 200 and then Response/Alarm', async () => {
    const id = '34020000001320000032';
    const cam = await Camera.open(id, '203.0.113.32:5060');
    expect(await cam.register()).toBe(200);
    expect((await api(`/devices/${id}/position`)).status).toBe(404);

    const alarmSub = api(`/devices/${id}/subscriptions/alarm`, put({ expires: 600, startAlarmPriority: 1, endAlarmPriority: 4, alarmMethod: '2/5' }));
    const a = await cam.request('SUBSCRIBE');
    expect(a.headers.get('event')).toBe('presence');
    expect(text(a)).toContain('<CmdType>Alarm</CmdType>');
    expect(text(a)).toContain('<StartAlarmPriority>1</StartAlarmPriority>\r\n<EndAlarmPriority>4</EndAlarmPriority>\r\n<AlarmMethod>2/5</AlarmMethod>');
    cam.answer(a, 200, 'dev1');
    expect((await alarmSub).status).toBe(201);

    const posSub = api(`/devices/${id}/subscriptions/position`, put({ expires: 600, interval: 10 }));
    const p = await cam.request('SUBSCRIBE');
    expect(p.headers.get('event')).toBe('presence');
    expect(p.headers.get('call-id')).not.toBe(a.headers.get('call-id'));
    expect(text(p)).toContain('<CmdType>MobilePosition</CmdType>');
    expect(text(p)).toContain('<Interval>10</Interval>');
    cam.answer(p, 200, 'dev2', ['Expires: 300']);
    expect(await json(posSub)).toMatchObject({ kind: 'position', expires: 300, params: { expires: 600, interval: 10 } });

    const alarm = (sn: number, description: string) => notifyBody('Alarm', sn, id,
      `<AlarmPriority>1</AlarmPriority>\r\n<AlarmMethod>5</AlarmMethod>\r\n<AlarmTime>2024-05-20T10:15:${sn}</AlarmTime>\r\n<AlarmDescription>${description}</AlarmDescription>\r\n<Info>\r\n<AlarmType>2</AlarmType>\r\n</Info>\r\n`);
    expect((await cam.notify(a, { cseq: 1, body: alarm(11, 'motion') })).status).toBe(200);
    const position = notifyBody('MobilePosition', 3, id, '<Time>2024-05-20T10:15:30</Time>\r\n<Longitude>118.376</Longitude>\r\n<Latitude>31.326</Latitude>\r\n<Speed>42.5</Speed>\r\n<Direction>270</Direction>\r\n<Altitude>12</Altitude>\r\n');
    expect((await cam.notify(p, { cseq: 1, tag: 'dev2', body: position })).status).toBe(200);
    expect(await json(api(`/devices/${id}/position`))).toMatchObject({ deviceId: id, time: '2024-05-20T10:15:30', longitude: 118.376, latitude: 31.326, speed: 42.5, direction: 270, altitude: 12 });
    // The position dialog carries positions only.
    expect((await cam.notify(p, { cseq: 2, tag: 'dev2', body: alarm(12, 'wrong dialog') })).status).toBe(400);

    // An alarm as a MESSAGE: 200, then the platform's Response/Alarm with the same SN (GB/T 28181 §9.4.2).
    expect((await cam.send(cam.text('MESSAGE', { body: alarm(13, 'by message') }))).status).toBe(200);
    const answer = await cam.request('MESSAGE');
    expect(text(answer)).toMatch(new RegExp(`<Response>\\r\\n<CmdType>Alarm</CmdType>\\r\\n<SN>13</SN>\\r\\n<DeviceID>${id}</DeviceID>\\r\\n<Result>OK</Result>`));
    cam.answer(answer);
    // A resend of the same alarm is not listed twice.
    expect((await cam.send(cam.text('MESSAGE', { body: alarm(13, 'by message') }))).status).toBe(200);
    cam.answer(await cam.request('MESSAGE'));
    const alarms = await json<{ alarms: Array<Record<string, unknown>> }>(api(`/devices/${id}/alarms`));
    expect(alarms.alarms.map((x) => [x.sn, x.description, x.via])).toEqual([[13, 'by message', 'message'], [11, 'motion', 'notify']]);
    expect(alarms.alarms[1]).toMatchObject({ priority: 1, method: '5', type: 2, time: '2024-05-20T10:15:11' });
    expect((await json<{ alarms: unknown[] }>(api(`/devices/${id}/alarms?limit=1`))).alarms).toHaveLength(1);

    // The device ends the position subscription: kept, shown terminated, not refreshed.
    expect((await cam.notify(p, { cseq: 3, tag: 'dev2', state: 'terminated;reason=noresource' })).status).toBe(200);
    const subs = await json<{ subscriptions: Array<{ kind: string; state: string; refreshAt: number | null }> }>(api(`/devices/${id}/subscriptions`));
    expect(subs.subscriptions.map((s) => [s.kind, s.state])).toEqual([['alarm', 'active'], ['position', 'terminated']]);
    expect(subs.subscriptions[1]!.refreshAt).toBeNull();
    cam.close();
  });
});

describe('a subscription whose device goes away', () => {
  it('is lost when it ends while the device is offline, and subscribed anew on the flow the device comes back on', async () => {
    const id = '34020000001320000034';
    const cam = await Camera.open(id, '203.0.113.34:5060');
    expect(await cam.register()).toBe(200);
    const pending = api(`/devices/${id}/subscriptions/position`, put({ expires: 600 }));
    const first = await cam.request('SUBSCRIBE');
    cam.answer(first);
    expect((await pending).status).toBe(201);
    cam.close(LIVENESS_CLOSE_CODE, 'keepalive timeout');
    const offline = async () => ((await json<{ online: boolean }>(api(`/devices/${id}`))).online === false);
    for (let i = 0; i < 50 && !(await offline()); i++) await new Promise((r) => setTimeout(r, 20));

    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + 700_000);
    expect(await runDurableObjectAlarm(aor(id))).toBe(true);
    const lost = await json<{ subscriptions: Array<{ state: string; refreshAt: number | null }> }>(api(`/devices/${id}/subscriptions`));
    expect(lost.subscriptions).toMatchObject([{ kind: 'position', state: 'lost', refreshAt: null }]);

    const back = await Camera.open(id, '203.0.113.35:5070');
    expect(await back.register()).toBe(200);
    const fired = runDurableObjectAlarm(aor(id));
    const again = await back.request('SUBSCRIBE');
    expect(again.headers.get('call-id')).not.toBe(first.headers.get('call-id'));
    expect(again.headers.get('to')).toBe(`<sip:${id}@${REALM}>`);
    expect(text(again)).toContain('<CmdType>MobilePosition</CmdType>');
    back.answer(again, 200, 'dev9');
    expect(await fired).toBe(true);
    const active = await json<{ subscriptions: Array<{ state: string; callId: string }> }>(api(`/devices/${id}/subscriptions`));
    expect(active.subscriptions).toMatchObject([{ kind: 'position', state: 'active', callId: again.headers.get('call-id') }]);
    back.close();
  });
});

describe('the subscription API', () => {
  it('checks what it is sent, and says which device or subscription is missing', async () => {
    const id = '34020000001320000033';
    const cam = await Camera.open(id, '203.0.113.33:5060');
    expect(await cam.register()).toBe(200);
    const bad = async (path: string, init: RequestInit) => {
      const r = await api(path, init);
      return [r.status, ((await r.json()) as { error: string }).error];
    };
    expect(await bad(`/devices/${id}/subscriptions/catalog`, put({ interval: 5 }))).toEqual([400, '"interval" is for position subscriptions']);
    expect(await bad(`/devices/${id}/subscriptions/position`, put({ alarmMethod: '1' }))).toEqual([400, '"alarmMethod" is for alarm subscriptions']);
    expect((await bad(`/devices/${id}/subscriptions/alarm`, put({ expires: 5 })))[0]).toBe(400);
    expect((await bad(`/devices/${id}/subscriptions/alarm`, put({ startAlarmTime: 'yesterday' })))[1]).toMatch(/^"startAlarmTime" must be YYYY-MM-DDThh:mm:ss/);
    expect((await bad(`/devices/${id}/subscriptions/alarm`, put({ alarmType: '1\r\nX: y' })))[0]).toBe(400);
    expect((await bad(`/devices/${id}/subscriptions/weather`, put({})))[0]).toBe(400);
    expect((await bad(`/devices/${id}/subscriptions/catalog`, put({ expires: 60, extra: 1 })))[0]).toBe(400);
    expect((await bad(`/devices/${id}/alarms?limit=0`, {}))[0]).toBe(400);
    expect(await bad('/devices/34020000001320009999/alarms', {})).toEqual([404, 'no such device']);
    expect(await bad(`/devices/${id}/subscriptions/alarm`, { method: 'DELETE' })).toEqual([404, `no alarm subscription on device ${id}`]);
    // A device that refuses the SUBSCRIBE: 502 with its status, and nothing kept.
    const refused = api(`/devices/${id}/subscriptions/alarm`, put({}));
    cam.answer(await cam.request('SUBSCRIBE'), 489);
    expect(await json(refused)).toEqual({ error: 'device answered 489 Whatever', sipStatus: 489 });
    expect(await json(api(`/devices/${id}/subscriptions`))).toEqual({ deviceId: id, subscriptions: [] });
    cam.close();
  });
});
