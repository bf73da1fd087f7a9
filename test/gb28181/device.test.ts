/**
 * Online and offline rules of a GB/T 28181 device.
 */
import { describe, expect, it } from 'vitest';
import { expire, keepalive, newDevice, offlineDeadline, registered, unregistered } from '../../src/gb28181/device.js';

const policy = { intervalSeconds: 60, misses: 3 };
const T0 = 1_700_000_000_000;
const reg = (now: number) => registered(newDevice('34020000001320000001'), { now, expiresAt: now + 3_600_000, source: '203.0.113.7:40122', transport: 'UDP', userAgent: 'IP Camera', gbVersion: '2.0' });

describe('device state', () => {
  it('is online after REGISTER until three keepalive intervals pass without a keepalive', () => {
    const s = reg(T0);
    expect(s.online).toBe(true);
    expect(offlineDeadline(s, policy)).toBe(T0 + 180_000);
    expect(expire(s, T0 + 179_999, policy).online).toBe(true);
    expect(expire(s, T0 + 180_000, policy)).toMatchObject({ online: false, offlineReason: 'keepalive timeout' });
  });

  it('moves the deadline with every keepalive', () => {
    const s = keepalive(reg(T0), T0 + 100_000);
    expect(offlineDeadline(s, policy)).toBe(T0 + 280_000);
    expect(expire(s, T0 + 200_000, policy).online).toBe(true);
  });

  it('comes back online with a keepalive while its registration is still valid', () => {
    const off = expire(reg(T0), T0 + 200_000, policy);
    expect(off.online).toBe(false);
    expect(keepalive(off, T0 + 210_000)).toMatchObject({ online: true, offlineReason: null });
  });

  it('goes offline when the registration ends, and at once on unregistration', () => {
    let s = reg(T0);
    for (let t = T0 + 60_000; t < T0 + 3_600_000; t += 60_000) s = keepalive(s, t);
    expect(expire(s, T0 + 3_600_000, policy)).toMatchObject({ online: false, offlineReason: 'registration expired' });
    expect(unregistered(reg(T0))).toMatchObject({ online: false, offlineReason: 'unregistered' });
    expect(keepalive(unregistered(reg(T0)), T0 + 1000).online).toBe(false);
  });
});
