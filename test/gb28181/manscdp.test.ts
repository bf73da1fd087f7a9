import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/gb28181/charset.js';
import {
  catalogResponse,
  deviceInfoResponse,
  deviceStatusResponse,
  keepalive,
  parseManscdp,
  parseManscdpBody,
  recordInfoResponse,
} from '../../src/gb28181/manscdp.js';
import type { ManscdpMessage } from '../../src/gb28181/manscdp.js';
import { fixtureMessage } from './fixtures.js';

const PROLOG = '<?xml version="1.0" encoding="GB2312"?>\r\n';

function parsed(xml: string): ManscdpMessage {
  const r = parseManscdp(xml);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function value<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('parseManscdp', () => {
  it('reads the envelope of the keepalive vector', () => {
    const m = value(parseManscdpBody(fixtureMessage('05-keepalive.sip').body));
    expect(m).toMatchObject({ root: 'Notify', cmdType: 'Keepalive', sn: 43, deviceId: '34020000001320000001' });
    expect(value(keepalive(m))).toEqual({ status: 'OK' });
  });

  it('keeps numeric-looking IDs as strings with their leading zeros', () => {
    const m = parsed(`${PROLOG}<Response><CmdType>Catalog</CmdType><SN>007</SN><DeviceID>00000000001320000001</DeviceID>` +
      `<SumNum>1</SumNum><DeviceList Num="1"><Item><DeviceID>00000000001310000001</DeviceID><CivilCode>010100</CivilCode></Item></DeviceList></Response>`);
    expect(m.deviceId).toBe('00000000001320000001');
    expect(m.sn).toBe(7);
    const item = value(catalogResponse(m)).items[0];
    expect(item?.deviceId).toBe('00000000001310000001');
    expect(item?.civilCode).toBe('010100');
  });

  it('decodes XML entities in text', () => {
    const m = parsed('<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>1</DeviceID><Status>A &amp; B &lt;C&gt;</Status></Notify>');
    expect(value(keepalive(m)).status).toBe('A & B <C>');
  });

  it('tolerates bare ampersands sent by Hikvision devices', () => {
    const m = parsed('<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>1</DeviceID><Status>R&D</Status></Notify>');
    expect(value(keepalive(m)).status).toBe('R&D');
  });

  it('accepts a root element in any capitalisation and normalises it', () => {
    expect(parsed('<notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>1</DeviceID></notify>').root).toBe('Notify');
  });

  it.each([
    ['malformed XML', '<Notify><CmdType>Keepalive</Notify>', /Malformed XML/],
    ['an unknown root', '<Hello><CmdType>x</CmdType><SN>1</SN><DeviceID>1</DeviceID></Hello>', /Unknown MANSCDP root/],
    ['two roots', '<Notify/><Query/>', /one root element/],
    ['no CmdType', '<Notify><SN>1</SN><DeviceID>1</DeviceID></Notify>', /no CmdType/],
    ['no SN', '<Notify><CmdType>Keepalive</CmdType><DeviceID>1</DeviceID></Notify>', /no valid SN/],
    ['a non-numeric SN', '<Notify><CmdType>Keepalive</CmdType><SN>x1</SN><DeviceID>1</DeviceID></Notify>', /no valid SN/],
    ['no DeviceID', '<Notify><CmdType>Keepalive</CmdType><SN>1</SN></Notify>', /no DeviceID/],
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY a "b">]><Notify/>', /DOCTYPE/],
    ['a prototype-polluting tag', '<Notify><CmdType>K</CmdType><SN>1</SN><DeviceID>1</DeviceID><__proto__>x</__proto__></Notify>', /./],
    ['empty input', '', /./],
  ])('fails with a reason on %s', (_what, xml, reason) => {
    const r = parseManscdp(xml);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });
});

