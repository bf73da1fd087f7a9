import { describe, expect, it } from 'vitest';
import { addAlarm, alarmNotify, alarmResponse, type DeviceAlarm } from '../../src/gb28181/alarm.js';
import { parseManscdp } from '../../src/gb28181/manscdp.js';

const ALARM = `<?xml version="1.0" encoding="GB2312"?>
<Notify>
<CmdType>Alarm</CmdType>
<SN>12</SN>
<DeviceID>34020000001340000001</DeviceID>
<AlarmPriority>1</AlarmPriority>
<AlarmMethod>5</AlarmMethod>
<AlarmTime>2024-05-20T10:15:30</AlarmTime>
<AlarmDescription>motion</AlarmDescription>
<Longitude>118.3</Longitude>
<Latitude>31.3</Latitude>
<Info>
<AlarmType>2</AlarmType>
<AlarmTypeParam><EventType>1</EventType></AlarmTypeParam>
</Info>
</Notify>
`;

function parsed(xml: string) {
  const m = parseManscdp(xml);
  if (!m.ok) throw new Error(m.error);
  return m.value;
}

describe('Notify/Alarm (GB/T 28181 A.2.5.3)', () => {
  it('reads priority, method, time, description, place and Info/AlarmType', () => {
    const a = alarmNotify(parsed(ALARM), 5, 'message');
    expect(a).toEqual({ ok: true, value: {
      deviceId: '34020000001340000001', sn: 12, priority: 1, method: '5', time: '2024-05-20T10:15:30', description: 'motion',
      longitude: 118.3, latitude: 31.3, type: 2, eventType: 1, receivedAt: 5, via: 'message',
    } });
  });

  it('tolerates the optional fields missing, and an AlarmType outside Info', () => {
    const a = alarmNotify(parsed('<Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>1</DeviceID><AlarmType>3</AlarmType></Notify>'), 0, 'notify');
    expect(a.ok && a.value).toEqual({ deviceId: '1', sn: 1, priority: null, method: '', time: '', description: '', type: 3, receivedAt: 0, via: 'notify' });
  });

  it('refuses another CmdType and a priority out of range', () => {
    expect(alarmNotify(parsed('<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>1</DeviceID></Notify>'), 0, 'message').ok).toBe(false);
    expect(alarmNotify(parsed('<Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>1</DeviceID><AlarmPriority>9</AlarmPriority></Notify>'), 0, 'message').ok).toBe(false);
  });

  it('answers an alarm MESSAGE with Response/Alarm, the same SN and Result OK', () => {
    const m = parsed(alarmResponse(12, '34020000001340000001'));
    expect(m).toMatchObject({ root: 'Response', cmdType: 'Alarm', sn: 12, deviceId: '34020000001340000001', fields: { Result: 'OK' } });
  });
});

describe('the alarm list', () => {
  const alarm = (sn: number, time = `t${sn}`): DeviceAlarm => ({ deviceId: 'd', sn, priority: 1, method: '2', time, description: '', receivedAt: sn, via: 'message' });

  it('keeps the newest first and at most the bound', () => {
    let list: readonly DeviceAlarm[] = [];
    for (let i = 1; i <= 5; i++) list = addAlarm(list, alarm(i), 3);
    expect(list.map((a) => a.sn)).toEqual([5, 4, 3]);
  });

  it('does not count a resend twice (the same array comes back), but the same SN at another time is new', () => {
    const list = addAlarm([], alarm(1));
    expect(addAlarm(list, { ...alarm(1), receivedAt: 99 })).toBe(list);
    expect(addAlarm(list, alarm(1, 'later'))).toHaveLength(2);
  });
});
