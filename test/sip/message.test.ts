import { describe, expect, it } from 'vitest';
import { SipHeaders, headerKey, splitList } from '../../src/sip/message.js';

describe('SipHeaders', () => {
  it('treats compact and long names as the same header', () => {
    const h = SipHeaders.from([['v', 'SIP/2.0/WS a;branch=z9hG4bK1'], ['VIA', 'SIP/2.0/WS b;branch=z9hG4bK2']]);
    expect(h.getAll('Via')).toEqual(['SIP/2.0/WS a;branch=z9hG4bK1', 'SIP/2.0/WS b;branch=z9hG4bK2']);
    expect(headerKey('i')).toBe('call-id');
  });
  it('splits list headers on top-level commas only', () => {
    expect(splitList('"a, b" <sip:a@x;p=1,2>, <sip:b@y>')).toEqual(['"a, b" <sip:a@x;p=1,2>', '<sip:b@y>']);
    const h = SipHeaders.from([['Contact', '<sip:a@x>, <sip:b@y>']]);
    expect(h.values('m')).toEqual(['<sip:a@x>', '<sip:b@y>']);
  });
  it('shifts the top entry of a comma-joined Via line', () => {
    const h = SipHeaders.from([['Via', 'SIP/2.0/WS a, SIP/2.0/UDP b']]);
    expect(h.shift('via')).toBe('SIP/2.0/WS a');
    expect(h.values('via')).toEqual(['SIP/2.0/UDP b']);
  });
  it('prepends before the first line of the same name', () => {
    const h = SipHeaders.from([['From', 'x'], ['Via', 'b']]).prepend('Via', 'a');
    expect(h.fields.map((f) => f.value)).toEqual(['x', 'a', 'b']);
  });
});