describe('catalogResponse', () => {
  const vector = (): ManscdpMessage => value(parseManscdpBody(fixtureMessage('07-catalog-response.gb2312.sip').body));

  it('extracts both channels of the GB2312 vector with their Chinese names', () => {
    const m = vector();
    expect(m).toMatchObject({ root: 'Response', cmdType: 'Catalog', sn: 248531, deviceId: '34020000001180000001' });
    const c = value(catalogResponse(m));
    expect(c.sumNum).toBe(2);
    expect(c.num).toBe(2);
    expect(c.items).toEqual([
      {
        deviceId: '34020000001310000001', name: '大门口', manufacturer: 'Acme', model: 'IPC-100', owner: 'Owner',
        civilCode: '340200', address: 'Gate 1', parental: false, parentId: '34020000001180000001', status: 'ON', ptzType: 1,
      },
      {
        deviceId: '34020000001310000002', name: '停车场', manufacturer: 'Acme', model: 'IPC-100', owner: 'Owner',
        civilCode: '340200', address: 'Lot B', parental: false, parentId: '34020000001180000001', status: 'OFF', ptzType: 3,
      },
    ]);
  });

  it('reads a DeviceList holding a single Item as a one-element list', () => {
    const m = parsed(`${PROLOG}<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>34020000001180000001</DeviceID><SumNum>2</SumNum>` +
      `<DeviceList Num="1"><Item><DeviceID>34020000001310000002</DeviceID></Item></DeviceList></Response>`);
    const c = value(catalogResponse(m));
    expect(c.num).toBe(1);
    expect(c.items.map((i) => i.deviceId)).toEqual(['34020000001310000002']);
  });

  it('tolerates missing item fields, empty lists and vendor status spellings', () => {
    const m = parsed(`<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>1</DeviceID><SumNum>3</SumNum><DeviceList Num="3">` +
      `<Item><DeviceID>a</DeviceID><Status>ONLINE</Status><Parental>65535</Parental><Longitude>120.5</Longitude><Latitude>30.25</Latitude></Item>` +
      `<Item><DeviceID>b</DeviceID><Status>offline</Status><Longitude></Longitude></Item>` +
      `<Item><Name>no id</Name></Item></DeviceList></Response>`);
    const [a, b, ...rest] = value(catalogResponse(m)).items;
    expect(a).toMatchObject({ deviceId: 'a', name: '', status: 'ON', parental: true, longitude: 120.5, latitude: 30.25 });
    expect(b).toMatchObject({ deviceId: 'b', status: 'OFF', parental: false });
    expect(b?.longitude).toBeUndefined();
    expect(rest).toEqual([]);
  });

  it('accepts SumNum 0 with an empty DeviceList as "no channels"', () => {
    const m = parsed('<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>1</DeviceID><SumNum>0</SumNum><DeviceList Num="0"></DeviceList></Response>');
    expect(value(catalogResponse(m))).toEqual({ sumNum: 0, num: 0, items: [] });
  });

  it('fails without SumNum and on another command type', () => {
    expect(catalogResponse(parsed('<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>1</DeviceID></Response>')).ok).toBe(false);
    expect(catalogResponse(parsed('<Response><CmdType>DeviceInfo</CmdType><SN>1</SN><DeviceID>1</DeviceID></Response>')).ok).toBe(false);
  });

  it('parses the vector body the same whether decoded first or passed as bytes', () => {
    const body = fixtureMessage('07-catalog-response.gb2312.sip').body;
    expect(value(parseManscdp(decodeBody(body)))).toEqual(vector());
  });
});

describe('device responses', () => {
  it('reads DeviceInfo with the channel count', () => {
    const m = parsed(`${PROLOG}<Response><CmdType>DeviceInfo</CmdType><SN>5</SN><DeviceID>34020000001180000001</DeviceID>` +
      `<Result>OK</Result><DeviceName>NVR 前台</DeviceName><Manufacturer>Hikvision</Manufacturer><Model>DS-7716N</Model>` +
      `<Firmware>V4.1.0</Firmware><Channel>16</Channel></Response>`);
    expect(value(deviceInfoResponse(m))).toEqual({
      deviceName: 'NVR 前台', manufacturer: 'Hikvision', model: 'DS-7716N', firmware: 'V4.1.0', channel: 16, result: 'OK',
    });
  });

  it('reads DeviceStatus including alarm states', () => {
    const m = parsed(`<Response><CmdType>DeviceStatus</CmdType><SN>6</SN><DeviceID>34020000001320000001</DeviceID>` +
      `<Result>OK</Result><Online>ONLINE</Online><Status>OK</Status><Encode>ON</Encode><Record>OFF</Record>` +
      `<DeviceTime>2024-05-20T10:15:30</DeviceTime><Alarmstatus Num="1"><Item><DeviceID>34020000001340000001</DeviceID>` +
      `<DutyStatus>OFFDUTY</DutyStatus></Item></Alarmstatus></Response>`);
    expect(value(deviceStatusResponse(m))).toEqual({
      online: true, status: 'OK', result: 'OK', encode: true, record: false, deviceTime: '2024-05-20T10:15:30',
      alarmStatus: [{ deviceId: '34020000001340000001', status: 'OFFDUTY' }],
    });
  });

  it('reports a minimal DeviceStatus as offline without optional fields', () => {
    const m = parsed('<Response><CmdType>DeviceStatus</CmdType><SN>6</SN><DeviceID>1</DeviceID><Online>OFFLINE</Online></Response>');
    expect(value(deviceStatusResponse(m))).toEqual({ online: false, status: '' });
  });

  it('reads RecordInfo items', () => {
    const m = parsed(`<Response><CmdType>RecordInfo</CmdType><SN>9</SN><DeviceID>34020000001310000001</DeviceID><Name>Cam</Name>` +
      `<SumNum>2</SumNum><RecordList Num="1"><Item><DeviceID>34020000001310000001</DeviceID><Name>Cam</Name>` +
      `<FilePath>/rec/1</FilePath><Address>Gate</Address><StartTime>2024-05-20T10:00:00</StartTime>` +
      `<EndTime>2024-05-20T10:30:00</EndTime><Secrecy>0</Secrecy><Type>time</Type><RecorderID>34020000001180000001</RecorderID>` +
      `<FileSize>1048576</FileSize></Item></RecordList></Response>`);
    expect(value(recordInfoResponse(m))).toEqual({
      sumNum: 2, num: 1,
      items: [{
        deviceId: '34020000001310000001', name: 'Cam', filePath: '/rec/1', address: 'Gate', startTime: '2024-05-20T10:00:00',
        endTime: '2024-05-20T10:30:00', secrecy: 0, type: 'time', recorderId: '34020000001180000001', fileSize: 1048576,
      }],
    });
  });

  it('refuses to read a keepalive as a response', () => {
    const m = parsed('<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>1</DeviceID></Notify>');
    expect(deviceInfoResponse(m).ok).toBe(false);
    expect(keepalive(m).ok).toBe(true);
  });
});
