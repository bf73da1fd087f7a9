import { describe, expect, it } from 'vitest';
import { applyCatalogChanges, catalogNotify, type CatalogChange } from '../../src/gb28181/catalog-notify.js';
import { parseManscdp, type CatalogItem } from '../../src/gb28181/manscdp.js';

function parsed(xml: string) {
  const m = parseManscdp(xml);
  if (!m.ok) throw new Error(m.error);
  return m.value;
}

const notify = (items: string, root = 'Notify') =>
  `<${root}><CmdType>Catalog</CmdType><SN>4</SN><DeviceID>34020000001180000001</DeviceID><SumNum>1</SumNum><DeviceList Num="1">${items}</DeviceList></${root}>`;
const item = (id: string, event: string | null, extra = '') => `<Item><DeviceID>${id}</DeviceID>${event ? `<Event>${event}</Event>` : ''}${extra}</Item>`;

const channel = (id: string, status = 'ON', name = `cam ${id}`): CatalogItem => ({
  deviceId: id, name, manufacturer: 'Acme', model: 'IPC', owner: '', civilCode: '340200', address: '', parental: false, parentId: '', status,
});

describe('Notify/Catalog changes (GB/T 28181 §9.11.2)', () => {
  it('reads each item with its Event, upper-cased; no Event is an ADD; Response/Catalog is accepted too', () => {
    const r = catalogNotify(parsed(notify(item('1', 'add', '<Name>Gate</Name><Status>ON</Status>') + item('2', null))));
    expect(r.ok && r.value.changes.map((c) => [c.event, c.item.deviceId, c.item.name])).toEqual([['ADD', '1', 'Gate'], ['ADD', '2', '']]);
    expect(r.ok && r.value.sumNum).toBe(1);
    expect(catalogNotify(parsed(notify(item('1', 'OFF'), 'Response'))).ok).toBe(true);
  });

  it('refuses unknown events, items without a DeviceID and other CmdTypes', () => {
    expect(catalogNotify(parsed(notify(item('1', 'EXPLODE')))).ok).toBe(false);
    expect(catalogNotify(parsed(notify('<Item><Event>ADD</Event></Item>'))).ok).toBe(false);
    expect(catalogNotify(parsed('<Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>1</DeviceID></Notify>')).ok).toBe(false);
  });
});

describe('applying catalog changes to the channel list', () => {
  const change = (event: CatalogChange['event'], c: CatalogItem): CatalogChange => ({ event, item: c });

  it('ADD inserts (ON when no status), DEL removes, ON/OFF/VLOST/DEFECT set the status', () => {
    const start = [channel('1'), channel('2')];
    const blank = { ...channel('3', ''), manufacturer: '', model: '', civilCode: '', name: '' };
    const { channels, changed } = applyCatalogChanges(start, [
      change('ADD', blank), change('DEL', channel('1')), change('OFF', { ...blank, deviceId: '2' }), change('VLOST', { ...blank, deviceId: '3' }),
    ]);
    expect(changed).toBe(true);
    expect(channels.map((c) => [c.deviceId, c.status])).toEqual([['2', 'OFF'], ['3', 'OFF']]);
    const back = applyCatalogChanges(channels, [change('ON', { ...blank, deviceId: '2' }), change('DEFECT', { ...blank, deviceId: '3' })]);
    expect(back.channels.map((c) => [c.deviceId, c.status])).toEqual([['2', 'ON'], ['3', 'OFF']]);
  });

  it('UPDATE merges: fields it leaves empty keep their value', () => {
    const { channels } = applyCatalogChanges([channel('1', 'ON', 'Gate')], [change('UPDATE', { ...channel('1', '', 'Gate 2'), manufacturer: '' })]);
    expect(channels[0]).toMatchObject({ name: 'Gate 2', manufacturer: 'Acme', status: 'ON' });
  });

  it('ignores status events for unknown channels, and reports no change (the same array) when nothing changed', () => {
    const start = [channel('1')];
    const r = applyCatalogChanges(start, [change('OFF', channel('9')), change('ON', channel('1')), change('DEL', channel('8'))]);
    expect(r.changed).toBe(false);
    expect(r.channels).toBe(start);
  });

  it('stops adding at the bound, but still updates and removes', () => {
    const r = applyCatalogChanges([channel('1'), channel('2')], [change('ADD', channel('3')), change('UPDATE', channel('1', 'OFF')), change('DEL', channel('2')), change('ADD', channel('4'))], 2);
    expect(r.channels.map((c) => [c.deviceId, c.status])).toEqual([['1', 'OFF'], ['4', 'ON']]);
  });
});
