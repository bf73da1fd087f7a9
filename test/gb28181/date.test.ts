import { describe, expect, it } from 'vitest';
import { gbDate, gbDateTime, parseGbDate } from '../../src/gb28181/date.js';

/** 2024-05-20T02:15:30.123Z */
const NOW = Date.UTC(2024, 4, 20, 2, 15, 30, 123);

describe('GB timestamps', () => {
  it('formats the REGISTER 200 Date header as local time with millis and no zone', () => {
    expect(gbDate(NOW, 480)).toBe('2024-05-20T10:15:30.123');
  });

  it('uses UTC fields when the offset is zero', () => {
    expect(gbDate(NOW, 0)).toBe('2024-05-20T02:15:30.123');
  });

  it('crosses midnight and month ends with negative offsets', () => {
    expect(gbDate(Date.UTC(2024, 2, 1, 1, 0, 0, 5), -120)).toBe('2024-02-29T23:00:00.005');
  });

  it('formats RecordInfo times without millis', () => {
    expect(gbDateTime(NOW, 480)).toBe('2024-05-20T10:15:30');
  });

  it('reads a zone-less timestamp as local time at the given offset', () => {
    expect(parseGbDate('2024-05-20T10:15:30.123', 480)).toEqual({ ok: true, value: NOW });
    expect(parseGbDate('2024-05-20T10:15:30', 480)).toEqual({ ok: true, value: NOW - 123 });
  });

  it('accepts unpadded fields, a space separator and an explicit zone', () => {
    expect(parseGbDate('2024-5-1T8:3:9', 0)).toEqual({ ok: true, value: Date.UTC(2024, 4, 1, 8, 3, 9) });
    expect(parseGbDate('2024-05-20 10:15:30', 480)).toEqual({ ok: true, value: NOW - 123 });
    expect(parseGbDate('2024-05-20T10:15:30.123+08:00', 0)).toEqual({ ok: true, value: NOW });
    expect(parseGbDate('2024-05-20T02:15:30.123Z', 480)).toEqual({ ok: true, value: NOW });
  });

  it.each(['', 'yesterday', '2024-13-01T00:00:00', '2023-02-29T00:00:00', '2024-05-20T24:00:00'])('rejects %j', (s) => {
    expect(parseGbDate(s, 480).ok).toBe(false);
  });
});
