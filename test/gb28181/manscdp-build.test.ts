import { describe, expect, it } from 'vitest';
import { encodeBody } from '../../src/gb28181/charset.js';
import { buildControl, buildManscdp, buildQuery, escapeXml, parseManscdp, parseManscdpBody } from '../../src/gb28181/manscdp.js';
import { buildPtzCmd } from '../../src/gb28181/ptz.js';
import { fixtureBytes, fixtureMessage } from './fixtures.js';

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('MANSCDP builders', () => {
  it('reproduces the Catalog query body of the vector byte for byte', () => {
    const body = encodeBody(buildQuery('Catalog', 248531, '34020000001180000001'), 'GB2312');
    expect(latin1(body)).toBe(latin1(fixtureMessage('06-catalog-query.sip').body));
    expect(body.length).toBe(148);
  });

  it('reproduces the PTZ control body of the vector byte for byte', () => {
    const xml = buildControl(11, '34020000001310000001', { ptzCmd: buildPtzCmd({ tilt: 'up', speed: 0x80 }) });
    expect(latin1(encodeBody(xml, 'GB2312'))).toBe(latin1(fixtureBytes('08-ptz-body.xml')));
  });

  it('writes a UTF-8 prolog when asked', () => {
    expect(buildQuery('DeviceInfo', 1, '34020000001320000001', {}, 'UTF-8')).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\r\n<Query>\r\n/);
  });

  it('sends RecordInfo with times, Secrecy 0 and Type all by default', () => {
    const xml = buildQuery('RecordInfo', 3, '34020000001310000001', { startTime: '2024-05-20T00:00:00', endTime: '2024-05-20T23:59:59' });
    expect(xml).toContain('<DeviceID>34020000001310000001</DeviceID>\r\n<StartTime>2024-05-20T00:00:00</StartTime>\r\n' +
      '<EndTime>2024-05-20T23:59:59</EndTime>\r\n<Secrecy>0</Secrecy>\r\n<Type>all</Type>\r\n</Query>\r\n');
    const m = parseManscdp(xml);
    expect(m.ok && m.value.fields['Type']).toBe('all');
  });

  it('ignores RecordInfo extras on other queries', () => {
    expect(buildQuery('DeviceStatus', 3, '1', { type: 'alarm' })).not.toContain('<Type>');
  });

  it('builds guard and reboot controls', () => {
    const xml = buildControl(4, '34020000001320000001', { teleBoot: true, guard: 'SetGuard' });
    expect(xml).toContain('<CmdType>DeviceControl</CmdType>');
    expect(xml).toContain('<TeleBoot>Boot</TeleBoot>\r\n<GuardCmd>SetGuard</GuardCmd>\r\n');
    expect(xml).not.toContain('PTZCmd');
  });

  it('escapes XML special characters in text', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    const xml = buildManscdp('Notify', 'Keepalive', 1, '</DeviceID><x>', [['Status', 'R&D']]);
    const m = parseManscdp(xml);
    expect(m.ok && m.value.deviceId).toBe('</DeviceID><x>');
    expect(m.ok && m.value.fields['Status']).toBe('R&D');
  });

  it('round-trips a Chinese Catalog response through GB2312 bytes', () => {
    const xml = buildManscdp('Response', 'Catalog', 2, '34020000002000000001', [['SumNum', 1],
      ['DeviceList', [['Item', [['DeviceID', '34020000001310000001'], ['Name', '大门口']]]]]]);
    const m = parseManscdpBody(encodeBody(xml, 'GB2312'));
    expect(m.ok && JSON.stringify(m.value.fields)).toContain('大门口');
  });
});
