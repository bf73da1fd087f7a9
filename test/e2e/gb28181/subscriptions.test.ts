/**
 * GB/T 28181 subscriptions end to end: a simulated camera (camera-kit.ts, a UDP socket) registered through
 * the real udp-bridge against a really started Worker. The API subscribes it to its catalog, alarms and
 * position; the camera accepts each SUBSCRIBE (200), notifies catalog changes (ADD, DEL, ON, OFF), an alarm
 * and a position in the dialogs and sends an alarm as a MESSAGE; the API shows the channels, the alarms
 * and the position; the catalog subscription (Expires 60, refreshed 55 s before its end with
 * GB_SUBSCRIPTION_MARGIN=55) is refreshed inside its dialog; unsubscribing sends Expires: 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deviceUntil, gbApi, gbLab, newDeviceId, PLATFORM, REALM, type DeviceJson } from './gb-kit.js';
import { notifyBody, tagOf, UdpCamera } from './camera-kit.js';

const lab = gbLab({ GB_SUBSCRIPTION_MARGIN: '55' });
const cameras: UdpCamera[] = [];
afterEach(async () => {
  await Promise.all(cameras.splice(0).map((c) => c.close()));
});

const put = (body: unknown): RequestInit => ({ method: 'PUT', body: JSON.stringify(body) });
const text = (r: { body: Uint8Array }) => Buffer.from(r.body).toString('utf8');
const cseqOf = (r: { headers: { get(n: string): string | undefined } }) => Number((r.headers.get('cseq') ?? '').split(' ')[0]);

describe('a GB28181 camera subscribed through the API', () => {
  it('catalog, alarm and position: NOTIFYs and an alarm MESSAGE applied, the refresh in the dialog before expiry, Expires: 0 to end', async () => {
    const id = newDeviceId('132');
    const cam = await UdpCamera.open(id, lab.bridge.port);
    cameras.push(cam);
    expect(await cam.register()).toBe(200);
    await deviceUntil(lab.svc, id, (d) => d.status === 200 && d.body.online);

    // Catalog: SUBSCRIBE with Event: Catalog, Expires 60 and Query/Catalog; the camera accepts.
    const created = await gbApi(lab.svc, `/devices/${id}/subscriptions/catalog`, put({ expires: 60 }));
    expect(created.status, created.text).toBe(201);
    const isCatalog = (r: { method: string; headers: { get(n: string): string | undefined } }) => r.method === 'SUBSCRIBE' && r.headers.get('event') === 'Catalog';
    const sub = await cam.request(isCatalog, 'the catalog SUBSCRIBE');
    expect(sub.uri).toBe(`sip:${id}@127.0.0.1:${cam.port}`);
    expect(sub.headers.get('from')).toMatch(new RegExp(`^<sip:${PLATFORM}@${REALM}>;tag=`));
    expect(sub.headers.get('expires')).toBe('60');
    expect(text(sub)).toContain(`<CmdType>Catalog</CmdType>`);
    expect(text(sub)).toContain(`<DeviceID>${id}</DeviceID>`);
    expect(created.body).toMatchObject({ kind: 'catalog', state: 'active', callId: sub.headers.get('call-id'), expires: 60 });

    // Catalog changes: ADD two channels, then DEL one and OFF the other, then ON again.
    const [A, B] = [newDeviceId('131'), newDeviceId('131')];
    const list = (...items: Array<[string, string, string?]>) => notifyBody('Catalog', 1, id, `<SumNum>${items.length}</SumNum>\r\n<DeviceList Num="${items.length}">\r\n${
      items.map(([ch, event, extra]) => `<Item>\r\n<DeviceID>${ch}</DeviceID>\r\n<Event>${event}</Event>\r\n${extra ?? ''}</Item>\r\n`).join('')}</DeviceList>\r\n`);
    const channels = async () => (await gbApi<DeviceJson>(lab.svc, `/devices/${id}`)).body.channels.map((c) => [c.deviceId, c.name, c.status]);
    expect((await cam.notify(sub, { cseq: 1, body: list([A, 'ADD', '<Name>Gate</Name>\r\n<Status>ON</Status>\r\n'], [B, 'ADD', '<Name>Lot</Name>\r\n<Status>ON</Status>\r\n']) })).status).toBe(200);
    expect(await channels()).toEqual([[A, 'Gate', 'ON'], [B, 'Lot', 'ON']]);
    expect((await cam.notify(sub, { cseq: 2, body: list([B, 'DEL'], [A, 'OFF']) })).status).toBe(200);
    expect(await channels()).toEqual([[A, 'Gate', 'OFF']]);
    expect((await cam.notify(sub, { cseq: 3, body: list([A, 'ON']) })).status).toBe(200);
    expect(await channels()).toEqual([[A, 'Gate', 'ON']]);
    // A NOTIFY of no subscription: 481; a body that is not XML: 400.
    expect((await cam.notify(sub, { cseq: 4, callId: 'forged@127.0.0.1', body: list([B, 'ADD']) })).status).toBe(481);
    expect((await cam.notify(sub, { cseq: 5, body: 'not xml' })).status).toBe(400);

    // Alarm and position: Event: presence, two more dialogs.
    expect((await gbApi(lab.svc, `/devices/${id}/subscriptions/alarm`, put({ expires: 60 }))).status).toBe(201);
    expect((await gbApi(lab.svc, `/devices/${id}/subscriptions/position`, put({ expires: 60, interval: 5 }))).status).toBe(201);
    const alarmSub = await cam.request((r) => r.method === 'SUBSCRIBE' && text(r).includes('<CmdType>Alarm</CmdType>'), 'the alarm SUBSCRIBE');
    const posSub = await cam.request((r) => r.method === 'SUBSCRIBE' && text(r).includes('<CmdType>MobilePosition</CmdType>'), 'the position SUBSCRIBE');
    expect([alarmSub.headers.get('event'), posSub.headers.get('event')]).toEqual(['presence', 'presence']);
    expect(text(posSub)).toContain('<Interval>5</Interval>');

    const alarm = (sn: number, what: string) => notifyBody('Alarm', sn, id,
      `<AlarmPriority>2</AlarmPriority>\r\n<AlarmMethod>5</AlarmMethod>\r\n<AlarmTime>2024-05-20T10:15:30</AlarmTime>\r\n<AlarmDescription>${what}</AlarmDescription>\r\n`);
    expect((await cam.notify(alarmSub, { cseq: 1, body: alarm(21, 'motion') })).status).toBe(200);
    expect((await cam.notify(posSub, { cseq: 1, body: notifyBody('MobilePosition', 22, id, '<Time>2024-05-20T10:15:31</Time>\r\n<Longitude>118.37</Longitude>\r\n<Latitude>31.32</Latitude>\r\n<Speed>40</Speed>\r\n<Direction>90</Direction>\r\n<Altitude>8</Altitude>\r\n') })).status).toBe(200);
    // The same kind of alarm as a MESSAGE: 200, then the platform's Response/Alarm (GB/T 28181 §9.4.2).
    expect((await cam.transact(cam.text('MESSAGE', { body: alarm(23, 'tamper') }))).status).toBe(200);
    const answer = await cam.request((r) => r.method === 'MESSAGE' && text(r).includes('<Response>'), 'the Response/Alarm MESSAGE');
    expect(text(answer)).toMatch(/<CmdType>Alarm<\/CmdType>\r\n<SN>23<\/SN>\r\n/);
    expect(text(answer)).toContain('<Result>OK</Result>');

    const alarms = await gbApi<{ alarms: Array<{ sn: number; description: string; via: string; priority: number }> }>(lab.svc, `/devices/${id}/alarms`);
    expect(alarms.body.alarms.map((a) => [a.sn, a.description, a.via, a.priority])).toEqual([[23, 'tamper', 'message', 2], [21, 'motion', 'notify', 2]]);
    const position = await gbApi(lab.svc, `/devices/${id}/position`);
    expect(position.body).toMatchObject({ deviceId: id, time: '2024-05-20T10:15:31', longitude: 118.37, latitude: 31.32, speed: 40, direction: 90, altitude: 8 });

    // The refresh, before the 60 s run out: same dialog (Call-ID, both tags), next CSeq, the same Expires.
    const refresh = await cam.request(isCatalog, 'the catalog refresh', 1, 40_000);
    expect(refresh.headers.get('call-id')).toBe(sub.headers.get('call-id'));
    expect(tagOf(refresh.headers.get('from'))).toBe(tagOf(sub.headers.get('from')));
    expect(tagOf(refresh.headers.get('to'))).toBe(cam.tag);
    expect(cseqOf(refresh)).toBe(cseqOf(sub) + 1);
    expect(refresh.headers.get('expires')).toBe('60');

    // Unsubscribe: Expires: 0 in the dialog, answered; the subscription is gone from the list.
    const gone = await gbApi(lab.svc, `/devices/${id}/subscriptions/catalog`, { method: 'DELETE' });
    expect(gone.body).toEqual({ kind: 'catalog', sent: true, status: 200, reason: 'OK' });
    const unsub = await cam.request((r) => isCatalog(r) && r.headers.get('expires') === '0', 'the unsubscribe');
    expect(unsub.headers.get('call-id')).toBe(sub.headers.get('call-id'));
    expect(cseqOf(unsub)).toBeGreaterThan(cseqOf(refresh));
    const left = await gbApi<{ subscriptions: Array<{ kind: string }> }>(lab.svc, `/devices/${id}/subscriptions`);
    expect(left.body.subscriptions.map((s) => s.kind)).toEqual(['alarm', 'position']);
    for (const kind of ['alarm', 'position']) expect((await gbApi(lab.svc, `/devices/${id}/subscriptions/${kind}`, { method: 'DELETE' })).body).toMatchObject({ sent: true, status: 200 });
  }, 90_000);
});
