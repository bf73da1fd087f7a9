import { describe, expect, it } from 'vitest';
import { parseManscdp } from '../../src/gb28181/manscdp.js';
import {
  cmdTypeOf, eventOf, eventPackage, grantedExpires, kindOfCmdType, parseSubscriptionState, refreshAt, retryDelayMs, subscribeBody,
} from '../../src/gb28181/subscription.js';

const DEV = '34020000001320000001';

describe('GB/T 28181 subscription bodies and headers', () => {
  it('subscribes the catalog with Event: Catalog and a plain Query/Catalog', () => {
    expect(eventPackage('catalog')).toBe('Catalog');
    expect(subscribeBody('catalog', 7, DEV, { expires: 3600 })).toBe(
      '<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>7</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n</Query>\r\n',
    );
  });

  it('subscribes alarms with Event: presence, priorities and method 0 (any) by default, type and times when given', () => {
    expect(eventPackage('alarm')).toBe('presence');
    expect(subscribeBody('alarm', 8, DEV, { expires: 60 })).toContain(
      '<DeviceID>34020000001320000001</DeviceID>\r\n<StartAlarmPriority>0</StartAlarmPriority>\r\n<EndAlarmPriority>0</EndAlarmPriority>\r\n<AlarmMethod>0</AlarmMethod>\r\n</Query>',
    );
    const m = parseManscdp(subscribeBody('alarm', 9, DEV, {
      expires: 60, startAlarmPriority: 1, endAlarmPriority: 4, alarmMethod: '2/5', alarmType: '1', startAlarmTime: '2024-05-20T00:00:00', endAlarmTime: '2024-05-21T00:00:00',
    }));
    expect(m.ok && m.value).toMatchObject({ root: 'Query', cmdType: 'Alarm', sn: 9, fields: {
      StartAlarmPriority: '1', EndAlarmPriority: '4', AlarmMethod: '2/5', AlarmType: '1', StartAlarmTime: '2024-05-20T00:00:00', EndAlarmTime: '2024-05-21T00:00:00',
    } });
  });

  it('subscribes mobile position with Event: presence and an Interval (5 s by default)', () => {
    expect(eventPackage('position')).toBe('presence');
    expect(subscribeBody('position', 1, DEV, { expires: 3600 })).toContain('<CmdType>MobilePosition</CmdType>');
    expect(subscribeBody('position', 1, DEV, { expires: 3600 })).toContain('<Interval>5</Interval>');
    expect(subscribeBody('position', 1, DEV, { expires: 3600, interval: 30 })).toContain('<Interval>30</Interval>');
  });

  it('maps notified CmdTypes to kinds, case-insensitively, and back', () => {
    expect(kindOfCmdType('Catalog')).toBe('catalog');
    expect(kindOfCmdType('ALARM')).toBe('alarm');
    expect(kindOfCmdType('mobileposition')).toBe('position');
    expect(kindOfCmdType('Keepalive')).toBeNull();
    expect(['catalog', 'alarm', 'position'].map((k) => cmdTypeOf(k as 'catalog'))).toEqual(['Catalog', 'Alarm', 'MobilePosition']);
  });
});

describe('subscription timing', () => {
  it('takes a shorter Expires from the device, never a longer one or a zero', () => {
    expect(grantedExpires(3600, 600)).toBe(600);
    expect(grantedExpires(3600, 7200)).toBe(3600);
    expect(grantedExpires(3600, 0)).toBe(3600);
    expect(grantedExpires(3600, undefined)).toBe(3600);
  });

  it('refreshes the margin before expiry, or half way when the margin is not shorter', () => {
    expect(refreshAt(1_000, 3600, 60)).toBe(1_000 + 3_540_000);
    expect(refreshAt(1_000, 60, 55)).toBe(1_000 + 5_000);
    expect(refreshAt(1_000, 60, 60)).toBe(1_000 + 30_000);
    expect(refreshAt(1_000, 30, 120)).toBe(1_000 + 15_000);
  });

  it('backs off failed refreshes from 30 s, doubling, to at most 10 min', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(retryDelayMs)).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
  });
});

describe('Subscription-State and Event (RFC 6665 §8.2.3, §7.2.1)', () => {
  it('reads the state, expires and reason', () => {
    expect(parseSubscriptionState('active;expires=3599')).toEqual({ state: 'active', expires: 3599 });
    expect(parseSubscriptionState('Terminated; reason=timeout')).toEqual({ state: 'terminated', reason: 'timeout' });
    expect(parseSubscriptionState('pending')).toEqual({ state: 'pending' });
    expect(parseSubscriptionState('active;expires=soon')).toEqual({ state: 'active' });
    expect(parseSubscriptionState('')).toBeNull();
    expect(parseSubscriptionState(null)).toBeNull();
  });

  it('reads the event package without its parameters', () => {
    expect(eventOf('Catalog;id=1')).toBe('catalog');
    expect(eventOf(' presence ')).toBe('presence');
    expect(eventOf(null)).toBeNull();
  });
});
