import { describe, expect, it } from 'vitest';
import { isGbId, kindOfType, parseGbId, realmOf } from '../../src/gb28181/ids.js';

describe('GB IDs', () => {
  it('splits a camera ID into region, industry, type, network and serial', () => {
    const r = parseGbId('34020000001320000001');
    expect(r).toEqual({
      ok: true,
      value: { id: '34020000001320000001', region: '34020000', industry: '00', type: '132', network: '0', serial: '000001', kind: 'channel' },
    });
  });

  it.each([
    ['34020000001180000001', 'device'], // NVR
    ['34020000001110000001', 'device'], // DVR
    ['34020000001310000001', 'channel'], // camera
    ['34020000002000000001', 'platform'], // central signaling server
    ['34020000002150000001', 'other'], // business group
    ['34020000003000000001', 'user'],
    ['34020000004000000001', 'user'],
    ['34020000005000000001', 'other'],
  ] as const)('classifies %s as %s', (id, kind) => {
    const r = parseGbId(id);
    expect(r.ok && r.value.kind).toBe(kind);
  });

  it.each(['3402000000132000000', '340200000013200000011', '3402000000132000000a', '', '３４０２００００００１３２００００００１'])(
    'rejects %j with a reason instead of throwing',
    (s) => {
      const r = parseGbId(s);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/20 decimal digits/);
      expect(isGbId(s)).toBe(false);
    },
  );

  it('keeps leading zeros because IDs stay strings', () => {
    const r = parseGbId('00000000001320000001');
    expect(r.ok && r.value.region).toBe('00000000');
  });

  it('takes the realm from the first 10 digits of the platform ID', () => {
    expect(realmOf('34020000002000000001')).toBe('3402000000');
  });

  it('treats type codes outside the known ranges as other', () => {
    expect(kindOfType(100)).toBe('other');
    expect(kindOfType(999)).toBe('other');
  });
});
